//! The promises of "How picks are chosen" (docs/flows.md) held over generated finders and catalogs, on every
//! answer path, end to end: the finder is YAML compiled as a merchandiser's would be, each path is answered through
//! the conversation engine (every option, every allowed multi-choice, every bucket, a skip, and range answers
//! typed or past the slider's ends), its request matched by [`Catalog::find`] and presented. On every path, in
//! English and Japanese:
//! (a) every shown product meets the scope and every answer to a question not under `relax`;
//! (b) every exact match ranks above every loosened product;
//! (c) `relaxed` names exactly the questions some shown product misses, in `relax` order;
//! (d) every range bound the shopper gave is in the stored answer and filters the match;
//! (e) a loosened product is shown only when every exact match is;
//! and: relaxation runs only below the result's `min`; a pick's explanation names what it meets and misses; an
//! intro's claim guarded by `relaxed_question` holds for every pick; and `shopkeep check --catalog` (the audit)
//! reports for each path exactly what the shopper is shown.
//!
//! Products are tested with [`Constraint::test`] against the finder's answers, not against the matcher's own
//! bookkeeping. `SHOPKEEP_PROPERTY_CASES=N` runs N finders instead of CI's 40; a failure names its seed and prints the finder.

mod generate;
mod shipped;

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::catalog::{Catalog, MatchOutcome, MatchRequest, Op, Product, Want};
use crate::conversation::{self, Answer, Effect, Input, Position, Session, Showcase};
use crate::flow::{Flow, Kind};
use generate::{catalog, extra_ranges, finder};

/// The bounds of a range answer: `(min, max)`.
type Bounds = (Option<f64>, Option<f64>);

/// Called with each path that shows results: the session, the result, its request, the audit's labels of the
/// path's answers (while they are the audit's own).
type Visit<'v> = dyn FnMut(&Session, &str, &MatchRequest, Option<&[String]>) + 'v;

/// Whether `product` meets `want`'s hard filter (a want without one is met by every product).
fn meets(product: &Product, want: &Want) -> bool {
    want.any_of.is_empty()
        || want
            .any_of
            .iter()
            .any(|clause| !clause.is_empty() && clause.iter().all(|c| c.test(product)))
}

/// One path: its answers as the audit labels them (`None` once a typed extra is on it), and the shopper's view.
struct Walked<'a> {
    flow: &'a Flow,
    products: &'a [Product],
    session: &'a Session,
    request: &'a MatchRequest,
    outcome: &'a MatchOutcome,
    shown: &'a Showcase,
}

fn check(path: &Walked<'_>) -> Result<(), String> {
    let Walked {
        flow,
        products,
        session,
        request,
        outcome,
        shown,
        ..
    } = path;
    let in_scope =
        |p: &Product| flow.scope.iter().all(|c| c.test(p)) && (!flow.in_stock_only || p.stock > 0);
    let hard: Vec<&Want> = request
        .wants
        .iter()
        .filter(|w| !w.any_of.is_empty())
        .collect();
    let exact_pool = products
        .iter()
        .filter(|p| in_scope(p) && hard.iter().all(|w| meets(p, w)))
        .count();
    if outcome.exact != exact_pool {
        return Err(format!(
            "exact {} but {exact_pool} products meet every answer",
            outcome.exact
        ));
    }
    let is_exact: Vec<bool> = shown
        .picks
        .iter()
        .map(|p| hard.iter().all(|w| meets(&p.product, w)))
        .collect();
    for (pick, exact) in shown.picks.iter().zip(&is_exact) {
        if !in_scope(&pick.product) {
            return Err(format!("(a) {} breaks the scope or stock", pick.product.id));
        }
        if let Some(w) = hard
            .iter()
            .find(|w| !flow.relax.contains(&w.question) && !meets(&pick.product, w))
        {
            return Err(format!(
                "(a) {} misses {}, not under relax",
                pick.product.id, w.question
            ));
        }
        if pick.exact != *exact {
            return Err(format!(
                "{} marked exact={} but is {exact}",
                pick.product.id, pick.exact
            ));
        }
        // The explanation names what the pick misses, and claims no answer it misses.
        let missed: Vec<&str> = hard
            .iter()
            .filter(|w| !meets(&pick.product, w))
            .map(|w| w.label.as_str())
            .collect();
        if pick.missed != missed {
            return Err(format!(
                "{} explains misses {:?}, misses {missed:?}",
                pick.product.id, pick.missed
            ));
        }
        if let Some(claimed) = pick.matched.iter().find(|m| missed.contains(&m.as_str())) {
            return Err(format!(
                "{} claims to match {claimed}, which it misses",
                pick.product.id
            ));
        }
    }
    crate::catalog::matcher::promises::exact_first(&is_exact)?;
    let missed_questions: Vec<&str> = flow
        .relax
        .iter()
        .filter(|q| {
            hard.iter()
                .any(|w| &&w.question == q && shown.picks.iter().any(|p| !meets(&p.product, w)))
        })
        .map(String::as_str)
        .collect();
    let mut relaxed: Vec<&str> = shown.relaxed.iter().map(|(q, _)| q.as_str()).collect();
    relaxed.dedup();
    if relaxed != missed_questions {
        return Err(format!(
            "(c) relaxed {relaxed:?}, the picks miss {missed_questions:?}"
        ));
    }
    let loosened = is_exact.iter().filter(|e| !**e).count();
    if loosened > 0 && exact_pool >= request.min {
        return Err(format!(
            "loosened with {exact_pool} exact matches and min {}",
            request.min
        ));
    }
    if loosened > 0 && is_exact.len() - loosened != exact_pool {
        return Err("(e) a loosened product is shown while an exact match is not".into());
    }
    let expected = if exact_pool >= request.min.max(1) {
        exact_pool.min(request.count)
    } else {
        outcome.total.min(request.count)
    };
    if shown.picks.len() != expected {
        return Err(format!("{} picks, expected {expected}", shown.picks.len()));
    }
    // (d): every bound of a stored range answer filters the match.
    for answered in &session.answers {
        if let Answer::Range { min, max } = &answered.answer {
            let ops: Vec<&Op> = request
                .wants
                .iter()
                .filter(|w| w.question == answered.question)
                .flat_map(|w| w.any_of.iter().flatten().map(|c| &c.op))
                .collect();
            if min.is_some_and(|a| !ops.contains(&&Op::Gte(a)))
                || max.is_some_and(|b| !ops.contains(&&Op::Lte(b)))
            {
                return Err(format!("(d) {min:?}..{max:?} filters as {ops:?}"));
            }
        }
    }
    // The intro claims `[q]` only when no pick misses q's answer.
    let intro = shown.intro.as_deref().unwrap_or("");
    for want in &hard {
        if intro.contains(&format!("[{}]", want.question))
            && shown.picks.iter().any(|p| !meets(&p.product, want))
        {
            return Err(format!(
                "the intro claims {} above a pick that misses it",
                want.question
            ));
        }
    }
    Ok(())
}

/// Every answer path from `session` (answering with `effects` just returned): `visit` gets each path that shows
/// results, with the audit's labels of its answers while they are the audit's own.
fn walk(
    flow: &Flow,
    session: Session,
    effects: &[Effect],
    labels: Option<Vec<String>>,
    visit: &mut Visit<'_>,
) {
    if let Some((result, request)) = effects.iter().find_map(|e| match e {
        Effect::Search { result, request } => Some((result, request)),
        _ => None,
    }) {
        visit(&session, result, request, labels.as_deref());
        return;
    }
    let Position::Asking(id) = &session.at else {
        return;
    };
    let q = flow.question(id).expect("asked questions exist");
    let mut inputs: Vec<(Input, Option<String>, Option<Bounds>)> =
        crate::audit::inputs(q, &session.locale, flow.default_locale())
            .into_iter()
            .map(|(input, label)| (input, Some(format!("{}: {label}", q.id)), None))
            .collect();
    if q.kind == Kind::Range {
        for (reply, bounds) in extra_ranges(q, &session.locale) {
            inputs.push((Input::Answer(reply), None, Some(bounds)));
        }
    }
    for (input, label, bounds) in inputs {
        let (next, effects) = conversation::step(flow, session.clone(), input.clone());
        assert!(
            next.answers.len() > session.answers.len(),
            "{input:?} to {} was not taken",
            q.id
        );
        if let Some((min, max)) = bounds {
            let stored = &next.answers.last().expect("an answer").answer;
            assert_eq!(
                stored,
                &Answer::Range { min, max },
                "(d) {input:?} was stored as {stored:?}"
            );
        }
        let labels = match (&labels, label) {
            (Some(labels), Some(label)) => Some([labels.clone(), vec![label]].concat()),
            _ => None,
        };
        walk(flow, next, &effects, labels, visit);
    }
}

#[test]
fn generated_finders_keep_their_promises_on_every_answer_path() {
    let cases: u64 = std::env::var("SHOPKEEP_PROPERTY_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(40);
    let (mut paths, mut relaxing, mut mixed) = (0usize, 0usize, 0usize);
    for seed in 0..cases {
        let mut rng = StdRng::seed_from_u64(seed);
        let currency = if rng.random_bool(0.5) { "JPY" } else { "USD" };
        let products = catalog(&mut rng, currency);
        let source = finder(&mut rng, currency);
        let (flow, problems) =
            crate::flow::compile(std::path::Path::new("generated.yaml"), &source);
        assert!(problems.is_empty(), "seed {seed}: {problems:?}\n{source}");
        let flow = flow.expect("the generated finder compiles");
        let catalog = Catalog::from_products(&products).expect("index");
        let audit = crate::audit::audit(&flow, &catalog, None, &mut |_| {}).expect("audit");
        let audited: HashMap<&[String], &crate::audit::PathOutcome> = audit
            .empty
            .iter()
            .chain(&audit.thin)
            .map(|p| (p.answers.as_slice(), p))
            .collect();
        for locale in ["en", "ja"] {
            let session = Session::new("p".into(), &flow, Some(locale), None);
            let (session, effects) = conversation::step(&flow, session, Input::Start);
            walk(
                &flow,
                session,
                &effects,
                Some(Vec::new()),
                &mut |session, result, request, labels| {
                    paths += 1;
                    let outcome = catalog.find(request).expect("find");
                    let shown = conversation::present(&flow, session, result, outcome.clone());
                    let path = Walked {
                        flow: &flow,
                        products: &products,
                        session,
                        request,
                        outcome: &outcome,
                        shown: &shown,
                    };
                    let answers: Vec<_> = session
                        .answers
                        .iter()
                        .map(|a| (&a.question, &a.answer))
                        .collect();
                    if let Err(broken) = check(&path) {
                        panic!(
                            "seed {seed} ({locale}): {broken}\nanswers: {answers:?}\npicks: {:?}\nfinder:\n{source}",
                            shown
                                .picks
                                .iter()
                                .map(|p| (&p.product.id, p.exact, &p.line))
                                .collect::<Vec<_>>()
                        );
                    }
                    relaxing += usize::from(!shown.relaxed.is_empty());
                    mixed += usize::from(
                        shown.picks.iter().any(|p| p.exact) && shown.picks.iter().any(|p| !p.exact),
                    );
                    // What the check reports for the path is what the shopper sees.
                    if let (Some(labels), "en") = (labels, locale) {
                        let reported = audited.get(labels);
                        let thin = outcome.exact < request.min.max(1);
                        let agrees = match reported {
                            None => !thin,
                            Some(p) => {
                                thin && p.shown == shown.picks.len()
                                    && p.relaxed
                                        == shown
                                            .relaxed
                                            .iter()
                                            .map(|(_, l)| l.clone())
                                            .collect::<Vec<_>>()
                                    && p.products == outcome.exact
                            }
                        };
                        assert!(
                            agrees,
                            "seed {seed}: the check says {reported:?} for {labels:?}; the shopper sees {} picks, relaxed {:?}\nfinder:\n{source}",
                            shown.picks.len(),
                            shown.relaxed
                        );
                    }
                },
            );
        }
    }
    // The generated finders do reach relaxation and results that mix exact and loosened picks.
    assert!(
        relaxing > paths / 20 && mixed > 0,
        "{paths} paths, {relaxing} relaxing, {mixed} mixed"
    );
}
