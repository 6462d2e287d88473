#!/usr/bin/env bash
# CI: build the whole crate for x86_64-pc-windows-gnu and run the named-pipe tests under Wine.
# Installs what it needs on Debian 12 (see scripts/windows-check.sh). Run from the crate root.
set -euo pipefail
cd "$(dirname "$0")/.."
here=scripts/windows-check.sh
# Warnings are errors in the Windows build too (cfg(unix)-only code leaves unused items there).
# Set for every step below, so they share one build (a RUSTFLAGS change rebuilds everything).
export RUSTFLAGS="-D warnings"
"$here" build --all-targets
"$here" test --lib pipe::
# The study itself, compiled against the stand-in header, talks to the engine under Wine.
scripts/build-acsil.sh target/acsil
V9BRIDGE_ACSIL_DRIVER=target/acsil/acsil_driver.exe "$here" test --test pipe_windows
