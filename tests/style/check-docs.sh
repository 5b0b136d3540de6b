#!/bin/bash
# The man pages render without groff warnings, and the bash completion loads and
# completes the verbs.
set -u
build=$1 src=$2
n=0 failed=0
result() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else failed=$((failed + 1)); echo "not ok $n - $2"; fi; }
for page in "$build"/docs/virt-firewalld.8 "$build"/docs/virt-firewalld.conf.5; do
    warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)
    result $([ -z "$warnings" ] && echo 0 || echo 1) "man renders $(basename "$page") without warnings"
    [ -n "$warnings" ] && echo "$warnings" | sed 's/^/# /'
    text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$page" 2>/dev/null)
    result $(echo "$text" | grep -q "EXIT STATUS\|DROP-INS" && echo 0 || echo 1) "$(basename "$page") has its sections"
done
out=$(bash -c "source '$src/data/virt-firewalld.bash-completion' && COMP_WORDS=(virt-firewalld s) COMP_CWORD=1 && _virt_firewalld && echo \"\${COMPREPLY[*]}\"" 2>&1)
result $([ "$out" = "status sync" ] && echo 0 || echo 1) "completion loads and completes verbs ('$out')"
out=$(bash -c "source '$src/data/virt-firewalld.bash-completion' && COMP_WORDS=(virt-firewalld network c) COMP_CWORD=2 && _virt_firewalld && echo \"\${COMPREPLY[*]}\"" 2>&1)
result $([ "$out" = "convert" ] && echo 0 || echo 1) "completion completes network actions ('$out')"
# the README's test command is the one CI runs (.ci/run calls it verbatim)
readme_cmd=$(sed -n '/^```$/,/^```$/p' "$src/README.md" | grep -m1 'tests/all.sh')
result $(grep -qxF "$readme_cmd" "$src/.ci/run" && echo 0 || echo 1) \
    "the README's test command ('$readme_cmd') is what .ci/run runs"
echo "1..$n"
[ $failed = 0 ]
