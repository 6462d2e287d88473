//! The DTC messages we speak: one field table from the newest header; one file over 400 lines because it is data, diffed against `DTCProtocol.h` as a whole.

use super::field::WireField;
use super::jsonlex::JVal;
use super::types::{
    message_name, DecodeError, FStr, PROTOCOL_VERSION, UNSET_F32, UNSET_F64, UNSET_U32,
};

/// `char[4]`.
pub type S4 = FStr<4>;
/// `char[8]` (currency codes).
pub type S8 = FStr<8>;
/// `char[16]` (exchange, price strings).
pub type S16 = FStr<16>;
/// `char[32]` (accounts, order IDs, user names).
pub type S32 = FStr<32>;
/// `char[48]`.
pub type S48 = FStr<48>;
/// `char[60]`.
pub type S60 = FStr<60>;
/// `char[64]` (symbols).
pub type S64 = FStr<64>;
/// `char[96]` (text descriptions).
pub type S96 = FStr<96>;
/// `char[128]`.
pub type S128 = FStr<128>;
/// `char[256]`.
pub type S256 = FStr<256>;

dtc_messages! {
    /// LOGON_REQUEST (1).
    LogonRequest = 1, 284, boxed {
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
    LogonResponse = 2, 256, boxed {
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
    /// MARKET_DATA_FEED_STATUS (100).
    MarketDataFeedStatus = 100, 8 {
        status: i32 = "Status" @ 4,
    }
    /// MARKET_DATA_REQUEST (101).
    MarketDataRequest = 101, 96 {
        request_action: i32 = "RequestAction" @ 4 => 1,
        symbol_id: u32 = "SymbolID" @ 8,
        symbol: S64 = "Symbol" @ 12,
        exchange: S16 = "Exchange" @ 76,
        interval_for_snapshot_updates_in_milliseconds: u32 = "IntervalForSnapshotUpdatesInMilliseconds" @ 92,
    }
    /// MARKET_DEPTH_REQUEST (102).
    MarketDepthRequest = 102, 96 {
        request_action: i32 = "RequestAction" @ 4 => 1,
        symbol_id: u32 = "SymbolID" @ 8,
        symbol: S64 = "Symbol" @ 12,
        exchange: S16 = "Exchange" @ 76,
        num_levels: i32 = "NumLevels" @ 92,
    }
    /// MARKET_DATA_REJECT (103).
    MarketDataReject = 103, 104 {
        symbol_id: u32 = "SymbolID" @ 4,
        reject_text: S96 = "RejectText" @ 8,
    }
    /// MARKET_DATA_SNAPSHOT (104). Note AskQuantity precedes BidQuantity.
    MarketDataSnapshot = 104, 144 {
        symbol_id: u32 = "SymbolID" @ 4,
        session_settlement_price: f64 = "SessionSettlementPrice" @ 8 => UNSET_F64,
        session_open_price: f64 = "SessionOpenPrice" @ 16 => UNSET_F64,
        session_high_price: f64 = "SessionHighPrice" @ 24 => UNSET_F64,
        session_low_price: f64 = "SessionLowPrice" @ 32 => UNSET_F64,
        session_volume: f64 = "SessionVolume" @ 40 => UNSET_F64,
        session_num_trades: u32 = "SessionNumTrades" @ 48 => UNSET_U32,
        open_interest: u32 = "OpenInterest" @ 52 => UNSET_U32,
        bid_price: f64 = "BidPrice" @ 56 => UNSET_F64,
        ask_price: f64 = "AskPrice" @ 64 => UNSET_F64,
        ask_quantity: f64 = "AskQuantity" @ 72 => UNSET_F64,
        bid_quantity: f64 = "BidQuantity" @ 80 => UNSET_F64,
        last_trade_price: f64 = "LastTradePrice" @ 88 => UNSET_F64,
        last_trade_volume: f64 = "LastTradeVolume" @ 96 => UNSET_F64,
        last_trade_date_time: f64 = "LastTradeDateTime" @ 104,
        bid_ask_date_time: f64 = "BidAskDateTime" @ 112,
        session_settlement_date_time: u32 = "SessionSettlementDateTime" @ 120,
        trading_session_date: u32 = "TradingSessionDate" @ 124,
        trading_status: i8 = "TradingStatus" @ 128,
        market_depth_update_date_time: f64 = "MarketDepthUpdateDateTime" @ 136,
    }
    /// MARKET_DEPTH_UPDATE_LEVEL (106).
    MarketDepthUpdateLevel = 106, 56 {
        symbol_id: u32 = "SymbolID" @ 4,
        side: u16 = "Side" @ 8,
        price: f64 = "Price" @ 16,
        quantity: f64 = "Quantity" @ 24,
        update_type: u8 = "UpdateType" @ 32,
        date_time: f64 = "DateTime" @ 40,
        num_orders: u32 = "NumOrders" @ 48,
        final_update_in_batch: u8 = "FinalUpdateInBatch" @ 52,
        level: u16 = "Level" @ 54,
    }
    /// MARKET_DATA_UPDATE_TRADE (107).
    MarketDataUpdateTrade = 107, 40 {
        symbol_id: u32 = "SymbolID" @ 4,
        at_bid_or_ask: u16 = "AtBidOrAsk" @ 8,
        price: f64 = "Price" @ 16,
        volume: f64 = "Volume" @ 24,
        date_time: f64 = "DateTime" @ 32,
    }
    /// MARKET_DATA_UPDATE_BID_ASK (108).
    MarketDataUpdateBidAsk = 108, 40 {
        symbol_id: u32 = "SymbolID" @ 4,
        bid_price: f64 = "BidPrice" @ 8 => UNSET_F64,
        bid_quantity: f32 = "BidQuantity" @ 16,
        ask_price: f64 = "AskPrice" @ 24 => UNSET_F64,
        ask_quantity: f32 = "AskQuantity" @ 32,
        date_time: u32 = "DateTime" @ 36,
    }
    /// MARKET_DATA_UPDATE_TRADE_COMPACT (112); SC's compact JSON puts SymbolID first.
    MarketDataUpdateTradeCompact = 112, 24 {
        price: f32 = "Price" @ 4,
        volume: f32 = "Volume" @ 8,
        date_time: u32 = "DateTime" @ 12,
        symbol_id: u32 = "SymbolID" @ 16,
        at_bid_or_ask: u16 = "AtBidOrAsk" @ 20,
    }
    /// MARKET_DATA_UPDATE_SESSION_VOLUME (113).
    MarketDataUpdateSessionVolume = 113, 24 {
        symbol_id: u32 = "SymbolID" @ 4,
        volume: f64 = "Volume" @ 8,
        trading_session_date: u32 = "TradingSessionDate" @ 16,
        is_final_session_volume: u8 = "IsFinalSessionVolume" @ 20,
    }
    /// MARKET_DATA_UPDATE_SESSION_HIGH (114).
    MarketDataUpdateSessionHigh = 114, 24 {
        symbol_id: u32 = "SymbolID" @ 4,
        price: f64 = "Price" @ 8,
        trading_session_date: u32 = "TradingSessionDate" @ 16,
    }
    /// MARKET_DATA_UPDATE_SESSION_LOW (115).
    MarketDataUpdateSessionLow = 115, 24 {
        symbol_id: u32 = "SymbolID" @ 4,
        price: f64 = "Price" @ 8,
        trading_session_date: u32 = "TradingSessionDate" @ 16,
    }
    /// MARKET_DATA_FEED_SYMBOL_STATUS (116).
    MarketDataFeedSymbolStatus = 116, 12 {
        symbol_id: u32 = "SymbolID" @ 4,
        status: i32 = "Status" @ 8,
    }
    /// MARKET_DATA_UPDATE_BID_ASK_COMPACT (117); SC's compact JSON puts SymbolID first.
    MarketDataUpdateBidAskCompact = 117, 28 {
        bid_price: f32 = "BidPrice" @ 4 => UNSET_F32,
        bid_quantity: f32 = "BidQuantity" @ 8,
        ask_price: f32 = "AskPrice" @ 12 => UNSET_F32,
        ask_quantity: f32 = "AskQuantity" @ 16,
        date_time: u32 = "DateTime" @ 20,
        symbol_id: u32 = "SymbolID" @ 24,
    }
    /// MARKET_DATA_UPDATE_SESSION_SETTLEMENT (119).
    MarketDataUpdateSessionSettlement = 119, 24 {
        symbol_id: u32 = "SymbolID" @ 4,
        price: f64 = "Price" @ 8,
        date_time: u32 = "DateTime" @ 16,
    }
    /// MARKET_DATA_UPDATE_SESSION_OPEN (120).
    MarketDataUpdateSessionOpen = 120, 24 {
        symbol_id: u32 = "SymbolID" @ 4,
        price: f64 = "Price" @ 8,
        trading_session_date: u32 = "TradingSessionDate" @ 16,
    }
    /// MARKET_DEPTH_REJECT (121).
    MarketDepthReject = 121, 104 {
        symbol_id: u32 = "SymbolID" @ 4,
        reject_text: S96 = "RejectText" @ 8,
    }
    /// MARKET_DEPTH_SNAPSHOT_LEVEL (122).
    MarketDepthSnapshotLevel = 122, 56 {
        symbol_id: u32 = "SymbolID" @ 4,
        side: u16 = "Side" @ 8,
        price: f64 = "Price" @ 16,
        quantity: f64 = "Quantity" @ 24,
        level: u16 = "Level" @ 32,
        is_first_message_in_batch: u8 = "IsFirstMessageInBatch" @ 34,
        is_last_message_in_batch: u8 = "IsLastMessageInBatch" @ 35,
        date_time: f64 = "DateTime" @ 40,
        num_orders: u32 = "NumOrders" @ 48,
    }
    /// MARKET_DATA_UPDATE_OPEN_INTEREST (124).
    MarketDataUpdateOpenInterest = 124, 16 {
        symbol_id: u32 = "SymbolID" @ 4,
        open_interest: u32 = "OpenInterest" @ 8,
        trading_session_date: u32 = "TradingSessionDate" @ 12,
    }
    /// MARKET_DATA_UPDATE_LAST_TRADE_SNAPSHOT (134).
    MarketDataUpdateLastTradeSnapshot = 134, 32 {
        symbol_id: u32 = "SymbolID" @ 4,
        last_trade_price: f64 = "LastTradePrice" @ 8,
        last_trade_volume: f64 = "LastTradeVolume" @ 16,
        last_trade_date_time: f64 = "LastTradeDateTime" @ 24,
    }
    /// MARKET_DATA_UPDATE_SESSION_NUM_TRADES (135).
    MarketDataUpdateSessionNumTrades = 135, 16 {
        symbol_id: u32 = "SymbolID" @ 4,
        num_trades: i32 = "NumTrades" @ 8,
        trading_session_date: u32 = "TradingSessionDate" @ 12,
    }
    /// MARKET_DATA_UPDATE_TRADING_SESSION_DATE (136).
    MarketDataUpdateTradingSessionDate = 136, 12 {
        symbol_id: u32 = "SymbolID" @ 4,
        date: u32 = "Date" @ 8,
    }
    /// MARKET_DATA_UPDATE_TRADE_WITH_UNBUNDLED_INDICATOR (137).
    MarketDataUpdateTradeWithUnbundledIndicator = 137, 40 {
        symbol_id: u32 = "SymbolID" @ 4,
        at_bid_or_ask: u8 = "AtBidOrAsk" @ 8,
        unbundled_trade_indicator: i8 = "UnbundledTradeIndicator" @ 9,
        trade_condition: u8 = "TradeCondition" @ 10,
        reserve_1: u8 = "Reserve_1" @ 11,
        reserve_2: u32 = "Reserve_2" @ 12,
        price: f64 = "Price" @ 16,
        volume: u32 = "Volume" @ 24,
        reserve_3: u32 = "Reserve_3" @ 28,
        date_time: f64 = "DateTime" @ 32,
    }
    /// TRADING_SYMBOL_STATUS (138).
    TradingSymbolStatus = 138, 12 {
        symbol_id: u32 = "SymbolID" @ 4,
        status: i8 = "Status" @ 8,
    }
    /// MARKET_DEPTH_UPDATE_LEVEL_FLOAT_WITH_MILLISECONDS (140), pack(1).
    MarketDepthUpdateLevelFloatWithMilliseconds = 140, 31 {
        symbol_id: u32 = "SymbolID" @ 4,
        date_time: i64 = "DateTime" @ 8,
        price: f32 = "Price" @ 16,
        quantity: f32 = "Quantity" @ 20,
        side: u8 = "Side" @ 24,
        update_type: u8 = "UpdateType" @ 25,
        num_orders: u16 = "NumOrders" @ 26,
        final_update_in_batch: u8 = "FinalUpdateInBatch" @ 28,
        level: u16 = "Level" @ 29,
    }
    /// MARKET_DEPTH_UPDATE_LEVEL_NO_TIMESTAMP (141), pack(1).
    MarketDepthUpdateLevelNoTimestamp = 141, 23 {
        symbol_id: u32 = "SymbolID" @ 4,
        price: f32 = "Price" @ 8,
        quantity: f32 = "Quantity" @ 12,
        num_orders: u16 = "NumOrders" @ 16,
        side: i8 = "Side" @ 18,
        update_type: i8 = "UpdateType" @ 19,
        final_update_in_batch: u8 = "FinalUpdateInBatch" @ 20,
        level: u16 = "Level" @ 21,
    }
    /// MARKET_DATA_UPDATE_TRADE_NO_TIMESTAMP (142), pack(1).
    MarketDataUpdateTradeNoTimestamp = 142, 19 {
        symbol_id: u32 = "SymbolID" @ 4,
        price: f32 = "Price" @ 8,
        volume: u32 = "Volume" @ 12,
        at_bid_or_ask: u8 = "AtBidOrAsk" @ 16,
        unbundled_trade_indicator: i8 = "UnbundledTradeIndicator" @ 17,
        trade_condition: i8 = "TradeCondition" @ 18,
    }
    /// MARKET_DATA_UPDATE_BID_ASK_NO_TIMESTAMP (143), pack(1).
    MarketDataUpdateBidAskNoTimestamp = 143, 24 {
        symbol_id: u32 = "SymbolID" @ 4,
        bid_price: f32 = "BidPrice" @ 8 => UNSET_F32,
        bid_quantity: u32 = "BidQuantity" @ 12,
        ask_price: f32 = "AskPrice" @ 16 => UNSET_F32,
        ask_quantity: u32 = "AskQuantity" @ 20,
    }
    /// MARKET_DATA_UPDATE_BID_ASK_FLOAT_WITH_MICROSECONDS (144), pack(1).
    MarketDataUpdateBidAskFloatWithMicroseconds = 144, 32 {
        symbol_id: u32 = "SymbolID" @ 4,
        bid_price: f32 = "BidPrice" @ 8 => UNSET_F32,
        bid_quantity: f32 = "BidQuantity" @ 12,
        ask_price: f32 = "AskPrice" @ 16 => UNSET_F32,
        ask_quantity: f32 = "AskQuantity" @ 20,
        date_time: i64 = "DateTime" @ 24,
    }
    /// MARKET_DEPTH_SNAPSHOT_LEVEL_FLOAT (145), pack(1).
    MarketDepthSnapshotLevelFloat = 145, 24 {
        symbol_id: u32 = "SymbolID" @ 4,
        price: f32 = "Price" @ 8,
        quantity: f32 = "Quantity" @ 12,
        num_orders: u32 = "NumOrders" @ 16,
        level: u16 = "Level" @ 20,
        side: u8 = "Side" @ 22,
        final_update_in_batch: u8 = "FinalUpdateInBatch" @ 23,
    }
    /// MARKET_DATA_UPDATE_TRADE_WITH_UNBUNDLED_INDICATOR_2 (146), pack(1).
    MarketDataUpdateTradeWithUnbundledIndicator2 = 146, 27 {
        symbol_id: u32 = "SymbolID" @ 4,
        price: f32 = "Price" @ 8,
        volume: u32 = "Volume" @ 12,
        date_time: i64 = "DateTime" @ 16,
        at_bid_or_ask: u8 = "AtBidOrAsk" @ 24,
        unbundled_trade_indicator: i8 = "UnbundledTradeIndicator" @ 25,
        trade_condition: i8 = "TradeCondition" @ 26,
    }
    /// SUBMIT_NEW_OCO_ORDER (201): two linked orders, optionally children of a parent (bracket).
    /// Offsets computed from the newest header's declaration (pack 8; older sizeof 376).
    SubmitNewOcoOrder = 201, 448, boxed {
        symbol: S64 = "Symbol" @ 4,
        exchange: S16 = "Exchange" @ 68,
        client_order_id_1: S32 = "ClientOrderID_1" @ 84,
        order_type_1: i32 = "OrderType_1" @ 116,
        buy_sell_1: i32 = "BuySell_1" @ 120,
        price1_1: f64 = "Price1_1" @ 128,
        price2_1: f64 = "Price2_1" @ 136,
        quantity_1: f64 = "Quantity_1" @ 144,
        client_order_id_2: S32 = "ClientOrderID_2" @ 152,
        order_type_2: i32 = "OrderType_2" @ 184,
        buy_sell_2: i32 = "BuySell_2" @ 188,
        price1_2: f64 = "Price1_2" @ 192,
        price2_2: f64 = "Price2_2" @ 200,
        quantity_2: f64 = "Quantity_2" @ 208,
        time_in_force: i32 = "TimeInForce" @ 216,
        good_till_date_time: i64 = "GoodTillDateTime" @ 224,
        trade_account: S32 = "TradeAccount" @ 232,
        is_automated_order: u8 = "IsAutomatedOrder" @ 264,
        parent_trigger_client_order_id: S32 = "ParentTriggerClientOrderID" @ 265,
        free_form_text: S48 = "FreeFormText" @ 297,
        open_or_close: i32 = "OpenOrClose" @ 348,
        partial_fill_handling: i8 = "PartialFillHandling" @ 352,
        use_offsets: u8 = "UseOffsets" @ 353,
        offset_from_parent1: f64 = "OffsetFromParent1" @ 360,
        offset_from_parent2: f64 = "OffsetFromParent2" @ 368,
        maintain_same_prices_on_parent_fill: u8 = "MaintainSamePricesOnParentFill" @ 376,
        price1_1_as_string: S16 = "Price1_1AsString" @ 377,
        price2_1_as_string: S16 = "Price2_1AsString" @ 393,
        price1_2_as_string: S16 = "Price1_2AsString" @ 409,
        price2_2_as_string: S16 = "Price2_2AsString" @ 425,
    }
    /// CANCEL_ORDER (203).
    CancelOrder = 203, 100 {
        server_order_id: S32 = "ServerOrderID" @ 4,
        client_order_id: S32 = "ClientOrderID" @ 36,
        trade_account: S32 = "TradeAccount" @ 68,
    }
    /// CANCEL_REPLACE_ORDER (204).
    CancelReplaceOrder = 204, 192, boxed {
        server_order_id: S32 = "ServerOrderID" @ 4,
        client_order_id: S32 = "ClientOrderID" @ 36,
        price1: f64 = "Price1" @ 72,
        price2: f64 = "Price2" @ 80,
        quantity: f64 = "Quantity" @ 88,
        price1_is_set: u8 = "Price1IsSet" @ 96 => 1,
        price2_is_set: u8 = "Price2IsSet" @ 97 => 1,
        unused: i32 = "Unused" @ 100,
        time_in_force: i32 = "TimeInForce" @ 104,
        good_till_date_time: i64 = "GoodTillDateTime" @ 112,
        update_price1_offset_to_parent: u8 = "UpdatePrice1OffsetToParent" @ 120,
        trade_account: S32 = "TradeAccount" @ 121,
        price1_as_string: S16 = "Price1AsString" @ 153,
        price2_as_string: S16 = "Price2AsString" @ 169,
    }
    /// SUBMIT_NEW_SINGLE_ORDER (208).
    SubmitNewSingleOrder = 208, 304, boxed {
        symbol: S64 = "Symbol" @ 4,
        exchange: S16 = "Exchange" @ 68,
        trade_account: S32 = "TradeAccount" @ 84,
        client_order_id: S32 = "ClientOrderID" @ 116,
        order_type: i32 = "OrderType" @ 148,
        buy_sell: i32 = "BuySell" @ 152,
        price1: f64 = "Price1" @ 160,
        price2: f64 = "Price2" @ 168,
        quantity: f64 = "Quantity" @ 176,
        time_in_force: i32 = "TimeInForce" @ 184,
        good_till_date_time: i64 = "GoodTillDateTime" @ 192,
        is_automated_order: u8 = "IsAutomatedOrder" @ 200,
        is_parent_order: u8 = "IsParentOrder" @ 201,
        free_form_text: S48 = "FreeFormText" @ 202,
        open_or_close: i32 = "OpenOrClose" @ 252,
        max_show_quantity: f64 = "MaxShowQuantity" @ 256,
        price1_as_string: S16 = "Price1AsString" @ 264,
        price2_as_string: S16 = "Price2AsString" @ 280,
        // The position the order should leave; when set, the server ignores `Quantity`.
        intended_position_quantity: f64 = "IntendedPositionQuantity" @ 296,
    }
    /// OPEN_ORDERS_REQUEST (300).
    OpenOrdersRequest = 300, 76 {
        request_id: i32 = "RequestID" @ 4,
        request_all_orders: i32 = "RequestAllOrders" @ 8 => 1,
        server_order_id: S32 = "ServerOrderID" @ 12,
        trade_account: S32 = "TradeAccount" @ 44,
    }
    /// ORDER_UPDATE (301).
    OrderUpdate = 301, 720, boxed {
        request_id: i32 = "RequestID" @ 4,
        total_num_messages: i32 = "TotalNumMessages" @ 8,
        message_number: i32 = "MessageNumber" @ 12,
        symbol: S64 = "Symbol" @ 16,
        exchange: S16 = "Exchange" @ 80,
        previous_server_order_id: S32 = "PreviousServerOrderID" @ 96,
        server_order_id: S32 = "ServerOrderID" @ 128,
        client_order_id: S32 = "ClientOrderID" @ 160,
        exchange_order_id: S32 = "ExchangeOrderID" @ 192,
        order_status: i32 = "OrderStatus" @ 224,
        order_update_reason: i32 = "OrderUpdateReason" @ 228,
        order_type: i32 = "OrderType" @ 232,
        buy_sell: i32 = "BuySell" @ 236,
        price1: f64 = "Price1" @ 240 => UNSET_F64,
        price2: f64 = "Price2" @ 248 => UNSET_F64,
        time_in_force: i32 = "TimeInForce" @ 256,
        good_till_date_time: i64 = "GoodTillDateTime" @ 264,
        order_quantity: f64 = "OrderQuantity" @ 272 => UNSET_F64,
        filled_quantity: f64 = "FilledQuantity" @ 280 => UNSET_F64,
        remaining_quantity: f64 = "RemainingQuantity" @ 288 => UNSET_F64,
        average_fill_price: f64 = "AverageFillPrice" @ 296 => UNSET_F64,
        last_fill_price: f64 = "LastFillPrice" @ 304 => UNSET_F64,
        last_fill_date_time: i64 = "LastFillDateTime" @ 312,
        last_fill_quantity: f64 = "LastFillQuantity" @ 320 => UNSET_F64,
        last_fill_execution_id: S64 = "LastFillExecutionID" @ 328,
        trade_account: S32 = "TradeAccount" @ 392,
        info_text: S96 = "InfoText" @ 424,
        no_orders: u8 = "NoOrders" @ 520,
        parent_server_order_id: S32 = "ParentServerOrderID" @ 521,
        oco_linked_order_server_order_id: S32 = "OCOLinkedOrderServerOrderID" @ 553,
        open_or_close: i32 = "OpenOrClose" @ 588,
        previous_client_order_id: S32 = "PreviousClientOrderID" @ 592,
        free_form_text: S48 = "FreeFormText" @ 624,
        order_received_date_time: i64 = "OrderReceivedDateTime" @ 672,
        latest_transaction_date_time: f64 = "LatestTransactionDateTime" @ 680,
        username: S32 = "Username" @ 688,
    }
    /// OPEN_ORDERS_REJECT (302).
    OpenOrdersReject = 302, 104 {
        request_id: i32 = "RequestID" @ 4,
        reject_text: S96 = "RejectText" @ 8,
    }
    /// HISTORICAL_ORDER_FILLS_REQUEST (303).
    HistoricalOrderFillsRequest = 303, 88 {
        request_id: i32 = "RequestID" @ 4,
        server_order_id: S32 = "ServerOrderID" @ 8,
        number_of_days: i32 = "NumberOfDays" @ 40,
        trade_account: S32 = "TradeAccount" @ 44,
        start_date_time: i64 = "StartDateTime" @ 80,
    }
    /// HISTORICAL_ORDER_FILL_RESPONSE (304).
    HistoricalOrderFillResponse = 304, 480, boxed {
        request_id: i32 = "RequestID" @ 4,
        total_number_messages: i32 = "TotalNumberMessages" @ 8,
        message_number: i32 = "MessageNumber" @ 12,
        symbol: S64 = "Symbol" @ 16,
        exchange: S16 = "Exchange" @ 80,
        server_order_id: S32 = "ServerOrderID" @ 96,
        buy_sell: i32 = "BuySell" @ 128,
        price: f64 = "Price" @ 136,
        date_time: i64 = "DateTime" @ 144,
        quantity: f64 = "Quantity" @ 152,
        unique_execution_id: S64 = "UniqueExecutionID" @ 160,
        trade_account: S32 = "TradeAccount" @ 224,
        open_close: i32 = "OpenClose" @ 256,
        no_order_fills: u8 = "NoOrderFills" @ 260,
        info_text: S96 = "InfoText" @ 261,
        high_price_during_position: f64 = "HighPriceDuringPosition" @ 360,
        low_price_during_position: f64 = "LowPriceDuringPosition" @ 368,
        position_quantity: f64 = "PositionQuantity" @ 376 => UNSET_F64,
        username: S32 = "Username" @ 384,
        exchange_order_id: S32 = "ExchangeOrderID" @ 416,
        sender_sub_id: S32 = "SenderSubID" @ 448,
    }
    /// CURRENT_POSITIONS_REQUEST (305).
    CurrentPositionsRequest = 305, 40 {
        request_id: i32 = "RequestID" @ 4,
        trade_account: S32 = "TradeAccount" @ 8,
    }
    /// POSITION_UPDATE (306).
    PositionUpdate = 306, 240, boxed {
        request_id: i32 = "RequestID" @ 4,
        total_number_messages: i32 = "TotalNumberMessages" @ 8,
        message_number: i32 = "MessageNumber" @ 12,
        symbol: S64 = "Symbol" @ 16,
        exchange: S16 = "Exchange" @ 80,
        quantity: f64 = "Quantity" @ 96,
        average_price: f64 = "AveragePrice" @ 104,
        position_identifier: S32 = "PositionIdentifier" @ 112,
        trade_account: S32 = "TradeAccount" @ 144,
        no_positions: u8 = "NoPositions" @ 176,
        unsolicited: u8 = "Unsolicited" @ 177,
        margin_requirement: f64 = "MarginRequirement" @ 184,
        entry_date_time: u32 = "EntryDateTime" @ 192,
        open_profit_loss: f64 = "OpenProfitLoss" @ 200,
        high_price_during_position: f64 = "HighPriceDuringPosition" @ 208,
        low_price_during_position: f64 = "LowPriceDuringPosition" @ 216,
        quantity_limit: f64 = "QuantityLimit" @ 224,
        max_potential_postion_quantity: f64 = "MaxPotentialPostionQuantity" @ 232,
    }
    /// CURRENT_POSITIONS_REJECT (307).
    CurrentPositionsReject = 307, 104 {
        request_id: i32 = "RequestID" @ 4,
        reject_text: S96 = "RejectText" @ 8,
    }
    /// HISTORICAL_ORDER_FILLS_REJECT (308).
    HistoricalOrderFillsReject = 308, 104 {
        request_id: i32 = "RequestID" @ 4,
        reject_text: S96 = "RejectText" @ 8,
    }
    /// TRADE_ACCOUNTS_REQUEST (400).
    TradeAccountsRequest = 400, 8 {
        request_id: i32 = "RequestID" @ 4,
    }
    /// TRADE_ACCOUNT_RESPONSE (401); RequestID comes after the account.
    TradeAccountResponse = 401, 52 {
        total_number_messages: i32 = "TotalNumberMessages" @ 4,
        message_number: i32 = "MessageNumber" @ 8,
        trade_account: S32 = "TradeAccount" @ 12,
        request_id: i32 = "RequestID" @ 44,
        trading_is_disabled: i32 = "TradingIsDisabled" @ 48,
    }
    /// EXCHANGE_LIST_REQUEST (500).
    ExchangeListRequest = 500, 8 {
        request_id: i32 = "RequestID" @ 4,
    }
    /// EXCHANGE_LIST_RESPONSE (501): one per exchange; `IsFinalMessage` on the last.
    ExchangeListResponse = 501, 76 {
        request_id: i32 = "RequestID" @ 4,
        exchange: S16 = "Exchange" @ 8,
        is_final_message: u8 = "IsFinalMessage" @ 24,
        description: S48 = "Description" @ 25,
    }
    /// SECURITY_DEFINITION_FOR_SYMBOL_REQUEST (506).
    SecurityDefinitionForSymbolRequest = 506, 88 {
        request_id: i32 = "RequestID" @ 4,
        symbol: S64 = "Symbol" @ 8,
        exchange: S16 = "Exchange" @ 72,
    }
    /// SECURITY_DEFINITION_RESPONSE (507).
    SecurityDefinitionResponse = 507, 432, boxed {
        request_id: i32 = "RequestID" @ 4,
        symbol: S64 = "Symbol" @ 8,
        exchange: S16 = "Exchange" @ 72,
        security_type: i32 = "SecurityType" @ 88,
        description: S64 = "Description" @ 92,
        min_price_increment: f32 = "MinPriceIncrement" @ 156,
        price_display_format: i32 = "PriceDisplayFormat" @ 160 => -1,
        currency_value_per_increment: f32 = "CurrencyValuePerIncrement" @ 164,
        is_final_message: u8 = "IsFinalMessage" @ 168,
        float_to_int_price_multiplier: f32 = "FloatToIntPriceMultiplier" @ 172 => 1.0,
        int_to_float_price_divisor: f32 = "IntToFloatPriceDivisor" @ 176 => 1.0,
        underlying_symbol: S32 = "UnderlyingSymbol" @ 180,
        updates_bid_ask_only: u8 = "UpdatesBidAskOnly" @ 212,
        strike_price: f32 = "StrikePrice" @ 216,
        put_or_call: u8 = "PutOrCall" @ 220,
        short_interest: u32 = "ShortInterest" @ 224,
        security_expiration_date: u32 = "SecurityExpirationDate" @ 228,
        buy_rollover_interest: f32 = "BuyRolloverInterest" @ 232,
        sell_rollover_interest: f32 = "SellRolloverInterest" @ 236,
        earnings_per_share: f32 = "EarningsPerShare" @ 240,
        shares_outstanding: u32 = "SharesOutstanding" @ 244,
        int_to_float_quantity_divisor: f32 = "IntToFloatQuantityDivisor" @ 248,
        has_market_depth_data: u8 = "HasMarketDepthData" @ 252 => 1,
        display_price_multiplier: f32 = "DisplayPriceMultiplier" @ 256 => 1.0,
        exchange_symbol: S64 = "ExchangeSymbol" @ 260,
        initial_margin_requirement: f32 = "InitialMarginRequirement" @ 324,
        maintenance_margin_requirement: f32 = "MaintenanceMarginRequirement" @ 328,
        currency: S8 = "Currency" @ 332,
        contract_size: f32 = "ContractSize" @ 340,
        open_interest: u32 = "OpenInterest" @ 344,
        rollover_date: u32 = "RolloverDate" @ 348,
        is_delayed: u8 = "IsDelayed" @ 352,
        security_identifier: i64 = "SecurityIdentifier" @ 360,
        product_identifier: S64 = "ProductIdentifier" @ 368,
    }
    /// SECURITY_DEFINITION_REJECT (509).
    SecurityDefinitionReject = 509, 104 {
        request_id: i32 = "RequestID" @ 4,
        reject_text: S96 = "RejectText" @ 8,
    }
    /// ACCOUNT_BALANCE_UPDATE (600).
    AccountBalanceUpdate = 600, 416, boxed {
        request_id: i32 = "RequestID" @ 4,
        cash_balance: f64 = "CashBalance" @ 8,
        balance_available_for_new_positions: f64 = "BalanceAvailableForNewPositions" @ 16,
        account_currency: S8 = "AccountCurrency" @ 24,
        trade_account: S32 = "TradeAccount" @ 32,
        securities_value: f64 = "SecuritiesValue" @ 64,
        margin_requirement: f64 = "MarginRequirement" @ 72,
        total_number_messages: i32 = "TotalNumberMessages" @ 80,
        message_number: i32 = "MessageNumber" @ 84,
        no_account_balances: u8 = "NoAccountBalances" @ 88,
        unsolicited: u8 = "Unsolicited" @ 89,
        open_positions_profit_loss: f64 = "OpenPositionsProfitLoss" @ 96,
        daily_profit_loss: f64 = "DailyProfitLoss" @ 104,
        info_text: S96 = "InfoText" @ 112,
        transaction_identifier: u64 = "TransactionIdentifier" @ 208,
        daily_net_loss_limit: f64 = "DailyNetLossLimit" @ 216,
        trailing_account_value_to_limit_positions: f64 = "TrailingAccountValueToLimitPositions" @ 224,
        daily_net_loss_limit_reached: u8 = "DailyNetLossLimitReached" @ 232,
        is_under_required_margin: u8 = "IsUnderRequiredMargin" @ 233,
        close_positions_at_end_of_day: u8 = "ClosePositionsAtEndOfDay" @ 234,
        trading_is_disabled: u8 = "TradingIsDisabled" @ 235,
        description: S96 = "Description" @ 236,
        is_under_required_account_value: u8 = "IsUnderRequiredAccountValue" @ 332,
        transaction_date_time: i64 = "TransactionDateTime" @ 336,
        margin_requirement_full: f64 = "MarginRequirementFull" @ 344,
        margin_requirement_full_positions_only: f64 = "MarginRequirementFullPositionsOnly" @ 352,
        peak_margin_requirement: f64 = "PeakMarginRequirement" @ 360,
        introducing_broker: S32 = "IntroducingBroker" @ 368,
        open_positions_profit_loss_based_on_settlement_price: f64 =
            "OpenPositionsProfitLossBasedOnSettlementPrice" @ 400,
        last_order_activity_date_time: i64 = "LastOrderActivityDateTime" @ 408,
    }
    /// ACCOUNT_BALANCE_REQUEST (601).
    AccountBalanceRequest = 601, 40 {
        request_id: i32 = "RequestID" @ 4,
        trade_account: S32 = "TradeAccount" @ 8,
    }
    /// ACCOUNT_BALANCE_REJECT (602).
    AccountBalanceReject = 602, 104 {
        request_id: i32 = "RequestID" @ 4,
        reject_text: S96 = "RejectText" @ 8,
    }
    /// HISTORICAL_ACCOUNT_BALANCES_REQUEST (603); `StartDateTime` in Unix seconds (0: all).
    HistoricalAccountBalancesRequest = 603, 48 {
        request_id: i32 = "RequestID" @ 4,
        trade_account: S32 = "TradeAccount" @ 8,
        start_date_time: i64 = "StartDateTime" @ 40,
    }
    /// HISTORICAL_ACCOUNT_BALANCES_REJECT (604).
    HistoricalAccountBalancesReject = 604, 104 {
        request_id: i32 = "RequestID" @ 4,
        reject_text: S96 = "RejectText" @ 8,
    }
    /// HISTORICAL_ACCOUNT_BALANCE_RESPONSE (606): one per balance change; `IsFinalResponse` on
    /// the last, `NoAccountBalances` when there is none.
    HistoricalAccountBalanceResponse = 606, 232, boxed {
        request_id: i32 = "RequestID" @ 4,
        date_time: f64 = "DateTime" @ 8,
        cash_balance: f64 = "CashBalance" @ 16,
        account_currency: S8 = "AccountCurrency" @ 24,
        trade_account: S32 = "TradeAccount" @ 32,
        is_final_response: u8 = "IsFinalResponse" @ 64,
        no_account_balances: u8 = "NoAccountBalances" @ 65,
        info_text: S96 = "InfoText" @ 66,
        transaction_id: S64 = "TransactionId" @ 162,
    }
    /// USER_MESSAGE (700).
    UserMessage = 700, 262, boxed {
        user_message: S256 = "UserMessage" @ 4,
        is_popup_message: u8 = "IsPopupMessage" @ 260 => 1,
    }
    /// GENERAL_LOG_MESSAGE (701).
    GeneralLogMessage = 701, 132 {
        message_text: S128 = "MessageText" @ 4,
    }
    /// ALERT_MESSAGE (702): an alert from the server, optionally about one trade account.
    AlertMessage = 702, 164, boxed {
        message_text: S128 = "MessageText" @ 4,
        trade_account: S32 = "TradeAccount" @ 132,
    }
}
