#!/bin/bash
# tests/style/check-translations.sh SRCDIR: the Cockpit page's translations are current.
# The committed template (cockpit/po/virt-firewalld.pot) holds exactly the strings that
# cockpit/index.js marks with _(); every cockpit/po/LANG.po is valid and translates all of
# them (what is not translated shows in English). TAP.
set -u
src=$1
n=0 failed=0
check() { # DESC PROBLEMS (empty: pass)
    n=$((n + 1))
    if [ -z "$2" ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; printf '%s\n' "$2" | sed 's/^/# /'; failed=$((failed + 1)); fi
}
for b in xgettext msgfmt msgcmp; do
    command -v $b >/dev/null || { echo "1..0 # SKIP missing $b (package gettext; tests/install-deps.sh installs it)"; [ "${CI:-}" = true ] && exit 1; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
msgids() { msgcat --no-location --sort-output "$1" 2>&1 | grep -v '^"POT-Creation-Date\|^#'; }
xgettext --language=JavaScript --from-code=UTF-8 --keyword=_ --add-comments=TRANSLATORS \
    --package-name=virt-firewalld --msgid-bugs-address=maintainers@virt-firewalld.invalid \
    -o "$tmp/fresh.pot" "$src/cockpit/index.js" 2>"$tmp/xgettext.err"
check "xgettext reads cockpit/index.js without a warning" "$(cat "$tmp/xgettext.err")"
check "cockpit/po/virt-firewalld.pot holds exactly the strings of index.js (regenerate: see README)" \
    "$(diff <(msgids "$tmp/fresh.pot") <(msgids "$src/cockpit/po/virt-firewalld.pot") | grep '^[<>] msgid')"
for po in "$src"/cockpit/po/*.po; do
    lang=$(basename "$po" .po)
    check "po/$lang.po is valid (msgfmt -c)" "$(msgfmt -c -o /dev/null "$po" 2>&1)"
    check "po/$lang.po translates every string" "$(msgcmp "$po" "$tmp/fresh.pot" 2>&1 | grep -v 'warning: header field')"
    check "po/$lang.po is listed in cockpit/meson.build's outputs" \
        "$(grep -q "'po.$lang.js'" "$src/cockpit/meson.build" || echo "no po.$lang.js output")"
done
echo "1..$n"
[ $failed = 0 ]
