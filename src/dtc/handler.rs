//! Handling of decoded server messages: session replies, market data into the market state, books.

use super::book::PriceScale;
use super::client::DtcClient;
use super::market_data::{apply, effect};
use super::messages::*;
use super::session::{LogonOutcome, Phase};
use super::types::consts::*;
use super::types::Encoding;
use crate::endpoint::Ctx;

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Instant;

/// Redirects followed per successful logon before falling back to the configured address.
const MAX_REDIRECTS: u32 = 3;

/// A trading price from wire to display units; unset (0, DBL_MAX) stays unset.
#[inline]
fn unwire(v: f64, k: PriceScale) -> f64 {
    if v == 0.0 || v == f64::MAX || !v.is_finite() {
        v
    } else {
        k.display(v)
    }
}

impl DtcClient {
    pub(super) fn handle(&mut self, m: Message, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        match m {
            Message::EncodingResponse(r) => match Encoding::from_code(r.encoding) {
                Some(enc) if self.session.phase == Phase::Negotiating => {
                    if enc != self.requested {
                        log::info!(
                            "{}: server chose encoding {enc:?} (asked {:?})",
                            self.label,
                            self.requested
                        );
                    }
                    self.codec.encoding = enc;
                    self.send_logon(now);
                }
                Some(_) => {}
                None if self.session.phase == Phase::Negotiating => {
                    // Asking again would get the same answer: give up on this server.
                    let why = format!(
                        "server chose encoding {} (VLS/protobuf?), which this client does not speak; set `encoding`/`negotiate` to match the server",
                        r.encoding
                    );
                    log::error!("{}: {why}", self.label);
                    self.disconnect(now, &why, false, false);
                }
                None => {}
            },
            // Only the answer to our LOGON_REQUEST counts: a repeat while logged on would re-run
            // after_logon and duplicate every subscription.
            Message::LogonResponse(_)
                if !matches!(self.session.phase, Phase::LoggingOn | Phase::Negotiating) =>
            {
                log::warn!(
                    "{}: LOGON_RESPONSE in phase {:?} ignored",
                    self.label,
                    self.session.phase
                );
            }
            Message::LogonResponse(r) => match self.session.on_logon_response(&r, now) {
                LogonOutcome::Success => {
                    self.redirects = 0;
                    self.server_name = r.server_name.as_str().to_string();
                    self.trading_supported = r.trading_is_supported != 0;
                    self.resubscribe_on_feed = r.resubscribe_when_market_data_feed_available != 0;
                    self.secdefs_supported = r.security_definitions_supported != 0;
                    self.bracket_supported =
                        r.bracket_orders_supported != 0 && r.oco_orders_supported != 0;
                    self.last_error = None;
                    log::info!(
                        "{}: logged on to {:?} ({:?}, trading {})",
                        self.label,
                        self.server_name,
                        self.codec.encoding,
                        if self.trading_supported { "on" } else { "off" }
                    );
                    self.after_logon(now);
                }
                LogonOutcome::Retry(t) => {
                    self.disconnect(now, &format!("logon refused: {t}"), true, false)
                }
                LogonOutcome::GiveUp(t) => self.disconnect(
                    now,
                    &format!("logon refused, do not reconnect: {t}"),
                    false,
                    false,
                ),
                LogonOutcome::Redirect(a) => self.redirect(&a, now),
            },
            Message::Heartbeat(_) => self.stats.heartbeats += 1,
            Message::Logoff(l) => {
                let (reconnect, why) = match self.session.on_logoff(&l) {
                    LogonOutcome::GiveUp(w) => (false, w),
                    LogonOutcome::Retry(w) | LogonOutcome::Redirect(w) => (true, w),
                    LogonOutcome::Success => (true, String::new()),
                };
                self.disconnect(now, &format!("server logoff: {why}"), reconnect, false);
            }
            Message::MarketDataReject(r) => {
                let label = &self.label;
                if let Some(s) = self.symbols.by_id(r.symbol_id) {
                    if s.rejected.is_none() {
                        log::warn!(
                            "{label}: market data for {} rejected: {:?} (Sierra Chart refuses CME data on its DTC server; trading continues)",
                            s.name,
                            r.reject_text.as_str()
                        );
                        s.rejected = Some(r.reject_text.as_str().to_string());
                    }
                }
            }
            Message::MarketDepthReject(r) => {
                if let Some(s) = self.symbols.by_id(r.symbol_id) {
                    log::warn!(
                        "{}: market depth for {} rejected: {:?}",
                        self.label,
                        s.name,
                        r.reject_text.as_str()
                    );
                }
            }
            Message::SecurityDefinitionResponse(d) => {
                let label = &self.label;
                let Some(i) = self.symbols.list.iter().position(|s| s.name == d.symbol.as_str())
                else {
                    return;
                };
                let s = &mut self.symbols.list[i];
                s.scale = super::book::PriceScale::new(d.display_price_multiplier);
                s.has_definition = true;
                log::info!(
                    "{label}: {} DisplayPriceMultiplier {} tick {}",
                    s.name,
                    s.scale.mult,
                    d.min_price_increment
                );
                if !s.subscribed {
                    self.subscribe_symbol(i);
                    self.settle_secdef_wait();
                }
            }
            Message::SecurityDefinitionReject(r) => {
                let found =
                    self.symbols.list.iter().position(|s| s.secdef_request_id == r.request_id);
                let name = found.map_or("?", |i| self.symbols.list[i].name.as_str());
                log::warn!(
                    "{}: security definition for {name} rejected: {:?}; prices taken as sent",
                    self.label,
                    r.reject_text.as_str()
                );
                if let Some(i) = found.filter(|&i| !self.symbols.list[i].subscribed) {
                    self.subscribe_symbol(i);
                    self.settle_secdef_wait();
                }
            }
            Message::TradeAccountResponse(a) => {
                self.book.on_account(a.trade_account.as_str());
                self.answered(a.request_id, a.message_number >= a.total_number_messages);
            }
            Message::AccountBalanceUpdate(b) => {
                self.book.on_balance(&b);
                self.answered(
                    b.request_id,
                    b.no_account_balances != 0 || b.message_number >= b.total_number_messages,
                );
            }
            Message::AccountBalanceReject(r) => {
                self.reject("account balance", r.request_id, r.reject_text.as_str())
            }
            Message::PositionUpdate(p) => {
                let mut p = p;
                if let Some(k) = self.trading_scale(p.symbol.as_str()) {
                    p.average_price = unwire(p.average_price, k);
                    p.high_price_during_position = unwire(p.high_price_during_position, k);
                    p.low_price_during_position = unwire(p.low_price_during_position, k);
                }
                self.book.on_position(&p);
                self.answered(
                    p.request_id,
                    p.no_positions != 0 || p.message_number >= p.total_number_messages,
                );
            }
            Message::CurrentPositionsReject(r) => {
                self.reject("positions", r.request_id, r.reject_text.as_str())
            }
            Message::OrderUpdate(u) => {
                if let Some(i) =
                    self.pending_orders.iter().position(|(c, _)| *c == u.client_order_id)
                {
                    let (_, t0) = self.pending_orders.swap_remove(i);
                    self.hist_order.record(t0.elapsed());
                }
                if u.order_update_reason == OUR_NEW_ORDER_REJECTED
                    || u.order_update_reason == OUR_ORDER_CANCEL_REJECTED
                    || u.order_update_reason == OUR_ORDER_CANCEL_REPLACE_REJECTED
                {
                    log::warn!(
                        "{}: order {} rejected: {:?}",
                        self.label,
                        u.client_order_id,
                        u.info_text.as_str()
                    );
                }
                let mut u = u;
                if let Some(k) = self.trading_scale(u.symbol.as_str()) {
                    for p in [
                        &mut u.price1,
                        &mut u.price2,
                        &mut u.average_fill_price,
                        &mut u.last_fill_price,
                    ] {
                        *p = unwire(*p, k);
                    }
                }
                self.book.on_order(&u);
                self.answered(
                    u.request_id,
                    u.no_orders != 0 || u.message_number >= u.total_num_messages,
                );
            }
            Message::OpenOrdersReject(r) => {
                self.reject("open orders", r.request_id, r.reject_text.as_str())
            }
            Message::HistoricalOrderFillResponse(f) => {
                let mut f = f;
                if let Some(k) = self.trading_scale(f.symbol.as_str()) {
                    f.price = unwire(f.price, k);
                    f.high_price_during_position = unwire(f.high_price_during_position, k);
                    f.low_price_during_position = unwire(f.low_price_during_position, k);
                }
                self.book.on_fill(&f);
                self.answered(
                    f.request_id,
                    f.no_order_fills != 0 || f.message_number >= f.total_number_messages,
                );
            }
            Message::HistoricalOrderFillsReject(r) => {
                self.reject("order fills", r.request_id, r.reject_text.as_str())
            }
            Message::UserMessage(u) => {
                log::info!("{}: server says: {}", self.label, u.user_message)
            }
            Message::GeneralLogMessage(g) => {
                log::info!("{}: server log: {}", self.label, g.message_text)
            }
            Message::MarketDataFeedStatus(s) => {
                log::info!("{}: market data feed status {}", self.label, s.status);
                // 2 = AVAILABLE: the server forgot our subscriptions and expects them again.
                if s.status == 2 && self.resubscribe_on_feed {
                    self.subscribe_market_data(false);
                }
            }
            other => self.market_data(other, ctx),
        }
    }

    /// Follows a ReconnectAddress: IP:port literals only (no DNS on the loop), at most
    /// [`MAX_REDIRECTS`] per successful logon, immediately only the first time.
    fn redirect(&mut self, a: &str, now: Instant) {
        self.redirects = self.redirects.saturating_add(1);
        let target = SocketAddr::from_str(a).ok();
        // disconnect() drops any override after a failed logon; set the new one afterwards.
        match target {
            Some(t) if self.redirects <= MAX_REDIRECTS => {
                log::warn!("{}: server redirects to {t} ({})", self.label, self.redirects);
                self.disconnect(now, "redirected", true, self.redirects == 1);
                self.addr_override = Some(t.to_string());
            }
            Some(_) => {
                log::warn!(
                    "{}: more than {MAX_REDIRECTS} redirects; back to {}",
                    self.label,
                    self.cfg.addr
                );
                self.redirects = 0;
                self.disconnect(now, "too many redirects", true, false);
            }
            None => {
                log::warn!(
                    "{}: redirect to {a:?} ignored (not an IP:port literal); using {}",
                    self.label,
                    self.cfg.addr
                );
                self.disconnect(now, "redirect to a non-literal address", true, false);
            }
        }
    }

    /// The symbol's scale when `order_prices_scaled` (trading prices arrive in wire units).
    fn trading_scale(&self, symbol: &str) -> Option<PriceScale> {
        if !self.cfg.order_prices_scaled {
            return None;
        }
        self.symbols.list.iter().find(|s| s.name == symbol).map(|s| s.scale)
    }

    /// Stops waiting for definitions once every symbol is subscribed.
    fn settle_secdef_wait(&mut self) {
        if self.symbols.list.iter().all(|s| s.subscribed) {
            self.secdef_deadline = None;
        }
    }

    fn reject(&mut self, what: &str, request_id: i32, text: &str) {
        log::warn!("{}: {what} request rejected: {text:?}", self.label);
        self.answered(request_id, true);
    }

    /// Applies market data to the shared state (no allocation, no info logging).
    fn market_data(&mut self, m: Message, ctx: &mut Ctx<'_>) {
        let z = self.codec.encoding.is_json();
        let Some(id) = m.symbol_id() else {
            log::debug!("{}: {} ignored", self.label, m.name());
            return;
        };
        let Some(s) = self.symbols.by_id(id) else {
            // Market data for a SymbolID we never asked for.
            if effect(&m, PriceScale::default(), z).is_some() {
                self.stats.bad += 1;
            }
            return;
        };
        match effect(&m, s.scale, z) {
            Some(e) => {
                if apply(s, e, ctx.market, ctx.now) {
                    self.stats.market_data += 1;
                }
            }
            None => log::debug!("{}: {} ignored", self.label, m.name()),
        }
    }
}
