#!/bin/bash
# The unit programs under valgrind memcheck: any memory error or definite leak fails.
# Arguments are pairs PROGRAM ARGUMENT (meson passes the unit tests with '--tap' and the
# corpus replay programs with their corpus directory). TAP, one line per program.
set -u
if ! command -v valgrind >/dev/null; then
    # CI installs everything: there a missing valgrind is a failure, not a skip
    [ "${CI:-}" = true ] && { echo "Bail out! valgrind not installed"; exit 1; }
    echo "1..0 # SKIP valgrind not installed"
    exit 0
fi
if [ $(($# % 2)) != 0 ] || [ $# = 0 ]; then
    echo "usage: $0 PROGRAM ARGUMENT [PROGRAM ARGUMENT]..." >&2
    exit 2
fi

# Plain malloc for GLib's allocations, so that memcheck sees each of them.
export G_SLICE=always-malloc G_DEBUG=gc-friendly
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

echo "1..$(($# / 2))"
n=0 failed=0
while [ $# -gt 0 ]; do
    prog=$1 arg=$2
    shift 2
    n=$((n + 1))
    name=$(basename "$prog")
    start=$SECONDS
    valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
        --log-file="$logdir/$name.vg" "$prog" "$arg" >"$logdir/$name.out" 2>&1
    rc=$?
    if [ $rc = 0 ]; then
        echo "ok $n - $name: valgrind clean ($((SECONDS - start)) s)"
    else
        failed=$((failed + 1))
        echo "not ok $n - $name: exit status $rc under valgrind"
        grep -v '^==[0-9]*== *$' "$logdir/$name.vg" | head -40 | sed 's/^/# /'
        grep '^not ok' "$logdir/$name.out" | head -10 | sed 's/^/# /'
    fi
done
[ $failed = 0 ]
