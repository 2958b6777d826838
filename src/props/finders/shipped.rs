//! The shipped finders' intros read true under relaxation: every answer path of each shipped finder, in each of its
//! locales, against thinned copies of the shipped catalog (where answers do get loosened; the whole catalog fills
//! every path), and each sentence an intro states about an answer ("All waterproof.", "Each one has a laptop
//! sleeve.", "すべて食洗機で洗えます。", "鋼（ハガネ）の…") holds for every pick shown under it.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{meets, walk};
use crate::catalog::{Catalog, Constraint, Op, Product, Scalar};
use crate::conversation::{self, Answer, Input, Session};
use crate::flow::{Flow, Flows};

/// What an intro may state about the answer to a question: fixed words, or the answer's own label followed by
/// the given words (the knife finder's `鋼（ハガネ）の三徳包丁`).
enum Claim {
    Words(&'static [&'static str]),
    LabelThen(&'static str),
}

/// Each shipped finder's statements about its answers, by question.
const CLAIMS: &[(&str, &str, Claim)] = &[
    (
        "running-shoes",
        "waterproof",
        Claim::Words(&["All waterproof", "すべて防水"]),
    ),
    (
        "running-shoes",
        "budget",
        Claim::Words(&["Priced up to", "all up to", "以内で選びました", "以内）"]),
    ),
    ("backpacks", "capacity", Claim::Words(&["litres"])),
    (
        "backpacks",
        "laptop",
        Claim::Words(&["Each one has a laptop sleeve"]),
    ),
    ("knives", "dishwasher", Claim::Words(&["食洗機で洗えます"])),
    ("knives", "budget", Claim::Words(&["で選びました"])),
    ("knives", "steel", Claim::LabelThen("の")),
];

/// The label of `session`'s answer to `question`, in its locale.
fn answer_label(flow: &Flow, session: &Session, question: &str) -> Option<String> {
    let answered = session
        .answers
        .iter()
        .rev()
        .find(|a| a.question == question)?;
    let Answer::Choice { value } = &answered.answer else {
        return None;
    };
    let option = flow
        .question(question)?
        .options
        .iter()
        .find(|o| &o.value == value)?;
    Some(
        option
            .label(&session.locale, flow.default_locale())
            .to_string(),
    )
}

#[test]
fn shipped_intros_state_only_what_every_pick_meets() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let (flows, _) = Flows::load_dir(&root.join("flows")).expect("the shipped flows");
    let products: Vec<Product> = super::super::shipped("catalog/products.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a shipped product"))
        .collect();
    // How often each claim was tested on a path where its own answer was loosened.
    let mut tested_under_relaxation = vec![0usize; CLAIMS.len()];
    // Thinned at random, and without any waterproof product (so a trail shopper's "waterproof" is loosened).
    let mut thinned_catalogs: Vec<Vec<Product>> = [0.08, 0.15, 0.3]
        .iter()
        .enumerate()
        .map(|(seed, share)| {
            let mut rng = StdRng::seed_from_u64(seed as u64);
            products
                .iter()
                .filter(|_| rng.random_bool(*share))
                .cloned()
                .collect()
        })
        .collect();
    let waterproof = Constraint::new("waterproof", Op::Eq(Scalar::Bool(true)));
    thinned_catalogs.push(
        products
            .iter()
            .filter(|p| !waterproof.test(p))
            .cloned()
            .collect(),
    );
    for thinned in &thinned_catalogs {
        let catalog = Catalog::from_products(thinned).expect("index");
        for flow in flows.iter() {
            for locale in &flow.locales {
                let session = Session::new("s".into(), flow, Some(locale), None);
                let (session, effects) = conversation::step(flow, session, Input::Start);
                walk(
                    flow,
                    session,
                    &effects,
                    None,
                    &mut |session, result, request, _| {
                        let outcome = catalog.find(request).expect("find");
                        let shown = conversation::present(flow, session, result, outcome);
                        let intro = shown.intro.clone().unwrap_or_default();
                        for (n, (finder, question, claim)) in CLAIMS.iter().enumerate() {
                            if *finder != flow.id {
                                continue;
                            }
                            let stated = match claim {
                                Claim::Words(words) => words.iter().any(|w| intro.contains(w)),
                                Claim::LabelThen(after) => answer_label(flow, session, question)
                                    .is_some_and(|label| {
                                        intro.contains(&format!("{label}{after}"))
                                    }),
                            };
                            let Some(want) = request
                                .wants
                                .iter()
                                .find(|w| &w.question == question && !w.any_of.is_empty())
                            else {
                                continue;
                            };
                            let missed = shown.picks.iter().any(|p| !meets(&p.product, want));
                            assert!(
                                !(stated && missed),
                                "{} ({locale}): the intro states {question} above a pick that misses it: {intro}\nanswers: {:?}",
                                flow.id,
                                session.answers
                            );
                            if shown.relaxed.iter().any(|(q, _)| q == question) {
                                tested_under_relaxation[n] += 1;
                            }
                        }
                    },
                );
            }
        }
    }
    for ((finder, question, _), n) in CLAIMS.iter().zip(&tested_under_relaxation) {
        assert!(*n > 0, "{finder}: {question} was never loosened on a path");
    }
}
