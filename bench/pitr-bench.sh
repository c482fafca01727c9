#!/usr/bin/env bash
# Point-in-time recovery side by side in one run, on the reference database (make-bench-db.sh):
#
#   bench/pitr-bench.sh
#
# base ours     : db-backup base-backup -> file:// repository   (pg_basebackup tar, zstd at the default level 1 + Tink, fsynced)
# base pgbr     : pgbackrest backup --type=full                  (zstd level 3, aes-256-cbc, process-max=2)
# base pgbb|zstd: pg_basebackup -c fast -Ft -X fetch -D - | zstd -3 -T2 > file
# restore ours  : db-backup restore-pitr --latest --pgdata NEW    (unpack + fetch WAL + recovery settings)
# restore pgbr  : pgbackrest restore --pg1-path NEW               (process-max=2)
#
# Neither restore starts the server: both measure the copy that stands between a backup and a
# server that can replay WAL. pg_basebackup writes to stdout only with -X fetch (or none), so the
# plain pipeline fetches the WAL into its tar like ours does. pgBackRest runs with
# archive-check=n because the benchmark cluster has no archive_command; ours archives with its
# own wal-archive before and after the base backup (the slot is dropped at the end).
# Seconds and peak RSS come from GNU time; the JVM runs with -Xmx128m -XX:+UseSerialGC.
. "$(dirname "$0")/lib.sh"
bench_db
bench_build
jar=$ROOT/job-db-backup/target/job-db-backup.jar
size=$(psql -d "$BENCH_DB" -Atc "SELECT pg_database_size('$BENCH_DB')")
data=$(psql -d postgres -Atc "SHOW data_directory")
export BACKUP_KEK_URI=$OUT/pitr-bench-keyset.json BACKUP_LOG_FORMAT=text BACKUP_STORAGE_URL=file://$OUT/pitr-repo
export PG_BIN_DIR=$PG_BIN
[ -s "$BACKUP_KEK_URI" ] || java -jar "$jar" keyset generate --out "$BACKUP_KEK_URI" >&2
job() { java -Xmx128m -XX:+UseSerialGC -jar "$jar" "$@"; }

pgbr=$OUT/pgbr
rm -rf "$OUT/pitr-repo" "$pgbr" "$OUT/pitr-base.tar.zst" "$OUT/pitr-restore-ours" "$OUT/pitr-restore-pgbr"
mkdir -p "$pgbr/repo" "$pgbr/log" "$pgbr/lock" "$OUT/pitr-restore-pgbr"
cat > "$pgbr/pgbackrest.conf" <<CONF
[global]
repo1-path=$pgbr/repo
repo1-cipher-type=aes-256-cbc
repo1-cipher-pass=bench-only-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
compress-type=zst
compress-level=3
process-max=2
start-fast=y
archive-check=n
log-path=$pgbr/log
lock-path=$pgbr/lock
log-level-console=warn

[bench]
pg1-path=$data
pg1-socket-path=$PGHOST
pg1-port=$PGPORT
pg1-user=postgres
CONF
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$pgbr" "$OUT/pitr-restore-pgbr"
br=(pgbackrest --config="$pgbr/pgbackrest.conf" --stanza=bench)
[ "$(id -u)" -eq 0 ] && br=(runuser -u postgres -- "${br[@]}")
br() { "${br[@]}" "$@"; }
br stanza-create >&2

printf 'database %s: %s bytes on disk; %s cores; load average before: %s; %s; %s\n' "$BENCH_DB" "$size" \
  "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(pg_basebackup --version)" "$(pgbackrest version)"
printf '%-14s %9s %12s %14s\n' run seconds peak-RSS-MiB stored-bytes

job wal-archive >&2
read -r s m < <(measure java -Xmx128m -XX:+UseSerialGC -jar "$jar" base-backup)
printf '%-14s %9s %12s %14s\n' "base-ours" "$s" $((m / 1024)) "$(du -sb "$OUT/pitr-repo/data" | cut -f1)"
job wal-archive >&2

read -r s m < <(measure "${br[@]}" backup --type=full)
printf '%-14s %9s %12s %14s\n' "base-pgbr" "$s" $((m / 1024)) "$(du -sb "$pgbr/repo/backup" | cut -f1)"

read -r s m < <(measure bash -c "'$PG_BIN/pg_basebackup' -c fast -Ft -X fetch -D - | zstd -q -3 -T2 > '$OUT/pitr-base.tar.zst'")
printf '%-14s %9s %12s %14s\n' "base-pgbb|zstd" "$s" $((m / 1024)) "$(stat -c %s "$OUT/pitr-base.tar.zst")"

read -r s m < <(measure java -Xmx128m -XX:+UseSerialGC -jar "$jar" restore-pitr --latest --pgdata "$OUT/pitr-restore-ours")
printf '%-14s %9s %12s %14s\n' "restore-ours" "$s" $((m / 1024)) "-"
read -r s m < <(measure "${br[@]}" restore --pg1-path="$OUT/pitr-restore-pgbr")
printf '%-14s %9s %12s %14s\n' "restore-pgbr" "$s" $((m / 1024)) "-"
printf 'load average after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"

psql -d postgres -Atc "SELECT pg_drop_replication_slot('aido_backup_wal')" >/dev/null
rm -rf "$OUT/pitr-repo" "$pgbr" "$OUT/pitr-base.tar.zst" "$OUT/pitr-restore-ours" "$OUT/pitr-restore-pgbr"
