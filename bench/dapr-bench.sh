#!/usr/bin/env bash
# Measures job-dapr-snapshot's state stores alone: snapshot and restore of a PostgreSQL v2 state
# table and of Redis hashes shaped as Dapr writes them, into and from a local file in the snapshot
# format (no compression or encryption: bench/pipeline-bench.sh measures those). Starts its own
# throwaway PostgreSQL 15 and Redis (backup-testing).
#
#   bench/dapr-bench.sh [ROWS] [REDIS_KEYS] [VALUE_BYTES]      (default 1000000 200000 200)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${BENCH_OUT:-$ROOT/bench/out}/dapr
mkdir -p "$OUT"
rows=${1:-1000000}
keys=${2:-200000}
bytes=${3:-200}
cp_file=$OUT/classpath.txt
[ -s "$cp_file" ] || (cd "$ROOT" && mvn -B -q -o -pl job-dapr-snapshot -am -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile="$cp_file" >&2)
cp="$ROOT/job-dapr-snapshot/target/classes:$ROOT/job-dapr-snapshot/target/test-classes:$ROOT/backup-testing/target/classes:$ROOT/backup-core/target/classes:$ROOT/backup-kubernetes/target/classes:$ROOT/backup-dapr/target/classes:$(cat "$cp_file")"
printf '%s cores; java %s; load average before: %s\n' "$(nproc)" \
  "$(java -version 2>&1 | head -1 | cut -d'"' -f2)" "$(cut -d' ' -f1-3 /proc/loadavg)"
java -Xmx256m -cp "$cp" io.aido.backup.dapr.bench.DaprStoreBench "$rows" "$keys" "$bytes" "$OUT"
printf 'load average after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
rm -f "$OUT"/*.dss
