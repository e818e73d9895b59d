#!/usr/bin/env bash
# Portability: lint the workspace for Windows (GNU and MSVC) and macOS, then run the tests of the
# core and of every runtime crate as Windows programs under Wine. See docs/PORTABILITY.md.
#
# Installs what it needs with apt-get when missing (clang, the MinGW-w64 cross compiler, Wine),
# keeps the Wine prefix under target/wine-prefix, and is quick on a second run. Exits non-zero
# if any step fails; every step runs, so one report shows all failures.
#
# PORTABILITY_DOCTESTS=0 leaves the doc tests out of the Wine run (they are compiled anew on every
# run); PORTABILITY_TEST_TIMEOUT (600 s) bounds each test binary under Wine.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

WINDOWS_GNU=x86_64-pc-windows-gnu
TARGETS=("$WINDOWS_GNU" x86_64-pc-windows-msvc aarch64-apple-darwin)
# The crates whose tests run under Wine: the core and every runtime crate. pipe-tests and
# pipe-bench drive other processes, /proc and Python, and run on Linux.
WINE_CRATES=(pipe-proto pipe-io pipe-tokio pipe-smol pipe-async-std)
# Their doc tests, but the core's: pure computation, the same on every platform, run natively.
WINE_DOC_CRATES=(pipe-io pipe-tokio pipe-smol pipe-async-std)
# Debian packages: C compilers for the three targets (clang, MinGW-w64), needed by clippy; Wine,
# needed only for the tests, is installed in the background while clippy runs.
BUILD_PACKAGES=(clang llvm gcc-mingw-w64-x86-64)
WINE_PACKAGES=(wine wine64)
TEST_TIMEOUT=${PORTABILITY_TEST_TIMEOUT:-600}

started=$SECONDS
failed=()
step() { printf '\n== portability: %s (at %d s)\n' "$*" "$((SECONDS - started))"; }
run() {
    printf '+ %s\n' "$*"
    "$@"
}
# Runs a command; on failure, records it and carries on.
check() {
    printf '+ %s\n' "$*"
    if ! "$@"; then
        failed+=("$*")
        printf '!! failed: %s\n' "$*"
    fi
}
missing_packages() {
    local package
    for package; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || echo "$package"
    done
}
apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

wine_install_pid=
wine_started=
cleanup() {
    # Never interrupt dpkg: let a background install finish.
    if [ -n "$wine_install_pid" ]; then wait "$wine_install_pid" 2>/dev/null || true; fi
    if [ -n "$wine_started" ]; then wineserver -k >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

step "Rust targets"
missing_targets=()
installed_targets=$(rustup target list --installed)
for target in "${TARGETS[@]}"; do
    grep -qx "$target" <<<"$installed_targets" || missing_targets+=("$target")
done
if ((${#missing_targets[@]})); then
    run rustup target add "${missing_targets[@]}"
else
    echo "installed: ${TARGETS[*]}"
fi

step "Debian packages: ${BUILD_PACKAGES[*]} ${WINE_PACKAGES[*]}"
mapfile -t missing_build < <(missing_packages "${BUILD_PACKAGES[@]}")
mapfile -t missing_wine < <(missing_packages "${WINE_PACKAGES[@]}")
if ((${#missing_build[@]} + ${#missing_wine[@]})); then
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing ${missing_build[*]} ${missing_wine[*]}: run this script as root, or install them" >&2
        exit 1
    fi
    run apt-get update -q
fi
if ((${#missing_build[@]})); then
    run apt_install "${missing_build[@]}"
fi
mkdir -p target/wine
if ((${#missing_wine[@]})); then
    printf '+ %s\n' "apt_install ${missing_wine[*]} >target/wine/apt.log 2>&1 &  (while clippy runs)"
    apt_install "${missing_wine[@]}" >target/wine/apt.log 2>&1 &
    wine_install_pid=$!
fi
echo "ready: ${BUILD_PACKAGES[*]}"

# criterion (a dev-dependency of pipe-proto) builds a small C file for every target. On Linux
# there is no C toolchain for macOS or MSVC, only clang: compile it freestanding for macOS and as
# a plain C file for MSVC (no SDK headers), archived with llvm-lib. Checks never link it.
export CC_aarch64_apple_darwin=clang CFLAGS_aarch64_apple_darwin=-ffreestanding
export CC_x86_64_pc_windows_msvc=clang CFLAGS_x86_64_pc_windows_msvc=-U_MSC_VER AR_x86_64_pc_windows_msvc=llvm-lib
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc

for target in "${TARGETS[@]}"; do
    step "clippy for $target"
    check cargo clippy --target "$target" --workspace --all-targets -- -D warnings
done

step "Wine prefix"
if [ -n "$wine_install_pid" ]; then
    printf '+ %s\n' "wait for the Wine install"
    if ! wait "$wine_install_pid"; then
        wine_install_pid=
        tail -n 30 target/wine/apt.log >&2
        echo "installing ${missing_wine[*]} failed" >&2
        exit 1
    fi
    wine_install_pid=
    tail -n 1 target/wine/apt.log
fi
export WINEPREFIX="$PWD/target/wine-prefix"
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="
export WINEARCH=win64
dll=target/wine/bcryptprimitives.dll
if [ ! -f "$dll" ] || [ .ci/wine/bcryptprimitives.c -nt "$dll" ] || [ .ci/wine/bcryptprimitives.def -nt "$dll" ]; then
    run x86_64-w64-mingw32-gcc -shared -O2 -Wall -Wextra -s -o "$dll" \
        .ci/wine/bcryptprimitives.c .ci/wine/bcryptprimitives.def -ladvapi32
fi

# Wine's background processes (wineserver, services.exe, ...) would inherit the output of the
# first Wine program and hold CI's log pipe open after this script ends: start them here, in
# their own session with no output, and stop them at exit.
wine_started=1
printf '+ %s\n' "setsid wineserver -p >/dev/null 2>&1 </dev/null &"
setsid wineserver -p >/dev/null 2>&1 </dev/null &
if [ -f "$WINEPREFIX/system.reg" ]; then boot=(wineboot); else boot=(wineboot --init); fi
printf '+ %s\n' "setsid -w ${boot[*]} >/dev/null 2>&1 </dev/null"
setsid -w "${boot[@]}" >/dev/null 2>&1 </dev/null
system32="$WINEPREFIX/drive_c/windows/system32"
if ! cmp -s "$dll" "$system32/bcryptprimitives.dll"; then
    run cp "$dll" "$system32/bcryptprimitives.dll"
fi
echo "prefix $WINEPREFIX ready ($(wine --version))"

step "tests under Wine ($WINDOWS_GNU)"
# .ci/wine/run: wine under a timeout, started again (and logged) if Wine itself fails to start it.
export PORTABILITY_TEST_TIMEOUT=$TEST_TIMEOUT WINE_RELAUNCH_LOG="$PWD/target/wine/relaunched.log"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$PWD/.ci/wine/run"
rm -f "$WINE_RELAUNCH_LOG"
packages=()
for crate in "${WINE_CRATES[@]}"; do packages+=(-p "$crate"); done
check cargo test --target "$WINDOWS_GNU" "${packages[@]}" --lib --tests --no-fail-fast
if [ "${PORTABILITY_DOCTESTS:-1}" != 0 ]; then
    # cargo runs a cross target's doc tests through the runner too.
    packages=()
    for crate in "${WINE_DOC_CRATES[@]}"; do packages+=(-p "$crate"); done
    check cargo test --target "$WINDOWS_GNU" "${packages[@]}" --doc --no-fail-fast
fi

if [ -s "$WINE_RELAUNCH_LOG" ]; then
    echo "Wine failed to start a program and it was started again (.ci/wine/run):"
    cat "$WINE_RELAUNCH_LOG"
fi

step "done in $((SECONDS - started)) s"
if ((${#failed[@]})); then
    printf 'failed: %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "portability: all passed"
