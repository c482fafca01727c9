#!/usr/bin/env bash
# The test command: installs what the tests need when missing, then builds every module and runs the
# unit tests (Surefire, *Test) and the integration tests against real servers (Failsafe, *IT), and
# builds every job's image as a tar with Jib (target/jib-image.tar). No registry is reachable here, so
# the images are built on an empty base (scratch): that proves their layers, entrypoint, default
# command and user; `jib:build` with the real base images is for a machine that can push.
#
#   scripts/test.sh [extra Maven arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/ensure-deps.sh
ensure_deps
exec mvn -B verify com.google.cloud.tools:jib-maven-plugin:buildTar -Dimage.base=scratch "$@"
