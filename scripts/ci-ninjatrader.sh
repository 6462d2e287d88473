#!/usr/bin/env bash
# CI: the NinjaTrader strategy (tools/ninjatrader/V9_CopyReceiver.cs). Installs Debian's mono
# compiler and runtime, compiles the strategy against the stand-in API with warnings as errors,
# then runs it against the engine: the integration test (20 stub accounts, example session,
# random bursts, engine restart), the catch-up test against a scripted server (resume keys,
# replay dedupe, SYNC, CAUGHT_UP, Accounts: routing, hostile lines, restarts of the strategy
# with its state file), the engine's groups and mapping end to end, signals split over
# several lines (40 long-named accounts, live, replayed, SYNC), and the demo's
# verification through --receiver-cmd.
# Run from anywhere on Debian 12 as root; installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v mcs >/dev/null 2>&1 || ! command -v mono >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # DataAnnotations: the [Display]/[Range] attributes NinjaScript properties carry.
  apt-get install -y -qq --no-install-recommends mono-mcs mono-runtime \
    libmono-system-componentmodel-dataannotations4.0-cil >/dev/null
fi
mono --version | head -1
scripts/build-ninjatrader.sh target/ninjatrader
V9BRIDGE_NT_HOST="$PWD/target/ninjatrader/V9Host.exe" cargo test --test ninjatrader_receiver --test receiver_ninjatrader --test receiver_ninjatrader_routing --test receiver_ninjatrader_e2e --test receiver_ninjatrader_split -- --nocapture
cargo run --release -q -- demo --signals 2000 --rate 1000 --pin none \
  --receiver-cmd "mono target/ninjatrader/V9Host.exe --connect {addr} --accounts 20"
