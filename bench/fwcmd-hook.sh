#!/bin/bash
# The usual way: a libvirt qemu hook script that calls firewall-cmd once per rule, for the
# runtime and the permanent configuration of both policies, as most published hook
# scripts do. Used by bench/run as the comparison point; the rich rules are the exact
# texts our hook publishes (one per line in RULES_DIR/DOMAIN).
#
#   fwcmd-hook.sh RULES_DIR DOMAIN OPERATION SUBOP EXTRA   (domain XML on stdin)
set -u
dir=$1 dom=$2 op=$3
cat >/dev/null # the domain XML
case $op in
prepare) verb=--add-rich-rule ;;
stopped) verb=--remove-rich-rule ;;
*) exit 0 ;;
esac
[ -r "$dir/$dom" ] || exit 0
rc=0
while IFS= read -r rule; do
    [ -n "$rule" ] || continue
    for policy in virtfw-forward virtfw-host; do
        firewall-cmd -q --policy="$policy" "$verb=$rule" || rc=1
        firewall-cmd -q --permanent --policy="$policy" "$verb=$rule" || rc=1
    done
done <"$dir/$dom"
exit $rc
