#!/bin/bash
# The README's demo: installs what is missing, builds, and inside a throwaway sandbox
# (private network + mount namespaces: nothing touches this machine's network or /etc)
# runs the real stack end to end: firewalld, libvirtd running our installed hooks, a
# guest whose port 8080 is published through firewalld, reached from a LAN client,
# still reached after `firewall-cmd --reload`, gone after the guest stops.
set -eu
# shellcheck source=../tests/need-root.sh
. "$(dirname "$0")/../tests/need-root.sh"
vfw_need_root "$0" "$@"
cd "$(dirname "$0")/.."
bash tests/install-deps.sh
[ -d build-demo ] || meson setup build-demo --prefix=/usr >/dev/null
meson compile -C build-demo >/dev/null
VFW_BUILD_DIR=$PWD/build-demo VFW_SOURCE_DIR=$PWD exec tests/sandbox/run demo/demo-inner.sh
