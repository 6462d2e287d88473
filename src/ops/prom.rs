//! `/metrics` in the Prometheus text exposition format (0.0.4), written by hand from the
//! snapshot: counters (`_total`), gauges, and every latency histogram as a summary (quantiles
//! from HdrHistogram, `_sum`, `_count`). The format is a few lines of text; an encoder crate
//! would want its own registry of live metric objects, which the snapshot already is.

use super::server::{Mode, Server};
use super::snapshot::QUANTILES;
use std::fmt::Write as _;

/// Text being built: one `# HELP`/`# TYPE` per family, then its samples.
struct Text(String);

impl Text {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                let _ = write!(self.0, "{k}=\"");
                for ch in v.chars() {
                    match ch {
                        '\\' => self.0.push_str("\\\\"),
                        '"' => self.0.push_str("\\\""),
                        '\n' => self.0.push_str("\\n"),
                        c => self.0.push(c),
                    }
                }
                self.0.push('"');
            }
            self.0.push('}');
        }
        if value.is_nan() {
            self.0.push_str(" NaN\n");
        } else {
            let _ = writeln!(self.0, " {value}");
        }
    }

    fn one(&mut self, name: &str, kind: &str, help: &str, value: f64) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }
}

/// The kill switch, refusals and every account's loss-limit headroom (no limit: NaN).
fn risk_metrics(t: &mut Text, r: &super::risk::RiskRow) {
    t.one("v9bridge_risk_kill_switch", "gauge", "1 while the kill switch is on.", f(r.killed));
    t.one(
        "v9bridge_risk_refused_total",
        "counter",
        "Signals refused by a risk rule.",
        r.refused as f64,
    );
    type Get = fn(&super::risk::AccountRow) -> f64;
    let families: [(&str, &str, Get); 4] = [
        ("v9bridge_account_loss_left", "Dollars left before the daily loss limit.", |a| {
            a.loss_left.unwrap_or(f64::NAN)
        }),
        ("v9bridge_account_drawdown_left", "Dollars left before the trailing drawdown.", |a| {
            a.drawdown_left.unwrap_or(f64::NAN)
        }),
        ("v9bridge_account_session_pnl", "Session P&L, dollars.", |a| a.session_pnl),
        ("v9bridge_account_excluded", "1 while excluded by a loss limit.", |a| f(a.excluded)),
    ];
    for (name, help, get) in families {
        t.family(name, "gauge", help);
        for a in &r.accounts {
            t.sample(name, &[("account", &a.account)], get(a));
        }
    }
}

fn f(b: bool) -> f64 {
    f64::from(u8::from(b))
}

impl Server {
    /// The whole `/metrics` page.
    pub(crate) fn metrics_text(&self) -> String {
        let s = &self.view.snap;
        let mut t = Text(String::with_capacity(8192));
        self.loop_metrics(&mut t);
        if let Some(v) = &s.v9 {
            v9_metrics(&mut t, v);
        }
        receiver_metrics(&mut t, s);
        if let Some(p) = &s.pipe {
            pipe_metrics(&mut t, p);
        }
        if !s.dtc.is_empty() {
            dtc_metrics(&mut t, &s.dtc);
        }
        if let Some(r) = &s.risk {
            risk_metrics(&mut t, r);
        }
        quote_metrics(&mut t, &s.quotes);
        latency_metrics(&mut t, &s.latency);
        link_metrics(&mut t, &s.link);
        self.ops_metrics(&mut t);
        t.0
    }

    /// Whether the engine loop still turns.
    fn loop_metrics(&self, t: &mut Text) {
        let healthy = self.loop_age().is_some_and(|a| a.as_secs_f64() < 1.0);
        t.one(
            "v9bridge_loop_healthy",
            "gauge",
            "1 when the engine loop turned within 1 s.",
            healthy as u8 as f64,
        );
        let age = self.loop_age().map_or(f64::NAN, |a| a.as_secs_f64());
        t.one("v9bridge_loop_age_seconds", "gauge", "Time since the loop last published.", age);
    }

    /// The ops thread's own connections and requests.
    fn ops_metrics(&self, t: &mut Text) {
        let st = &self.stats;
        t.one(
            "v9bridge_ops_connections",
            "gauge",
            "Open ops connections.",
            self.conns.len() as f64,
        );
        let streams = self
            .conns
            .iter()
            .filter(|(_, c)| matches!(c.mode, Mode::Sse { .. } | Mode::Ws(_)))
            .count();
        t.one("v9bridge_ops_streams", "gauge", "Open SSE and WebSocket clients.", streams as f64);
        t.one(
            "v9bridge_ops_requests_total",
            "counter",
            "HTTP requests answered.",
            st.requests as f64,
        );
        t.one(
            "v9bridge_ops_refused_total",
            "counter",
            "Ops connections refused (full).",
            st.refused as f64,
        );
        t.one(
            "v9bridge_ops_dropped_slow_total",
            "counter",
            "Streaming clients dropped for not reading.",
            st.dropped_slow as f64,
        );
        t.one(
            "v9bridge_ops_conflated_total",
            "counter",
            "Pushes replaced by newer state.",
            st.conflated as f64,
        );
    }
}

/// The V9 server's counters and output queue.
fn v9_metrics(t: &mut Text, v: &super::snapshot::V9Row) {
    let c = [
        ("v9bridge_v9_signals_total", "Signals broadcast.", v.signals),
        ("v9bridge_v9_rejected_signals_total", "Signals refused.", v.rejected_signals),
        (
            "v9bridge_route_skipped_receivers_total",
            "READY receivers a routed signal skipped (no target account).",
            v.route_skipped_receivers,
        ),
        ("v9bridge_v9_bad_messages_total", "Bad V9 messages received.", v.bad_messages),
        ("v9bridge_v9_accepted_total", "V9 connections accepted.", v.accepted),
        ("v9bridge_v9_refused_total", "V9 connections refused (full).", v.refused),
        ("v9bridge_v9_overflows_total", "Receivers dropped: output queue full.", v.overflows),
        ("v9bridge_v9_timeouts_total", "V9 clients closed for silence.", v.timeouts),
        ("v9bridge_v9_summaries_total", "POSITION_SUMMARY answers with ID.", v.summaries_with_id),
    ];
    for (name, help, value) in c {
        t.one(name, "counter", help, value as f64);
    }
    t.one(
        "v9bridge_v9_queued_bytes",
        "gauge",
        "Output queued over all V9 clients.",
        v.queued_bytes as f64,
    );
}

/// Connected peers, their accounts and positions, and answers still owed per receiver.
fn receiver_metrics(t: &mut Text, s: &super::snapshot::Snapshot) {
    let receivers = s.receivers.iter().filter(|r| r.role == "receiver");
    let accounts: u64 = receivers.clone().map(|r| r.accounts as u64).sum();
    t.one("v9bridge_receivers", "gauge", "Connected copy receivers.", receivers.count() as f64);
    let publishers = s.receivers.iter().filter(|r| r.role == "publisher").count();
    t.one("v9bridge_publishers", "gauge", "Connected publishers.", publishers as f64);
    t.one("v9bridge_accounts", "gauge", "Accounts declared by the receivers.", accounts as f64);
    let total = s.positions.len() as u64 + s.positions_left_out;
    t.one("v9bridge_positions", "gauge", "Position rows reported by receivers.", total as f64);
    let open = s.positions.iter().filter(|p| p.signed_qty != 0).count();
    t.one("v9bridge_positions_open", "gauge", "Listed positions not flat.", open as f64);
    let oos = s.positions.iter().filter(|p| p.out_of_sync).count();
    t.one(
        "v9bridge_positions_out_of_sync",
        "gauge",
        "Positions not flat after a FLATTEN check.",
        oos as f64,
    );
    t.family(
        "v9bridge_receiver_pending_summaries",
        "gauge",
        "Signals awaiting a POSITION_SUMMARY, per receiver.",
    );
    for r in s.receivers.iter().filter(|r| r.role == "receiver") {
        t.sample(
            "v9bridge_receiver_pending_summaries",
            &[("receiver", &r.name)],
            r.pending_summaries as f64,
        );
    }
}

/// The ACSIL pipe's input, by outcome.
fn pipe_metrics(t: &mut Text, p: &super::snapshot::PipeRow) {
    t.family("v9bridge_pipe_bad_input_total", "counter", "Pipe input dropped, by reason.");
    for (reason, n) in &p.bad {
        t.sample("v9bridge_pipe_bad_input_total", &[("reason", reason)], *n as f64);
    }
    t.one("v9bridge_pipe_ticks_total", "counter", "Pipe ticks applied.", p.ticks as f64);
    t.one("v9bridge_pipe_messages_total", "counter", "Pipe messages decoded.", p.messages as f64);
    t.one("v9bridge_pipe_bytes_total", "counter", "Pipe bytes read.", p.bytes as f64);
    t.one("v9bridge_pipe_signals_total", "counter", "Pipe signals handed on.", p.signals as f64);
    t.one(
        "v9bridge_pipe_signals_refused_total",
        "counter",
        "Pipe signals refused.",
        p.signals_refused as f64,
    );
}

/// Every DTC connection, one sample per family each.
fn dtc_metrics(t: &mut Text, dtc: &[super::snapshot::DtcRow]) {
    type Get = fn(&super::snapshot::DtcRow) -> f64;
    let families: [(&str, &str, &str, Get); 7] = [
        ("v9bridge_dtc_logged_on", "gauge", "1 while logged on.", |d| d.logged_on as u8 as f64),
        ("v9bridge_dtc_messages_total", "counter", "DTC messages decoded.", |d| d.messages as f64),
        ("v9bridge_dtc_market_data_total", "counter", "DTC market-data messages applied.", |d| {
            d.market_data as f64
        }),
        ("v9bridge_dtc_bad_input_total", "counter", "Undecodable DTC messages skipped.", |d| {
            d.bad as f64
        }),
        ("v9bridge_dtc_resets_total", "counter", "DTC streams reset.", |d| d.resets as f64),
        ("v9bridge_dtc_reconnects_total", "counter", "DTC reconnects.", |d| d.reconnects as f64),
        ("v9bridge_dtc_open_orders", "gauge", "Working DTC orders.", |d| d.open_orders as f64),
    ];
    for (name, kind, help, get) in families {
        t.family(name, kind, help);
        for d in dtc {
            t.sample(name, &[("connection", &d.short)], get(d));
        }
    }
}

/// How long since every quote last moved.
fn quote_metrics(t: &mut Text, quotes: &[super::snapshot::QuoteRow]) {
    t.family("v9bridge_quote_age_seconds", "gauge", "Time since the last update, per symbol.");
    for q in quotes {
        t.sample(
            "v9bridge_quote_age_seconds",
            &[("symbol", &q.symbol), ("feed", q.feed)],
            q.age_ms as f64 / 1e3,
        );
    }
}

/// Every latency histogram as a summary: its quantiles, `_sum` and `_count`.
fn latency_metrics(t: &mut Text, latency: &[super::snapshot::HistRow]) {
    t.family("v9bridge_latency_seconds", "summary", "Latency per hop (HdrHistogram).");
    for h in latency {
        for (q, v) in QUANTILES.iter().zip(h.percentiles_ns) {
            let q = q.to_string();
            t.sample(
                "v9bridge_latency_seconds",
                &[("hop", &h.name), ("quantile", &q)],
                v as f64 / 1e9,
            );
        }
        let sum = h.mean_ns * h.count as f64 / 1e9;
        t.sample("v9bridge_latency_seconds_sum", &[("hop", &h.name)], sum);
        t.sample("v9bridge_latency_seconds_count", &[("hop", &h.name)], h.count as f64);
    }
}

/// How the loop's snapshot publishing is doing.
fn link_metrics(t: &mut Text, l: &super::snapshot::LinkCounters) {
    t.one(
        "v9bridge_ops_snapshots_total",
        "counter",
        "Snapshots the loop published.",
        l.snapshots as f64,
    );
    t.one(
        "v9bridge_ops_snapshots_skipped_total",
        "counter",
        "Publishes skipped (ops thread behind).",
        l.skipped as f64,
    );
    t.one(
        "v9bridge_ops_events_dropped_total",
        "counter",
        "Signal events dropped (queue full).",
        l.events_dropped as f64,
    );
    t.one(
        "v9bridge_ops_fill_seconds",
        "gauge",
        "Loop time of the last snapshot fill.",
        l.fill_ns as f64 / 1e9,
    );
    let max = l.fill_max_ns as f64 / 1e9;
    t.one("v9bridge_ops_fill_max_seconds", "gauge", "Loop time of the longest fill.", max);
    let quiet = l.unchanged as f64;
    t.one("v9bridge_ops_unchanged_total", "counter", "Publishes skipped: nothing changed.", quiet);
}
