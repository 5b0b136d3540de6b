#!/bin/bash
# Runs inside the trixie root (tests/stacks/trixie-inner.sh): puts libvirt's modular
# daemons virtqemud and virtnetworkd into /usr/sbin, built from the very source of the
# libvirt installed there. Debian builds them too and leaves them out of its packages
# (debian/not-installed, 11.3.0-3+deb13u3); Fedora and RHEL run them by default. They are
# the daemon program only: each loads Debian's own driver module (libvirt_driver_qemu.so,
# libvirt_driver_network.so) and uses Debian's libvirt.so.0, as libvirtd does, so the
# stack under test stays Debian's but for which daemon runs the hooks.
#
# The build (about a minute on 2 cores: no optimisation, no driver) is kept in
# /var/cache/vfw-libvirt-modular, keyed by the installed libvirt version and this script:
# rebuilt when either changes.
#
#   bash libvirt-modular.sh            (prints nothing when the daemons are current)
# Environment: VFW_TRIXIE_MIRROR (http://deb.debian.org/debian).
set -eu

MIRROR=${VFW_TRIXIE_MIRROR:-http://deb.debian.org/debian}
CACHE=/var/cache/vfw-libvirt-modular
say() { echo "stack trixie: modular daemons: $*" >&2; }

version=$(dpkg-query -W -f='${Version}' libvirt0)
upstream=${version%-*}
key="$version $(sha256sum "$0" | cut -c1-16)"
if [ "$(cat "$CACHE/key" 2>/dev/null)" = "$key" ] &&
    [ -x /usr/sbin/virtqemud ] && [ -x /usr/sbin/virtnetworkd ] &&
    cmp -s "$CACHE/virtqemud" /usr/sbin/virtqemud && cmp -s "$CACHE/virtnetworkd" /usr/sbin/virtnetworkd; then
    exit 0
fi

# what the two programs need to build; the drivers themselves are not built
DEPS="meson ninja-build gcc pkg-config python3 xsltproc libxml2-utils linux-libc-dev
      libglib2.0-dev libxml2-dev libgnutls28-dev libtirpc-dev libjson-c-dev
      libnl-3-dev libnl-route-3-dev libsasl2-dev curl xz-utils patch"
missing=$(for p in $DEPS; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' || echo "$p"; done)
if [ -n "$missing" ]; then
    say "installing the build's packages: $(echo $missing)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
fi

say "building virtqemud and virtnetworkd of libvirt $version (Debian's source, about a minute)"
rm -rf "$CACHE"
mkdir -p "$CACHE/src"
cd "$CACHE/src"
pool=$MIRROR/pool/main/libv/libvirt
curl -fsS -o orig.tar.xz "$pool/libvirt_$upstream.orig.tar.xz"
curl -fsS -o debian.tar.xz "$pool/libvirt_$version.debian.tar.xz"
tar xJf orig.tar.xz
cd "libvirt-$upstream"
tar xJf ../debian.tar.xz
# Debian's patches, in their order, as its package applies them
while read -r p _; do
    case $p in '' | '#'*) continue ;; esac
    patch -s -p1 <"debian/patches/$p"
done <debian/patches/series

# Debian's paths and the defaults that matter to a daemon (debian/rules); every optional
# feature off, as nothing of it is built into these two programs
multiarch=$(gcc -print-multiarch)
meson setup build --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
    --libdir="lib/$multiarch" --libexecdir=/usr/lib/libvirt -Drunstatedir=/run \
    --buildtype=plain -Dauto_features=disabled -Dno_git=true \
    -Ddriver_libvirtd=enabled -Ddriver_remote=enabled -Ddriver_qemu=enabled \
    -Ddriver_network=enabled -Djson_c=enabled -Dlibnl=enabled -Dsasl=enabled \
    -Dremote_default_mode=legacy -Dfirewall_backend_priority=iptables,nftables \
    -Dqemu_user=libvirt-qemu -Dqemu_group=libvirt-qemu -Ddocs=disabled -Dtests=disabled \
    -Drpath=disabled -Dnls=disabled >"$CACHE/configure.log" 2>&1 ||
    { tail -n 30 "$CACHE/configure.log" >&2; say "meson setup failed"; exit 1; }
ninja -C build src/virtqemud src/virtnetworkd >"$CACHE/build.log" 2>&1 ||
    { tail -n 30 "$CACHE/build.log" >&2; say "the build failed"; exit 1; }
install -m 755 build/src/virtqemud build/src/virtnetworkd "$CACHE/"
install -m 755 "$CACHE/virtqemud" "$CACHE/virtnetworkd" /usr/sbin/
cd /
rm -rf "$CACHE/src"
echo "$key" >"$CACHE/key"
say "built: $(/usr/sbin/virtqemud --version)"
