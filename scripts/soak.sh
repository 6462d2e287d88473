#!/usr/bin/env bash
# Soak: demo-like load on the release binary for MINUTES, one line per minute with the engine's
# RSS, open fds and the signals lost (ids the server assigned that an observing receiver never
# read). Not part of CI (.ci/run); the README has the figures of a 10-minute run.
#
# usage: scripts/soak.sh MINUTES
#   env SOAK_RECEIVERS (5 simulated receivers, 20 accounts each), SOAK_SIGNAL_HZ (200 publisher
#   signals/s), SOAK_TICK_HZ (1000 pipe ticks/s; the feed adds a signal every 500 ticks).
# Load: `v9bridge run` with the pipe ingest, SOAK_RECEIVERS `sim receiver`s (they answer every
# signal with POSITIONs), `sim pipe-feed --signals`, and a publisher plus two observing
# receivers (python3, below) that count what arrives. Exits non-zero if any signal was lost.
set -euo pipefail
minutes=${1:?usage: scripts/soak.sh MINUTES}
receivers=${SOAK_RECEIVERS:-5}
signal_hz=${SOAK_SIGNAL_HZ:-200}
tick_hz=${SOAK_TICK_HZ:-1000}
cd "$(dirname "$0")/.."
cargo build --release -q
bin=$PWD/target/release/v9bridge
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
RUST_LOG=info "$bin" run --v9-listen "127.0.0.1:$port" --pin none --report-s 60 \
  --pipe "$work/feed.fifo" --journal "$work/journal" --ops-listen none >"$work/engine.log" 2>&1 &
engine=$!
pids+=("$engine")
for _ in $(seq 100); do grep -q "v9: listening on" "$work/engine.log" && break; sleep 0.1; done
grep -q "v9: listening on" "$work/engine.log" || { cat "$work/engine.log"; exit 1; }
sims=()
for i in $(seq "$receivers"); do
  "$bin" sim receiver --connect "127.0.0.1:$port" --name "soak$i" --accounts 20 \
    >"$work/receiver$i.log" 2>&1 &
  sims+=($!)
done
"$bin" sim pipe-feed --pipe "$work/feed.fifo" --rate "$tick_hz" --signals >"$work/feed.log" 2>&1 &
sims+=($!)
pids+=("${sims[@]}")
# The publisher starts once every simulated receiver is READY, so all of them see every id.
for _ in $(seq 100); do
  [ "$(grep -c ': soak[0-9]* READY as Receiver' "$work/engine.log")" -ge "$receivers" ] && break
  sleep 0.1
done
echo "soak: ${minutes} min, engine pid $engine, $receivers receivers, $signal_hz signals/s from" \
  "the publisher, $tick_hz ticks/s through the pipe; logs in $work"

status=0
python3 - "$port" "$minutes" "$engine" "$signal_hz" <<'PY' || status=$?
import os, random, socket, sys, threading, time

port, minutes, engine, hz = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
GRACE = 2.0  # an id counts as lost if an observer has not read it this long after its ack
lock = threading.Lock()

def conn(hello):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall((hello + "\n").encode())
    f = s.makefile("rb")
    ready = f.readline().decode()
    assert ready.startswith("READY|"), ready
    s.settimeout(None)
    return s, f

class Observer(threading.Thread):
    """A receiver that records every signal id it reads and heartbeats every 5 s."""
    def __init__(self, name):
        super().__init__(daemon=True)
        self.name, self.seen, self.drops = name, set(), 0
    def run(self):
        while True:
            s, f = conn(f"CONNECT|{self.name}|Account_Count:0|Version:1.0")
            beat = threading.Thread(target=self.beat, args=(s,), daemon=True)
            beat.start()
            for line in f:
                last = line.rstrip(b"\r\n").rsplit(b"|", 1)[-1]
                if last.startswith(b"ID:"):
                    with lock:
                        self.seen.add(int(last[3:]))
            self.drops += 1  # disconnected: count it and connect again
    def beat(self, s):
        try:
            while True:
                time.sleep(5)
                s.sendall(f"HEARTBEAT|{self.name}|ok\n".encode())
        except OSError:
            pass

acks = []  # (ack time, id)
def publish():
    s, f = conn("CONNECT|soak-pub|Account_Count:0|Role:Publisher")
    def read_acks():
        for line in f:
            p = line.decode().split("|")
            if p[0] == "SIGNAL_ACK":
                with lock:
                    acks.append((time.monotonic(), int(p[1])))
    threading.Thread(target=read_acks, daemon=True).start()
    sigs = ["LONG|MES|1|TP:4600|SL:4400", "SHORT|MES|2", "CLOSE_HALF|MES|0", "CLOSE_ONE|ES|0",
            "REVERSE|ES|1", "LONG|ES|1", "FLATTEN|ALL|0"]
    start, n = time.monotonic(), 0
    while True:
        n += 1
        due = start + n / hz
        time.sleep(max(0.0, due - time.monotonic()))
        s.sendall((random.choice(sigs) + "\n").encode())

def proc(pid, what):
    if what == "fds":
        return len(os.listdir(f"/proc/{pid}/fd"))
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS:"):
            return int(l.split()[1]) / 1024

observers = [Observer("soak-observer-1"), Observer("soak-observer-2")]
for o in observers:
    o.start()
time.sleep(0.5)
threading.Thread(target=publish, daemon=True).start()
print(f"{'minute':>6} {'rss_MiB':>8} {'fds':>5} {'ids':>7} {'lost':>5} {'reconnects':>10}", flush=True)
print(f"{0:>6} {proc(engine, 'rss'):>8.1f} {proc(engine, 'fds'):>5} {'-':>7} {'-':>5} {0:>10}", flush=True)
t0, upto, total_lost, total = time.monotonic(), 0, 0, 0

def check(now):
    """Ids up to the last one acked GRACE ago are due; counts those an observer lacks."""
    global upto, total_lost, total
    with lock:
        due = max([i for t, i in acks if t <= now - GRACE], default=upto)
        lost = sum(1 for o in observers for i in range(upto + 1, due + 1) if i not in o.seen)
    ids, upto = due - upto, due
    total_lost += lost
    total += ids
    return ids, lost

for minute in range(1, int(minutes) + 1):
    time.sleep(max(0.0, t0 + 60 * minute - time.monotonic()))
    ids, lost = check(time.monotonic())
    drops = sum(o.drops for o in observers)
    print(f"{minute:>6} {proc(engine, 'rss'):>8.1f} {proc(engine, 'fds'):>5} {ids:>7} {lost:>5} {drops:>10}", flush=True)
time.sleep(GRACE + 1)  # the publisher keeps going: late ids are checked at the next line
ids, lost = check(time.monotonic())
print(f"soak: {total + ids} signal ids checked at 2 observers, {total_lost + lost} lost", flush=True)
sys.exit(1 if total_lost + lost else 0)
PY

# Stop the peers first (each prints its summary), then the engine (percentile table).
for p in "${sims[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
for p in "${sims[@]}"; do wait "$p" 2>/dev/null || true; done
grep -h "signals, .* id gaps" "$work"/receiver*.log || true
grep -h "^pipe-feed" "$work/feed.log" || true
kill -TERM "$engine"
wait "$engine" || status=1
echo "engine log: $(grep -c ' WARN ' "$work/engine.log" || true) WARN, $(grep -c ' ERROR ' "$work/engine.log" || true) ERROR lines"
grep -E ' (WARN|ERROR) ' "$work/engine.log" | sed -E 's/^\[[^]]*\] *//' | cut -c1-160 | sort | uniq -c |
  sort -rn | head -5
exit "$status"
