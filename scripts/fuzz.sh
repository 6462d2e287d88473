#!/usr/bin/env bash
# Runs libFuzzer targets of fuzz/ for SECONDS each, then prints their final stats.
#
# usage: scripts/fuzz.sh TARGET|all SECONDS [libFuzzer flags...]
#   targets: v9_line pipe_stream dtc_binary dtc_json dtc_compact dtc_websocket
#   env FUZZ_SANITIZER=address: build with ASan (needs RUSTC_BOOTSTRAP, set here; slower to
#   build and run, for long runs). Default none.
#   env FUZZ_FORK=N: N fuzzing processes per target (libFuzzer -fork), default 1.
#
# fuzz/ is a cargo-fuzz crate, so `RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET` works too. This
# script builds it the way `cargo fuzz build -O -a --sanitizer none` does (the same sancov
# flags, release with debug assertions and overflow checks), which needs neither nightly nor
# cargo-fuzz installed. New inputs go to fuzz/corpus/TARGET (not committed); fuzz/seeds/TARGET
# is the committed seed corpus, read only. A crash or hang writes its input to
# fuzz/artifacts/TARGET/ and fails the script.
set -euo pipefail
target=${1:?usage: scripts/fuzz.sh TARGET|all SECONDS [libFuzzer flags...]}
secs=${2:?usage: scripts/fuzz.sh TARGET|all SECONDS [libFuzzer flags...]}
shift 2
cd "$(dirname "$0")/../fuzz"
export CARGO_TERM_COLOR=never
triple=$(rustc -vV | sed -n 's/^host: //p')
flags="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4"
flags+=" -Cllvm-args=-sanitizer-coverage-inline-8bit-counters"
flags+=" -Cllvm-args=-sanitizer-coverage-pc-table"
flags+=" -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing"
flags+=" -Cllvm-args=-simplifycfg-branch-fold-threshold=0"
flags+=" -Cllvm-args=-sanitizer-coverage-stack-depth -Cdebug-assertions -Ccodegen-units=1"
if [ "${FUZZ_SANITIZER:-none}" = address ]; then
  export RUSTC_BOOTSTRAP=1 ASAN_OPTIONS=${ASAN_OPTIONS:-detect_odr_violation=0}
  flags+=" -Zsanitizer=address"
  export CARGO_TARGET_DIR=target/asan
fi
# --target keeps the instrumentation out of build scripts.
RUSTFLAGS="$flags ${RUSTFLAGS:-}" cargo build -q --release --bins --target "$triple" \
  --config 'profile.release.debug="line-tables-only"'
bins=${CARGO_TARGET_DIR:-target}/$triple/release
if [ "$target" = all ]; then
  targets=$(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^v9bridge-fuzz$')
else
  targets=$target
fi
for t in $targets; do
  mkdir -p "corpus/$t" "artifacts/$t"
  log=$(mktemp)
  rc=0
  # -timeout: an input taking over 10 s is a hang; -rss_limit_mb: the decoders' buffers are
  # bounded far below this.
  "$bins/$t" -artifact_prefix="artifacts/$t/" -max_total_time="$secs" -timeout=10 \
    -rss_limit_mb=1024 -print_final_stats=1 ${FUZZ_FORK:+-fork=$FUZZ_FORK} "$@" \
    "corpus/$t" "seeds/$t" >"$log" 2>&1 || rc=$?
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE ' "$log" | tail -1 || true)
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | tail -1 | awk '{print $2}' || true)
  rss=$(grep -E '^stat::peak_rss_mb' "$log" | tail -1 | awk '{print $2}' || true)
  edges=$(sed -nE 's/.*Loaded 1 modules +\(([0-9]+) inline 8-bit counters\).*/\1/p' "$log" | head -1)
  cov=$(sed -nE "s/.* cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+).*/cov \\1 of ${edges:-?} edges, ft \\2, corpus \\3/p" \
    <<<"$done_line")
  echo "fuzz $t: ${secs}s, ${execs:-?} execs, ${cov:-no final stats}, peak RSS ${rss:-?} MB"
  if [ "$rc" -ne 0 ]; then
    tail -40 "$log"
    echo "fuzz $t: FAILED (exit $rc); the input is in fuzz/artifacts/$t/; replay: $bins/$t FILE"
    rm -f "$log"
    exit "$rc"
  fi
  rm -f "$log"
done
