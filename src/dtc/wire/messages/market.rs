//! The message table's market data and market depth messages (DTC types 100-146).

use super::{S16, S64, S96};
use crate::dtc::wire::types::{UNSET_F32, UNSET_F64, UNSET_U32};

dtc_structs! {
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
}
