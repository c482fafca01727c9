#!/usr/bin/env bash
# The drill's recovery time on the reference database (make-bench-db.sh), split per step:
#
#   bench/drill-bench.sh
#
# Backups first, with job-db-backup's own commands into a file:// repository: wal-archive,
# base-backup, backup --database bench (the dump), wal-archive again. Then one drill, as the
# postgres OS user (pg_ctl refuses root), of the dump (restored into a scratch database on the same
# cluster, every table's row count compared) and of the point-in-time restore (the base backup
# and WAL unpacked into a scratch data directory, the server started on its own port and asked
# pg_last_xact_replay_timestamp()); the Dapr and manifests steps are left out (--skip): their
# restores are measured in docs/benchmarks.md by their own benchmarks. The jars are copied first,
# so a build in the work tree meanwhile does not change what runs.
# Set BENCH_OUT and BENCH_PGPORT to keep apart from other benchmarks on the same machine.
. "$(dirname "$0")/lib.sh"
bench_db
bench_build
[ -f "$ROOT/job-verify/target/job-verify.jar" ] || (cd "$ROOT" && mvn -B -q -DskipTests package >&2)
work=$OUT/drill
rm -rf "$work"
mkdir -p "$work/db-backup/lib" "$work/verify/lib" "$work/scratch"
cp "$ROOT/job-db-backup/target/job-db-backup.jar" "$work/db-backup/"
cp "$ROOT/job-db-backup/target/lib/"*.jar "$work/db-backup/lib/"
cp "$ROOT/job-verify/target/job-verify.jar" "$work/verify/"
cp "$ROOT/job-verify/target/lib/"*.jar "$work/verify/lib/"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$work"
export BACKUP_KEK_URI=$work/keyset.json BACKUP_LOG_FORMAT=text BACKUP_STORAGE_URL=file://$work/repo
export PG_BIN_DIR=$PG_BIN
db() { as_pg java -Xmx128m -XX:+UseSerialGC -jar "$work/db-backup/job-db-backup.jar" "$@"; }
verify() { as_pg java -Xmx256m -XX:+UseSerialGC -jar "$work/verify/job-verify.jar" "$@"; }

size=$(psql -d "$BENCH_DB" -Atc "SELECT pg_database_size('$BENCH_DB')")
printf 'database %s: %s bytes on disk; %s cores; load average before: %s\n' "$BENCH_DB" "$size" \
  "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
db keyset generate --out "$BACKUP_KEK_URI" >&2
db wal-archive >&2
db base-backup >&2
db backup --database "$BENCH_DB" >&2
psql -d "$BENCH_DB" -qc "UPDATE todos SET done = NOT done WHERE id <= 1000" >&2
db wal-archive >&2
set +e
verify drill --skip dapr,manifests --scratch-dir "$work/scratch" --start-timeout PT30M \
  --report-markdown "$work/drill.md"
code=$?
set -e
echo "drill exit code: $code"
psql -d postgres -Atc "SELECT pg_drop_replication_slot('aido_backup_wal')" >/dev/null
cat "$work/drill.md"
