#!/usr/bin/env bash
# Compiles the NinjaTrader strategy tools/ninjatrader/V9_CopyReceiver.cs (+ its V9Copy*.cs
# helpers) against the stand-in API in tools/ninjatrader/stub/, with warnings as errors and the
# C# 5 language level NinjaScript accepts, plus the host that runs it (V9Host.exe).
# Needs mono's mcs (Debian: mono-mcs mono-runtime libmono-system-componentmodel-dataannotations4.0-cil;
# scripts/ci-ninjatrader.sh installs them).
# usage: scripts/build-ninjatrader.sh [output-dir]   (default target/ninjatrader)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/ninjatrader}
command -v mcs >/dev/null 2>&1 || { echo "mcs not found: apt-get install mono-mcs mono-runtime" >&2; exit 1; }
mkdir -p "$out"
flags=(-langversion:5 -warn:4 -warnaserror -nologo -debug- -optimize+)
# Like NinjaTrader: the API in one assembly (NinjaTrader.Core.dll), scripts in another
# (NinjaTrader.Custom.dll), so the strategy sees only the API's public members.
mcs "${flags[@]}" -target:library -out:"$out/NinjaTrader.Core.dll" tools/ninjatrader/stub/{Cbi,Account,SimExchange,NinjaScript}.cs
mcs "${flags[@]}" -target:library -out:"$out/NinjaTrader.Custom.dll" -r:"$out/NinjaTrader.Core.dll" \
  -r:System.ComponentModel.DataAnnotations.dll tools/ninjatrader/V9_CopyReceiver.cs tools/ninjatrader/V9Copy*.cs ||
  { echo "(missing DataAnnotations? apt-get install libmono-system-componentmodel-dataannotations4.0-cil)" >&2; exit 1; }
mcs "${flags[@]}" -out:"$out/V9Host.exe" -r:"$out/NinjaTrader.Core.dll" -r:"$out/NinjaTrader.Custom.dll" \
  tools/ninjatrader/stub/Host.cs
echo "built $out/V9Host.exe"
