# shellcheck shell=bash disable=SC2034  # variables are for the tests
# Function library of the test sandbox, sourced by tests/sandbox/run inside the
# sandbox (host network namespace + private mount namespace). See README.md.
#
# Set by run (from $SB/env): SB SB_ID SB_NS_PREFIX SB_OUTER_PID SB_HARNESS_DIR

export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/dbus/system_bus_socket
VIRSH="virsh -q -c qemu:///system"

SB_HOST_NS=$SB_NS_PREFIX-host
SB_LAN_NS=$SB_NS_PREFIX-lan
SB_LAN2_NS=$SB_NS_PREFIX-lan2
SB_LAN_IF=lan0            # host side of the host <-> LAN link
SB_LAN2_IF=lan1           # host side of the host <-> LAN2 link
SB_HOST_IP=198.51.100.1
SB_HOST_IP6=2001:db8:51::1
SB_LAN_IP=198.51.100.2
SB_LAN_IP6=2001:db8:51::2
SB_HOST2_IP=203.0.113.1
SB_HOST2_IP6=2001:db8:113::1
SB_LAN2_IP=203.0.113.2
SB_LAN2_IP6=2001:db8:113::2
SB_PROBE_TIMEOUT=${SB_PROBE_TIMEOUT:-3}

mkdir -p "$SB/pids" "$SB/state"
: >>"$SB/state/networks"
: >>"$SB/state/domains"
: >>"$SB/state/guests"

sb_log() { echo "sandbox: $*" >&2; }

# ---------------------------------------------------------------------------------
# process helpers
# ---------------------------------------------------------------------------------
_sb_pid() { cat "$SB/pids/$1" 2>/dev/null; }

# true if the recorded daemon runs (and is not a zombie)
sb_alive() {
    local pid
    pid=$(_sb_pid "$1") || return 1
    [ -n "$pid" ] && [ -e "/proc/$pid" ] || return 1
    ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null
}

# _sb_stop NAME [SECONDS]: TERM, wait, KILL
_sb_stop() {
    local name=$1 max=${2:-10} pid i
    pid=$(_sb_pid "$name") || return 0
    if sb_alive "$name"; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < max * 10; i++)); do
            sb_alive "$name" || break
            sleep 0.1
        done
        if sb_alive "$name"; then
            sb_log "$name ($pid) ignored TERM for ${max}s, killing"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.2
        fi
    fi
    wait "$pid" 2>/dev/null || true
    rm -f "$SB/pids/$name"
    return 0
}

# _sb_wait_for SECONDS CMD...: poll CMD every 0.1 s
_sb_wait_for() {
    local max=$1 i
    shift
    for ((i = 0; i < max * 10; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# ---------------------------------------------------------------------------------
# daemons
# ---------------------------------------------------------------------------------
sb_start_dbus() {
    sb_alive dbus && return 0
    cat >"$SB/dbus.conf" <<'EOF'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=/run/dbus/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
  </policy>
</busconfig>
EOF
    rm -f /run/dbus/system_bus_socket
    setsid dbus-daemon --nofork --nopidfile --config-file="$SB/dbus.conf" \
        </dev/null >>"$SB/dbus.log" 2>&1 &
    echo $! >"$SB/pids/dbus"
    if ! _sb_wait_for 5 test -S /run/dbus/system_bus_socket; then
        sb_log "dbus-daemon did not come up:"
        tail -n 20 "$SB/dbus.log" >&2
        return 1
    fi
}

sb_stop_dbus() { _sb_stop dbus 5; }

# extra firewalld arguments, e.g. SB_FIREWALLD_ARGS="--debug=2"
sb_start_firewalld() {
    sb_alive firewalld && return 0
    sb_alive dbus || sb_start_dbus || return 1
    local i pid
    # shellcheck disable=SC2086
    setsid firewalld --nofork --nopid --log-target file --log-file "$SB/firewalld.log" \
        ${SB_FIREWALLD_ARGS:-} </dev/null >>"$SB/firewalld.out" 2>&1 &
    pid=$!
    echo $pid >"$SB/pids/firewalld"
    for ((i = 0; i < 40; i++)); do
        [ "$(firewall-cmd --state 2>/dev/null)" = running ] && return 0
        sb_alive firewalld || break
        sleep 0.25
    done
    sb_log "firewalld is not running (state: $(firewall-cmd --state 2>&1)); its log:"
    tail -n 25 "$SB/firewalld.log" "$SB/firewalld.out" >&2 2>/dev/null
    return 1
}

sb_stop_firewalld() { _sb_stop firewalld 10; }
sb_restart_firewalld() { sb_stop_firewalld && sb_start_firewalld; }

# libvirt's daemons. SB_LIBVIRT_DAEMONS=modular runs virtnetworkd and virtqemud instead of
# the monolithic libvirtd (modular is the default on Fedora and RHEL 9+; Debian 12 and 13
# build only libvirtd): virtqemud runs the qemu hooks, virtnetworkd the network hooks,
# each finding them when it starts. Either way their output goes to $SB/libvirtd.log.
sb_libvirt_daemons() {
    if [ "${SB_LIBVIRT_DAEMONS:-monolithic}" = modular ]; then
        echo virtnetworkd virtqemud
    else
        echo libvirtd
    fi
}
sb_libvirt_alive() {
    local d
    for d in $(sb_libvirt_daemons); do sb_alive "$d" || return 1; done
}

# libvirt's nftables backend adds 'tc filter ... action csum' (to fill in the checksums of
# DHCP replies) to every network it starts, and a kernel without act_csum
# (CONFIG_NET_ACT_CSUM, as on these machines) fails it: the network does not start. On such
# a kernel libvirtd finds a tc that takes that one filter as done and runs the real tc for
# everything else. Prints the directory to put first in libvirtd's PATH, or nothing.
_sb_tc_csum_shim() {
    local ok=0
    ip link add vfwcsum0 type bridge 2>/dev/null || return 0
    tc qdisc add dev vfwcsum0 root handle 1: htb 2>/dev/null &&
        tc filter add dev vfwcsum0 prio 2 protocol ip parent 1: u32 match ip dport 68 ffff \
            action csum ip and udp 2>/dev/null && ok=1
    ip link del vfwcsum0 2>/dev/null
    [ $ok = 1 ] && return 0
    mkdir -p "$SB/tc-shim"
    {
        echo '#!/bin/sh'
        echo '# sandbox: this kernel has no act_csum; libvirt'"'"'s checksum filter is taken as done'
        echo 'case " $* " in *" action csum "*) exit 0 ;; esac'
        echo "exec $(command -v tc) \"\$@\""
    } >"$SB/tc-shim/tc"
    chmod 755 "$SB/tc-shim/tc"
    echo "$SB/tc-shim"
}

sb_start_libvirtd() {
    sb_libvirt_alive && return 0
    sb_alive dbus || sb_start_dbus || return 1
    local d i shim
    shim=$(_sb_tc_csum_shim)
    [ -n "$shim" ] && echo "sandbox: no act_csum in this kernel: libvirtd's 'tc ... action csum' is a no-op" >>"$SB/libvirtd.log"
    for d in $(sb_libvirt_daemons); do
        sb_alive "$d" && continue
        PATH="${shim:+$shim:}$PATH" setsid "$d" --pid-file "$SB/$d.pid" </dev/null >>"$SB/libvirtd.log" 2>&1 &
        echo $! >"$SB/pids/$d"
    done
    for ((i = 0; i < 200; i++)); do
        $VIRSH version >/dev/null 2>&1 && $VIRSH net-list --all >/dev/null 2>&1 && return 0
        sb_libvirt_alive || break
        sleep 0.1
    done
    sb_log "libvirt ($(sb_libvirt_daemons)) does not answer; its log:"
    tail -n 25 "$SB/libvirtd.log" >&2
    return 1
}

# stops the daemons only: guests and networks (dnsmasq, bridges) keep running, as in a
# real libvirtd restart
sb_stop_libvirtd() {
    local d
    for d in virtqemud virtnetworkd libvirtd; do _sb_stop "$d" 20; done
}
sb_restart_libvirtd() { sb_stop_libvirtd && sb_start_libvirtd; }

sb_start_all() { sb_start_dbus && sb_start_firewalld && sb_start_libvirtd; }

# ---------------------------------------------------------------------------------
# libvirt networks and domains
# ---------------------------------------------------------------------------------
_sb_record() { grep -qxF "$2" "$SB/state/$1" || echo "$2" >>"$SB/state/$1"; }
_sb_unrecord() { grep -vxF "$2" "$SB/state/$1" >"$SB/state/$1.new" || true; mv "$SB/state/$1.new" "$SB/state/$1"; }

# sb_net NAME MODE BRIDGE V4PREFIX [--ipv6 PREFIX] [--host MAC=IP]... [--zone ZONE] [--no-dhcp]
#   MODE nat|route|open; V4PREFIX e.g. 192.168.100 (gateway .1/24, DHCP .100-.200 unless
#   --no-dhcp: libvirt's nftables backend cannot start DHCP networks on a kernel without
#   act_csum, as here);
#   --ipv6 fd00:5 -> <ip family='ipv6' address='fd00:5::1' prefix='64'/>;
#   --host IP may be a full address or the last octet.
sb_net() {
    local name=$1 mode=$2 bridge=$3 v4=$4 v6="" zone="" hosts="" mac ip dhcp=1
    shift 4 || { sb_log "usage: sb_net NAME MODE BRIDGE V4PREFIX [options]"; return 2; }
    while [ $# -gt 0 ]; do
        case $1 in
        --ipv6) v6=$2; shift 2 ;;
        --no-dhcp) dhcp=0; shift ;;
        --zone) zone=$2; shift 2 ;;
        --host)
            mac=${2%%=*} ip=${2#*=}
            case $ip in *.*) ;; *) ip=$v4.$ip ;; esac
            hosts="$hosts      <host mac='$mac' ip='$ip'/>
"
            shift 2 ;;
        *) sb_log "sb_net: unknown option $1"; return 2 ;;
        esac
    done
    local xml=$SB/net-$name.xml
    {
        echo "<network>"
        echo "  <name>$name</name>"
        echo "  <forward mode='$mode'/>"
        echo "  <bridge name='$bridge' stp='off'${zone:+ zone='$zone'}/>"
        echo "  <ip address='$v4.1' netmask='255.255.255.0'>"
        if [ $dhcp = 1 ]; then
            echo "    <dhcp>"
            echo "      <range start='$v4.100' end='$v4.200'/>"
            printf '%s' "$hosts"
            echo "    </dhcp>"
        fi
        echo "  </ip>"
        if [ -n "$v6" ]; then
            v6=${v6%/64}
            while [ "${v6%:}" != "$v6" ]; do v6=${v6%:}; done
            echo "  <ip family='ipv6' address='$v6::1' prefix='64'/>"
        fi
        echo "</network>"
    } >"$xml"
    _sb_record networks "$name"
    $VIRSH net-define "$xml" >/dev/null || return 1
    $VIRSH net-start "$name" >/dev/null || return 1
    # the bridge's IPv6 address stays tentative until a port is up, then DAD holds it
    # back 1-2 s more (the first v6 connection then stalls): skip DAD on sandbox bridges
    if [ -n "$v6" ]; then
        sysctl -qw "net.ipv6.conf.$bridge.accept_dad=0" 2>/dev/null || true
    fi
    return 0
}

sb_net_destroy() {
    local rc=0
    $VIRSH net-destroy "$1" >/dev/null || rc=$?
    $VIRSH net-undefine "$1" >/dev/null 2>&1 || true
    _sb_unrecord networks "$1"
    return $rc
}

# sb_domain_create NAME NETWORK MAC [METADATA_XML_FRAGMENT]: diskless TCG guest
sb_domain_create() { # NAME NETWORK MAC [METADATA]; SB_DOMAIN_UUID=... gives it that UUID
    local name=$1 net=$2 mac=$3 meta=${4:-}
    local xml=$SB/dom-$name.xml
    cat >"$xml" <<EOF
<domain type='qemu'>
  <name>$name</name>
${SB_DOMAIN_UUID:+  <uuid>$SB_DOMAIN_UUID</uuid>
}  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
${meta:+  <metadata>$meta</metadata>
}  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <interface type='network'>
      <source network='$net'/>
      <mac address='$mac'/>
      <model type='virtio'/>
      <rom enabled='no'/>
    </interface>
    <controller type='usb' model='none'/>
    <video><model type='none'/></video>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
    _sb_record domains "$name"
    $VIRSH create "$xml" >/dev/null
}

sb_domain_destroy() {
    local rc=0
    $VIRSH destroy "$1" >/dev/null || rc=$?
    _sb_unrecord domains "$1"
    return $rc
}

# ---------------------------------------------------------------------------------
# fake guests: a network namespace with a veth on a bridge and servers on port 80
# ---------------------------------------------------------------------------------
# the netns of a role (host lan lan2 or a fake guest's NAME), or NS itself
# sb_published [--permanent]: every forward in our policies virtfw-forward and virtfw-pub
# (their -host twins hold the same), one line each: rich rules, then forward-ports
sb_published() {
    local p
    for p in virtfw-forward virtfw-pub; do
        firewall-cmd ${1:-} --policy=$p --list-rich-rules
        firewall-cmd ${1:-} --policy=$p --list-forward-ports
    done | grep 'forward-port\|^port=' || true
}

sb_ns() {
    if [ -e "/run/netns/$SB_NS_PREFIX-$1" ]; then echo "$SB_NS_PREFIX-$1"; else echo "$1"; fi
}

# sb_fake_guest NAME BRIDGE MAC IPV4/24 GWV4 [IPV6/64 GWV6]
sb_fake_guest() {
    local name=$1 bridge=$2 mac=$3 ip4=$4 gw4=$5 ip6=${6:-} gw6=${7:-}
    local ns=$SB_NS_PREFIX-$name hostif="vg-${1:0:12}"
    [ $# -ge 5 ] || { sb_log "usage: sb_fake_guest NAME BRIDGE MAC IPV4/24 GWV4 [IPV6/64 GWV6]"; return 2; }
    # created in the outer mount namespace, where /run/netns is shared: the sandbox's
    # mount namespace (a slave) sees it, and the outer teardown finds it. --root: entering
    # a mount namespace resets the root directory to the namespace's own, which is not the
    # outer part's when it runs in a chroot (tests/stacks/trixie.sh)
    nsenter --mount="/proc/$SB_OUTER_PID/ns/mnt" --root="/proc/$SB_OUTER_PID/root" --wd=/ ip netns add "$ns" || return 1
    _sb_record guests "$name"
    ip link add "$hostif" type veth peer name eth0 address "$mac" netns "$ns" || return 1
    ip link set "$hostif" master "$bridge" up || return 1
    ip -n "$ns" link set lo up &&
        ip -n "$ns" addr add "$ip4" dev eth0 &&
        ip -n "$ns" link set eth0 up &&
        ip -n "$ns" route add default via "$gw4" || return 1
    if [ -n "$ip6" ]; then
        ip -n "$ns" addr add "$ip6" dev eth0 nodad &&
            ip -n "$ns" -6 route add default via "$gw6" || return 1
    fi
    sb_guest_serve "$name" tcp 80 && sb_guest_serve "$name" udp 80 || return 1
    # the first port on a bridge: for ~1.3 s the bridge's IPv6 address is not yet used
    # as a source and the first v6 connection stalls ~2 s; wait until it is
    if [ -n "$ip6" ]; then
        _sb_wait_for 5 _sb_v6_src_on "${ip6%/*}" "$bridge" ||
            sb_log "guest $name: the host still routes to ${ip6%/*} from outside $bridge"
    fi
    return 0
}

_sb_v6_src_on() { # ADDR BRIDGE: the host reaches ADDR from an address of BRIDGE
    local src
    src=$(ip -6 route get "$1" 2>/dev/null | sed -n 's/.* src \([^ ]*\).*/\1/p')
    [ -n "$src" ] && ip -6 addr show dev "$2" | grep -q "inet6 $src/"
}

# sb_dhcp_guest NAME BRIDGE MAC [REQUEST_IP]: a fake guest that configures itself by DHCP
# as a real one would (busybox udhcpc in the foreground, -R: release on SIGTERM); waits
# for its address. No servers: add them with sb_guest_serve.
sb_dhcp_guest() {
    local name=$1 ns=$SB_NS_PREFIX-$1 hostif="vg-${1:0:12}"
    [ $# -ge 3 ] || { sb_log "usage: sb_dhcp_guest NAME BRIDGE MAC [REQUEST_IP]"; return 2; }
    nsenter --mount="/proc/$SB_OUTER_PID/ns/mnt" --root="/proc/$SB_OUTER_PID/root" --wd=/ ip netns add "$ns" || return 1
    _sb_record guests "$name"
    ip link add "$hostif" type veth peer name eth0 address "$3" netns "$ns" || return 1
    ip link set "$hostif" master "$2" up && ip -n "$ns" link set lo up &&
        ip -n "$ns" link set eth0 up || return 1
    cat >"$SB/udhcpc-$name.sh" <<'EOF'
#!/bin/sh
case "$1" in
deconfig) ip addr flush dev "$interface" ;;
bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    [ -n "$router" ] && ip route replace default via "${router%% *}" ;;
esac
EOF
    chmod +x "$SB/udhcpc-$name.sh"
    sb_dhcp_renew "$name" "${4:-}"
}

# sb_dhcp_renew NAME [REQUEST_IP]: (re)start the guest's DHCP client, wait for an address
# and the default route (the client's script adds the route after the address: a guest
# that answers before it has the route loses its first SYN-ACK, and the client's connect
# then takes a SYN retransmission, 1 s)
sb_dhcp_renew() {
    local name=$1 ns=$SB_NS_PREFIX-$1 i
    setsid ip netns exec "$ns" busybox udhcpc -f -R -i eth0 -s "$SB/udhcpc-$name.sh" \
        ${2:+-r "$2"} </dev/null >>"$SB/udhcpc-$name.log" 2>&1 &
    echo $! >"$SB/pids/udhcpc-$name"
    for i in $(seq 100); do
        ip -n "$ns" -4 -o addr show dev eth0 | grep -q inet &&
            ip -n "$ns" -4 route show default | grep -q via && return 0
        sleep 0.1
    done
    sb_log "guest $name: no DHCP lease"
    return 1
}

# sb_dhcp_release NAME: stop the DHCP client; it sends DHCPRELEASE (udhcpc -R)
sb_dhcp_release() {
    local pid
    pid=$(_sb_pid "udhcpc-$1") || return 1
    kill -TERM "$pid" 2>/dev/null
    _sb_wait_for 5 bash -c "! kill -0 $pid 2>/dev/null"
    rm -f "$SB/pids/udhcpc-$1"
    ip -n "$SB_NS_PREFIX-$1" addr flush dev eth0
}

# sb_guest_serve NAME tcp|udp PORT: another server answering hello-from-NAME (v4+v6)
sb_guest_serve() { # NAME tcp|udp PORT [ANSWER]; NAME may be lan or lan2 too
    local name=$1 proto=$2 port=$3 answer=${4:-hello-from-$1} ns addr flag
    ns=$(sb_ns "$name")
    case $proto in
    tcp) addr="TCP6-LISTEN:$port,ipv6only=0,reuseaddr,fork" flag=-ltnH ;;
    udp) addr="UDP6-RECVFROM:$port,ipv6only=0,reuseaddr,fork" flag=-lunH ;;
    *) sb_log "sb_guest_serve: protocol tcp or udp"; return 2 ;;
    esac
    setsid ip netns exec "$ns" socat "$addr" SYSTEM:"echo $answer" \
        </dev/null >>"$SB/guest-$name.log" 2>&1 &
    echo $! >"$SB/pids/socat-$name-$proto-$port"
    _sb_wait_for 3 _sb_listening "$ns" "$flag" "$port" ||
        { sb_log "guest $name: no $proto server on port $port"; return 1; }
}

_sb_listening() { [ -n "$(ip netns exec "$1" ss "$2" "sport = :$3")" ]; }

# ---------------------------------------------------------------------------------
# probes: print the answer's first line, true only if an answer came
# ---------------------------------------------------------------------------------
# TCP: socat (bash's /dev/tcp sleeps 1 s after a refused connect); -t: wait that long
# for the answer after our (empty) stdin ended. UDP: bash's /dev/udp, and dd reads the
# reply in one read() (bash's `read` would consume a datagram a byte at a time).
_SB_PROBE_SH='
proto=$1 dest=${2#[} port=$3 t=$4
dest=${dest%]}
if [ "$proto" = udp ]; then
    { exec 3<>"/dev/udp/$dest/$port"; } 2>/dev/null || exit 1
    # a datagram can be lost (seen: 1 in ~100 under load): resend every half second, as a
    # UDP client does; a closed port fails the next send (ICMP unreachable)
    line=
    for _ in $(seq $((t * 2))); do
        printf "probe\n" >&3 2>/dev/null || exit 1
        line=$(timeout 0.5 dd bs=65535 count=1 <&3 2>/dev/null | head -n 1)
        [ -n "$line" ] && break
    done
else
    case $dest in *:*) addr="TCP6:[$dest]:$port" ;; *) addr="TCP4:$dest:$port" ;; esac
    line=$(socat -t "$t" -T "$t" - "$addr,connect-timeout=$t" </dev/null 2>/dev/null | head -n 1)
fi
[ -n "$line" ] || exit 1
printf "%s\n" "$line"
'

_sb_probe() { # NS|"" PROTO DEST PORT
    local ns=$1 out rc
    shift
    case $1 in tcp | udp) ;; *) sb_log "probe: protocol tcp or udp, not '$1'"; return 2 ;; esac
    if [ -z "$ns" ] || [ "$ns" = "$SB_HOST_NS" ]; then
        out=$(timeout "$SB_PROBE_TIMEOUT" bash -c "$_SB_PROBE_SH" probe "$@" "$SB_PROBE_TIMEOUT")
    else
        out=$(timeout "$SB_PROBE_TIMEOUT" ip netns exec "$ns" bash -c "$_SB_PROBE_SH" probe "$@" "$SB_PROBE_TIMEOUT")
    fi
    rc=$?
    if [ $rc = 0 ] && [ -n "$out" ]; then
        printf '%s\n' "$out"
        return 0
    fi
    [ $rc = 124 ] && rc="timed out after ${SB_PROBE_TIMEOUT}s" || rc="refused/unreachable"
    sb_log "probe $1 ${2}:$3 from ${ns:-$SB_HOST_NS}: no answer ($rc)"
    return 1
}

# sb_eventually SECS CMD...: runs CMD every 0.1 s until it succeeds, for at most SECS, then
# once more (whose stderr says why it failed); prints the stdout of the run that succeeded.
# CMD is a probe (sb_probe_lan tcp 8080, ...: it succeeds only if an answer came, and prints
# it) or any check of what a daemon does in its own time (watch adding a new address to the
# set). For the moments after a firewalld reload or restart: libvirtd re-creates its own
# rules when it sees the Reloaded signal, after firewall-cmd has returned, and until it has,
# its reject rules catch the connection.
sb_eventually() {
    # in microseconds: $SECONDS counts whole seconds (a window of 2 could last just over 1)
    local end=$((${EPOCHREALTIME//[!0-9]/} + $1 * 1000000)) out
    shift
    while [ "${EPOCHREALTIME//[!0-9]/}" -lt "$end" ]; do
        out=$("$@" 2>/dev/null) && { [ -z "$out" ] || printf '%s\n' "$out"; return 0; }
        sleep 0.1
    done
    "$@" # the last try logs why it failed
}

sb_probe_lan() { _sb_probe "$SB_LAN_NS" "$1" "${3:-$SB_HOST_IP}" "$2"; }    # PROTO PORT [DEST]
sb_probe_lan2() { _sb_probe "$SB_LAN2_NS" "$1" "${3:-$SB_HOST2_IP}" "$2"; } # PROTO PORT [DEST]
sb_probe_host() { _sb_probe "" "$1" "${3:-$SB_HOST_IP}" "$2"; }             # PROTO PORT [DEST]
sb_probe_from() { _sb_probe "$(sb_ns "$1")" "$2" "$3" "$4"; }                # NS PROTO DEST PORT

# sb_through_restarts CHECK [ARGS...]: what survives firewalld and libvirtd going away.
# Runs firewall-cmd --reload, then a firewalld restart, then a libvirtd restart, each
# followed by CHECK ARGS... WHEN, WHEN being "after firewall-cmd --reload", "after a
# firewalld restart", "after a libvirtd restart" (for the check's TAP descriptions). The
# first two drop every runtime rule and zone binding; in the third, libvirtd reconnects to
# the guests and networks that kept running without it.
sb_through_restarts() {
    firewall-cmd -q --reload
    "$@" "after firewall-cmd --reload"
    sb_restart_firewalld
    "$@" "after a firewalld restart"
    sb_restart_libvirtd
    "$@" "after a libvirtd restart"
}

# ---------------------------------------------------------------------------------
# TAP
# ---------------------------------------------------------------------------------
_SB_TAP_N=0
_SB_TAP_FAILED=0
_SB_TAP_PLAN=""      # planned count (tap_plan), or count printed by tap_done

_sb_tap_result() { # ok|"not ok" DESC
    _SB_TAP_N=$((_SB_TAP_N + 1))
    local desc=${2//#/_}
    desc=${desc//$'\n'/ }
    echo "$1 $_SB_TAP_N - $desc"
    [ "$1" = ok ] || _SB_TAP_FAILED=$((_SB_TAP_FAILED + 1))
}

tap_plan() { _SB_TAP_PLAN=$1; echo "1..$1"; }
tap_done() {
    [ -n "$_SB_TAP_PLAN" ] && return 0
    _SB_TAP_PLAN=$_SB_TAP_N
    echo "1..$_SB_TAP_N"
}
tap_diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
tap_pass() { _sb_tap_result ok "$1"; }
tap_fail() { _sb_tap_result "not ok" "$1"; }

# tap_ok DESC CMD...: CMD's stdout goes to stderr (keeps the TAP stream clean)
tap_ok() {
    local desc=$1
    shift
    local rc=0
    "$@" >&2 || rc=$?
    if [ $rc = 0 ]; then
        _sb_tap_result ok "$desc"
    else
        _sb_tap_result "not ok" "$desc"
        tap_diag "command failed (exit $rc): $*"
        return 1
    fi
}

tap_is() { # DESC GOT WANT
    if [ "$2" = "$3" ]; then
        _sb_tap_result ok "$1"
    else
        _sb_tap_result "not ok" "$1"
        tap_diag "     got: '$2'" "expected: '$3'"
        return 1
    fi
}

tap_like() { # DESC GOT REGEX
    if [[ $2 =~ $3 ]]; then
        _sb_tap_result ok "$1"
    else
        _sb_tap_result "not ok" "$1"
        tap_diag "     got: '$2'" "expected to match: /$3/"
        return 1
    fi
}

tap_skip() { # DESC REASON
    _SB_TAP_N=$((_SB_TAP_N + 1))
    echo "ok $_SB_TAP_N - ${1//#/_} # SKIP ${2:-}"
}

# tap_skip_all REASON: the whole test is skipped
tap_skip_all() {
    echo "1..0 # SKIP $*"
    _SB_TAP_PLAN=0
    exit 0
}

tap_bail() { echo "Bail out! $*"; _SB_TAP_PLAN=${_SB_TAP_PLAN:-bailed}; exit 1; }

# time a command: sb_time VAR CMD... (VAR = milliseconds; returns CMD's status)
sb_time() {
    local __var=$1 __t0 __rc
    shift
    __t0=$(date +%s%N)
    __rc=0
    "$@" || __rc=$?
    printf -v "$__var" '%d' $((($(date +%s%N) - __t0) / 1000000))
    return $__rc
}

# ---------------------------------------------------------------------------------
# teardown inside the sandbox (the outer part then kills what is left by PID)
# ---------------------------------------------------------------------------------
sb_teardown() {
    local d n f
    if sb_libvirt_alive; then
        for d in $(cat "$SB/state/domains") $($VIRSH list --name 2>/dev/null); do
            $VIRSH destroy "$d" >/dev/null 2>&1
        done
        for n in $(cat "$SB/state/networks") $($VIRSH net-list --name 2>/dev/null); do
            $VIRSH net-destroy "$n" >/dev/null 2>&1
        done
    fi
    for d in virtqemud virtnetworkd libvirtd; do _sb_stop "$d" 10; done
    # hand libvirt's qemu capabilities cache to the outer part (it keeps them)
    if [ -n "$(ls /var/cache/libvirt/qemu/capabilities 2>/dev/null)" ]; then
        mkdir -p "$SB/caps-out" && cp -a /var/cache/libvirt/qemu/capabilities/. "$SB/caps-out/"
    fi
    _sb_stop firewalld 10
    _sb_stop dbus 5
    for f in "$SB"/pids/socat-*; do
        [ -e "$f" ] && _sb_stop "${f##*/}" 2
    done
    return 0
}

_sb_inner_exit() {
    local rc=$?
    trap '' INT TERM HUP
    set +e +u
    sb_teardown
    if [ -z "$_SB_TAP_PLAN" ]; then
        echo "1..$_SB_TAP_N"
    elif [ "$_SB_TAP_PLAN" != "$_SB_TAP_N" ] && [ "$_SB_TAP_PLAN" != 0 ] &&
        [ "$_SB_TAP_PLAN" != bailed ]; then
        tap_diag "planned $_SB_TAP_PLAN tests but ran $_SB_TAP_N"
        [ "$rc" = 0 ] && rc=1
    fi
    if [ "$_SB_TAP_FAILED" -gt 0 ]; then
        tap_diag "failed $_SB_TAP_FAILED of $_SB_TAP_N"
        [ "$rc" = 0 ] && rc=1
    fi
    exit "$rc"
}
