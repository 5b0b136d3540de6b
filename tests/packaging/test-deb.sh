#!/bin/bash
# The Debian package on the real stack. Outside the sandbox: build the .deb
# (dpkg-buildpackage from a clean copy of the source tree, tests/packaging/build-deb.sh).
# Inside a sandbox (tests/sandbox/run WITHOUT VFW_BUILD_DIR: nothing of the build is
# installed, only the package): its contents; `dpkg -i` (dpkg's database lives in the
# /var overlay); a real firewalld that loads our policies from /usr/lib/firewalld and a
# real libvirtd that finds the hooks at their installed place publish a guest's port to
# the LAN client; an upgrade keeps the admin's configuration and the live forward;
# `dpkg --purge` removes every file of ours and nothing of the admin's. Last: the host's
# own dpkg database and paths are untouched. TAP.
#
# Environment (from meson): VFW_SOURCE_DIR, VFW_PKG_WORKDIR (where the .deb is built
# and kept), VFW_SANDBOX_CACHE. Missing tools: "1..0 # SKIP" (exit $VFW_SKIP_EXIT,
# default 77); with CI=true a failure.
set -u

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
declare -F sb_start_all >/dev/null || pkg_outer "${BASH_SOURCE[0]}"

# ------------------------------------------------------------------------------------
# inside the sandbox
# ------------------------------------------------------------------------------------
MAC1=52:54:00:00:20:0a
DEB=$VFW_DEB
V1=$(dpkg-deb -f "$DEB" Version)
V2=$V1+vfwtest1 # sorts after V1: the upgrade
FWD=virtfw-pub
RULE='port=8080:proto=tcp:toport=80:toaddr=192.168.110.10'
rules() { firewall-cmd ${2:-} --policy="$1" --list-forward-ports 2>/dev/null; }
has_rule() { rules "$FWD" "${1:-}" | grep -qxF "$RULE"; }
# _probe_within SECS PROTO PORT: probe from the LAN client until it answers; sets answer
_probe_within() {
    local end=$((SECONDS + $1))
    while :; do
        answer=$(sb_probe_lan "$2" "$3" 2>/dev/null) && return 0
        [ $SECONDS -lt "$end" ] || return 1
        sleep 0.2
    done
}
absent() { # PATH...: none exists (links included)
    local p rc=0
    for p; do
        if [ -e "$p" ] || [ -L "$p" ]; then echo "still there: $p"; rc=1; fi
    done
    return $rc
}

host_before=$(pkg_host_view)

pkg_isolate

# --- the package -----------------------------------------------------------------------
tap_pass "dpkg-buildpackage -us -uc -b built $(basename "$DEB") (${VFW_DEB_SECS}s, unit suite included)"
listing=$(dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|')
EXPECTED="/usr/bin/virt-firewalld
/usr/libexec/virt-firewalld-hook
/etc/libvirt/hooks/qemu.d/virt-firewalld
/etc/libvirt/hooks/network.d/virt-firewalld
/etc/virt-firewalld/virt-firewalld.conf
/usr/lib/firewalld/zones/virtfw.xml
/usr/lib/firewalld/policies/virtfw-forward.xml
/usr/lib/firewalld/policies/virtfw-host.xml
/usr/lib/firewalld/policies/virtfw-nat.xml
/usr/lib/firewalld/policies/virtfw-pub.xml
/usr/lib/firewalld/policies/virtfw-pub-host.xml
/usr/lib/firewalld/zones/virtfw-local.xml
/usr/lib/firewalld/ipsets/virtfw-local.xml
/usr/lib/firewalld/ipsets/virtfw-local6.xml
/lib/systemd/system/virt-firewalld-sync.service
/lib/systemd/system/virt-firewalld-watch.service
/usr/lib/tmpfiles.d/virt-firewalld.conf
/usr/share/bash-completion/completions/virt-firewalld
/usr/share/man/man5/virt-firewalld.conf.5.gz
/usr/share/man/man8/virt-firewalld.8.gz"
missing=$(for p in $EXPECTED; do grep -qxF "$p" <<<"$listing" || echo "$p"; done)
tap_is "dpkg-deb -c lists every expected file" "$missing" ""
tap_ok "dpkg-deb -c lists the directory /etc/virt-firewalld/forwards.d/" \
    grep -qxF /etc/virt-firewalld/forwards.d/ <<<"$listing"
extra=$(grep -v '/$' <<<"$listing" | grep -vxF "$EXPECTED" | grep -v '^/usr/share/doc/virt-firewalld/')
tap_is "the package holds nothing else (but its docs)" "$extra" ""
tap_is "conffiles: the main configuration" \
    "$(dpkg-deb --ctrl-tarfile "$DEB" | tar -xOf - ./conffiles)" /etc/virt-firewalld/virt-firewalld.conf
tap_like "Depends: firewalld, libvirt-daemon" "$(dpkg-deb -f "$DEB" Depends)" \
    "^firewalld, libvirt-daemon, "

CDEB=$(ls "$(dirname "$DEB")"/cockpit-virt-firewalld_*_all.deb 2>/dev/null | head -n 1)
tap_ok "dpkg-buildpackage also built cockpit-virt-firewalld (Architecture: all)" test -f "$CDEB"
clisting=$(dpkg-deb -c "$CDEB" | awk '{ print $6 }' | sed 's|^\./|/|' | grep -v '/$' |
    grep -v '^/usr/share/doc/cockpit-virt-firewalld/' | sort)
tap_is "cockpit-virt-firewalld holds the page and nothing else (but its docs)" "$clisting" \
    "$(printf '/usr/share/cockpit/virt-firewalld/%s\n' index.html index.js manifest.json po.de.js virt-firewalld.css)"
tap_is "cockpit-virt-firewalld: Depends: cockpit-bridge, virt-firewalld of this build" \
    "$(dpkg-deb -f "$CDEB" Depends)" "cockpit-bridge, virt-firewalld (>= $V1)"

# --- install ---------------------------------------------------------------------------
sb_time t_install dpkg -i "$DEB" >"$SB/dpkg-install.log" 2>&1 </dev/null
rc=$?
tap_is "dpkg -i installs the package (${t_install} ms)" "$rc" 0 || tap_diag "$(cat "$SB/dpkg-install.log")"
tap_is "dpkg's database (in the sandbox) has it installed" "$(pkg_installed_version)" "$V1 installed"
tap_is "the qemu hook link points to the hook binary" \
    "$(readlink -f /etc/libvirt/hooks/qemu.d/virt-firewalld)" /usr/libexec/virt-firewalld-hook
tap_like "the installed binary runs" "$(virt-firewalld version 2>&1)" "${V1%-*}"
tap_ok "the state directory exists (postinst ran systemd-tmpfiles)" test -d /run/virt-firewalld
sb_time t_cinstall dpkg -i "$CDEB" >"$SB/dpkg-cockpit.log" 2>&1 </dev/null
tap_is "dpkg -i installs cockpit-virt-firewalld next to it (${t_cinstall} ms)" "$?" 0 ||
    tap_diag "$(cat "$SB/dpkg-cockpit.log")"
tap_is "its manifest puts 'Published ports' into Cockpit's menu" "$(python3 -c '
import json; print(json.load(open("/usr/share/cockpit/virt-firewalld/manifest.json"))["menu"]["index"]["label"])')" \
    "Published ports"
tap_ok "dpkg --purge cockpit-virt-firewalld removes the page" \
    sh -c 'dpkg --purge cockpit-virt-firewalld >/dev/null 2>&1 && ! test -e /usr/share/cockpit/virt-firewalld'

sb_start_all || tap_bail "stack did not start"
tap_like "firewalld loaded our policies from /usr/lib/firewalld" "$(firewall-cmd --get-policies)" \
    "virtfw-forward.*virtfw-host.*virtfw-nat"
tap_like "firewalld loaded our zone" "$(firewall-cmd --get-zones)" "virtfw"

sb_net routenet route virbr10 192.168.110 --host "$MAC1=10" || tap_bail "network"
sb_fake_guest web01 virbr10 "$MAC1" 192.168.110.10/24 192.168.110.1 || tap_bail "fake guest"
cat >/etc/virt-firewalld/forwards.d/web01.conf <<'EOF'
# published ports of web01 (address: the DHCP reservation for its MAC)
[web01]
forward = 8080:80/tcp
EOF
chmod 644 /etc/virt-firewalld/forwards.d/web01.conf
tap_ok "virt-firewalld check accepts the drop-in" virt-firewalld check /etc/virt-firewalld/forwards.d/web01.conf
# the admin's own settings in the conffile (must survive the upgrade)
printf '\n[hook]\non-error = fail\ndbus-timeout = 7\n' >>/etc/virt-firewalld/virt-firewalld.conf
tap_ok "virt-firewalld check accepts the edited main configuration" virt-firewalld check
conf_sum=$(cat /etc/virt-firewalld/virt-firewalld.conf /etc/virt-firewalld/forwards.d/web01.conf | sha256sum)

tap_ok "virsh create web01: libvirtd runs the installed hook" sb_domain_create web01 routenet "$MAC1"
tap_like "the LAN client reaches web01 through host:8080" "$(sb_probe_lan tcp 8080)" "^hello-from-web01$"
tap_ok "the rule is in the runtime policy" has_rule
tap_ok "and in the permanent one" has_rule --permanent

# --- upgrade: the same package as version V2 ----------------------------------------
rm -rf "$SB/deb2" && dpkg-deb -R "$DEB" "$SB/deb2" &&
    sed -i "s/^Version: .*/Version: $V2/" "$SB/deb2/DEBIAN/control" &&
    dpkg-deb -b --root-owner-group "$SB/deb2" "$SB/virt-firewalld_v2.deb" >/dev/null ||
    tap_bail "repacking the package as $V2"
sb_time t_upgrade dpkg -i "$SB/virt-firewalld_v2.deb" >"$SB/dpkg-upgrade.log" 2>&1 </dev/null
rc=$?
tap_is "dpkg -i of $V2 over $V1 with web01 running (${t_upgrade} ms)" "$rc" 0 ||
    tap_diag "$(cat "$SB/dpkg-upgrade.log")"
tap_is "version $V2 installed" "$(pkg_installed_version)" "$V2 installed"
tap_ok "no configuration file prompt" sh -c "! grep -q 'Configuration file' '$SB/dpkg-upgrade.log'"
tap_is "the admin's configuration is kept" \
    "$(cat /etc/virt-firewalld/virt-firewalld.conf /etc/virt-firewalld/forwards.d/web01.conf | sha256sum)" "$conf_sum"
# postinst's `firewall-cmd --reload` drops the runtime zone bindings of libvirt's
# bridges, which libvirt re-adds ~1 s later: allow the forward 5 s to answer again
answer=""
sb_time t_gap _probe_within 5 tcp 8080
tap_like "the live forward still answers after postinst's firewalld reload (${t_gap} ms)" "$answer" \
    "^hello-from-web01$"
tap_ok "the rule is still in the runtime policy" has_rule
tap_ok "virsh destroy web01: the upgraded hook removes the rule" sb_domain_destroy web01
tap_is "port 8080 closed" "$(sb_probe_lan tcp 8080)" ""
tap_ok "virsh create web01 again" sb_domain_create web01 routenet "$MAC1"
tap_like "published again by the upgraded hook" "$(sb_probe_lan tcp 8080)" "^hello-from-web01$"

# --- purge, with web01 running and an admin's rule of its own ---------------------------
firewall-cmd -q --zone=public --add-port=2222/tcp && firewall-cmd -q --permanent --zone=public --add-port=2222/tcp
sb_time t_purge dpkg --purge virt-firewalld >"$SB/dpkg-purge.log" 2>&1 </dev/null
rc=$?
tap_is "dpkg --purge (${t_purge} ms)" "$rc" 0
tap_diag "$(grep 'virt-firewalld:' "$SB/dpkg-purge.log")"
tap_like "postrm reports what it removed" "$(cat "$SB/dpkg-purge.log")" \
    "moved /etc/firewalld/policies/virtfw-forward.xml.*removed /var/lib/virt-firewalld"
tap_is "dpkg's database: not installed" "$(pkg_installed_version)" ""
tap_ok "the hook links are gone" absent /etc/libvirt/hooks/qemu.d/virt-firewalld \
    /etc/libvirt/hooks/network.d/virt-firewalld /usr/libexec/virt-firewalld-hook /usr/bin/virt-firewalld
tap_ok "our zone, policies and ipsets are gone (/usr/lib/firewalld and firewalld's copies in /etc)" absent \
    /usr/lib/firewalld/zones/virtfw{,-local}.xml /usr/lib/firewalld/policies/virtfw-{forward,host,nat,pub,pub-host}.xml \
    /etc/firewalld/zones/virtfw{,-local}.xml /etc/firewalld/policies/virtfw-{forward,host,nat,pub,pub-host}.xml \
    /usr/lib/firewalld/ipsets/virtfw-local{,6}.xml /etc/firewalld/ipsets/virtfw-local{,6}.xml
tap_ok "configuration, ledger and state are gone" absent /etc/virt-firewalld /var/lib/virt-firewalld \
    /lib/systemd/system/virt-firewalld-{sync,watch}.service /usr/lib/tmpfiles.d/virt-firewalld.conf
tap_is "firewalld still runs" "$(firewall-cmd --state 2>&1)" running
tap_ok "firewalld no longer has our policies" sh -c '! firewall-cmd --get-policies | grep -q virtfw'
tap_is "web01's port is closed" "$(sb_probe_lan tcp 8080)" ""
tap_like "the admin's own port in zone public is untouched (runtime)" \
    "$(firewall-cmd --zone=public --list-ports)" "(^| )2222/tcp( |$)"
tap_like "the admin's own port in zone public is untouched (permanent)" \
    "$(firewall-cmd --permanent --zone=public --list-ports)" "(^| )2222/tcp( |$)"

# --- the host ----------------------------------------------------------------------------
tap_is "the host's dpkg database and paths are untouched" "$(pkg_host_view)" "$host_before"
tap_diag "dpkg -i ${t_install} ms, upgrade ${t_upgrade} ms, purge ${t_purge} ms"
tap_done
