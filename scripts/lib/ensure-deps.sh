# Sourced by the scripts in scripts/ and by .ci/run: installs, from Debian's packages, what the
# tests and the demo need when it is missing. Never relies on servers already running: the tests
# start their own PostgreSQL clusters, Redis and etcd servers from these binaries.
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

ensure_deps() {
  local need=()
  [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] || need+=(postgresql-15)
  command -v pg_dump >/dev/null 2>&1 && command -v pg_restore >/dev/null 2>&1 \
    && command -v pg_basebackup >/dev/null 2>&1 || need+=(postgresql-client-15)
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
  command -v java >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null 2>&1 || need+=(maven)
  command -v kubectl >/dev/null 2>&1 || echo "warning: kubectl not found: deploy-tests renders k8s/ with" \
    "'kubectl kustomize' and will fail; install kubectl (it includes kustomize)" >&2
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing missing packages: ${need[*]}" >&2
    local sudo=
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "error: running as root needs the 'postgres' OS user (initdb refuses root); install postgresql-15" >&2
    return 1
  fi
}
