#!/bin/bash
# style suite: every C source and header under helper/, tests/ and bench/ is formatted as
# .clang-format says.
set -u
cd "$1" || exit 1
if ! command -v clang-format >/dev/null; then
    # CI installs everything: there a missing tool is a failure, not a skip
    [ "${CI:-}" = true ] && { echo "Bail out! clang-format missing"; exit 1; }
    echo "1..0 # SKIP clang-format missing"
    exit 77
fi
files=$(git ls-files 'helper/*.[ch]' 'tests/*.[ch]' 'bench/*.c' 2>/dev/null ||
    find helper tests bench -name '*.[ch]')
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
