#!/usr/bin/env bash
# Creates (or reuses) a venv with the reference Python AEA pipe (aea 1.2.1).
#   usage: setup_venv.sh VENV_DIR
# The last line on stdout is the absolute path of the venv's python. Quiet on
# success; on failure says what is missing and exits non-zero.
# The interpreter is $PYTHON if set, else the first of python3, python3.11,
# python3.10, python3.9, python3.8 whose version is 3.8 to 3.11: aea 1.2.1 pins
# packaging<21, which imports distutils (gone in 3.12), and on 3.12.1+
# TCPSocketChannel.connect() never returns (asyncio's Server.wait_closed() now
# waits for the accepted connection to end).
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 VENV_DIR" >&2
    exit 2
fi
case "$1" in
    /*) VENV_DIR=$1 ;;
    *) VENV_DIR=$PWD/$1 ;;
esac
VENV_DIR=${VENV_DIR%/}
VENV_PY=$VENV_DIR/bin/python

have_pipe() {
    [ -x "$VENV_PY" ] && "$VENV_PY" -c 'import aea.helpers.pipe' >/dev/null 2>&1
}

if have_pipe; then
    echo "$VENV_PY"
    exit 0
fi

# Serialize concurrent setups of the same venv (e.g. test binaries run in parallel).
PARENT=$(dirname "$VENV_DIR")
mkdir -p "$PARENT"
if command -v flock >/dev/null 2>&1; then
    exec 9<"$PARENT"
    flock 9
    if have_pipe; then
        echo "$VENV_PY"
        exit 0
    fi
fi

INSTALL_HINT="apt-get install python3 python3-venv"
version_ok() { # version_ok PYTHON: true for 3.8 <= version <= 3.11
    "$1" -c 'import sys; sys.exit(0 if (3, 8) <= sys.version_info[:2] <= (3, 11) else 1)' >/dev/null 2>&1
}

PY=
if [ -n "${PYTHON:-}" ]; then
    if ! command -v "$PYTHON" >/dev/null 2>&1; then
        echo "error: PYTHON=$PYTHON not found; install Python 3.8 to 3.11 with its venv module ($INSTALL_HINT)" >&2
        exit 1
    fi
    if ! version_ok "$PYTHON"; then
        echo "error: PYTHON=$PYTHON is $("$PYTHON" -V 2>&1); aea 1.2.1 needs Python 3.8 to 3.11" >&2
        exit 1
    fi
    PY=$PYTHON
else
    found=
    for candidate in python3 python3.11 python3.10 python3.9 python3.8; do
        if command -v "$candidate" >/dev/null 2>&1; then
            found="$found $candidate ($("$candidate" -V 2>&1))"
            if version_ok "$candidate"; then
                PY=$candidate
                break
            fi
        fi
    done
    if [ -z "$PY" ]; then
        if [ -z "$found" ]; then
            echo "error: python3 not found; install it: $INSTALL_HINT" >&2
        else
            echo "error: aea 1.2.1 needs Python 3.8 to 3.11, found only:$found;" \
                "install one (e.g. apt-get install python3.11 python3.11-venv) or set PYTHON=/path/to/python3.11" >&2
        fi
        exit 1
    fi
fi

if ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    minor=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    echo "error: $PY ($("$PY" -V 2>&1)) has no working venv module; install it: apt-get install python3-venv" \
        "(for a non-default interpreter: apt-get install python$minor-venv)" >&2
    exit 1
fi

LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
run() { # run CMD...: output goes to the log, shown only on failure
    if ! "$@" >>"$LOG" 2>&1; then
        echo "error: failed: $*" >&2
        cat "$LOG" >&2
        exit 1
    fi
}

if [ ! -x "$VENV_PY" ]; then
    run "$PY" -m venv "$VENV_DIR"
fi
PIP=("$VENV_PY" -m pip install --quiet --disable-pip-version-check --no-input)
run "${PIP[@]}" --no-deps "aea==1.2.1"
# aea 1.2.1's own pins, except pyyaml<6, which no longer builds (pyyaml 6 works for the pipe module)
run "${PIP[@]}" "base58<3,>=1.0.3" "jsonschema<4,>=3" "packaging<21,>=20.3" "semver<3,>=2.9.1" \
    "protobuf<=3.19.4,>=3.19.0" "pymultihash==0.8.2" pyyaml requests "python-dotenv<0.18,>=0.14" \
    "ecdsa<0.17,>=0.15"
run "$VENV_PY" -c 'from aea.helpers.pipe import make_ipc_channel, make_ipc_channel_client'

echo "$VENV_PY"
