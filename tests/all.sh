#!/bin/bash
# The project's test command (README, and .ci/run calls it verbatim):
# installs every Debian package it needs (as root), builds in ./build-tests, runs every
# suite on this machine's stack, then the stack-dependent suites on Debian 13's
# (tests/stacks/trixie.sh). Exit status: 0 when both passed.
set -eu
# shellcheck source=need-root.sh
. "$(dirname "$0")/need-root.sh"
vfw_need_root "$0" "$@"
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
# the first stack: this machine's (Debian 12: firewalld 1.3, libvirt 9.0)
rc=0
meson test -C build-tests --print-errorlogs "$@" || rc=$?
# the second: Debian 13 (firewalld 2.3, libvirt 11.3) in a debootstrap root; with test
# names or options given, only the first stack runs
if [ $# -eq 0 ]; then
    bash tests/stacks/trixie.sh || rc=$?
fi
exit $rc
