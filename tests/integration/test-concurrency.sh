#!/bin/bash
# Concurrency and crashes on the real stack: 50 guests start at once (parallel hook
# invocations, as libvirtd makes them, with real domain XML), every forward lands exactly
# once and answers; they stop at once and nothing of ours remains. Then the hook is
# killed with SIGKILL at random points of apply and remove, 100 times: the next hook run
# converges to exactly the right set, and `sync` leaves nothing pointing at a stopped
# guest. Run by tests/sandbox/run, which sources sandbox.sh.
set -u

N=${VFW_CONCURRENCY_GUESTS:-50}
KILLS=${VFW_KILL_ROUNDS:-100}
HOOK=/etc/libvirt/hooks/qemu.d/virt-firewalld
BR=virbr50
DEST=org.fedoraproject.FirewallD1

# rich rules, then forward-ports (as port=P:proto=X:toport=T:toaddr=A), of a policy, one
# per line, straight from firewalld's D-Bus API
rules_of() { # POLICY runtime|permanent
    local out
    if [ "$2" = runtime ]; then
        out=$(gdbus call --system --dest $DEST --object-path /org/fedoraproject/FirewallD1 \
            --method $DEST.policy.getPolicySettings "$1")
    else
        local path
        path=$(gdbus call --system --dest $DEST --object-path /org/fedoraproject/FirewallD1/config \
            --method $DEST.config.getPolicyByName "$1" | sed -n "s/^(objectpath '\(.*\)',)$/\1/p")
        out=$(gdbus call --system --dest $DEST --object-path "$path" \
            --method $DEST.config.policy.getSettings)
    fi
    grep -o "rule family=[^']*" <<<"$out" | sed 's/\\"/"/g'
    grep -o "('[^']*', '[^']*', '[^']*', '[^']*')" <<<"$out" |
        sed "s/('\([^']*\)', '\([^']*\)', '\([^']*\)', '\([^']*\)')/port=\1:proto=\2:toport=\3:toaddr=\4/"
}
OURS="virtfw-forward virtfw-host virtfw-pub virtfw-pub-host"
count_all() { # total forwards (rich rules and forward-ports) over our policies, runtime and permanent
    local n=0 p k
    for p in $OURS; do
        for k in runtime permanent; do n=$((n + $(rules_of $p $k | grep -c 'forward-port\|^port='))); done
    done
    echo $n
}
dupes() { # rules listed more than once anywhere
    local p k
    for p in $OURS; do
        for k in runtime permanent; do rules_of $p $k | sort | uniq -d; done
    done
}

domain_xml() { # I: a libvirt-like live domain XML for guest gI
    local i=$1
    printf "<domain type='qemu' id='%d'><name>g%02d</name><uuid>%s</uuid>" "$i" "$i" \
        "$(printf '6b1c0f2e-0000-4000-8000-%012d' "$i")"
    printf "<memory unit='KiB'>65536</memory><os><type arch='x86_64'>hvm</type></os><devices>"
    printf "<interface type='network'><mac address='52:54:00:50:00:%02x'/>" "$i"
    printf "<source network='net50' bridge='%s'/><target dev='vnet%d'/>" "$BR" "$i"
    printf "<model type='virtio'/></interface></devices></domain>\n"
}
hook() { # I OP: run our installed hook the way libvirtd does (scrubbed environment)
    domain_xml "$1" | env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C \
        "$HOOK" "$(printf 'g%02d' "$1")" "$2" begin - >/dev/null 2>>"$SB/hook-stderr.log"
}

sb_start_all || tap_bail "stack did not start"
sb_net net50 route $BR 192.168.150 || tap_bail "network"
mkdir -p /etc/virt-firewalld/forwards.d
for i in $(seq 1 "$N"); do
    printf '[g%02d]\nforward = %d:80/tcp; %d:80/udp\naddress = 192.168.150.%d\n' \
        "$i" $((10000 + i)) $((11000 + i)) $((10 + i))
done >/etc/virt-firewalld/forwards.d/load.conf
chmod 644 /etc/virt-firewalld/forwards.d/load.conf
printf '[hook]\ndbus-timeout = 10\n' >/etc/virt-firewalld/virt-firewalld.conf
chmod 644 /etc/virt-firewalld/virt-firewalld.conf

make_guests() {
    local i
    for i in $(seq 1 "$N"); do
        sb_fake_guest "g$(printf %02d "$i")" $BR "52:54:00:50:00:$(printf %02x "$i")" \
            "192.168.150.$((10 + i))/24" 192.168.150.1 >/dev/null || return 1
    done
}
sb_time ms make_guests || tap_bail "fake guests"
tap_diag "$N fake guests up in $ms ms"

# ---- N guests start at once
pids=()
t0=$(date +%s%N)
for i in $(seq 1 "$N"); do hook "$i" prepare & pids+=($!); done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
ms=$((($(date +%s%N) - t0) / 1000000))
tap_diag "$N concurrent prepare hooks finished in $ms ms"
tap_is "all $N concurrent prepare hooks succeeded" "$failed" 0
tap_is "every forward is present exactly once: $((N * 2)) rules x 2 policies x runtime+permanent" \
    "$(count_all)" $((N * 2 * 4))
tap_is "no rule is duplicated" "$(dupes | wc -l)" 0
tap_is "the state directory agrees ($N records)" "$(ls /run/virt-firewalld/guests | wc -l)" "$N"
tap_is "the ledger agrees ($N records)" "$(ls /var/lib/virt-firewalld/guests | wc -l)" "$N"
answered=0
probe_guest() { # PROTO PORT NAME: UDP may lose a datagram, so it gets a second try
    local got tries=1
    [ "$1" = udp ] && tries=2
    while [ $tries -gt 0 ]; do
        got=$(sb_probe_lan "$1" "$2" 2>&1)
        [ "$got" = "hello-from-$3" ] && return 0
        tries=$((tries - 1))
    done
    tap_diag "$1/$2 for $3: '$got'"
    return 1
}
for i in $(seq 1 "$N"); do
    name=g$(printf %02d "$i")
    probe_guest tcp $((10000 + i)) "$name" && answered=$((answered + 1))
    probe_guest udp $((11000 + i)) "$name" && answered=$((answered + 1))
done
tap_is "every port answers from the LAN client ($((N * 2)) probes)" "$answered" $((N * 2))

# ---- all stop at once
pids=()
for i in $(seq 1 "$N"); do hook "$i" stopped & pids+=($!); done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
tap_is "all $N concurrent stopped hooks succeeded" "$failed" 0
tap_is "nothing of ours remains in firewalld" "$(count_all)" 0
tap_is "no state record remains" "$(ls /run/virt-firewalld/guests | wc -l)" 0
tap_is "no ledger record remains" "$(ls /var/lib/virt-firewalld/guests | wc -l)" 0

# ---- SIGKILL at random points of apply and remove
RANDOM=4242
bad=0 killed=0
sb_time apply_ms hook 1 prepare
sb_time remove_ms hook 1 stopped
tap_diag "one hook run here: apply $apply_ms ms, remove $remove_ms ms"
for round in $(seq 1 "$KILLS"); do
    i=$((round % 5 + 1))
    op=prepare
    [ $((round % 2)) = 0 ] && op=stopped
    [ $op = stopped ] && hook "$i" prepare # something to remove
    hook "$i" $op &
    p=$!
    # kill at a random point of the whole run (and sometimes just after it)
    span=$apply_ms
    [ $op = stopped ] && span=$remove_ms
    # mostly inside the first 3/4 of a run measured on this machine; every tenth round
    # later, where the run may have finished (load varies: a kill may land after it)
    if [ $((round % 10)) = 0 ]; then
        delay=$((span / 2 + RANDOM % (span + 1)))
    else
        delay=$((RANDOM % (span * 3 / 4 + 1)))
    fi
    sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
    kill -9 $p 2>/dev/null
    wait $p 2>/dev/null
    [ $? = 137 ] && killed=$((killed + 1)) # died of the SIGKILL, not finished before it
    # the next run of the same operation must converge to exactly its set
    hook "$i" $op || bad=$((bad + 1))
    want=0
    [ $op = prepare ] && want=8
    got=$(count_all)
    if [ "$got" != "$want" ]; then
        bad=$((bad + 1))
        tap_diag "round $round ($op of g0$i): $got rules, want $want"
    fi
    hook "$i" stopped
done
tap_diag "$KILLS rounds, $killed hook processes killed with SIGKILL mid-run"
tap_is "after every kill the next hook run converged to the exact set" "$bad" 0
tap_ok "kills really happened mid-run (at least a quarter of the rounds)" test "$killed" -ge $((KILLS / 4))

# ---- property: for random sets of guests and forwards, apply then remove restores
# firewalld's exact prior runtime and permanent configuration (whole settings dicts)
snapshot() {
    local p path
    for p in $OURS; do
        gdbus call --system --dest $DEST --object-path /org/fedoraproject/FirewallD1 \
            --method $DEST.policy.getPolicySettings "$p"
        path=$(gdbus call --system --dest $DEST --object-path /org/fedoraproject/FirewallD1/config \
            --method $DEST.config.getPolicyByName "$p" | sed -n "s/^(objectpath '\(.*\)',)$/\1/p")
        gdbus call --system --dest $DEST --object-path "$path" --method $DEST.config.policy.getSettings
    done
}
# an admin's own rule must survive all of it
firewall-cmd -q --permanent --policy=virtfw-forward \
    --add-rich-rule='rule family="ipv4" forward-port port="7000" protocol="tcp" to-port="22" to-addr="192.168.150.200"'
firewall-cmd -q --reload
before=$(snapshot)
cp /etc/virt-firewalld/forwards.d/load.conf "$SB/load.conf.saved"
prop_bad=0
for trial in $(seq 1 5); do
    : >/etc/virt-firewalld/forwards.d/load.conf
    picked=()
    for i in $(seq 1 "$N"); do
        [ $((RANDOM % 4)) = 0 ] || continue
        picked+=("$i")
        specs=""
        for k in $(seq 1 $((RANDOM % 3 + 1))); do
            port=$((20000 + i * 10 + k))
            case $((RANDOM % 3)) in
            0) specs="$specs$port:80/tcp;" ;;
            1) specs="$specs$port:80/udp;" ;;
            2) specs="${specs}198.51.100.1:$port:$((RANDOM % 1000 + 1))/tcp;" ;;
            esac
        done
        printf '[g%02d]\nforward = %s\naddress = 192.168.150.%d\n' "$i" "$specs" $((10 + i)) \
            >>/etc/virt-firewalld/forwards.d/load.conf
    done
    pids=()
    for i in "${picked[@]}"; do hook "$i" prepare & pids+=($!); done
    for p in "${pids[@]}"; do wait "$p" || prop_bad=$((prop_bad + 1)); done
    [ "$(count_all)" -gt 4 ] || prop_bad=$((prop_bad + 1))
    pids=()
    for i in "${picked[@]}"; do hook "$i" stopped & pids+=($!); done
    for p in "${pids[@]}"; do wait "$p"; done
    if [ "$(snapshot)" != "$before" ]; then
        prop_bad=$((prop_bad + 1))
        tap_diag "trial $trial (${#picked[@]} guests): configuration differs after apply+remove"
    fi
done
cp "$SB/load.conf.saved" /etc/virt-firewalld/forwards.d/load.conf
tap_is "5 random trials: apply then remove restores the exact prior configuration" "$prop_bad" 0

# leave a half-applied guest behind, then `sync` (libvirt: no such guest runs)
hook 3 prepare &
p=$!
sleep 0.03
kill -9 $p 2>/dev/null
wait $p 2>/dev/null
hook 4 prepare
tap_ok "sync" virt-firewalld sync
tap_is "after sync no entry of ours points at a stopped guest (left: the admin rule, runtime + permanent)" "$(count_all)" 2
tap_ok "the admin's own rule is still there" bash -c \
    "firewall-cmd --permanent --policy=virtfw-forward --list-rich-rules | grep -q 'port=\"7000\"'"
tap_is "no state record remains after sync" "$(ls /run/virt-firewalld/guests | wc -l)" 0
tap_like "the hooks printed nothing unexpected" \
    "$(grep -v 'warning' "$SB/hook-stderr.log" | head -3)" '^$'

tap_done
