//! The message table's accounts, exchanges, security definitions, balances and server messages (DTC types 400-702).

use super::{S128, S16, S256, S32, S48, S64, S8, S96};

dtc_structs! {
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
    SecurityDefinitionResponse = 507, 432 {
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
    AccountBalanceUpdate = 600, 416 {
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
    HistoricalAccountBalanceResponse = 606, 232 {
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
    UserMessage = 700, 262 {
        user_message: S256 = "UserMessage" @ 4,
        is_popup_message: u8 = "IsPopupMessage" @ 260 => 1,
    }
    /// GENERAL_LOG_MESSAGE (701).
    GeneralLogMessage = 701, 132 {
        message_text: S128 = "MessageText" @ 4,
    }
    /// ALERT_MESSAGE (702): an alert from the server, optionally about one trade account.
    AlertMessage = 702, 164 {
        message_text: S128 = "MessageText" @ 4,
        trade_account: S32 = "TradeAccount" @ 132,
    }
}
