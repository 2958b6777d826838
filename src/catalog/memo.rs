//! A bounded memo for one catalog's derived data (constraint sets, decoded products): least recently used evicted
//! first. A catalog never changes once opened, so nothing in it is ever stale; a reload makes a new catalog and a
//! new, empty memo.

use std::hash::Hash;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

pub(crate) struct Memo<K: Hash + Eq, V> {
    entries: Mutex<lru::LruCache<K, Arc<V>>>,
}

impl<K: Hash + Eq, V> Memo<K, V> {
    /// A memo of at most `capacity` entries (at least one).
    pub(crate) fn new(capacity: usize) -> Memo<K, V> {
        Memo {
            entries: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(capacity.max(1)).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }

    /// The entry for `key`, marked as used. The lock is held only for the lookup.
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<Arc<V>>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(key)
            .cloned()
    }

    pub(crate) fn put(&self, key: K, value: Arc<V>) {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .put(key, value);
    }
}
