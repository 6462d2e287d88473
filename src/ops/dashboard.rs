//! The dashboard: one static page, inline CSS and JS, no build step, nothing from elsewhere.

/// The page served at `/`.
pub(crate) const PAGE: &str = "<!doctype html><meta charset=utf-8><title>v9bridge</title>\
<p>v9bridge operator surface: see /api/v1/state</p>";
