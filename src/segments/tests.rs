//! The segments file's check (every problem located) and membership, in English and Japanese.

use super::*;
use crate::flow::Flows;

/// A Japanese-first finder with Japanese option values, a yen range and a typed question.
const GIFT: &str = r#"
id: gift
title: {ja: ギフト診断, en: Gift finder}
locales: [ja, en]
questions:
  - id: kind
    kind: single
    text: {ja: 何を贈りますか？, en: What is the gift?}
    options:
      - {value: 包丁, filter: {field: category, eq: knives}}
      - {value: 砥石, filter: {field: category, eq: stones}}
  - id: budget
    kind: range
    text: {ja: ご予算は？, en: Your budget?}
    range: {min: 1000, max: 50000, step: 1000, unit: JPY}
    filter: {field: price}
  - id: note
    kind: text
    text: {ja: どなたへ？, en: For whom?}
    search: false
    options:
      - {value: family, label: {ja: 家族, en: Family}, synonyms: [家族, 母, 父]}
      - {value: friend, label: {ja: 友人, en: Friend}, synonyms: [友達, 友人]}
results:
  - id: picks
"#;

fn flows() -> Flows {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("gift.yaml"), GIFT).expect("write");
    Flows::load_dir(dir.path())
        .map(|(flows, _)| flows)
        .unwrap_or_else(|e| panic!("the test finder compiles: {e}"))
}

fn check(source: &str) -> Result<Segments, Vec<String>> {
    match compile("segments.yaml", source, &flows()) {
        (Some(segments), _) => Ok(segments),
        (None, problems) => Err(problems.iter().map(ToString::to_string).collect()),
    }
}

const NOW: u64 = 1_800_000_000;
const DAY: u64 = 86_400;

fn answer(question: &str, answer: Answer, at: u64) -> AnswerFact {
    AnswerFact {
        flow: "gift".into(),
        question: question.into(),
        answer,
        at,
    }
}

fn member(segments: &Segments, name: &str, facts: &Facts) -> bool {
    evaluate(segments.get(name).expect("segment"), facts, NOW)
}

#[test]
fn a_file_of_every_form_compiles_and_decides_membership() {
    let segments = check(
        "segments:
  - name: bargain-hunter
    when:
      all:
        - {finder: gift, answer: budget, lte: 10000}
        - {event: viewed, at_least: 3, within: 7d}
    opener: {en: Deals first!, ja: お買い得品からご紹介します}
  - name: returning
    when: {visitor: returning}
    opener: {en: Welcome back!, ja: おかえりなさい！}
  - name: customer
    when: {visitor: customer}
  - name: new
    when: {visitor: new}
  - name: knife-gifts
    when: {finder: gift, answer: kind, eq: 包丁, within: 30d}
  - name: family
    when: {finder: gift, answer: note, contains: 母}
  - name: social-mobile
    when:
      all:
        - {device: mobile}
        - any: [{utm_source: Instagram}, {referrer: t.co}]
        - not: {signed_in: true}
  - name: lapsed
    when: {all: [{visits: 2}, {not: {seen_within: 30d}}]}
",
    )
    .expect("valid segments");
    assert_eq!(segments.names().len(), 8);

    // Three views this week and a budget of ¥8,000: a bargain hunter; two views are not enough.
    let mut facts = Facts {
        answers: vec![answer(
            "budget",
            Answer::Range {
                min: None,
                max: Some(8000.0),
            },
            NOW - DAY,
        )],
        events: vec![
            (EventKind::Viewed, NOW - DAY),
            (EventKind::Viewed, NOW - 2 * DAY),
            (EventKind::Viewed, NOW - 10 * DAY),
        ],
        seen: vec![NOW - 10 * DAY, NOW - 2 * DAY, NOW - DAY],
        ..Facts::default()
    };
    assert!(
        !member(&segments, "bargain-hunter", &facts),
        "one view is older than 7 days"
    );
    facts.events.push((EventKind::Viewed, NOW - 3600));
    assert!(member(&segments, "bargain-hunter", &facts));
    assert!(member(&segments, "returning", &facts));
    assert!(!member(&segments, "new", &facts));
    assert!(!member(&segments, "customer", &facts));
    facts.events.push((EventKind::Purchased, NOW - 60));
    assert!(member(&segments, "customer", &facts));

    // Japanese answers: a chosen value and typed words, compared after normalisation.
    let ja = Facts {
        answers: vec![
            answer(
                "kind",
                Answer::Choice {
                    value: "包丁".into(),
                },
                NOW - 5 * DAY,
            ),
            answer(
                "note",
                Answer::Text {
                    text: "母の日に".into(),
                },
                NOW - 5 * DAY,
            ),
        ],
        ..Facts::default()
    };
    assert!(member(&segments, "knife-gifts", &ja));
    assert!(member(&segments, "family", &ja));
    assert!(member(&segments, "new", &ja), "no visit before this one");
    let old = Facts {
        answers: vec![answer(
            "kind",
            Answer::Choice {
                value: "包丁".into(),
            },
            NOW - 40 * DAY,
        )],
        ..Facts::default()
    };
    assert!(
        !member(&segments, "knife-gifts", &old),
        "answered over 30 days ago"
    );

    // Device and traffic source of this visit.
    let mut visit = Facts {
        device: Some(Device::Mobile),
        source: Source {
            utm_source: Some("instagram".into()),
            ..Source::default()
        },
        ..Facts::default()
    };
    assert!(member(&segments, "social-mobile", &visit));
    visit.signed_in = true;
    assert!(!member(&segments, "social-mobile", &visit));
    visit.signed_in = false;
    visit.source = Source {
        referrer: Some("https://T.co/abc?x=1".into()),
        ..Source::default()
    };
    assert!(member(&segments, "social-mobile", &visit));
    visit.device = Some(Device::Desktop);
    assert!(!member(&segments, "social-mobile", &visit));

    // Two visits, the last 40 days ago: lapsed.
    let lapsed = Facts {
        seen: vec![NOW - 60 * DAY, NOW - 40 * DAY],
        ..Facts::default()
    };
    assert!(member(&segments, "lapsed", &lapsed));
    assert!(!member(&segments, "lapsed", &facts));

    // The opener of the first listed segment that has one, in the shopper's locale.
    let names = segments.members_of(&facts, NOW);
    assert_eq!(names, ["bargain-hunter", "returning", "customer"]);
    assert_eq!(
        segments.opener(&names, "ja"),
        Some(("bargain-hunter".into(), "お買い得品からご紹介します".into()))
    );
    assert_eq!(
        segments.opener(&["returning".into()], "en"),
        Some(("returning".into(), "Welcome back!".into()))
    );
    assert_eq!(segments.opener(&["customer".into()], "en"), None);
}

#[test]
fn visits_are_runs_of_activity_half_an_hour_apart() {
    let facts = |seen: &[u64]| Facts {
        seen: seen.to_vec(),
        ..Facts::default()
    };
    assert_eq!(facts(&[]).visits(), 0);
    assert_eq!(facts(&[NOW, NOW + 60, NOW + 29 * 60]).visits(), 1);
    assert_eq!(facts(&[NOW + 3 * 3600, NOW, NOW + 600]).visits(), 2);
}

#[test]
fn every_problem_is_named_with_its_line_and_the_fix() {
    let problems = check(
        "segments:
  - name: a
    when: {finder: bikes, answer: terrain, eq: road}
  - name: b
    when: {finder: gift, answer: colour, eq: red}
  - name: c
    when: {finder: gift, answer: kind, eq: 鋏}
  - name: d
    when: {event: viewed, within: soon}
  - name: e
    when: {visitor: vip}
  - name: a
    when: {device: phone}
  - name: Bad Name
    when: {visits: 2, device: mobile}
  - name: g
    when: {finder: gift, answer: budget, eq: cheap}
",
    )
    .expect_err("problems");
    let expected = [
        "segments.yaml:3:11: error: `finder: bikes` is not served; use one of gift",
        "segments.yaml:5:11: error: finder `gift` has no question `colour`; use one of kind, budget, note",
        "segments.yaml:7:11: error: question `kind` of finder `gift` has no option `鋏`; use one of 包丁, 砥石",
        "segments.yaml:9:35: error: `soon` is no duration; write it as 30m, 12h or 7d",
        "segments.yaml:11:11: error: `visitor: vip` is unknown; use new, returning or customer",
        "segments.yaml:12:11: error: segment `a` is defined twice",
        "segments.yaml:13:11: error: `device: phone` is unknown; use one of mobile, tablet, desktop",
        "segments.yaml:14:11: error: segment name `Bad Name` must be",
        "segments.yaml:15:11: error: a condition needs exactly one of",
        "segments.yaml:17:11: error: `budget` is a range question; compare it with lt, lte, gt or gte",
    ];
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    for (problem, expected) in problems.iter().zip(expected) {
        assert!(
            problem.starts_with(expected),
            "{problem}\n  wanted {expected}\n{problems:#?}"
        );
    }
    let problems = check("segments:\n  - name: x\n    when: {visitor: new, colour: red}\n")
        .expect_err("unknown field");
    assert!(
        problems[0].starts_with("segments.yaml:3:")
            && problems[0].contains("unknown field `colour`"),
        "{problems:?}"
    );
    assert!(check("# none yet\n").expect("empty").list.is_empty());
}

#[test]
fn devices_read_from_user_agents() {
    let iphone =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";
    let ipad = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";
    let pixel = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36";
    let tab =
        "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 Chrome/120 Safari/537.36";
    let mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15";
    assert_eq!(Device::from_user_agent(iphone), Device::Mobile);
    assert_eq!(Device::from_user_agent(ipad), Device::Tablet);
    assert_eq!(Device::from_user_agent(pixel), Device::Mobile);
    assert_eq!(Device::from_user_agent(tab), Device::Tablet);
    assert_eq!(Device::from_user_agent(mac), Device::Desktop);
    assert_eq!(
        referrer_host("https://www.Google.co.jp/search?q=x"),
        Some("google.co.jp".into())
    );
    assert_eq!(referrer_host("t.co"), Some("t.co".into()));
}

#[test]
fn the_shipped_file_loads_against_the_shipped_finders_and_a_missing_one_holds_none() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let (flows, _) = Flows::load_dir(&root.join("flows")).expect("the shipped finders load");
    let file = crate::setup::default_segments_file(&root.join("flows"));
    assert_eq!(file, root.join("segments.yaml"));
    let segments = crate::setup::load_segments(&file, &flows).expect("the shipped segments load");
    for name in ["returning", "customer", "new", "bargain-hunter"] {
        assert!(
            segments.get(name).is_some(),
            "{name}: {:?}",
            segments.names()
        );
    }
    let none =
        crate::setup::load_segments(&root.join("no-such/segments.yaml"), &flows).expect("no file");
    assert!(none.list.is_empty());
}

/// A finder whose intro is only for shoppers who are not returning.
const INTRO: &str = r#"
id: intro
title: Intro
locales: [en, ja]
questions:
  - id: hello
    kind: info
    text: {en: "First time? Two quick questions.", ja: はじめての方へ：質問は2つだけです。}
    ask_when: {not: {segment: returning}}
  - id: kind
    kind: single
    text: Which?
    options: [{value: a}, {value: b}]
results:
  - id: picks
"#;

#[test]
fn a_finder_condition_on_a_segment_skips_the_intro_for_members_and_must_name_a_segment() {
    use crate::conversation::{Effect, Input, Session, step};
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("intro.yaml"), INTRO).expect("write");
    let (flows, _) = Flows::load_dir(dir.path()).expect("the finder compiles");
    let flow = flows.get("intro").expect("intro");
    let said = |segments: Vec<String>, locale: &str| -> Vec<String> {
        let mut session = Session::new("s".into(), flow, Some(locale), None);
        session.segments = segments;
        let (_, effects) = step(flow, session, Input::Start);
        effects
            .into_iter()
            .filter_map(|e| match e {
                Effect::Say(text) => Some(text),
                _ => None,
            })
            .collect()
    };
    assert_eq!(said(Vec::new(), "en"), ["First time? Two quick questions."]);
    assert!(said(vec!["returning".into()], "en").is_empty());
    assert_eq!(
        said(vec!["customer".into()], "ja"),
        ["はじめての方へ：質問は2つだけです。"]
    );

    let file = dir.path().join("segments.yaml");
    std::fs::write(
        &file,
        "segments:\n  - {name: customer, when: {visitor: customer}}\n",
    )
    .expect("write");
    let error = crate::setup::load_segments(&file, &flows).expect_err("returning is not defined");
    let lines = error.lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("intro.yaml:9:15: error: the condition names segment `returning`, which is not defined; define it in")
            && lines[0].contains("or use one of: customer"),
        "{lines:?}"
    );
    std::fs::write(
        &file,
        "segments:\n  - {name: returning, when: {visitor: returning}}\n",
    )
    .expect("write");
    assert!(crate::setup::load_segments(&file, &flows).is_ok());
}
