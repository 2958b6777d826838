//! Link tokens of emails: `SHA-256(token)` → `{v, purpose, owner, session, expires, used_at}`.
//!
//! A link in an email carries an opaque random token good for one purpose only: unsubscribing (usable any number
//! of times: a one-click unsubscribe may be posted twice, and must keep working), or resuming a conversation
//! (single-use and expiring). Only the hash is stored, so the store's files do not hold working links.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Kind, Store, StoreError, decode, encode, new_token};

const VERSION: u32 = 1;

/// What a link may do; a token of one purpose is refused for the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkPurpose {
    Unsubscribe,
    Resume,
}

/// A stored link token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub purpose: LinkPurpose,
    /// The visitor (or session) id whose profile it acts for.
    pub owner: String,
    /// For a resume link: the resume token of the conversation.
    #[serde(default)]
    pub session_token: Option<String>,
    /// Refused after this time (seconds since the epoch); `None` for never.
    #[serde(default)]
    pub expires: Option<u64>,
    #[serde(default)]
    pub used_at: Option<u64>,
}

#[derive(Serialize)]
struct LinkRecord<'a> {
    v: u32,
    #[serde(flatten)]
    link: &'a Link,
}

/// Why a link was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    Unknown,
    Expired,
    Used,
}

fn key(token: &str) -> Vec<u8> {
    crate::secret::hex(&Sha256::digest(token.trim().as_bytes())).into_bytes()
}

impl Store {
    /// Stores a new link token for the next group commit; the token to put in the link.
    pub fn issue_link(&self, link: &Link) -> Result<String, StoreError> {
        let token = new_token(16);
        let value = encode(&LinkRecord { v: VERSION, link })?;
        self.queue(Kind::Links, key(&token), Some(value));
        Ok(token)
    }

    /// The link of `token` if it is of `purpose`, unexpired at `now` and (for a single-use purpose) unused;
    /// a resume link is marked used (durable with the next group commit).
    pub fn redeem_link(
        &self,
        token: &str,
        purpose: LinkPurpose,
        now: u64,
    ) -> Result<Result<Link, Refused>, StoreError> {
        let key = key(token);
        let Some(bytes) = self.get(Kind::Links, &key)? else {
            return Ok(Err(Refused::Unknown));
        };
        let mut link: Link = decode(&bytes, VERSION)?;
        if link.purpose != purpose {
            return Ok(Err(Refused::Unknown));
        }
        if link.expires.is_some_and(|e| now > e) {
            return Ok(Err(Refused::Expired));
        }
        if purpose == LinkPurpose::Resume {
            if link.used_at.is_some() {
                return Ok(Err(Refused::Used));
            }
            link.used_at = Some(now);
            let value = encode(&LinkRecord {
                v: VERSION,
                link: &link,
            })?;
            self.queue(Kind::Links, key, Some(value));
        }
        Ok(Ok(link))
    }

    /// Removes the link tokens of `owners` (erasure); how many.
    pub(super) fn remove_links_of(&self, owners: &[String]) -> Result<usize, StoreError> {
        let mut theirs = Vec::new();
        for (key, bytes) in self.scan(Kind::Links, b"")? {
            if let Ok(link) = decode::<Link>(&bytes, VERSION)
                && owners.contains(&link.owner)
            {
                theirs.push(key);
            }
        }
        let n = theirs.len();
        for key in theirs {
            self.queue(Kind::Links, key, None);
        }
        Ok(n)
    }
}
