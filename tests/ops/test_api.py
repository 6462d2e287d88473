"""The operator surface from an independent client (requests, websocket-client, the Prometheus
text parser): every REST path, python-ws-dtc-client's DTC REST and market-data WebSocket
protocol, bad requests, auth refusals, subscribe churn and a slow WebSocket reader.
"""

import json
import os
import socket
import subprocess
import tempfile
import threading
import time

import requests
import websocket
from prometheus_client.parser import text_string_to_metric_families

from conftest import BIN, TOKEN, free_port, wait_until

# python-ws-dtc-client's Type 104 sample, field for field.
SNAPSHOT_104_FIELDS = [
    "AskPrice", "AskQuantity", "BidAskDateTime", "BidPrice", "BidQuantity", "LastTradeDateTime",
    "LastTradePrice", "LastTradeVolume", "MarketDepthUpdateDateTime", "OpenInterest",
    "SessionHighPrice", "SessionLowPrice", "SessionNumTrades", "SessionOpenPrice",
    "SessionSettlementDateTime", "SessionSettlementPrice", "SessionVolume", "Symbol", "SymbolID",
    "TradingSessionDate", "TradingStatus", "Type",
]


def ordered(text):
    """JSON object as a list of (key, value) in wire order."""
    return json.loads(text, object_pairs_hook=lambda pairs: pairs)


def ws_connect(bridge, **kw):
    url = bridge.base.replace("http://", "ws://") + "/api/v1/marketdata"
    return websocket.create_connection(url, timeout=10, **kw)


# ---- V9 state as JSON ----

def test_health_is_200_while_the_loop_turns(bridge):
    r = bridge.get("/api/v1/health")
    assert r.status_code == 200
    h = r.json()
    assert h["status"] == "ok" and h["loop_age_ms"] < 1000 and h["seq"] > 0


def test_receivers_name_peer_accounts_and_times(bridge):
    def heartbeat_seen():
        body = bridge.get("/api/v1/receivers").json()
        (r,) = [r for r in body["receivers"] if r["name"] == "PyReceiver"]
        return r["last_heartbeat_ns"] is not None and r
    # The receiver sends a HEARTBEAT every second; null until the first.
    r = wait_until("PyReceiver's first HEARTBEAT", heartbeat_seen)
    assert r["accounts"] == 5 and r["role"] == "receiver" and r["state"] == "ready"
    assert r["peer"].startswith("127.0.0.1:")
    now_ns = time.time_ns()
    assert 0 < r["connected_since_ns"] <= now_ns
    assert abs(now_ns - r["last_heartbeat_ns"]) < 10e9


def test_a_posted_signal_reaches_every_account_and_is_listed(bridge):
    r = bridge.post("/api/v1/signals", json={"action": "LONG", "symbol": "ES", "qty": 2})
    assert r.status_code == 200, r.text
    sid = r.json()["id"]
    assert r.json()["receivers"] == 1

    def es_positions():
        ps = bridge.get("/api/v1/positions", params={"symbol": "ES", "receiver": "PyReceiver"}).json()
        return len([p for p in ps["positions"] if p["signed_qty"] == 2]) == 5 and ps
    ps = wait_until("5 accounts long 2 ES", es_positions)
    p = ps["positions"][0]
    assert p["direction"] == "LONG" and p["out_of_sync"] is False and p["why"] == ""
    one = bridge.get("/api/v1/positions", params={"account": "Account3", "symbol": "ES"}).json()
    assert [x["account"] for x in one["positions"]] == ["Account3"]

    def listed():
        sigs = bridge.get("/api/v1/signals").json()["signals"]
        row = next(s for s in sigs if s["id"] == sid)
        return row["summaries"] >= 1 and row
    row = wait_until("the signal with its summary", listed)
    assert (row["source"], row["action"], row["symbol"], row["qty"]) == ("ops", "LONG", "ES", 2)
    r = bridge.post("/api/v1/signals", json={"action": "FLATTEN", "symbol": "ES"})
    assert r.status_code == 200
    wait_until("ES flat again", lambda: all(
        p["signed_qty"] == 0 for p in bridge.get("/api/v1/positions", params={"symbol": "ES"}).json()["positions"]))


def test_latency_lists_every_histogram_with_ordered_percentiles(bridge):
    body = bridge.get("/api/v1/latency").json()
    assert body["quantiles"][0] == 0.5 and body["quantiles"][-1] == 1.0
    names = {h["name"] for h in body["histograms"]}
    assert {"engine.loop_turn", "pipe.read_to_applied", "dtc.es.read_to_handled"} <= names
    for h in body["histograms"]:
        p = h["percentiles_ns"]
        assert len(p) == len(body["quantiles"]) and p == sorted(p), h


def test_market_has_pipe_and_dtc_quotes(bridge):
    quotes = {q["symbol"]: q for q in bridge.get("/api/v1/market").json()["quotes"]}
    assert quotes["ES"]["feed"] == "pipe" and quotes["ES"]["bid"] > 0
    wait_until("a DTC quote", lambda: any(
        q["feed"] == "dtc" for q in bridge.get("/api/v1/market").json()["quotes"]))
    quotes = {q["symbol"]: q for q in bridge.get("/api/v1/market").json()["quotes"]}
    es = quotes["ESZ6_FUT_CME"]
    assert es["dtc"] == "dtc.es" and es["symbol_id"] == 1 and es["ask"] >= es["bid"] > 0


def test_the_dashboard_stream_sends_the_state_as_server_sent_events(bridge):
    seqs = []
    with requests.get(bridge.url("/api/v1/events"), stream=True, timeout=10) as r:
        assert r.status_code == 200 and r.headers["Content-Type"] == "text/event-stream"
        for line in r.iter_lines(decode_unicode=True):
            if line.startswith("data: "):
                state = json.loads(line[len("data: "):])
                assert state["health"]["status"] == "ok"
                assert any(x["name"] == "PyReceiver" for x in state["snapshot"]["receivers"])
                seqs.append(state["snapshot"]["seq"])
                if len(seqs) == 10 or (len(seqs) > 1 and seqs[-1] > seqs[0]):
                    break
    assert seqs[-1] > seqs[0], f"no newer state pushed: {seqs}"


def test_dtc_state_and_dashboard_page(bridge):
    d = bridge.get("/api/v1/dtc").json()["connections"][0]
    assert d["short"] == "es" and d["logged_on"] and d["accounts"]
    r = bridge.get("/")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    assert "<script>" in r.text and "http://" not in r.text.replace("http://www.w3.org", "")


def test_metrics_parse_as_prometheus_text(bridge):
    r = bridge.get("/metrics")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    fams = {f.name: f for f in text_string_to_metric_families(r.text)}
    assert fams["v9bridge_v9_signals"].type == "counter"
    assert fams["v9bridge_receivers"].samples[0].value >= 1
    assert fams["v9bridge_loop_healthy"].samples[0].value == 1
    lat = fams["v9bridge_latency_seconds"]
    assert lat.type == "summary"
    hops = {s.labels["hop"] for s in lat.samples}
    assert "engine.loop_turn" in hops
    quantiles = {s.labels.get("quantile") for s in lat.samples if s.name == "v9bridge_latency_seconds"}
    assert {"0.5", "0.99", "0.999"} <= quantiles
    assert any(s.name == "v9bridge_latency_seconds_count" for s in lat.samples)
    reasons = {s.labels["reason"] for s in fams["v9bridge_pipe_bad_input"].samples}
    assert {"malformed", "bad_price", "crossed_quote"} <= reasons
    dtc = fams["v9bridge_dtc_logged_on"].samples
    assert dtc[0].labels["connection"] == "es" and dtc[0].value == 1


# ---- python-ws-dtc-client's REST API ----

def test_tradeaccounts_accountbalance_currentpositions_fills(bridge):
    accts = bridge.get("/api/v1/tradeaccounts").json()
    assert accts and all(a["Type"] == 401 and a["TradeAccount"] for a in accts)
    bal = bridge.get("/api/v1/accountbalance", params={"connection": "es"}).json()
    assert bal and all(b["Type"] == 600 and "CashBalance" in b and "TradeAccount" in b for b in bal)
    one = bal[0]["TradeAccount"]
    only = bridge.get("/api/v1/accountbalance", params={"TradeAccount": one}).json()
    assert [b["TradeAccount"] for b in only] == [one]
    pos = bridge.get("/api/v1/currentpositions").json()
    assert isinstance(pos, list) and all(p["Type"] == 306 and "Quantity" in p for p in pos)
    fills = bridge.get("/api/v1/historicalorderfills", params={"NumberOfDays": "5"})
    assert fills.status_code == 200, fills.text
    assert all(f["Type"] == 304 for f in fills.json())


def test_securitydefinition_and_refusals(bridge):
    r = bridge.get("/api/v1/securitydefinition", params={"Symbol": "ESZ6_FUT_CME"})
    assert r.status_code == 200
    (d,) = r.json()
    assert d["Type"] == 507 and d["Symbol"] == "ESZ6_FUT_CME" and d["IsFinalMessage"] == 1
    assert abs(d["DisplayPriceMultiplier"] - 0.01) < 1e-6
    assert bridge.get("/api/v1/securitydefinition").status_code == 400
    r = bridge.get("/api/v1/securitydefinition", params={"Symbol": "NOPE"})
    assert r.status_code == 404 and "NOPE" in r.json()["error"]
    r = bridge.get("/api/v1/tradeaccounts", params={"connection": "nope"})
    assert r.status_code == 404 and "nope" in r.json()["error"]


def test_exchangelist_is_asked_on_the_connection(bridge):
    r = bridge.get("/api/v1/exchangelist", params={"connection": "es"})
    assert r.status_code == 200, r.text
    rows = r.json()
    assert [x["Exchange"] for x in rows][:4] == ["CME", "CBOT", "NYMEX", "COMEX"]
    assert all(x["Type"] == 501 and x["Description"] and x["RequestID"] > 0 for x in rows)
    assert [x["IsFinalMessage"] for x in rows] == [0] * (len(rows) - 1) + [1]
    # Each call is a new request on the connection: a new RequestID.
    again = bridge.get("/api/v1/exchangelist").json()
    assert again[0]["RequestID"] != rows[0]["RequestID"]
    r = bridge.get("/api/v1/exchangelist", params={"connection": "nope"})
    assert r.status_code == 404 and "nope" in r.json()["error"]


def test_historicalaccountbalances_per_account_and_since(bridge):
    r = bridge.get("/api/v1/historicalaccountbalances")
    assert r.status_code == 200, r.text
    rows = r.json()
    accounts = {x["TradeAccount"] for x in rows}
    assert {"Sim1", "Sim2"} <= accounts
    for x in rows:
        assert x["Type"] == 606 and x["CashBalance"] > 0 and x["AccountCurrency"] == "USD"
        assert x["DateTime"] > 1_600_000_000 and x["TransactionId"]
    assert rows[-1]["IsFinalResponse"] == 1
    one = bridge.get("/api/v1/historicalaccountbalances", params={"TradeAccount": "Sim2"}).json()
    assert one and {x["TradeAccount"] for x in one} == {"Sim2"}
    # Nothing since far in the future: the server's "no data" answer is an empty list.
    future = {"TradeAccount": "Sim1", "StartDateTime": str(4_000_000_000)}
    r = bridge.get("/api/v1/historicalaccountbalances", params=future)
    assert r.status_code == 200 and r.json() == []


def test_historicalaccountbalances_refusals(bridge):
    path = "/api/v1/historicalaccountbalances"
    r = bridge.get(path, params={"TradeAccount": "Nobody"})
    assert r.status_code == 502 and "unknown trade account" in r.json()["error"]
    for bad in ("yesterday", "-5", "1.5e9x", ""):
        r = bridge.get(path, params={"StartDateTime": bad})
        assert r.status_code == 400 and "StartDateTime" in r.json()["error"], bad
    r = bridge.get(path, params={"TradeAccount": "A" * 40})
    assert r.status_code == 400 and "TradeAccount" in r.json()["error"]
    r = bridge.get(path, params={"connection": "nope"})
    assert r.status_code == 404 and "nope" in r.json()["error"]


# ---- bad requests and auth ----

def test_bad_requests(bridge):
    r = bridge.get("/api/v1/nope")
    assert r.status_code == 404 and "error" in r.json()
    assert requests.delete(bridge.url("/api/v1/positions"), timeout=10).status_code == 405
    r = bridge.post("/api/v1/signals", data=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "bad JSON" in r.json()["error"]
    r = bridge.post("/api/v1/signals", json={"action": "LONG", "symbol": "ES|X", "qty": 1})
    assert r.status_code == 422
    r = bridge.post("/api/v1/signals", json={"action": "LONG", "symbol": "ES", "qty": 5000})
    assert r.status_code == 422 and "limit" in r.json()["error"]
    r = bridge.post("/api/v1/signals", data=b"x" * (1 << 20))
    assert r.status_code == 413
    # Headers beyond 16 KiB.
    r = requests.get(bridge.url("/api/v1/health"), headers={"X-Big": "a" * 20000}, timeout=10)
    assert r.status_code == 431
    assert bridge.get("/api/v1/health").status_code == 200, "the server is still fine"


def test_control_needs_the_bearer_token(bridge):
    body = {"action": "FLATTEN", "symbol": "YM"}
    assert bridge.post("/api/v1/signals", token=None, json=body).status_code == 401
    r = bridge.post("/api/v1/signals", token="wrong-token-123", json=body)
    assert r.status_code == 401 and TOKEN not in r.text
    assert bridge.post("/api/v1/flatten-all", token=None).status_code == 401
    assert requests.post(bridge.url("/api/v1/flatten-all"), headers={"Authorization": "Basic eDp5"},
                         timeout=10).status_code == 401
    r = bridge.post("/api/v1/flatten-all")
    assert r.status_code == 200 and r.json()["receivers"] == 1


def test_without_a_configured_token_control_is_refused():
    ops, v9 = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "V9BRIDGE_OPS_TOKEN"}
    # No journal: the default ./journal would land in the source tree.
    p = subprocess.Popen([BIN, "run", "--pin", "none", "--journal", "none",
                          "--v9-listen", f"127.0.0.1:{v9}",
                          "--ops-listen", f"127.0.0.1:{ops}"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{ops}"
        wait_until("health", lambda: requests.get(base + "/api/v1/health", timeout=5).status_code == 200)
        for path in ("/api/v1/signals", "/api/v1/flatten-all", "/api/v1/kill", "/api/v1/arm"):
            r = requests.post(base + path, headers={"Authorization": "Bearer anything-at-all"},
                              json={"action": "FLATTEN", "symbol": "ALL"}, timeout=5)
            assert r.status_code == 403 and "token" in r.json()["error"]
    finally:
        p.terminate()
        p.wait(timeout=10)



def test_a_routed_signal_lists_the_receivers_it_skipped():
    """Its own engine (a group of one account) and two simulated receivers: a Group: signal
    reaches the one holding the account, the other is skipped, and both counts are listed."""
    ops, v9 = free_port(), free_port()
    tmp = tempfile.mkdtemp(prefix="v9bridge-ops-routed-")
    cfg = os.path.join(tmp, "v9bridge.toml")
    with open(cfg, "w") as f:
        f.write(f"""
[engine]
pin = "none"
report_interval_s = 0
[v9]
listen = "127.0.0.1:{v9}"
[journal]
dir = "none"
[groups]
pyg = ["PyIn1"]
[ops]
listen = "127.0.0.1:{ops}"
publish_ms = 50
""")
    env = dict(os.environ, V9BRIDGE_OPS_TOKEN=TOKEN, RUST_LOG="warn")
    procs = [subprocess.Popen([BIN, "run", "--config", cfg], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        base = f"http://127.0.0.1:{ops}"
        get = lambda path: requests.get(base + path, timeout=5)
        wait_until("health", lambda: get("/api/v1/health").status_code == 200)
        for name in ("PyIn", "PyOut"):
            procs.append(subprocess.Popen(
                [BIN, "sim", "receiver", "--connect", f"127.0.0.1:{v9}", "--accounts", "1",
                 "--account-prefix", name, "--name", name, "--heartbeat-s", "1"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_until("both receivers ready", lambda: {"PyIn", "PyOut"} <= {
            r["name"] for r in get("/api/v1/receivers").json()["receivers"] if r["state"] == "ready"})
        with socket.create_connection(("127.0.0.1", v9), timeout=10) as pub:
            lines = pub.makefile("rb")
            pub.sendall(b"CONNECT|py|Account_Count:0|Version:1.0|Role:Publisher\n")
            assert lines.readline().startswith(b"READY|")
            pub.sendall(b"LONG|ES|1|Group:pyg\n")
            ack = lines.readline().decode().strip().split("|")
        assert ack[0] == "SIGNAL_ACK" and ack[2] == "1", ack
        sid = int(ack[1])

        def listed():
            rows = get("/api/v1/signals").json()["signals"]
            return next((r for r in rows if r["id"] == sid), None)
        row = wait_until("the routed signal listed", listed)
        assert (row["receivers"], row["receivers_skipped"]) == (1, 1), row
        fams = {f.name: f for f in text_string_to_metric_families(get("/metrics").text)}
        skipped = fams["v9bridge_route_skipped_receivers"]
        assert skipped.type == "counter" and skipped.samples[0].value == 1
        # Unrouted, posted through the ops API: both receivers, none skipped.
        r = requests.post(base + "/api/v1/signals", headers={"Authorization": f"Bearer {TOKEN}"},
                          json={"action": "FLATTEN", "symbol": "ES"}, timeout=10)
        assert r.status_code == 200 and r.json()["receivers"] == 2, r.text
        flat = r.json()["id"]
        row = wait_until("the unrouted signal listed",
                         lambda: next((x for x in get("/api/v1/signals").json()["signals"]
                                       if x["id"] == flat), None))
        assert (row["receivers"], row["receivers_skipped"]) == (2, 0), row
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            p.wait(timeout=10)


def test_risk_lists_the_kill_switch_and_every_accounts_headroom(bridge):
    r = bridge.get("/api/v1/risk")
    assert r.status_code == 200
    risk = r.json()["risk"]
    assert risk["killed"] is False and risk["killed_since_ns"] is None
    acct = {a["account"]: a for a in risk["accounts"]}["PyLoss"]
    assert acct["loss_left"] == 100.0 and acct["drawdown_left"] is None
    assert acct["excluded"] is False and acct["breached"] is None
    assert bridge.get("/api/v1/health").json()["kill_switch"] is False
    fams = {f.name: f for f in text_string_to_metric_families(bridge.get("/metrics").text)}
    loss = {s.labels["account"]: s.value for s in fams["v9bridge_account_loss_left"].samples}
    assert loss == {"PyLoss": 100.0}
    assert fams["v9bridge_risk_kill_switch"].samples[0].value == 0


def test_kill_and_arm_need_the_token_and_answer_the_new_state(bridge):
    for path in ("/api/v1/kill", "/api/v1/arm"):
        assert bridge.post(path, token=None).status_code == 401
        r = bridge.post(path, token="wrong-token-123")
        assert r.status_code == 401 and TOKEN not in r.text
    assert requests.get(bridge.url("/api/v1/kill"), timeout=10).status_code == 405
    assert bridge.post("/api/v1/kill", data=b"{nope").status_code == 400
    assert bridge.post("/api/v1/kill", json={"reason": "x" * 201}).status_code == 422
    assert bridge.get("/api/v1/risk").json()["risk"]["killed"] is False, "refusals changed nothing"

    r = bridge.post("/api/v1/kill", json={"reason": "python says stop"})
    assert r.status_code == 200, r.text
    k = r.json()
    assert k["action"] == "kill" and k["changed"] is True and k["receivers"] == 1
    assert k["flatten_id"] >= 1 and k["risk"]["killed"] is True
    assert k["risk"]["killed_since_ns"] > 0
    wait_until("the kill switch in the snapshot",
               lambda: bridge.get("/api/v1/health").json()["kill_switch"] is True)
    r = bridge.post("/api/v1/signals", json={"action": "LONG", "symbol": "MES", "qty": 1})
    assert r.status_code == 403 and "KILL_SWITCH" in r.text
    again = bridge.post("/api/v1/kill").json()
    assert again["changed"] is False and again["flatten_id"] > k["flatten_id"], "flattens again"

    assert bridge.post("/api/v1/arm", json={"account": "Nobody"}).status_code == 404
    r = bridge.post("/api/v1/arm", json={"account": "PyLoss"})
    assert r.status_code == 200 and r.json()["changed"] is False, "PyLoss was not excluded"
    assert r.json()["risk"]["killed"] is True, "arming an account leaves the kill switch on"
    r = bridge.post("/api/v1/arm")
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["action"] == "arm" and a["changed"] is True and a["risk"]["killed"] is False
    r = bridge.post("/api/v1/signals", json={"action": "FLATTEN", "symbol": "MES"})
    assert r.status_code == 200, "trading again"
    wait_until("the kill switch off in the snapshot",
               lambda: bridge.get("/api/v1/risk").json()["risk"]["killed"] is False)

# ---- python-ws-dtc-client's market-data WebSocket ----

def test_subscribe_snapshot_updates_unsubscribe(bridge):
    ws = ws_connect(bridge)
    ws.send(json.dumps({"action": "subscribe", "symbol": "ESZ6_FUT_CME"}))
    ack = ordered(ws.recv())
    assert ack == [("action", "subscribe"), ("symbol", "ESZ6_FUT_CME"), ("success", True)]
    snap = ordered(ws.recv())
    assert [k for k, _ in snap] == SNAPSHOT_104_FIELDS
    snap = dict(snap)
    assert snap["Type"] == 104 and snap["Symbol"] == "ESZ6_FUT_CME" and snap["SymbolID"] == 1
    assert snap["AskPrice"] >= snap["BidPrice"] > 0
    types = set()
    end = time.time() + 5
    while time.time() < end and not {107, 108} <= types:
        m = json.loads(ws.recv())
        assert m["Symbol"] == "ESZ6_FUT_CME"
        types.add(m["Type"])
    assert {107, 108} <= types, types
    ws.send(json.dumps({"action": "unsubscribe", "symbol": "ESZ6_FUT_CME"}))
    while True:
        m = ordered(ws.recv())
        if dict(m).get("action") == "unsubscribe":
            assert [k for k, _ in m] == ["action", "symbol", "success"] and dict(m)["success"]
            break
    ws.close()


def test_unknown_symbol_bad_json_and_unknown_action(bridge):
    ws = ws_connect(bridge)
    ws.send(json.dumps({"action": "subscribe", "symbol": "NOPE_FUT"}))
    m = json.loads(ws.recv())
    assert m == {"action": "subscribe", "symbol": "NOPE_FUT", "success": False, "reason": "unknown symbol"}
    ws.send("{not json")
    m = json.loads(ws.recv())
    assert m["success"] is False and m["reason"] == "bad JSON"
    ws.send(json.dumps({"action": "dance", "symbol": "ES"}))
    m = json.loads(ws.recv())
    assert m["success"] is False and "unknown action" in m["reason"]
    ws.send(json.dumps({"action": "unsubscribe", "symbol": "ES"}))
    m = json.loads(ws.recv())
    assert m["success"] is False and m["reason"] == "not subscribed"
    ws.close()


def test_a_thousand_subscribe_unsubscribe_pairs(bridge):
    ws = ws_connect(bridge)
    n = 1000
    for _ in range(n):
        ws.send(json.dumps({"action": "subscribe", "symbol": "ES"}))
        ws.send(json.dumps({"action": "unsubscribe", "symbol": "ES"}))
    acks = {"subscribe": 0, "unsubscribe": 0}
    snapshots = 0
    while acks["unsubscribe"] < n:
        m = json.loads(ws.recv())
        if "action" in m:
            assert m["success"] is True, m
            acks[m["action"]] += 1
        elif m["Type"] == 104:
            snapshots += 1
    assert acks == {"subscribe": n, "unsubscribe": n} and snapshots == n
    ws.send(json.dumps({"action": "subscribe", "symbol": "NQ"}))
    assert json.loads(ws.recv())["success"] is True
    ws.close()
    assert bridge.get("/api/v1/health").status_code == 200


def test_a_slow_reader_is_dropped_and_slows_no_one(bridge):
    symbols = ["ES", "NQ", "ESZ6_FUT_CME", "NQZ6_FUT_CME"]
    slow = ws_connect(bridge, sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 2048),))
    for s in symbols:
        slow.send(json.dumps({"action": "subscribe", "symbol": s}))
    fast = ws_connect(bridge)
    fast.send(json.dumps({"action": "subscribe", "symbol": "ES"}))
    got = []
    stop = threading.Event()

    def read_fast():
        while not stop.is_set():
            try:
                m = json.loads(fast.recv())
            except Exception:
                return
            if m.get("Type") in (107, 108):
                got.append(time.time())
    t = threading.Thread(target=read_fast, daemon=True)
    t.start()

    def dropped():
        fams = {f.name: f for f in text_string_to_metric_families(bridge.get("/metrics").text)}
        return fams["v9bridge_ops_dropped_slow"].samples[0].value >= 1
    t0 = time.time()
    # The slow client never reads; meanwhile the API answers and the fast client is served.
    while not dropped():
        assert time.time() - t0 < 60, "the slow reader was never dropped"
        r = bridge.get("/api/v1/health")
        assert r.status_code == 200 and r.elapsed.total_seconds() < 0.5
        time.sleep(0.5)
    stop.set()
    span = time.time() - t0
    # ES updates at most once per publish (50 ms): the fast reader got them at the usual pace.
    recent = [g for g in got if g > t0 + 1]
    assert len(recent) >= 0.5 * (span - 1) * 20 * 0.5, (len(recent), span)
    fast.close()
    slow.close()
