#!/usr/bin/env bash
# Portability: lint the workspace for Windows (GNU and MSVC) and macOS, then run the tests of the
# core and of every runtime crate as Windows programs under Wine. See docs/PORTABILITY.md.
#
# Installs what it needs with apt-get when missing (clang, the MinGW-w64 cross compiler, Wine),
# keeps the Wine prefix under target/wine-prefix, and is quick on a second run. Exits non-zero
# if any step fails; every step runs, so one report shows all failures.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

WINDOWS_GNU=x86_64-pc-windows-gnu
TARGETS=("$WINDOWS_GNU" x86_64-pc-windows-msvc aarch64-apple-darwin)
# The crates whose tests run under Wine: the core and every runtime crate (pipe-tests and
# pipe-bench drive other processes and Python, which Wine does not have).
WINE_CRATES=(pipe-proto pipe-io pipe-tokio pipe-smol pipe-async-std)
# Debian packages: clang (C for the macOS and MSVC checks), the MinGW-w64 linker, Wine.
PACKAGES=(clang llvm gcc-mingw-w64-x86-64 wine wine64)
# A test binary that hangs is killed after this many seconds (Wine included).
TEST_TIMEOUT=${PORTABILITY_TEST_TIMEOUT:-600}

started=$SECONDS
failed=()
step() { printf '\n== portability: %s\n' "$*"; }
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

step "Debian packages: ${PACKAGES[*]}"
missing_packages=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing_packages+=("$package")
done
if ((${#missing_packages[@]})); then
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing ${missing_packages[*]}: run this script as root, or install them" >&2
        exit 1
    fi
    run apt-get update -q
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing_packages[@]}"
else
    echo "installed"
fi

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
export WINEPREFIX="$PWD/target/wine-prefix"
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="
export WINEARCH=win64
dll_dir=target/wine
dll="$dll_dir/bcryptprimitives.dll"
mkdir -p "$dll_dir"
if [ ! -f "$dll" ] || [ .ci/wine/bcryptprimitives.c -nt "$dll" ] || [ .ci/wine/bcryptprimitives.def -nt "$dll" ]; then
    run x86_64-w64-mingw32-gcc -shared -O2 -Wall -Wextra -s -o "$dll" \
        .ci/wine/bcryptprimitives.c .ci/wine/bcryptprimitives.def -ladvapi32
fi

# Wine's background processes (wineserver, services.exe, ...) would inherit the output of the
# first Wine program and hold CI's log pipe open after this script ends: start them here, in
# their own session with no output, and stop them at exit.
stop_wine() { wineserver -k >/dev/null 2>&1 || true; }
trap stop_wine EXIT
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
# Unit, integration and doc tests: cargo runs a cross target's doc tests through the runner too.
# PORTABILITY_DOCTESTS=0 leaves the doc tests out (they are compiled anew on every run).
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="timeout -k 10 $TEST_TIMEOUT wine"
packages=()
for crate in "${WINE_CRATES[@]}"; do packages+=(-p "$crate"); done
if [ "${PORTABILITY_DOCTESTS:-1}" = 0 ]; then selection=(--lib --tests); else selection=(); fi
check cargo test --target "$WINDOWS_GNU" "${packages[@]}" "${selection[@]}" --no-fail-fast

step "done in $((SECONDS - started)) s"
if ((${#failed[@]})); then
    printf 'failed: %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "portability: all passed"
