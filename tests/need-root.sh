# Sourced by the README's commands (demo/demo.sh, tests/all.sh): they install packages
# and create network namespaces, so they run as root. Run by another user, the script
# starts itself again through sudo when sudo is installed; otherwise it says what to do.
# Expects the script's own path and arguments: vfw_need_root "$0" "$@".
vfw_need_root() {
    [ "$(id -u)" = 0 ] && return 0
    if command -v sudo >/dev/null 2>&1; then
        exec sudo --preserve-env=CI bash "$@"
    fi
    echo "$(basename "$1"): run it as root (it installs packages and creates network namespaces): su -c 'bash $1'" >&2
    exit 1
}
