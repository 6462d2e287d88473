#!/usr/bin/env bash
# Check / build / test a Rust crate for x86_64-pc-windows-gnu on Debian 12
# (bookworm) with no rustup target download: Debian's rustc-web toolchain
# rebuilds std from Debian's rust-web-src via -Z build-std, mingw-w64 links,
# and Wine 8.0 runs the .exe files.
#
# usage: windows-check.sh [check|clippy|build|test] [extra cargo args...]
#   run from the crate/workspace root. Default mode: test.
#   e.g.  windows-check.sh clippy --all-targets -- -D warnings
#         windows-check.sh test --all-features
set -euo pipefail
MODE=${1:-test}; shift || true
TARGET=x86_64-pc-windows-gnu

# 1. toolchain. With rustup: its toolchain and the prebuilt Windows std (`rustup target add`),
#    because the locked dependencies need a newer rustc than Debian's rustc-web (1.85).
#    Without rustup (or WINCHECK_TOOLCHAIN=debian): Debian's route described above.
use_rustup=0
if [ "${WINCHECK_TOOLCHAIN:-auto}" != debian ] && command -v rustup >/dev/null 2>&1 \
    && rustup target add "$TARGET" >/dev/null 2>&1; then
  use_rustup=1
fi

# 2. packages (Debian only; idempotent)
pkgs=()
if [ $use_rustup = 0 ]; then
  pkgs+=(rustc-web cargo-web rust-web-src)
  if [ "$MODE" = clippy ]; then pkgs+=(rust-web-clippy); fi
fi
if [ "$MODE" = build ] || [ "$MODE" = test ]; then pkgs+=(gcc-mingw-w64-x86-64-win32); fi
if [ "$MODE" = test ]; then pkgs+=(wine64); fi
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=/usr/lib/wine/wine64
export CARGO_TARGET_DIR=${WINCHECK_TARGET_DIR:-target/wincheck}
if [ $use_rustup = 1 ]; then
  CARGO=(cargo "$MODE" --target "$TARGET")
else
  # Debian's cargo/rustc/cargo-clippy, not the rustup proxies (~/.cargo/bin) that come first
  # in PATH: with them, cargo looks for the std source in the rustup toolchain (absent) and
  # fails. Keep this environment IDENTICAL between runs: any change (e.g. linker var set or
  # not) changes cargo's fingerprints and rebuilds std (~1 min).
  export PATH=/usr/bin:$PATH RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
  export RUSTC_BOOTSTRAP=1          # allow -Z build-std on a stable rustc
  CARGO=(/usr/bin/cargo "$MODE" -Z build-std --target "$TARGET")
fi

# 3. Wine prefix + bcryptprimitives.dll shim (only for running tests)
if [ "$MODE" = test ]; then
  export WINEPREFIX=${WINEPREFIX:-$HOME/.cache/wincheck-wine}
  export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="   # no mono/gecko prompts
  sys32="$WINEPREFIX/drive_c/windows/system32"
  # wine refuses to create a prefix whose parent is missing (fresh CI: no ~/.cache)
  mkdir -p "$(dirname "$WINEPREFIX")"
  if [ ! -f "$sys32/bcryptprimitives.dll" ]; then
    /usr/lib/wine/wine64 wineboot --init >/dev/null 2>&1 || true
    # Rust std >= 1.78 imports ProcessPrng from bcryptprimitives.dll, which
    # Wine 8.0 lacks (every Rust .exe then fails to start, exit code 53).
    shim=$(mktemp -d)
    cat > "$shim/bcp.c" <<'C'
#include <windows.h>
#include <ntsecapi.h>
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!RtlGenRandom(data, n)) return FALSE;
        data += n; len -= n;
    }
    return TRUE;
}
C
    x86_64-w64-mingw32-gcc -O2 -shared -s -o "$sys32/bcryptprimitives.dll" "$shim/bcp.c" -ladvapi32
    rm -rf "$shim"
  fi
fi

rc=0
"${CARGO[@]}" "$@" || rc=$?
if [ "$MODE" = test ]; then /usr/lib/wine/wineserver -k 2>/dev/null || true; fi
exit $rc
