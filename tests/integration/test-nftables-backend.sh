#!/bin/bash
# libvirt's nftables backend (libvirt 10.4 and later, firewall_backend = "nftables" in
# network.conf; the default of Fedora 41+ and RHEL 10): libvirt's own rules live in the
# nft table 'ip libvirt_network', whose guest_input chain rejects new connections into a
# nat network's guests as its iptables rules did. Published ports on a routed network,
# a nat network converted to open (and its refusal before), an open network, reload and
# restart survival. libvirt's nftables backend adds 'tc ... action csum' to every network it
# starts, which a kernel without act_csum (as here) refuses: the sandbox's libvirtd then
# runs a tc that takes that filter as done (sandbox.sh). No <dhcp>: guests get their
# addresses from 'address ='. Registered only where libvirt has the backend
# (tests/integration/meson.build). Run by tests/sandbox/run, which sources sandbox.sh.
set -u

VFW=virt-firewalld
MAC1=52:54:00:00:70:0a
MAC2=52:54:00:00:70:0b
MAC3=52:54:00:00:70:0c

mkdir -p /etc/libvirt
sed -i '/^ *firewall_backend *=/d' /etc/libvirt/network.conf 2>/dev/null || true
echo 'firewall_backend = "nftables"' >>/etc/libvirt/network.conf
sb_start_all || tap_bail "stack did not start"

sb_net nftroute route virbr70 192.168.170 --no-dhcp || tap_bail "routed network"
sb_net nftnat nat virbr71 192.168.171 --no-dhcp || tap_bail "nat network"
sb_net nftopen open virbr72 192.168.172 --no-dhcp || tap_bail "open network"
libvirt_table() { nft list table ip libvirt_network >/dev/null 2>&1; }
tap_ok "libvirt wrote its rules with nftables (table ip libvirt_network)" libvirt_table
tap_is "and no iptables chain of libvirt's" "$(iptables-save 2>/dev/null | grep -c '^:LIBVIRT_' || true)" 0
tap_like "doctor reports libvirt's firewall backend of each network" \
    "$($VFW doctor 2>&1)" "nftroute +mode route .*libvirt rules nftables"

sb_fake_guest web01 virbr70 "$MAC1" 192.168.170.10/24 192.168.170.1 || tap_bail "fake guest web01"
sb_fake_guest nat01 virbr71 "$MAC2" 192.168.171.10/24 192.168.171.1 || tap_bail "fake guest nat01"
sb_fake_guest open01 virbr72 "$MAC3" 192.168.172.10/24 192.168.172.1 || tap_bail "fake guest open01"
mkdir -p /etc/virt-firewalld/forwards.d
cat >/etc/virt-firewalld/forwards.d/nft.conf <<'EOF2'
[web01]
forward = 8080:80/tcp; 198.51.100.1:8082:80/tcp
address = 192.168.170.10
[nat01]
forward = 8280:80/tcp
address = 192.168.171.10
[open01]
forward = 8380:80/tcp
address = 192.168.172.10
EOF2
chmod 644 /etc/virt-firewalld/forwards.d/nft.conf

tap_ok "web01 starts (routed network)" sb_domain_create web01 nftroute "$MAC1"
tap_ok "open01 starts (open network)" sb_domain_create open01 nftopen "$MAC3"
tap_ok "nat01 starts (nat network: the hook only warns)" sb_domain_create nat01 nftnat "$MAC2"
tap_is "the open network's bridge is in zone virtfw" \
    "$(firewall-cmd --get-zone-of-interface=virbr72)" virtfw

check_all() { # WHEN
    tap_like "$1: LAN -> host:8080 reaches web01 (routed)" \
        "$(sb_eventually 5 sb_probe_lan tcp 8080)" "^hello-from-web01$"
    tap_like "$1: LAN -> 198.51.100.1:8082 reaches web01 (bound)" \
        "$(sb_eventually 5 sb_probe_lan tcp 8082)" "^hello-from-web01$"
    tap_like "$1: the host -> its own address:8080 reaches web01" \
        "$(sb_eventually 5 sb_probe_host tcp 8080)" "^hello-from-web01$"
    tap_like "$1: LAN -> host:8380 reaches open01 (open network)" \
        "$(sb_eventually 5 sb_probe_lan tcp 8380)" "^hello-from-open01$"
    tap_is "$1: open01 reaches the LAN (masqueraded by virtfw-nat)" \
        "$(sb_probe_from open01 tcp 198.51.100.2 2222 2>/dev/null)" "seen-from=198.51.100.1"
}
# what a LAN server sees as a guest's source address
ip netns exec "$SB_LAN_NS" socat TCP-LISTEN:2222,reuseaddr,fork SYSTEM:'echo seen-from=$SOCAT_PEERADDR' \
    </dev/null >/dev/null 2>&1 &
echo $! >"$SB/pids/socat-lan-2222"
sleep 0.3
check_all "nftables backend"

# nat: libvirt's guest_input chain rejects the DNATed connection; convert fixes it
tap_is "nat network: the LAN client is refused (libvirt's guest_input)" "$(sb_probe_lan tcp 8280)" ""
tap_like "doctor names the fix" "$($VFW doctor 2>&1)" "virt-firewalld network convert nftnat"
tap_ok "network convert nftnat --restart" $VFW network convert nftnat --restart
ip link set vg-nat01 master virbr71 up
tap_ok "sync publishes nat01's port" $VFW sync
tap_like "converted: LAN -> host:8280 reaches nat01" "$(sb_eventually 5 sb_probe_lan tcp 8280)" \
    "^hello-from-nat01$"

sb_through_restarts check_all

for d in web01 nat01 open01; do tap_ok "$d stops" sb_domain_destroy "$d"; done
tap_is "nothing of ours left (runtime forward-ports)" \
    "$(firewall-cmd --policy=virtfw-pub --list-forward-ports)" ""
tap_ok "network revert nftnat --restart" $VFW network revert nftnat --restart
tap_done
