#!/bin/bash
# Sanity test of the test bed (TAP): real firewalld + libvirtd in the sandbox, libvirt
# networks in every mode, a fake guest reached from the LAN through a firewalld
# forward-port, a real (TCG) qemu guest, daemon restarts.
#
#   tests/sandbox/run tests/integration/test-sandbox.sh
#   SB_NO_LIBVIRT_ZONES=1 tests/sandbox/run tests/integration/test-sandbox.sh no-libvirt-zones
#     (firewalld must start with this build's zones/policies and WITHOUT libvirt's)

# run standalone: re-enter through the sandbox
if ! declare -F sb_start_all >/dev/null; then
    exec "$(dirname "$0")/../sandbox/run" "$0" "$@"
fi

mode=${1:-full}

if [ "$mode" = no-libvirt-zones ]; then
    tap_is "SB_NO_LIBVIRT_ZONES=1 is set for this mode" "${SB_NO_LIBVIRT_ZONES:-0}" 1
    tap_ok "no libvirt zone/policy file in /usr/lib/firewalld" \
        test -z "$(ls /usr/lib/firewalld/zones/libvirt*.xml /usr/lib/firewalld/policies/libvirt*.xml 2>/dev/null)"
    if [ -d "$SB/dest/usr/lib/firewalld" ]; then
        tap_diag "this build's firewalld files: $(cd "$SB/dest/usr/lib/firewalld" && find . -name '*.xml' | sort | tr '\n' ' ')"
    else
        tap_diag "this build installs no firewalld files (yet)"
    fi
    tap_ok "dbus-daemon starts" sb_start_dbus
    tap_ok "firewalld starts" sb_start_firewalld
    tap_is "firewall-cmd --state" "$(firewall-cmd --state 2>&1)" running
    zones=$(firewall-cmd --get-zones 2>&1)
    tap_like "firewalld lists its zones" "$zones" '(^| )public( |$)'
    tap_ok "no libvirt zone loaded" bash -c "! grep -qw libvirt <<<'$zones'"
    tap_ok "firewalld logged no error" bash -c "! grep -E 'ERROR|Falling back' '$SB/firewalld.log'"
    # our shipped files name only zones that always exist: they load without libvirt's
    for z in virtfw virtfw-local; do
        tap_like "our zone $z is loaded" "$zones" "(^| )$z( |$)"
    done
    policies=$(firewall-cmd --get-policies 2>&1)
    for p in virtfw-forward virtfw-host virtfw-nat virtfw-pub virtfw-pub-host; do
        tap_like "our policy $p is loaded" "$policies" "(^| )$p( |$)"
    done
    ipsets=$(firewall-cmd --get-ipsets 2>&1)
    for i in virtfw-local virtfw-local6; do
        tap_like "our ipset $i is loaded" "$ipsets" "(^| )$i( |$)"
    done
    tap_like "zone virtfw-local is bound to the host address sets" \
        "$(firewall-cmd --info-zone=virtfw-local 2>&1)" "sources: ipset:virtfw-local ipset:virtfw-local6"
    tap_ok "firewall-offline-cmd --check-config accepts the installed configuration" \
        firewall-offline-cmd --check-config
    tap_ok "libvirtd starts" sb_start_libvirtd
    tap_ok "an open-mode network starts without libvirt's zones" \
        sb_net opennet open vbr-open 192.168.111
    tap_ok "its bridge exists" ip link show vbr-open
    tap_is "our network hook put it into virtfw" \
        "$(firewall-cmd --get-zone-of-interface=vbr-open 2>&1)" virtfw
    tap_done
    exit 0
fi

# ---- daemons
sb_time ms sb_start_dbus
tap_ok "dbus-daemon starts" test $? = 0
sb_time ms sb_start_firewalld
tap_ok "firewalld starts" test $? = 0
tap_diag "firewalld ready in $ms ms"
tap_is "firewall-cmd --state" "$(firewall-cmd --state 2>&1)" running
tap_like "libvirt's zones are loaded" "$(firewall-cmd --get-zones)" '(^| )libvirt-routed( |$)'
sb_time ms sb_start_libvirtd
tap_ok "libvirtd starts and virsh answers" test $? = 0
tap_diag "libvirtd ready in $ms ms"

# ---- a routed network with a fake guest (v4 + v6)
G_MAC=52:54:00:00:02:0a
G_IP=192.168.102.10
G_IP6=fd00:102::10
sb_time ms sb_net routenet route vbr-route 192.168.102 --ipv6 fd00:102 --host "$G_MAC=10"
tap_ok "route-mode network starts" test $? = 0
tap_diag "net-start (route) took $ms ms"
tap_is "libvirt puts the routed bridge into libvirt-routed" \
    "$(firewall-cmd --get-zone-of-interface=vbr-route 2>&1)" libvirt-routed
tap_ok "fake guest g1 on vbr-route" \
    sb_fake_guest g1 vbr-route "$G_MAC" "$G_IP/24" 192.168.102.1 "$G_IP6/64" fd00:102::1
tap_is "host -> guest, TCP 80" "$(sb_probe_host tcp 80 "$G_IP")" hello-from-g1
tap_is "host -> guest, UDP 80" "$(sb_probe_host udp 80 "$G_IP")" hello-from-g1
tap_is "host -> guest over IPv6, TCP 80" "$(sb_probe_host tcp 80 "$G_IP6")" hello-from-g1
tap_is "host -> guest over IPv6, UDP 80" "$(sb_probe_host udp 80 "$G_IP6")" hello-from-g1
tap_ok "second server on the guest (udp 53)" sb_guest_serve g1 udp 53
tap_is "host -> guest, UDP 53" "$(sb_probe_host udp 53 "$G_IP")" hello-from-g1
# plain routing from the LAN: libvirt-routed-in lets new connections into routed networks
tap_is "LAN -> guest address directly (routed network), TCP" "$(sb_probe_lan tcp 80 "$G_IP")" hello-from-g1
tap_is "LAN -> guest address directly over IPv6, TCP" "$(sb_probe_lan tcp 80 "$G_IP6")" hello-from-g1

# ---- a firewalld forward-port publishes the guest on the host's LAN address
tap_is "nothing on host port 8083 yet" "$(sb_probe_lan tcp 8083 2>/dev/null)" ""
tap_ok "firewall-cmd adds a forward-port in zone public" \
    firewall-cmd -q --zone=public --add-forward-port="port=8083:proto=tcp:toport=80:toaddr=$G_IP"
tap_is "LAN -> 198.51.100.1:8083 reaches the guest" "$(sb_probe_lan tcp 8083)" hello-from-g1
tap_is "LAN2 -> 203.0.113.1:8083 reaches the guest" "$(sb_probe_lan2 tcp 8083)" hello-from-g1
tap_ok "firewall-cmd adds a UDP forward-port" \
    firewall-cmd -q --zone=public --add-forward-port="port=8053:proto=udp:toport=80:toaddr=$G_IP"
tap_is "LAN -> 198.51.100.1:8053/udp reaches the guest" "$(sb_probe_lan udp 8053)" hello-from-g1
tap_is "a port nobody forwards stays closed" "$(sb_probe_lan tcp 8084 2>/dev/null)" ""

# ---- nat and open networks
sb_time ms sb_net natnet nat vbr-nat 192.168.100
tap_ok "nat-mode network starts" test $? = 0
tap_diag "net-start (nat) took $ms ms"
tap_ok "nat bridge exists" ip link show vbr-nat
tap_is "nat bridge is in zone libvirt" "$(firewall-cmd --get-zone-of-interface=vbr-nat 2>&1)" libvirt
sb_time ms sb_net opennet open vbr-open 192.168.101
tap_ok "open-mode network starts" test $? = 0
tap_diag "net-start (open) took $ms ms"
tap_ok "open bridge exists" ip link show vbr-open
# libvirt itself leaves an open network's bridge in no zone (this build's network hook
# may put it into its own zone)
zone=$(firewall-cmd --get-zone-of-interface=vbr-open 2>/dev/null)
tap_diag "open bridge zone: '${zone}'"
tap_ok "libvirt puts the open bridge into none of its zones" \
    test "$zone" != libvirt -a "$zone" != libvirt-routed

# ---- a real qemu guest (TCG, diskless)
meta='<vf:test xmlns:vf="urn:example:virt-firewalld-test:1"><vf:hello/></vf:test>'
sb_time ms sb_domain_create vm1 routenet 52:54:00:00:02:0b "$meta"
tap_ok "virsh create of a TCG guest on routenet" test $? = 0
tap_diag "virsh create took $ms ms"
tap_is "domstate" "$($VIRSH domstate vm1 2>&1)" running
tap_like "the domain keeps its <metadata>" "$($VIRSH dumpxml vm1 2>&1 | tr -d '\n')" 'vf:hello'
tap_like "its tap is on the bridge" "$(ip -o link show master vbr-route)" 'vnet[0-9]+'

# ---- libvirtd restart: guests and networks survive
qpid=$(pgrep -n -f 'qemu-system-x86_64 .*guest=vm1' || true)
sb_time ms sb_stop_libvirtd
tap_ok "libvirtd stops" test $? = 0
tap_diag "libvirtd stop took $ms ms"
tap_ok "the qemu process outlives libvirtd" test -n "$qpid" -a -e "/proc/$qpid"
tap_is "the guest is still reachable with libvirtd down" "$(sb_probe_host tcp 80 "$G_IP")" hello-from-g1
sb_time ms sb_start_libvirtd
tap_ok "libvirtd starts again" test $? = 0
tap_diag "libvirtd restart took $ms ms"
tap_is "domstate after the restart" "$($VIRSH domstate vm1 2>&1)" running
tap_like "networks still active" "$($VIRSH net-list --name | sort | tr '\n' ' ')" 'natnet opennet routenet'

sb_time ms sb_domain_destroy vm1
tap_ok "virsh destroy" test $? = 0
tap_diag "virsh destroy took $ms ms"
tap_like "the domain is gone" "$($VIRSH domstate vm1 2>&1)" 'failed to get domain|Domain not found'

tap_ok "net-destroy works" sb_net_destroy natnet

# ---- firewalld restart: runtime forward-ports are gone
sb_time ms sb_restart_firewalld
tap_ok "firewalld restarts" test $? = 0
tap_diag "firewalld restart took $ms ms"
tap_is "the runtime forward-port is gone after the restart" "$(sb_probe_lan tcp 8083 2>/dev/null)" ""
tap_done
