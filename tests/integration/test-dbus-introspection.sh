#!/bin/bash
# dbus/org.fedoraproject.FirewallD1.xml is written by hand: compare every method, signal
# and property in it with what a live firewalld introspects, so it cannot drift.
set -u
sb_start_dbus && sb_start_firewalld || tap_bail "firewalld did not start"
dest=org.fedoraproject.FirewallD1
introspect() { gdbus introspect --system --dest $dest --object-path "$1" --xml; }
objpath() { # METHOD NAME -> object path of a config object
    gdbus call --system --dest $dest --object-path /org/fedoraproject/FirewallD1/config \
        --method "$dest.config.$1" "$2" | sed -n "s/^(objectpath '\(.*\)',)$/\1/p"
}
introspect /org/fedoraproject/FirewallD1 >"$SB/live-main.xml"
introspect /org/fedoraproject/FirewallD1/config >"$SB/live-config.xml"
introspect "$(objpath getPolicyByName allow-host-ipv6)" >"$SB/live-policy.xml"
introspect "$(objpath getZoneByName public)" >"$SB/live-zone.xml"
introspect "$(objpath getIPSetByName virtfw-local)" >"$SB/live-ipset.xml"
tap_diag "firewalld $(firewall-cmd --version)"
python3 "$VFW_SOURCE_DIR/tests/dbus/compare-introspection.py" \
    "$VFW_SOURCE_DIR/dbus/org.fedoraproject.FirewallD1.xml" "$SB"/live-*.xml >"$SB/compare.out" ||
    tap_bail "comparison failed to run"
tap_ok "our XML declares members" test -s "$SB/compare.out"
while IFS=$'\t' read -r verdict what detail; do
    if [ "$verdict" = ok ]; then tap_pass "$what"; else tap_fail "$what"; tap_diag "$detail"; fi
done <"$SB/compare.out"
tap_done
