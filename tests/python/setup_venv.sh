#!/usr/bin/env bash
# Creates (or reuses) a venv with one of the Python AEA pipe implementations the
# suite talks to, on an interpreter that can run it.
#
#   usage: setup_venv.sh PEER VENV_ROOT     the venv is VENV_ROOT/PEER-VERSION-pyX.Y
#          setup_venv.sh --find PEER VENV_ROOT   only say what would be used
#          setup_venv.sh VENV_DIR           VENV_DIR named PEER-VERSION-pyX.Y: that
#                                           peer on a Python X.Y
#
# Peers (versions pinned):
#   aea       aea 1.2.1 (2021), Python 3.8 to 3.11: it pins packaging<21, which
#             imports distutils (gone in 3.12), and on 3.12.1+ its
#             TCPSocketChannel.connect() never returns (asyncio's
#             Server.wait_closed() waits for the accepted connection to end).
#   open-aea  open-aea 2.2.10, the maintained fork, Python 3.10 to 3.14 (its
#             Requires-Python), with packaging, which aea/__init__.py imports.
#
# The interpreter: $PYTHON if set (the only one considered; a PYTHON that cannot
# run PEER counts as no interpreter for it). Otherwise the newest Python in
# PEER's range among python3 and every python3.X on PATH, then
# $(pyenv root)/versions/*/bin/python3 (PYENV_ROOT, `pyenv root` or ~/.pyenv);
# a candidate counts only if it runs (a pyenv shim for a version that is not
# selected does not). The venv is made from the interpreter's sys.executable.
#
# Stdout on success, the venv python last (the old contract):
#   PEER <name> <version>
#   PYTHON <X.Y.Z> <interpreter>
#   VENV <venv dir>
#   <venv dir>/bin/python
# Exit status: 0 ready; 3 no interpreter for PEER (one line on stderr saying
# what was found and what to install); 1 an interpreter exists but the venv
# cannot be made (the message says why); 2 bad usage. Quiet otherwise.
#
# A venv is reused only if its stamp file names the same peer, version and
# interpreter; otherwise it is made anew. Concurrent setups of the same venv are
# serialized with flock. Needs PyPI the first time.
set -euo pipefail

usage() {
    echo "usage: $0 [--find] aea|open-aea VENV_ROOT, or $0 VENV_ROOT/PEER-VERSION-pyX.Y" >&2
    exit 2
}

FIND=0
if [ "${1:-}" = --find ]; then
    FIND=1
    shift
fi
WANT_MINOR=
case $# in
    2)
        PEER=$1 ROOT=$2
        ;;
    1)
        [ "$FIND" = 0 ] || usage
        base=${1%/}
        base=${base##*/}
        if [[ $base =~ ^(aea|open-aea)-([0-9.]+)-py([0-9]+\.[0-9]+)$ ]]; then
            PEER=${BASH_REMATCH[1]} NAMED_VERSION=${BASH_REMATCH[2]} WANT_MINOR=${BASH_REMATCH[3]}
            ROOT=$(dirname "$1")
        else
            echo "error: $1 is not named PEER-VERSION-pyX.Y (e.g. open-aea-2.2.10-py3.13)" >&2
            usage
        fi
        ;;
    *) usage ;;
esac
[ -n "$ROOT" ] || usage
case "$ROOT" in
    /*) ;;
    *) ROOT=$PWD/$ROOT ;;
esac
ROOT=${ROOT%/}

case "$PEER" in
    aea)
        VERSION=1.2.1 MIN=3.8 MAX=3.11
        HINT="pyenv install 3.11, or apt-get install python3.11 python3.11-venv where the distribution has it"
        ;;
    open-aea)
        VERSION=2.2.10 MIN=3.10 MAX=3.14
        HINT="apt-get install python3 python3-venv (3.10 or newer), or pyenv install 3.13"
        ;;
    *)
        echo "error: unknown peer '$PEER': aea or open-aea" >&2
        exit 2
        ;;
esac
LABEL="$PEER $VERSION"
if [ -n "${NAMED_VERSION:-}" ] && [ "$NAMED_VERSION" != "$VERSION" ]; then
    echo "error: this suite pins $LABEL, not $PEER $NAMED_VERSION" >&2
    exit 2
fi

# in_range X.Y: true if MIN <= X.Y <= MAX (and X.Y = WANT_MINOR if given)
in_range() {
    local v=$1
    if [ -n "$WANT_MINOR" ] && [ "$v" != "$WANT_MINOR" ]; then
        return 1
    fi
    [ "$(printf '%s\n%s\n' "$MIN" "$v" | sort -V | head -1)" = "$MIN" ] &&
        [ "$(printf '%s\n%s\n' "$v" "$MAX" | sort -V | tail -1)" = "$MAX" ]
}

if [ -n "$WANT_MINOR" ] && ! (v=$WANT_MINOR && WANT_MINOR= && in_range "$v"); then
    echo "error: $LABEL runs on Python $MIN to $MAX, not $WANT_MINOR" >&2
    exit 2
fi

# candidates: the interpreters to try, one a line
candidates() {
    if [ -n "${PYTHON:-}" ]; then
        echo "$PYTHON"
        return
    fi
    echo python3
    local dir f name
    local IFS=:
    for dir in $PATH; do
        for f in "$dir"/python3.*; do
            name=${f##*/}
            if [[ $name =~ ^python3\.[0-9]+$ ]] && [ -x "$f" ]; then
                echo "$name"
            fi
        done
    done | sort -u -V -r
    local root=${PYENV_ROOT:-}
    if [ -z "$root" ] && command -v pyenv >/dev/null 2>&1; then
        root=$(pyenv root 2>/dev/null || true)
    fi
    root=${root:-$HOME/.pyenv}
    for f in "$root"/versions/*/bin/python3; do
        [ -x "$f" ] && echo "$f"
    done
}

# probe CANDIDATE: prints "X.Y.Z EXECUTABLE" if it runs
probe() {
    local run=()
    if command -v timeout >/dev/null 2>&1; then
        run=(timeout 20)
    fi
    "${run[@]}" "$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3], sys.executable)' 2>/dev/null
}

if [ -n "${PYTHON:-}" ] && ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "error: PYTHON=$PYTHON not found" >&2
    exit 1
fi

PY= PY_VERSION= found=
while IFS= read -r candidate; do
    info=$(probe "$candidate") || continue
    [ -n "$info" ] || continue
    version=${info%% *} exe=${info#* }
    found="$found $version"
    if in_range "${version%.*}"; then
        if [ -z "$PY" ] || [ "$(printf '%s\n%s\n' "$PY_VERSION" "$version" | sort -V | tail -1)" != "$PY_VERSION" ]; then
            PY=$exe PY_VERSION=$version
        fi
    fi
done < <(candidates)

if [ -z "$PY" ]; then
    want="Python $MIN to $MAX"
    [ -z "$WANT_MINOR" ] || want="Python $WANT_MINOR"
    seen=$(echo "$found" | tr ' ' '\n' | sed '/^$/d' | sort -u -V | paste -sd, - | sed 's/,/, /g')
    if [ -n "${PYTHON:-}" ]; then
        if [ -z "$seen" ]; then
            echo "error: PYTHON=$PYTHON does not run: $("$PYTHON" -V 2>&1 | head -1)" >&2
            exit 1
        fi
        echo "$LABEL needs $want; PYTHON=$PYTHON is $seen" >&2
    else
        echo "$LABEL needs $want; found ${seen:-no Python 3}; install one with its venv module: $HINT" >&2
    fi
    exit 3
fi

MINOR=${PY_VERSION%.*}
VENV_DIR=$ROOT/$PEER-$VERSION-py$MINOR
VENV_PY=$VENV_DIR/bin/python
STAMP_FILE=$VENV_DIR/pipe-peer.txt
STAMP="$PEER $VERSION $PY_VERSION $PY"

report() {
    echo "PEER $PEER $VERSION"
    echo "PYTHON $PY_VERSION $PY"
    echo "VENV $VENV_DIR"
    echo "$VENV_PY"
}

ready() {
    [ -x "$VENV_PY" ] && [ -f "$STAMP_FILE" ] && [ "$(cat "$STAMP_FILE")" = "$STAMP" ] &&
        "$VENV_PY" -c 'import aea.helpers.pipe' >/dev/null 2>&1
}

if [ "$FIND" = 1 ] || ready; then
    report
    exit 0
fi

mkdir -p "$ROOT"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$VENV_DIR.lock"
    flock 9
    if ready; then
        report
        exit 0
    fi
fi

if ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    echo "error: $PY (Python $PY_VERSION) has no working venv module, so $LABEL cannot be installed;" \
        "install it: apt-get install python$MINOR-venv (python3-venv for the default python3)" >&2
    exit 1
fi

LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
run() { # run CMD...: output goes to the log, shown only on failure
    if ! "$@" >>"$LOG" 2>&1; then
        echo "error: installing $LABEL on Python $PY_VERSION ($PY) failed: $*" >&2
        cat "$LOG" >&2
        exit 1
    fi
}

rm -rf "$VENV_DIR"
run "$PY" -m venv "$VENV_DIR"
PIP=("$VENV_PY" -m pip install --quiet --disable-pip-version-check --no-input)
case "$PEER" in
    aea)
        run "${PIP[@]}" --no-deps "aea==1.2.1"
        # aea 1.2.1's own pins, except pyyaml<6, which no longer builds (pyyaml 6 works for the pipe module)
        run "${PIP[@]}" "base58<3,>=1.0.3" "jsonschema<4,>=3" "packaging<21,>=20.3" "semver<3,>=2.9.1" \
            "protobuf<=3.19.4,>=3.19.0" "pymultihash==0.8.2" pyyaml requests "python-dotenv<0.18,>=0.14" \
            "ecdsa<0.17,>=0.15"
        ;;
    open-aea)
        # its metadata names only protobuf; aea/__init__.py imports packaging too
        run "${PIP[@]}" "open-aea==2.2.10" "packaging==26.4" "protobuf==6.33.6"
        ;;
esac
run "$VENV_PY" -c 'from aea.helpers.pipe import make_ipc_channel, make_ipc_channel_client'
echo "$STAMP" >"$STAMP_FILE"

report
