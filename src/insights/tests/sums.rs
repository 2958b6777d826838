//! Kept sums of whole days giving way when a day changes, and range bounds read on the question's scale.

use super::seed::*;
use super::*;

/// A report keeps the sum of its whole days (`sums.rs`); a change to one of those days, such as a late click
/// credited to it or a bucket restored, must show in the next report exactly as a fresh sum would.
#[test]
fn a_kept_sum_of_days_gives_way_when_one_of_its_days_changes() {
    let mut ins = Insights::default();
    for d in 0..3 {
        step(
            &mut ins,
            &format!("k{d}"),
            d * DAY + 5 * HOUR,
            &[Event::Started],
            &[],
            Some("terrain"),
            None,
        );
    }
    show(&mut ins, "k0", "v-k0", 5 * HOUR + 60, &[], &["p1"], &[]);
    let range = Range {
        from: T0,
        to: T0 + 4 * DAY,
    };
    let first = ins.report("shoes", &range, None, &[]);
    assert_eq!((first.funnel[0].starts, first.funnel[0].clicks), (3, 0));
    assert_eq!(ins.report("shoes", &range, None, &[]), first, "read again");
    // A click the next day on the picks of day 0: day 1's bucket changes after the sum was kept.
    ins.shop(&shop(
        "v-k0",
        crate::shop_events::Kind::Clicked,
        "p1",
        1,
        DAY + 10 * HOUR,
    ));
    let after = ins.report("shoes", &range, None, &[]);
    assert_eq!((after.funnel[0].starts, after.funnel[0].clicks), (3, 1));
    assert_eq!(after.products[0].clicked, 1);
    // Exactly what summing every bucket afresh gives.
    let mut fresh = Insights::default();
    for (key, bucket) in ins.take_changed() {
        fresh.restore(key, bucket);
    }
    assert_eq!(fresh.report("shoes", &range, None, &[]), after);
    // A bucket restored over a kept day counts as a change too.
    let key = Key {
        finder: "shoes".into(),
        version: "v1".into(),
        grain: Grain::Day,
        start: T0 + 2 * DAY,
    };
    ins.restore(
        key,
        Bucket {
            starts: 10,
            ..Bucket::default()
        },
    );
    assert_eq!(ins.report("shoes", &range, None, &[]).funnel[0].starts, 12);
    // A turn landing in a kept day counts too.
    step(
        &mut ins,
        "other",
        DAY + 6 * HOUR,
        &[Event::Started],
        &[],
        Some("terrain"),
        None,
    );
    assert_eq!(ins.report("shoes", &range, None, &[]).funnel[0].starts, 13);
}

#[test]
fn range_bounds_beyond_the_questions_scale_read_as_its_ends_or_open() {
    let scale = crate::flow::Range {
        min: 40.0,
        max: 250.0,
        step: 10.0,
        unit: None,
        buckets: vec![80.0, 120.0],
    };
    let key =
        |min: Option<f64>, max: Option<f64>, scale| answer_key(&Answer::Range { min, max }, scale);
    // "call 09012345678" read as an amount: no phone number in the figures.
    assert_eq!(key(None, Some(9_012_345_678.0), Some(&scale)), "–");
    assert_eq!(key(None, Some(150.0), Some(&scale)), "–150");
    assert_eq!(key(None, Some(250.0), Some(&scale)), "–250");
    assert_eq!(key(Some(10.0), Some(100.0), Some(&scale)), "–100");
    assert_eq!(key(Some(1e9), None, Some(&scale)), "250–");
    assert_eq!(key(None, Some(1.0), Some(&scale)), "–40");
    assert_eq!(key(Some(80.0), Some(120.0), Some(&scale)), "80–120");
    // Without the finder (figures fed before it was known) the bounds are as answered.
    assert_eq!(key(None, Some(9_012_345_678.0), None), "–9012345678");
}
