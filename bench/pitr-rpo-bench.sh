#!/usr/bin/env bash
# The recovery point of wal-archive under a pgbench load: how long after a commit its WAL is stored
# in the repository, when the archiver runs every INTERVAL seconds (as the CronJob does every 5 min).
#
#   bench/pitr-rpo-bench.sh [DURATION_S=300] [INTERVAL_S=10] [CLIENTS=2]
#
# A probe commits one row every second and notes the time of the commit and the WAL insert position
# just after it; each archiver run notes when it exited and the position it archived up to (from its
# summary line). A commit counts as stored at the exit of the first run whose archived end reaches
# its position. Prints the largest, mean and 95th-percentile delay; the promise to check is
# "largest < INTERVAL + 60 s". Uses the benchmark cluster of lib.sh (wal_level = replica).
. "$(dirname "$0")/lib.sh"
duration=${1:-300}
interval=${2:-10}
clients=${3:-2}
bench_pg
bench_build
jar=$ROOT/job-db-backup/target/job-db-backup.jar
db=pitr_rpo
work=$OUT/rpo
rm -rf "$work" && mkdir -p "$work"
export BACKUP_KEK_URI=$work/keyset.json BACKUP_LOG_FORMAT=text BACKUP_STORAGE_URL=file://$work/repo PG_BIN_DIR=$PG_BIN
java -jar "$jar" keyset generate --out "$BACKUP_KEK_URI" >&2
job() { java -Xmx128m -XX:+UseSerialGC -jar "$jar" "$@"; }
psql -qd postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
pgbench -q -i -s 10 "$db" >&2
psql -qd "$db" -c "CREATE TABLE rpo_probe (at timestamptz)" >/dev/null
job wal-archive --slot rpo_bench >&2

printf 'load average before: %s; %s cores; pgbench -c %s for %s s; wal-archive every %s s\n' \
  "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)" "$clients" "$duration" "$interval"
pgbench -n -c "$clients" -j "$clients" -T "$duration" "$db" > "$work/pgbench.out" 2>&1 &
load=$!
(
  while kill -0 "$load" 2>/dev/null; do
    psql -qAtd "$db" -c "INSERT INTO rpo_probe VALUES (clock_timestamp())" \
      -c "SELECT extract(epoch FROM clock_timestamp()), pg_current_wal_insert_lsn() - '0/0'::pg_lsn" \
      >> "$work/probes"
    sleep 1
  done
) &
probe=$!
archive_once() {
  local line end
  line=$(job wal-archive --slot rpo_bench 2>>"$work/archiver.log" | grep '^archived WAL') || return 0
  end=$(sed -E 's/.* to ([0-9A-F]+\/[0-9A-F]+):.*/\1/' <<<"$line")
  printf '%s %s\n' "$(date +%s.%N)" "$(psql -Atd postgres -c "SELECT '$end'::pg_lsn - '0/0'::pg_lsn")" >> "$work/runs"
}
while kill -0 "$load" 2>/dev/null; do
  archive_once
  sleep "$interval"
done
wait "$probe" || true
archive_once
grep -E '^(tps|number of transactions actually processed)' "$work/pgbench.out" || true
awk '
  NR == FNR { rt[NR] = $1; rl[NR] = $2; n = NR; next }
  { split($0, f, "|"); t = f[1]; l = f[2]
    for (i = 1; i <= n; i++) if (rl[i] >= l && rt[i] >= t) { d[++m] = rt[i] - t; s += rt[i] - t; break }
    if (i > n) missing++ }
  END {
    asort(d)
    p95 = int(m * 0.95)
    if (p95 < 1) p95 = 1
    printf "probes stored: %d (not stored: %d); archiver runs: %d\n", m, missing + 0, n
    printf "recovery point: max %.1f s, mean %.1f s, p95 %.1f s\n", d[m], s / m, d[p95]
  }' "$work/runs" "$work/probes"
printf 'load average after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
psql -Atd postgres -c "SELECT pg_drop_replication_slot('rpo_bench')" >/dev/null
psql -qd postgres -c "DROP DATABASE $db" >/dev/null
rm -rf "$work/repo"
