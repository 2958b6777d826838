//! The chat's limits: how many connections one address may hold, how fast one connection may send, and how long
//! a silent one is kept. Every limit is a [`Limits`] field with a safe default and a `shopkeep serve` flag.
//!
//! - Connections per address are counted by [`Connections`]; a [`Slot`] gives its place back when dropped, so a
//!   connection that ends in any way (close, error, panic in a task) is never counted twice or forever.
//! - Messages per second use a GCRA limiter from `governor` per connection ([`MessageRate`]): a burst of a few
//!   quick clicks is fine, a flood is closed with 1008.
//! - Shop events over the API share one GCRA limiter ([`EventRate`]); over it, 429.
//! - Idle connections: the server pings every `ping_interval`; a peer that answers nothing for two intervals is
//!   gone and dropped; a live peer that sends no message for `idle_timeout` is closed with 1000 (it may resume).
//! - Handshakes (`listen.rs`): a connection has `header_timeout` to send its request head, and one address may
//!   hold `pending_per_ip` connections that have not, so a slowloris client cannot hold the server's sockets.
//! - Outbound: a connection handles one message at a time and sends its replies before reading the next, so a
//!   client that does not read cannot make the server queue without end; the socket's write buffer is capped at
//!   `max_write_buffer` and a send that cannot finish within `send_timeout` drops the connection.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{Quota, RateLimiter};

/// Limits of the chat WebSocket.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest client message, in bytes (a bigger one closes the connection with 1009).
    pub max_message_bytes: usize,
    /// Sustained client messages per second per connection; 0 means no limit.
    pub messages_per_second: u32,
    /// Messages a connection may send at once above the sustained rate.
    pub message_burst: u32,
    /// Open chat connections per client address; 0 means no limit. Over it, the upgrade gets 429.
    pub connections_per_ip: usize,
    /// How often the server pings a connection.
    pub ping_interval: Duration,
    /// A connection that sends no message for this long is closed (1000); the shopper can resume later.
    pub idle_timeout: Duration,
    /// How long one send to a client may take before the connection is given up.
    pub send_timeout: Duration,
    /// Bytes the server buffers for one client before a send waits for the network.
    pub max_write_buffer: usize,
    /// Shop events per second over `POST /v1/events`, all keys together (a burst of two seconds' worth); 0: no
    /// limit. Over it, a request gets 429.
    pub events_per_second: u32,
    /// Most events in one `POST /v1/events`.
    pub max_events_batch: usize,
    /// Largest `POST /v1/events` body, in bytes.
    pub max_events_body: usize,
    /// Time a connection has to send a complete HTTP request head (slowloris); it is closed after.
    pub header_timeout: Duration,
    /// Connections one client address may hold that have not sent a complete request head yet; 0 means no
    /// limit. Over it, a new connection is closed at once.
    pub pending_per_ip: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_message_bytes: 16 * 1024,
            messages_per_second: 10,
            message_burst: 20,
            connections_per_ip: 64,
            ping_interval: Duration::from_secs(25),
            idle_timeout: Duration::from_secs(30 * 60),
            send_timeout: Duration::from_secs(10),
            max_write_buffer: 64 * 1024,
            events_per_second: 200_000,
            max_events_batch: 1000,
            max_events_body: 1024 * 1024,
            header_timeout: Duration::from_secs(10),
            pending_per_ip: 32,
        }
    }
}

/// Open chat connections, per client address.
#[derive(Debug, Default)]
pub struct Connections {
    // A std mutex is right here: it guards a few integer updates and is never held across an `.await`.
    per_ip: Mutex<HashMap<IpAddr, usize>>,
}

/// One admitted connection; dropping it frees the place.
#[derive(Debug)]
pub struct Slot {
    connections: Arc<Connections>,
    ip: IpAddr,
}

impl Connections {
    /// Admits one more connection from `ip` unless it already holds `max` (0: no limit).
    pub fn admit(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<Slot> {
        let mut per_ip = self
            .per_ip
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let open = per_ip.entry(ip).or_insert(0);
        if max > 0 && *open >= max {
            return None;
        }
        *open += 1;
        Some(Slot {
            connections: Arc::clone(self),
            ip,
        })
    }

    /// Open connections in all.
    pub fn open(&self) -> usize {
        let per_ip = self
            .per_ip
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        per_ip.values().sum()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut per_ip = self
            .connections
            .per_ip
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(open) = per_ip.get_mut(&self.ip) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                per_ip.remove(&self.ip);
            }
        }
    }
}

/// The message-rate limit of one connection.
pub struct MessageRate(Option<governor::DefaultDirectRateLimiter>);

impl MessageRate {
    pub fn new(limits: &Limits) -> MessageRate {
        let limiter = NonZeroU32::new(limits.messages_per_second).map(|rate| {
            let burst = NonZeroU32::new(limits.message_burst.max(limits.messages_per_second))
                .unwrap_or(rate);
            RateLimiter::direct(Quota::per_second(rate).allow_burst(burst))
        });
        MessageRate(limiter)
    }

    /// Whether one more message is within the limit now.
    pub fn allow(&self) -> bool {
        self.0
            .as_ref()
            .is_none_or(|limiter| limiter.check().is_ok())
    }
}

/// The rate of shop events over the API ([`Limits::events_per_second`]).
pub struct EventRate(Option<governor::DefaultDirectRateLimiter>);

impl EventRate {
    pub fn new(limits: &Limits) -> EventRate {
        EventRate(NonZeroU32::new(limits.events_per_second).map(|rate| {
            let burst = NonZeroU32::new(limits.events_per_second.saturating_mul(2)).unwrap_or(rate);
            RateLimiter::direct(Quota::per_second(rate).allow_burst(burst))
        }))
    }

    /// Whether `n` more events are within the limit now.
    pub fn allow(&self, n: usize) -> bool {
        let Some(limiter) = &self.0 else {
            return true;
        };
        let n = NonZeroU32::new(u32::try_from(n).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN);
        matches!(limiter.check_n(n), Ok(Ok(())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_counted_per_address_and_freed_on_drop() {
        let connections = Arc::new(Connections::default());
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        let first = connections.admit(a, 2).expect("first");
        let second = connections.admit(a, 2).expect("second");
        assert!(
            connections.admit(a, 2).is_none(),
            "a third from the same address"
        );
        let other = connections
            .admit(b, 2)
            .expect("another address has its own count");
        assert_eq!(connections.open(), 3);
        drop(first);
        assert!(
            connections.admit(a, 2).is_some(),
            "a freed place can be taken again"
        );
        drop((second, other));
        assert_eq!(connections.open(), 0);
        assert!(connections.admit(a, 0).is_some(), "0 means no limit");
    }

    #[test]
    fn a_burst_passes_and_a_flood_does_not() {
        let limits = Limits {
            messages_per_second: 2,
            message_burst: 5,
            ..Limits::default()
        };
        let rate = MessageRate::new(&limits);
        let allowed = (0..50).filter(|_| rate.allow()).count();
        assert!(
            (5..=6).contains(&allowed),
            "{allowed} of a flood of 50 let through"
        );
        let unlimited = MessageRate::new(&Limits {
            messages_per_second: 0,
            ..Limits::default()
        });
        assert!((0..1000).all(|_| unlimited.allow()));
    }
}
