//! Writes the committed seed corpus, `fuzz/seeds/<target>/`, from the inputs the unit tests use:
//! `cd fuzz && cargo run --example seeds`. Byte 0 of the pipe and DTC stream seeds picks the
//! read size (see the targets).

use std::path::Path;
use v9bridge::dtc::{json, messages::Message, types::Encoding, Codec};

/// V9 lines from the spec's examples and the codec tests.
const V9: &[&str] = &[
    "CONNECT|V9_CopyReceiver|Account_Count:20|Version:1.0\n",
    "CONNECT|pub|Account_Count:0|Role:Publisher|Token:a:b\r\n",
    "HEARTBEAT|V9_CopyReceiver|Connected:20_Accounts\n",
    "HEARTBEAT|Stratégie_été|ok\0",
    "HEARTBEAT_ACK|2026-01-27T18:05:30Z|All_Systems_OK\n",
    "READY|1.0|Broadcast_Ready:Yes\n",
    "SIGNAL_ACK|42|3\n",
    "LONG|MES|1|TP:4700|SL:4650|ID:7\n",
    "SHORT|ES|2|TIF:GTC|X:1\n",
    "FLATTEN|ALL|0\n",
    "CLOSE_HALF|MES|0\nCLOSE_ONE|NQ|0\nREVERSE|ES|1\n",
    "POSITION|Account1|LONG|1|4520.50|+150.00|2026-01-27T18:05:30Z\n",
    "POSITION|A1|SHORT|2|4580.00|+1.00|2026-01-27T18:05:21Z|Symbol:ES|Future:x\n",
    "POSITION_SUMMARY|20|40|+3200.00|4550.25|LONG:20,SHORT:20\n",
    "POSITION_SUMMARY|0|0|+3200.00|0.00|LONG:0,SHORT:0|ID:7\n",
    "ERROR|PROTOCOL_ERROR|Expected CONNECT|details\n",
    "POSITION|A|LONG|1|4520.50|+0.00|2026-01-27T18:05:30ZPOSITION_SUMMARY|1|1|+0.00|4520.50|LONG:1,SHORT:0",
    "HEARTBEAT|V9|a|b|c",
    "\n\n\0\r\nLONG||1\n|||\n",
];

/// Pipe messages from the framing and codec tests, with various separators.
const PIPE: &[&str] = &[
    r#"{"symbol":"ES","price":4700.25,"bid":4700,"ask":4700.5,"timestamp":46115.5}"#,
    r#"{"symbol":"N{Q}","note":"a \"}{\" b \\","ts_ns":1769537130000000000,"seq":7,"price":1}"#,
    r#"{"symbol":"ES","note":"x\n\\\"{\u007d\\","price":2}"#,
    r#"{"signal":"LONG","symbol":"MES","qty":1,"tp":4700,"sl":4650}"#,
    "{\"symbol\":\"ES\",\"price\":4700.25,\"bid\":4700,\"ask\":4700.5,\"volume\":3,\"bid_size\":5,\"ask_size\":6,\"ts_us\":1769537130000000,\"seq\":1}\n",
    "{\"symbol\":\"NQ\",\"price\":16000,\"bid\":15999.75,\"ask\":16000.25,\"ts_ms\":1769537130000}\0",
    "{\"signal\":\"FLATTEN\",\"symbol\":\"ALL\",\"qty\":0}\n{\"signal\":\"REVERSE\",\"symbol\":\"ES\",\"qty\":2}",
    "{\"symbol\":\"ES\",\"price\":\n{\"symbol\":\"ES\",\"price\":1,\"bid\":1,\"ask\":2}\n",
    "{\"symbol\":\"ES\",{\"symbol\":\"ES\",\"price\":1}{\"a\":[1,{\"b\":2}]}",
    "{\"symbol\":\"E{\"symbol\":\"NQ\",\"price\":1e400,\"bid\":-1,\"ask\":null}",
    "garbage ]]] {\"symbol\":\"ES\",\"price\":NaN}\r\n{}",
];

/// One case per bad-input reason, from the pipe codec tests.
const PIPE_BAD: &[&str] = &[
    r#"{"symbol":"ES",}"#,
    r#"{"price":01}"#,
    r#"{"symbol":"ES","volume":1}"#,
    r#"{"symbol":"ES","price":"1"}"#,
    r#"{"symbol":"ES","price":1,"seq":-1}"#,
    r#"{"symbol":"ES","price":-0.5}"#,
    r#"{"symbol":"ES","price":1,"volume":-1}"#,
    r#"{"symbol":"ES","bid":2,"ask":1}"#,
    r#"{"symbol":"ES","price":1,"ts_ms":99999999999999999}"#,
    r#"{"symbol":"ES","price":1,"timestamp":-3}"#,
    r#"{"symbol":"E|S","price":1}"#,
    r#"{"signal":"FLAT","symbol":"ES\u0000"}"#,
    r#"{"symbol":"ES #1/Z-5.x_y","price":1}"#,
    r#"{"signal":"BUY","symbol":"ES","qty":1}"#,
    r#"{"signal":"LONG","symbol":"ES","qty":5000000000}"#,
];

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds").join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

/// Unmasked server-to-client WebSocket text frame.
fn ws_text(payload: &[u8], out: &mut Vec<u8>) {
    out.push(0x81);
    match payload.len() {
        n @ 0..=125 => out.push(n as u8),
        n => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
}

fn main() {
    for (i, l) in V9.iter().enumerate() {
        write("v9_line", &format!("spec-{i:02}"), l.as_bytes());
    }
    for (i, m) in PIPE.iter().enumerate() {
        let split = [0u8, 1, 7, 63][i % 4];
        write("pipe_stream", &format!("test-{i:02}"), &[&[split], m.as_bytes()].concat());
    }
    for (i, m) in PIPE_BAD.iter().enumerate() {
        write("pipe_stream", &format!("bad-{i:02}"), &[b"\0", m.as_bytes(), b"\n"].concat());
    }
    // Every message type, with default fields and as in the codec tests, in each encoding,
    // four to a file.
    let mut msgs: Vec<Message> = Message::TYPES
        .iter()
        .filter_map(|t| json::decode(format!(r#"{{"Type":{t}}}"#).as_bytes()).ok())
        .collect();
    for text in [
        r#"{"CurrentDateTime": 1587847557.25, "NumDroppedMessages": 0, "Type": 3}"#,
        r#"{"Type":507,"Symbol":"ESM20_FUT_CME","DisplayPriceMultiplier":0.009999999776482582}"#,
        r#"{"Type":112,"F":[7,1,4500.25,2,1700000000]}"#,
        r#"{"Type":117,"F":[9,1.5,10,1.75,11,1700000000]}"#,
    ] {
        msgs.push(json::decode_any(text.as_bytes(), true).unwrap());
    }
    let codecs = [
        ("dtc_binary", Codec::new(Encoding::Binary, false)),
        ("dtc_json", Codec::new(Encoding::Json, false)),
        ("dtc_compact", Codec::new(Encoding::JsonCompact, true)),
    ];
    for (target, codec) in codecs {
        for (i, group) in msgs.chunks(4).enumerate() {
            let mut out = vec![[0u8, 3, 16, 63][i % 4]];
            for m in group {
                codec.encode(m, &mut out, true);
            }
            write(target, &format!("types-{i:02}"), &out);
        }
    }
    let json = Codec::new(Encoding::Json, false);
    for (i, group) in msgs.chunks(8).enumerate() {
        let mut out = Vec::new();
        for m in group {
            let mut payload = Vec::new();
            json.encode(m, &mut payload, i % 2 == 1);
            ws_text(&payload, &mut out);
        }
        if i % 3 == 0 {
            out.extend_from_slice(&[0x89, 0x02, b'h', b'i', 0x88, 0x02, 0x03, 0xe8]);
            // ping, close
        }
        write("dtc_websocket", &format!("frames-{i:02}"), &out);
    }
}
