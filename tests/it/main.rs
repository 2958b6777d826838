//! The one integration-test binary: the real server on port 0, real WebSocket clients, a real browser.

mod audit;
mod bench;
mod browser;
mod chat;
mod flows;
mod metrics;
mod support;
