//! Typed answers in every form a shopper might type them, and conversations driven by random replies: amounts
//! with ASCII and full-width digits, `万`/`千`/`k`, separators, currency words, range words in English and
//! Japanese, and noise. `parse_range` never panics and reads bounds that are numbers, not negative, with lo ≤ hi;
//! the engine, driven through every shipped finder by random typed text, buttons, ranges (NaN and infinities
//! included), skips and backs, never panics, never stores a range it should not and always presents a result it
//! reaches with a title, whatever the shopper typed into the answers its templates show.

use std::sync::OnceLock;

use proptest::prelude::*;

use crate::catalog::{Catalog, Product};
use crate::conversation::{self, Answer, Effect, Input, Position, Reply, Session, parse_range};
use crate::flow::{Flow, Shared, compile_with};

fn amount_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[0-9]{1,7}",
        "[０-９]{1,6}",
        "[0-9]{400}",
        prop::sample::select(vec![
            "万",
            "千",
            "k",
            "K",
            ",",
            ".",
            " ",
            "　",
            "〜",
            "～",
            "~",
            "-",
            "ー",
            "円",
            "$",
            "¥",
            "￥",
            "ドル",
            "台",
            "yen",
            "under ",
            "over ",
            "around ",
            "between ",
            " and ",
            "以下",
            "以上",
            "から",
            "まで",
            "くらい",
            "前後",
            "超",
            "未満",
            "程度",
            "1万5千",
            "0.",
            ".5",
            "e9",
        ])
        .prop_map(str::to_string),
        "\\PC{0,4}",
    ];
    prop::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
}

fn bound_ok(bound: Option<f64>) -> bool {
    bound.is_none_or(|b| !b.is_nan() && b >= 0.0)
}

struct Finders {
    flows: Vec<Flow>,
    catalog: Catalog,
}

/// The shipped finders and catalog, compiled and indexed once for every case.
fn finders() -> &'static Finders {
    static FINDERS: OnceLock<Finders> = OnceLock::new();
    FINDERS.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let shared = Shared::load(&root.join("flows/shared"));
        let flows = ["running-shoes", "knives", "backpacks"]
            .iter()
            .map(|name| {
                let path = root.join(format!("flows/{name}.yaml"));
                let source = std::fs::read_to_string(&path).expect("shipped flow");
                compile_with(&path, &source, &shared)
                    .0
                    .expect("a shipped flow compiles")
            })
            .collect();
        let products: Vec<Product> = super::shipped("catalog/products.jsonl")
            .lines()
            .map(|line| serde_json::from_str(line).expect("a shipped product"))
            .collect();
        Finders {
            flows,
            catalog: Catalog::from_products(&products).expect("index the shipped catalog"),
        }
    })
}

#[derive(Clone, Debug)]
enum Move {
    Typed(String),
    Amount(String),
    /// The n-th option of the question asked (or a value no option has).
    Button(prop::sample::Index, bool),
    Buttons(Vec<prop::sample::Index>),
    Slider(Option<f64>, Option<f64>),
    Back,
    Skip,
    Restart,
    ResultsNow,
}

fn a_move() -> impl Strategy<Value = Move> {
    let bound = prop_oneof![
        Just(None),
        Just(Some(f64::NAN)),
        Just(Some(f64::INFINITY)),
        Just(Some(-1.0)),
        (0.0..1e7f64).prop_map(Some),
    ];
    prop_oneof![
        4 => super::hostile_text().prop_map(Move::Typed),
        3 => amount_text().prop_map(Move::Amount),
        4 => (any::<prop::sample::Index>(), prop::bool::weighted(0.9)).prop_map(|(i, real)| Move::Button(i, real)),
        1 => prop::collection::vec(any::<prop::sample::Index>(), 0..4).prop_map(Move::Buttons),
        2 => (bound.clone(), bound).prop_map(|(lo, hi)| Move::Slider(lo, hi)),
        1 => Just(Move::Back),
        1 => Just(Move::Skip),
        1 => Just(Move::Restart),
        1 => Just(Move::ResultsNow),
    ]
}

fn input(flow: &Flow, session: &Session, choice: &Move) -> Input {
    let options: Vec<String> = match &session.at {
        Position::Asking(id) => flow
            .question(id)
            .map(|q| q.options.iter().map(|o| o.value.clone()).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let pick = |i: &prop::sample::Index| {
        if options.is_empty() {
            "none".to_string()
        } else {
            options[i.index(options.len())].clone()
        }
    };
    match choice {
        Move::Typed(text) | Move::Amount(text) => Input::Answer(Reply::Text(text.clone())),
        Move::Button(i, true) => Input::Answer(Reply::Value(pick(i))),
        Move::Button(_, false) => Input::Answer(Reply::Value("<no such option>".into())),
        Move::Buttons(picked) => Input::Answer(Reply::Values(picked.iter().map(pick).collect())),
        Move::Slider(min, max) => Input::Answer(Reply::Range {
            min: *min,
            max: *max,
        }),
        Move::Back => Input::Back,
        Move::Skip => Input::Skip,
        Move::Restart => Input::Restart,
        Move::ResultsNow => Input::ResultsNow,
    }
}

/// Holds what a session may be after any turn, and presents any match the turn asked for.
fn check_turn(flow: &Flow, session: &Session, effects: Vec<Effect>) -> Result<(), TestCaseError> {
    match &session.at {
        Position::Asking(id) => prop_assert!(flow.question(id).is_some(), "asking `{}`", id),
        Position::Showing(id) => prop_assert!(flow.node_index(id).is_some(), "showing `{}`", id),
        Position::New => {}
    }
    let typed: usize = session
        .answers
        .iter()
        .map(|a| match &a.answer {
            Answer::Text { text } => text.len(),
            _ => 0,
        })
        .sum();
    for answered in &session.answers {
        prop_assert!(flow.question(&answered.question).is_some());
        if let Answer::Range { min, max } = answered.answer {
            prop_assert!(min.is_some() || max.is_some(), "an empty range was stored");
            let finite = |b: Option<f64>| bound_ok(b) && b.is_none_or(f64::is_finite);
            prop_assert!(
                finite(min) && finite(max),
                "range {:?}..{:?} was stored",
                min,
                max
            );
            if let (Some(lo), Some(hi)) = (min, max) {
                prop_assert!(lo <= hi, "range {}..{} was stored", lo, hi);
            }
        }
    }
    for effect in effects {
        if let Effect::Search { result, request } = effect {
            let outcome = finders().catalog.find(&request).expect("find");
            let shown = conversation::present(flow, session, &result, outcome);
            prop_assert!(
                !shown.title.trim().is_empty(),
                "an empty title for `{}`",
                result
            );
            // Templates show a typed answer at most a few times; they never multiply it.
            let written = shown.title.len() + shown.intro.as_ref().map_or(0, String::len);
            prop_assert!(
                written <= 4 * typed + 4096,
                "{} bytes of title and intro",
                written
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(super::config(256))]

    #[test]
    fn typed_amounts_never_panic_and_read_as_ranges_with_lo_le_hi(input in amount_text()) {
        if let Some((lo, hi)) = parse_range(&input) {
            prop_assert!(lo.is_some() || hi.is_some(), "{:?} read as an empty range", input);
            prop_assert!(bound_ok(lo) && bound_ok(hi), "{:?} read as {:?}..{:?}", input, lo, hi);
            if let (Some(lo), Some(hi)) = (lo, hi) {
                prop_assert!(lo <= hi, "{:?} read as {}..{}", input, lo, hi);
            }
        }
    }
}

proptest! {
    #![proptest_config(super::config(48))]

    #[test]
    fn random_replies_walk_every_shipped_finder_without_panic(
        finder in 0..3usize,
        ja in any::<bool>(),
        moves in prop::collection::vec(a_move(), 1..16),
    ) {
        let flow = &finders().flows[finder];
        let locale = if ja { "ja" } else { "en" };
        let mut session = Session::new("s".into(), flow, Some(locale), None);
        let (next, effects) = conversation::step(flow, session, Input::Start);
        session = next;
        check_turn(flow, &session, effects)?;
        for choice in &moves {
            let input = input(flow, &session, choice);
            let (next, effects) = conversation::step(flow, session, input);
            session = next;
            check_turn(flow, &session, effects)?;
        }
    }
}
