#!/bin/bash
# Runs LAST, directly on the host (not in a sandbox): the whole test run must have left
# nothing behind (TAP).
set -u

n=0 failed=0
check() { # DESC LEFTOVERS
    n=$((n + 1))
    if [ -z "$2" ]; then
        echo "ok $n - $1"
    else
        echo "not ok $n - $1"
        printf '%s\n' "$2" | sed 's/^/# /'
        failed=$((failed + 1))
    fi
}

echo "1..5"

check "no network namespace vfw-*" \
    "$(ip netns list 2>/dev/null | awk '{print $1}' | grep '^vfw-')"

check "no /tmp/vfw-sandbox.* directory" \
    "$(ls -d /tmp/vfw-sandbox.* 2>/dev/null)"

# daemons the sandboxes start: none may survive in a network namespace other than the
# host's (zombies have no namespace left and are ignored)
host_net=$(readlink /proc/1/ns/net)
[ -n "$host_net" ] || host_net=$(readlink /proc/self/ns/net)
procs=""
for d in /proc/[0-9]*; do
    comm=$(cat "$d/comm" 2>/dev/null) || continue
    case $comm in
    firewalld | libvirtd | virtqemud | virtnetworkd | dnsmasq | dbus-daemon | qemu-system-* | socat) ;;
    *) continue ;;
    esac
    net=$(readlink "$d/ns/net" 2>/dev/null) || continue
    [ "$net" = "$host_net" ] && continue
    procs="$procs${procs:+$'\n'}pid ${d#/proc/} $comm in $net: $(tr '\0' ' ' <"$d/cmdline" 2>/dev/null | cut -c1-120)"
done
check "no sandbox daemon (firewalld libvirtd virtqemud virtnetworkd dnsmasq dbus-daemon qemu socat) outside the host namespace" "$procs"

check "no mount mentioning vfw-sandbox (PID 1's mount namespace)" \
    "$(grep vfw-sandbox /proc/1/mountinfo 2>/dev/null)"
check "no mount mentioning vfw-sandbox (this mount namespace)" \
    "$(grep vfw-sandbox /proc/self/mountinfo 2>/dev/null)"

[ $failed = 0 ]
