//! DTC protocol constants, enums, the message-number table, fixed strings and decode errors.

use std::fmt;

// Fixed strings live in `fstr.rs`; their old path (`dtc::types::FStr`) stays.
pub use super::fstr::FStr;

/// `CURRENT_VERSION` of `DTCProtocol.h` (unchanged while structs grew at their ends).
pub const PROTOCOL_VERSION: i32 = 8;

/// Largest binary message we accept (the `u16 Size` field caps it anyway).
pub const MAX_BINARY_SIZE: usize = u16::MAX as usize;
/// Default largest binary message decoded: everything `Size` can express. Larger structs from
/// newer servers must not reset the stream; only `Size < 4` cannot be framed.
pub const MAX_BINARY_FRAME: usize = MAX_BINARY_SIZE;
/// Largest JSON message we buffer before declaring the stream unframeable.
pub const MAX_JSON_SIZE: usize = 64 * 1024;

/// Unset double (binary encoding).
pub const UNSET_F64: f64 = f64::MAX;
/// Unset float (compact/float messages).
pub const UNSET_F32: f32 = f32::MAX;
/// Unset 32-bit count.
pub const UNSET_U32: u32 = u32::MAX;

/// `EncodingEnum`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// 0: fixed-length binary structs.
    Binary,
    /// 2: named JSON, NUL-terminated.
    Json,
    /// 3: `{"Type":N,"F":[...]}`, NUL-terminated.
    JsonCompact,
}

impl Encoding {
    /// The wire number.
    pub fn code(self) -> i32 {
        match self {
            Encoding::Binary => 0,
            Encoding::Json => 2,
            Encoding::JsonCompact => 3,
        }
    }

    /// From the wire number; `None` for encodings we do not speak (VLS, protobuf).
    pub fn from_code(c: i32) -> Option<Encoding> {
        match c {
            0 => Some(Encoding::Binary),
            2 => Some(Encoding::Json),
            3 => Some(Encoding::JsonCompact),
            _ => None,
        }
    }

    /// Parses `binary`, `json`, `compact`/`json-compact`.
    pub fn parse(s: &str) -> Option<Encoding> {
        match s.to_ascii_lowercase().as_str() {
            "binary" | "0" => Some(Encoding::Binary),
            "json" | "2" => Some(Encoding::Json),
            "compact" | "json-compact" | "json_compact" | "3" => Some(Encoding::JsonCompact),
            _ => None,
        }
    }

    /// True for the two NUL-framed JSON encodings.
    pub fn is_json(self) -> bool {
        !matches!(self, Encoding::Binary)
    }
}

/// Well-known enum values used by the client and the simulator.
pub mod consts {
    /// `LogonStatusEnum::LOGON_SUCCESS`.
    pub const LOGON_SUCCESS: i32 = 1;
    /// `LOGON_ERROR`.
    pub const LOGON_ERROR: i32 = 2;
    /// `LOGON_ERROR_NO_RECONNECT`.
    pub const LOGON_ERROR_NO_RECONNECT: i32 = 3;
    /// `LOGON_RECONNECT_NEW_ADDRESS`.
    pub const LOGON_RECONNECT_NEW_ADDRESS: i32 = 4;
    /// `RequestActionEnum::SUBSCRIBE`.
    pub const SUBSCRIBE: i32 = 1;
    /// `UNSUBSCRIBE`.
    pub const UNSUBSCRIBE: i32 = 2;
    /// `SNAPSHOT`.
    pub const SNAPSHOT: i32 = 3;
    /// `OrderTypeEnum::MARKET`.
    pub const ORDER_TYPE_MARKET: i32 = 1;
    /// `LIMIT`.
    pub const ORDER_TYPE_LIMIT: i32 = 2;
    /// `STOP`.
    pub const ORDER_TYPE_STOP: i32 = 3;
    /// `STOP_LIMIT`.
    pub const ORDER_TYPE_STOP_LIMIT: i32 = 4;
    /// `BuySellEnum::BUY`.
    pub const BUY: i32 = 1;
    /// `SELL`.
    pub const SELL: i32 = 2;
    /// `TimeInForceEnum::DAY`.
    pub const TIF_DAY: i32 = 1;
    /// `GOOD_TILL_CANCELED`.
    pub const TIF_GTC: i32 = 2;
    /// `OrderStatusEnum::ORDER_STATUS_OPEN`.
    pub const ORDER_STATUS_OPEN: i32 = 4;
    /// `ORDER_STATUS_PENDING_CHILD` (bracket child waiting for its parent).
    pub const ORDER_STATUS_PENDING_CHILD: i32 = 3;
    /// `ORDER_STATUS_PENDING_CANCEL`.
    pub const ORDER_STATUS_PENDING_CANCEL: i32 = 6;
    /// `ORDER_STATUS_FILLED`.
    pub const ORDER_STATUS_FILLED: i32 = 7;
    /// `ORDER_STATUS_CANCELED`.
    pub const ORDER_STATUS_CANCELED: i32 = 8;
    /// `ORDER_STATUS_REJECTED`.
    pub const ORDER_STATUS_REJECTED: i32 = 9;
    /// `OrderUpdateReasonEnum::OPEN_ORDERS_REQUEST_RESPONSE`.
    pub const OUR_OPEN_ORDERS_REQUEST_RESPONSE: i32 = 1;
    /// `NEW_ORDER_ACCEPTED`.
    pub const OUR_NEW_ORDER_ACCEPTED: i32 = 2;
    /// `GENERAL_ORDER_UPDATE`.
    pub const OUR_GENERAL_ORDER_UPDATE: i32 = 3;
    /// `ORDER_FILLED`.
    pub const OUR_ORDER_FILLED: i32 = 4;
    /// `ORDER_FILLED_PARTIALLY`.
    pub const OUR_ORDER_FILLED_PARTIALLY: i32 = 5;
    /// `ORDER_CANCELED`.
    pub const OUR_ORDER_CANCELED: i32 = 6;
    /// `ORDER_CANCEL_REPLACE_COMPLETE`.
    pub const OUR_ORDER_CANCEL_REPLACE_COMPLETE: i32 = 7;
    /// `NEW_ORDER_REJECTED`.
    pub const OUR_NEW_ORDER_REJECTED: i32 = 8;
    /// `ORDER_CANCEL_REJECTED`.
    pub const OUR_ORDER_CANCEL_REJECTED: i32 = 9;
    /// `ORDER_CANCEL_REPLACE_REJECTED`.
    pub const OUR_ORDER_CANCEL_REPLACE_REJECTED: i32 = 10;
    /// `AtBidOrAskEnum::AT_BID`.
    pub const AT_BID: u16 = 1;
    /// `AT_ASK`.
    pub const AT_ASK: u16 = 2;
    /// `MarketDepthUpdateTypeEnum::INSERT_UPDATE`.
    pub const DEPTH_INSERT_UPDATE: u8 = 1;
    /// `DELETE`.
    pub const DEPTH_DELETE: u8 = 2;
    /// `SecurityTypeEnum::FUTURES`.
    pub const SECURITY_TYPE_FUTURES: i32 = 1;
    /// Unsolicited security definitions from SC carry this RequestID.
    pub const UNSOLICITED_SECDEF_REQUEST_ID: i32 = 110_000_000;
}

/// Every message number of the newest header (plus removed ones), with its constant name.
pub const MESSAGE_TABLE: &[(u16, &str)] = &[
    (1, "LOGON_REQUEST"),
    (2, "LOGON_RESPONSE"),
    (3, "HEARTBEAT"),
    (5, "LOGOFF"),
    (6, "ENCODING_REQUEST"),
    (7, "ENCODING_RESPONSE"),
    (100, "MARKET_DATA_FEED_STATUS"),
    (101, "MARKET_DATA_REQUEST"),
    (102, "MARKET_DEPTH_REQUEST"),
    (103, "MARKET_DATA_REJECT"),
    (104, "MARKET_DATA_SNAPSHOT"),
    (106, "MARKET_DEPTH_UPDATE_LEVEL"),
    (107, "MARKET_DATA_UPDATE_TRADE"),
    (108, "MARKET_DATA_UPDATE_BID_ASK"),
    (112, "MARKET_DATA_UPDATE_TRADE_COMPACT"),
    (113, "MARKET_DATA_UPDATE_SESSION_VOLUME"),
    (114, "MARKET_DATA_UPDATE_SESSION_HIGH"),
    (115, "MARKET_DATA_UPDATE_SESSION_LOW"),
    (116, "MARKET_DATA_FEED_SYMBOL_STATUS"),
    (117, "MARKET_DATA_UPDATE_BID_ASK_COMPACT"),
    (119, "MARKET_DATA_UPDATE_SESSION_SETTLEMENT"),
    (120, "MARKET_DATA_UPDATE_SESSION_OPEN"),
    (121, "MARKET_DEPTH_REJECT"),
    (122, "MARKET_DEPTH_SNAPSHOT_LEVEL"),
    (124, "MARKET_DATA_UPDATE_OPEN_INTEREST"),
    (125, "MARKET_DATA_SNAPSHOT_INT"),
    (126, "MARKET_DATA_UPDATE_TRADE_INT"),
    (127, "MARKET_DATA_UPDATE_BID_ASK_INT"),
    (128, "MARKET_DATA_UPDATE_SESSION_OPEN_INT"),
    (129, "MARKET_DATA_UPDATE_SESSION_HIGH_INT"),
    (130, "MARKET_DATA_UPDATE_SESSION_LOW_INT"),
    (131, "MARKET_DATA_UPDATE_SESSION_SETTLEMENT_INT"),
    (132, "MARKET_DEPTH_SNAPSHOT_LEVEL_INT"),
    (133, "MARKET_DEPTH_UPDATE_LEVEL_INT"),
    (134, "MARKET_DATA_UPDATE_LAST_TRADE_SNAPSHOT"),
    (135, "MARKET_DATA_UPDATE_SESSION_NUM_TRADES"),
    (136, "MARKET_DATA_UPDATE_TRADING_SESSION_DATE"),
    (137, "MARKET_DATA_UPDATE_TRADE_WITH_UNBUNDLED_INDICATOR"),
    (138, "TRADING_SYMBOL_STATUS"),
    (140, "MARKET_DEPTH_UPDATE_LEVEL_FLOAT_WITH_MILLISECONDS"),
    (141, "MARKET_DEPTH_UPDATE_LEVEL_NO_TIMESTAMP"),
    (142, "MARKET_DATA_UPDATE_TRADE_NO_TIMESTAMP"),
    (143, "MARKET_DATA_UPDATE_BID_ASK_NO_TIMESTAMP"),
    (144, "MARKET_DATA_UPDATE_BID_ASK_FLOAT_WITH_MICROSECONDS"),
    (145, "MARKET_DEPTH_SNAPSHOT_LEVEL_FLOAT"),
    (146, "MARKET_DATA_UPDATE_TRADE_WITH_UNBUNDLED_INDICATOR_2"),
    (150, "MARKET_ORDERS_REQUEST"),
    (151, "MARKET_ORDERS_REJECT"),
    (152, "MARKET_ORDERS_ADD"),
    (153, "MARKET_ORDERS_MODIFY"),
    (154, "MARKET_ORDERS_REMOVE"),
    (155, "MARKET_ORDERS_SNAPSHOT_MESSAGE_BOUNDARY"),
    (201, "SUBMIT_NEW_OCO_ORDER"),
    (203, "CANCEL_ORDER"),
    (204, "CANCEL_REPLACE_ORDER"),
    (205, "CANCEL_REPLACE_ORDER_INT"),
    (206, "SUBMIT_NEW_SINGLE_ORDER_INT"),
    (207, "SUBMIT_NEW_OCO_ORDER_INT"),
    (208, "SUBMIT_NEW_SINGLE_ORDER"),
    (209, "SUBMIT_FLATTEN_POSITION_ORDER"),
    (210, "FLATTEN_POSITIONS_FOR_TRADE_ACCOUNT"),
    (300, "OPEN_ORDERS_REQUEST"),
    (301, "ORDER_UPDATE"),
    (302, "OPEN_ORDERS_REJECT"),
    (303, "HISTORICAL_ORDER_FILLS_REQUEST"),
    (304, "HISTORICAL_ORDER_FILL_RESPONSE"),
    (305, "CURRENT_POSITIONS_REQUEST"),
    (306, "POSITION_UPDATE"),
    (307, "CURRENT_POSITIONS_REJECT"),
    (308, "HISTORICAL_ORDER_FILLS_REJECT"),
    (309, "ADD_CORRECTING_ORDER_FILL"),
    (310, "CORRECTING_ORDER_FILL_RESPONSE"),
    (400, "TRADE_ACCOUNTS_REQUEST"),
    (401, "TRADE_ACCOUNT_RESPONSE"),
    (500, "EXCHANGE_LIST_REQUEST"),
    (501, "EXCHANGE_LIST_RESPONSE"),
    (502, "SYMBOLS_FOR_EXCHANGE_REQUEST"),
    (503, "UNDERLYING_SYMBOLS_FOR_EXCHANGE_REQUEST"),
    (504, "SYMBOLS_FOR_UNDERLYING_REQUEST"),
    (506, "SECURITY_DEFINITION_FOR_SYMBOL_REQUEST"),
    (507, "SECURITY_DEFINITION_RESPONSE"),
    (508, "SYMBOL_SEARCH_REQUEST"),
    (509, "SECURITY_DEFINITION_REJECT"),
    (600, "ACCOUNT_BALANCE_UPDATE"),
    (601, "ACCOUNT_BALANCE_REQUEST"),
    (602, "ACCOUNT_BALANCE_REJECT"),
    (603, "HISTORICAL_ACCOUNT_BALANCES_REQUEST"),
    (604, "HISTORICAL_ACCOUNT_BALANCES_REJECT"),
    (606, "HISTORICAL_ACCOUNT_BALANCE_RESPONSE"),
    (607, "ACCOUNT_BALANCE_ADJUSTMENT"),
    (608, "ACCOUNT_BALANCE_ADJUSTMENT_REJECT"),
    (609, "ACCOUNT_BALANCE_ADJUSTMENT_COMPLETE"),
    (700, "USER_MESSAGE"),
    (701, "GENERAL_LOG_MESSAGE"),
    (702, "ALERT_MESSAGE"),
    (703, "JOURNAL_ENTRY_ADD"),
    (704, "JOURNAL_ENTRIES_REQUEST"),
    (705, "JOURNAL_ENTRIES_REJECT"),
    (706, "JOURNAL_ENTRY_RESPONSE"),
    (800, "HISTORICAL_PRICE_DATA_REQUEST"),
    (801, "HISTORICAL_PRICE_DATA_RESPONSE_HEADER"),
    (802, "HISTORICAL_PRICE_DATA_REJECT"),
    (803, "HISTORICAL_PRICE_DATA_RECORD_RESPONSE"),
    (804, "HISTORICAL_PRICE_DATA_TICK_RECORD_RESPONSE"),
    (805, "HISTORICAL_PRICE_DATA_RECORD_RESPONSE_INT"),
    (806, "HISTORICAL_PRICE_DATA_TICK_RECORD_RESPONSE_INT"),
    (807, "HISTORICAL_PRICE_DATA_RESPONSE_TRAILER"),
    (900, "HISTORICAL_MARKET_DEPTH_DATA_REQUEST"),
    (901, "HISTORICAL_MARKET_DEPTH_DATA_RESPONSE_HEADER"),
    (902, "HISTORICAL_MARKET_DEPTH_DATA_REJECT"),
    (903, "HISTORICAL_MARKET_DEPTH_DATA_RECORD_RESPONSE"),
];

/// The constant name of a message type (`"UNKNOWN"` if not in the header).
pub fn message_name(t: u16) -> &'static str {
    match MESSAGE_TABLE.binary_search_by_key(&t, |e| e.0) {
        Ok(i) => MESSAGE_TABLE[i].1,
        Err(_) => "UNKNOWN",
    }
}

/// Why a message could not be framed or decoded. `Copy`, so it can be counted and logged freely.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer bytes than the 4-byte header, or than `Size` says.
    Truncated,
    /// `Size` below 4: the binary stream can no longer be framed.
    SizeTooSmall(u16),
    /// A message longer than the cap: the stream can no longer be framed.
    TooLong(usize),
    /// A type number we do not decode.
    UnknownType(u16),
    /// Not well-formed JSON.
    InvalidJson,
    /// JSON that is not an object, or a compact `F` that is not an array.
    NotAnObject,
    /// No numeric `"Type"`.
    MissingType,
    /// A field holding a value of the wrong JSON type (field name).
    WrongFieldType(&'static str),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated => write!(f, "truncated message"),
            DecodeError::SizeTooSmall(s) => write!(f, "binary Size {s} < 4"),
            DecodeError::TooLong(n) => write!(f, "message of {n} bytes exceeds the cap"),
            DecodeError::UnknownType(t) => {
                write!(f, "unknown message type {t} ({})", message_name(*t))
            }
            DecodeError::InvalidJson => write!(f, "invalid JSON"),
            DecodeError::NotAnObject => write!(f, "JSON is not a DTC message object"),
            DecodeError::MissingType => write!(f, "JSON without a numeric Type"),
            DecodeError::WrongFieldType(n) => write!(f, "field {n} has the wrong type"),
        }
    }
}

impl std::error::Error for DecodeError {}
