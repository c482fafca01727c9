#!/usr/bin/env bash
# Every job-db-backup path against the PostgreSQL tools and pgBackRest, in the same rounds, on the
# reference database at one scale (make-bench-db.sh), so that the figures of two scales can be
# compared (time should grow with the data, peak RSS stay flat):
#
#   bench/scale-bench.sh [ROUNDS]                          (default 2 rounds, scale 100: ~2.2 GB)
#   BENCH_SCALE=500 BENCH_DB=bench500 bench/scale-bench.sh 1   (~11 GB; check `df` first: the
#                                                             database, dumps, repositories and a
#                                                             restored copy need about 4 times that)
#   BENCH_PIPE_J2=1 bench/scale-bench.sh 1     (adds, in round 1, pg_restore -j 2 of a dump pg_dump wrote to a
#                                                pipe: what a parallel restore costs without the
#                                                table-of-contents offsets; slow)
#
# Per round, each pair runs back to back, ours first in odd rounds and second in even rounds (the
# machine is shared; neighbours see the most similar load):
#   pg_dump-Fc      pg_dump -Fc -f FILE                              | backup          db-backup backup
#   restore-pg-1tx  pg_restore --single-transaction -d NEW FILE      | restore         db-backup restore --create (one transaction, + counts)
#   restore-pg-j2   pg_restore -j 2 -d NEW FILE                      | restore-j2      db-backup restore --create --jobs 2 (spool, + counts, rename)
#   verify-pg       pg_restore -l FILE > /dev/null (reads the TOC)   | verify          job-verify verify --all --no-freshness (read, decrypt, decompress, SHA-256)
#   base-pgbr       pgbackrest backup --type=full (zst 3, aes, 2 p.) | base-backup     db-backup base-backup
#   restore-pgbr    pgbackrest restore --pg1-path NEW                | restore-pitr    db-backup restore-pitr --latest --pgdata NEW (server not started)
# Every restore of ours passes --no-owner, as pg_restore does here. Seconds and peak RSS come from
# GNU time (for ours: the largest of the JVM and its children); MiB/s is the database's size on disk
# over the seconds. The JVM runs as the images do: -Xmx128m -XX:+UseSerialGC.
. "$(dirname "$0")/lib.sh"
rounds=${1:-2}
bench_db
bench_build
jar=$ROOT/job-db-backup/target/job-db-backup.jar
verify_jar=$ROOT/job-verify/target/job-verify.jar
size=$(psql -d "$BENCH_DB" -Atc "SELECT pg_database_size('$BENCH_DB')")
data=$(psql -d postgres -Atc "SHOW data_directory")
export BACKUP_KEK_URI=$OUT/scale-bench-keyset.json BACKUP_LOG_FORMAT=text PG_BIN_DIR=$PG_BIN
java=(java -Xmx128m -XX:+UseSerialGC)
[ -s "$BACKUP_KEK_URI" ] || "${java[@]}" -jar "$jar" keyset generate --out "$BACKUP_KEK_URI" >&2
settle() { psql -qd postgres -c CHECKPOINT >/dev/null; sync; }
dropdb_() { for d in "$@"; do psql -qd postgres -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null; done; }

pgbr=$OUT/scale-pgbr
spool=$OUT/scale-spool
file=$OUT/scale.dump
rm -rf "$pgbr" "$spool" "$file"
mkdir -p "$pgbr/repo" "$pgbr/log" "$pgbr/lock" "$spool"
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
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$pgbr"
br=(pgbackrest --config="$pgbr/pgbackrest.conf" --stanza=bench)
[ "$(id -u)" -eq 0 ] && br=(runuser -u postgres -- "${br[@]}")
"${br[@]}" stanza-create >&2

printf 'database %s (scale %s): %s bytes on disk; %s cores; load average before: %s\n' "$BENCH_DB" \
  "$BENCH_SCALE" "$size" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s; %s; %s\n' "$(pg_dump --version)" "$(pgbackrest version)" "$(java -version 2>&1 | head -1)"
printf '%-6s %-15s %9s %8s %12s\n' round run seconds MiB/s peak-RSS-MiB

# row ROUND NAME COMMAND...: settles, runs, prints one line
row() {
  local r=$1 name=$2 s m
  shift 2
  settle
  read -r s m < <(measure "$@")
  printf '%-6s %-15s %9s %8s %12s\n' "$r" "$name" "$s" "$(mib_per_s "$size" "$s")" $((m / 1024))
}
# pair ROUND: runs "ours" and "theirs" (two functions) in the round's order
pair() {
  if [ $(($1 % 2)) -eq 1 ]; then ours "$1"; theirs "$1"; else theirs "$1"; ours "$1"; fi
}

for r in $(seq 1 "$rounds"); do
  repo=$OUT/scale-repo-$r
  pitr=$OUT/scale-pitr-repo-$r
  rm -rf "$repo" "$pitr" "$file" "$OUT/scale-pitr-ours" "$OUT/scale-pitr-pgbr"
  export BACKUP_STORAGE_URL=file://$repo

  ours() { row "$1" backup "${java[@]}" -jar "$jar" backup --database "$BENCH_DB"; }
  theirs() { row "$1" pg_dump-Fc pg_dump -Fc -d "$BENCH_DB" -f "$file"; }
  pair "$r"

  dropdb_ scale_pg scale_ours
  ours() { row "$1" restore "${java[@]}" -jar "$jar" restore --backup-id latest --target-database scale_ours --create --no-owner; }
  theirs() { psql -qd postgres -c "CREATE DATABASE scale_pg" >/dev/null; row "$1" restore-pg-1tx pg_restore --no-owner --single-transaction --exit-on-error -d scale_pg "$file"; }
  pair "$r"
  dropdb_ scale_pg scale_ours
  ours() { row "$1" restore-j2 "${java[@]}" -jar "$jar" restore --backup-id latest --target-database scale_ours --create --no-owner --jobs 2 --spool-dir "$spool"; }
  theirs() { psql -qd postgres -c "CREATE DATABASE scale_pg" >/dev/null; row "$1" restore-pg-j2 pg_restore --no-owner --exit-on-error -j 2 -d scale_pg "$file"; }
  pair "$r"
  dropdb_ scale_pg scale_ours
  if [ -n "${BENCH_PIPE_J2:-}" ] && [ "$r" -eq 1 ]; then
    pg_dump -Fc -Z0 -d "$BENCH_DB" | cat > "$OUT/scale-pipe.dump"
    psql -qd postgres -c "CREATE DATABASE scale_pg" >/dev/null
    row "$r" restore-pipe-j2 pg_restore --no-owner --exit-on-error -j 2 -d scale_pg "$OUT/scale-pipe.dump"
    dropdb_ scale_pg
    rm -f "$OUT/scale-pipe.dump"
  fi

  ours() { row "$1" verify "${java[@]}" -jar "$verify_jar" verify --all --no-freshness; }
  theirs() { row "$1" verify-pg bash -c "pg_restore -l '$file' > /dev/null"; }
  pair "$r"

  export BACKUP_STORAGE_URL=file://$pitr
  "${java[@]}" -jar "$jar" wal-archive >&2
  ours() { row "$1" base-backup "${java[@]}" -jar "$jar" base-backup; "${java[@]}" -jar "$jar" wal-archive >&2; }
  theirs() { row "$1" base-pgbr "${br[@]}" backup --type=full; }
  pair "$r"
  mkdir -p "$OUT/scale-pitr-pgbr"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$OUT/scale-pitr-pgbr"
  ours() { row "$1" restore-pitr "${java[@]}" -jar "$jar" restore-pitr --latest --pgdata "$OUT/scale-pitr-ours"; }
  theirs() { row "$1" restore-pgbr "${br[@]}" restore --pg1-path="$OUT/scale-pitr-pgbr"; }
  pair "$r"
  psql -d postgres -Atc "SELECT pg_drop_replication_slot('aido_backup_wal')" >/dev/null
  rm -rf "$repo" "$pitr" "$file" "$OUT/scale-pitr-ours" "$OUT/scale-pitr-pgbr"
done
printf 'load average after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$pgbr" "$spool"
