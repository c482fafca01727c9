#!/usr/bin/env bash
# Measures job-db-backup side by side in one run, on the reference database (make-bench-db.sh):
#
#   bench/db-backup-bench.sh [ROUNDS]      (default 1 round: each round runs every line below)
#   BENCH_SKIP_RESTORE=1 bench/db-backup-bench.sh 7     (the backup lines only, for more rounds)
#
# floor       : pg_dump -Fc -Z0 > /dev/null                  (reading the database, nothing else)
# pg_dump -Fc : pg_dump -Fc -f file                           (what users would otherwise reach for)
# ours        : db-backup backup -> file:// repository       (zstd at the default level 1 + Tink AES-GCM, fsynced)
# restore pg  : pg_restore -d NEW file                        (from the pg_dump -Fc file)
# restore ours: db-backup restore --create                    (repository -> pg_restore, + counts)
#
# Seconds and peak RSS come from GNU time (for ours: the largest of the JVM and its children);
# the JVM runs with -Xmx128m -XX:+UseSerialGC (the serial collector, as the images run it). Before
# each run the server checkpoints and the kernel writes back its dirty pages (settle, below).
. "$(dirname "$0")/lib.sh"
rounds=${1:-1}
bench_db
bench_build
jar=$ROOT/job-db-backup/target/job-db-backup.jar
size=$(psql -d "$BENCH_DB" -Atc "SELECT pg_database_size('$BENCH_DB')")
export BACKUP_KEK_URI=$OUT/db-bench-keyset.json BACKUP_LOG_FORMAT=text
[ -s "$BACKUP_KEK_URI" ] || java -jar "$jar" keyset generate --out "$BACKUP_KEK_URI" >&2
job() { java -Xmx128m -XX:+UseSerialGC -jar "$jar" "$@"; }
# Before every measured run: the server's dirty buffers and the kernel's dirty pages (a restore
# writes gigabytes of WAL and data, pg_dump -Fc a 365 MB file) are written out first, so that no run
# pays for the writeback of the one before it.
settle() { psql -qd postgres -c CHECKPOINT >/dev/null; sync; }

printf 'database %s: %s bytes on disk; %s cores; %s\n' "$BENCH_DB" "$size" "$(nproc)" \
  "$(pg_dump --version)"
printf '%-6s %-14s %9s %12s %14s\n' round run seconds peak-RSS-MiB stored-bytes
ratios=$(mktemp)
for r in $(seq 1 "$rounds"); do
  repo=$OUT/db-repo-$r
  file=$OUT/bench-$r.dump
  rm -rf "$repo" "$file"
  # floor and ours run next to each other: the machine is shared, and adjacent runs see the most
  # similar conditions
  settle
  read -r floor m < <(measure bash -c "pg_dump -Fc -Z0 -d '$BENCH_DB' > /dev/null")
  printf '%-6s %-14s %9s %12s %14s\n' "$r" "floor" "$floor" $((m / 1024)) "-"
  settle
  read -r ours m < <(BACKUP_STORAGE_URL=file://$repo measure java -Xmx128m -XX:+UseSerialGC -jar "$jar" backup --database "$BENCH_DB")
  printf '%-6s %-14s %9s %12s %14s\n' "$r" "ours" "$ours" $((m / 1024)) "$(du -sb "$repo/data" | cut -f1)"
  settle
  read -r fc m < <(measure pg_dump -Fc -d "$BENCH_DB" -f "$file")
  printf '%-6s %-14s %9s %12s %14s\n' "$r" "pg_dump-Fc" "$fc" $((m / 1024)) "$(stat -c %s "$file")"
  echo "$r $ours $floor $fc" >> "$ratios"

  if [ -z "${BENCH_SKIP_RESTORE:-}" ]; then
    for t in bench_restore_pg bench_restore_ours; do
      psql -qd postgres -c "DROP DATABASE IF EXISTS $t" >/dev/null
    done
    psql -qd postgres -c "CREATE DATABASE bench_restore_pg" >/dev/null
    settle
    read -r s m < <(measure pg_restore --no-owner -d bench_restore_pg "$file")
    printf '%-6s %-14s %9s %12s %14s\n' "$r" "restore-pg" "$s" $((m / 1024)) "-"
    settle
    read -r s m < <(BACKUP_STORAGE_URL=file://$repo measure java -Xmx128m -XX:+UseSerialGC -jar "$jar" restore \
      --backup-id latest --target-database bench_restore_ours --create --no-owner)
    printf '%-6s %-14s %9s %12s %14s\n' "$r" "restore-ours" "$s" $((m / 1024)) "-"
    for t in bench_restore_pg bench_restore_ours; do
      psql -qd postgres -c "DROP DATABASE IF EXISTS $t" >/dev/null
    done
  fi
  rm -rf "$repo" "$file"
done

# ours against the floor and against pg_dump -Fc, per round and the median over the rounds
echo
printf '%-6s %14s %18s\n' round ours/floor ours/pg_dump-Fc
awk '{ printf "%-6s %14.2f %18.2f\n", $1, $2 / $3, $2 / $4 }' "$ratios"
awk '{ print $2 / $3 }' "$ratios" | sort -n | awk '{ v[NR] = $1 } END {
  m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
  printf "median ours/floor over %d rounds: %.2f\n", NR, m }'
rm -f "$ratios"
