#!/usr/bin/env bash
# CI check: compiles tools/acsil/V9BridgePipeExport.cpp into a Windows DLL (and a test driver) with MinGW against
# the stand-in header tools/acsil/stub/sierrachart.h (Sierra Chart's own header is not
# redistributable). Installs g++-mingw-w64-x86-64-win32 on Debian if missing.
# usage: scripts/build-acsil.sh [output-dir]   (default target/acsil)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/acsil}
CXX=x86_64-w64-mingw32-g++
if ! command -v "$CXX" >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends g++-mingw-w64-x86-64-win32 >/dev/null
fi
mkdir -p "$out"
"$CXX" -std=c++17 -O2 -Wall -Wextra -Werror -shared -static-libgcc -static-libstdc++ \
  -D_WIN32_WINNT=0x0602 -I tools/acsil/stub \
  -o "$out/V9BridgePipeExport_64.dll" tools/acsil/V9BridgePipeExport.cpp
# The exports Sierra Chart looks for must be there, unmangled.
exports=$(x86_64-w64-mingw32-objdump -p "$out/V9BridgePipeExport_64.dll")
for sym in scsf_V9BridgePipeExport scdll_DLLName scdll_DLLVersion; do
  grep -q "$sym" <<<"$exports" || { echo "missing export $sym" >&2; exit 1; }
done
# A console driver that runs the study like Sierra Chart does, for the Wine test
# (tests/pipe_windows.rs, via V9BRIDGE_ACSIL_DRIVER in scripts/ci-windows.sh).
"$CXX" -std=c++17 -O2 -Wall -Wextra -Werror -static -D_WIN32_WINNT=0x0602 -I tools/acsil/stub \
  -o "$out/acsil_driver.exe" tools/acsil/stub/driver.cpp tools/acsil/V9BridgePipeExport.cpp
echo "built $out/V9BridgePipeExport_64.dll and $out/acsil_driver.exe"
