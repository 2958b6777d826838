//! A finder's picks for answers a shopper gave before (a profile's stored answers): the session rebuilt from them,
//! at the finder's first result, matched by the catalog and explained exactly as in the chat. Recommendations
//! ("because you told us: …") and follow-up emails both show these.

use std::sync::Arc;

use crate::catalog::{Catalog, Product};
use crate::conversation::{self, Answer, Answered, Position, Session};
use crate::flow::{Flow, Node};

/// The picks of `flow` for `given` answers (question id and answer, one per question; answers to questions the
/// finder no longer has are left out), in `locale`, at most `limit`; only picks that meet at least one answer, each with
/// the answers it meets. Empty when the finder has no result or the match fails.
pub fn picks(
    flow: &Flow,
    catalog: &Catalog,
    given: &[(&str, &Answer)],
    locale: &str,
    limit: usize,
) -> Vec<(Arc<Product>, Vec<String>)> {
    let mut session = Session::new("replay".into(), flow, Some(locale), None);
    // In the finder's order of questions, as the chat has them: the reasons then read as the chat's do ("Road,
    // Cushioning, under $150"), not in the order the store keeps them (by question id).
    let mut given: Vec<(usize, &str, &Answer)> = given
        .iter()
        .filter_map(|(question, answer)| {
            let at = flow.questions().position(|q| q.id == *question)?;
            Some((at, *question, *answer))
        })
        .collect();
    given.sort_by_key(|(at, _, _)| *at);
    session.answers = given
        .into_iter()
        .map(|(_, question, answer)| Answered {
            question: question.to_string(),
            answer: answer.clone(),
        })
        .collect();
    let Some(result) = flow.nodes.iter().find_map(|n| match n {
        Node::Results(r) => Some(r.id.clone()),
        Node::Question(_) => None,
    }) else {
        return Vec::new();
    };
    session.at = Position::Showing(result.clone());
    let request = conversation::request(flow, &session, limit, 1);
    let Ok(outcome) = catalog.find(&request) else {
        return Vec::new();
    };
    conversation::present(flow, &session, &result, outcome)
        .picks
        .into_iter()
        .filter(|p| !p.matched.is_empty())
        .map(|p| (p.product, p.matched))
        .collect()
}
