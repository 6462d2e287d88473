//! The message table's order entry, order updates, fills and positions (DTC types 200-308).

use super::{S16, S32, S48, S64, S96};
use crate::dtc::wire::types::UNSET_F64;

dtc_structs! {
    /// SUBMIT_NEW_OCO_ORDER (201): two linked orders, optionally children of a parent (bracket).
    /// Offsets computed from the newest header's declaration (pack 8; older sizeof 376).
    SubmitNewOcoOrder = 201, 448 {
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
    CancelReplaceOrder = 204, 192 {
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
    SubmitNewSingleOrder = 208, 304 {
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
    OrderUpdate = 301, 720 {
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
    HistoricalOrderFillResponse = 304, 480 {
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
    PositionUpdate = 306, 240 {
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
}
