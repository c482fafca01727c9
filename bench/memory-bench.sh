#!/usr/bin/env bash
# Peak memory of every job as its image runs it, to set the k8s requests and limits from:
#
#   bench/memory-bench.sh                 (BENCH_PARTS="db k8s dapr" by default: which to run)
#
# Each job runs with the images' JVM flags (the parent pom's Jib jvmFlags: -XX:MaxRAMPercentage=75
# -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError) plus -XX:MaxRAM=<the container's memory limit>,
# which sizes the heap as the JVM does inside a cgroup with that limit (this machine's cgroups
# cannot be split per run). The limit is the one k8s/ sets for that job (LIMIT column).
#
# Two figures per run: tree-MiB, the peak of the summed RSS of the JVM and every child it starts
# (pg_dump, pg_restore, pg_basebackup, tar), sampled every 100 ms, which is what a container's
# memory limit counts (page cache aside); and jvm-MiB, GNU time's peak RSS of the largest single
# process. The sampled sum can miss a peak shorter than 100 ms; round the limit up accordingly.
#
# Order: wal-archive (creates the slot), backup, restore (into a new database: its WAL is what the
# next wal-archive stores), wal-archive, base-backup, restore-pitr --latest, verify --all,
# retention apply --dry-run, wal-archive --follow for 60 s under pgbench load, manifest export
# (1,000 objects of a mock API server, bench/manifest-export-bench.sh's small cluster) and its
# restore, Dapr snapshot (BENCH_DAPR_ROWS Redis hashes, the Component on a mock API server) and its
# restore (--clean).
. "$(dirname "$0")/lib.sh"
parts=" ${BENCH_PARTS:-db k8s dapr} "
want() { [[ $parts == *" $1 "* ]]; }
bench_db
bench_build
rows=${BENCH_DAPR_ROWS:-200000}
repo=$OUT/memory-repo
export BACKUP_KEK_URI=$OUT/memory-bench-keyset.json BACKUP_STORAGE_URL=file://$repo BACKUP_LOG_FORMAT=text
export PG_BIN_DIR=$PG_BIN
flags=(-XX:MaxRAMPercentage=75 -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError)
db_jar=$ROOT/job-db-backup/target/job-db-backup.jar
[ -s "$BACKUP_KEK_URI" ] || java -jar "$db_jar" keyset generate --out "$BACKUP_KEK_URI" >&2
rm -rf "$repo" "$OUT/memory-pitr"
psql -d postgres -qc "DROP DATABASE IF EXISTS ${BENCH_DB}_restored" >&2
psql -d postgres -Atc "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'aido_backup_wal'" >/dev/null

# Runs "$@" and prints "<seconds> <peak tree RSS KiB> <peak single-process RSS KiB>".
tree_peak() {
  local t peak=0 now pid
  t=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$t" "$@" >&2 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    now=$(ps -e -o pid=,ppid=,rss= | awk -v root="$pid" '
      { parent[$1] = $2; rss[$1] = $3 }
      END {
        for (p in parent) {
          q = p; n = 0
          while (q != "" && q != 0 && n < 50) { if (q == root) { s += rss[p]; break } q = parent[q]; n++ }
        }
        print s + 0
      }')
    [ "$now" -gt "$peak" ] && peak=$now
    sleep 0.1
  done
  wait "$pid" || { echo "failed: $*" >&2; cat "$t" >&2; }
  local s m
  read -r s m < <(tail -1 "$t")
  rm -f "$t"
  echo "$s $peak $m"
}

row() { # name limit-MiB command...
  local name=$1 limit=$2
  shift 2
  read -r s tree jvm < <(tree_peak "$@")
  printf '%-18s %6s %8s %9s %8s\n' "$name" "${limit}Mi" "$s" $((tree / 1024)) $((jvm / 1024))
}

db=(java "${flags[@]}" -XX:MaxRAM=384m -jar "$db_jar")

printf 'database %s (scale %s): %s bytes on disk; %s cores; java %s; load average before: %s\n' \
  "$BENCH_DB" "$BENCH_SCALE" "$(psql -d "$BENCH_DB" -Atc "SELECT pg_database_size('$BENCH_DB')")" \
  "$(nproc)" "$(java -version 2>&1 | head -1 | cut -d'"' -f2)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-18s %6s %8s %9s %8s\n' job limit seconds tree-MiB jvm-MiB
if want db; then
row wal-archive-first 384 "${db[@]}" wal-archive
row backup 384 "${db[@]}" backup --database "$BENCH_DB"
row restore 384 "${db[@]}" restore --backup-id latest --source-database "$BENCH_DB" \
  --target-database "${BENCH_DB}_restored" --create
row wal-archive 384 "${db[@]}" wal-archive
row base-backup 384 "${db[@]}" base-backup
"${db[@]}" wal-archive >&2
row restore-pitr 384 "${db[@]}" restore-pitr --latest --pgdata "$OUT/memory-pitr"
row verify 320 java "${flags[@]}" -XX:MaxRAM=320m -jar "$ROOT/job-verify/target/job-verify.jar" \
  verify --all --no-freshness
row retention 256 java "${flags[@]}" -XX:MaxRAM=256m -jar "$ROOT/job-retention/target/job-retention.jar" \
  apply --dry-run

# the Deployment's archiver, 60 s under a pgbench load of 4 clients
pgbench -n -c 4 -T 70 "$BENCH_DB" >/dev/null 2>&1 &
load=$!
row wal-archive-follow 384 timeout -s TERM 60 java "${flags[@]}" -XX:MaxRAM=384m -jar "$db_jar" \
  wal-archive --follow
wait "$load" || true
fi

# the Kubernetes API: fabric8's mock server (no real API server can run here), in its own JVM
mcp=$OUT/manifest-classpath.txt
if [ ! -d "$ROOT/job-manifest-export/target/test-classes" ] || [ ! -s "$mcp" ]; then
  (cd "$ROOT" && mvn -B -q -o -pl job-manifest-export -am -DskipTests package \
    dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$mcp" >&2)
fi
cp="$ROOT/job-manifest-export/target/test-classes:$ROOT/job-manifest-export/target/classes:$(cat "$mcp")"
server=
stop_server() { if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi; server=; }
rport=${BENCH_REDIS_PORT:-56379}
trap 'stop_server; if want dapr; then redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true; fi' EXIT
wait_kubeconfig() {
  until [ -s "$1" ]; do
    kill -0 "$server" 2>/dev/null || { echo "mock API server died" >&2; exit 1; }
    sleep 1
  done
}
kc=$OUT/memory-kubeconfig
if want k8s; then
rm -f "$kc"
java -Xmx1g -cp "$cp" io.aido.backup.manifests.ManifestExportBench 20 "$kc" >"$OUT/memory-mock.log" 2>&1 &
server=$!
wait_kubeconfig "$kc"
KUBECONFIG=$kc row manifest-export 512 java "${flags[@]}" -XX:MaxRAM=512m \
  -jar "$ROOT/job-manifest-export/target/job-manifest-export.jar" export
# the restore Job: applies the backup to the same cluster (every object compared, none changed)
KUBECONFIG=$kc row manifest-restore 512 java "${flags[@]}" -XX:MaxRAM=512m \
  -jar "$ROOT/job-manifest-export/target/job-manifest-export.jar" restore --backup-id latest
stop_server
fi

# Dapr: a Redis state store (its own redis-server on a free port) holding BENCH_DAPR_ROWS hashes
# shaped as Dapr writes them, and a Component pointing at it
if want dapr; then
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --pidfile "$OUT/memory-redis.pid" --logfile "$OUT/memory-redis.log"
until redis-cli -p "$rport" ping >/dev/null 2>&1; do sleep 0.2; done
awk -v n="$rows" 'BEGIN { v = sprintf("%0200d", 7); for (i = 1; i <= n; i++)
  printf "HSET todo-app||TodoActor||%d||todos data \"%s\" version 1\r\n", i, v }' |
  redis-cli -p "$rport" --pipe >&2
cat >"$OUT/memory-dapr.yaml" <<YAML
apiVersion: v1
kind: List
items:
  - apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata: {name: components.dapr.io}
    spec:
      group: dapr.io
      scope: Namespaced
      names: {kind: Component, plural: components, singular: component, listKind: ComponentList}
      versions:
        - name: v1alpha1
          served: true
          storage: true
          schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
  - apiVersion: v1
    kind: Namespace
    metadata: {name: todo}
  - apiVersion: dapr.io/v1alpha1
    kind: Component
    metadata: {name: statestore, namespace: todo}
    spec:
      type: state.redis
      version: v1
      metadata:
        - {name: redisHost, value: "127.0.0.1:$rport"}
        - {name: actorStateStore, value: "true"}
YAML
rm -f "$kc"
java -Xmx512m -cp "$cp" io.aido.backup.manifests.MockApiServer "$kc" "$OUT/memory-dapr.yaml" >"$OUT/memory-mock.log" 2>&1 &
server=$!
wait_kubeconfig "$kc"
KUBECONFIG=$kc BACKUP_NAMESPACE=todo row dapr-snapshot 384 java "${flags[@]}" -XX:MaxRAM=384m \
  -jar "$ROOT/job-dapr-snapshot/target/job-dapr-snapshot.jar" snapshot
# the restore Job: writes the snapshot back into the emptied store
KUBECONFIG=$kc BACKUP_NAMESPACE=todo row restore-dapr 384 java "${flags[@]}" -XX:MaxRAM=384m \
  -jar "$ROOT/job-dapr-snapshot/target/job-dapr-snapshot.jar" restore --backup-id latest \
  --store statestore --clean
stop_server
redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
fi

printf 'load average after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
psql -d postgres -qc "DROP DATABASE IF EXISTS ${BENCH_DB}_restored" >&2
psql -d postgres -Atc "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'aido_backup_wal'" >/dev/null
rm -rf "$repo" "$OUT/memory-pitr" "$kc" "$OUT/memory-dapr.yaml"
