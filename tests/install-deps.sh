#!/bin/bash
# Installs every Debian package the build and the test suites need, as root, without
# starting any service in the root namespace (policy-rc.d answers 101 during the install).
# Also creates the user 'libvirt-qemu', without which libvirtd's qemu driver refuses to
# initialise (Debian's libvirt-daemon-system would create it; we do not install that
# package: we only need its firewalld zone files, which the harness extracts).
set -eu

PKGS=(
    # build
    meson ninja-build pkg-config gcc libc6-dev libglib2.0-dev libglib2.0-dev-bin
    libxml2-dev libvirt-dev libxml2-utils clang-format
    # the real stack the integration suites run
    dbus firewalld nftables iptables libvirt-daemon libvirt-daemon-driver-qemu
    libvirt-clients dnsmasq-base iproute2 socat qemu-system-x86 busybox procps
    util-linux kmod man-db groff-base bash-completion
    # fuzz suite (libFuzzer ships in libclang-rt, only recommended by clang) and sanitize
    clang libclang-rt-14-dev valgrind
    # packaging suite: RPM spec parse/build, Debian package build, Ansible example
    rpm dpkg-dev debhelper ansible-core
    # benchmark (bench/run): GNU time for peak RSS, gnuplot for the scale curve, strace
    time gnuplot-nox strace
)

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
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
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
