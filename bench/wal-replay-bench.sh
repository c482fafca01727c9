#!/usr/bin/env bash
# How long PostgreSQL takes to replay the WAL of a pgbench load after a point-in-time restore, to
# size the recovery time of "daily base backup + up to a day of WAL":
#
#   bench/wal-replay-bench.sh [DURATION_S=600] [RATE_TPS=100] [CLIENTS=4] [SCALE=10]
#
# 1. a pgbench database of SCALE (10: about 150 MB), wal-archive (creates its slot), base-backup;
# 2. pgbench -c CLIENTS -R RATE_TPS -T DURATION_S (TPC-B-like, rate-limited), then wal-archive;
# 3. restore-pitr --latest into a new data directory, start it (its own port and socket), and time
#    until it has replayed everything and promoted (pg_is_in_recovery() false); PostgreSQL's own
#    "redo done ... elapsed" figure is printed beside it.
# The extrapolation to a day assumes the same load all day and a replay time proportional to the
# WAL volume (replay is sequential, one process). Uses the benchmark cluster of lib.sh.
. "$(dirname "$0")/lib.sh"
duration=${1:-600}
rate=${2:-100}
clients=${3:-4}
scale=${4:-10}
bench_pg
bench_build
jar=$ROOT/job-db-backup/target/job-db-backup.jar
db=wal_replay
work=$OUT/wal-replay
slot=replay_bench
port=$((${BENCH_PGPORT:-55432} + 1))
rm -rf "$work" && mkdir -p "$work/sock"
export BACKUP_KEK_URI=$work/keyset.json BACKUP_LOG_FORMAT=text BACKUP_STORAGE_URL=file://$work/repo PG_BIN_DIR=$PG_BIN
job() { java -Xmx128m -XX:+UseSerialGC -jar "$jar" "$@"; }
job keyset generate --out "$BACKUP_KEK_URI" >&2
psql -qd postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
pgbench -q -i -s "$scale" "$db" >&2
job wal-archive --slot "$slot" >&2
job base-backup >&2

printf 'load average before: %s; %s cores; pgbench -c %s -R %s for %s s on scale %s\n' \
  "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)" "$clients" "$rate" "$duration" "$scale"
start=$(psql -Atd postgres -c "SELECT pg_current_wal_lsn()")
tps=$(pgbench -n -c "$clients" -j 2 -R "$rate" -T "$duration" "$db" 2>&1 | awk '/^tps/ { print $3; exit }')
end=$(psql -Atd postgres -c "SELECT pg_current_wal_lsn()")
wal=$(psql -Atd postgres -c "SELECT pg_wal_lsn_diff('$end', '$start')::bigint")
job wal-archive --slot "$slot" >&2
job restore-pitr --latest --pgdata "$work/restored" >&2
cat >>"$work/restored/postgresql.auto.conf" <<CONF
port = $port
unix_socket_directories = '$work/sock'
listen_addresses = ''
CONF
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$work" && chmod o+x "$OUT"
t0=$(date +%s.%N)
as_pg "$PG_BIN/pg_ctl" -D "$work/restored" -l "$work/restored.log" start >/dev/null
until [ "$(psql -h "$work/sock" -p "$port" -Atd postgres -c "SELECT pg_is_in_recovery()" 2>/dev/null)" = f ]; do
  if ! as_pg "$PG_BIN/pg_ctl" -D "$work/restored" status >/dev/null 2>&1; then
    echo "the restored server stopped:" >&2
    tail -20 "$work/restored.log" >&2
    exit 1
  fi
  sleep 0.2
done
t1=$(date +%s.%N)
redo=$(grep -o 'redo done at .*' "$work/restored.log" | grep -o 'elapsed: [0-9.]* s' | head -1)
as_pg "$PG_BIN/pg_ctl" -D "$work/restored" -m fast stop >/dev/null
awk -v wal="$wal" -v d="$duration" -v t0="$t0" -v t1="$t1" -v tps="$tps" -v redo="$redo" 'BEGIN {
  s = t1 - t0; mib = wal / 1048576; per_hour = mib * 3600 / d
  printf "pgbench: %.1f tps; WAL written: %.1f MiB in %d s (%.0f MiB per hour)\n", tps, mib, d, per_hour
  printf "start to promoted: %.1f s (PostgreSQL: redo done, %s); %.1f MiB/s\n", s, redo, mib / s
  printf "a day of this load: %.0f MiB of WAL, replayed in about %.0f s (%.1f min)\n", per_hour * 24, s * 86400 / d, s * 86400 / d / 60
}'
printf 'load average after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
psql -Atd postgres -c "SELECT pg_drop_replication_slot('$slot')" >/dev/null
psql -qd postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null
cp "$work/restored.log" "$OUT/wal-replay-last.log" 2>/dev/null || true
rm -rf "$work"
