//! Seeded conversations and shop events in, exact figures out.

use super::*;
use crate::insights::report::{ArmRow, TextRow};

mod seed;
mod sums;
use seed::*;

#[test]
fn the_funnel_counts_each_conversation_once() {
    let report = seeded().report("shoes", &day(), None, &[]);
    assert_eq!(report.funnel.len(), 2, "v1 and the total");
    let f = &report.funnel[0];
    assert_eq!(f.version, "v1");
    assert_eq!(
        (f.starts, f.completed, f.completion_rate),
        (3, 2, Some(0.6667))
    );
    assert_eq!(
        (f.results_shown, f.zero_results, f.relaxed_results),
        (3, 2, 2)
    );
    assert_eq!((f.clicked, f.click_through, f.clicks), (1, Some(0.5), 2));
    assert_eq!((f.purchased, f.units_bought, f.carted), (1, 2, 0));
    assert_eq!(report.funnel[1].version, "*");
    assert_eq!(report.funnel[1].starts, 3);
}

#[test]
fn questions_show_drop_off_skips_back_and_time() {
    let order = ["terrain".to_string(), "budget".to_string()];
    let report = seeded().report("shoes", &day(), None, &order);
    let q: Vec<_> = report
        .questions
        .iter()
        .map(|q| {
            (
                q.question.as_str(),
                q.reached,
                q.answered,
                q.dropped,
                q.skipped,
                q.went_back,
                q.not_understood,
            )
        })
        .collect();
    assert_eq!(
        q,
        [("terrain", 3, 3, 0, 1, 0, 1), ("budget", 3, 2, 1, 0, 1, 0)]
    );
    // terrain took 10 s (s1) and 30 s (s2, the miss included): the median is the lower of the two, ±12 %.
    let terrain = &report.questions[0];
    assert_eq!(terrain.timed, 2);
    let median = terrain.median_seconds.expect("timed");
    assert!((median - 10.0).abs() <= 1.2, "{median}");
    // budget: 30 s (s1), 10 s (s3), and 10 s again after going back.
    assert_eq!(report.questions[1].timed, 3);
    assert_eq!(report.not_understood.len(), 1);
    assert_eq!(
        (
            report.not_understood[0].question.as_str(),
            report.not_understood[0].text.as_str(),
            report.not_understood[0].count
        ),
        ("terrain", "mud", 1)
    );
}

#[test]
fn answers_carry_their_share_and_empty_results() {
    let report = seeded().report("shoes", &day(), None, &[]);
    let rows: Vec<_> = report
        .answers
        .iter()
        .map(|a| {
            (
                a.question.as_str(),
                a.answer.as_str(),
                a.given,
                a.results_shown,
                a.zero_results,
                a.relaxed_results,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("budget", "–5", 2, 2, 2, 2),
            ("budget", "–120", 1, 1, 0, 0),
            ("terrain", "road", 1, 0, 0, 0),
            ("terrain", "trail", 1, 1, 0, 0),
        ]
    );
    assert_eq!(report.answers[0].share, Some(0.6667));
    let paths: Vec<_> = report
        .paths
        .iter()
        .map(|p| (p.path.as_str(), p.results_shown, p.zero_results))
        .collect();
    assert_eq!(
        paths,
        [("budget=–5", 2, 2), ("terrain=trail › budget=–120", 1, 0)]
    );
    let products: Vec<_> = report
        .products
        .iter()
        .map(|p| (p.product.as_str(), p.shown, p.clicked, p.purchased))
        .collect();
    assert_eq!(products, [("p1", 1, 1, 2), ("p2", 1, 1, 0)]);
    assert_eq!(report.answer_products.len(), 4);
    assert!(
        report
            .answer_products
            .iter()
            .any(|p| p.question == "terrain" && p.answer == "trail" && p.product == "p2")
    );
}

#[test]
fn a_range_sums_days_and_edge_hours_and_stored_buckets_come_back_the_same() {
    let mut ins = seeded();
    // One more start on each of the next two days, at 05:00.
    for d in 1..=2 {
        step(
            &mut ins,
            &format!("n{d}"),
            d * DAY + 5 * HOUR,
            &[Event::Started],
            &[],
            Some("terrain"),
            None,
        );
    }
    let starts = |ins: &mut Insights, from: u64, to: u64| {
        ins.report(
            "shoes",
            &Range {
                from: T0 + from,
                to: T0 + to,
            },
            None,
            &[],
        )
        .funnel[0]
            .starts
    };
    assert_eq!(starts(&mut ins, 0, 3 * DAY), 5);
    assert_eq!(
        starts(&mut ins, HOUR, 3 * DAY),
        2,
        "from 01:00 on the first day"
    );
    assert_eq!(
        starts(&mut ins, 0, DAY + 5 * HOUR),
        3,
        "up to 05:00 of the second day"
    );
    assert_eq!(
        starts(&mut ins, 0, DAY + 5 * HOUR + 1),
        4,
        "into 05:00 counts that hour"
    );
    assert_eq!(starts(&mut ins, DAY + HOUR, 2 * DAY + 6 * HOUR), 2);
    let report = ins.report(
        "shoes",
        &Range {
            from: T0,
            to: T0 + 3 * DAY,
        },
        None,
        &[],
    );
    assert_eq!(report.step, Grain::Day);
    assert_eq!(
        report.series.iter().map(|r| r.starts).collect::<Vec<_>>(),
        [3, 1, 1]
    );
    let hours = ins.report("shoes", &day(), None, &[]);
    assert_eq!(hours.step, Grain::Hour);
    assert_eq!(hours.series.len(), 24, "quiet hours are there, at zero");
    assert_eq!(hours.series.iter().map(|r| r.starts).sum::<u64>(), 3);
    // What a restart reads back from the store gives the same report.
    let mut restored = Insights::default();
    for (key, bucket) in ins.take_changed() {
        restored.restore(key, bucket);
    }
    assert!(ins.take_changed().is_empty(), "taken once");
    assert_eq!(
        restored.report("shoes", &day(), None, &[]),
        ins.report("shoes", &day(), None, &[])
    );
}

#[test]
fn another_version_is_its_own_row_and_can_be_chosen() {
    let mut ins = seeded();
    ins.turn(&Turn {
        session: "b1",
        finder: "shoes",
        version: "v2",
        at_ms: (T0 + 300) * 1000,
        events: &[Event::Started],
        answers: &[],
        asking: Some("terrain"),
        typed: None,
        flow: None,
    });
    let report = ins.report("shoes", &day(), Some("v2"), &[]);
    let versions: Vec<_> = report
        .funnel
        .iter()
        .map(|f| (f.version.as_str(), f.starts))
        .collect();
    assert_eq!(versions, [("v1", 3), ("v2", 1), ("*", 4)]);
    assert_eq!(report.questions.len(), 1);
    assert_eq!(
        report.questions[0].reached, 1,
        "only v2's figures below the funnel"
    );
    assert!(ins.report("boots", &day(), None, &[]).questions.is_empty());
}

#[test]
fn personal_looking_texts_are_not_kept() {
    assert_eq!(
        keepable_text(" ＴＲＡＩＬ　ish "),
        Some("trail ish".to_string())
    );
    assert_eq!(keepable_text("me@example.com"), None);
    assert_eq!(keepable_text("call 090-1234-5678"), None);
    assert_eq!(
        keepable_text("about 30000 yen"),
        Some("about 30000 yen".to_string())
    );
    assert_eq!(keepable_text("09012345678"), None);
    assert_eq!(keepable_text("   "), None);
    assert_eq!(
        keepable_text("zz\u{1b}]0;pwned\u{7}\u{202e}abc"),
        Some("zz\u{FFFD}]0;pwned\u{FFFD}\u{FFFD}abc".to_string())
    );
    assert_eq!(
        keepable_text(&"あ".repeat(100)).map(|t| t.chars().count()),
        Some(MAX_TEXT_CHARS)
    );
}

#[test]
fn csv_tables_have_a_header_and_a_row_each() {
    let report = seeded().report("shoes", &day(), None, &[]);
    let funnel = report.csv("funnel").expect("a table");
    let mut lines = funnel.lines();
    assert!(
        lines
            .next()
            .expect("header")
            .starts_with("version,starts,restarts,completed,completion_rate")
    );
    assert!(lines.next().expect("v1").starts_with("v1,3,0,2,0.6667"));
    let empty = Insights::default().report("shoes", &day(), None, &[]);
    assert_eq!(
        empty.csv("not_understood").as_deref(),
        Some("question,text,count\n")
    );
    assert_eq!(report.csv("nope"), None);
}

#[test]
fn csv_text_cells_cannot_run_as_formulas_and_numbers_stay_numbers() {
    let mut report = seeded().report("shoes", &day(), None, &[]);
    report.not_understood = vec![TextRow {
        question: "terrain".into(),
        text: "=hyperlink(\"http://evil.example\",\"x\")".into(),
        count: 2,
    }];
    assert_eq!(
        report.csv("not_understood").as_deref(),
        Some(
            "question,text,count\nterrain,\"'=hyperlink(\"\"http://evil.example\"\",\"\"x\"\")\",2\n"
        )
    );
    report.arms = vec![ArmRow {
        arm: "variant".into(),
        completion_difference: Some(-0.25),
        ..ArmRow::default()
    }];
    let arms = report.csv("arms").expect("a table");
    let row = arms.lines().nth(1).expect("a row");
    assert!(row.starts_with("variant,"), "{arms}");
    assert!(row.contains(",-0.25,"), "a number, not text: {arms}");
    assert!(!row.contains('\''), "{arms}");
}

#[test]
fn ranges_read_spans_and_dates() {
    let now = T0 + 5 * HOUR + 20;
    assert_eq!(
        Range::parse(None, None, None, now),
        Ok(Range {
            from: T0 + 6 * HOUR - 7 * DAY,
            to: T0 + 6 * HOUR
        })
    );
    assert_eq!(
        Range::parse(Some("24h"), None, None, now).map(|r| r.to - r.from),
        Ok(DAY)
    );
    assert_eq!(
        Range::parse(None, Some("2026-12-01"), Some("2026-12-01"), now),
        Ok(Range {
            from: T0,
            to: T0 + DAY
        })
    );
    assert_eq!(
        report::date_label(T0 + 5 * HOUR, Grain::Hour),
        "2026-12-01 05:00"
    );
    assert_eq!(report::date_label(T0 - DAY, Grain::Day), "2026-11-30");
    for (since, from, to) in [
        (Some("7x"), None, None),
        (Some("0d"), None, None),
        (Some("7d"), Some("2026-12-01"), None),
        (None, Some("2026-13-01"), None),
        (None, Some("2026-12-02"), Some("2026-12-01")),
        (None, None, Some("2026-12-01")),
    ] {
        let error = Range::parse(since, from, to, now).expect_err("refused");
        assert!(error.contains('`'), "names the value: {error}");
    }
}

#[test]
fn differences_of_proportions_have_newcombes_interval() {
    // Newcombe (1998), example (a): 56/70 − 48/80 = 0.2000, 95 % interval 0.0524 to 0.3339.
    let d = report::difference(56, 70, 48, 80);
    assert_eq!(
        (d.difference, d.low, d.high),
        (Some(0.2), Some(0.0524), Some(0.3339))
    );
    // Example (d), a rate of zero: 0/10 − 0/20 = 0, interval −0.1611 to 0.2775.
    let d = report::difference(0, 10, 0, 20);
    assert_eq!((d.low, d.high), (Some(-0.1611), Some(0.2775)));
    assert_eq!(report::difference(1, 0, 1, 2).difference, None);
}

#[test]
fn a_later_version_is_compared_with_the_first() {
    let mut ins = seeded();
    for (i, finished) in [true, true, false].into_iter().enumerate() {
        let session = format!("b{i}");
        let mut turn = Turn {
            session: &session,
            finder: "shoes",
            version: "v2",
            at_ms: (T0 + 3 * HOUR) * 1000,
            events: &[Event::Started],
            answers: &[],
            asking: Some("terrain"),
            typed: None,
            flow: None,
        };
        ins.turn(&turn);
        let done = [Event::Finished {
            result: "picks".into(),
        }];
        if finished {
            turn.events = &done;
            turn.asking = None;
            ins.turn(&turn);
        }
    }
    let report = ins.report("shoes", &day(), None, &[]);
    assert_eq!(report.comparisons.len(), 1);
    let c = &report.comparisons[0];
    assert_eq!((c.version.as_str(), c.baseline.as_str()), ("v2", "v1"));
    // 2/3 against 2/3: no difference; v2's shoppers clicked nothing, v1's one of two.
    assert_eq!(c.completion.difference, Some(0.0));
    assert_eq!(c.click_through.difference, Some(-0.5));
    let (low, high) = (
        c.click_through.low.expect("low"),
        c.click_through.high.expect("high"),
    );
    assert!(
        low < -0.5 && high > 0.0,
        "two trials each: a wide interval ({low}, {high})"
    );
}
