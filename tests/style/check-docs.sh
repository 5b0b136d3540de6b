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
# the bash completion and the man page against the verb table (virt-firewalld --list-verbs:
# "VERB ACTION... --OPTION..."; 'hook' is libvirt's, not completed)
table=$("$build/helper/virt-firewalld" --list-verbs)
completion=$(cat "$src/data/virt-firewalld.bash-completion")
man8=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$build/docs/virt-firewalld.8" 2>/dev/null)
verbs=$(echo "$table" | awk '$1 != "hook" {print $1}' | sort | tr '\n' ' ')
completed=$(sed -n 's/^ *verbs="\(.*\)"$/\1/p' "$src/data/virt-firewalld.bash-completion" | tr ' ' '\n' | sort | tr '\n' ' ')
result $([ "$verbs" = "$completed" ] && echo 0 || echo 1) \
    "the completion offers the table's verbs ('$completed' against '$verbs')"
missing=""
while read -r verb words; do
    [ "$verb" = hook ] && continue
    for w in $words; do
        grep -qw -- "$w" <<<"$completion" || missing="$missing completion:$verb:$w"
        grep -q -- "$verb.*${w#--}" <<<"$man8" || grep -q -- "$w" <<<"$man8" ||
            missing="$missing man:$verb:$w"
    done
    grep -q "^ *$verb\b" <<<"$man8" || missing="$missing man:$verb"
done <<<"$table"
result $([ -z "$missing" ] && echo 0 || echo 1) \
    "the completion and virt-firewalld(8) know every action and option of the table${missing:+ (missing:$missing)}"
# the README's test command is the one CI runs (.ci/run calls it verbatim)
readme_cmd=$(sed -n '/^```$/,/^```$/p' "$src/README.md" | grep -m1 'tests/all.sh')
result $(grep -qxF "$readme_cmd" "$src/.ci/run" && echo 0 || echo 1) \
    "the README's test command ('$readme_cmd') is what .ci/run runs"
echo "1..$n"
[ $failed = 0 ]
