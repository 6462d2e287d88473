"""A running v9bridge for the operator-surface tests: `v9bridge run` with a V9 receiver, the pipe
feed and a DTC connection to the simulated Sierra Chart, all stand-ins from `v9bridge sim`.

The binary comes from $V9BRIDGE_BIN (default target/release/v9bridge). Everything listens on
free loopback ports and is stopped at the end of the session.
"""

import json
import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("V9BRIDGE_BIN", str(ROOT / "target" / "release" / "v9bridge"))
TOKEN = "py-test-token-4f2a9c"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, cond, limit=20.0):
    end = time.time() + limit
    last = None
    while time.time() < end:
        try:
            last = cond()
            if last:
                return last
        except (requests.RequestException, KeyError, IndexError, ValueError) as e:
            last = e
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


class Bridge:
    def __init__(self, base, v9_port, dtc_port, tmp):
        self.base = base
        self.v9_port = v9_port
        self.dtc_port = dtc_port
        self.tmp = tmp

    def url(self, path):
        return self.base + path

    def get(self, path, **kw):
        return requests.get(self.url(path), timeout=10, **kw)

    def post(self, path, token=TOKEN, **kw):
        headers = kw.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return requests.post(self.url(path), headers=headers, timeout=10, **kw)


@pytest.fixture(scope="session")
def bridge():
    tmp = tempfile.mkdtemp(prefix="v9bridge-ops-")
    v9_port, dtc_port, ops_port = free_port(), free_port(), free_port()
    fifo = os.path.join(tmp, "feed.fifo")
    cfg = os.path.join(tmp, "v9bridge.toml")
    with open(cfg, "w") as f:
        f.write(f"""
[engine]
pin = "none"
report_interval_s = 0
[v9]
listen = "127.0.0.1:{v9_port}"
[pipe]
path = "{fifo}"
[dtc.es]
addr = "127.0.0.1:{dtc_port}"
encoding = "binary"
symbols = ["ESZ6_FUT_CME", "NQZ6_FUT_CME"]
heartbeat_s = 2
[journal]
dir = "{os.path.join(tmp, 'journal')}"
[risk.accounts.PyLoss]
daily_loss = 100.0
[ops]
listen = "127.0.0.1:{ops_port}"
publish_ms = 50
max_body_bytes = 65536
""")
    env = dict(os.environ, V9BRIDGE_OPS_TOKEN=TOKEN, RUST_LOG="warn")
    logs = open(os.path.join(tmp, "log.txt"), "w")
    procs = []

    def spawn(*args):
        p = subprocess.Popen([BIN, *args], stdout=logs, stderr=logs, env=env)
        procs.append(p)
        return p

    try:
        spawn("sim", "dtc-server", "--listen", f"127.0.0.1:{dtc_port}", "--tick-ms", "20")
        time.sleep(0.3)
        spawn("run", "--config", cfg)
        b = Bridge(f"http://127.0.0.1:{ops_port}", v9_port, dtc_port, tmp)
        wait_until("the ops health check", lambda: b.get("/api/v1/health").status_code == 200)
        spawn("sim", "receiver", "--connect", f"127.0.0.1:{v9_port}", "--accounts", "5",
              "--name", "PyReceiver", "--heartbeat-s", "1")
        spawn("sim", "pipe-feed", "--pipe", fifo, "--rate", "200", "--symbols", "ES,NQ")
        # Ready and heard from: its first HEARTBEAT comes --heartbeat-s after READY.
        wait_until("the receiver's first heartbeat", lambda: any(
            r["name"] == "PyReceiver" and r["state"] == "ready" and r["last_heartbeat_ns"]
            for r in b.get("/api/v1/receivers").json()["receivers"]))
        wait_until("pipe quotes", lambda: {"ES", "NQ"} <= {
            q["symbol"] for q in b.get("/api/v1/market").json()["quotes"]})
        wait_until("the DTC connection synced",
                   lambda: b.get("/api/v1/dtc").json()["connections"][0]["synced"])
        yield b
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        logs.close()
        if os.environ.get("V9BRIDGE_KEEP_LOGS") is None:
            pass
        else:
            print(open(os.path.join(tmp, "log.txt")).read())


def dumps(v):
    return json.dumps(v, sort_keys=True)
