//! The dashboard: one static page, inline CSS and JS, no build step, nothing from elsewhere. It
//! reads `/api/v1/events` (server-sent events, the same JSON as `/api/v1/state`) and falls back
//! to polling `/api/v1/state` while the stream is down.

/// The page served at `/`.
pub(crate) const PAGE: &str = include_str!("dashboard.html");
