//! The one integration-test binary: the real server on port 0, real WebSocket clients, a real browser.

mod assets;
mod attacks;
mod audit;
mod bench;
mod browser;
mod chat;
mod consent;
mod crash;
mod email;
mod events;
mod faults;
mod feeds;
mod flows;
mod index;
mod insights;
mod limits;
mod metrics;
mod picks;
mod privacy;
mod process;
mod profiles;
mod recommend;
mod reload;
mod scenario;
mod security;
mod support;
