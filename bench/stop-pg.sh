#!/usr/bin/env bash
# Stops the throwaway benchmark cluster that bench/*.sh started (the data stays under bench/out/pg).
. "$(dirname "$0")/lib.sh"
as_pg "$PG_BIN/pg_ctl" -D "$OUT/pg/data" -m fast stop
