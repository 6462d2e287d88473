#!/usr/bin/env python3
"""The dashboard in real headless Chromium while `v9bridge demo` runs.

Starts the demo with its operator surface, waits for the burst to finish (the demo then writes
the positions its model expects), opens the dashboard in Debian's Chromium over the DevTools
protocol (websocket-client), waits until the account grid shows exactly the expected positions,
the last signals show their receivers' acknowledgement latencies and the live stream is
connected, and saves a screenshot. Exit status 0 only if all of that held.

    python3 tests/ops/dashboard.py --bin target/release/v9bridge --out docs/dashboard.png
"""

import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

TOKEN = "dashboard-test-token"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# What the page shows: every position cell, the live-stream state, out-of-sync cells.
PROBE = """JSON.stringify({
  live: document.getElementById('live').textContent,
  health: document.getElementById('health').textContent,
  pos: [...document.querySelectorAll('[data-pos]')].map(e => e.dataset.pos),
  oos: document.querySelectorAll('.acct.oos').length,
  signals: document.querySelectorAll('#signals tr').length - 1,
  acked: [...document.querySelectorAll('#signals td.acks')].filter(e => / \\d/.test(e.textContent)).length,
})"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(what, cond, limit):
    end = time.time() + limit
    while time.time() < end:
        try:
            v = cond()
            if v:
                return v
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"FAIL: timed out waiting for {what}")


class Cdp:
    def __init__(self, url):
        self.ws = websocket.create_connection(url, timeout=30, suppress_origin=True)
        self.n = 0

    def call(self, method, **params):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == self.n:
                if "error" in m:
                    raise SystemExit(f"FAIL: {method}: {m['error']}")
                return m.get("result", {})


def post(base, path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": f"Bearer {TOKEN}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/v9bridge")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--out", default="docs/dashboard.png")
    ap.add_argument("--signals", default="3000")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="v9bridge-dash-")
    expect_path = os.path.join(tmp, "expect.json")
    ops_port, cdp_port = free_port(), free_port()
    base = f"http://127.0.0.1:{ops_port}"
    log = open(os.path.join(tmp, "demo.log"), "w")
    demo = subprocess.Popen(
        [args.bin, "demo", "--ops-listen", f"127.0.0.1:{ops_port}", "--signals", args.signals,
         "--rate", "1000", "--pin", "none", "--hold-s", "300", "--expect-json", expect_path],
        stdout=log, stderr=log, env=dict(os.environ, V9BRIDGE_OPS_TOKEN=TOKEN, RUST_LOG="warn"))
    chrome = None
    try:
        wait("the demo's burst", lambda: os.path.exists(expect_path) and os.path.getsize(expect_path), 180)
        time.sleep(0.2)
        expect = json.load(open(expect_path))
        want = {f"{r}|{p['account']}|{p['symbol']}|{p['qty']}"
                for r in expect["receivers"] for p in expect["positions"]}
        # Two signals nobody holds (positions unchanged): the signal list shows them with acks.
        for _ in range(2):
            post(base, "/api/v1/signals", {"action": "FLATTEN", "symbol": "YM"})
        chrome = subprocess.Popen(
            [args.chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp}/chrome",
             f"--remote-debugging-port={cdp_port}", "--remote-allow-origins=*",
             "--window-size=1600,1000", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def page_ws():
            with urllib.request.urlopen(f"http://127.0.0.1:{cdp_port}/json/list", timeout=2) as r:
                pages = [t for t in json.loads(r.read()) if t.get("type") == "page"]
            return pages and pages[0]["webSocketDebuggerUrl"]
        cdp = Cdp(wait("Chromium's DevTools endpoint", page_ws, 30))
        cdp.call("Emulation.setDeviceMetricsOverride", width=1600, height=1000,
                 deviceScaleFactor=1, mobile=False)
        cdp.call("Page.navigate", url=base + "/")
        seen = {}

        def grid_matches():
            r = cdp.call("Runtime.evaluate", expression=PROBE, returnByValue=True)
            seen.update(json.loads(r["result"]["value"]))
            return (set(seen["pos"]) == want and seen["live"] == "live" and seen["signals"] >= 2
                    and seen["acked"] >= 2)
        try:
            wait("the account grid to show the model's positions", grid_matches, 30)
        finally:
            got = set(seen.get("pos", []))
            print(f"expected {len(want)} positions, grid shows {len(got)}; "
                  f"missing {sorted(want - got)[:5]}, unexpected {sorted(got - want)[:5]}; "
                  f"stream {seen.get('live')!r}, health {seen.get('health')!r}, "
                  f"signals listed {seen.get('signals')} ({seen.get('acked')} with ack latencies), "
                  f"out-of-sync cells {seen.get('oos')}")
        time.sleep(0.6)  # one more push, so the latency plot and quotes are current
        shot = cdp.call("Page.captureScreenshot", format="png")
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        print(f"OK: dashboard shows every expected position live; screenshot {args.out}")
    finally:
        for p in (chrome, demo):
            if p is not None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        fifo = os.path.join(tempfile.gettempdir(), f"v9bridge-demo-{demo.pid}.fifo")
        if os.path.exists(fifo):
            os.remove(fifo)
        log.close()


if __name__ == "__main__":
    sys.exit(main())
