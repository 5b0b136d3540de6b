#!/bin/bash
# Firewalld-native guest networks: a libvirt 'open' network (libvirt writes no firewall
# rule and binds no zone), our network hook binds its bridge to our zone 'virtfw', our
# policy 'virtfw-nat' masquerades the guests, and published ports reach them. A real DHCP
# client in the guest namespace talks to libvirt's dnsmasq through the zone.
# Run by tests/sandbox/run, which sources sandbox.sh.
set -u

BR=virbr20
MAC=52:54:00:00:20:0a

zone_of() { firewall-cmd ${2:-} --get-zone-of-interface="$1" 2>/dev/null; }

sb_start_all || tap_bail "stack did not start"
tap_like "our zone is loaded" "$(firewall-cmd --get-zones)" "(^| )virtfw( |$)"
tap_like "our NAT policy is active-capable" "$(firewall-cmd --info-policy=virtfw-nat)" \
    "masquerade: yes"

cat >"$SB/net-opennet.xml" <<EOF
<network>
  <name>opennet</name>
  <forward mode='open'/>
  <bridge name='$BR' stp='off'/>
  <dns><host ip='192.168.120.1'><hostname>gateway.opennet.test</hostname></host></dns>
  <ip address='192.168.120.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.120.100' end='192.168.120.200'/>
      <host mac='$MAC' name='web01' ip='192.168.120.10'/>
    </dhcp>
  </ip>
</network>
EOF
echo opennet >>"$SB/state/networks"
$VIRSH net-define "$SB/net-opennet.xml" >/dev/null
tap_ok "open network starts" $VIRSH net-start opennet

tap_is "network hook bound the bridge to virtfw (runtime)" "$(zone_of $BR)" virtfw
tap_is "and permanently" "$(zone_of $BR --permanent)" virtfw

tap_ok "fake guest gets a DHCP lease from libvirt's dnsmasq" sb_dhcp_guest web01 $BR $MAC
addr=$(ip -n "$SB_NS_PREFIX-web01" -4 -o addr show dev eth0 | awk '{print $4}')
tap_is "the lease is the reservation" "$addr" 192.168.120.10/24
sb_guest_serve web01 tcp 80 || tap_bail "server"
tap_like "guest resolves a name through the host's dnsmasq" \
    "$(ip netns exec "$SB_NS_PREFIX-web01" busybox nslookup gateway.opennet.test 192.168.120.1 2>&1)" \
    "Address:? *(1: )?192\.168\.120\.1($|[^0-9])"

# NAT: what the LAN server sees as the guest's source address
ip netns exec "$SB_LAN_NS" socat TCP-LISTEN:2222,reuseaddr,fork SYSTEM:'echo seen-from=$SOCAT_PEERADDR' \
    </dev/null >/dev/null 2>&1 &
echo $! >"$SB/pids/socat-lan-2222"
sleep 0.3
tap_is "guest reaches the LAN masqueraded behind the host's address" \
    "$(sb_probe_from web01 tcp 198.51.100.2 2222)" "seen-from=198.51.100.1"

# a host service outside the zone's services is closed to guests
socat TCP-LISTEN:2223,bind=192.168.120.1,reuseaddr,fork SYSTEM:'echo host-service' \
    </dev/null >/dev/null 2>&1 &
echo $! >"$SB/pids/socat-host-2223"
sleep 0.3
tap_is "control: the host itself reaches that service" \
    "$(sb_probe_host tcp 2223 192.168.120.1)" "host-service"
tap_is "guest cannot reach a host port outside dhcp/dns" \
    "$(sb_probe_from web01 tcp 192.168.120.1 2223)" ""

mkdir -p /etc/virt-firewalld/forwards.d
printf '[web01]\nforward = 8080:80/tcp\n' >/etc/virt-firewalld/forwards.d/web01.conf
tap_ok "a guest on the open network starts" sb_domain_create web01 opennet "$MAC"
tap_like "published port reaches the guest from the LAN" "$(sb_probe_lan tcp 8080)" \
    "^hello-from-web01$"
tap_like "and from the host itself" "$(sb_probe_host tcp 8080)" "^hello-from-web01$"

check_all() { # WHEN
    tap_is "$1: bridge still in virtfw" "$(zone_of $BR)" virtfw
    tap_like "$1: published port answers" "$(sb_probe_lan tcp 8080)" "^hello-from-web01$"
    tap_is "$1: NAT still works" "$(sb_probe_from web01 tcp 198.51.100.2 2222)" \
        "seen-from=198.51.100.1"
    tap_like "$1: DNS still works" \
        "$(ip netns exec "$SB_NS_PREFIX-web01" busybox nslookup gateway.opennet.test 192.168.120.1 2>&1)" \
        "192\.168\.120\.1($|[^0-9])"
    tap_is "$1: host port still closed to the guest" \
        "$(sb_probe_from web01 tcp 192.168.120.1 2223)" ""
}
sb_through_restarts check_all

info=$(firewall-cmd --info-zone=virtfw)
tap_diag "$info"
tap_like "firewall-cmd --info-zone=virtfw lists the bridge" "$info" "interfaces: $BR"

sb_domain_destroy web01
tap_ok "network stops" sb_net_destroy opennet
tap_is "no runtime binding of ours remains" "$(zone_of $BR)" ""
tap_is "no permanent binding of ours remains" "$(zone_of $BR --permanent)" ""
tap_is "no state of ours remains" "$(ls /run/virt-firewalld/networks 2>/dev/null | wc -l)" 0

tap_done
