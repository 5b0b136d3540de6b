#!/bin/bash
# Installs every Debian package the build and the test suites need, as root, without
# starting any service in the root namespace (policy-rc.d answers 101 during the install).
# Also creates the user 'libvirt-qemu', without which libvirtd's qemu driver refuses to
# initialise (Debian's libvirt-daemon-system would create it; we do not install that
# package: on Debian 12 we only need its firewalld zone files, which the harness extracts).
#
# Works on Debian 12 and 13 (tests/stacks/trixie.sh runs it inside its trixie root): the
# names that differ between releases come from what the archive offers, not from a list
# written for one of them (STACK_PKGS below).
set -eu

export DEBIAN_FRONTEND=noninteractive
updated=0
apt_update() { [ $updated = 1 ] || { apt-get update -qq && updated=1; }; }
# whether the archive (as the package lists know it) has a package of that name
offered() { [ -n "$(apt-cache show --no-all-versions "$1" 2>/dev/null | sed -n 's/^Package: //p')" ]; }

PKGS=(
    # build
    meson ninja-build pkg-config gcc libc6-dev libglib2.0-dev libglib2.0-dev-bin
    libxml2-dev libvirt-dev libxml2-utils libjson-glib-dev clang-format
    # the Cockpit page: its translations (xgettext, msgfmt in the style suite)
    gettext
    # the real stack the integration suites run
    dbus firewalld nftables iptables libvirt-daemon libvirt-daemon-driver-qemu
    libvirt-clients dnsmasq-base iproute2 socat qemu-system-x86 busybox procps
    util-linux kmod man-db groff-base bash-completion
    # fuzz suite (clang; libFuzzer ships in libclang-rt-NN-dev, see below) and sanitize
    clang valgrind
    # packaging suite: RPM spec parse/build, Debian package build (dpkg-buildpackage checks
    # for build-essential, which a minimal Debian 13 root lacks), Ansible example (its apt
    # module needs python3-apt, and the sandbox it runs in has no network to fetch it)
    rpm dpkg-dev debhelper build-essential ansible-core python3-apt
    # benchmark (bench/run): GNU time for peak RSS, gnuplot for the scale curve, strace
    time gnuplot-nox strace
    # the second test stack (tests/stacks/trixie.sh) builds its root with debootstrap
    debootstrap
)
# the Cockpit page's suite (cockpit): cockpit-ws serves it, Debian's chromium shows it
# (driven by playwright-core, from npm below); cockpit-system has the shell's pages.
# VFW_DEPS_NO_BROWSER=1 (the Debian 13 root, which runs only the integration and
# packaging suites) leaves them out.
# node and npm fetch the page's dependencies (npm ci, below; machines that have them from
# elsewhere, NodeSource's nodejs brings its own npm, keep theirs); the Debian 13 root
# builds the page from the node_modules its /src already has.
# cockpit-bridge everywhere: the packaging suite installs cockpit-virt-firewalld, which
# depends on it
PKGS+=(cockpit-bridge)
if [ "${VFW_DEPS_NO_BROWSER:-}" != 1 ]; then
    PKGS+=(cockpit-ws cockpit-system chromium)
    command -v node >/dev/null || PKGS+=(nodejs)
    command -v npm >/dev/null || PKGS+=(npm)
fi

# Names that depend on the release:
# - libFuzzer's runtime is libclang-rt-NN-dev for the clang NN that 'clang' depends on
#   (14 on Debian 12, 19 on Debian 13), only recommended by clang;
# - Debian 13 split libvirt's network driver (virtnetworkd, network.conf and the firewalld
#   zone files) out of libvirt-daemon into libvirt-daemon-driver-network, and ships the
#   modular daemons' sockets in libvirt-daemon-driver-* too.
stack_pkgs() {
    local clang_major
    clang_major=$(apt-cache depends clang 2>/dev/null | sed -n 's/^ *Depends: clang-\([0-9][0-9]*\)$/\1/p' | head -n 1)
    [ -n "$clang_major" ] && echo "libclang-rt-$clang_major-dev"
    for p in libvirt-daemon-driver-network; do
        offered "$p" && echo "$p"
    done
    return 0
}
if ! offered clang && [ "$(id -u)" = 0 ]; then
    apt_update # a fresh root (debootstrap) has no package lists yet
fi
mapfile -t STACK_PKGS < <(stack_pkgs)
PKGS+=("${STACK_PKGS[@]}")

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed ||
        missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "install-deps: missing packages ${missing[*]} and not root" >&2
        exit 1
    fi
    echo "install-deps: installing ${missing[*]}"
    policy=/usr/sbin/policy-rc.d
    had_policy=0
    [ -e "$policy" ] && { had_policy=1; cp -a "$policy" "$policy.vfw-saved"; }
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    restore() {
        if [ $had_policy = 1 ]; then mv -f "$policy.vfw-saved" "$policy"; else rm -f "$policy"; fi
    }
    trap restore EXIT
    apt_update
    apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi

if ! getent passwd libvirt-qemu >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        useradd --system --no-create-home --user-group libvirt-qemu
    else
        echo "install-deps: user 'libvirt-qemu' missing and not root" >&2
        exit 1
    fi
fi

# the Cockpit page's JavaScript dependencies, exactly as package-lock.json pins them
# (npm ci), once per change of the lockfile
cockpit_dir=$(cd "$(dirname "$0")/../cockpit" && pwd)
if [ "${VFW_DEPS_NO_BROWSER:-}" != 1 ] &&
    ! cmp -s "$cockpit_dir/package-lock.json" "$cockpit_dir/node_modules/.vfw-lock" 2>/dev/null; then
    echo "install-deps: npm ci in $cockpit_dir"
    (cd "$cockpit_dir" && npm ci --no-audit --no-fund --loglevel=error </dev/null)
    cp "$cockpit_dir/package-lock.json" "$cockpit_dir/node_modules/.vfw-lock"
fi
