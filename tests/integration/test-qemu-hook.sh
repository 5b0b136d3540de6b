#!/bin/bash
# The qemu hook on the real stack: a real libvirtd starts real (diskless TCG) guests and
# runs OUR installed hook; fake-guest namespaces hold the guests' addresses and answer;
# the LAN client (and the host itself) must get the guest's answer through firewalld.
# Run by tests/sandbox/run, which sources sandbox.sh.
set -u

FWD=virtfw-forward
PUB=virtfw-pub
PUBHOST=virtfw-pub-host
HOST=virtfw-host
MAC1=52:54:00:00:10:0a
MAC2=52:54:00:00:10:0b
MAC3=52:54:00:00:10:0c
MAC4=52:54:00:00:10:0d

policy_rules() { # POLICY [--permanent]: rich rules, then forward-ports
    firewall-cmd ${2:-} --policy="$1" --list-rich-rules
    firewall-cmd ${2:-} --policy="$1" --list-forward-ports
}
count_rules() { # POLICY [--permanent]: forwards (rich rules and forward-ports)
    policy_rules "$@" | grep -c 'forward-port\|^port=' || true
}
has_rule() { # RULE POLICY [--permanent]: the policy lists exactly this rich rule
    policy_rules "$2" ${3:-} | grep -qxF "$1"
}

sb_start_all || tap_bail "stack did not start"

sb_net routenet route virbr10 192.168.110 --ipv6 fd00:110 \
    --host "$MAC1=10" --host "$MAC2=11" --host "$MAC3=12" --host "$MAC4=13" || tap_bail "network"
sb_fake_guest web01 virbr10 "$MAC1" 192.168.110.10/24 192.168.110.1 \
    fd00:110::10/64 fd00:110::1 || tap_bail "fake guest web01"
sb_fake_guest db01 virbr10 "$MAC2" 192.168.110.11/24 192.168.110.1 || tap_bail "fake guest db01"
sb_guest_serve web01 tcp 9000 && sb_guest_serve web01 tcp 9001 || tap_bail "servers"

mkdir -p /etc/virt-firewalld/forwards.d
cat >/etc/virt-firewalld/forwards.d/web01.conf <<'EOF'
# published ports of web01 (the reservation for its MAC gives 192.168.110.10)
[web01]
forward = 8080:80/tcp; 8053:80/udp; 9000-9001/tcp; 198.51.100.1:8082:80/tcp; [2001:db8:51::1]:8086:80/tcp
address6 = fd00:110::10
EOF
cat >/etc/virt-firewalld/forwards.d/db01.conf <<'EOF'
[db01]
forward = 8090:80/tcp
source = 198.51.100.0/24
EOF
chmod 644 /etc/virt-firewalld/forwards.d/*.conf

META='<vf:forwards xmlns:vf="urn:virt-firewalld:forwards:1"><vf:forward spec="8081:80/tcp"/></vf:forwards>'

tap_ok "virsh create web01 runs our hook and starts" sb_domain_create web01 routenet "$MAC1" "$META"
tap_is "web01 is running" "$($VIRSH domstate web01)" "running"

tap_like "LAN client reaches web01 via host:8080" "$(sb_probe_lan tcp 8080)" "^hello-from-web01$"
tap_like "the host itself reaches web01 via its own address:8080" \
    "$(sb_probe_host tcp 8080)" "^hello-from-web01$"
tap_like "forward from domain metadata (8081)" "$(sb_probe_lan tcp 8081)" "^hello-from-web01$"
tap_like "UDP forward (8053/udp -> 80/udp)" "$(sb_probe_lan udp 8053)" "^hello-from-web01$"
tap_like "port range, first port (9000)" "$(sb_probe_lan tcp 9000)" "^hello-from-web01$"
tap_like "port range, last port (9001)" "$(sb_probe_lan tcp 9001)" "^hello-from-web01$"
tap_like "host-address-bound forward on 198.51.100.1:8082" \
    "$(sb_probe_lan tcp 8082)" "^hello-from-web01$"
tap_like "control: the second LAN client reaches an unbound forward via 203.0.113.1:8080" \
    "$(sb_probe_lan2 tcp 8080)" "^hello-from-web01$"
tap_is "host-address-bound forward does not answer on 203.0.113.1:8082" \
    "$(sb_probe_lan2 tcp 8082)" ""
tap_like "IPv6 forward [2001:db8:51::1]:8086" \
    "$(sb_probe_lan tcp 8086 2001:db8:51::1)" "^hello-from-web01$"

tap_diag "runtime entries of $PUB:" "$(policy_rules $PUB)" "runtime rules of $FWD:" "$(policy_rules $FWD)"
R8080='port=8080:proto=tcp:toport=80:toaddr=192.168.110.10'
tap_ok "runtime policy $PUB holds the exact forward-port" has_rule "$R8080" $PUB
tap_ok "permanent policy holds it too" has_rule "$R8080" $PUB --permanent
tap_ok "HOST policy $PUBHOST holds it too (runtime)" has_rule "$R8080" $PUBHOST
tap_ok "HOST policy holds it too (permanent)" has_rule "$R8080" $PUBHOST --permanent
tap_is "forwards without a host address are not in $FWD or $HOST" \
    "$( (policy_rules $FWD; policy_rules $HOST) | grep -c 'port="8080"')" 0
tap_ok "IPv6 rule bound to the host address" has_rule \
    'rule family="ipv6" destination address="2001:db8:51::1" forward-port port="8086" protocol="tcp" to-port="80" to-addr="fd00:110::10"' $FWD
tap_ok "forwards without a host address are published for IPv6 too (address6)" has_rule \
    'port=8080:proto=tcp:toport=80:toaddr=fd00:110::10' $PUB
# 4 unbound forwards x 2 families + 1 IPv4-bound + 1 IPv6-bound
tap_is "web01: 8 forward-ports in runtime $PUB" "$(count_rules $PUB)" 8
tap_is "web01: 2 bound rules and 2 hairpin rules in runtime $FWD" \
    "$(count_rules $FWD) $(policy_rules $FWD | grep -c masquerade)" "2 2"

# source restriction: db01 publishes 8090 only to 198.51.100.0/24
tap_ok "virsh create db01" sb_domain_create db01 routenet "$MAC2"
tap_like "client inside the source range reaches db01" "$(sb_probe_lan tcp 8090)" \
    "^hello-from-db01$"
tap_is "client outside the source range (203.0.113.2) is refused" \
    "$(sb_probe_lan2 tcp 8090 203.0.113.1)" ""
tap_ok "rule carries the source" has_rule \
    'rule family="ipv4" source address="198.51.100.0/24" forward-port port="8090" protocol="tcp" to-port="80" to-addr="192.168.110.11"' $PUB

# reloads and restarts keep the ports with no action of ours
firewall-cmd -q --reload
tap_like "after firewall-cmd --reload the forward answers" "$(sb_eventually 5 sb_probe_lan tcp 8080)" \
    "^hello-from-web01$"
sb_restart_firewalld
tap_like "after a firewalld restart the forward answers" "$(sb_eventually 5 sb_probe_lan tcp 8080)" \
    "^hello-from-web01$"
tap_is "after the restart: still exactly 11 forwards (web01 10 + db01 1)" \
    "$(($(count_rules $FWD) + $(count_rules $PUB)))" 11

# libvirtd restart: reconnect re-asserts, nothing duplicated
sb_restart_libvirtd
tap_is "web01 still running after a libvirtd restart" "$($VIRSH domstate web01)" "running"
tap_is "no rule duplicated after reconnect (runtime)" \
    "$(($(count_rules $FWD) + $(count_rules $PUB)))" 11
tap_is "no rule duplicated after reconnect (permanent)" \
    "$(($(count_rules $FWD --permanent) + $(count_rules $PUB --permanent)))" 11
tap_like "forward answers after reconnect" "$(sb_probe_lan tcp 8080)" "^hello-from-web01$"

# doctor: does the running libvirt daemon run our hooks? libvirt looks for hooks when it
# starts, so a hook installed after that (a reinstall: the link made anew) is a finding
QHOOK=/etc/libvirt/hooks/qemu.d/virt-firewalld
DAEMON=$(sb_libvirt_daemons | awk '{print $NF}')
tap_like "doctor: $DAEMON runs our qemu hook" "$(virt-firewalld doctor 2>&1)" \
    "ok +$DAEMON \(pid [0-9]+\) runs our hook $QHOOK"
sleep 0.2 # the daemon's start time has a resolution of 10 ms
ln -sfn "$(readlink "$QHOOK")" "$QHOOK"
out=$(virt-firewalld doctor 2>&1)
tap_is "doctor: a hook installed after $DAEMON started is a problem (exit 1)" "$?" 1
tap_like "doctor says why, and the fix" "$out" \
    "FAIL $DAEMON \(pid [0-9]+\) runs our hook $QHOOK: it started before the hook was installed[^
]*
 +fix: systemctl restart $DAEMON"
sb_restart_libvirtd
tap_like "doctor: after the restart $DAEMON runs it again" "$(virt-firewalld doctor 2>&1)" \
    "ok +$DAEMON \(pid [0-9]+\) runs our hook $QHOOK"

# two guests claiming one host port: the second does not start, the error names both
cat >/etc/virt-firewalld/forwards.d/web02.conf <<'EOF'
[web02]
forward = 8080:80/tcp
EOF
chmod 644 /etc/virt-firewalld/forwards.d/web02.conf
err=$(sb_domain_create web02 routenet "$MAC3" 2>&1)
tap_isnt_running() { [ "$($VIRSH domstate web02 2>/dev/null)" != running ]; }
tap_ok "web02 claiming 8080 does not start" tap_isnt_running
tap_like "the error names both guests and the port" "$err" \
    "guest 'web02': host port of forward '8080:80/tcp' already published by guest 'web01'"
tap_like "web01 still answers on 8080" "$(sb_probe_lan tcp 8080)" "^hello-from-web01$"

# 8078:80, 8079:80, 8080:80 are published as one range 8078-8080, but a conflict is
# found, named and (on-error=warn) dropped port by port, as they were declared
printf '[web02]\nforward = 8078:80/tcp; 8079:80/tcp; 8080:80/tcp\n' \
    >/etc/virt-firewalld/forwards.d/web02.conf
err=$(sb_domain_create web02 routenet "$MAC3" 2>&1)
tap_ok "web02 with 8080 inside a joined range does not start" tap_isnt_running
tap_like "the error names the port another guest has, not the range" "$err" \
    "guest 'web02': host port of forward '8080:80/tcp' already published by guest 'web01'"
cp /etc/virt-firewalld/virt-firewalld.conf "$SB/main.conf.saved" 2>/dev/null || : >"$SB/main.conf.saved"
printf '[hook]\non-error = warn\n' >/etc/virt-firewalld/virt-firewalld.conf
sb_fake_guest web02 virbr10 "$MAC3" 192.168.110.12/24 192.168.110.1 || tap_bail "fake guest web02"
tap_ok "with on-error=warn web02 starts" sb_domain_create web02 routenet "$MAC3"
tap_like "its ports other guests do not have are published, joined (8078-8079)" \
    "$(firewall-cmd --policy=$PUB --list-forward-ports)" \
    "port=8078-8079:proto=tcp:toport=80:toaddr=192.168.110.12"
tap_like "8079 reaches web02" "$(sb_probe_lan tcp 8079)" "^hello-from-web02$"
tap_like "8080 still reaches web01" "$(sb_probe_lan tcp 8080)" "^hello-from-web01$"
tap_ok "web02 stops" sb_domain_destroy web02
cp "$SB/main.conf.saved" /etc/virt-firewalld/virt-firewalld.conf
rm -f /etc/virt-firewalld/forwards.d/web02.conf

# metadata written by `virsh metadata` on a persistent guest (libvirt puts only the top
# element into our namespace)
sb_fake_guest app01 virbr10 "$MAC4" 192.168.110.13/24 192.168.110.1 || tap_bail "app01"
cat >"$SB/app01.xml" <<EOF
<domain type='qemu'><name>app01</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type></os>
<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>
<interface type='network'><source network='routenet'/><mac address='$MAC4'/>
<model type='virtio'/><rom enabled='no'/></interface>
<controller type='usb' model='none'/><video><model type='none'/></video>
<memballoon model='none'/></devices></domain>
EOF
$VIRSH define "$SB/app01.xml" >/dev/null
tap_ok "virsh metadata sets a forward on a defined guest" $VIRSH metadata app01 \
    urn:virt-firewalld:forwards:1 --key vf --config \
    --set '<forwards><forward spec="8070:80/tcp"/></forwards>'
tap_ok "virsh start app01" $VIRSH start app01
tap_like "the metadata forward answers (8070)" "$(sb_probe_lan tcp 8070)" "^hello-from-app01$"
$VIRSH destroy app01 >/dev/null
$VIRSH undefine app01 >/dev/null
tap_is "app01's port is closed after it stops" "$(sb_probe_lan tcp 8070)" ""

# a drop-in group named by the guest's UUID in upper case (as dmidecode prints it): the
# hook publishes it as it does a lower-case one (issue 15, defect 1: it did nothing)
APP_UUID=6f1e0c2a-5b7d-4e3c-9a10-2c4b8d7e6f01
printf '[%s]\nforward = 8071:80/tcp\n' "${APP_UUID^^}" >/etc/virt-firewalld/forwards.d/app01.conf
chmod 644 /etc/virt-firewalld/forwards.d/app01.conf
app01_by_uuid() { SB_DOMAIN_UUID=$APP_UUID sb_domain_create app01 routenet "$MAC4"; }
tap_ok "app01 with its forward under its upper-case UUID starts" app01_by_uuid
tap_like "the forward declared under the upper-case UUID answers (8071)" \
    "$(sb_probe_lan tcp 8071)" "^hello-from-app01$"
tap_ok "app01 stops" sb_domain_destroy app01
rm -f /etc/virt-firewalld/forwards.d/app01.conf

# a running guest whose live XML we cannot read (here: metadata with an element of ours
# we do not know) has not stopped: sync and status say so and leave its forwards (issue
# 15, defect 3: sync unpublished it as if it had stopped)
R8090='rule family="ipv4" source address="198.51.100.0/24" forward-port port="8090" protocol="tcp" to-port="80" to-addr="192.168.110.11"'
$VIRSH metadata db01 --live --uri urn:virt-firewalld:forwards:1 --key vf \
    --set '<forwards><bogus/></forwards>' >/dev/null || tap_bail "setting db01's metadata"
out=$(virt-firewalld sync 2>&1)
tap_is "sync with a running guest it cannot read exits 1" "$?" 1
tap_like "sync names the guest and says its forwards stay" "$out" \
    "guest 'db01' runs, but its live XML cannot be read \(.*unexpected element 'bogus'.*\): its forwards are left as they are"
tap_ok "db01's rule is still in firewalld (runtime)" has_rule "$R8090" $PUB
tap_ok "db01's rule is still in firewalld (permanent)" has_rule "$R8090" $PUB --permanent
tap_like "db01 still answers" "$(sb_probe_lan tcp 8090)" "^hello-from-db01$"
out=$(virt-firewalld status 2>&1)
tap_is "status exits 1 too" "$?" 1
tap_like "status says why, and does not call db01 stopped" "$out" "guest 'db01' runs, but its live XML cannot be read"
tap_ok "status does not call db01 stale" bash -c "! grep -q 'db01.*stale' <<<'$out'"
$VIRSH metadata db01 --live --uri urn:virt-firewalld:forwards:1 --remove >/dev/null
tap_ok "with the metadata fixed, sync is clean again" virt-firewalld sync

# a forward taken out of the configuration while the guest runs stays open until sync:
# status must say so (issue 15, defect 5: it said ok)
cp /etc/virt-firewalld/forwards.d/web01.conf "$SB/web01.conf.saved"
sed -i 's/ 8053:80\/udp;//' /etc/virt-firewalld/forwards.d/web01.conf
out=$(virt-firewalld status 2>&1)
tap_is "status with an undeclared forward still open exits 1" "$?" 1
tap_like "status shows it as stale: no longer declared" "$out" \
    "web01 +udp +\*:8053 +192.168.110.10:80 +yes +yes +stale: no longer declared"
tap_like "it still answers before sync" "$(sb_probe_lan udp 8053)" "^hello-from-web01$"
tap_ok "sync" virt-firewalld sync
tap_is "after sync it no longer answers" "$(sb_probe_lan udp 8053)" ""
tap_ok "status is clean again" virt-firewalld status
cp "$SB/web01.conf.saved" /etc/virt-firewalld/forwards.d/web01.conf

# stop: exactly what was added goes, runtime and permanent
tap_ok "virsh destroy web01" sb_domain_destroy web01
tap_is "web01's rules are gone from runtime" \
    "$(policy_rules $FWD | grep -c 192.168.110.10; policy_rules $PUB | grep -c 192.168.110.10)" "0
0"
tap_is "web01's rules are gone from permanent" \
    "$(policy_rules $FWD --permanent | grep -c 192.168.110.10; policy_rules $PUB --permanent | grep -c 192.168.110.10)" "0
0"
tap_is "web01's rules are gone from the HOST policy" \
    "$(policy_rules $HOST --permanent | grep -c 192.168.110.10; policy_rules $PUBHOST --permanent | grep -c 192.168.110.10)" "0
0"
tap_is "port 8080 no longer answers" "$(sb_probe_lan tcp 8080)" ""
tap_ok "db01's rule is untouched" has_rule \
    'rule family="ipv4" source address="198.51.100.0/24" forward-port port="8090" protocol="tcp" to-port="80" to-addr="192.168.110.11"' $PUB --permanent
tap_ok "virsh destroy db01" sb_domain_destroy db01
tap_is "nothing of ours remains (runtime)" "$(count_rules $FWD) $(count_rules $PUB) $(count_rules $PUBHOST)" "0 0 0"
tap_is "nothing of ours remains (permanent)" \
    "$(count_rules $FWD --permanent) $(count_rules $PUB --permanent) $(count_rules $PUBHOST --permanent)" "0 0 0"
tap_is "no hairpin rule remains (runtime, permanent)" \
    "$(policy_rules $FWD | grep -c masquerade) $(policy_rules $FWD --permanent | grep -c masquerade)" "0 0"
tap_is "state directory is empty" "$(ls /run/virt-firewalld/guests 2>/dev/null | wc -l)" 0

tap_done
