// V9BridgePipeExport: ACSIL study that exports ticks (and optional signals) from a Sierra Chart
// chart into the v9bridge engine's named pipe, without ever blocking Sierra Chart's thread.
//
// Why it looks the way it does (compared with a simple pipe-export study that blocks):
// - The ENGINE is the pipe server; the study is a client (CreateFileA). The study never waits
//   for a reader: if the pipe is absent it retries at most every "Reconnect interval" ms.
// - Writes are non-blocking (PIPE_NOWAIT). A full pipe means the engine is behind: the study
//   drops whole new messages and counts them instead of stalling the chart.
// - Every message is one JSON object ended by LF, so the reader can resynchronise.
// - A partially written message (a nonblocking byte-mode pipe may take only part of a write)
//   is finished first on the next call, so framing is never broken by a drop.
// - Ticks carry ts_us (Unix microseconds, GetSystemTimePreciseAsFileTime) and a per-chart seq.
// - State lives in sc.GetPersistentPointer storage and the handle is closed on
//   sc.LastCallToFunction.

#include "sierrachart.h"

#include <windows.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

SCDLLName("V9Bridge Pipe Export")

namespace {

const int kPendingCap = 8192;    // unfinished bytes of at most one message (< 4 KiB) + slack
const int kMessageCap = 1024;    // our messages are ~120 bytes
const int kMaxSymbol = 64;        // longer symbols are refused, not cut (the engine takes 32)

struct ExportState {
    HANDLE pipe;
    DWORD lastAttemptMs;         // GetTickCount() of the last connect attempt
    char pending[kPendingCap];   // tail of a message the pipe accepted only partly
    int pendingLen;
    double lastPrice, lastBid, lastAsk;
    long long seq;
    long long sent, dropped, connects;
    DWORD lastReportMs;
};

enum Inputs {
    IN_PIPE_NAME = 0,
    IN_RECONNECT_MS,
    IN_EXPORT_TICKS,
    IN_SIGNAL_ACTION,
    IN_SIGNAL_SYMBOL,
    IN_SIGNAL_QTY,
    IN_SIGNAL_TP,
    IN_SIGNAL_SL,
    IN_REPORT_S,
};

const char* const kActions[] = {"NONE", "LONG", "SHORT", "FLATTEN", "CLOSE_HALF", "CLOSE_ONE", "REVERSE"};

long long UnixMicros() {
    FILETIME ft;
    GetSystemTimePreciseAsFileTime(&ft);
    unsigned long long t = ((unsigned long long)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
    // FILETIME counts 100 ns since 1601-01-01; 11644473600 s separate it from 1970-01-01.
    return (long long)((t - 116444736000000000ULL) / 10ULL);
}

void ClosePipe(ExportState* st) {
    if (st->pipe != INVALID_HANDLE_VALUE) {
        CloseHandle(st->pipe);
        st->pipe = INVALID_HANDLE_VALUE;
    }
    st->pendingLen = 0;  // the next connection starts a new byte stream
}

// Opens the pipe if it is time to try; returns true when connected.
bool EnsureConnected(SCStudyInterfaceRef sc, ExportState* st) {
    if (st->pipe != INVALID_HANDLE_VALUE) return true;
    DWORD now = GetTickCount();
    DWORD interval = (DWORD)(sc.Input[IN_RECONNECT_MS].GetInt() > 0 ? sc.Input[IN_RECONNECT_MS].GetInt() : 1000);
    if (st->lastAttemptMs != 0 && now - st->lastAttemptMs < interval) return false;
    st->lastAttemptMs = now ? now : 1;
    HANDLE h = CreateFileA(sc.Input[IN_PIPE_NAME].GetString(), GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE) return false;  // engine not running, or busy with a previous client
    DWORD mode = PIPE_READMODE_BYTE | PIPE_NOWAIT;
    if (!SetNamedPipeHandleState(h, &mode, NULL, NULL)) {
        CloseHandle(h);  // never keep a handle whose writes could block the chart
        return false;
    }
    st->pipe = h;
    st->pendingLen = 0;
    st->connects++;
    SCString msg;
    msg.Format("V9Bridge: connected to %s", sc.Input[IN_PIPE_NAME].GetString());
    sc.AddMessageToLog(msg, 0);
    return true;
}

// One nonblocking WriteFile; returns bytes accepted, or -1 if the engine went away.
int WriteSome(SCStudyInterfaceRef sc, ExportState* st, const char* data, int len) {
    DWORD written = 0;
    if (!WriteFile(st->pipe, data, (DWORD)len, &written, NULL)) {
        DWORD err = GetLastError();
        ClosePipe(st);
        SCString msg;
        msg.Format("V9Bridge: pipe closed (error %lu), reconnecting", (unsigned long)err);
        sc.AddMessageToLog(msg, 0);
        return -1;
    }
    return (int)written;
}

// Finishes a partly written message; true when nothing is pending any more.
bool FlushPending(SCStudyInterfaceRef sc, ExportState* st) {
    if (st->pendingLen == 0) return true;
    int n = WriteSome(sc, st, st->pending, st->pendingLen);
    if (n < 0) return false;
    memmove(st->pending, st->pending + n, (size_t)(st->pendingLen - n));
    st->pendingLen -= n;
    return st->pendingLen == 0;
}

// Sends one whole message or drops it (and counts it); never blocks. True when sent.
bool Send(SCStudyInterfaceRef sc, ExportState* st, const char* msg, int len) {
    if (len <= 0 || len >= kPendingCap || !EnsureConnected(sc, st) || !FlushPending(sc, st)) {
        st->dropped++;
        return false;
    }
    int n = WriteSome(sc, st, msg, len);
    if (n <= 0) {
        st->dropped++;  // engine gone, or pipe full (the engine is behind: stale ticks are worthless)
        return false;
    }
    if (n < len) {  // keep the rest so the reader never sees half a message
        memcpy(st->pending, msg + n, (size_t)(len - n));
        st->pendingLen = len - n;
    }
    st->sent++;
    return true;
}

// Appends `"key":value` for a finite positive number; skips NaN/inf/zero (unknown quote).
int AppendPrice(char* buf, int pos, int cap, const char* key, double v) {
    if (!(v > 0.0) || !isfinite(v) || pos >= cap) return pos;
    int n = snprintf(buf + pos, (size_t)(cap - pos), ",\"%s\":%.10g", key, v);
    return (n > 0 && pos + n < cap) ? pos + n : pos;
}

// Writes `s` as a JSON string body (escapes quote and backslash, drops control characters).
int AppendJsonString(char* buf, int pos, int cap, const char* s) {
    for (; *s && pos < cap - 2; ++s) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20) continue;
        if (c == '"' || c == '\\') buf[pos++] = '\\';
        buf[pos++] = (char)c;
    }
    return pos;
}

// True for a non-empty string of at most kMaxSymbol bytes (reads at most kMaxSymbol + 1).
bool SymbolFits(const char* s) {
    if (s == NULL || s[0] == 0) return false;
    for (int i = 0; i <= kMaxSymbol; ++i)
        if (s[i] == 0) return true;
    return false;
}

void ExportTick(SCStudyInterfaceRef sc, ExportState* st) {
    int last = sc.ArraySize - 1;
    if (last < 0) return;
    double price = sc.BaseData[SC_LAST][last];
    double bid = sc.Bid, ask = sc.Ask;
    if (price == st->lastPrice && bid == st->lastBid && ask == st->lastAsk) return;  // nothing new
    if (!(price > 0.0) && !(bid > 0.0) && !(ask > 0.0)) return;
    st->lastPrice = price;
    st->lastBid = bid;
    st->lastAsk = ask;
    if (!SymbolFits(sc.Symbol.GetChars())) return;
    char buf[kMessageCap];
    int pos = snprintf(buf, sizeof buf, "{\"symbol\":\"");
    if (pos < 0 || pos >= kMessageCap) return;
    pos = AppendJsonString(buf, pos, kMessageCap, sc.Symbol.GetChars());
    buf[pos++] = '"';
    pos = AppendPrice(buf, pos, kMessageCap, "price", price);
    if (bid > 0.0 && ask > 0.0 && bid > ask) bid = ask = 0.0;  // a crossed snapshot: send the trade only
    pos = AppendPrice(buf, pos, kMessageCap, "bid", bid);
    pos = AppendPrice(buf, pos, kMessageCap, "ask", ask);
    int n = snprintf(buf + pos, (size_t)(kMessageCap - pos), ",\"ts_us\":%lld,\"seq\":%lld}\n", UnixMicros(), ++st->seq);
    if (n < 0 || pos + n >= kMessageCap) return;
    Send(sc, st, buf, pos + n);
}

// A signal set from the study's inputs is sent once, then the action input goes back to NONE.
void ExportSignal(SCStudyInterfaceRef sc, ExportState* st) {
    int action = sc.Input[IN_SIGNAL_ACTION].GetIndex();
    if (action <= 0 || action >= (int)(sizeof kActions / sizeof kActions[0])) return;
    sc.Input[IN_SIGNAL_ACTION].SetCustomInputIndex(0);
    const char* sym = sc.Input[IN_SIGNAL_SYMBOL].GetString();
    if (sym == NULL || sym[0] == 0) sym = sc.Symbol.GetChars();
    if (!SymbolFits(sym)) {
        sc.AddMessageToLog("V9Bridge: signal DROPPED: symbol empty or longer than 64 bytes", 1);
        return;
    }
    char buf[kMessageCap];
    int pos = snprintf(buf, sizeof buf, "{\"signal\":\"%s\",\"symbol\":\"", kActions[action]);
    if (pos < 0 || pos >= kMessageCap) return;
    pos = AppendJsonString(buf, pos, kMessageCap, sym);
    // snprintf returns the untruncated length: check it before moving pos, or the next call
    // gets a negative size turned huge and writes past the stack buffer.
    int q = snprintf(buf + pos, (size_t)(kMessageCap - pos), "\",\"qty\":%d", sc.Input[IN_SIGNAL_QTY].GetInt());
    if (q < 0 || pos + q >= kMessageCap) return;
    pos += q;
    pos = AppendPrice(buf, pos, kMessageCap, "tp", sc.Input[IN_SIGNAL_TP].GetFloat());
    pos = AppendPrice(buf, pos, kMessageCap, "sl", sc.Input[IN_SIGNAL_SL].GetFloat());
    int n = snprintf(buf + pos, (size_t)(kMessageCap - pos), ",\"ts_us\":%lld}\n", UnixMicros());
    if (n < 0 || pos + n >= kMessageCap) return;
    bool sent = Send(sc, st, buf, pos + n);
    SCString msg;
    msg.Format("V9Bridge: signal %s %s %s", kActions[action], sym,
               sent ? "sent" : "DROPPED (engine not connected or not keeping up)");
    sc.AddMessageToLog(msg, 1);  // a lost signal must be seen: open the Message Log
}

void Report(SCStudyInterfaceRef sc, ExportState* st) {
    int every_s = sc.Input[IN_REPORT_S].GetInt();
    if (every_s <= 0) return;
    DWORD now = GetTickCount();
    if (now - st->lastReportMs < (DWORD)every_s * 1000) return;
    st->lastReportMs = now;
    SCString msg;
    msg.Format("V9Bridge: sent %lld, dropped %lld, connects %lld, %s", st->sent, st->dropped, st->connects,
               st->pipe != INVALID_HANDLE_VALUE ? "connected" : "not connected");
    sc.AddMessageToLog(msg, 0);
}

}  // namespace

SCSFExport scsf_V9BridgePipeExport(SCStudyInterfaceRef sc) {
    if (sc.SetDefaults) {
        sc.GraphName = "V9Bridge Pipe Export";
        sc.StudyDescription = "Exports ticks and signals to the v9bridge engine through a named pipe, never blocking.";
        sc.AutoLoop = 0;  // one export per chart update, not one per bar
        sc.GraphRegion = 0;
        sc.FreeDLL = 0;
        sc.Input[IN_PIPE_NAME].Name = "Pipe name";
        sc.Input[IN_PIPE_NAME].SetString("\\\\.\\pipe\\SierraChartData");
        sc.Input[IN_RECONNECT_MS].Name = "Reconnect interval (ms)";
        sc.Input[IN_RECONNECT_MS].SetInt(1000);
        sc.Input[IN_EXPORT_TICKS].Name = "Export ticks";
        sc.Input[IN_EXPORT_TICKS].SetYesNo(1);
        sc.Input[IN_SIGNAL_ACTION].Name = "Send signal (once, then back to NONE)";
        sc.Input[IN_SIGNAL_ACTION].SetCustomInputStrings("NONE;LONG;SHORT;FLATTEN;CLOSE_HALF;CLOSE_ONE;REVERSE");
        sc.Input[IN_SIGNAL_ACTION].SetCustomInputIndex(0);
        sc.Input[IN_SIGNAL_SYMBOL].Name = "Signal symbol (empty = chart symbol)";
        sc.Input[IN_SIGNAL_SYMBOL].SetString("");
        sc.Input[IN_SIGNAL_QTY].Name = "Signal quantity";
        sc.Input[IN_SIGNAL_QTY].SetInt(1);
        sc.Input[IN_SIGNAL_TP].Name = "Signal take-profit price (0 = none)";
        sc.Input[IN_SIGNAL_TP].SetFloat(0.0f);
        sc.Input[IN_SIGNAL_SL].Name = "Signal stop-loss price (0 = none)";
        sc.Input[IN_SIGNAL_SL].SetFloat(0.0f);
        sc.Input[IN_REPORT_S].Name = "Log counters every N seconds (0 = never)";
        sc.Input[IN_REPORT_S].SetInt(60);
        return;
    }

    void*& slot = sc.GetPersistentPointer(1);
    ExportState* st = static_cast<ExportState*>(slot);

    if (sc.LastCallToFunction) {
        if (st != NULL) {
            ClosePipe(st);
            delete st;
            slot = NULL;
        }
        return;
    }

    if (st == NULL) {
        st = new ExportState();
        memset(st, 0, sizeof *st);
        st->pipe = INVALID_HANDLE_VALUE;
        slot = st;
    }

    // History loads and recalculations replay old bars: only live updates are ticks.
    if (sc.IsFullRecalculation) return;

    if (sc.Input[IN_EXPORT_TICKS].GetYesNo()) ExportTick(sc, st);
    ExportSignal(sc, st);
    Report(sc, st);
}
