//! DTC through the engine: market data read → applied, and order submit → first ORDER_UPDATE.

use super::*;

impl Bench {
    /// DTC through the engine: market-data message read → market state updated (simulated
    /// Sierra Chart streaming every ms), and order submit → first ORDER_UPDATE, per encoding.
    pub(super) fn dtc(&mut self, tcp_base: &LatencyHist) -> io::Result<()> {
        use v9bridge::dtc::Encoding;
        for (enc, encoding) in [("binary", Encoding::Binary), ("compact", Encoding::JsonCompact)] {
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let sim = v9bridge::sim::dtc_server::DtcServerArgs {
                listen: "127.0.0.1:0".into(),
                tick_ms: 1,
                ..Default::default()
            };
            let (addr, join) = v9bridge::sim::dtc_server::spawn(&sim, stop.clone())?;
            let mut cfg = self.config();
            cfg.dtc.insert(
                "bench".into(),
                v9bridge::dtc::DtcConfig {
                    addr: addr.to_string(),
                    encoding,
                    symbols: vec!["ESZ6_FUT_CME".into(), "NQZ6_FUT_CME".into()],
                    ..Default::default()
                },
            );
            let e = self.start(cfg)?;
            let synced = || {
                let dtc_quotes = |_: &mut Endpoints, c: &mut CallCtx<'_>| {
                    c.market.iter().any(|(_, q)| q.feed == v9bridge::market::Feed::Dtc)
                };
                e.handle.call(dtc_quotes, Duration::from_secs(2)).unwrap_or(false)
            };
            let limit = Instant::now() + Duration::from_secs(20);
            while !synced() && Instant::now() < limit {
                std::thread::sleep(Duration::from_millis(20));
            }
            e.reset();
            // Market data alone first: its allocations are the hot-path figure.
            let before = ENGINE_ALLOCS.load(Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(if self.quick { 300 } else { 2000 }));
            let md_allocs = ENGINE_ALLOCS.load(Ordering::Relaxed) - before;
            let before = ENGINE_ALLOCS.load(Ordering::Relaxed);
            let orders = if self.quick { 50 } else { 300 };
            for _ in 0..orders {
                let order = |e: &mut Endpoints, c: &mut CallCtx<'_>| {
                    let r = OrderRequest {
                        symbol: "ESZ6_FUT_CME".into(),
                        qty: 1.0,
                        ..Default::default()
                    };
                    e.dtc_mut("bench").map(|d| d.submit(&r, c.now))
                };
                let _ = e.handle.call(order, Duration::from_secs(5));
                std::thread::sleep(Duration::from_millis(if self.quick { 10 } else { 20 }));
            }
            let allocs = ENGINE_ALLOCS.load(Ordering::Relaxed) - before;
            let o = e.stop()?;
            stop.store(true, Ordering::SeqCst);
            let _ = join.join();
            let md = hist(&o, "dtc.bench.read_to_handled");
            self.notes.push(format!(
                "dtc {enc}: {} messages handled; {md_allocs} engine-thread allocations during the market-data-only window, {allocs} during {orders} orders (command text, order book entries: off the hot path)",
                md.len()
            ));
            self.rows.push(Row {
                hop: format!("DTC ({enc}) message read → market state updated"),
                engine: md,
                baseline: None,
            });
            self.rows.push(Row {
                hop: format!(
                    "DTC ({enc}) order submit → first ORDER_UPDATE (round trip; raw = TCP one-way)"
                ),
                engine: hist(&o, "dtc.bench.order_to_first_update"),
                baseline: Some(tcp_base.clone()),
            });
        }
        Ok(())
    }
}
