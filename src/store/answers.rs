//! Answers: `owner \0 finder \0 question` → `{v, flow, flow_version, answer, at}`, the latest per question.
//!
//! The owner is the shopper's visitor id, or the session id of a shopper who has none. Version 1 records were
//! keyed `owner \0 question` and had no finder version; they are still read.

use serde::{Deserialize, Serialize};

use super::{Kind, Store, StoreError, decode, encode, now};
use crate::conversation::{Answer, Session};

const VERSION: u32 = 2;

/// A stored answer: to which question of which finder version, and when (seconds since the epoch).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredAnswer {
    pub flow: String,
    #[serde(default)]
    pub flow_version: String,
    #[serde(skip_deserializing, default)]
    pub question: String,
    pub answer: Answer,
    pub at: u64,
}

#[derive(Serialize)]
struct AnswerRecord<'a> {
    v: u32,
    flow: &'a str,
    flow_version: &'a str,
    answer: &'a Answer,
    at: u64,
}

/// The owner of a session's answers and events: its visitor, else the session itself.
pub fn owner(session: &Session) -> &str {
    session.visitor.as_deref().unwrap_or(&session.id)
}

pub(super) fn prefix(owner: &str) -> Vec<u8> {
    format!("{owner}\0").into_bytes()
}

impl Store {
    /// Keeps the shopper's answer to `question` (the latest per question, finder and owner).
    pub fn save_answer(
        &self,
        session: &Session,
        question: &str,
        answer: &Answer,
    ) -> Result<(), StoreError> {
        let key = format!("{}\0{}\0{question}", owner(session), session.flow);
        let bytes = encode(&AnswerRecord {
            v: VERSION,
            flow: &session.flow,
            flow_version: &session.flow_version,
            answer,
            at: now(),
        })?;
        self.queue(Kind::Answers, key.into_bytes(), Some(bytes));
        Ok(())
    }

    /// Every stored answer of an owner, by finder then question.
    pub fn answers_by_flow(&self, owner: &str) -> Result<Vec<StoredAnswer>, StoreError> {
        let prefix = prefix(owner);
        let mut out = Vec::new();
        for (key, bytes) in self.scan(Kind::Answers, &prefix)? {
            let mut answer: StoredAnswer = decode(&bytes, VERSION)?;
            let rest = String::from_utf8_lossy(&key[prefix.len()..]).to_string();
            answer.question = match rest.split_once('\0') {
                Some((_, question)) => question.to_string(),
                None => rest,
            };
            out.push(answer);
        }
        Ok(out)
    }

    /// Calls `visit` with every stored answer (the queued ones too) and its owner, grouped by owner; for rebuilding
    /// what is derived from them.
    pub fn each_answer(&self, visit: &mut dyn FnMut(&str, StoredAnswer)) -> Result<(), StoreError> {
        let mut failed = None;
        for (key, bytes) in self.scan(Kind::Answers, b"")? {
            let key = String::from_utf8_lossy(&key);
            let Some((owner, rest)) = key.split_once('\0') else {
                continue;
            };
            match decode::<StoredAnswer>(&bytes, VERSION) {
                Ok(mut answer) => {
                    answer.question = rest.rsplit('\0').next().unwrap_or(rest).to_string();
                    visit(owner, answer);
                }
                Err(e) => failed = Some(e),
            }
        }
        failed.map_or(Ok(()), Err)
    }

    /// The stored answers of a visitor (or anonymous session), by question.
    pub fn answers_of(&self, owner: &str) -> Result<Vec<(String, Answer)>, StoreError> {
        Ok(self
            .answers_by_flow(owner)?
            .into_iter()
            .map(|a| (a.question, a.answer))
            .collect())
    }

    /// Queues the removal of every record of `kind` under `prefix`; how many.
    pub(super) fn remove_prefix(&self, kind: Kind, prefix: &[u8]) -> Result<usize, StoreError> {
        let keys: Vec<Vec<u8>> = self.scan(kind, prefix)?.into_keys().collect();
        let n = keys.len();
        for key in keys {
            self.queue(kind, key, None);
        }
        Ok(n)
    }

    /// Keeps the picks shown to the shopper (the latest per finder).
    pub fn save_picks(
        &self,
        session: &Session,
        result: &str,
        products: &[String],
    ) -> Result<(), StoreError> {
        let key = format!("{}\0{}", owner(session), session.flow);
        let bytes = encode(&PicksRecord {
            v: PICKS_VERSION,
            flow: &session.flow,
            flow_version: &session.flow_version,
            result,
            products,
            at: now(),
        })?;
        self.queue(Kind::Picks, key.into_bytes(), Some(bytes));
        Ok(())
    }

    /// The picks last shown to an owner, per finder.
    pub fn picks_of(&self, owner: &str) -> Result<Vec<ShownPicks>, StoreError> {
        self.scan(Kind::Picks, &prefix(owner))?
            .values()
            .map(|bytes| decode(bytes, PICKS_VERSION))
            .collect()
    }
}

pub(super) const PICKS_VERSION: u32 = 1;

/// The picks a shopper was shown at the end of a finder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShownPicks {
    pub flow: String,
    pub flow_version: String,
    pub result: String,
    pub products: Vec<String>,
    pub at: u64,
}

#[derive(Serialize)]
struct PicksRecord<'a> {
    v: u32,
    flow: &'a str,
    flow_version: &'a str,
    result: &'a str,
    products: &'a [String],
    at: u64,
}
