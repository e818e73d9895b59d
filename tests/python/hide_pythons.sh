#!/usr/bin/env bash
# Runs a command on this machine as if Python MIN to MAX were not installed: in a private mount
# namespace (unshare -m, needs root), every interpreter of those versions that setup_venv.sh could
# find (python3 and python3.X on PATH, pyenv shims included, and pyenv's versions) is covered by a
# stub that fails, and each such pyenv version directory by an empty one. Nothing changes outside
# the command.
#   usage: hide_pythons.sh MIN MAX COMMAND [ARGS...]     e.g. hide_pythons.sh 3.8 3.11 cargo test
# Prints what it hid, then runs COMMAND and exits with its status.
set -euo pipefail

if [ $# -lt 3 ]; then
    echo "usage: $0 MIN MAX COMMAND [ARGS...]" >&2
    exit 2
fi
MIN=$1 MAX=$2
shift 2

if [ "${HIDE_PYTHONS_INSIDE:-}" != 1 ]; then
    exec env HIDE_PYTHONS_INSIDE=1 unshare -m --propagation private bash "$0" "$MIN" "$MAX" "$@"
fi

in_range() { # in_range X.Y
    [ "$(printf '%s\n%s\n' "$MIN" "$1" | sort -V | head -1)" = "$MIN" ] &&
        [ "$(printf '%s\n%s\n' "$1" "$MAX" | sort -V | tail -1)" = "$MAX" ]
}

EMPTY=$(mktemp -d)
STUB=$(mktemp)
printf '#!/bin/sh\necho "this Python is hidden by hide_pythons.sh" >&2\nexit 127\n' >"$STUB"
chmod 755 "$STUB"

root=${PYENV_ROOT:-}
if [ -z "$root" ] && command -v pyenv >/dev/null 2>&1; then
    root=$(pyenv root 2>/dev/null || true)
fi
root=${root:-$HOME/.pyenv}
for dir in "$root"/versions/*; do
    [ -d "$dir" ] || continue
    version=${dir##*/}
    if [[ $version =~ ^([0-9]+\.[0-9]+) ]] && in_range "${BASH_REMATCH[1]}"; then
        mount --bind "$EMPTY" "$dir"
        echo "hidden: $dir"
    fi
done

# Then every python3 and python3.X on PATH that still runs one of those versions (its real file
# if it is a symlink; a pyenv shim is itself covered: it would run the selected version).
names=$(
    IFS=:
    for d in $PATH; do
        for f in "$d"/python3 "$d"/python3.*; do
            if [[ ${f##*/} =~ ^python3(\.[0-9]+)?$ ]] && [ -x "$f" ]; then
                echo "$f"
            fi
        done
    done
)
for f in $names; do
    version=$("$f" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
    if in_range "$version"; then
        real=$(readlink -f "$f")
        mount --bind "$STUB" "$real"
        echo "hidden: $f ($real, Python $version)"
    fi
done

echo "which -a python3: $(which -a python3 | tr '\n' ' ')"
for f in $names; do
    echo "  $f: $("$f" -V 2>&1 | head -1)"
done
"$@"
