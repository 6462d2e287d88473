//! Market-data subscriptions of one connection: security definitions first, then data and depth.

use super::codec::Outbox;
use super::messages::*;
use super::symbols::{PriceScale, SymbolTable};
use super::trading::Requests;
use super::types::consts::SUBSCRIBE;
use std::time::{Duration, Instant};

/// How long to wait for security definitions before subscribing with multiplier 1.
pub(crate) const SECDEF_WAIT: Duration = Duration::from_secs(5);

/// The configured symbols and what has been asked for on the current connection.
#[derive(Debug)]
pub(crate) struct Subscriptions {
    symbols: SymbolTable,
    exchange: S16,
    depth_levels: i32,
    /// Subscribe symbols still without a security definition at this instant.
    secdef_deadline: Option<Instant>,
}

impl Subscriptions {
    pub(crate) fn new(symbols: SymbolTable, exchange: &str, depth_levels: i32) -> Self {
        Subscriptions { symbols, exchange: exchange.into(), depth_levels, secdef_deadline: None }
    }

    pub(crate) fn symbols(&self) -> &SymbolTable {
        &self.symbols
    }

    pub(crate) fn symbols_mut(&mut self) -> &mut SymbolTable {
        &mut self.symbols
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.secdef_deadline
    }

    /// The connection closed: nothing is pending on the next one.
    pub(crate) fn on_close(&mut self) {
        self.secdef_deadline = None;
    }

    /// After logon (and every reconnect): security definitions first, so prices are scaled by
    /// DisplayPriceMultiplier from the first update; without them, market data at once.
    pub(crate) fn after_logon(
        &mut self,
        secdefs: bool,
        requests: &mut Requests,
        out: &mut Outbox,
        now: Instant,
    ) {
        for s in self.symbols.all_mut() {
            s.subscribed = false;
            // The new connection decides again (and the warning is worth repeating).
            s.rejected = None;
            s.depth_batch_open = false;
        }
        if secdefs && !self.symbols.all_mut().is_empty() {
            for s in self.symbols.all_mut() {
                s.secdef_request_id = requests.next_id();
                out.send(SecurityDefinitionForSymbolRequest {
                    request_id: s.secdef_request_id,
                    symbol: s.name.as_str().into(),
                    exchange: self.exchange,
                });
            }
            self.secdef_deadline = Some(now + SECDEF_WAIT);
        } else {
            self.subscribe_all(false, out);
        }
    }

    /// Subscribes every symbol (`only_pending`: those not yet subscribed on this connection).
    pub(crate) fn subscribe_all(&mut self, only_pending: bool, out: &mut Outbox) {
        for i in 0..self.symbols.all_mut().len() {
            if !(only_pending && self.symbols.all_mut()[i].subscribed) {
                self.subscribe(i, out);
            }
        }
    }

    /// Market data (and depth when configured) for symbol `i`; servers forget them on reconnect.
    fn subscribe(&mut self, i: usize, out: &mut Outbox) {
        let Some(s) = self.symbols.all_mut().get_mut(i) else { return };
        s.subscribed = true;
        s.depth.clear();
        let (symbol_id, symbol): (u32, S64) = (s.id, s.name.as_str().into());
        let exchange = self.exchange;
        out.send(MarketDataRequest {
            request_action: SUBSCRIBE,
            symbol_id,
            symbol,
            exchange,
            ..Default::default()
        });
        if self.depth_levels > 0 {
            out.send(MarketDepthRequest {
                request_action: SUBSCRIBE,
                symbol_id,
                symbol,
                exchange,
                num_levels: self.depth_levels,
            });
        }
    }

    /// The wait for definitions is over: subscribe the rest with multiplier 1.
    pub(crate) fn handle_timeout(&mut self, now: Instant, out: &mut Outbox, label: &str) {
        if self.secdef_deadline.is_none_or(|d| now < d) {
            return;
        }
        self.secdef_deadline = None;
        for s in self.symbols.all_mut().iter().filter(|s| !s.subscribed) {
            log::warn!(
                "{label}: no security definition for {}; prices taken as sent (multiplier 1)",
                s.name
            );
        }
        self.subscribe_all(true, out);
    }

    pub(crate) fn on_definition(
        &mut self,
        d: &SecurityDefinitionResponse,
        out: &mut Outbox,
        label: &str,
    ) {
        let Some(i) = self.symbols.all_mut().iter().position(|s| s.name == d.symbol.as_str())
        else {
            return;
        };
        let s = &mut self.symbols.all_mut()[i];
        s.scale = PriceScale::new(d.display_price_multiplier);
        s.has_definition = true;
        log::info!(
            "{label}: {} DisplayPriceMultiplier {} tick {}",
            s.name,
            s.scale.mult,
            d.min_price_increment
        );
        if !s.subscribed {
            self.subscribe(i, out);
            self.settle_wait();
        }
    }

    pub(crate) fn on_definition_reject(
        &mut self,
        r: &SecurityDefinitionReject,
        out: &mut Outbox,
        label: &str,
    ) {
        let found = self.symbols.all_mut().iter().position(|s| s.secdef_request_id == r.request_id);
        let name = found.map_or("?", |i| self.symbols.all_mut()[i].name.as_str());
        log::warn!(
            "{label}: security definition for {name} rejected: {:?}; prices taken as sent",
            r.reject_text.as_str()
        );
        if let Some(i) = found.filter(|&i| !self.symbols.all_mut()[i].subscribed) {
            self.subscribe(i, out);
            self.settle_wait();
        }
    }

    pub(crate) fn on_market_data_reject(&mut self, r: &MarketDataReject, label: &str) {
        let Some(s) = self.symbols.by_id(r.symbol_id) else { return };
        if s.rejected.is_none() {
            log::warn!(
                "{label}: market data for {} rejected: {:?} (Sierra Chart refuses CME data on its DTC server; trading continues)",
                s.name,
                r.reject_text.as_str()
            );
            s.rejected = Some(r.reject_text.as_str().to_string());
        }
    }

    pub(crate) fn on_depth_reject(&mut self, r: &MarketDepthReject, label: &str) {
        if let Some(s) = self.symbols.by_id(r.symbol_id) {
            log::warn!(
                "{label}: market depth for {} rejected: {:?}",
                s.name,
                r.reject_text.as_str()
            );
        }
    }

    /// Stops waiting for definitions once every symbol is subscribed.
    fn settle_wait(&mut self) {
        if self.symbols.all_mut().iter().all(|s| s.subscribed) {
            self.secdef_deadline = None;
        }
    }
}
