# Interop probe for the DTC simulator from independent clients (python websocket-client + struct).
# Usage: cargo run --example dtc_sim -- --listen 127.0.0.1:18099 & python3 tests/interop/dtc_interop.py 18099
# Needs: pip install websocket-client
# Independent interop probe: python-ws-dtc-client style WebSocket JSON, and a struct-based binary client.
import json, socket, struct, sys, time
import websocket

port = int(sys.argv[1])
# --- WebSocket, JSON, keys sorted, trailing NUL, no ENCODING_REQUEST (python-ws-dtc-client style)
ws = websocket.create_connection(f"ws://127.0.0.1:{port}/", timeout=5)
def send(o): ws.send(json.dumps(o, sort_keys=True) + "\x00")
send({"Type": 1, "ProtocolVersion": 8, "HeartbeatIntervalInSeconds": 60, "ClientName": "DTC Client", "TradeMode": 2})
send({"Type": 101, "RequestAction": 1, "SymbolID": 7, "Symbol": "ESZ6_FUT_CME"})
send({"Type": 506, "RequestID": 3, "Symbol": "ESZ6_FUT_CME"})
# A market order (Sim2: the binary client below checks its own Sim1 position): its ORDER_UPDATEs
# carry unset prices (Price1, AverageFillPrice before the fill).
send({"Type": 208, "Symbol": "XAUUSD", "TradeAccount": "Sim2", "ClientOrderID": "ws1",
      "OrderType": 1, "BuySell": 1, "Quantity": 1})
seen, texts, market_data = {}, [], 0
t0 = time.time()
# Every market-data variant comes round at least three times (eight variants per cycle).
while time.time() - t0 < 5 and (len(seen) < 7 or market_data < 24):
    text = ws.recv()
    m = json.loads(text)  # must parse: no trailing NUL from the server
    texts.append(text)
    seen.setdefault(m["Type"], m)
    market_data += 106 <= m["Type"] <= 146
ws.close()
assert seen[2]["Result"] == 1, seen.get(2)
assert abs(seen[507]["DisplayPriceMultiplier"] - 0.01) < 1e-6, seen[507]
assert 104 in seen and seen[104]["SymbolID"] == 7
assert 301 in seen and market_data >= 24, (sorted(seen), market_data)
# Sierra Chart's JSON: unset fields are 0, never the binary markers DBL_MAX / FLT_MAX / UINT_MAX.
for text in texts:
    for marker in ("1.797", "3.4028", "4294967295", "e308", "e+308", "e38", "e+38"):
        assert marker not in text, (marker, text)
assert seen[104]["SessionSettlementPrice"] == 0 and seen[104]["SessionNumTrades"] == 0, seen[104]
assert seen[301]["Price1"] == 0, seen[301]
# Types python-ws-dtc-client (2020 header) cannot parse are not sent over WebSocket.
assert 143 not in seen and 146 not in seen, sorted(seen)
print("ws ok, types seen:", sorted(seen))

# --- Binary, offsets from DTCProtocol.h (the layouts checked in src/dtc/tests/header.rs)
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(bytes.fromhex("10000600080000000000000044544300"))
def recv_frame():
    h = b""
    while len(h) < 4: h += s.recv(4 - len(h))
    size, typ = struct.unpack("<HH", h)
    body = b""
    while len(body) < size - 4: body += s.recv(size - 4 - len(body))
    return typ, h + body
typ, f = recv_frame(); assert typ == 7 and struct.unpack_from("<i", f, 8)[0] == 0, (typ, f)
logon = bytearray(284); struct.pack_into("<HHi", logon, 0, 284, 1, 8); struct.pack_into("<i", logon, 144, 10)
logon[248:248+6] = b"pyprob"
s.sendall(logon)
typ, f = recv_frame(); assert typ == 2 and struct.unpack_from("<i", f, 8)[0] == 1
# 296 bytes: an older client's SUBMIT_NEW_SINGLE_ORDER (the newest header's is 304, with
# IntendedPositionQuantity appended); the server takes defaults for what Size leaves out.
order = bytearray(296); struct.pack_into("<HH", order, 0, 296, 208)
order[4:4+6] = b"XAUUSD"; order[84:84+4] = b"Sim1"; order[116:116+3] = b"py1"
struct.pack_into("<ii", order, 148, 1, 1); struct.pack_into("<d", order, 176, 3.0)
s.sendall(order)
got = []
while len(got) < 3:
    typ, f = recv_frame()
    if typ == 301:
        got.append(("ORDER_UPDATE", f[128:160].split(b"\0")[0], struct.unpack_from("<i", f, 224)[0], struct.unpack_from("<d", f, 296)[0]))
    if typ == 306:
        got.append(("POSITION_UPDATE", f[16:80].split(b"\0")[0], struct.unpack_from("<d", f, 96)[0], f[144:176].split(b"\0")[0]))
print("binary ok:", got)
assert got[1][2] == 7 and got[2][2] == 3.0 and got[2][3] == b"Sim1"
