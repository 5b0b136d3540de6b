#!/bin/bash
# tests/packaging/build-deb.sh SRC WORKDIR
#
# Builds the Debian packages (virt-firewalld, cockpit-virt-firewalld) of the source tree SRC with `dpkg-buildpackage -us -uc -b`
# from a clean copy of it: in a git checkout its tracked and untracked-but-not-ignored
# files as they are in the working tree (so uncommitted changes are tested), else every
# file but build directories. Prints the .deb's path on stdout; chatter and the build
# log's tail (on failure) go to stderr. WORKDIR keeps the result: a later call for an
# identical tree reuses it (test-deb and test-ansible share one build); concurrent
# calls serialise on a lock.
set -eu
[ $# = 2 ] || { echo "usage: $0 SRC WORKDIR" >&2; exit 2; }
src=$(realpath "$1")
work=$2
mkdir -p "$work"
work=$(realpath "$work")
msg() { echo "build-deb: $*" >&2; }

exec 9>"$work/.lock"
flock 9

stage=$work/stage
rm -rf "$stage"
mkdir -p "$stage"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
    [ "$(git -C "$src" rev-parse --show-toplevel)" = "$src" ]; then
    (cd "$src" && git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do
            [ -e "$f" ] || [ -L "$f" ] || continue # deleted in the working tree
            printf '%s\0' "$f"
        done | tar --null --no-recursion -T - -cf - | tar -xf - -C "$stage")
else
    (cd "$src" && find . -mindepth 1 \( -name .git -o -name 'build' -o -name 'build-*' \) -prune -o \
        ! -type d -print0 | tar --null --no-recursion -T - -cf - | tar -xf - -C "$stage")
fi
[ -f "$stage/debian/control" ] || { msg "no debian/control in $src"; exit 1; }
# the Cockpit page bundles PatternFly from cockpit/node_modules (ignored by git; npm ci
# puts it there): a Debian source package carries it as its own component tarball
pf=cockpit/node_modules/@patternfly
if [ -d "$src/$pf/patternfly" ]; then
    mkdir -p "$stage/$pf" && cp -a "$src/$pf/patternfly" "$stage/$pf/"
else
    msg "no $src/$pf: run 'npm ci' in cockpit/ (tests/install-deps.sh does)"
    exit 1
fi

# the tree's identity, leaving out files that cannot change the package (test drivers,
# the demo, examples, the RPM spec: only their presence matters, for meson.build)
hash=$(cd "$stage" && find . ! -type d -print0 | sort -z |
    grep -zvE '^\./(tests/(integration|packaging|sandbox)/[^/]+\.sh|tests/sandbox/(run|README\.md)|demo/|examples/|\.ci/|[^/]+\.spec$)' |
    xargs -0 sh -c 'for f; do if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"; else sha256sum "$f"; fi; done' sh |
    sha256sum | cut -c1-16)
out=$work/deb
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$hash" ] &&
    deb=$(ls "$out"/virt-firewalld_*.deb 2>/dev/null) && [ -n "$deb" ]; then
    msg "reusing $deb (same source tree, $hash)"
    rm -rf "$stage"
    echo "$deb"
    exit 0
fi

version=$(cd "$stage" && dpkg-parsechangelog -S Version)
rm -rf "$out" "$work/build"
mkdir -p "$work/build"
tree=$work/build/virt-firewalld-${version%-*}
mv "$stage" "$tree"
t0=$(date +%s)
msg "dpkg-buildpackage -us -uc -b in $tree (log: $work/build.log)"
if ! (cd "$tree" && dpkg-buildpackage -us -uc -b -jauto) >"$work/build.log" 2>&1; then
    msg "dpkg-buildpackage failed; the log's tail:"
    tail -n 40 "$work/build.log" >&2
    exit 1
fi
mkdir -p "$out"
mv "$work"/build/*.deb "$out"/
cp "$work/build.log" "$out"/
rm -rf "$work/build"
echo "$hash" >"$out/stamp"
deb=$(ls "$out"/virt-firewalld_*.deb)
msg "built $deb in $(($(date +%s) - t0)) s"
echo "$deb"
