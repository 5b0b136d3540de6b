#!/bin/bash
# firewalld faults and hostile input on the real stack: a frozen firewalld during a guest
# start, a firewalld restart in the middle of a burst of guest starts, an unwritable or
# full state directory, hostile domain XML and drop-ins. Each ends with firewalld
# holding exactly what it should. Run by tests/sandbox/run, which sources sandbox.sh.
set -u

BR=virbr60
VFW=virt-firewalld
HOOK=/etc/libvirt/hooks/qemu.d/virt-firewalld

count_rules() { # [--permanent]
    sb_published ${1:-} | grep -c . || true
}
hook_with() { # NAME OP XMLFILE: run our hook as libvirtd does
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C "$HOOK" "$1" "$2" begin - <"$3"
}

sb_start_all || tap_bail "stack did not start"
hosts=()
for i in $(seq 1 8); do hosts+=(--host "52:54:00:60:00:0$i=$((10 + i))"); done
sb_net net60 route $BR 192.168.160 "${hosts[@]}" || tap_bail "network"
mkdir -p /etc/virt-firewalld/forwards.d
for i in $(seq 1 8); do printf '[f%d]\nforward = %d:80/tcp\n' "$i" $((12000 + i)); done \
    >/etc/virt-firewalld/forwards.d/faults.conf
printf '[hook]\ndbus-timeout = 2\n' >/etc/virt-firewalld/virt-firewalld.conf
chmod 644 /etc/virt-firewalld/forwards.d/faults.conf /etc/virt-firewalld/virt-firewalld.conf
sb_fake_guest f1 $BR 52:54:00:60:00:01 192.168.160.11/24 192.168.160.1 || tap_bail "fake guest"

# ---- firewalld frozen during a guest start
fw_pid=$(cat "$SB/pids/firewalld")
kill -STOP "$fw_pid"
sb_time ms sb_domain_create f1 net60 52:54:00:60:00:01
rc=$?
tap_is "f1 starts while firewalld is frozen" "$rc" 0
tap_diag "virsh create took $ms ms with firewalld frozen (dbus-timeout = 2 s)"
tap_ok "the hook returned within its D-Bus timeout (create < 5 s)" test "$ms" -lt 5000
tap_like "the hook recorded the forward as pending" "$(cat /run/virt-firewalld/guests/*.state)" \
    "pending=true"
kill -CONT "$fw_pid"
sleep 0.5
tap_ok "after SIGCONT, sync" $VFW sync
tap_like "f1's port answers" "$(sb_probe_lan tcp 12001)" "^hello-from-f1$"
tap_is "exactly one rule (runtime)" "$(count_rules)" 1
tap_is "exactly one rule (permanent)" "$(count_rules --permanent)" 1

# ---- firewalld restarted in the middle of a burst of guest starts
pids=()
for i in $(seq 2 8); do
    sb_domain_create "f$i" net60 "52:54:00:60:00:0$i" >/dev/null 2>&1 &
    pids+=($!)
    [ "$i" = 4 ] && { sb_restart_firewalld & pids+=($!); }
done
for p in "${pids[@]}"; do wait "$p"; done
running=$($VIRSH list --name | grep -c '^f')
tap_is "all 8 guests run after the burst" "$running" 8
tap_ok "sync after the burst" $VFW sync
tap_is "the set is exact (runtime): 8 rules" "$(count_rules)" 8
tap_is "the set is exact (permanent): 8 rules" "$(count_rules --permanent)" 8
tap_is "no duplicate" \
    "$(sb_published | sort | uniq -d | wc -l)" 0
for i in $(seq 1 8); do sb_domain_destroy "f$i" >/dev/null 2>&1; done
tap_is "all removed after the guests stop" "$(count_rules --permanent)" 0

# ---- state directory unwritable or full: clear error, nothing half-applied
uuid=11111111-2222-4333-8444-555555555555
cat >"$SB/h1.xml" <<EOF
<domain type='qemu'><name>f1</name><uuid>$uuid</uuid><devices>
<interface type='network'><mac address='52:54:00:60:00:01'/><source network='net60'/></interface>
</devices></domain>
EOF
mount -o remount,ro /run/virt-firewalld
out=$(hook_with f1 prepare "$SB/h1.xml" 2>&1); rc=$?
mount -o remount,rw /run/virt-firewalld
tap_is "unwritable state directory: the hook fails at prepare" "$rc" 1
tap_like "with one clear line" "$out" "^virt-firewalld: state directory '/run/virt-firewalld': .*Read-only file system$"
tap_is "nothing was applied" "$(count_rules --permanent)" 0
mount -t tmpfs -o size=64k tmpfs /run/virt-firewalld
touch /run/virt-firewalld/lock
dd if=/dev/zero of=/run/virt-firewalld/filler bs=4k count=100 status=none 2>/dev/null
out=$(hook_with f1 prepare "$SB/h1.xml" 2>&1); rc=$?
umount /run/virt-firewalld
tap_is "full state directory: the hook fails at prepare" "$rc" 1
tap_like "with one clear line" "$out" "^virt-firewalld: state directory '/run/virt-firewalld': .*No space left on device$"
tap_is "nothing was applied" "$(count_rules --permanent)" 0

# ---- hostile input: one clear error line, nothing changes in firewalld
hostile() { # DESC REGEX XML-TEXT
    printf '%s' "$3" >"$SB/hostile.xml"
    local out rc
    out=$(hook_with f1 prepare "$SB/hostile.xml" 2>&1); rc=$?
    tap_is "$1: prepare fails" "$rc" 1
    tap_like "$1: one clear line" "$out" "$2"
    tap_is "$1: one line only" "$(printf '%s\n' "$out" | wc -l)" 1
}
hostile "malformed XML" "^virt-firewalld: guest 'f1': domain XML: not well-formed" "<domain><name>f1"
hostile "XXE" "DOCTYPE is not allowed" \
    "<?xml version='1.0'?><!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/shadow'>]><domain><name>&x;</name></domain>"
hostile "no uuid" "guest 'f1': no valid <uuid>" "<domain><name>f1</name></domain>"
head -c 11000000 /dev/zero | tr '\0' ' ' >"$SB/huge.xml"
out=$(hook_with f1 prepare "$SB/huge.xml" 2>&1); rc=$?
tap_is "11 MB of input: prepare fails" "$rc" 1
tap_like "11 MB of input: bounded read, clear line" "$out" "larger than 8388608 bytes"
meta="<vf:forwards xmlns:vf='urn:virt-firewalld:forwards:1'><vf:forward spec='80 to-addr=1.2.3.4'/></vf:forwards>"
hostile "rule injection through metadata" "unexpected character" \
    "<domain><name>f1</name><uuid>$uuid</uuid><metadata>$meta</metadata></domain>"
meta="<vf:forwards xmlns:vf='urn:virt-firewalld:forwards:1'><vf:forward spec='8099:80' address='203.0.113.9'/></vf:forwards>"
hostile "an address outside the guest's networks" \
    "guest 'f1': address '203.0.113.9' is not inside any of its networks \('net60'\)" \
    "<domain><name>f1</name><uuid>$uuid</uuid><metadata>$meta</metadata><devices><interface type='network'><mac address='52:54:00:60:00:01'/><source network='net60'/></interface></devices></domain>"
tap_is "after all hostile input: nothing of ours in firewalld (runtime)" "$(count_rules)" 0
tap_is "after all hostile input: nothing of ours in firewalld (permanent)" \
    "$(count_rules --permanent)" 0

printf '[f1]\nforward = 8080\n' >/etc/virt-firewalld/forwards.d/evil.conf
chmod 666 /etc/virt-firewalld/forwards.d/evil.conf
out=$(hook_with f1 prepare "$SB/h1.xml" 2>&1); rc=$?
tap_is "a world-writable drop-in stops the guest" "$rc" 1
tap_like "naming the file" "$out" "evil.conf: refusing a file that is not owned by root or is writable"
rm -f /etc/virt-firewalld/forwards.d/evil.conf
mkdir -p /run/virt-firewalld/guests
ln -sf /etc/passwd "/run/virt-firewalld/guests/$uuid.state"
out=$(hook_with f1 prepare "$SB/h1.xml" 2>&1); rc=$?
tap_is "a state file replaced by a symlink: prepare fails" "$rc" 1
tap_like "it is not followed" "$out" "guests/$uuid.state: Too many levels of symbolic links"
tap_like "/etc/passwd is untouched" "$(head -1 /etc/passwd)" "^root:"
rm -f "/run/virt-firewalld/guests/$uuid.state"

tap_done
