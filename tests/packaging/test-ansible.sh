#!/bin/bash
# The Ansible example (examples/ansible/site.yml) with Debian's ansible-core, connection
# local, inside a sandbox (tests/sandbox/run without VFW_BUILD_DIR): a guest already runs
# when the playbook installs the package (apt: deb=), writes its drop-in (template,
# validated by `virt-firewalld check`) and the handler's `virt-firewalld sync` publishes
# the port: the LAN client gets the guest's answer. A second run changes nothing; a
# drop-in that `check` refuses is never installed. TAP.
#
# Environment (from meson): VFW_SOURCE_DIR, VFW_PKG_WORKDIR (the .deb, shared with
# test-deb), VFW_SANDBOX_CACHE. Missing tools: "1..0 # SKIP"; with CI=true a failure.
set -u

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
declare -F sb_start_all >/dev/null || pkg_outer "${BASH_SOURCE[0]}" ansible-playbook

# ------------------------------------------------------------------------------------
# inside the sandbox
# ------------------------------------------------------------------------------------
MAC1=52:54:00:00:30:0a
PLAYBOOK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../examples/ansible" && pwd) ||
    tap_bail "examples/ansible missing"
DROPIN=/etc/virt-firewalld/forwards.d/web01.conf

# ansible writes only inside the sandbox's temp dir; Debian's python (python3-apt)
export HOME=$SB/home ANSIBLE_LOCAL_TEMP=$SB/ansible-local ANSIBLE_REMOTE_TEMP=$SB/ansible-remote \
    ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_LOCALHOST_WARNING=False \
    ANSIBLE_RETRY_FILES_ENABLED=False
mkdir -p "$HOME"

playbook() { # LOGNAME FORWARDS_JSON [ARGS...]: run site.yml; output in $SB/LOGNAME.log
    local log=$SB/$1.log forwards=$2
    shift 2
    (cd "$PLAYBOOK_DIR" && ansible-playbook -i localhost, -c local site.yml \
        -e ansible_python_interpreter=/usr/bin/python3 -e ansible_become=false \
        -e "vfw_deb=$VFW_DEB" -e "{\"vfw_forwards\": $forwards}" "$@") >"$log" 2>&1 </dev/null
}
recap() { grep -E '^localhost +:' "$SB/$1.log" | tr -s ' '; }

host_before=$(pkg_host_view)
pkg_isolate

sb_start_all || tap_bail "stack did not start"
sb_net routenet route virbr10 192.168.110 --host "$MAC1=10" || tap_bail "network"
sb_fake_guest web01 virbr10 "$MAC1" 192.168.110.10/24 192.168.110.1 || tap_bail "fake guest"
tap_ok "web01 runs before the package is installed" sb_domain_create web01 routenet "$MAC1"
tap_is "nothing published yet on 8080" "$(sb_probe_lan tcp 8080)" ""

WEB01='[{"guest": "web01", "forward": ["8080:80/tcp", "8081:80/tcp"]}]'
sb_time t1 playbook run1 "$WEB01"
rc=$?
tap_is "first run succeeds (${t1} ms)" "$rc" 0 || tap_diag "$(tail -n 30 "$SB/run1.log")"
tap_like "first run: changes, no failure" "$(recap run1)" "changed=[1-9].* failed=0 "
tap_like "the handler ran virt-firewalld sync" "$(cat "$SB/run1.log")" "RUNNING HANDLER \[Sync virt-firewalld\]"
tap_is "the package is installed" "$(pkg_installed_version)" "$(dpkg-deb -f "$VFW_DEB" Version) installed"
tap_like "the drop-in was written" "$(cat "$DROPIN" 2>&1)" $'\n\\[web01\\]\nforward = 8080:80/tcp; 8081:80/tcp'
tap_is "the drop-in is root's, 0644" "$(stat -c '%U %a' "$DROPIN" 2>&1)" "root 644"
tap_like "the LAN client reaches web01 through host:8080" "$(sb_probe_lan tcp 8080)" "^hello-from-web01$"
tap_like "and through host:8081" "$(sb_probe_lan tcp 8081)" "^hello-from-web01$"

sb_time t2 playbook run2 "$WEB01"
rc=$?
tap_is "second run succeeds (${t2} ms)" "$rc" 0 || tap_diag "$(tail -n 30 "$SB/run2.log")"
tap_like "second run changes nothing (changed=0)" "$(recap run2)" " changed=0 .* failed=0 "

sum=$(sha256sum <"$DROPIN")
playbook run3 '[{"guest": "web01", "forward": ["99999:80/tcp"]}]' --start-at-task "Declare the guests' forwards"
rc=$?
tap_isnt() { [ "$1" != "$2" ]; }
tap_ok "a forward that virt-firewalld check refuses fails the run" tap_isnt "$rc" 0
tap_like "the validation error names the problem" "$(cat "$SB/run3.log")" "failed to validate"
tap_is "the installed drop-in is unchanged" "$(sha256sum <"$DROPIN")" "$sum"
tap_like "web01 still answers on 8080" "$(sb_probe_lan tcp 8080)" "^hello-from-web01$"

tap_is "the host's dpkg database and paths are untouched" "$(pkg_host_view)" "$host_before"
tap_diag "ansible-playbook: first run ${t1} ms, second run ${t2} ms"
tap_done
