//! shopkeep — a conversational guided-selling assistant.
//!
//! A shopper opens the chat widget; a *finder* (a question graph written as a flow file) asks a few questions; the
//! answers become catalog constraints; the shopper sees the products that fit, each with the reason it was picked.
//!
//! Code map (dependencies point one way: `server → conversation → {flow, catalog}`; `store` is an adapter):
//! - [`template_bounds`]: the fuel and output caps of every template a merchant writes (result texts, emails).
//! - [`text`]: Unicode normalisation shared by the index, the matcher and the answer parser (NFKC, case, width).
//! - [`flow`]: the flow file model, loading with line/column problems, the petgraph graph and validation.
//! - [`catalog`]: the product model, feed import, the tantivy index (Japanese-aware) and the matcher that relaxes
//!   constraints instead of dead-ending and explains every pick.
//! - [`conversation`]: the pure engine — `step(flow, session, input) -> (session, effects)`; no IO, not async.
//! - [`store`]: every record (sessions, answers, profiles, consents, shop events) behind one `Backend` interface;
//!   sled today, the only module that knows it; group-committed flushes.
//! - [`shop_events`]: validating what shoppers did on the shop's pages (viewed, added to cart, purchased, …).
//! - [`secret`]: signed customer ids and hashed tokens.
//! - [`recommend`]: recommendations for returning visitors — pure over its inputs, like the engine.
//! - [`segments`]: rule-based audiences (`segments.yaml`) over answers, events, recency, device and traffic
//!   source — pure; used by email triggers, finder conditions and the widget's opener.
//! - [`insights`]: funnels and answer analytics per finder version in hourly and daily buckets — pure, kept
//!   current as turns and shop events arrive; the server persists its buckets through the store.
//! - [`server`]: axum router, the `/v1/chat` WebSocket protocol, static assets; the only module that knows axum.
//! - [`loadgen`]: `shopkeep bench` — scripted conversations over real WebSockets against a bare-echo baseline,
//!   durable acks against fdatasync, idle memory; markdown tables and an SVG plot.
//! - [`scenario`]: scripted conversation tests (`shopkeep test`): a WebSocket client of the server, golden picks
//!   and coverage of each finder.
//! - [`setup`]: loading flows and catalog and checking them together (serve, query, reload).
//! - [`cli`]: the `shopkeep` command line (serve, check, test, query, index, gen-catalog, bench).

pub mod audit;
pub mod catalog;
pub mod cli;
pub mod conversation;
pub mod email;
pub mod flow;
pub mod insights;
pub mod loadgen;
pub mod money;
pub mod recommend;
pub mod replay;
pub mod scenario;
pub mod secret;
pub mod segments;
pub mod server;
pub mod setup;
pub mod shop_events;
pub mod store;
pub mod template_bounds;
pub mod text;

#[cfg(test)]
mod props;
