#!/bin/bash
# The command line as admins expect it (issue 15): every verb and action takes --help
# (usage on stdout, exit 0), an unknown option or a wrong number of arguments is a usage
# error (exit 2) naming it, on stderr. Needs no stack: none of these reaches libvirt or
# firewalld. Usage: test-usage.sh BUILD_DIR
set -u
vfw=$1/helper/virt-firewalld
n=0 failed=0
result() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else failed=$((failed + 1)); echo "not ok $n - $2"; fi; }
run() { out=$("$vfw" "$@" 2>"$err_file"); rc=$?; err=$(cat "$err_file"); }
err_file=$(mktemp)
trap 'rm -f "$err_file"' EXIT

for cmd in "--help" "status --help" "check --help" "sync --help" "doctor --help" "watch --help" \
    "forward --help" "forward add --help" "forward remove --help" "forward list --help" \
    "network --help" "network convert --help" "network revert --help" "version --help"; do
    # shellcheck disable=SC2086
    run $cmd
    verb=${cmd% --help}
    result $([ $rc = 0 ] && [ -z "$err" ] && grep -q "Usage" <<<"$out" && echo 0 || echo 1) \
        "'$cmd' prints the usage on stdout and exits 0 (rc $rc)"
    if [ "$verb" != --help ]; then
        result $(grep -q "virt-firewalld \[OPTION…\] $verb" <<<"$out" && echo 0 || echo 1) \
            "'$cmd' shows the usage of '$verb'"
    fi
done
run network convert --help
result $(grep -q -- "--restart" <<<"$out" && grep -q -- "--dry-run" <<<"$out" && echo 0 || echo 1) \
    "'network convert --help' lists its options"

check_usage() { # WHAT NEEDLE ARGS...
    local what=$1 needle=$2
    shift 2
    run "$@"
    result $([ $rc = 2 ] && [ -z "$out" ] && grep -qF -- "$needle" <<<"$err" && echo 0 || echo 1) \
        "$what: exit 2, stderr names it (rc $rc: ${err%%$'\n'*})"
}
check_usage "an unknown option of status" "status: Unknown option --jsno" status --jsno
check_usage "an unknown option of sync" "sync: Unknown option --bogus" sync --bogus
check_usage "an argument sync does not take" "sync: expected [--dry-run|--offline]" sync now
check_usage "--dry-run with --offline" "sync: --dry-run and --offline do not go together" \
    sync --dry-run --offline
check_usage "an option of another verb" "doctor: Unknown option --json" doctor --json
check_usage "arguments doctor does not take" "doctor: expected no arguments" doctor web01
check_usage "two files for check" "check: expected [FILE]" check a b
check_usage "network without an action" "network: expected convert|revert NAME" network
check_usage "an unknown network action" "network: unknown action 'flip'" network flip n1
check_usage "network convert without NAME" "network: expected convert NAME" network convert
check_usage "forward list with a SPEC" "forward: expected list GUEST" forward list g 80
check_usage "--address for remove" "forward remove: --address is for 'add' only" \
    forward remove g 80 --address 192.0.2.1
check_usage "an unknown verb" "unknown verb 'stauts'" stauts
check_usage "an unknown global option" "Unknown option --bogus" --bogus status
run --list-verbs
result $([ $rc = 0 ] && grep -qx "network convert revert --dry-run --restart\|network convert revert --restart --dry-run" <<<"$out" && echo 0 || echo 1) \
    "--list-verbs prints the verb table ($(grep '^network' <<<"$out"))"
echo "1..$n"
[ $failed = 0 ]
