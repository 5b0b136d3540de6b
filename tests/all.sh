#!/bin/bash
# The project's test command (README, and .ci/run calls it verbatim):
# installs every Debian package it needs (as root), builds in ./build-tests, runs every
# suite. Exit status: meson test's.
set -eu
cd "$(dirname "$0")/.."
bash tests/install-deps.sh
werror=false
[ "${CI:-}" = true ] && werror=true
if [ -d build-tests ]; then
    meson setup --reconfigure build-tests --prefix=/usr -Dwerror=$werror >/dev/null
else
    meson setup build-tests --prefix=/usr -Dwerror=$werror >/dev/null
fi
meson compile -C build-tests
meson test -C build-tests --print-errorlogs "$@"
