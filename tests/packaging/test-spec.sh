#!/bin/bash
# virt-firewalld.spec against the build under test (VFW_BUILD_DIR), so that the spec and
# the build cannot drift: `rpmspec -P` parses it (Debian's rpm, with the Fedora macros
# it lacks from fedora.macros); its Version is the project's; its expanded %files and
# the files and links `meson install --destdir` puts down are the same set, both ways;
# every regular file in /etc is %config(noreplace). Then `rpmbuild -bb --nodeps` (no rpm
# database on Debian to satisfy BuildRequires) builds the RPM from a source tarball of
# this tree (the `meson dist` tarball when the git tree is clean, else an identical
# layout made from the working tree), running %check (the unit suites), and the RPM's
# payload is compared with the same set. TAP.
#
# Environment (from meson): VFW_BUILD_DIR, VFW_SOURCE_DIR. Missing tools: "1..0 # SKIP"
# (exit $VFW_SKIP_EXIT, default 77); with CI=true a failure.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "${VFW_SOURCE_DIR:-$here/../..}" && pwd)
build=${VFW_BUILD_DIR:-}
spec=$src/virt-firewalld.spec
macros=$here/fedora.macros

skip() {
    if [ "${CI:-}" = true ]; then
        echo "Bail out! missing dependency: $*"
        exit 1
    fi
    echo "1..0 # SKIP $*"
    exit "${VFW_SKIP_EXIT:-77}"
}
missing=""
for b in rpmspec rpmbuild rpm meson tar xz; do
    command -v "$b" >/dev/null 2>&1 || missing="$missing $b"
done
[ -z "$missing" ] || skip "missing programs:$missing (tests/install-deps.sh installs them)"
PY=/usr/bin/python3
[ -x $PY ] || PY=$(command -v python3) || skip "missing program: python3"
[ -n "$build" ] && [ -d "$build/meson-info" ] || { echo "Bail out! VFW_BUILD_DIR is not a meson build directory"; exit 1; }

tmp=$(mktemp -d /tmp/vfw-rpm.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
rpmopts=(--load "$macros" --define "_topdir $tmp/rpm" --define "_tmppath $tmp")

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
    n=$((n + 1)) failed=$((failed + 1))
    echo "not ok $n - $1"
    shift
    [ $# = 0 ] || printf '%s\n' "$@" | sed 's/^/# /'
}
check() { # DESC OUTPUT-OF-THE-CHECK (empty: pass)
    if [ -z "$2" ]; then ok "$1"; else notok "$1" "$2"; fi
}
finish() {
    echo "1..$n"
    [ $failed = 0 ]
    exit
}

# --- the spec parses -------------------------------------------------------------------
if rpmspec "${rpmopts[@]}" -P "$spec" >"$tmp/spec" 2>"$tmp/rpmspec.err"; then
    ok "rpmspec -P parses virt-firewalld.spec"
else
    notok "rpmspec -P parses virt-firewalld.spec" "$(cat "$tmp/rpmspec.err")"
    finish
fi
check "rpmspec -P: no warning" "$(cat "$tmp/rpmspec.err")"
spec_version=$(rpmspec "${rpmopts[@]}" -q --srpm --qf '%{VERSION}' "$spec" 2>/dev/null)
meson_version=$(meson introspect --projectinfo "$build" | $PY -c 'import json,sys; print(json.load(sys.stdin)["version"])')
check "spec Version ($spec_version) is the project's" \
    "$([ "$spec_version" = "$meson_version" ] || echo "meson.build says $meson_version")"
for m in '^%meson -Dcockpit=enabled$' '^%meson_build$' '^%meson_install$' '^%meson_test --suite unit$' '^%firewalld_reload$' \
    '^%tmpfiles_create ' 'try-restart libvirtd.service virtqemud.service virtnetworkd.service'; do
    m2=${m#^}
    check "spec uses ${m2%\$}" "$(grep -q -- "$m" "$spec" || echo "not found in $spec")"
done

# --- %files against the build under test ------------------------------------------------
prefix=$(meson introspect --buildoptions "$build" |
    $PY -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"][0])')
if [ "$prefix" != /usr ]; then
    echo "# the build under test has prefix $prefix, the spec /usr: %files not compared"
    n=$((n + 1))
    echo "ok $n - %files against the build # SKIP prefix $prefix (meson setup --prefix=/usr)"
else
    if meson install -C "$build" --no-rebuild --destdir "$tmp/dest" --quiet >"$tmp/install.log" 2>&1; then
        ok "meson install --destdir of the build under test"
    else
        notok "meson install --destdir of the build under test" "$(tail -n 20 "$tmp/install.log")"
        finish
    fi
    # prints "T<tab>check title", then "P<tab>problem" lines (none: the check passes)
    $PY - "$tmp/spec" "$tmp/dest" >"$tmp/compare" <<'EOF'
import fnmatch, os, re, sys

spec, dest = sys.argv[1], sys.argv[2]
sections = ("%package", "%description", "%prep", "%build", "%install", "%check", "%clean",
            "%pre", "%post", "%preun", "%postun", "%pretrans", "%posttrans", "%trigger",
            "%verifyscript", "%changelog", "%files")
entries, infiles = [], False
for line in open(spec):
    line = line.strip()
    word = line.split()[0] if line else ""
    if word.startswith("%files"):
        infiles = True
        continue
    if any(word.startswith(s) for s in sections):
        infiles = False
    if not infiles or not line or line.startswith("#") or word.startswith("%defattr"):
        continue
    flags = set()
    while True:
        m = re.match(r"%(\w+)(\([^)]*\))?\s+", line)
        if not m:
            break
        flags.add(m.group(1) + (m.group(2) or ""))
        line = line[m.end():]
    if not line.startswith("/"):       # %doc/%license files from the sources
        continue
    entries.append((line, flags))

def braces(p):
    m = re.search(r"\{([^{}]*)\}", p)
    if not m:
        return [p]
    return [x for alt in m.group(1).split(",") for x in braces(p[:m.start()] + alt + p[m.end():])]

installed, dirs, emptydirs = set(), set(), set()
for root, ds, fs in os.walk(dest):
    rel = "/" + os.path.relpath(root, dest) if root != dest else "/"
    for d in ds:
        p = os.path.join(root, d)
        if os.path.islink(p):
            installed.add(os.path.join(rel, d))
        else:
            dirs.add(os.path.join(rel, d))
            if not os.listdir(p):
                emptydirs.add(os.path.join(rel, d))
    for f in fs:
        installed.add(os.path.join(rel, f))

def matches(pattern, path):
    return any(fnmatch.fnmatchcase(path, alt) for alt in braces(pattern))

def covered(path, want=lambda flags: True, dirs_too=False):
    for pattern, flags in entries:
        if not want(flags) or "ghost" in flags:
            continue
        if "dir" in flags:
            if dirs_too and matches(pattern, path):
                return True
            continue
        if matches(pattern, path):
            return True
        # a directory listed without %dir owns everything below it
        if any(matches(pattern, a) for a in (os.path.dirname(path),)) or \
           any(path.startswith(alt.rstrip("/") + "/") for alt in braces(pattern) if "*" not in alt):
            return True
    return False

def title(t):
    print("T\t" + t)

def problem(t):
    print("P\t" + t)

title("every installed file and link is in %files")
for p in sorted(installed):
    if not covered(p):
        problem("not in %%files: %s" % p)
title("every %files entry is installed")
for pattern, flags in entries:
    if "ghost" in flags or "dir" in flags:
        continue
    if not any(matches(pattern, p) for p in installed | dirs):
        problem("not installed by the build: %s" % pattern)
title("every regular file in /etc is %config(noreplace)")
for p in sorted(installed):
    if p.startswith("/etc/") and not os.path.islink(dest + p) and \
       not covered(p, lambda f: "config(noreplace)" in f):
        problem("not %%config(noreplace): %s" % p)
title("directories the build installs empty are %dir")
for d in sorted(emptydirs):
    if not covered(d, dirs_too=True):
        problem("no %%dir for %s" % d)
print("D\t%d entries in %%files, %d files and links installed" % (len(entries), len(installed)))
EOF
    [ $? = 0 ] || notok "comparing %files with the installed tree" "$(cat "$tmp/compare")"
    cur="" problems=""
    flush() { [ -z "$cur" ] || check "$cur" "$problems"; cur="" problems=""; }
    while IFS=$'\t' read -r kind text; do
        case $kind in
        T) flush; cur=$text ;;
        P) problems="$problems${problems:+$'\n'}$text" ;;
        D) flush; echo "# $text" ;;
        esac
    done <"$tmp/compare"
    flush
    # every unit the build installs is in the systemd scriptlets
    units=$(cd "$tmp/dest" && find . -path '*/systemd/system/*' \( -name '*.service' -o -name '*.timer' -o -name '*.socket' \) -printf '%f\n' | sort)
    for macro in systemd_post systemd_preun 'systemd_postun\(_with_restart\)\?'; do
        missing_units=$(for u in $units; do
            grep -q "^%$macro .*\b$u\b" "$spec" || echo "$u"
        done)
        check "every installed unit is in %${macro%%\\*} ($(echo $units))" \
            "$([ -z "$missing_units" ] || echo "missing: $(echo $missing_units)")"
    done
fi

# --- rpmbuild -bb ----------------------------------------------------------------------
name_ver=virt-firewalld-$spec_version
mkdir -p "$tmp/rpm/SOURCES"
how=""
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
    [ "$(git -C "$src" rev-parse --show-toplevel)" = "$src" ]; then
    if [ -z "$(git -C "$src" status --porcelain)" ]; then
        # the real thing: clean tree, so `meson dist` has everything
        rm -rf "$build/meson-dist"
        if meson dist -C "$build" --no-tests --formats xztar >"$tmp/dist.log" 2>&1; then
            cp "$build/meson-dist/$name_ver.tar.xz" "$tmp/rpm/SOURCES/" && how="meson dist"
        else
            notok "meson dist" "$(tail -n 20 "$tmp/dist.log")"
        fi
    else
        # uncommitted changes (which `meson dist` leaves out): the same layout from the
        # working tree, tracked and untracked-but-not-ignored files
        (cd "$src" && git ls-files -z --cached --others --exclude-standard |
            while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done |
            tar --null --no-recursion -T - --transform "s,^,$name_ver/," -cJf "$tmp/rpm/SOURCES/$name_ver.tar.xz") &&
            how="working tree (uncommitted changes: not meson dist)"
    fi
else
    (cd "$src" && find . -mindepth 1 \( -name .git -o -name build -o -name 'build-*' \) -prune -o ! -type d -print0 |
        tar --null --no-recursion -T - --transform "s,^\./,$name_ver/," -cJf "$tmp/rpm/SOURCES/$name_ver.tar.xz") &&
        how="source directory"
fi
if [ -z "$how" ] || [ ! -s "$tmp/rpm/SOURCES/$name_ver.tar.xz" ]; then
    notok "source tarball $name_ver.tar.xz"
    finish
fi
echo "# Source0 from: $how"
# Source1: PatternFly for the Cockpit page, as npm ci put it into cockpit/node_modules
nm_tar=$tmp/rpm/SOURCES/cockpit-virt-firewalld-node-modules-$spec_version.tar.gz
if [ -d "$src/cockpit/node_modules/@patternfly/patternfly" ]; then
    tar -C "$src/cockpit" -czf "$nm_tar" node_modules/@patternfly
else
    notok "Source1: cockpit/node_modules holds PatternFly" "run 'npm ci' in cockpit/ (tests/install-deps.sh does)"
    finish
fi

t0=$(date +%s)
if rpmbuild "${rpmopts[@]}" --nodeps -bb "$spec" >"$tmp/rpmbuild.log" 2>&1; then
    ok "rpmbuild -bb builds the RPM, %check included ($(($(date +%s) - t0)) s)"
else
    notok "rpmbuild -bb builds the RPM" "$(grep -E 'error|Error|ERROR' "$tmp/rpmbuild.log" | head -20)" \
        "$(tail -n 25 "$tmp/rpmbuild.log")"
    finish
fi
check "%check ran the unit suites" "$(grep -q 'meson test .*--suite unit' "$tmp/rpmbuild.log" &&
    grep -qE '^Ok: +[1-9]' "$tmp/rpmbuild.log" || echo "no passing unit suite in the rpmbuild log")"
rpmfile=$(ls "$tmp"/rpm/RPMS/*/virt-firewalld-"$spec_version"-*.rpm 2>/dev/null | head -n 1)
if [ -z "$rpmfile" ]; then
    notok "rpmbuild wrote the RPM"
    finish
fi
echo "# $(basename "$rpmfile")"

# payload (files and links; not directories, build-id links, docs) against the build
norm() { sed -E 's/\.(gz|xz|bz2|zst)$//' | sort; }
cockpit_rpm=$(ls "$tmp"/rpm/RPMS/noarch/cockpit-virt-firewalld-"$spec_version"-*.noarch.rpm 2>/dev/null | head -n 1)
if [ -z "$cockpit_rpm" ]; then
    notok "rpmbuild wrote the cockpit-virt-firewalld RPM"
    finish
fi
echo "# $(basename "$cockpit_rpm")"
# the two packages' payloads together are what the build installs
rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpmfile" "$cockpit_rpm" 2>/dev/null |
    awk '$1 !~ /^d/ { print $2 }' | grep -Ev '^/usr/lib/\.build-id/|^/usr/share/doc/|^/usr/share/licenses/' | norm >"$tmp/rpm-files"
if [ -d "$tmp/dest" ]; then
    (cd "$tmp/dest" && find . ! -type d | sed 's|^\.||') | norm >"$tmp/dest-files"
    check "the RPMs' payloads are what the build installs" "$(diff "$tmp/dest-files" "$tmp/rpm-files" |
        sed -n 's/^< /only in the build: /p; s/^> /only in the RPM: /p')"
fi
check "the RPM marks the main configuration %config(noreplace)" \
    "$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpmfile" | grep -q '^cn /etc/virt-firewalld/virt-firewalld.conf$' ||
        echo "FILEFLAGS: $(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpmfile" | grep virt-firewalld.conf)")"
scripts=$(rpm -qp --scripts "$rpmfile" 2>/dev/null)
for s in 'firewall-cmd --reload' 'systemctl --no-reload preset virt-firewalld-sync.service' \
    'systemd-tmpfiles --create virt-firewalld.conf' \
    'systemctl try-restart libvirtd.service virtqemud.service virtnetworkd.service'; do
    check "scriptlets: $s" "$(grep -qF -- "$s" <<<"$scripts" || echo "missing from rpm -q --scripts")"
done
check "Requires firewalld and libvirt-daemon" \
    "$(rpm -qp --requires "$rpmfile" | grep -cxE 'firewalld|libvirt-daemon' | grep -qx 2 || echo "$(rpm -qp --requires "$rpmfile")")"
check "cockpit-virt-firewalld holds the page (manifest, page, script, bundled CSS)" \
    "$(for f in manifest.json index.html index.js virt-firewalld.css po.de.js; do
        rpm -qpl "$cockpit_rpm" | grep -qxF "/usr/share/cockpit/virt-firewalld/$f" || echo "missing: $f"; done)"
check "cockpit-virt-firewalld requires cockpit-bridge and virt-firewalld of the same build" \
    "$(req=$(rpm -qp --requires "$cockpit_rpm"); grep -qx 'cockpit-bridge' <<<"$req" &&
        grep -qx "virt-firewalld = $spec_version-.*" <<<"$req" || echo "$req")"
finish
