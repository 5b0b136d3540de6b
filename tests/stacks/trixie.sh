#!/bin/bash
# bash tests/stacks/trixie.sh [MESON TEST ARGS...]
# bash tests/stacks/trixie.sh --sandbox SCRIPT [ARGS...]   (one test script, e.g. while
#                                                           debugging; SCRIPT under /src)
# bash tests/stacks/trixie.sh --bench                      (bench/run on this stack:
#                                                           bench/results/trixie/)
#
# The second test stack: Debian 13 (trixie) with firewalld 2.3 and libvirt 11.3, in a root
# file system built once with debootstrap and kept outside the clone
# ($VFW_TRIXIE_ROOT, default /var/cache/virt-firewalld-tests/trixie). Each run brings the
# root's packages up to date with tests/install-deps.sh (run inside it: what the project
# installs on a Debian 13 machine), builds this tree inside it and runs the suites that
# depend on the stack (integration, packaging) there, in a private mount namespace: the
# root sees this clone at /src, its own /proc, /sys, /dev, /run and /tmp, and the sandbox
# of each test then makes its own network namespaces, as on the host. Nothing of the
# machine's network, /etc/firewalld or /etc/libvirt is touched.
#
# Environment: VFW_TRIXIE_ROOT, VFW_TRIXIE_MIRROR (http://deb.debian.org/debian), CI,
# SB_LIBVIRT_DAEMONS=modular (with --sandbox: virtqemud and virtnetworkd, as the last pass
# of a whole run uses them).
# Exit status: meson test's inside the root; 1 when the root cannot be built.
set -eu

SRC=$(cd "$(dirname "$0")/../.." && pwd)
ROOT=${VFW_TRIXIE_ROOT:-/var/cache/virt-firewalld-tests/trixie}
MIRROR=${VFW_TRIXIE_MIRROR:-http://deb.debian.org/debian}
say() { echo "stack trixie: $*" >&2; }

[ "$(id -u)" = 0 ] || { say "needs root"; exit 1; }
for tool in debootstrap unshare chroot; do
    command -v "$tool" >/dev/null || { say "'$tool' missing (tests/install-deps.sh installs it)"; exit 1; }
done

# 1. the root, once: debootstrap into a new directory, renamed when complete
if [ ! -e "$ROOT/etc/debian_version" ] || [ ! -e "$ROOT/.vfw-root-complete" ]; then
    say "building the root in $ROOT (debootstrap --variant=minbase trixie, ~1 min)"
    rm -rf "$ROOT.new"
    mkdir -p "$(dirname "$ROOT")"
    if ! debootstrap --variant=minbase trixie "$ROOT.new" "$MIRROR" >"$ROOT.new.log" 2>&1; then
        tail -n 20 "$ROOT.new.log" >&2
        say "debootstrap failed (log: $ROOT.new.log)"
        exit 1
    fi
    touch "$ROOT.new/.vfw-root-complete"
    rm -rf "$ROOT"
    mv "$ROOT.new" "$ROOT"
    mv "$ROOT.new.log" "$ROOT/.vfw-debootstrap.log"
fi

# 2. inside a private mount namespace: the root's own views, this clone at /src
inner() {
    set -eu
    mount --make-rprivate /
    # the root must be a mount point: each sandbox makes "/" a slave mount inside it
    mount --bind "$ROOT" "$ROOT"
    mount -t proc proc "$ROOT/proc"
    mount --rbind /sys "$ROOT/sys"
    mount --rbind /dev "$ROOT/dev"
    mount -t tmpfs -o mode=755 tmpfs "$ROOT/run"
    mount -t tmpfs -o mode=1777 tmpfs "$ROOT/tmp"
    mkdir -p "$ROOT/src"
    mount --bind "$SRC" "$ROOT/src"
    # shared inside this namespace (private to the machine's, made so above), as "/" is on
    # a systemd host: each sandbox is a slave copy, and sees the network namespaces that
    # its outer part adds to /run/netns only through propagation
    mount --make-rshared "$ROOT"
    cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
    exec chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        LANG=C.UTF-8 CI="${CI:-}" TERM=dumb VFW_COMMIT="$COMMIT" \
        SB_LIBVIRT_DAEMONS="${SB_LIBVIRT_DAEMONS:-}" VFW_TRIXIE_MIRROR="$MIRROR" \
        /bin/bash /src/tests/stacks/trixie-inner.sh "$@"
}
COMMIT=$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)
export -f inner
export ROOT SRC COMMIT MIRROR
rc=0
unshare --mount --fork -- bash -c 'inner "$@"' inner "$@" || rc=$?
# the root's sandboxes keep their namespaces in the root's /run/netns: none may have
# reached this machine's (nor a sandbox directory its /tmp)
left=$(ip netns list 2>/dev/null | awk '/^vfw-/{print $1}'; ls -d /tmp/vfw-sandbox.* 2>/dev/null || true)
if [ -n "$left" ]; then
    say "left on this machine by the root's tests: $(echo $left)"
    rc=1
fi
exit $rc
