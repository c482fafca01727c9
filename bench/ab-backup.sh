#!/usr/bin/env bash
# Compares two builds of job-db-backup's `backup`, alternating them run by run on the same database,
# and prints each build's mean wall time and mean CPU time (the JVM and its children):
#
#   bench/ab-backup.sh BASE_JAR NEW_JAR [RUNS] [DATABASE]    (default 5 runs each, database bench)
#
# Build the base in a worktree first, e.g.
#   git worktree add /tmp/base <commit> && (cd /tmp/base && mvn -q -pl job-db-backup -am package -DskipTests)
#   bench/ab-backup.sh /tmp/base/job-db-backup/target/job-db-backup.jar job-db-backup/target/job-db-backup.jar
# A small DATABASE (one table of 100 rows) measures the fixed start-up cost alone.
. "$(dirname "$0")/lib.sh"
base=$1 new=$2 runs=${3:-5} db=${4:-$BENCH_DB}
bench_db
[ "$db" = "$BENCH_DB" ] || psql -d "$db" -Atc 'SELECT 1' >/dev/null
export BACKUP_KEK_URI=$OUT/db-bench-keyset.json BACKUP_LOG_FORMAT=text
[ -s "$BACKUP_KEK_URI" ] || java -jar "$new" keyset generate --out "$BACKUP_KEK_URI" >&2
times=$(mktemp)
for i in $(seq 1 "$runs"); do
  for v in base new; do
    jar=$base; [ "$v" = new ] && jar=$new
    rm -rf "$OUT/ab-repo-$v"
    psql -qd postgres -c CHECKPOINT >/dev/null; sync
    BACKUP_STORAGE_URL=file://$OUT/ab-repo-$v /usr/bin/time -f "$v %e %U %S" -a -o "$times" \
      java -Xmx128m -XX:+UseSerialGC -jar "$jar" backup --database "$db" >/dev/null 2>&1
  done
done
awk '{ w[$1] += $2; c[$1] += $3 + $4; n[$1]++ }
  END { for (k in w) printf "%-4s wall %.2f s  cpu %.2f s  (%d runs)\n", k, w[k] / n[k], c[k] / n[k], n[k] }' "$times" | sort
rm -rf "$times" "$OUT/ab-repo-base" "$OUT/ab-repo-new"
