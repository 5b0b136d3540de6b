#!/bin/bash
# The usual way: a libvirt qemu hook script that calls firewall-cmd once per entry and
# place, runtime and permanent, as most published hook scripts do. Used by bench/run as the
# comparison point; the items are the exact entries our hook publishes (one per line in
# ITEMS_DIR/DOMAIN, as floor-client.c reads them): `pub port=...` a forward-port of
# virtfw-pub and virtfw-pub-host (--add-forward-port), `pub rule ...` a rich rule there, a
# rule ending in `masquerade` (the hairpin) a rich rule of virtfw-forward, any other rule a
# rich rule of virtfw-forward and virtfw-host.
#
#   fwcmd-hook.sh ITEMS_DIR DOMAIN OPERATION SUBOP EXTRA   (domain XML on stdin)
set -u
dir=$1 dom=$2 op=$3
cat >/dev/null # the domain XML
case $op in
prepare) verb=add ;;
stopped) verb=remove ;;
*) exit 0 ;;
esac
[ -r "$dir/$dom" ] || exit 0
rc=0
while IFS= read -r item; do
    [ -n "$item" ] || continue
    case $item in
    "pub port="*) kind=forward-port policies="virtfw-pub virtfw-pub-host" ;;
    "pub "*) kind=rich-rule policies="virtfw-pub virtfw-pub-host" ;;
    *" masquerade") kind=rich-rule policies=virtfw-forward ;;
    *) kind=rich-rule policies="virtfw-forward virtfw-host" ;;
    esac
    entry=${item#pub }
    for policy in $policies; do
        firewall-cmd -q --policy="$policy" "--$verb-$kind=$entry" || rc=1
        firewall-cmd -q --permanent --policy="$policy" "--$verb-$kind=$entry" || rc=1
    done
done <"$dir/$dom"
exit $rc
