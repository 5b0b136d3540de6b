#!/bin/bash
# The Cockpit page in a real browser on the real stack: cockpit-ws (local session, no
# login) serves the installed package next to the sandbox's firewalld and libvirtd;
# Debian's chromium, driven headless through playwright-core (cockpit-driver.js), opens
# Cockpit's shell, follows its "Published ports" entry and uses the page with the
# keyboard. A published port counts only when the LAN client gets the guest's answer.
# Screenshots of each state go to BUILD/cockpit-screenshots/.
# Run by tests/sandbox/run, which sources sandbox.sh.
set -u

VFW=virt-firewalld
PKG=/usr/share/cockpit/virt-firewalld
MAC1=52:54:00:00:50:0a
MAC2=52:54:00:00:50:0b
MAC3=52:54:00:00:51:0c
BR_NAT=virbr51
PORT=9090
URL=http://127.0.0.1:$PORT/
SHOTS=${VFW_BUILD_DIR:-$SB}/cockpit-screenshots

# what the browser part needs; CI installs all of it (tests/install-deps.sh), so there a
# missing piece fails the test instead of skipping it
missing=""
for f in /usr/lib/cockpit/cockpit-ws /usr/libexec/cockpit-ws /usr/bin/cockpit-bridge /usr/bin/chromium \
    "$PKG/manifest.json" "$PKG/virt-firewalld.css" "$VFW_SOURCE_DIR/cockpit/node_modules/playwright-core/package.json"; do
    case $f in */cockpit-ws) [ -x /usr/lib/cockpit/cockpit-ws ] || [ -x /usr/libexec/cockpit-ws ] || missing="$missing cockpit-ws" ;;
    *) [ -e "$f" ] || missing="$missing $f" ;;
    esac
done
command -v node >/dev/null || missing="$missing node"
if [ -n "$missing" ]; then
    msg="missing:${missing} (tests/install-deps.sh installs the packages and runs npm ci in cockpit/; the page is built when cockpit/node_modules holds PatternFly)"
    [ "${CI:-}" = true ] && tap_bail "$msg"
    tap_skip_all "$msg"
fi
WS=$(ls /usr/lib/cockpit/cockpit-ws /usr/libexec/cockpit-ws 2>/dev/null | head -n 1)

sb_start_all || tap_bail "stack did not start"
sb_net net50 route virbr50 192.168.150 --host "$MAC1=10" --host "$MAC2=11" || tap_bail "routed network"
sb_net natnet nat $BR_NAT 192.168.151 --host "$MAC3=12" || tap_bail "nat network"
sb_fake_guest web01 virbr50 "$MAC1" 192.168.150.10/24 192.168.150.1 || tap_bail "fake guest web01"
sb_fake_guest db01 virbr50 "$MAC2" 192.168.150.11/24 192.168.150.1 || tap_bail "fake guest db01"
sb_fake_guest app01 $BR_NAT "$MAC3" 192.168.151.12/24 192.168.151.1 || tap_bail "fake guest app01"
mkdir -p /etc/virt-firewalld/forwards.d
printf '[web01]\nforward = 8080:80/tcp\n[db01]\nforward = 8090:80/tcp\n[app01]\nforward = 8081:80/tcp\n' \
    >/etc/virt-firewalld/forwards.d/guests.conf
chmod 644 /etc/virt-firewalld/forwards.d/guests.conf
for g in "web01 net50 $MAC1" "db01 net50 $MAC2" "app01 natnet $MAC3"; do
    read -r name net mac <<<"$g"
    sb_domain_create "$name" "$net" "$mac" || tap_bail "guest $name"
done
tap_like "before: the LAN client reaches web01's declared port" "$(sb_probe_lan tcp 8080)" \
    "^hello-from-web01$"

# cockpit-ws with a local session: the bridge runs as root, as Cockpit's "administrative
# access" does; it lists packages once, so it starts after ours is installed
HOME=$SB/home
mkdir -p "$HOME" "$SHOTS"
rm -f "$SHOTS"/*.png
export HOME
setsid "$WS" --no-tls --local-session=/usr/bin/cockpit-bridge -p $PORT -a 127.0.0.1 \
    </dev/null >"$SB/cockpit-ws.log" 2>&1 &
echo $! >"$SB/pids/cockpit-ws"
_sb_wait_for 10 socat -u OPEN:/dev/null TCP:127.0.0.1:$PORT || tap_bail "cockpit-ws does not listen"

# the driver: a coprocess answering one JSON line per command
coproc DRIVER { NODE_PATH="$VFW_SOURCE_DIR/cockpit/node_modules" exec node \
    "$VFW_SOURCE_DIR/tests/integration/cockpit-driver.js" "$SHOTS" 2>>"$SB/driver.log"; }
echo "$DRIVER_PID" >"$SB/pids/cockpit-driver"
drive() { # JSON: prints the answer line
    local answer=""
    printf '%s\n' "$1" >&"${DRIVER[1]}"
    IFS= read -r -t 120 answer <&"${DRIVER[0]}" || answer='{"ok": false, "error": "no answer from the driver"}'
    printf '%s\n' "$answer"
}
field() { # ANSWER KEY: one key of an answer (strings as they are, others as JSON)
    python3 -c 'import json, sys
v = json.loads(sys.argv[1]).get(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2"
}
drive_ok() { # DESC JSON: a TAP result; the answer in $ANSWER
    ANSWER=$(drive "$2")
    if [ "$(field "$ANSWER" ok)" = true ]; then tap_pass "$1"; else tap_fail "$1"; tap_diag "$ANSWER"; fi
}
meta_has() { $VIRSH dumpxml "$1" | grep -q "spec=\"$2\""; }
lacks_meta() { ! meta_has "$@"; }
lacks() { ! grep -q -- "$1" <<<"$2"; } # REGEX TEXT

drive_ok "chromium opens Cockpit's shell" "{\"cmd\": \"start\", \"url\": \"$URL\"}"
drive_ok "the shell's menu has 'Published ports'; it opens the page" \
    '{"cmd": "menu", "label": "Published ports"}'
tap_is "the page's heading" "$(field "$ANSWER" heading)" "Published ports"

# ---- 1. the page lists the running guest's forward, with its live state
ANSWER=$(drive '{"cmd": "wait", "selector": "#vfw-forwards", "regex": "web01\\s+tcp\\s+\\*:8080\\s+192\\.168\\.150\\.10:80\\s+yes\\s+yes\\s+ok"}')
tap_is "the list shows web01's *:8080 -> 192.168.150.10:80, runtime and permanent, ok" \
    "$(field "$ANSWER" ok)" true
tap_diag "$(field "$ANSWER" text)"
ANSWER=$(drive '{"cmd": "text", "selector": "#vfw-networks"}')
tap_like "the networks: net50 routed on virbr50 in zone libvirt-routed" "$(field "$ANSWER" text)" \
    "net50\s+route\s+virbr50\s+libvirt-routed"
tap_like "and natnet, nat, with its Convert button" "$(field "$ANSWER" text)" "natnet\s+nat\s+$BR_NAT\s+libvirt\s+Convert"
ANSWER=$(drive '{"cmd": "wait", "selector": "#vfw-doctor-body", "regex": "natnet"}')
tap_like "doctor's finding: app01's forward cannot work on the nat network, with the fix" \
    "$(field "$ANSWER" text)" "forward '8081:80/tcp' not published: network 'natnet' is in nat mode.*network convert natnet"
ANSWER=$(drive '{"cmd": "options", "selector": "#vfw-guest"}')
for g in web01 db01 app01; do
    tap_like "the form offers guest $g" "$(field "$ANSWER" options)" "\"value\": \"$g\""
done
drive_ok "screenshot: the list" '{"cmd": "screenshot", "name": "cockpit-list"}'

# ---- 2. adding a forward through the form publishes it: the LAN client gets the answer
ANSWER=$(drive '{"cmd": "add", "guest": "web01", "spec": "8085:80/tcp", "address": "192.168.150.10"}')
tap_like "add 8085:80/tcp to web01: the page says so" "$(field "$ANSWER" notice)" \
    "Published 8085:80/tcp for web01"
tap_is "no error next to the port" "$(field "$ANSWER" spec_error)" "null"
tap_like "the LAN client gets web01's answer on 8085" "$(sb_probe_lan tcp 8085)" "^hello-from-web01$"
tap_ok "the forward is in web01's metadata" meta_has web01 8085:80/tcp
ANSWER=$(drive '{"cmd": "wait", "selector": "#vfw-forwards", "regex": "\\*:8085\\s+192\\.168\\.150\\.10:80\\s+yes\\s+yes\\s+ok"}')
tap_is "the list shows it live" "$(field "$ANSWER" ok)" true
drive_ok "screenshot: after the add" '{"cmd": "screenshot", "name": "cockpit-added"}'

# ---- an error path: a port db01 publishes; the CLI's message, next to the port field
ANSWER=$(drive '{"cmd": "add", "guest": "web01", "spec": "8090:80/tcp"}')
tap_like "adding db01's port 8090 to web01: the CLI's error next to the port" \
    "$(field "$ANSWER" spec_error)" "already published by guest 'db01'"
tap_is "the port field is marked invalid" "$(field "$ANSWER" spec_invalid)" "true"
tap_is "and has the focus" "$(field "$ANSWER" focused)" "vfw-spec"
tap_ok "nothing applied: no metadata on web01" lacks_meta web01 8090:80/tcp
tap_like "nothing applied: 8090 still reaches db01" "$(sb_probe_lan tcp 8090)" "^hello-from-db01$"
drive_ok "screenshot: the conflict" '{"cmd": "screenshot", "name": "cockpit-conflict"}'

# ---- a nat network: the CLI's message, and Convert with its confirmation dialog
ANSWER=$(drive '{"cmd": "add", "guest": "app01", "spec": "8095:80/tcp"}')
tap_like "adding to app01 on the nat network: the reason and the fix next to the port" \
    "$(field "$ANSWER" spec_error)" "network 'natnet' is in nat mode.*network convert natnet"
tap_ok "nothing applied: no metadata on app01" lacks_meta app01 8095:80/tcp
ANSWER=$(drive '{"cmd": "network", "network": "natnet", "action": "convert", "cancel": true}')
tap_like "Convert asks first, saying what changes" "$(field "$ANSWER" body)" \
    "libvirt stops writing firewall rules for natnet.*virtfw-nat masquerades"
tap_is "the dialog has the focus" "$(field "$ANSWER" focused)" true
tap_is "Escape closes it" "$(field "$ANSWER" closed)" true
tap_like "and nothing changed" "$($VIRSH net-dumpxml natnet)" "<forward mode='nat'"
ANSWER=$(drive '{"cmd": "network", "network": "natnet", "action": "convert"}')
tap_like "Convert, confirmed: the page says natnet is under firewalld" "$(field "$ANSWER" notice)" \
    "Network natnet is now under firewalld"
tap_like "natnet is an open network now" "$($VIRSH net-dumpxml natnet)" "<forward mode='open'/>"
tap_is "its bridge is in zone virtfw" "$(firewall-cmd --get-zone-of-interface=$BR_NAT)" virtfw
ip link set vg-app01 master $BR_NAT up # the fake guest's veth is ours: back on the new bridge
ANSWER=$(drive '{"cmd": "add", "guest": "app01", "spec": "8095:80/tcp"}')
tap_like "now the add works" "$(field "$ANSWER" notice)" "Published 8095:80/tcp for app01"
tap_like "the LAN client gets app01's answer on 8095" "$(sb_probe_lan tcp 8095)" "^hello-from-app01$"
ANSWER=$(drive '{"cmd": "wait", "selector": "#vfw-networks", "regex": "natnet\\s+open\\s+virbr51\\s+virtfw\\s+Revert"}')
tap_is "the network list shows natnet open, in virtfw, with Revert" "$(field "$ANSWER" ok)" true

# ---- the page follows the stack by itself: a rule deleted by hand, then sync
firewall-cmd -q --policy=virtfw-pub --remove-forward-port='port=8085:proto=tcp:toport=80:toaddr=192.168.150.10'
ANSWER=$(drive '{"cmd": "wait", "selector": "#vfw-forwards", "regex": "\\*:8085\\s+192\\.168\\.150\\.10:80\\s+no\\s+yes\\s+missing", "timeout": 20000}')
tap_is "without a reload, the page shows 8085 missing from the runtime" "$(field "$ANSWER" ok)" true
drive_ok "screenshot: a missing rule" '{"cmd": "screenshot", "name": "cockpit-missing"}'
$VFW sync >/dev/null 2>&1
ANSWER=$(drive '{"cmd": "wait", "selector": "#vfw-forwards", "regex": "\\*:8085\\s+192\\.168\\.150\\.10:80\\s+yes\\s+yes\\s+ok", "timeout": 20000}')
tap_is "after sync, ok again" "$(field "$ANSWER" ok)" true

# ---- 3. removing the forward closes the port
ANSWER=$(drive '{"cmd": "remove", "guest": "web01", "spec": "8085:80/tcp"}')
tap_like "Remove (from the keyboard): the page says so" "$(field "$ANSWER" notice)" "Removed 8085:80/tcp of web01"
tap_is "the port is closed" "$(sb_probe_lan tcp 8085)" ""
tap_ok "the metadata is gone" lacks_meta web01 8085:80/tcp
tap_like "web01's other port still answers" "$(sb_probe_lan tcp 8080)" "^hello-from-web01$"
ANSWER=$(drive '{"cmd": "text", "selector": "#vfw-forwards"}')
tap_ok "the list no longer has 8085" lacks ':8085' "$(field "$ANSWER" text)"
drive_ok "screenshot: after the removal" '{"cmd": "screenshot", "name": "cockpit-removed"}'

# ---- Revert, through its dialog
ANSWER=$(drive '{"cmd": "network", "network": "natnet", "action": "revert"}')
tap_like "Revert said what stops working" "$(field "$ANSWER" body)" "stop working"
tap_like "the page says natnet is nat again" "$(field "$ANSWER" notice)" "Network natnet is libvirt's nat network again"
tap_like "natnet is nat again" "$($VIRSH net-dumpxml natnet)" "<forward mode='nat'"

# ---- a guest that stops leaves the list by itself
sb_domain_destroy db01
ANSWER=$(drive '{"cmd": "wait", "selector": "#vfw-forwards", "regex": "^(?![\\s\\S]*db01)[\\s\\S]*web01", "timeout": 20000}')
tap_is "after db01 stops, its port leaves the list without a reload" "$(field "$ANSWER" ok)" true
tap_is "and 8090 is closed" "$(sb_probe_lan tcp 8090)" ""

# ---- translated: the same page in German
drive '{"cmd": "quit"}' >/dev/null
drive_ok "chromium opens the shell in German" "{\"cmd\": \"start\", \"url\": \"$URL\", \"lang\": \"de-de\"}"
drive_ok "the German menu entry opens the page" '{"cmd": "menu", "label": "Veröffentlichte Ports"}'
tap_is "the heading is translated" "$(field "$ANSWER" heading)" "Veröffentlichte Ports"

drive '{"cmd": "quit"}' >/dev/null
exec {DRIVER[1]}>&-
wait "$DRIVER_PID" 2>/dev/null
tap_diag "screenshots in $SHOTS: $(cd "$SHOTS" && echo *.png)"
for g in web01 app01; do sb_domain_destroy "$g"; done
_sb_stop cockpit-ws 5
tap_done
