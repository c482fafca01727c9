#!/usr/bin/env bash
# Measures job-manifest-export's export against fabric8's mock API server (CRUD mode; no real
# API server can run on the build machine), for two cluster sizes, so that memory can be seen not
# to grow with the number of objects:
#
#   bench/manifest-export-bench.sh [ROUNDS]      (default 1 round)
#
# small: 20 namespaces x 50 objects  =  1,000 objects (+ 20 Namespaces)
# large: 200 namespaces x 50 objects = 10,000 objects (+ 200 Namespaces)
#
# The mock server runs in its own JVM (ManifestExportBench, from the test classes). The export is
# the real job jar (java -jar, kubeconfig from KUBECONFIG) with the heap capped at 64 MiB
# (-Xmx64m -XX:+UseSerialGC, as the image runs it; BENCH_HEAP=32m to cap it lower), into a
# file:// repository. Seconds and peak RSS
# come from GNU time; objects and stored bytes from the job's own output.
. "$(dirname "$0")/lib.sh"
rounds=${1:-1}
heap=${BENCH_HEAP:-64m}
jar=$ROOT/job-manifest-export/target/job-manifest-export.jar
cp_file=$OUT/manifest-classpath.txt
if [ ! -f "$jar" ] || [ ! -d "$ROOT/job-manifest-export/target/test-classes" ] || [ ! -s "$cp_file" ]; then
  (cd "$ROOT" && mvn -B -q -o -pl job-manifest-export -am -DskipTests package \
    dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >&2)
fi
cp="$ROOT/job-manifest-export/target/test-classes:$ROOT/job-manifest-export/target/classes:$(cat "$cp_file")"
export BACKUP_KEK_URI=$OUT/manifest-bench-keyset.json BACKUP_LOG_FORMAT=text
[ -s "$BACKUP_KEK_URI" ] || java -jar "$jar" keyset generate --out "$BACKUP_KEK_URI" >&2

server=
stop_server() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  server=
}
trap stop_server EXIT

printf '%s cores; load average %s; java %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
  "$(java -version 2>&1 | head -1 | cut -d'"' -f2)"
printf '%-6s %-6s %5s %8s %9s %9s %12s %14s %12s\n' round size heap objects seconds obj/s peak-RSS-MiB plaintext-bytes stored-bytes
for r in $(seq 1 "$rounds"); do
  for size in small large; do
    case $size in small) namespaces=20 ;; large) namespaces=200 ;; esac
    kubeconfig=$OUT/manifest-kubeconfig-$size
    repo=$OUT/manifest-repo-$r-$size
    rm -rf "$kubeconfig" "$repo"
    java -Xmx1g -cp "$cp" io.aido.backup.manifests.ManifestExportBench "$namespaces" "$kubeconfig" \
      >"$OUT/manifest-server-$size.log" 2>&1 &
    server=$!
    until [ -s "$kubeconfig" ]; do
      kill -0 "$server" 2>/dev/null || { echo "mock server died" >&2; exit 1; }
      sleep 1
    done
    log=$OUT/manifest-export-$r-$size.log
    read -r s m < <(KUBECONFIG=$kubeconfig BACKUP_STORAGE_URL=file://$repo \
      measure java -Xmx$heap -XX:+UseSerialGC -jar "$jar" export 2>"$log" | tee -a "$log")
    line=$(grep -h '^export ' "$log" | tail -1)
    objects=$(sed -E 's/.*: ([0-9]+) object.*/\1/' <<<"$line")
    stored=$(sed -E 's/.* ([0-9]+) stored bytes.*/\1/' <<<"$line")
    plain=$(grep -ho '"plaintextSize" : [0-9]*' "$repo"/catalog/manifests/*.json | awk '{ s += $3 } END { print s }')
    printf '%-6s %-6s %5s %8s %9s %9s %12s %14s %12s\n' "$r" "$size" "$heap" "$objects" "$s" \
      "$(awk -v o="$objects" -v s="$s" 'BEGIN { printf "%.0f", o / s }')" $((m / 1024)) "$plain" "$stored"
    stop_server
    rm -rf "$repo"
  done
done
