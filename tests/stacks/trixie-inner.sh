#!/bin/bash
# Runs inside the trixie root (tests/stacks/trixie.sh): installs what the project needs on
# Debian 13, builds /src in /var/tmp/vfw-build (kept in the root between runs) and runs the
# stack-dependent suites. Arguments go to meson test.
set -eu
cd /src

echo "stack trixie: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)" >&2
# no browser here: the cockpit suite runs on the first stack only
VFW_DEPS_NO_BROWSER=1 bash tests/install-deps.sh
# libvirt's daemons: Debian 13 packages only the monolithic libvirtd; the modular ones
# (virtqemud, virtnetworkd: Fedora's and RHEL's default) are built from its libvirt source
# for the last pass below (libvirt-modular.sh, cached in the root)
echo "stack trixie: firewalld $(dpkg-query -W -f='${Version}' firewalld), libvirt $(dpkg-query -W -f='${Version}' libvirt-daemon)" >&2

# the benchmark on this stack: --bench (results in /src/bench/results/trixie/)
if [ "${1:-}" = --bench ]; then
    BENCH_BUILD=/var/tmp/vfw-bench BENCH_RESULTS=/src/bench/results/trixie \
        BENCH_COMMIT="${VFW_COMMIT:-unknown}" exec bash bench/run
fi

BUILD=/var/tmp/vfw-build
werror=false
[ "${CI:-}" = true ] && werror=true
if [ -e "$BUILD/build.ninja" ]; then
    meson setup --reconfigure "$BUILD" --prefix=/usr -Dwerror=$werror >/dev/null
else
    meson setup "$BUILD" --prefix=/usr -Dwerror=$werror >/dev/null
fi
meson compile -C "$BUILD" >/dev/null
# one test script in a sandbox of this stack: --sandbox SCRIPT [ARGS...]
if [ "${1:-}" = --sandbox ]; then
    shift
    [ "${SB_LIBVIRT_DAEMONS:-}" = modular ] && { bash tests/stacks/libvirt-modular.sh || exit 1; }
    VFW_BUILD_DIR=$BUILD VFW_SOURCE_DIR=/src exec tests/sandbox/run "$@"
fi
# the suites that depend on the stack; unit, style, fuzz and sanitize run on the host's
if [ $# -gt 0 ]; then
    exec meson test -C "$BUILD" --print-errorlogs "$@"
fi
rc=0
meson test -C "$BUILD" --print-errorlogs --suite integration --suite packaging || rc=$?
# again with the modular daemons: virtqemud runs the qemu hook, virtnetworkd the network
# hook, and every client reaches them directly. The suites where the daemon matters: the
# hooks, open networks and their conversion, the CLI (doctor names the daemons)
bash tests/stacks/libvirt-modular.sh || exit 1
echo "stack trixie: the same with libvirt's modular daemons (virtqemud, virtnetworkd)" >&2
cp "$BUILD/meson-logs/testlog.txt" "$BUILD/meson-logs/testlog-monolithic.txt" 2>/dev/null || true
SB_LIBVIRT_DAEMONS=modular meson test -C "$BUILD" --print-errorlogs \
    qemu-hook open-network network-convert nftables-backend cli || rc=$?
exit $rc
