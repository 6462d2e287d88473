//! DTC decode throughput per encoding on market-data updates and ORDER_UPDATE.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::hint::black_box;
use v9bridge::dtc::{
    Codec, Encoding, MarketDataUpdateBidAsk, MarketDataUpdateTrade, Message, OrderUpdate,
};

fn messages() -> Vec<(&'static str, Message)> {
    vec![
        (
            "trade",
            MarketDataUpdateTrade {
                symbol_id: 1,
                at_bid_or_ask: 2,
                price: 4500.25,
                volume: 3.0,
                date_time: 1.7e9,
            }
            .into(),
        ),
        (
            "bid_ask",
            MarketDataUpdateBidAsk {
                symbol_id: 1,
                bid_price: 4500.0,
                bid_quantity: 12.0,
                ask_price: 4500.25,
                ask_quantity: 9.0,
                date_time: 1_700_000_000,
            }
            .into(),
        ),
        (
            "order_update",
            OrderUpdate {
                symbol: "ESZ6_FUT_CME".into(),
                server_order_id: "S123456".into(),
                client_order_id: "v9b-1-42".into(),
                order_status: 7,
                order_update_reason: 4,
                order_type: 1,
                buy_sell: 1,
                order_quantity: 2.0,
                filled_quantity: 2.0,
                remaining_quantity: 0.0,
                average_fill_price: 4500.25,
                last_fill_price: 4500.25,
                last_fill_quantity: 2.0,
                trade_account: "Sim1".into(),
                ..Default::default()
            }
            .into(),
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let codecs = [
        ("binary", Codec::new(Encoding::Binary, false)),
        ("json", Codec::new(Encoding::Json, false)),
        ("compact", Codec::new(Encoding::JsonCompact, false)),
    ];
    let mut g = c.benchmark_group("dtc_decode");
    g.throughput(Throughput::Elements(1));
    for (mname, m) in messages() {
        for (cname, codec) in &codecs {
            let mut buf = Vec::new();
            codec.encode(&m, &mut buf, false);
            g.bench_function(format!("{cname}/{mname}"), |b| {
                b.iter_batched_ref(
                    || (),
                    |_| black_box(codec.decode(black_box(&buf))),
                    BatchSize::SmallInput,
                )
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
