#!/bin/bash
# Guests without fixed addresses: a real libvirtd starts a guest whose forward is declared
# in metadata, on a network with no reservation for it; a fake guest with a real DHCP
# client (busybox udhcpc) takes the guest's MAC's lease from libvirt's dnsmasq, and
# `virt-firewalld watch` publishes the forward to it, moves it when the lease moves, and
# drops it when the lease is released, so that another guest taking the address never
# gets the first guest's port. Run by tests/sandbox/run, which sources sandbox.sh.
set -u

BR=virbr70
MAC_A=52:54:00:00:70:0a
MAC_B=52:54:00:00:70:0b

rules() { sb_published ${1:-}; }
answer_within() { # SECONDS PORT NAME: poll until the LAN client gets NAME's answer
    local i
    for ((i = 0; i < $1 * 20; i++)); do
        [ "$(sb_probe_lan tcp "$2" 2>/dev/null)" = "hello-from-$3" ] && return 0
        sleep 0.05
    done
    return 1
}
silent_within() { # SECONDS PORT: poll until the port stops answering
    local i
    for ((i = 0; i < $1 * 20; i++)); do
        [ -z "$(sb_probe_lan tcp "$2" 2>/dev/null)" ] && return 0
        sleep 0.05
    done
    return 1
}

sb_start_all || tap_bail "stack did not start"
sb_net leasenet route $BR 192.168.170 || tap_bail "network"
virt-firewalld watch 2>"$SB/watch.log" &
echo $! >"$SB/pids/watch"
sleep 0.3
tap_ok "watch runs" kill -0 "$(cat "$SB/pids/watch")"

META='<vf:forwards xmlns:vf="urn:virt-firewalld:forwards:1"><vf:forward spec="8080:80/tcp"/></vf:forwards>'
tap_ok "a guest with no reservation and a metadata forward starts" \
    sb_domain_create web01 leasenet "$MAC_A" "$META"
tap_like "the hook recorded the forward as following a lease" \
    "$(cat /run/virt-firewalld/guests/*.state)" "mac=$MAC_A"
tap_is "no rule before any lease" "$(rules | grep -c .)" 0

# the guest takes a lease
sb_dhcp_guest web01 $BR "$MAC_A" || tap_bail "dhcp"
t0=$(date +%s%N)
sb_guest_serve web01 tcp 80 || tap_bail "server"
addr1=$(ip -n "$SB_NS_PREFIX-web01" -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
tap_diag "web01 leased $addr1"
tap_ok "the port answers from the LAN client shortly after the lease" answer_within 5 8080 web01
tap_diag "first answer $((($(date +%s%N) - t0) / 1000000)) ms after the lease was taken"
tap_like "the rule points at the leased address (runtime)" "$(rules)" "toaddr=$addr1$"
tap_like "and permanently" "$(rules --permanent)" "toaddr=$addr1$"
tap_like "status shows the lease forward live" "$(virt-firewalld status 2>&1)" \
    "web01 +tcp +\*:8080 +${addr1//./\\.}:80 +yes +yes +ok"
tap_like "doctor explains where its address comes from" "$(virt-firewalld doctor 2>&1)" \
    "follows the DHCP lease of $MAC_A on network 'leasenet'"

# the lease moves to another address: the forward follows
sb_dhcp_release web01
tap_ok "released: the port stops answering" silent_within 5 8080
addr2=192.168.170.150
[ "$addr1" = "$addr2" ] && addr2=192.168.170.151
sb_dhcp_renew web01 "$addr2" || tap_bail "renew"
tap_is "the guest took a different address" \
    "$(ip -n "$SB_NS_PREFIX-web01" -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)" \
    "$addr2"
tap_ok "the forward follows the new lease" answer_within 5 8080 web01
tap_is "exactly one rule, to the new address" "$(rules | grep -c "toaddr=$addr2$")" 1
tap_is "none left for the old address" "$(rules | grep -c "toaddr=$addr1$")" 0

# the lease is released, another guest takes that address: it must not get the port
sb_dhcp_release web01
tap_ok "released again: the port stops answering" silent_within 5 8080
sb_dhcp_guest other $BR "$MAC_B" "$addr2" || tap_bail "other guest"
sb_guest_serve other tcp 80 || tap_bail "server"
tap_is "another guest now holds the address" \
    "$(ip -n "$SB_NS_PREFIX-other" -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)" \
    "$addr2"
sleep 1
tap_is "the first guest's port reaches nothing" "$(sb_probe_lan tcp 8080)" ""
tap_is "no rule of ours points at the address" "$(rules | grep -c .)" 0

# the guest comes back and stops: everything goes
sb_dhcp_release other
sb_dhcp_renew web01 || tap_bail "renew"
tap_ok "web01 leases again and answers" answer_within 5 8080 web01
sb_domain_destroy web01
tap_is "after the guest stops no rule remains (runtime)" "$(rules | grep -c .)" 0
tap_is "after the guest stops no rule remains (permanent)" \
    "$(rules --permanent | grep -c .)" 0
kill "$(cat "$SB/pids/watch")"
wait "$(cat "$SB/pids/watch")" 2>/dev/null
tap_like "watch stops cleanly on SIGTERM" "$(tail -1 "$SB/watch.log")" "stopped after [0-9]+ reconciles"
tap_done
