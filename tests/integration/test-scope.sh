#!/bin/bash
# What a published port matches, on the real stack: a forward without a host address is
# published on the host's own addresses, as `docker -p` is, and on nothing else. The
# host's and the guests' connections to a remote server on the same port, and traffic
# routed through the host to another guest, reach their real destination; the address set
# follows the host; shifted ranges map port by port; records of an older version are
# replaced by `sync --offline`. Run by tests/sandbox/run, which sources sandbox.sh.
# Forwards without a host address are forward-ports of virtfw-pub / virtfw-pub-host, whose
# egress zone virtfw-local is bound to the ipsets of the host's addresses.
set -u
declare -F sb_start_all >/dev/null || exec "$(dirname "$0")/../sandbox/run" "$0" "$@"

FWD=virtfw-forward
HOST=virtfw-host
PUB=virtfw-pub
PUBHOST=virtfw-pub-host
MAC_A=52:54:00:00:20:0a
MAC_B=52:54:00:00:20:0b
LAN_EXTRA=198.51.100.7

rules() { # POLICY [--permanent]: rich rules, then forward-ports
    firewall-cmd ${2:-} --policy="$1" --list-rich-rules
    firewall-cmd ${2:-} --policy="$1" --list-forward-ports
}
everything() { # all our policies, runtime and permanent
    local p
    for p in $FWD $HOST $PUB $PUBHOST; do rules $p; rules $p --permanent; done
}
entries() { firewall-cmd ${2:-} --ipset="$1" --get-entries; }
has_entry() { entries "$@" | grep -qxF "$3"; }
entry_in_both() { has_entry virtfw-local "" "$1" && has_entry virtfw-local --permanent "$1"; }
entry_in_neither() { ! has_entry virtfw-local "" "$1" && ! has_entry virtfw-local --permanent "$1"; }
lan_answers() { [ "$(sb_probe_lan tcp 8080 "$1" 2>/dev/null)" = "hello-from-web01" ]; }
unscoped() { # POLICY [--permanent]: our forward rules without a destination
    rules "$@" | grep forward-port | grep -v ' destination ' || true
}

sb_start_all || tap_bail "stack did not start"
sb_net scopenet route virbr20 192.168.120 --ipv6 fd00:120 \
    --host "$MAC_A=10" --host "$MAC_B=11" || tap_bail "network"
sb_fake_guest web01 virbr20 "$MAC_A" 192.168.120.10/24 192.168.120.1 \
    fd00:120::10/64 fd00:120::1 || tap_bail "fake guest web01"
sb_fake_guest db01 virbr20 "$MAC_B" 192.168.120.11/24 192.168.120.1 \
    fd00:120::11/64 fd00:120::1 || tap_bail "fake guest db01"
# web01's guest ports 80 and 81 answer differently: a shifted range must keep them apart
sb_guest_serve web01 tcp 81 web01-port-81 && sb_guest_serve web01 udp 81 web01-port-81 ||
    tap_bail "servers on 81"
# db01 serves 8080 itself; the LAN host runs its own server on 8080
sb_guest_serve db01 tcp 8080 && sb_guest_serve lan tcp 8080 hello-from-lan-server ||
    tap_bail "servers on 8080"

mkdir -p /etc/virt-firewalld/forwards.d
cat >/etc/virt-firewalld/forwards.d/web01.conf <<'EOF'
[web01]
forward = 8080:80/tcp; 9000-9001:80-81/tcp; 9100-9101:80-81/udp; 8086:80/tcp; 8085:80/tcp; 8087:80/tcp
address6 = fd00:120::10
EOF
chmod 644 /etc/virt-firewalld/forwards.d/web01.conf

tap_ok "virsh create web01" sb_domain_create web01 scopenet "$MAC_A"
tap_ok "virsh create db01 (no forwards)" sb_domain_create db01 scopenet "$MAC_B"

# --- the set of the host's addresses --------------------------------------------------
for a in "$SB_HOST_IP" "$SB_HOST2_IP" 192.168.120.1; do
    tap_ok "ipset virtfw-local holds $a (runtime and permanent)" entry_in_both "$a"
done
tap_ok "ipset virtfw-local6 holds $SB_HOST_IP6 (permanent)" \
    has_entry virtfw-local6 --permanent "$SB_HOST_IP6"
tap_is "no loopback or link-local address in the sets" \
    "$( (entries virtfw-local; entries virtfw-local6) | grep -ci '^127\.\|^169\.254\.\|^fe80:\|^::1$')" 0
tap_is "no unscoped rule in $FWD or $HOST" "$(unscoped $FWD)$(unscoped $HOST --permanent)" ""
tap_ok "web01's forward is a forward-port of $PUB and $PUBHOST (runtime and permanent)" sh -c "
    for p in $PUB $PUBHOST; do for k in '' --permanent; do
        firewall-cmd \$k --policy=\$p --list-forward-ports | grep -qxF 'port=8080:proto=tcp:toport=80:toaddr=192.168.120.10' || exit 1
    done; done"
tap_ok "8085-8087 -> 80: one forward-port of a port range in $PUB and $PUBHOST (runtime and permanent)" sh -c "
    for p in $PUB $PUBHOST; do for k in '' --permanent; do
        firewall-cmd \$k --policy=\$p --list-forward-ports >$SB/fp || exit 1
        grep -qxF 'port=8085-8087:proto=tcp:toport=80:toaddr=192.168.120.10' $SB/fp || exit 1
        ! grep -q '^port=808[5-7]:' $SB/fp || exit 1
    done; done"
tap_is "the record holds the joined forward, once per family" \
    "$(cat /run/virt-firewalld/guests/*.state | grep -c '^spec=8085-8087:80/tcp$')" 2
tap_like "status lists it as one forward per family" "$(virt-firewalld status 2>&1)" \
    "web01 +tcp +\*:8085-8087 +192\.168\.120\.10:80 +yes yes +ok"
tap_like "$PUB dispatches on the zone of the host's addresses" \
    "$(firewall-cmd --info-policy=$PUB)" "egress-zones: virtfw-local"
tap_like "zone virtfw-local is bound to the address sets" \
    "$(firewall-cmd --info-zone=virtfw-local)" "sources: ipset:virtfw-local ipset:virtfw-local6"

# --- what the port catches --------------------------------------------------------------
tap_like "LAN -> host:8080 reaches web01" "$(sb_probe_lan tcp 8080)" "^hello-from-web01$"
tap_like "LAN -> [host]:8080 reaches web01 (IPv6)" \
    "$(sb_probe_lan tcp 8080 "$SB_HOST_IP6")" "^hello-from-web01$"
for port in 8085 8086 8087; do
    tap_like "LAN -> host:$port (of the joined range) reaches web01's port 80" \
        "$(sb_probe_lan tcp $port)" "^hello-from-web01$"
done
tap_like "LAN -> [host]:8086 reaches web01's port 80 (IPv6)" \
    "$(sb_probe_lan tcp 8086 "$SB_HOST_IP6")" "^hello-from-web01$"
tap_is "LAN -> host:8088 (next to the range, not declared) does not answer" \
    "$(sb_probe_lan tcp 8088)" ""
tap_like "second LAN -> the host's other address:8080 reaches web01" \
    "$(sb_probe_lan2 tcp 8080)" "^hello-from-web01$"
tap_like "the host -> its own address:8080 reaches web01" \
    "$(sb_probe_host tcp 8080 "$SB_HOST_IP")" "^hello-from-web01$"
tap_like "the host -> its own IPv6 address:8080 reaches web01" \
    "$(sb_probe_host tcp 8080 "$SB_HOST_IP6")" "^hello-from-web01$"
tap_like "the host -> the remote server 198.51.100.2:8080 reaches that server" \
    "$(sb_probe_host tcp 8080 "$SB_LAN_IP")" "^hello-from-lan-server$"
tap_like "the host -> the remote server over IPv6 reaches that server" \
    "$(sb_probe_host tcp 8080 "$SB_LAN_IP6")" "^hello-from-lan-server$"
tap_like "a guest -> the remote server:8080 reaches that server" \
    "$(sb_probe_from db01 tcp "$SB_LAN_IP" 8080)" "^hello-from-lan-server$"
tap_like "a guest -> the remote server over IPv6 reaches that server" \
    "$(sb_probe_from db01 tcp "$SB_LAN_IP6" 8080)" "^hello-from-lan-server$"
tap_like "web01 itself -> the remote server:8080 reaches that server" \
    "$(sb_probe_from web01 tcp "$SB_LAN_IP" 8080)" "^hello-from-lan-server$"
tap_like "routed transit LAN -> db01's address:8080 reaches db01" \
    "$(sb_probe_lan tcp 8080 192.168.120.11)" "^hello-from-db01$"
tap_like "routed transit over IPv6 reaches db01" \
    "$(sb_probe_lan tcp 8080 fd00:120::11)" "^hello-from-db01$"
tap_like "another guest -> the host's address:8080 reaches web01" \
    "$(sb_probe_from db01 tcp "$SB_HOST_IP" 8080)" "^hello-from-web01$"
tap_like "another guest -> its gateway (a host address):8080 reaches web01" \
    "$(sb_probe_from db01 tcp 192.168.120.1 8080)" "^hello-from-web01$"

# hairpin: the guest reaches its own published port and sees the host as its peer. With
# br_netfilter's bridge-nf-call-iptables (the sandbox's kernel has it on) a frame DNATed
# back to the port it came from is bridged, not routed, and the bridge does not send it
# back out that port; hosts without br_netfilter route it. Per network namespace.
tap_ok "hairpin rule for web01 in $FWD (runtime and permanent)" sh -c "
    firewall-cmd --policy=$FWD --list-rich-rules | grep -qxF 'rule family=\"ipv4\" source address=\"192.168.120.10\" destination address=\"192.168.120.10\" masquerade' &&
    firewall-cmd --permanent --policy=$FWD --list-rich-rules | grep -qxF 'rule family=\"ipv4\" source address=\"192.168.120.10\" destination address=\"192.168.120.10\" masquerade'"
brnf=$(sysctl -n net.bridge.bridge-nf-call-iptables 2>/dev/null || echo absent)
brnf6=$(sysctl -n net.bridge.bridge-nf-call-ip6tables 2>/dev/null || echo absent)
tap_diag "net.bridge.bridge-nf-call-ip{,6}tables in the sandbox: $brnf $brnf6"
if [ "$brnf" != absent ]; then
    sysctl -qw net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0
fi
tap_like "hairpin: web01 -> the host's address:8080 reaches web01 itself" \
    "$(sb_probe_from web01 tcp "$SB_HOST_IP" 8080)" "^hello-from-web01$"
tap_like "hairpin: web01 -> its gateway:8080 reaches web01 itself" \
    "$(sb_probe_from web01 tcp 192.168.120.1 8080)" "^hello-from-web01$"
# the masquerade matches the address the forward publishes to; libvirt's RA gave the fake
# guest a SLAAC address too, which its kernel prefers as the source: take it away
ip netns exec "$(sb_ns web01)" sysctl -qw net.ipv6.conf.eth0.accept_ra=0
ip -n "$(sb_ns web01)" -6 addr flush dev eth0 scope global dynamic
tap_like "hairpin: web01 -> the host's IPv6 address:8080 reaches web01 itself" \
    "$(sb_probe_from web01 tcp "$SB_HOST_IP6" 8080)" "^hello-from-web01$"
if [ "$brnf" != absent ]; then
    sysctl -qw net.bridge.bridge-nf-call-iptables="$brnf" net.bridge.bridge-nf-call-ip6tables="$brnf6"
fi

# --- an open network (firewalld's: zone virtfw, NAT by virtfw-nat) ------------------------
MAC_C=52:54:00:00:21:0a
sb_net opennet open virbr21 192.168.121 --host "$MAC_C=10" || tap_bail "open network"
sb_fake_guest app01 virbr21 "$MAC_C" 192.168.121.10/24 192.168.121.1 || tap_bail "fake guest app01"
cat >/etc/virt-firewalld/forwards.d/app01.conf <<'EOF2'
[app01]
forward = 8181:80/tcp
EOF2
chmod 644 /etc/virt-firewalld/forwards.d/app01.conf
tap_ok "virsh create app01 on the open network" sb_domain_create app01 opennet "$MAC_C"
tap_ok "the open network's bridge address is in the set" entry_in_both 192.168.121.1
tap_like "LAN -> host:8181 reaches app01 (open network)" "$(sb_probe_lan tcp 8181)" \
    "^hello-from-app01$"
tap_like "app01 -> the remote server:8080 reaches that server (masqueraded, not DNATed)" \
    "$(sb_probe_from app01 tcp "$SB_LAN_IP" 8080)" "^hello-from-lan-server$"
tap_like "app01 -> the host's address:8080 reaches web01 on the routed network" \
    "$(sb_probe_from app01 tcp "$SB_HOST_IP" 8080)" "^hello-from-web01$"
tap_like "web01 -> the remote server:8181 is not caught by app01's forward" \
    "$(sb_guest_serve lan tcp 8181 hello-from-lan-8181 && sb_probe_from web01 tcp "$SB_LAN_IP" 8181)" \
    "^hello-from-lan-8181$"
tap_ok "virsh destroy app01" sb_domain_destroy app01
sb_net_destroy opennet
tap_ok "the open network's address left the set when it stopped" entry_in_neither 192.168.121.1

# --- shifted ranges, port by port ---------------------------------------------------------
tap_like "9000 -> guest port 80 (tcp)" "$(sb_probe_lan tcp 9000)" "^hello-from-web01$"
tap_like "9001 -> guest port 81 (tcp), not 80" "$(sb_probe_lan tcp 9001)" "^web01-port-81$"
tap_like "9100 -> guest port 80 (udp)" "$(sb_probe_lan udp 9100)" "^hello-from-web01$"
tap_like "9101 -> guest port 81 (udp), not 80" "$(sb_probe_lan udp 9101)" "^web01-port-81$"
tap_like "9001 over IPv6 -> guest port 81" "$(sb_probe_lan tcp 9001 "$SB_HOST_IP6")" \
    "^web01-port-81$"
tap_is "one forward-port per port of the shifted ranges (runtime, both families)" \
    "$(rules $PUB | grep -c '^port=9[01]0[01]:')" 8

# --- the set follows the host ---------------------------------------------------------------
out=$(virt-firewalld status 2>&1); rc=$?
tap_is "status: the set holds the host's addresses, exit 0" "$rc" 0
tap_like "status shows the set" "$out" "virtfw-local +[0-9. ]*$SB_HOST_IP"
ip addr add 198.51.100.8/24 dev "$SB_LAN_IF"
out=$(virt-firewalld status 2>&1); rc=$?
tap_is "status: an address no set holds yet makes it stale, exit 1" "$rc" 1
tap_like "status says the set is stale, and what the host has" "$out" \
    "virtfw-local +stale: holds \[[^]]*\], the host has \[[^]]*198.51.100.8"
tap_is "status --json says so too" "$(virt-firewalld status --json 2>/dev/null | python3 -c '
import json, sys
print([s["stale"] for s in json.load(sys.stdin)["host_addresses"] if s["ipset"] == "virtfw-local"])')" \
    "[True]"
out=$(virt-firewalld doctor 2>&1); rc=$?
tap_is "doctor: a stale set is a problem (exit 1)" "$rc" 1
tap_like "doctor names the stale set, what it holds and what the host has" "$out" \
    "FAIL ipset 'virtfw-local' \(runtime\) holds the host's addresses: stale: holds \[[^]]*\], the host has \[[^]]*198.51.100.8"
tap_like "doctor says how hairpin behaves here" "$out" "info hairpin: br_netfilter (on|off): "
virt-firewalld watch 2>"$SB/watch.log" &
echo $! >"$SB/pids/watch"
tap_ok "virt-firewalld watch runs" sb_eventually 3 grep -q "following" "$SB/watch.log"
ip addr add "$LAN_EXTRA/24" dev "$SB_LAN_IF"
tap_ok "a new address on the uplink is in the set within 2 s (runtime and permanent)" \
    sb_eventually 2 entry_in_both "$LAN_EXTRA"
tap_ok "the LAN client reaches web01 on the new address within 2 s" \
    sb_eventually 2 lan_answers "$LAN_EXTRA"
ip addr del "$LAN_EXTRA/24" dev "$SB_LAN_IF"
ip addr del 198.51.100.8/24 dev "$SB_LAN_IF"
tap_ok "the removed address leaves the set within 2 s (runtime and permanent)" \
    sb_eventually 2 entry_in_neither "$LAN_EXTRA"
tap_ok "status: the set is current again" sb_eventually 2 virt-firewalld status
tap_like "doctor: the sets hold the host's addresses (runtime and permanent)" \
    "$(virt-firewalld doctor 2>&1)" "ok +ipset 'virtfw-local6' \(permanent\) holds the host's addresses: [^
]*$SB_HOST_IP6"
firewall-cmd -q --reload
tap_ok "after a reload the set holds the host's addresses" entry_in_both "$SB_HOST_IP"
tap_like "after a reload LAN -> host:8080 reaches web01" "$(sb_eventually 5 sb_probe_lan tcp 8080)" \
    "^hello-from-web01$"
tap_like "after a reload the host -> remote:8080 still reaches the remote server" \
    "$(sb_eventually 5 sb_probe_host tcp 8080 "$SB_LAN_IP")" "^hello-from-lan-server$"
kill "$(cat "$SB/pids/watch")"

# --- upgrade from records written in the older format ---------------------------------------
# an unscoped rule of the old shape in all four places and a record that lists it, as the
# previous version left them for a guest of this boot; sync --offline replaces it
OLD_UUID=5c2e4f3a-0d6b-4c1e-9a8f-2b7d1e6c9a01
OLD_RULE='rule family="ipv4" forward-port port="8070" protocol="tcp" to-port="80" to-addr="192.168.120.11"'
OLD_RANGE='rule family="ipv4" forward-port port="9200-9201" protocol="tcp" to-port="80-81" to-addr="192.168.120.11"'
for p in $FWD $HOST; do
    for perm in "" --permanent; do
        firewall-cmd -q $perm --policy=$p --add-rich-rule="$OLD_RULE"
        firewall-cmd -q $perm --policy=$p --add-rich-rule="$OLD_RANGE"
    done
done
cat >/run/virt-firewalld/guests/$OLD_UUID.state <<EOF
[guest]
name=old01
uuid=$OLD_UUID
pending=false
stopped=false

[rule 0]
spec=8070:80/tcp
family=ipv4
to-addr=192.168.120.11
network=scopenet
origin=/etc/virt-firewalld/forwards.d/old01.conf:2
rich-rule=$OLD_RULE

[rule 1]
spec=9200-9201:80-81/tcp
family=ipv4
to-addr=192.168.120.11
network=scopenet
origin=/etc/virt-firewalld/forwards.d/old01.conf:2
rich-rule=$OLD_RANGE
EOF
tap_ok "virt-firewalld sync --offline" virt-firewalld sync --offline
tap_is "no unscoped rule left (runtime and permanent, both policies)" \
    "$(unscoped $FWD)$(unscoped $FWD --permanent)$(unscoped $HOST)$(unscoped $HOST --permanent)" ""
for perm in "" --permanent; do
    for p in $PUB $PUBHOST; do
        tap_ok "a scoped forward-port replaced it in $p ${perm:-(runtime)}" sh -c \
            "firewall-cmd $perm --policy=$p --list-forward-ports | grep -qxF 'port=8070:proto=tcp:toport=80:toaddr=192.168.120.11'"
    done
done
tap_is "the old shifted range became one forward-port per port in $PUBHOST" \
    "$(rules $PUBHOST --permanent | grep -c '^port=920[01]:proto=tcp:toport=8[01]:')" 2
tap_like "the record lists the new entries" "$(cat /run/virt-firewalld/guests/$OLD_UUID.state)" \
    'pub port=8070:proto=tcp:toport=80:toaddr=192.168.120.11'
tap_like "the upgraded forward answers" "$(sb_probe_lan tcp 8070)" "^hello-from-db01$"
tap_like "the upgraded range: 9200 -> db01's port 80" "$(sb_probe_lan tcp 9200)" "^hello-from-db01$"
tap_is "the upgraded range: 9201 -> db01's port 81, where nothing listens" \
    "$(sb_probe_lan tcp 9201 2>/dev/null)" ""
# old01 is not running: an online sync removes what the upgrade published
tap_ok "virt-firewalld sync (old01 does not run)" virt-firewalld sync
tap_is "nothing of old01's is left" "$(everything | grep -c '192.168.120.11')" 0

# --- stop ---------------------------------------------------------------------------------
tap_ok "virsh destroy web01" sb_domain_destroy web01
tap_is "web01's rules are gone, hairpin included" "$(everything | grep -c '192.168.120.10')" 0
tap_like "the host -> remote:8080 still reaches the remote server" \
    "$(sb_probe_host tcp 8080 "$SB_LAN_IP")" "^hello-from-lan-server$"
tap_ok "virsh destroy db01" sb_domain_destroy db01
tap_done
