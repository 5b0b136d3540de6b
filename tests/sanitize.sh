#!/bin/bash
# The unit and dbus suites built with AddressSanitizer and
# UndefinedBehaviorSanitizer, in a build directory of its own (default SOURCE/build-asan,
# or VFW_ASAN_BUILDDIR): a memory error, a leak or undefined behaviour fails the test.
#
#   tests/sanitize.sh           meson test's own output
#   tests/sanitize.sh --tap     TAP, one line per test program (the 'sanitize' suite)
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
build=${VFW_ASAN_BUILDDIR:-$src/build-asan}
tap=false
[ "${1:-}" = --tap ] && tap=true

export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Plain malloc for GLib's allocations, so that ASan and LeakSanitizer see each of them.
export G_SLICE=always-malloc

mkdir -p "$build"
log=$build/sanitize.log
: >"$log"
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$src" --prefix=/usr -Db_sanitize=address,undefined \
        -Db_lundef=false >>"$log" 2>&1
fi
if ! meson compile -C "$build" >>"$log" 2>&1; then
    if $tap; then
        echo "Bail out! the sanitizer build in $build failed"
        tail -40 "$log" | sed 's/^/# /'
    else
        cat "$log" >&2
    fi
    exit 1
fi

suites=(--suite unit)
if meson introspect --tests "$build" |
    python3 -c 'import json, sys
sys.exit(not any(s.split(":")[-1] == "dbus" for t in json.load(sys.stdin) for s in t["suite"]))'; then
    suites+=(--suite dbus)
fi

if ! $tap; then
    meson test -C "$build" --print-errorlogs "${suites[@]}"
    exit
fi

meson test -C "$build" --print-errorlogs "${suites[@]}" >>"$log" 2>&1
rc=$?
# One TAP line per test program, from meson's JSON log of the run.
python3 - "$build/meson-logs/testlog.json" <<'EOF'
import json, sys

results = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
print("1..%d" % len(results))
for n, r in enumerate(results, 1):
    good = r["result"] in ("OK", "SKIP", "EXPECTEDFAIL")
    print("%s %d - %s: %s under ASan+UBSan (%.1f s)"
          % ("ok" if good else "not ok", n, r["name"], r["result"], r["duration"]))
    if not good:
        # The failed subtests, then the sanitizer's report from its first line.
        shown = [l for l in (r.get("stdout") or "").splitlines() if l.startswith("not ok")][:5]
        err = (r.get("stderr") or "").splitlines()
        first = next((i for i, l in enumerate(err)
                      if "Sanitizer" in l or "runtime error:" in l), max(len(err) - 20, 0))
        for line in shown + err[first:first + 25]:
            print("# " + line)
EOF
exit $rc
