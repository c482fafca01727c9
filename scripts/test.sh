#!/usr/bin/env bash
# The test command: installs what the tests need when missing, then builds every module and runs the
# unit tests (Surefire, *Test) and the integration tests against real servers (Failsafe, *IT).
#
#   scripts/test.sh [extra Maven arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/ensure-deps.sh
ensure_deps
exec mvn -B verify "$@"
