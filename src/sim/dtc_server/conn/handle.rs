//! What the simulated server answers: logon, then market data, trading and account requests.

use super::{now_s, Conn, Sub};
use crate::dtc::messages::*;
use crate::dtc::types::consts::*;
use crate::dtc::{Codec, Encoding, Message};
use std::io;
use std::time::{Duration, Instant};

impl Conn {
    pub(super) fn handle(&mut self, m: Message) -> io::Result<()> {
        match m {
            Message::EncodingRequest(r) => {
                let enc = match Encoding::parse(&self.args.encoding) {
                    Some(fixed) => fixed,
                    None => Encoding::from_code(r.encoding).unwrap_or(Encoding::Binary),
                };
                let resp = EncodingResponse { encoding: enc.code(), ..Default::default() };
                // The first ENCODING_RESPONSE is binary; the next message uses `enc`.
                let was = self.codec;
                self.send_with(
                    &resp.into(),
                    if self.decided { was } else { Codec::new(Encoding::Binary, false) },
                )?;
                self.codec.encoding = enc;
                self.decided = true;
            }
            Message::LogonRequest(r) => self.logon(&r)?,
            Message::Heartbeat(_) => {}
            Message::Logoff(_) => {
                log::info!("dtc-sim {}: client logged off", self.peer);
                self.closing = true;
            }
            _ if !self.logged_on => {
                log::warn!("dtc-sim {}: {} before logon ignored", self.peer, m.name());
            }
            other => self.handle_logged_on(other)?,
        }
        Ok(())
    }

    fn logon(&mut self, r: &LogonRequest) -> io::Result<()> {
        self.decided = true;
        let auth_ok = match (&self.args.username, &self.args.password) {
            (None, None) => true,
            (u, p) => {
                u.as_deref().is_none_or(|u| u == r.username.as_str())
                    && p.as_deref().is_none_or(|p| p == r.password.as_str())
            }
        };
        let mut resp = LogonResponse {
            server_name: "v9bridge DTC simulator".into(),
            trading_is_supported: 1,
            security_definitions_supported: 1,
            market_depth_is_supported: 1,
            market_data_supported: 1,
            order_cancel_replace_supported: 1,
            oco_orders_supported: 1,
            bracket_orders_supported: 1,
            ..Default::default()
        };
        if !auth_ok {
            resp.result = LOGON_ERROR;
            resp.result_text = "invalid username or password".into();
            self.send(&resp.into())?;
            self.closing = true;
            return Ok(());
        }
        resp.result = LOGON_SUCCESS;
        resp.result_text = "Connected to v9bridge DTC simulator".into();
        let hb = if r.heartbeat_interval_in_seconds > 0 {
            r.heartbeat_interval_in_seconds.min(3600) as u64
        } else {
            10
        };
        self.hb_interval = Duration::from_secs(hb);
        self.logged_on = true;
        log::info!(
            "dtc-sim {}: logon of {:?} ({:?}), heartbeat {hb}s",
            self.peer,
            r.client_name.as_str(),
            self.codec.encoding
        );
        self.send(&resp.into())?;
        self.next_hb = Instant::now() + self.server_hb_interval();
        Ok(())
    }

    pub(super) fn server_hb_interval(&self) -> Duration {
        if self.args.slow_heartbeats {
            self.hb_interval * 3
        } else {
            self.hb_interval
        }
    }

    fn is_cme(sym: &str, exch: &str) -> bool {
        sym.to_ascii_uppercase().contains("CME") || exch.eq_ignore_ascii_case("CME")
    }

    fn handle_logged_on(&mut self, m: Message) -> io::Result<()> {
        let t = now_s();
        let replies: Vec<Message> = {
            let Ok(mut st) = self.state.lock() else {
                return Err(io::Error::other("state poisoned"));
            };
            let scaled = self.args.order_prices_scaled;
            let mut m = m;
            if scaled {
                st.order_from_wire(&mut m);
            }
            let mut replies = match m {
                Message::MarketDataRequest(r) => {
                    let found = st.symbol_index(r.symbol.as_str());
                    if r.request_action == UNSUBSCRIBE {
                        self.subs.retain(|s| s.id != r.symbol_id || s.depth);
                        Vec::new()
                    } else if self.args.reject_cme_market_data
                        && Self::is_cme(r.symbol.as_str(), r.exchange.as_str())
                    {
                        vec![MarketDataReject {
                            symbol_id: r.symbol_id,
                            reject_text: "CME market data is not available through the DTC server"
                                .into(),
                        }
                        .into()]
                    } else if let Some(i) = found {
                        self.subs.retain(|s| s.id != r.symbol_id || s.depth);
                        self.subs.push(Sub { sym: i, id: r.symbol_id, depth: false });
                        vec![st.snapshot(i, r.symbol_id).into()]
                    } else {
                        vec![MarketDataReject {
                            symbol_id: r.symbol_id,
                            reject_text: "unknown symbol".into(),
                        }
                        .into()]
                    }
                }
                Message::MarketDepthRequest(r) => {
                    let found = st.symbol_index(r.symbol.as_str());
                    if r.request_action == UNSUBSCRIBE {
                        self.subs.retain(|s| !(s.id == r.symbol_id && s.depth));
                        Vec::new()
                    } else if self.args.reject_cme_market_data
                        && Self::is_cme(r.symbol.as_str(), r.exchange.as_str())
                    {
                        vec![MarketDepthReject {
                            symbol_id: r.symbol_id,
                            reject_text: "CME depth not available".into(),
                        }
                        .into()]
                    } else if let Some(i) = found {
                        self.subs.push(Sub { sym: i, id: r.symbol_id, depth: true });
                        crate::sim::dtc_server::feed::depth_snapshot(
                            &st,
                            i,
                            r.symbol_id,
                            r.num_levels.clamp(1, 10),
                        )
                    } else {
                        vec![MarketDepthReject {
                            symbol_id: r.symbol_id,
                            reject_text: "unknown symbol".into(),
                        }
                        .into()]
                    }
                }
                other => crate::sim::dtc_server::peer::exchange_reply(&mut st, &other, t)
                    .unwrap_or_else(|| {
                        log::debug!("dtc-sim {}: {} ignored", self.peer, other.name());
                        Vec::new()
                    }),
            };
            if scaled {
                replies.iter_mut().for_each(|r| st.trading_to_wire(r));
            }
            replies
        };
        self.send_all(replies)
    }
}
