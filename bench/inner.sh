#!/bin/bash
# The benchmark itself, run by bench/run inside ONE sandbox (tests/sandbox/run sources it
# with sandbox.sh loaded: real firewalld, libvirtd, D-Bus; this build installed at its real
# paths). Writes raw measurements to $BENCH_OUT/raw.tsv (section method param metric value)
# and facts about the machine to $BENCH_OUT/meta.tsv; bench/report.py turns them into
# results.md and scale.png.
#
# Environment (set by bench/run): BENCH_BIN (floor-client, netprobe), BENCH_SRC (bench/),
# BENCH_OUT, BENCH_T0 (run start, s), BENCH_TRIALS, BENCH_FWCMD_TRIALS, BENCH_FULL,
# BENCH_BUDGET (s into the run: later scale points shrink to 1 trial, callgrind is skipped),
# BENCH_SEQ_GUESTS / BENCH_SEQ_FORWARDS (part 6: guests started one after another, 100 x 10),
# BENCH_SEQ_FLOOR=1 (part 6 for the floor too; on with BENCH_FULL=1).
set -u

declare -F sb_start_all >/dev/null || { echo "run me through bench/run" >&2; exit 2; }

T=${BENCH_TRIALS:-5}
TF=${BENCH_FWCMD_TRIALS:-3}
FULL=${BENCH_FULL:-0}
BUDGET=${BENCH_BUDGET:-900}
SEQ_N=${BENCH_SEQ_GUESTS:-100}
SEQ_F=${BENCH_SEQ_FORWARDS:-10}
if [ "$SEQ_N" -lt 1 ] || [ "$SEQ_N" -gt 150 ] || [ "$SEQ_F" -lt 1 ] || [ "$SEQ_F" -gt 60 ]; then
    echo "BENCH_SEQ_GUESTS: 1-150, BENCH_SEQ_FORWARDS: 1-60" >&2
    exit 2
fi
HOOK=/etc/libvirt/hooks/qemu.d/virt-firewalld
FLOOR=$BENCH_BIN/floor-client
NOLV=$BENCH_BIN/hook-nolibvirt # prototype of the proposed fix: the hook without libvirt
LASTREL_HOOK=${BENCH_LASTREL_HOOK:-} # the last release's hook binary (bench/run builds it)
# the prototype is measured only while the installed hook still links libvirt
HOOK_BIN=$(readlink -f "$HOOK")
PROTO=0
ldd "$HOOK_BIN" | grep -q libvirt && PROTO=1
NETPROBE=$BENCH_BIN/netprobe
FWCMD=$BENCH_SRC/fwcmd-hook.sh
# one file per guest: the items our hook publishes for it (as its record stores them), for
# floor-client and fwcmd-hook; and the same forwards as the hook published them before
# forward-ports (66ca731^: rich rules in virtfw-forward and virtfw-host), for part 6
ITEMS=$SB/bench-items
OLD=$SB/bench-items-old
RAW=$BENCH_OUT/raw.tsv
META=$BENCH_OUT/meta.tsv
BR=virbr50
NET=net50
PFX=192.168.150
DROPIN=/etc/virt-firewalld/forwards.d

mkdir -p "$ITEMS" "$OLD" "$DROPIN"
: >"$RAW"
: >"$META"

say() { echo "bench: [$(($(date +%s) - BENCH_T0))s] $*" >&2; }
meta() { printf '%s\t%s\n' "$1" "$2" >>"$META"; }
rec() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RAW"; } # SECTION METHOD PARAM METRIC VALUE
elapsed() { echo $(($(date +%s) - BENCH_T0)); }
over_budget() { [ "$(elapsed)" -ge "$BUDGET" ]; }
now() { date +%s%N; }
us_since() { echo $((($(date +%s%N) - $1) / 1000)); } # microseconds since T0_NS

# ---------------------------------------------------------------- guests and hooks
# uuid of a bench guest, from its name
uuid_of() { printf '6b1c0f2e-0000-4000-8000-%012d' "$(printf '%s' "$1" | cksum | cut -d' ' -f1 | cut -c1-9)"; }

domain_xml() { # NAME MAC: a libvirt-like live domain XML (what libvirtd passes on stdin)
    printf "<domain type='qemu' id='7'><name>%s</name><uuid>%s</uuid>" "$1" "$(uuid_of "$1")"
    printf "<memory unit='KiB'>65536</memory><os><type arch='x86_64'>hvm</type></os><devices>"
    printf "<interface type='network'><mac address='%s'/>" "$2"
    printf "<source network='%s' bridge='%s'/><target dev='vnet7'/>" "$NET" "$BR"
    printf "<model type='virtio'/></interface></devices></domain>\n"
}

# run one hook the way libvirtd does (scrubbed environment, XML on stdin); with BENCH_RSS
# set, our hook runs under GNU time (its peak RSS into $SB/bench-rss.out; ~1 ms more)
#   invoke ours|nolv|floor|old|lastrel|fwcmd NAME OP SUBOP
invoke() {
    local m=$1 name=$2 op=$3 sub=$4 xml=$SB/bench-xml-$2 wrap=()
    [ -n "${BENCH_RSS:-}" ] && wrap=(/usr/bin/time -f %M -o "$SB/bench-rss.out")
    case $m in
    ours | ours1to1) "${wrap[@]}" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C \
        "$HOOK" "$name" "$op" "$sub" - <"$xml" >/dev/null 2>>"$SB/bench-hook.err" ;;
    floor) env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C \
        "$FLOOR" "$ITEMS" "$name" "$op" "$sub" - <"$xml" >/dev/null 2>>"$SB/bench-hook.err" ;;
    old) env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C \
        "$FLOOR" "$OLD" "$name" "$op" "$sub" - <"$xml" >/dev/null 2>>"$SB/bench-hook.err" ;;
    lastrel) env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C \
        "$LASTREL_HOOK" qemu "$name" "$op" "$sub" - <"$xml" >/dev/null 2>>"$SB/bench-hook.err" ;;
    nolv) env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C \
        "$NOLV" "$name" "$op" "$sub" - <"$xml" >/dev/null 2>>"$SB/bench-hook.err" ;;
    fwcmd) env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C \
        bash "$FWCMD" "$ITEMS" "$name" "$op" "$sub" - <"$xml" >/dev/null 2>>"$SB/bench-hook.err" ;;
    esac
}
guest_start() { invoke "$1" "$2" prepare begin && invoke "$1" "$2" start begin; }
guest_stop() { invoke "$1" "$2" stopped end && invoke "$1" "$2" release end; }

# The exact entries our hook publishes (helper/plan.c) for a forward without a host address
# (HOSTPORT GUESTPORT ADDR): a forward-port of virtfw-pub and virtfw-pub-host, which the
# record stores prefixed "pub "; and for each guest address (ADDR) the hairpin rich rule,
# in virtfw-forward only
pub_item() { printf 'pub port=%s:proto=tcp:toport=%s:toaddr=%s\n' "$@"; }
hairpin_item() { printf 'rule family="ipv4" source address="%s" destination address="%s" masquerade\n' "$1" "$1"; }
# the same forward as the last release published it (50e16d0, before issue 13): an unscoped
# rich rule of virtfw-forward and virtfw-host, no hairpin rule
old_item() {
    printf 'rule family="ipv4" forward-port port="%s" protocol="tcp" to-port="%s" to-addr="%s"\n' "$@"
}

# bench_guest NAME MAC ADDR FIRSTPORT COUNT GUESTPORT|same DROPIN_FILE: declares the guest's
# forwards to our hook (drop-in) and to the others (item files), writes its domain XML
bench_guest() {
    local name=$1 mac=$2 addr=$3 first=$4 n=$5 gport=$6 file=$7 p specs="" g
    : >"$ITEMS/$name"
    : >"$OLD/$name"
    for ((p = first; p < first + n; p++)); do
        g=$gport
        [ "$g" = same ] && g=$p
        specs="$specs$p:$g/tcp; "
        [ "$gport" = same ] || [ "$n" = 1 ] && pub_item "$p" "$g" "$addr" >>"$ITEMS/$name"
        old_item "$p" "$g" "$addr" >>"$OLD/$name"
    done
    # consecutive host ports to one guest port: our hook publishes one entry of the range
    # (plan.c vfw_rules_merge_ports); the old design had one rich rule per port
    [ "$gport" = same ] || [ "$n" = 1 ] || pub_item "$first-$((first + n - 1))" "$gport" "$addr" >>"$ITEMS/$name"
    hairpin_item "$addr" >>"$ITEMS/$name"
    printf '[%s]\nforward = %s\naddress = %s\n\n' "$name" "${specs%; }" "$addr" >>"$DROPIN/$file"
    chmod 644 "$DROPIN/$file"
    domain_xml "$name" "$mac" >"$SB/bench-xml-$name"
}

# forward-ports of policy virtfw-pub (runtime)
live_count() { firewall-cmd --policy=virtfw-pub --list-forward-ports | grep -c '^port='; }
# rich rules of a policy (runtime) that match: POLICY REGEX
rich_count() { firewall-cmd --policy="$1" --list-rich-rules | grep -c -- "$2"; }

POLICIES="virtfw-forward virtfw-host virtfw-pub virtfw-pub-host"
# every entry (rich rules, forward-ports) of our four policies, runtime and permanent, one
# a line: "POLICY rt|perm ENTRY", sorted
places_dump() {
    local p k opt
    for p in $POLICIES; do
        for k in rt perm; do
            opt=
            [ $k = perm ] && opt=--permanent
            # shellcheck disable=SC2086
            firewall-cmd $opt --info-policy="$p" | sed -n "s/^\t/$p $k /p"
        done
    done | sort
}
# places_want NAME: what places_dump shows when exactly NAME's items are published (where
# our hook puts each item: helper/firewalld.c, vfw_item_in_place)
places_want() {
    local item entry k
    while IFS= read -r item; do
        entry=${item#pub }
        for k in rt perm; do
            case $item in
            "pub "*) printf 'virtfw-pub %s %s\nvirtfw-pub-host %s %s\n' $k "$entry" $k "$entry" ;;
            *" masquerade") printf 'virtfw-forward %s %s\n' $k "$entry" ;;
            *) printf 'virtfw-forward %s %s\nvirtfw-host %s %s\n' $k "$entry" $k "$entry" ;;
            esac
        done
    done <"$ITEMS/$1" | sort
}

# one timed start (prepare, start) and stop (stopped, release) of NAME with METHOD; each
# hook run is timed on its own too
#   trial SECTION METHOD NAME PARAM
timed() { # VAR METHOD NAME OP SUBOP: time one hook run (us) into VAR
    local __t0 __rc=0
    __t0=$(now)
    invoke "$2" "$3" "$4" "$5" || __rc=$?
    printf -v "$1" '%d' "$(us_since "$__t0")"
    if [ $__rc != 0 ]; then
        say "$2 $4 of $3 failed: $(tail -n 2 "$SB/bench-hook.err")"
        BENCH_ERRORS=$((BENCH_ERRORS + 1))
    fi
}
trial() {
    local sec=$1 m=$2 name=$3 param=$4 a b
    timed a "$m" "$name" prepare begin
    [ -n "${BENCH_RSS:-}" ] && [ "$m" = ours ] &&
        rec "$sec" "$m" "$param" prepare_rss_kib "$(tail -n 1 "$SB/bench-rss.out")"
    timed b "$m" "$name" start begin
    rec "$sec" "$m" "$param" start_us $((a + b))
    rec "$sec" "$m" "$param" prepare_us "$a"
    rec "$sec" "$m" "$param" startop_us "$b"
    timed a "$m" "$name" stopped end
    timed b "$m" "$name" release end
    rec "$sec" "$m" "$param" stop_us $((a + b))
    rec "$sec" "$m" "$param" stopped_us "$a"
    rec "$sec" "$m" "$param" release_us "$b"
}
BENCH_ERRORS=0

# ---------------------------------------------------------------- machine facts
meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
meta libvirt "$(libvirtd --version 2>/dev/null | awk '{print $NF}')"
meta kernel "$(uname -r)"
meta cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) cores"
meta glib "$(pkg-config --modversion glib-2.0 2>/dev/null)"
meta load_start "$(cut -d' ' -f1-3 /proc/loadavg)"
meta ns_prefix "$SB_NS_PREFIX"
meta trials "$T"
meta fwcmd_trials "$TF"
meta hook_binary "$HOOK_BIN"
meta hook_links_libvirt "$PROTO"
meta libs_ours "$(ldd "$HOOK_BIN" | wc -l)"
meta libs_cli "$(ldd /usr/bin/virt-firewalld | wc -l)"
meta libs_nolv "$(ldd "$NOLV" | wc -l)"
meta libs_floor "$(ldd "$FLOOR" | wc -l)"

# ---------------------------------------------------------------- the stack
say "starting dbus, firewalld, libvirtd"
sb_start_all || tap_bail "stack did not start"
sb_net $NET route $BR $PFX || tap_bail "network"
meta firewalld "$(firewall-cmd --version 2>/dev/null | head -1)"
printf '[hook]\ndbus-timeout = 120\n' >/etc/virt-firewalld/virt-firewalld.conf
chmod 644 /etc/virt-firewalld/virt-firewalld.conf
tap_pass "stack up: firewalld $(firewall-cmd --version), libvirt $(libvirtd --version | awk '{print $NF}')"

# fake guest for the latency guests: answers on port 80, and its namespace redirects the
# latency guests' ports there. They publish distinct guest ports (1:1), one entry each:
# consecutive ports to one guest port would be joined into one entry (part 6 has that).
sb_fake_guest lat $BR 52:54:00:bb:00:40 $PFX.40/24 $PFX.1 >/dev/null || tap_bail "fake guest"
ip netns exec "$(sb_ns lat)" nft -f - <<NFT || tap_bail "redirect in the fake guest"
table ip bench {
    chain pre { type nat hook prerouting priority dstnat; tcp dport 10001-10400 redirect to :80; }
}
NFT
bench_guest lat1 52:54:00:cc:00:01 $PFX.40 10001 1 80 lat.conf
bench_guest lat10 52:54:00:cc:00:02 $PFX.40 10101 10 same lat.conf
bench_guest lat100 52:54:00:cc:00:03 $PFX.40 10201 100 same lat.conf
bench_guest probe1 52:54:00:cc:00:04 $PFX.40 30001 1 80 lat.conf

# sanity: every method publishes exactly the same entries in the same places (10
# forward-ports in virtfw-pub and virtfw-pub-host, the hairpin rule in virtfw-forward,
# runtime and permanent), they answer, and nothing is left after the stop
METHODS="ours floor"
[ $PROTO = 1 ] && METHODS="ours nolv floor"
for m in $METHODS fwcmd; do
    g=lat10 port=10105
    [ "$m" = fwcmd ] && g=lat1 port=10001 # 6 firewall-cmd runs instead of 42
    invoke "$m" $g prepare begin
    tap_is "$m publishes exactly the items of $g, in the places our hook uses" \
        "$(places_dump)" "$(places_want $g)"
    tap_is "$m: a published port answers from the LAN client" "$(sb_probe_lan tcp $port)" hello-from-lat
    invoke "$m" $g stopped end
    tap_is "$m removes them" "$(places_dump | wc -l)" 0
done

# ---------------------------------------------------------------- 1. hook latency
# trials: T at 1 and 10 forwards; at 100 (~12 s per trial and method) 3 for ours and the
# floor, 1 for the prototype; firewall-cmd (4 runs of ~0.3 s per forward and 2 for the
# hairpin rule): T at 1, one trial at 10, 100 only with BENCH_FULL=1 (else extrapolated in
# the report)
T100=$((T < 3 ? T : 3))
meta trials_100 "$T100"
say "1. hook latency: {1,10} forwards x $T trials, 100 x $T100; $METHODS"
loadmark() { meta "load_$1" "$(cut -d' ' -f1 /proc/loadavg)"; } # 1-min load when a part starts
loadmark hook_latency
for n in 1 10 100; do
    tn=$T
    [ $n = 100 ] && tn=$T100
    for ((i = 1; i <= tn; i++)); do
        trial lat ours "lat$n" "$n"
        [ $PROTO = 1 ] && { [ $n != 100 ] || [ $i = 1 ]; } && trial lat nolv "lat$n" "$n"
        trial lat floor "lat$n" "$n"
    done
done
tap_is "nothing left after the latency trials" "$(places_dump | wc -l)" 0
say "1. hook latency: the firewall-cmd script"
for ((i = 1; i <= T; i++)); do trial lat fwcmd lat1 1; done
[ "${BENCH_FWCMD10:-1}" = 1 ] && trial lat fwcmd lat10 10 # 42 firewall-cmd runs per start
[ "$FULL" = 1 ] && trial lat fwcmd lat100 100
tap_is "nothing left after the firewall-cmd trials" "$(places_dump | wc -l)" 0

# ---------------------------------------------------------------- 5. lease follow
# A real domain with no fixed address (its forward in metadata, no DHCP reservation) and a
# fake guest with its MAC running a real DHCP client (busybox udhcpc); `virt-firewalld
# watch` publishes the forward when libvirt's leases helper writes the lease. Each trial
# releases the lease (the forward goes), takes it again, and measures from the lease status
# file's mtime (the lease written) to the first answer the LAN client gets, probing every
# 10 ms (a probe costs a few ms: the figure is an upper bound by about that much).
LEASE_MAC=52:54:00:cc:00:70
LEASE_FILE=/var/lib/libvirt/dnsmasq/$BR.status
lease_answered() { [ "$(sb_probe_lan tcp 18080 2>/dev/null)" = hello-from-lease1 ]; }
lease_trial() { # I: one release + lease; records lease_ms
    local i=$1 m0 m1 t
    sb_dhcp_release lease1
    for ((t = 0; t < 500; t++)); do lease_answered || break; sleep 0.01; done
    m0=$(stat -c %.9Y "$LEASE_FILE" 2>/dev/null || echo 0)
    sb_dhcp_renew lease1 || { say "lease $i: no DHCP lease"; BENCH_ERRORS=$((BENCH_ERRORS + 1)); return; }
    for ((t = 0; t < 500; t++)); do lease_answered && break; sleep 0.01; done
    t=$(now)
    m1=$(stat -c %.9Y "$LEASE_FILE")
    if [ "$m1" = "$m0" ] || ! lease_answered; then
        say "lease $i: lease file unchanged or no answer"
        BENCH_ERRORS=$((BENCH_ERRORS + 1))
        return
    fi
    rec lease watch 1 lease_ms "$(awk -v t="$t" -v m="$m1" 'BEGIN{printf "%d", (t / 1e9 - m) * 1000}')"
}
loadmark lease
say "5. lease follow: $T leases"
virt-firewalld watch 2>"$SB/bench-watch.log" &
echo $! >"$SB/pids/bench-watch"
LEASE_XML='<vf:forwards xmlns:vf="urn:virt-firewalld:forwards:1"><vf:forward spec="18080:80/tcp"/></vf:forwards>'
sb_domain_create lease1 $NET $LEASE_MAC "$LEASE_XML" || tap_bail "lease guest: $(tail -n 3 "$SB/libvirtd.log")"
sb_dhcp_guest lease1 $BR $LEASE_MAC || tap_bail "lease guest: no DHCP lease"
sb_guest_serve lease1 tcp 80 || tap_bail "lease guest: server"
for ((i = 1; i <= T; i++)); do lease_trial "$i"; done
tap_ok "the lease forward answers after the trials" lease_answered
sb_dhcp_release lease1
sb_domain_destroy lease1
kill "$(cat "$SB/pids/bench-watch")" 2>/dev/null
wait "$(cat "$SB/pids/bench-watch")" 2>/dev/null
rm -f "$SB/pids/bench-watch"
tap_is "nothing left after the lease trials" "$(live_count)" 0

# ---------------------------------------------------------------- 4. scale (helper)
# scale_point LEVEL: prepare+start latency of a 1-forward guest with LEVEL forwards present.
# Every firewalld call costs O(rules present) (~40 s per trial and method at 5,000), so
# the trials shrink with the level: ours and floor T / T / 3 / 2, the prototype T / T / 1 / -
# (at 5,000 it would only repeat ours: same firewalld calls), firewall-cmd TF / TF / 1 / 1;
# all 1 once the run is past its budget.
scale_point() {
    local level=$1 i t=$T tn=$T tf=$TF rss=
    # our hook's peak RSS where the lists it reads are long (GNU time: ~1 ms on seconds)
    [ "$level" -ge 1000 ] && rss=1
    case $level in
    1000) t=$((T < 3 ? T : 3)) tn=1 tf=1 ;;
    5000) t=$((T < 2 ? T : 2)) tn=0 tf=1 ;;
    esac
    over_budget && t=1 tn=$((tn < 1 ? tn : 1)) tf=1
    meta "scale_trials_$level" "$t/$tn/$t/$tf"
    say "4. scale: $level forwards present ($(live_count) live): $t/$tn/$t/$tf trials"
    for ((i = 1; i <= t; i++)); do
        BENCH_RSS=$rss trial scale ours probe1 "$level"
        [ $PROTO = 1 ] && [ $i -le $tn ] && trial scale nolv probe1 "$level"
        trial scale floor probe1 "$level"
    done
    for ((i = 1; i <= tf; i++)); do trial scale fwcmd probe1 "$level"; done
}
scale_point 0

# ---------------------------------------------------------------- reload baseline
say "2. reload with none of our forwards: $T100 reloads"
for ((i = 1; i <= T100; i++)); do
    t0=$(now)
    firewall-cmd -q --reload
    rec reload reload 0 cmd_us "$(us_since "$t0")"
done

# ---------------------------------------------------------------- seeding large rule sets
# Publishing N forwards costs firewalld one runtime rule transaction per rule, and that
# cost grows with the rules present (part 6 measures it): 5,000 that way take far longer
# than this whole run may. So the rule sets for 2-4 are seeded the way a reload applies
# them, in one pass: the exact entries our hook publishes go into firewalld's permanent
# config (our policies' XML files in /etc/firewalld/policies, as firewalld writes them:
# forward-port elements in virtfw-pub and virtfw-pub-host, the hairpin rules in
# virtfw-forward), `firewall-cmd --reload` makes them live, and then our hook itself runs
# for every guest (prepare, as libvirtd runs it for the real domains d01-d10) and records
# it, finding every place already right.
policies_write() { # NAME...: our policies' permanent config holds exactly these guests' items
    local dir=/etc/firewalld/policies all="" ports hairpins p
    [ $# -gt 0 ] && all=$(cd "$ITEMS" && cat -- "$@")
    ports=$(sed -n 's|^pub port=\([^:]*\):proto=\([^:]*\):toport=\([^:]*\):toaddr=\(.*\)$|  <forward-port port="\1" protocol="\2" to-port="\3" to-addr="\4"/>|p' <<<"$all")
    hairpins=$(sed -n 's|^rule family="\(ipv[46]\)" source address="\([^"]*\)" destination address="\([^"]*\)" masquerade$|  <rule family="\1"><source address="\2"/><destination address="\3"/><masquerade/></rule>|p' <<<"$all" | sort -u)
    mkdir -p "$dir"
    for p in $POLICIES; do
        {
            sed '/<\/policy>/d' "/usr/lib/firewalld/policies/$p.xml"
            case $p in
            virtfw-pub*) [ -n "$ports" ] && printf '%s\n' "$ports" ;;
            virtfw-forward) [ -n "$hairpins" ] && printf '%s\n' "$hairpins" ;;
            esac
            echo '</policy>'
        } >"$dir/$p.xml.bench" || return 1
        chmod 644 "$dir/$p.xml.bench"
        mv "$dir/$p.xml.bench" "$dir/$p.xml" || return 1
    done
}
seed() { # TAG NAME...: the permanent config holds exactly these guests' items, then reload
    local tag=$1 t0
    shift
    t0=$(now)
    policies_write "$@" || return 1
    rec seed write "$tag" write_us "$(us_since "$t0")"
    t0=$(now)
    firewall-cmd -q --reload || return 1
    rec seed reload "$tag" cmd_us "$(us_since "$t0")"
}

# real (TCG) domains d01..d10, 100 forwards each (1:1 ports 20000-20999); each points at
# fake guest fNN, whose namespace redirects the whole port range to one cheap server on 81
fake_redirect_guest() { # I
    local i=$1 name ns
    name=$(printf 'f%02d' "$i")
    sb_fake_guest "$name" $BR "$(printf '52:54:00:bb:01:%02x' "$i")" "$PFX.$((50 + i))/24" $PFX.1 >/dev/null || return 1
    ns=$(sb_ns "$name")
    setsid ip netns exec "$ns" "$NETPROBE" serve 81 "hello-from-$name" </dev/null >/dev/null 2>&1 &
    echo $! >"$SB/pids/netprobe-$name"
    ip netns exec "$ns" nft -f - <<NFT || return 1
table ip bench {
    chain pre { type nat hook prerouting priority dstnat; tcp dport 20000-49999 redirect to :81; }
}
NFT
}
declare_domain() { # I
    local i=$1
    bench_guest "$(printf 'd%02d' "$i")" "$(printf '52:54:00:aa:01:%02x' "$i")" "$PFX.$((50 + i))" \
        $((20000 + (i - 1) * 100)) 100 same dom.conf
}
create_domain() { # I
    local i=$1 name t0
    name=$(printf 'd%02d' "$i")
    t0=$(now)
    sb_domain_create "$name" $NET "$(printf '52:54:00:aa:01:%02x' "$i")" || return 1
    rec create ours 100 virsh_create_us "$(us_since "$t0")"
}

# ---------------------------------------------------------------- 6. guests one after another
# SEQ_N guests (s001..., SEQ_F forwards each, ports 50000-, addresses .101-) started one
# after another on a firewalld without other forwards, as a host boots its guests: each
# start (prepare + start) timed, and the whole series. Our hook; the last release's hook
# itself (50e16d0, built by bench/run: today's design as users run it); and the old
# design's entries made by floor-client with no overhead of its own (a lower bound of the
# old hook's time): unscoped rich rules in virtfw-forward and virtfw-host. The floor with
# today's items too with BENCH_SEQ_FLOOR=1 or BENCH_FULL=1. Between series everything goes
# in one pass (policies_write, reload; the records of these guests removed).
# ours1to1: our hook with each guest's forwards to distinct guest ports (50000:50000, ...),
# which nothing joins: 10 entries per place instead of one port range
SEQ_METHODS="ours ours1to1"
[ -n "$LASTREL_HOOK" ] && SEQ_METHODS="$SEQ_METHODS lastrel"
{ [ "$FULL" = 1 ] || [ "${BENCH_SEQ_FLOOR:-0}" = 1 ]; } && SEQ_METHODS="$SEQ_METHODS floor"
SEQ_METHODS="$SEQ_METHODS old"
meta lastrel "${BENCH_LASTREL:-}"
meta seq_guests "$SEQ_N"
meta seq_forwards "$SEQ_F"
seq_name() { printf 's%03d' "$1"; }
seq_declare() { # GUESTPORT|same: (re)declares the series' guests
    local i
    rm -f "$DROPIN/seq.conf"
    for ((i = 1; i <= SEQ_N; i++)); do
        bench_guest "$(seq_name "$i")" "$(printf '52:54:00:dd:00:%02x' "$i")" "$PFX.$((100 + i))" \
            $((50000 + (i - 1) * SEQ_F)) "$SEQ_F" "$1" seq.conf
    done
}
seq_reset() { # nothing of the series left: permanent config, runtime, our records
    local i u
    policies_write || return 1
    firewall-cmd -q --reload || return 1
    for ((i = 1; i <= SEQ_N; i++)); do
        u=$(uuid_of "$(seq_name "$i")")
        rm -f "/run/virt-firewalld/guests/$u.state" "/var/lib/virt-firewalld/guests/$u.state"
    done
    sleep 2 # libvirtd puts its bridge back in its zone ~1 s after a reload
}
seq_run() { # METHOD
    local m=$1 i a b sum=0 t0
    say "6. $SEQ_N guests x $SEQ_F forwards started one after another: $m"
    t0=$(now)
    for ((i = 1; i <= SEQ_N; i++)); do
        timed a "$m" "$(seq_name "$i")" prepare begin
        timed b "$m" "$(seq_name "$i")" start begin
        rec seq "$m" "$i" start_us $((a + b))
        sum=$((sum + a + b))
    done
    rec seq "$m" "$SEQ_N" total_us "$(us_since "$t0")"
    rec seq "$m" "$SEQ_N" sum_us "$sum"
}
loadmark seq
seq_declare 80
for m in $SEQ_METHODS; do
    [ "$m" = ours1to1 ] && seq_declare same
    seq_run "$m"
    [ "$m" = ours1to1 ] && seq_declare 80
    if [ "$m" = old ] || [ "$m" = lastrel ]; then
        tap_is "$m: $((SEQ_N * SEQ_F)) forward rich rules in virtfw-host, no hairpin" \
            "$(rich_count virtfw-host forward-port) $(rich_count virtfw-forward masquerade)" "$((SEQ_N * SEQ_F)) 0"
    elif [ "$m" = ours1to1 ]; then
        tap_is "$m: $((SEQ_N * SEQ_F)) forward-ports in virtfw-pub, $SEQ_N hairpins in virtfw-forward" \
            "$(live_count) $(rich_count virtfw-forward masquerade)" "$((SEQ_N * SEQ_F)) $SEQ_N"
    else
        tap_is "$m: $SEQ_N forward-ports of $SEQ_F-port ranges in virtfw-pub, $SEQ_N hairpins in virtfw-forward" \
            "$(live_count) $(rich_count virtfw-forward masquerade)" "$SEQ_N $SEQ_N"
    fi
    seq_reset || tap_bail "resetting the policies"
done
rm -f "$DROPIN/seq.conf"
tap_is "nothing left after the series" "$(places_dump | wc -l) $(ls /run/virt-firewalld/guests | wc -l)" "0 0"

for i in $(seq 1 10); do fake_redirect_guest "$i" || tap_bail "fake guest f$i"; done

say "seeding 100 forwards, then domain d01 (libvirtd runs our hook)"
declare_domain 1
seed 100 d01 || tap_bail "seeding"
create_domain 1 || tap_bail "virsh create d01: $(tail -n 3 "$SB/libvirtd.log")"
tap_is "100 forwards live, recorded by our hook" "$(live_count) $(ls /run/virt-firewalld/guests | wc -l)" "100 1"

# ---------------------------------------------------------------- 2. reload survival
# reload_point N RANGE...: after `firewall-cmd --reload` and after a firewalld restart,
# the time until every forward answers the LAN client again
reload_point() {
    local n=$1 i t0 out rt probe tr=$T100
    shift
    # one sweep while everything answers: what the probing itself costs
    t0=$(now)
    out=$(ip netns exec "$SB_LAN_NS" "$NETPROBE" wait "$SB_HOST_IP" "$t0" 10000 "$@")
    tap_like "all $n forwards answer before the reloads" "$out" "^answered $n of $n"
    rec reload probe "$n" sweep_ms "$(sed -n 's/.*last at \(-*[0-9]*\) ms.*/\1/p' <<<"$out")"
    say "2. reload survival, $n forwards: $T reloads"
    for ((i = 1; i <= T; i++)); do
        t0=$(now)
        firewall-cmd -q --reload || say "reload failed"
        rt=$(us_since "$t0")
        out=$(ip netns exec "$SB_LAN_NS" "$NETPROBE" wait "$SB_HOST_IP" "$t0" 30000 "$@")
        rec reload reload "$n" cmd_us "$rt"
        rec reload reload "$n" all_live_ms "$(sed -n 's/.*last at \(-*[0-9]*\) ms.*/\1/p' <<<"$out")"
        grep -q "answered $n of $n" <<<"$out" || { say "reload $i: $out"; BENCH_ERRORS=$((BENCH_ERRORS + 1)); }
    done
    say "2. reload survival, $n forwards: $tr restarts"
    for ((i = 1; i <= tr; i++)); do
        t0=$(now)
        sb_stop_firewalld
        rec restart stop "$n" cmd_us "$(us_since "$t0")"
        # probe while firewalld starts (sb_start_firewalld's readiness poll is coarse)
        ip netns exec "$SB_LAN_NS" "$NETPROBE" wait "$SB_HOST_IP" "$t0" 60000 "$@" >"$SB/bench-probe.out" &
        probe=$!
        sb_start_firewalld || tap_bail "firewalld did not come back"
        rec restart start "$n" cmd_us "$(us_since "$t0")"
        wait $probe
        out=$(cat "$SB/bench-probe.out")
        rec restart restart "$n" all_live_ms "$(sed -n 's/.*last at \(-*[0-9]*\) ms.*/\1/p' <<<"$out")"
        grep -q "answered $n of $n" <<<"$out" || { say "restart $i: $out"; BENCH_ERRORS=$((BENCH_ERRORS + 1)); }
    done
}
reload_point 100 20000-20099
tap_is "still 100 forwards live after reloads and restarts" "$(live_count)" 100
scale_point 100

say "seeding 900 more forwards, then domains d02..d10"
for i in $(seq 2 10); do declare_domain "$i"; done
seed 1000 d01 d02 d03 d04 d05 d06 d07 d08 d09 d10 || tap_bail "seeding"
for i in $(seq 2 10); do
    create_domain "$i" || tap_bail "virsh create d$i: $(tail -n 3 "$SB/libvirtd.log")"
done
tap_is "1000 forwards live, 10 guests recorded" "$(live_count) $(ls /run/virt-firewalld/guests | wc -l)" "1000 10"
loadmark reload_1000
reload_point 1000 20000-20999
tap_is "still 1000 forwards live after reloads and restarts" "$(live_count)" 1000

# ---------------------------------------------------------------- 3. status and sync
loadmark status_sync
say "3. status and sync over 1000 forwards of 10 running domains: $T runs each"
status_rows() { virt-firewalld status 2>/dev/null | grep -cw ok; }
tap_is "status: 1000 rows 'ok'" "$(status_rows)" 1000
cli_run() { # SECTION NAME PARAM CMD...: wall (us), CPU (ms), peak RSS (KiB)
    local sec=$1 name=$2 param=$3 t0 rss usr sys
    shift 3
    t0=$(now)
    /usr/bin/time -f '%M %U %S' -o "$SB/bench-time.out" "$@" >/dev/null 2>>"$SB/bench-cli.err" ||
        { say "$name failed: $(tail -n 2 "$SB/bench-cli.err")"; BENCH_ERRORS=$((BENCH_ERRORS + 1)); }
    rec "$sec" "$name" "$param" wall_us "$(us_since "$t0")"
    read -r rss usr sys < <(tail -n 1 "$SB/bench-time.out")
    rec "$sec" "$name" "$param" rss_kib "$rss"
    rec "$sec" "$name" "$param" cpu_ms "$(awk -v u="$usr" -v s="$sys" 'BEGIN{printf "%d", (u+s)*1000}')"
}
for verb in status sync; do
    for ((i = 1; i <= T; i++)); do cli_run cli "$verb" 1000 virt-firewalld $verb; done
done
for ((i = 1; i <= T; i++)); do cli_run cli "status --json" 1000 virt-firewalld status --json; done
for ((i = 1; i <= T; i++)); do cli_run cli "sync --offline" 1000 virt-firewalld sync --offline; done
tap_is "still 1000 forwards live after sync" "$(live_count)" 1000
# what process start-up alone costs (RSS, time): our binary doing nothing, the hook
# without libvirt and floor-client on an operation they ignore
for ((i = 1; i <= T; i++)); do
    cli_run startup "virt-firewalld version" 0 virt-firewalld version
    cli_run startup "hook (ours), operation 'started'" 0 env -i "$HOOK" d01 started begin -
    [ $PROTO = 1 ] && cli_run startup "hook without libvirt (prototype), 'started'" 0 env -i "$NOLV" d01 started begin -
    cli_run startup "floor-client, 'started'" 0 env -i "$FLOOR" "$ITEMS" d01 started begin -
done </dev/null
scale_point 1000

# ---------------------------------------------------------------- profile (ours vs floor)
# Which calls the time goes to: dbus-monitor --profile timestamps every message on the
# bus; each method call's latency is its return's time - its own. And our process's CPU
# time and peak RSS for one prepare at 1000 forwards present, and a callgrind profile.
profile_calls() { # METHOD: one prepare of probe1 under dbus-monitor and GNU time
    local m=$1 pid cmd
    case $m in
    ours) cmd=("$HOOK" probe1) ;;
    nolv) cmd=("$NOLV" probe1) ;;
    floor) cmd=("$FLOOR" "$ITEMS" probe1) ;;
    esac
    dbus-monitor --system --profile >"$SB/bench-mon-$m.txt" 2>/dev/null &
    pid=$!
    sleep 0.5
    cli_run profile "$m prepare" 1000 env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C \
        "${cmd[@]}" prepare begin - <"$SB/bench-xml-probe1"
    sleep 0.3
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    cp "$SB/bench-mon-$m.txt" "$BENCH_OUT/profile-dbus-$m-1000.txt"
    invoke "$m" probe1 stopped end
}
# hook_under_valgrind TOOL OUTFILE: one prepare of probe1 by our hook, run as libvirtd runs
# it, under valgrind's TOOL
hook_under_valgrind() {
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C \
        valgrind --tool="$1" --"$1"-out-file="$2" \
        "$HOOK" probe1 prepare begin - <"$SB/bench-xml-probe1" \
        >/dev/null 2>"$SB/bench-valgrind.err"
}
say "profile: D-Bus calls, CPU and RSS of one prepare at 1000 forwards present"
for m in $METHODS; do profile_calls $m; done
if ! over_budget; then
    say "profile: callgrind of our hook's prepare and of status, 1000 forwards present"
    hook_under_valgrind callgrind "$SB/bench-callgrind.out"
    callgrind_annotate --inclusive=yes "$SB/bench-callgrind.out" 2>/dev/null | head -60 \
        >"$BENCH_OUT/profile-callgrind-hook-1000.txt"
    invoke ours probe1 stopped end
    valgrind --tool=callgrind --callgrind-out-file="$SB/bench-callgrind-status.out" \
        virt-firewalld status >/dev/null 2>"$SB/bench-valgrind.err"
    callgrind_annotate --inclusive=yes "$SB/bench-callgrind-status.out" 2>/dev/null | head -60 \
        >"$BENCH_OUT/profile-callgrind-status-1000.txt"
fi

# ---------------------------------------------------------------- 4. scale to 5000
# 4000 more forwards: guests b1..b4 (1000 each, ports 40000-43999, on fake guests f01-f04),
# seeded as above, then recorded by our hook (prepare)
say "4. scale: seeding 4000 more forwards, then our hook for b1..b4"
loadmark scale_5000
for i in 1 2 3 4; do
    bench_guest "b$i" "$(printf '52:54:00:cc:02:%02x' "$i")" "$PFX.$((50 + i))" $((40000 + (i - 1) * 1000)) 1000 same bulk.conf
done
seed 5000 d01 d02 d03 d04 d05 d06 d07 d08 d09 d10 b1 b2 b3 b4 || tap_bail "seeding"
for i in 1 2 3 4; do
    t0=$(now)
    invoke ours "b$i" prepare begin || tap_bail "bulk guest b$i: $(tail -n 2 "$SB/bench-hook.err")"
    rec bulk ours 1000 prepare_us "$(us_since "$t0")"
done
tap_is "5000 forwards live, 14 guests recorded" "$(live_count) $(ls /run/virt-firewalld/guests | wc -l)" "5000 14"
scale_point 5000
# what holds our hook's heap at its peak, with the longest lists: massif's peak snapshot
# (allocation trees down to 1%) of one prepare at 5,000 present
if ! over_budget; then
    say "profile: massif of our hook's prepare, 5000 forwards present"
    hook_under_valgrind massif "$SB/bench-massif.out"
    ms_print --threshold=1 "$SB/bench-massif.out" 2>/dev/null | awk '
        !hdr { print; if (/Detailed snapshots:/) { hdr = 1; if (match($0, /[0-9]+ \(peak\)/)) peak = substr($0, RSTART, RLENGTH - 7) }; next }
        NF == 6 && $1 ~ /^[0-9]+$/ && $2 ~ /^[0-9,]+$/ { if (inpeak) exit; if ($1 == peak) { inpeak = 1; print "peak snapshot:"; print } ; next }
        inpeak && /^-----/ { exit }
        inpeak { print }' >"$BENCH_OUT/profile-massif-hook-5000.txt"
    invoke ours probe1 stopped end
fi
tap_is "5000 forwards still live after the scale trials" "$(live_count)" 5000

if [ "$FULL" = 1 ]; then
    say "full: reload survival at 5000 forwards"
    reload_point 5000 20000-20999 40000-43999
fi

# Teardown without the cost: with firewalld up, destroying the domains would make libvirtd
# run our hook's removal of 100 rules from policies holding 5,000, minutes per domain. With
# firewalld stopped first the hook only marks the records (all of it is thrown away).
say "stopping firewalld, then destroying the domains"
sb_stop_firewalld
for i in $(seq 1 10); do sb_domain_destroy "$(printf 'd%02d' "$i")" || true; done

meta load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
meta inner_seconds "$(elapsed)"
meta errors "$BENCH_ERRORS"
tap_is "no hook or command failed during the trials" "$BENCH_ERRORS" 0
cp "$SB/bench-hook.err" "$BENCH_OUT/hook-stderr.log" 2>/dev/null
say "done; tearing down"
tap_done
