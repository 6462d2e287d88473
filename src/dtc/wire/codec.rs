//! One codec value per connection: frames and (de)serialises in the negotiated encoding.

use super::messages::Message;
use super::types::{DecodeError, Encoding, MAX_BINARY_FRAME, MAX_BINARY_SIZE, MAX_JSON_SIZE};
use super::{binary, compact, framing, json};

/// Encoding plus the compact-order quirk, for one connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Codec {
    /// Current encoding.
    pub encoding: Encoding,
    /// Use SC's compact order for types 112/117.
    pub sierra_order: bool,
    /// Largest binary `Size` decoded; a larger (still framed) message is skipped by its `Size`.
    pub max_binary: usize,
}

impl Codec {
    /// A codec for `encoding`.
    pub fn new(encoding: Encoding, sierra_order: bool) -> Self {
        Codec { encoding, sierra_order, max_binary: MAX_BINARY_FRAME }
    }

    /// Appends `m`; JSON encodings get the NUL terminator when `nul` (TCP always; WS by choice).
    pub fn encode(&self, m: &Message, out: &mut Vec<u8>, nul: bool) {
        match self.encoding {
            Encoding::Binary => binary::encode(m, out),
            Encoding::Json => json::encode(m, out),
            Encoding::JsonCompact => compact::encode(m, out, self.sierra_order),
        }
        if nul && self.encoding.is_json() {
            out.push(0);
        }
    }

    /// The next frame in `buf`: `(message bytes range end, consumed)`; message starts at 0, and
    /// length 0 means "skip `consumed` bytes".
    /// `Err` means the stream cannot be framed (reset the connection).
    #[inline]
    pub fn next_frame(&self, buf: &[u8]) -> Result<Option<(usize, usize)>, DecodeError> {
        match self.encoding {
            // Any Size >= 4 frames the stream; over the cap the message is skipped (length 0).
            Encoding::Binary => Ok(framing::binary_frame(buf, MAX_BINARY_SIZE)?.map(|n| {
                if n > self.max_binary {
                    (0, n)
                } else {
                    (n, n)
                }
            })),
            _ => framing::json_frame(buf, MAX_JSON_SIZE),
        }
    }

    /// Decodes one frame (JSON encodings accept both named and compact forms).
    #[inline]
    pub fn decode(&self, frame: &[u8]) -> Result<Message, DecodeError> {
        match self.encoding {
            Encoding::Binary => binary::decode(frame),
            _ => json::decode_any(frame, self.sierra_order),
        }
    }
}

/// The codec of one connection and the bytes it has encoded but not yet handed to the transport.
#[derive(Debug)]
pub struct Outbox {
    /// The connection's codec (decoding uses it too).
    pub codec: Codec,
    buf: Vec<u8>,
}

impl Outbox {
    /// An empty outbox speaking binary (every connection starts binary: ENCODING_REQUEST).
    pub fn new(codec: Codec) -> Self {
        Outbox { codec, buf: Vec::with_capacity(4096) }
    }

    /// Encodes `m` (JSON encodings NUL-terminated).
    pub fn send(&mut self, m: impl Into<Message>) {
        self.codec.encode(&m.into(), &mut self.buf, true);
    }

    /// Encodes `m` in binary whatever the encoding (the ENCODING_REQUEST).
    pub fn send_binary(&mut self, m: impl Into<Message>) {
        Codec::new(Encoding::Binary, false).encode(&m.into(), &mut self.buf, false);
    }

    /// The queued bytes; the transport drains what it writes.
    pub fn bytes(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Drops queued bytes and goes back to binary (a new connection).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.codec.encoding = Encoding::Binary;
    }
}
