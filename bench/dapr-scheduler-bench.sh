#!/usr/bin/env bash
# Measures job-dapr-snapshot on the Dapr Scheduler: snapshot of REMINDERS actor reminders (and a
# counter for every second one, as reminders that fired) from a real etcd, then restore into the
# emptied etcd, each with the real job jar (java -jar, heap capped at 128 MiB: BENCH_HEAP) into and
# from a file:// repository (zstd and encryption included). Seconds and peak RSS from GNU time.
#
#   bench/dapr-scheduler-bench.sh [REMINDERS]      (default 100000)
#
# SchedulerBench (test classes) starts a throwaway etcd from Debian's etcd-server, fills it as
# Dapr's Scheduler lays its keys out, and serves a minimal stand-in for the Kubernetes API (the
# dapr.io group, no Components; no API server can run on the build machine). The job reaches etcd
# through --scheduler-endpoints; emptying it between the runs uses etcd's JSON gateway.
. "$(dirname "$0")/lib.sh"
reminders=${1:-100000}
heap=${BENCH_HEAP:-128m}
jar=$ROOT/job-dapr-snapshot/target/job-dapr-snapshot.jar
cp_file=$OUT/dapr-scheduler-classpath.txt
if [ ! -f "$jar" ] || [ ! -d "$ROOT/job-dapr-snapshot/target/test-classes" ] || [ ! -s "$cp_file" ]; then
  (cd "$ROOT" && mvn -B -q -o -pl job-dapr-snapshot -am -DskipTests package \
    dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >&2)
fi
cp="$ROOT/job-dapr-snapshot/target/test-classes:$ROOT/job-dapr-snapshot/target/classes:$ROOT/backup-testing/target/classes:$(cat "$cp_file")"
work=$OUT/dapr-scheduler
rm -rf "$work" && mkdir -p "$work"
export BACKUP_KEK_URI=$work/keyset.json BACKUP_LOG_FORMAT=text BACKUP_STORAGE_URL=file://$work/repo \
  BACKUP_NAMESPACE=todo
java -jar "$jar" keyset generate --out "$BACKUP_KEK_URI" >&2

server=
stop_server() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  server=
}
trap stop_server EXIT

java -Xmx512m -cp "$cp" io.aido.backup.dapr.bench.SchedulerBench "$reminders" "$work/ready" \
  >"$work/server.log" 2>&1 &
server=$!
until [ -s "$work/ready" ]; do
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; echo "SchedulerBench died" >&2; exit 1; }
  sleep 1
done
read -r etcd api <"$work/ready"
export BACKUP_SCHEDULER_ENDPOINTS=$etcd BACKUP_KUBERNETES_URL=$api
cat "$work/server.log" >&2

# count of the keys under dapr/jobs/ and dapr/counters/, through etcd's JSON gateway
b64() { printf '%s' "$1" | base64 -w0; }
count() {
  curl -s -X POST "$etcd/v3/kv/range" \
    -d "{\"key\":\"$(b64 dapr/)\",\"range_end\":\"$(b64 dapr0)\",\"count_only\":true}" |
    sed -E 's/.*"count":"?([0-9]+)"?.*/\1/; t; s/.*/0/'
}

printf '%s cores; load average %s; java %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
  "$(java -version 2>&1 | head -1 | cut -d'"' -f2)"
printf '%-9s %5s %10s %10s %9s %10s %12s\n' run heap reminders etcd-keys seconds keys/s peak-RSS-MiB
keys=$(count)
read -r s m < <(measure java -Xmx$heap -XX:+UseSerialGC -jar "$jar" snapshot 2>"$work/snapshot.log")
cat "$work/snapshot.log" >&2
grep -q "Scheduler: $reminders reminder(s)" "$work/snapshot.log" || { echo "snapshot did not hold $reminders reminders" >&2; exit 1; }
printf '%-9s %5s %10s %10s %9s %10s %12s\n' snapshot "$heap" "$reminders" "$keys" "$s" \
  "$(awk -v k="$keys" -v s="$s" 'BEGIN { printf "%.0f", k / s }')" $((m / 1024))

curl -s -X POST "$etcd/v3/kv/deleterange" -d "{\"key\":\"$(b64 dapr/)\",\"range_end\":\"$(b64 dapr0)\"}" >/dev/null
[ "$(count)" = 0 ] || { echo "etcd not emptied" >&2; exit 1; }
read -r s m < <(measure java -Xmx$heap -XX:+UseSerialGC -jar "$jar" restore --backup-id latest 2>"$work/restore.log")
cat "$work/restore.log" >&2
after=$(count)
[ "$after" = "$keys" ] || { echo "restored $after keys, expected $keys" >&2; exit 1; }
printf '%-9s %5s %10s %10s %9s %10s %12s\n' restore "$heap" "$reminders" "$after" "$s" \
  "$(awk -v k="$after" -v s="$s" 'BEGIN { printf "%.0f", k / s }')" $((m / 1024))
printf 'stored bytes of the backup: %s\n' "$(du -sb "$work/repo/data" | cut -f1)"
