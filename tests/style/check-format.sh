#!/bin/bash
# style suite: every C file under helper/ and tests/ is formatted as .clang-format says.
set -u
cd "$1" || exit 1
command -v clang-format >/dev/null || { echo "1..0 # SKIP clang-format missing"; exit 77; }
files=$(git ls-files 'helper/*.c' 'helper/*.h' 'tests/*.c' 2>/dev/null ||
    find helper tests -name '*.[ch]')
n=0 failed=0
for f in $files; do
    n=$((n + 1))
    if clang-format --dry-run -Werror "$f" >/dev/null 2>"${TMPDIR:-/tmp}/vfw-format.$$"; then
        echo "ok $n - $f"
    else
        failed=$((failed + 1))
        echo "not ok $n - $f"
        head -20 "${TMPDIR:-/tmp}/vfw-format.$$" | sed 's/^/# /'
    fi
done
rm -f "${TMPDIR:-/tmp}/vfw-format.$$"
echo "1..$n"
[ "$n" -gt 0 ] && [ "$failed" = 0 ]
