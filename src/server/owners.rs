//! One writer per conversation: which connection owns a session now.
//!
//! The rule (docs/protocol.md, *One conversation, one connection*): the newest `start` with a resume token owns
//! the conversation. The connection that had it is closed with **4001** ("continued in another tab"), and it can
//! take the conversation back by resuming again. A turn runs while holding its session's lease and only if its
//! connection still owns it, and a resume takes the lease (so it waits for a turn in flight to be durable) before it
//! reads the session. So the newest owner always starts from every acknowledged answer, and a connection that lost
//! the conversation can never write over them.
//!
//! Leases are keyed by resume token (one token, one stored session) and forgotten when their owner lets go.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedMutexGuard, watch};

/// The close code a connection gets when another one resumed its conversation.
pub(super) const TAKEN_OVER: u16 = 4001;
pub(super) const TAKEN_OVER_REASON: &str =
    "this conversation continued in another tab or window; resume it here to take it back";

/// Every conversation with an owner, by resume token.
#[derive(Default)]
pub struct Owners {
    leases: Mutex<HashMap<String, Arc<Lease>>>,
    next: AtomicU64,
}

struct Lease {
    /// Held for a whole turn (from reading the session to the durable write) and by a resume while it claims.
    turn: Arc<tokio::sync::Mutex<()>>,
    /// The generation of the connection that owns the session now.
    owner: watch::Sender<u64>,
}

/// A connection's claim on a conversation; dropping it lets go (unless another connection took over since).
pub(super) struct Ownership {
    owners: Arc<Owners>,
    token: String,
    lease: Arc<Lease>,
    generation: u64,
    changes: watch::Receiver<u64>,
}

impl Owners {
    /// Makes the calling connection the owner of `token`'s conversation, after any turn in flight on the previous
    /// owner is done (and durable). Read and write the session only while holding the guard returned with it.
    pub(super) async fn claim(self: &Arc<Self>, token: &str) -> (Ownership, OwnedMutexGuard<()>) {
        let lease = {
            let mut leases = self.leases.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(leases.entry(token.to_string()).or_insert_with(|| {
                Arc::new(Lease {
                    turn: Arc::default(),
                    owner: watch::Sender::new(0),
                })
            }))
        };
        let generation = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let turn = Arc::clone(&lease.turn).lock_owned().await;
        lease.owner.send_replace(generation);
        let changes = lease.owner.subscribe();
        let ownership = Ownership {
            owners: Arc::clone(self),
            token: token.to_string(),
            lease,
            generation,
            changes,
        };
        (ownership, turn)
    }
}

impl Ownership {
    fn owns(&self) -> bool {
        *self.lease.owner.borrow() == self.generation
    }

    /// Holds the conversation for one turn; `None` when another connection owns it now.
    pub(super) async fn hold(&self) -> Option<OwnedMutexGuard<()>> {
        let guard = Arc::clone(&self.lease.turn).lock_owned().await;
        self.owns().then_some(guard)
    }

    /// Resolves once another connection has taken the conversation over.
    pub(super) async fn taken(&mut self) {
        loop {
            if !self.owns() {
                return;
            }
            if self.changes.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
    }
}

impl Drop for Ownership {
    fn drop(&mut self) {
        if !self.owns() {
            return;
        }
        let mut leases = self.owners.leases.lock().unwrap_or_else(|p| p.into_inner());
        // Only the map and this claim hold the lease: nobody is claiming it right now (claims clone it under
        // the map's lock), so it can go.
        if leases
            .get(&self.token)
            .is_some_and(|lease| Arc::ptr_eq(lease, &self.lease))
            && Arc::strong_count(&self.lease) == 2
        {
            leases.remove(&self.token);
        }
    }
}
