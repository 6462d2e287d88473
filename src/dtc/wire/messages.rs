//! The DTC messages we speak: the `Message` list here; the newest header's field tables, by type range, in `messages/`.

// The tables are split by the header's type ranges so each file stays reviewable; every struct
// is re-exported here, so its path (`messages::LogonRequest`) is what it was with one table.
mod accounts;
mod market;
mod orders;
mod session;

pub use accounts::*;
pub use market::*;
pub use orders::*;
pub use session::*;

use super::types::FStr;

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

// One line per message, in type-number order: the struct's name, and `boxed` for a large, rare
// message (see `variant_ty!`). Both directions are checked at compile time: a name here without
// a struct is an unknown type, and a struct missing here fails its `From` impl, which names the
// variant (see `dtc_structs!`).
dtc_enum! {
    // session.rs: logon, heartbeat, logoff, encoding (1-7).
    LogonRequest boxed,
    LogonResponse boxed,
    Heartbeat,
    Logoff,
    EncodingRequest,
    EncodingResponse,
    // market.rs: market data and depth (100-146).
    MarketDataFeedStatus,
    MarketDataRequest,
    MarketDepthRequest,
    MarketDataReject,
    MarketDataSnapshot,
    MarketDepthUpdateLevel,
    MarketDataUpdateTrade,
    MarketDataUpdateBidAsk,
    MarketDataUpdateTradeCompact,
    MarketDataUpdateSessionVolume,
    MarketDataUpdateSessionHigh,
    MarketDataUpdateSessionLow,
    MarketDataFeedSymbolStatus,
    MarketDataUpdateBidAskCompact,
    MarketDataUpdateSessionSettlement,
    MarketDataUpdateSessionOpen,
    MarketDepthReject,
    MarketDepthSnapshotLevel,
    MarketDataUpdateOpenInterest,
    MarketDataUpdateLastTradeSnapshot,
    MarketDataUpdateSessionNumTrades,
    MarketDataUpdateTradingSessionDate,
    MarketDataUpdateTradeWithUnbundledIndicator,
    TradingSymbolStatus,
    MarketDepthUpdateLevelFloatWithMilliseconds,
    MarketDepthUpdateLevelNoTimestamp,
    MarketDataUpdateTradeNoTimestamp,
    MarketDataUpdateBidAskNoTimestamp,
    MarketDataUpdateBidAskFloatWithMicroseconds,
    MarketDepthSnapshotLevelFloat,
    MarketDataUpdateTradeWithUnbundledIndicator2,
    // orders.rs: order entry, order updates, fills, positions (200-308).
    SubmitNewOcoOrder boxed,
    CancelOrder,
    CancelReplaceOrder boxed,
    SubmitNewSingleOrder boxed,
    OpenOrdersRequest,
    OrderUpdate boxed,
    OpenOrdersReject,
    HistoricalOrderFillsRequest,
    HistoricalOrderFillResponse boxed,
    CurrentPositionsRequest,
    PositionUpdate boxed,
    CurrentPositionsReject,
    HistoricalOrderFillsReject,
    // accounts.rs: accounts, exchanges, security definitions, balances, server messages (400-702).
    TradeAccountsRequest,
    TradeAccountResponse,
    ExchangeListRequest,
    ExchangeListResponse,
    SecurityDefinitionForSymbolRequest,
    SecurityDefinitionResponse boxed,
    SecurityDefinitionReject,
    AccountBalanceUpdate boxed,
    AccountBalanceRequest,
    AccountBalanceReject,
    HistoricalAccountBalancesRequest,
    HistoricalAccountBalancesReject,
    HistoricalAccountBalanceResponse boxed,
    UserMessage boxed,
    GeneralLogMessage,
    AlertMessage boxed,
}
