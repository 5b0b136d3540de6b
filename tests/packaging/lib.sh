# shellcheck shell=bash
# Shared by the packaging tests that install the Debian package inside a sandbox
# (test-deb.sh, test-ansible.sh). Sourced; see the functions.

# pkg_skip REASON: a missing dependency. "1..0 # SKIP", exit $VFW_SKIP_EXIT (default
# 77); with CI=true a failure (as tests/sandbox/run does).
pkg_skip() {
    if [ "${CI:-}" = true ]; then
        echo "Bail out! missing dependency: $*"
        exit 1
    fi
    echo "1..0 # SKIP $*"
    exit "${VFW_SKIP_EXIT:-77}"
}

# pkg_outer SCRIPT [PROGRAM...]: outside the sandbox. Checks root and the programs,
# builds the .deb (or reuses the suite's earlier build of the same tree), then runs
# SCRIPT inside a sandbox WITHOUT VFW_BUILD_DIR (nothing of the build is installed
# there, only the package) with VFW_DEB and VFW_DEB_SECS set. Does not return.
pkg_outer() {
    local script=$1 dir missing="" b deb t0
    shift
    dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    [ "$(id -u)" = 0 ] || pkg_skip "needs root (dpkg -i inside the sandbox)"
    for b in dpkg-buildpackage dh dpkg-deb dpkg-parsechangelog meson ninja "$@"; do
        command -v "$b" >/dev/null 2>&1 || missing="$missing $b"
    done
    [ -z "$missing" ] || pkg_skip "missing programs:$missing (tests/install-deps.sh installs them)"
    t0=$(date +%s)
    deb=$(bash "$dir/build-deb.sh" "${VFW_SOURCE_DIR:-$dir/../..}" "${VFW_PKG_WORKDIR:-/tmp/vfw-packaging}") || {
        echo "Bail out! building the Debian package failed (log: ${VFW_PKG_WORKDIR:-/tmp/vfw-packaging}/build.log)"
        exit 1
    }
    export VFW_DEB=$deb VFW_DEB_SECS=$(($(date +%s) - t0))
    unset VFW_BUILD_DIR
    exec bash "$dir/../sandbox/run" "$script"
}

# Inside the sandbox ----------------------------------------------------------------

# pkg_isolate: maintainer scripts must reach nothing outside the sandbox. Hides the
# host's systemd (systemctl and deb-systemd-invoke would talk to its PID 1 through
# /run/systemd) behind a tmpfs in the sandbox's mount namespace, and makes
# policy-rc.d (in the /usr overlay) refuse every service action.
pkg_isolate() {
    if [ -d /run/systemd ]; then
        mount -t tmpfs -o mode=755 vfw-sandbox-tmpfs /run/systemd || tap_bail "hiding /run/systemd"
    fi
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d ||
        tap_bail "policy-rc.d"
}

# pkg_host_view: what must not change on the host, read in the host's (outer) mount
# namespace: its dpkg database and the package's paths
pkg_host_view() {
    nsenter --mount="/proc/$SB_OUTER_PID/ns/mnt" --root="/proc/$SB_OUTER_PID/root" --wd=/ sh -c '
        sha256sum /var/lib/dpkg/status | cut -c1-64
        dpkg-query -W -f="\${db:Status-Status}\n" virt-firewalld 2>/dev/null || echo not-installed
        for p in /usr/bin/virt-firewalld /usr/libexec/virt-firewalld-hook \
            /etc/libvirt/hooks/qemu.d/virt-firewalld /usr/lib/firewalld/zones/virtfw.xml \
            /etc/virt-firewalld /var/lib/virt-firewalld /root/.ansible; do
            if [ -e "$p" ] || [ -L "$p" ]; then echo "$p present"; else echo "$p absent"; fi
        done'
}

# pkg_installed_version: "VERSION STATUS" of the package in dpkg's database, or nothing
pkg_installed_version() {
    dpkg-query -W -f='${Version} ${db:Status-Status}' virt-firewalld 2>/dev/null
}
