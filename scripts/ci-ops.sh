#!/usr/bin/env bash
# CI: the operator surface from independent clients. Installs what it needs on Debian 12 (pip:
# pytest, requests, websocket-client, prometheus-client; apt: chromium), builds the release
# binary, runs tests/ops/test_api.py (every REST path, python-ws-dtc-client's WebSocket
# protocol, bad requests, auth, churn, slow reader) and tests/ops/dashboard.py (the dashboard
# in headless Chromium while the demo runs). Run from anywhere; about 30 s on a built tree.
# DASHBOARD_PNG=path keeps the screenshot there (default target/ops/dashboard.png).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q pytest requests websocket-client prometheus-client 2>/dev/null \
  || pip install -q pytest requests websocket-client prometheus-client
if ! command -v chromium >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
cargo build --release -q
export V9BRIDGE_BIN="$PWD/target/release/v9bridge"
(cd tests/ops && timeout 300 python3 -m pytest -q -p no:cacheprovider test_api.py)
mkdir -p target/ops
timeout 300 python3 tests/ops/dashboard.py --bin "$V9BRIDGE_BIN" --out "${DASHBOARD_PNG:-target/ops/dashboard.png}"
