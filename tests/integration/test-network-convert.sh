#!/bin/bash
# A nat network cannot publish ports (libvirt's own iptables rules reject forwarded
# connections); `doctor` says so and names the fix; `network convert` makes firewalld its
# firewall and the port answers; `network revert` restores the original definition.
# Run by tests/sandbox/run, which sources sandbox.sh.
set -u

MAC=52:54:00:00:40:0a
BR=virbr40
VFW=virt-firewalld

sb_start_all || tap_bail "stack did not start"
sb_net natnet nat $BR 192.168.140 --host "$MAC=10" || tap_bail "network"
sb_fake_guest web01 $BR "$MAC" 192.168.140.10/24 192.168.140.1 || tap_bail "fake guest"
mkdir -p /etc/virt-firewalld/forwards.d
printf '[web01]\nforward = 8080:80/tcp\n' >/etc/virt-firewalld/forwards.d/web01.conf
chmod 644 /etc/virt-firewalld/forwards.d/web01.conf

tap_ok "a guest on the nat network starts (the hook only warns)" \
    sb_domain_create web01 natnet "$MAC"
tap_is "before: the LAN client is refused" "$(sb_probe_lan tcp 8080)" ""
out=$($VFW doctor 2>&1); rc=$?
tap_diag "$out"
tap_is "doctor exits non-zero" "$rc" 1
tap_like "doctor names the blocker" "$out" \
    "FAIL web01: guest 'web01': forward '8080:80/tcp' not published: network 'natnet' is in nat mode"
tap_like "doctor names the fix" "$out" "virt-firewalld network convert natnet"
out=$($VFW forward add web01 8081:80/tcp 2>&1); rc=$?
tap_is "forward add on the nat network fails: nothing could be published" "$rc" 1
tap_like "with the reason and the fix" "$out" \
    "guest 'web01': forward '8081:80/tcp' not published: network 'natnet' is in nat mode.*network convert natnet"
tap_ok "and leaves no metadata behind" eval "! $VIRSH dumpxml web01 | grep -q 'spec=\"8081:'"
converted() { $VFW status --json 2>/dev/null | python3 -c '
import json, sys
print([b["converted"] for b in json.load(sys.stdin)["bridges"] if b["network"] == "natnet"])'; }
tap_is "status --json: natnet is not a converted network" "$(converted)" "[False]"

orig=$($VIRSH net-dumpxml --inactive natnet)
dry=$($VFW network convert natnet --dry-run)
tap_like "convert --dry-run prints the open definition" "$dry" "<forward mode=\"open\"/>"
tap_is "--dry-run changes nothing" "$($VIRSH net-dumpxml --inactive natnet)" "$orig"
out=$($VFW network convert natnet --restart 2>&1)
tap_is "network convert natnet --restart" "$?" 0
tap_like "convert publishes the forwards of the guests on the network and says so" "$out" \
    "network 'natnet': published guest 'web01': 8080:80/tcp"
tap_like "status shows them live right away, no sync needed" "$($VFW status web01 2>&1)" \
    "web01 +tcp +\*:8080 +192.168.140.10:80 +yes +yes +ok"
tap_like "the network is now open" "$($VIRSH net-dumpxml natnet)" "<forward mode='open'/>"
tap_is "its bridge is in zone virtfw" "$(firewall-cmd --get-zone-of-interface=$BR)" virtfw
tap_is "status --json: natnet is a converted network" "$(converted)" "[True]"
tap_like "the real guest's tap is back on the bridge" \
    "$(ip -o link show master $BR | grep -o 'vnet[0-9]*' | head -1)" "^vnet[0-9]+$"
# the fake guest's veth is ours, not libvirt's: put it back on the new bridge
ip link set vg-web01 master $BR up
tap_ok "sync has nothing left to do for it" $VFW sync
tap_like "after: the LAN client gets the guest's answer" "$(sb_probe_lan tcp 8080)" \
    "^hello-from-web01$"
out=$($VFW doctor 2>&1); rc=$?
tap_is "doctor is clean" "$rc" 0
tap_like "doctor says so" "$out" "no problems found"

out=$($VFW network revert natnet --restart 2>&1)
tap_is "network revert natnet --restart" "$?" 0
tap_like "revert says which forwards stop working" "$out" \
    "network 'natnet': in nat mode these forwards stop working \(libvirt rejects inbound connections\): guest 'web01': 8080:80/tcp"
tap_is "revert restores the original definition" "$($VIRSH net-dumpxml --inactive natnet)" "$orig"
tap_is "status --json: natnet is no longer a converted one" "$(converted)" "[False]"
tap_is "libvirt zones the nat bridge itself again" \
    "$(firewall-cmd --get-zone-of-interface=$BR)" libvirt
tap_is "no binding of ours remains (permanent)" \
    "$(firewall-cmd --permanent --get-zone-of-interface=$BR 2>/dev/null)" ""
sb_domain_destroy web01
tap_done
