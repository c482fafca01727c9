# Shared helpers for the benchmark scripts in bench/. Sourced, not run.
#
# Every figure is measured on the reference dataset built by make-bench-db.sh (from the project's
# shared bench folder; BENCH_DB_SCRIPT overrides its path). Unless BENCH_PGHOST is set, the scripts
# start their own throwaway PostgreSQL 15 cluster under bench/out/pg, as the postgres OS user when
# run as root, and leave it running for the next benchmark (bench/stop-pg.sh stops it).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
OUT=${BENCH_OUT:-$BENCH_DIR/out}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
BENCH_DB=${BENCH_DB:-bench}
BENCH_SCALE=${BENCH_SCALE:-100}
BENCH_DB_SCRIPT=${BENCH_DB_SCRIPT:-$ROOT/../shared/bench/make-bench-db.sh}
mkdir -p "$OUT"

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Starts (or reuses) the benchmark cluster and exports PGHOST/PGPORT/PGUSER for it.
bench_pg() {
  if [ -n "${BENCH_PGHOST:-}" ]; then
    export PGHOST=$BENCH_PGHOST PGPORT=${BENCH_PGPORT:-5432} PGUSER=${BENCH_PGUSER:-postgres}
    return
  fi
  local data=$OUT/pg/data port=${BENCH_PGPORT:-55432}
  mkdir -p "$OUT/pg/sock"
  [ "$(id -u)" -eq 0 ] && chown -R postgres: "$OUT/pg" && chmod o+x "$OUT" "$BENCH_DIR" "$ROOT" 2>/dev/null || true
  if [ ! -f "$data/PG_VERSION" ]; then
    as_pg "$PG_BIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale >/dev/null
    cat >> "$data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$OUT/pg/sock'
port = $port
shared_buffers = 512MB
max_wal_size = 8GB
checkpoint_timeout = 30min
wal_level = replica
max_wal_senders = 4
fsync = on
CONF
  fi
  if ! as_pg "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$OUT/pg/log" -w start >/dev/null
  fi
  export PGHOST=$OUT/pg/sock PGPORT=$port PGUSER=postgres
}

# Builds the reference database once (about 2.2 GB at scale 100).
bench_db() {
  bench_pg
  if ! psql -d "$BENCH_DB" -Atc "SELECT 1 FROM todos LIMIT 1" >/dev/null 2>&1; then
    echo "building the reference database '$BENCH_DB' (scale $BENCH_SCALE) with $BENCH_DB_SCRIPT" >&2
    bash "$BENCH_DB_SCRIPT" "$BENCH_DB" "$BENCH_SCALE" >&2
  fi
}

# Builds the project's jars when missing.
bench_build() {
  if [ ! -f "$ROOT/job-db-backup/target/job-db-backup.jar" ] || [ ! -d "$ROOT/backup-core/target/test-classes" ]; then
    (cd "$ROOT" && mvn -B -q -DskipTests package >&2)
  fi
}

# Runs a command and prints "<seconds> <peak RSS KiB>" to fd 3; its own output goes to stderr.
measure() {
  local t
  t=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$t" "$@" >&2
  cat "$t"
  rm -f "$t"
}

mib_per_s() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", b / 1048576 / s; else print "-" }'; }
