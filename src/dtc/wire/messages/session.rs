//! The message table's session messages: logon, heartbeat, logoff, encoding (DTC types 1-7).

use super::{S32, S4, S60, S64, S96};
use crate::dtc::wire::types::{FStr, PROTOCOL_VERSION};

dtc_structs! {
    /// LOGON_REQUEST (1).
    LogonRequest = 1, 284 {
        protocol_version: i32 = "ProtocolVersion" @ 4 => PROTOCOL_VERSION,
        username: S32 = "Username" @ 8,
        password: S32 = "Password" @ 40,
        general_text_data: S64 = "GeneralTextData" @ 72,
        integer_1: i32 = "Integer_1" @ 136,
        integer_2: i32 = "Integer_2" @ 140,
        heartbeat_interval_in_seconds: i32 = "HeartbeatIntervalInSeconds" @ 144,
        // `TradeMode` in the older header; unused now.
        unused1: i32 = "Unused1" @ 148,
        trade_account: S32 = "TradeAccount" @ 152,
        hardware_identifier: S64 = "HardwareIdentifier" @ 184,
        client_name: S32 = "ClientName" @ 248,
        market_data_transmission_interval: i32 = "MarketDataTransmissionInterval" @ 280,
    }
    /// LOGON_RESPONSE (2).
    LogonResponse = 2, 256 {
        protocol_version: i32 = "ProtocolVersion" @ 4 => PROTOCOL_VERSION,
        result: i32 = "Result" @ 8,
        result_text: S96 = "ResultText" @ 12,
        reconnect_address: S64 = "ReconnectAddress" @ 108,
        integer_1: i32 = "Integer_1" @ 172,
        server_name: S60 = "ServerName" @ 176,
        market_depth_updates_best_bid_and_ask: u8 = "MarketDepthUpdatesBestBidAndAsk" @ 236,
        trading_is_supported: u8 = "TradingIsSupported" @ 237,
        oco_orders_supported: u8 = "OCOOrdersSupported" @ 238,
        order_cancel_replace_supported: u8 = "OrderCancelReplaceSupported" @ 239 => 1,
        symbol_exchange_delimiter: S4 = "SymbolExchangeDelimiter" @ 240,
        security_definitions_supported: u8 = "SecurityDefinitionsSupported" @ 244,
        historical_price_data_supported: u8 = "HistoricalPriceDataSupported" @ 245,
        resubscribe_when_market_data_feed_available: u8 = "ResubscribeWhenMarketDataFeedAvailable" @ 246,
        market_depth_is_supported: u8 = "MarketDepthIsSupported" @ 247 => 1,
        one_historical_price_data_request_per_connection: u8 = "OneHistoricalPriceDataRequestPerConnection" @ 248,
        bracket_orders_supported: u8 = "BracketOrdersSupported" @ 249,
        unused_1: u8 = "Unused_1" @ 250,
        uses_multiple_positions_per_symbol_and_trade_account: u8 = "UsesMultiplePositionsPerSymbolAndTradeAccount" @ 251,
        market_data_supported: u8 = "MarketDataSupported" @ 252 => 1,
    }
    /// HEARTBEAT (3).
    Heartbeat = 3, 16 {
        num_dropped_messages: u32 = "NumDroppedMessages" @ 4,
        current_date_time: i64 = "CurrentDateTime" @ 8,
    }
    /// LOGOFF (5).
    Logoff = 5, 102 {
        reason: S96 = "Reason" @ 4,
        do_not_reconnect: u8 = "DoNotReconnect" @ 100,
    }
    /// ENCODING_REQUEST (6); always binary on the first exchange.
    EncodingRequest = 6, 16 {
        protocol_version: i32 = "ProtocolVersion" @ 4 => PROTOCOL_VERSION,
        encoding: i32 = "Encoding" @ 8,
        protocol_type: S4 = "ProtocolType" @ 12 => FStr::new("DTC"),
    }
    /// ENCODING_RESPONSE (7).
    EncodingResponse = 7, 16 {
        protocol_version: i32 = "ProtocolVersion" @ 4 => PROTOCOL_VERSION,
        encoding: i32 = "Encoding" @ 8,
        protocol_type: S4 = "ProtocolType" @ 12 => FStr::new("DTC"),
    }
}
