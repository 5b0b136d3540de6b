#!/bin/bash
# Operators' CLI on the real stack: status, sync (after firewalld was down, after a
# simulated host crash), check. Run by tests/sandbox/run, which sources sandbox.sh.
set -u

MAC1=52:54:00:00:30:0a
MAC2=52:54:00:00:30:0b
MAC3=52:54:00:00:30:0c
FWD=virtfw-forward
PUB=virtfw-pub
VFW=virt-firewalld
R8080='port=8080:proto=tcp:toport=80:toaddr=192.168.130.10'

has_rule() { # ENTRY POLICY [--permanent]: a rich rule or forward-port of the policy
    { firewall-cmd ${3:-} --policy="$2" --list-rich-rules
      firewall-cmd ${3:-} --policy="$2" --list-forward-ports; } | grep -qxF "$1"
}
lacks_meta() { ! $VIRSH dumpxml web01 | grep -q "spec=\"$1:"; }
lacks_rule() { ! has_rule "$@"; }
exit_of() { "$@" >/dev/null 2>&1; echo $?; }

sb_start_all || tap_bail "stack did not start"
sb_net net30 route virbr30 192.168.130 --host "$MAC1=10" --host "$MAC2=11" \
    --host "$MAC3=12" || tap_bail "network"
for g in "web01 $MAC1 10" "db01 $MAC2 11" "app01 $MAC3 12"; do
    read -r name mac last <<<"$g"
    sb_fake_guest "$name" virbr30 "$mac" "192.168.130.$last/24" 192.168.130.1 ||
        tap_bail "fake guest $name"
done
mkdir -p /etc/virt-firewalld/forwards.d
printf '[web01]\nforward = 8080:80/tcp\n[db01]\nforward = 8090:80/tcp\n[app01]\nforward = 8095:80/tcp\n' \
    >/etc/virt-firewalld/forwards.d/guests.conf
chmod 644 /etc/virt-firewalld/forwards.d/guests.conf

# ---- status
sb_domain_create web01 net30 "$MAC1" || tap_bail "web01"
out=$($VFW status 2>&1); rc=$?
tap_diag "$out"
tap_is "status exits 0 when everything is live" "$rc" 0
tap_like "status shows web01's forward as ok" "$out" \
    "web01 +tcp +\*:8080 +192\.168\.130\.10:80 +yes +yes +ok"
tap_like "status lists the bridge and its zone" "$out" "net30 +route +virbr30 +libvirt-routed"
json=$($VFW status --json)
tap_is "status --json is JSON with the documented fields" "$(python3 -c '
import json, sys
d = json.loads(sys.argv[1])
f = d["forwards"][0]
print(d["version"], f["guest"], f["protocol"], f["host"], f["guest_address"], f["policy"], f["runtime"], f["permanent"], f["state"])
print(sorted(d["bridges"][0]), sorted(d["host_addresses"][0]))
' "$json")" "1 web01 tcp *:8080 192.168.130.10:80 virtfw-pub True True ok
['bridge', 'converted', 'mode', 'network', 'zone'] ['entries', 'ipset', 'stale']"
tap_is "status --json lists the guest with its network, addresses and declared forwards" \
    "$(python3 -c '
import json, sys
g = json.loads(sys.argv[1])["guests"][0]
i = g["interfaces"][0]
f = g["declared"][0]
print(g["name"], g["running"], i["network"], i["mac"], i["mode"], i["subnets"])
print([(a["address"], a["family"], a["from"]) for a in i["addresses"]])
print(f["spec"], f["address"], f["origin"].rsplit("/", 1)[-1], g["problems"])
' "$json")" "web01 True net30 $MAC1 route ['192.168.130.0/24']
[('192.168.130.10', 'ipv4', 'reservation')]
8080:80/tcp None guests.conf:2 []"

firewall-cmd -q --policy=$PUB --remove-forward-port="$R8080"
out=$($VFW status 2>&1); rc=$?
tap_is "after deleting the rule by hand, status exits 1" "$rc" 1
tap_like "and shows it missing" "$out" "web01 .* no +yes +missing"
tap_is "the port does not answer" "$(sb_probe_lan tcp 8080)" ""
tap_ok "sync restores it" $VFW sync
tap_is "status is clean again" "$(exit_of $VFW status)" 0
tap_like "the port answers again" "$(sb_probe_lan tcp 8080)" "^hello-from-web01$"

# ---- firewalld down while a guest starts
sb_stop_firewalld
err=$(sb_domain_create db01 net30 "$MAC2" 2>&1); rc=$?
tap_is "db01 starts while firewalld is down" "$rc" 0
tap_diag "virsh said: $err"
tap_is "db01 is running" "$($VIRSH domstate db01)" running
tap_like "the hook recorded it as pending" "$(cat /run/virt-firewalld/guests/*.state)" \
    "pending=true"
sb_start_firewalld
tap_is "after firewalld is back the forward is not there yet" "$(sb_probe_lan tcp 8090)" ""
# what systemd runs when firewalld starts (PartOf/WantedBy firewalld.service)
unit=$(ls /usr/lib/systemd/system/virt-firewalld-sync.service /lib/systemd/system/virt-firewalld-sync.service 2>/dev/null | head -1)
tap_ok "the sync unit is installed" test -f "$unit"
tap_like "it is part of firewalld.service" "$(cat "$unit")" "PartOf=firewalld.service"
execstart=$(sed -n 's/^ExecStart=//p' "$unit")
tap_is "its command" "$execstart" "/usr/bin/virt-firewalld sync --offline"
tap_ok "the unit's command (run as systemd would on firewalld start) applies it" $execstart
# (libvirtd re-creates its own rules when firewalld comes back, after it is up: see
# sb_eventually)
tap_like "db01's port answers after sync" "$(sb_eventually 5 sb_probe_lan tcp 8090)" \
    "^hello-from-db01$"
tap_ok "db01's rule is permanent too" has_rule \
    'port=8090:proto=tcp:toport=80:toaddr=192.168.130.11' $PUB --permanent

# ---- simulated host crash: app01 dies with libvirtd down, /run is wiped
ADMIN='rule family="ipv4" forward-port port="7000" protocol="tcp" to-port="22" to-addr="192.168.130.50"'
firewall-cmd -q --permanent --policy=$FWD --add-rich-rule="$ADMIN"
firewall-cmd -q --policy=$FWD --add-rich-rule="$ADMIN"
sb_domain_create app01 net30 "$MAC3" || tap_bail "app01"
tap_like "app01 answers" "$(sb_probe_lan tcp 8095)" "^hello-from-app01$"
qemu_pid=$(cat /run/libvirt/qemu/app01.pid)
sb_stop_libvirtd
kill -9 "$qemu_pid"
rm -rf /run/virt-firewalld/* /run/libvirt/qemu/app01.*
sb_restart_firewalld
sb_start_libvirtd
tap_is "app01 is not running after the 'crash'" \
    "$($VIRSH domstate app01 2>/dev/null || echo gone)" gone
R8095='port=8095:proto=tcp:toport=80:toaddr=192.168.130.12'
tap_ok "app01's rule survived in permanent config" has_rule "$R8095" $PUB --permanent
out=$($VFW status 2>&1)
tap_like "status reports it stale" "$out" "app01 .*stale: guest not running"
tap_ok "sync" $VFW sync
tap_ok "no entry of ours for app01 remains (permanent)" lacks_rule "$R8095" $PUB --permanent
tap_ok "no entry of ours for app01 remains (runtime)" lacks_rule "$R8095" $PUB
tap_ok "the admin's own rule is untouched (permanent)" has_rule "$ADMIN" $FWD --permanent
tap_ok "the admin's own rule is untouched (runtime)" has_rule "$ADMIN" $FWD
tap_like "running guests still answer" "$(sb_eventually 5 sb_probe_lan tcp 8080)" "^hello-from-web01$"

# ---- forward add / remove / list through the libvirt API
tap_ok "forward add web01 8085:80/tcp" $VFW forward add web01 8085:80/tcp
tap_like "the port answers as soon as the command returns" "$(sb_probe_lan tcp 8085)" \
    "^hello-from-web01$"
tap_like "virsh dumpxml shows the metadata" "$($VIRSH dumpxml web01)" \
    'forward spec="8085:80/tcp"/>'
tap_like "forward list shows both sources" "$($VFW forward list web01)" \
    "8085:80/tcp +- +metadata"
tap_ok "forward add again is a no-op" $VFW forward add web01 8085:80/tcp
out=$($VFW forward add web01 8090:80/tcp 2>&1); rc=$?
tap_is "forward add of a port db01 publishes fails" "$rc" 1
tap_like "and names both guests" "$out" "already published by guest 'db01'"
tap_ok "the failed add left no metadata behind" lacks_meta 8090
tap_ok "forward remove web01 8085:80/tcp" $VFW forward remove web01 8085:80/tcp
tap_is "the port stops answering" "$(sb_probe_lan tcp 8085)" ""
tap_ok "the metadata is gone" lacks_meta 8085
out=$($VFW forward remove web01 8085:80/tcp 2>&1); rc=$?
tap_is "removing an unknown forward fails" "$rc" 1
tap_like "with a clear message" "$out" "guest 'web01': no forward '8085:80/tcp' in its metadata"

# ---- check
tmp=$(mktemp /tmp/vfw-check.XXXXXX)
check_case() { # DESC CONTENT REGEX
    printf '%s\n' "$2" >"$tmp"
    local out rc
    out=$($VFW check "$tmp" 2>&1); rc=$?
    tap_is "check rejects $1 (exit 1)" "$rc" 1
    tap_like "check names file:line for $1" "$out" "$3"
}
check_case "port 0" $'[g]\nforward = 0:80' "$tmp:2: guest 'g': forward '0:80'"
check_case "port 65536" $'[g]\n\nforward = 65536' "$tmp:3: .*65536"
check_case "an unknown key" $'[g]\nforward = 80\nadress = 192.168.130.10' \
    "$tmp:3: guest 'g': unknown key 'adress'"
check_case "an unknown protocol" $'[g]\nforward = 80/icmp' "unknown protocol 'icmp'"
check_case "a reversed range" $'[g]\nforward = 90-80' "reversed"
check_case "a bad address" $'[g]\nforward = 80\naddress = 192.168.130.300' \
    "$tmp:3: guest 'g': key 'address'"
check_case "two guests on one port" $'[a]\nforward = 80\n[b]\nforward = 80' \
    "guest '[ab]': forward '80:80/tcp' overlaps forward '80:80/tcp' of guest '[ab]'"
check_case "rule injection" $'[g]\nforward = 80 to-addr=1.2.3.4' "unexpected character"
printf '[g]\nforward = 8080:80/tcp; 5000-5010/udp\naddress = 192.168.130.10\n' >"$tmp"
tap_ok "check accepts a good drop-in at a temp path" $VFW check "$tmp"
chmod 666 "$tmp"
tap_like "check refuses a world-writable file" "$($VFW check "$tmp" 2>&1)" "writable by group or others"
rm -f "$tmp"
tap_ok "check with no file validates the merged configuration" $VFW check

tap_done
