//! Insights buckets: `finder \0 version \0 grain \0 start (big-endian)` → `{v, bucket}`. Aggregates only (counts,
//! the finder's answer values, product ids): nothing here names a shopper, so erasure leaves them be.

use serde::{Deserialize, Serialize};

use super::{Kind, Store, StoreError, decode, encode};
use crate::insights::{Bucket, Grain, Key};

const VERSION: u32 = 1;

#[derive(Serialize)]
struct BucketRecord<'a> {
    v: u32,
    key: &'a Key,
    bucket: &'a Bucket,
}

#[derive(Deserialize)]
struct StoredBucket {
    key: Key,
    bucket: Bucket,
}

fn key(key: &Key) -> Vec<u8> {
    let grain = match key.grain {
        Grain::Hour => b'h',
        Grain::Day => b'd',
    };
    let mut bytes = format!("{}\0{}\0", key.finder, key.version).into_bytes();
    bytes.push(grain);
    bytes.push(0);
    bytes.extend_from_slice(&key.start.to_be_bytes());
    bytes
}

impl Store {
    /// Queues changed buckets for the next group commit (each replaces the stored one).
    pub fn put_insights(&self, buckets: &[(Key, Bucket)]) -> Result<(), StoreError> {
        for (k, bucket) in buckets {
            let bytes = encode(&BucketRecord {
                v: VERSION,
                key: k,
                bucket,
            })?;
            self.queue(Kind::Insights, key(k), Some(bytes));
        }
        Ok(())
    }

    /// Calls `visit` with every stored bucket.
    pub fn each_insights(&self, visit: &mut dyn FnMut(Key, Bucket)) -> Result<(), StoreError> {
        for (_, bytes) in self.scan(Kind::Insights, b"")? {
            let stored: StoredBucket = decode(&bytes, VERSION)?;
            visit(stored.key, stored.bucket);
        }
        Ok(())
    }

    /// Calls `visit` with the picks last shown to each owner (owner, picks), to credit later shop events.
    pub fn each_picks(
        &self,
        visit: &mut dyn FnMut(&str, super::ShownPicks),
    ) -> Result<(), StoreError> {
        for (key, bytes) in self.scan(Kind::Picks, b"")? {
            let owner = key.split(|b| *b == 0).next().unwrap_or_default();
            let owner = String::from_utf8_lossy(owner);
            visit(&owner, decode(&bytes, super::answers::PICKS_VERSION)?);
        }
        Ok(())
    }
}
