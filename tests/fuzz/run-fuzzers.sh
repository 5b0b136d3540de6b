#!/bin/bash
# Runs every libFuzzer harness for SECONDS (default 60) each, in the clang build in
# build-fuzz/ (set up here when missing: CC=clang meson setup build-fuzz -Dfuzz=true).
# Output is TAP, one line per fuzzer with its number of executions; a crash, a broken
# property, a leak or a timeout fails it, and the input that did it is kept in
# BUILD/artifacts/ (copy it to tests/fuzz/corpus/TARGET/ as a regression file).
# New inputs go to BUILD/corpus/TARGET/, never to the seed corpus in the source tree.
#
#   tests/fuzz/run-fuzzers.sh [SECONDS]
#   VFW_FUZZ_BUILDDIR=DIR      build directory (default: SOURCE/build-fuzz)
#   VFW_FUZZ_TARGETS="spec ..."  a subset of the targets
#   VFW_FUZZ_JOBS=N            fuzzers run at the same time (default: one per CPU)
set -u
secs=${1:-60}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${VFW_FUZZ_BUILDDIR:-$src/build-fuzz}
read -ra targets <<<"${VFW_FUZZ_TARGETS:-spec dropin domain network rich-rule wire record}"
seeds=$src/tests/fuzz/corpus

case $secs in
'' | *[!0-9]*)
    echo "usage: $0 [SECONDS]" >&2
    exit 2
    ;;
esac

skip() {
    echo "1..0 # SKIP $*"
    exit 0
}

command -v clang >/dev/null || skip "clang not installed"
probe=$(mktemp -d)
trap 'rm -rf "$probe"; kill $(jobs -p) 2>/dev/null' EXIT
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' \
    >"$probe/probe.c"
clang -fsanitize=fuzzer,address,undefined "$probe/probe.c" -o "$probe/probe" 2>/dev/null ||
    skip "clang cannot link libFuzzer (Debian: libclang-rt-14-dev)"

mkdir -p "$build"
log=$build/run-fuzzers.log
: >"$log"
if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" "$src" -Dfuzz=true >>"$log" 2>&1
fi
if ! meson compile -C "$build" "${targets[@]/#/fuzz-}" >>"$log" 2>&1; then
    echo "Bail out! the fuzz build in $build failed"
    tail -40 "$log" | sed 's/^/# /'
    exit 1
fi

# One fuzzer per CPU at a time (VFW_FUZZ_JOBS to change): each gets its SECONDS alone.
jobs=${VFW_FUZZ_JOBS:-$(nproc)}
running=0
for name in "${targets[@]}"; do
    work=$build/corpus/$name
    dict=$src/tests/fuzz/dict/$name.dict
    mkdir -p "$work" "$build/artifacts"
    rm -f "$build/fuzz-$name.rc"
    opts=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$build/artifacts/$name-")
    [ -f "$dict" ] && opts+=(-dict="$dict")
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
    # G_SLICE: plain malloc, so that ASan and LeakSanitizer see GLib's allocations.
    (
        G_SLICE=always-malloc ASAN_OPTIONS=detect_leaks=1 \
            "$build/tests/fuzz/fuzz-$name" "${opts[@]}" "$work" "$seeds/$name" \
            >"$build/fuzz-$name.log" 2>&1
        echo $? >"$build/fuzz-$name.rc"
    ) &
    running=$((running + 1))
done
wait

echo "1..${#targets[@]}"
n=0 failed=0
for name in "${targets[@]}"; do
    n=$((n + 1))
    flog=$build/fuzz-$name.log
    rc=$(cat "$build/fuzz-$name.rc" 2>/dev/null || echo '?')
    runs=$(sed -n 's/^Done \([0-9]*\) runs in .*/\1/p' "$flog" | tail -1)
    if [ "$rc" = 0 ] && [ -n "$runs" ]; then
        echo "ok $n - $name: $runs executions in ${secs} s, no crash"
    else
        failed=$((failed + 1))
        echo "not ok $n - $name: exit status $rc after ${runs:-?} executions (log: $flog)"
        # The report without libFuzzer's progress lines: the error, its stack, the input.
        grep -vE '^(INFO:|#[0-9]+\s|Dictionary:|stat::|$)' "$flog" |
            grep -vE 'fuzzer::|__sanitizer_print_stack|libc\.so|nptl|raise\.c|abort\.c|libc-start|_start |NOTE: libFuzzer|Combine libFuzzer' |
            head -30 | sed 's/^/# /'
    fi
done
[ $failed = 0 ]
