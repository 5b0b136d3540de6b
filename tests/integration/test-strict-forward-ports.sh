#!/bin/bash
# firewalld with StrictForwardPorts=yes (firewalld 2.3 and later): DNATed traffic then
# passes only through forward-ports that firewalld itself knows. Ours are forward-ports
# (virtfw-pub, virtfw-pub-host) and forward-port rich rules (virtfw-forward/-host), so
# published ports must still answer, on a routed and on an open network, also after a
# reload; `doctor` says which setting applies. On a firewalld without the setting
# (1.3: the key is ignored) the same must hold and doctor says it has no such setting.
# Run by tests/sandbox/run, which sources sandbox.sh.
set -u

MAC1=52:54:00:00:60:0a
MAC2=52:54:00:00:60:0b

# before firewalld starts: firewalld.conf lives in the sandbox's /etc overlay
if grep -q '^StrictForwardPorts=' /etc/firewalld/firewalld.conf; then
    sed -i 's/^StrictForwardPorts=.*/StrictForwardPorts=yes/' /etc/firewalld/firewalld.conf
else
    echo 'StrictForwardPorts=yes' >>/etc/firewalld/firewalld.conf
fi
sb_start_all || tap_bail "stack did not start"
version=$(firewall-cmd --version)
strict=$(gdbus call --system --dest org.fedoraproject.FirewallD1 \
    --object-path /org/fedoraproject/FirewallD1/config \
    --method org.freedesktop.DBus.Properties.Get org.fedoraproject.FirewallD1.config \
    StrictForwardPorts 2>/dev/null | sed -n "s/^(<'\(.*\)'>,)$/\1/p")
tap_diag "firewalld $version, StrictForwardPorts as firewalld reports it: '${strict:-(none)}'"
case $version in
0.* | 1.* | 2.0.* | 2.1.* | 2.2.*) tap_is "this firewalld has no StrictForwardPorts" "$strict" "" ;;
*) tap_is "firewalld runs with StrictForwardPorts=yes" "$strict" yes ;;
esac

sb_net strictnet route virbr60 192.168.160 --host "$MAC1=10" || tap_bail "network"
sb_net strictopen open virbr61 192.168.161 --host "$MAC2=10" || tap_bail "open network"
sb_fake_guest web01 virbr60 "$MAC1" 192.168.160.10/24 192.168.160.1 || tap_bail "fake guest web01"
sb_fake_guest app01 virbr61 "$MAC2" 192.168.161.10/24 192.168.161.1 || tap_bail "fake guest app01"
mkdir -p /etc/virt-firewalld/forwards.d
cat >/etc/virt-firewalld/forwards.d/strict.conf <<'EOF2'
[web01]
forward = 8080:80/tcp; 198.51.100.1:8082:80/tcp; 8053:80/udp; 8085:80/tcp; 8086:80/tcp
[app01]
forward = 8180:80/tcp; 8181:80/tcp; 8190:80/tcp
source = 198.51.100.0/24
EOF2
chmod 644 /etc/virt-firewalld/forwards.d/strict.conf

tap_ok "web01 starts (routed network)" sb_domain_create web01 strictnet "$MAC1"
tap_ok "app01 starts (open network)" sb_domain_create app01 strictopen "$MAC2"

check_all() { # WHEN
    tap_like "$1: LAN -> host:8080 (a forward-port of virtfw-pub) reaches web01" \
        "$(sb_eventually 5 sb_probe_lan tcp 8080)" "^hello-from-web01$"
    tap_like "$1: the host -> its own address:8080 (virtfw-pub-host) reaches web01" \
        "$(sb_eventually 5 sb_probe_host tcp 8080)" "^hello-from-web01$"
    tap_like "$1: LAN -> 198.51.100.1:8082 (a bound rich rule) reaches web01" \
        "$(sb_eventually 5 sb_probe_lan tcp 8082)" "^hello-from-web01$"
    tap_like "$1: UDP 8053 reaches web01" "$(sb_eventually 5 sb_probe_lan udp 8053)" \
        "^hello-from-web01$"
    tap_like "$1: LAN -> host:8086 (a forward-port of the port range 8085-8086) reaches web01" \
        "$(sb_eventually 5 sb_probe_lan tcp 8086)" "^hello-from-web01$"
    tap_like "$1: LAN -> host:8180 (open network, source-restricted rich rule) reaches app01" \
        "$(sb_eventually 5 sb_probe_lan tcp 8180)" "^hello-from-app01$"
    tap_like "$1: LAN -> host:8181 (the same rich rule, of the port range 8180-8181) reaches app01" \
        "$(sb_eventually 5 sb_probe_lan tcp 8181)" "^hello-from-app01$"
    tap_is "$1: the source restriction holds (LAN2 -> 203.0.113.1:8190)" \
        "$(sb_probe_lan2 tcp 8190)" ""
}
tap_is "app01's 8180:80 and 8181:80 are one source-restricted rich rule of a port range" \
    "$(firewall-cmd --policy=virtfw-pub --list-rich-rules | grep -c 'forward-port port="8180-8181" protocol="tcp" to-port="80"')" 1
check_all "StrictForwardPorts=yes"
firewall-cmd -q --reload
check_all "after a reload"

out=$(virt-firewalld doctor 2>&1)
tap_like "doctor reports firewalld's version" "$out" "version $version, state RUNNING"
case $version in
0.* | 1.* | 2.0.* | 2.1.* | 2.2.*)
    tap_like "doctor says this firewalld has no StrictForwardPorts" "$out" \
        "info StrictForwardPorts: not in this firewalld" ;;
*)
    tap_like "doctor says StrictForwardPorts is on and ours pass" "$out" \
        "info StrictForwardPorts: yes \(DNAT only through forward-ports firewalld knows" ;;
esac

tap_ok "web01 stops" sb_domain_destroy web01
tap_ok "app01 stops" sb_domain_destroy app01
tap_is "nothing of ours left in virtfw-pub" "$(firewall-cmd --policy=virtfw-pub --list-forward-ports)" ""
tap_done
