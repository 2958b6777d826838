//! `emails/triggers.yaml`: which events send which email after how long, the frequency cap and the quiet hours.
//! Validated like flows: every problem at once, each with file, line and column. Pure: the decisions
//! ([`Triggers::quiet_until`], [`Triggers::cap_until`]) take the time and the history as inputs.
//!
//! ```yaml
//! finder_completed: { enabled: true, email: picks, after: 0m }
//! finder_abandoned: { enabled: true, email: resume, after: 30m, link_valid: 3d }
//! cart_abandoned:   { enabled: true, email: cart, after: 4h }
//! browse_abandoned: { enabled: false, email: browse, after: 1d }
//! inactive:         { enabled: false, email: browse, after: 30d }
//! frequency: { per_day: 1, per_week: 3 }
//! quiet_hours: { from: "21:00", to: "08:00", utc_offset: "+09:00" }
//! ```

use std::path::Path;

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use crate::flow::{Problem, Severity};
use crate::store::Trigger;

/// One trigger's rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub email: String,
    /// Seconds after the event (for the abandonment triggers: of silence after it).
    pub after: u64,
    /// Seconds a resume link stays valid.
    pub link_valid: u64,
    /// Only members of this segment (`segments.yaml`) get the email.
    pub segment: Option<String>,
}

/// The checked triggers file.
#[derive(Clone, Debug, PartialEq)]
pub struct Triggers {
    rules: Vec<(Trigger, Rule)>,
    pub per_day: usize,
    pub per_week: usize,
    /// Quiet hours as minutes of the shop's day `[from, to)` (wrapping midnight when `from > to`).
    pub quiet: Option<(u32, u32)>,
    /// The shop's offset from UTC, in seconds.
    pub utc_offset: i64,
    /// Every `segment:` a rule names, located, for [`Triggers::check_segments`].
    pub segment_refs: Vec<crate::flow::SegmentRef>,
}

const DAY: u64 = 24 * 3600;

impl Default for Triggers {
    /// What applies without a triggers file: picks at once and the resume email after 30 minutes; the default cap.
    fn default() -> Triggers {
        Triggers {
            rules: vec![
                (Trigger::FinderCompleted, Rule::new("picks", 0)),
                (Trigger::FinderAbandoned, Rule::new("resume", 30 * 60)),
            ],
            per_day: 1,
            per_week: 3,
            quiet: None,
            utc_offset: 0,
            segment_refs: Vec::new(),
        }
    }
}

impl Rule {
    fn new(email: &str, after: u64) -> Rule {
        Rule {
            email: email.to_string(),
            after,
            link_valid: 3 * DAY,
            segment: None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    #[serde(default = "yes")]
    enabled: bool,
    email: Spanned<String>,
    #[serde(default)]
    after: Option<Spanned<String>>,
    #[serde(default)]
    link_valid: Option<Spanned<String>>,
    /// Send only to members of this segment.
    #[serde(default)]
    segment: Option<Spanned<String>>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CapSpec {
    per_day: Option<usize>,
    per_week: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuietSpec {
    from: Spanned<String>,
    to: Spanned<String>,
    #[serde(default)]
    utc_offset: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TriggersSpec {
    finder_completed: Option<RuleSpec>,
    finder_abandoned: Option<RuleSpec>,
    cart_abandoned: Option<RuleSpec>,
    browse_abandoned: Option<RuleSpec>,
    inactive: Option<RuleSpec>,
    frequency: Option<CapSpec>,
    quiet_hours: Option<QuietSpec>,
}

/// `30s`, `30m`, `4h`, `3d` (or `0`) in seconds.
pub fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    if text == "0" {
        return Some(0);
    }
    let (number, unit) = text.split_at(text.len().checked_sub(1)?);
    let n: u64 = number.trim().parse().ok()?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => DAY,
        _ => return None,
    };
    n.checked_mul(scale)
}

/// `HH:MM` in minutes of the day.
fn parse_clock(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// `+09:00`, `-05:30`, `Z` in seconds.
fn parse_offset(text: &str) -> Option<i64> {
    let text = text.trim();
    if text == "Z" || text == "UTC" {
        return Some(0);
    }
    let sign = match text.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let minutes = i64::from(parse_clock(&text[1..])?);
    Some(sign * minutes * 60)
}

impl Triggers {
    /// Reads `emails/triggers.yaml` (none: the defaults) and checks every email it names is one of `emails`.
    pub fn load(path: &Path, emails: &[&str]) -> Result<Triggers, Vec<Problem>> {
        match std::fs::read_to_string(path) {
            Ok(source) => Triggers::parse(path, &source, emails),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Triggers::default()),
            Err(e) => Err(vec![Problem::located(
                &path.display().to_string(),
                Location::UNKNOWN,
                Severity::Error,
                format!("cannot read the triggers: {e}"),
            )]),
        }
    }

    pub fn parse(path: &Path, source: &str, emails: &[&str]) -> Result<Triggers, Vec<Problem>> {
        let file = path.display().to_string();
        let mut problems = Vec::new();
        let mut error = |at: Location, message: String| {
            problems.push(Problem::located(&file, at, Severity::Error, message));
        };
        let spec: TriggersSpec = if source.trim().is_empty() {
            TriggersSpec::default()
        } else {
            match serde_saphyr::from_str(source) {
                Ok(spec) => spec,
                Err(e) => {
                    let (at, cause) = crate::flow::yaml_cause(&e);
                    error(at, format!("{cause}; see docs/email.md for the format"));
                    return Err(problems);
                }
            }
        };
        let mut triggers = Triggers {
            rules: Vec::new(),
            ..Triggers::default()
        };
        let specs = [
            (Trigger::FinderCompleted, spec.finder_completed),
            (Trigger::FinderAbandoned, spec.finder_abandoned),
            (Trigger::CartAbandoned, spec.cart_abandoned),
            (Trigger::BrowseAbandoned, spec.browse_abandoned),
            (Trigger::Inactive, spec.inactive),
        ];
        for (trigger, rule) in specs {
            let Some(rule) = rule else { continue };
            let mut duration = |value: &Option<Spanned<String>>, default: u64| match value {
                None => default,
                Some(v) => parse_duration(&v.value).unwrap_or_else(|| {
                    error(
                        v.referenced,
                        format!("`{}` is no duration; write it as 30m, 4h or 3d", v.value),
                    );
                    default
                }),
            };
            let after = duration(&rule.after, 0);
            let link_valid = duration(&rule.link_valid, 3 * DAY);
            if !emails.contains(&rule.email.value.as_str()) {
                error(
                    rule.email.referenced,
                    format!(
                        "{}: there is no email `{}`; add its templates or use one of: {}",
                        trigger.name(),
                        rule.email.value,
                        emails.join(", ")
                    ),
                );
            }
            if let Some(segment) = &rule.segment {
                triggers.segment_refs.push(crate::flow::SegmentRef {
                    file: file.clone(),
                    name: segment.value.clone(),
                    line: segment.referenced.line(),
                    column: segment.referenced.column(),
                });
            }
            if rule.enabled {
                triggers.rules.push((
                    trigger,
                    Rule {
                        email: rule.email.value,
                        after,
                        link_valid,
                        segment: rule.segment.map(|s| s.value),
                    },
                ));
            }
        }
        if let Some(cap) = spec.frequency {
            triggers.per_day = cap.per_day.unwrap_or(1);
            triggers.per_week = cap.per_week.unwrap_or(3);
        }
        if let Some(quiet) = spec.quiet_hours {
            let mut clock = |v: &Spanned<String>| {
                parse_clock(&v.value).or_else(|| {
                    error(
                        v.referenced,
                        format!("`{}` is no time of day; write it as 21:00", v.value),
                    );
                    None
                })
            };
            let (from, to) = (clock(&quiet.from), clock(&quiet.to));
            if let (Some(from), Some(to)) = (from, to) {
                triggers.quiet = (from != to).then_some((from, to));
            }
            if let Some(offset) = &quiet.utc_offset {
                match parse_offset(&offset.value) {
                    Some(seconds) => triggers.utc_offset = seconds,
                    None => error(
                        offset.referenced,
                        format!(
                            "`{}` is no UTC offset; write the shop's as +09:00 or -05:00",
                            offset.value
                        ),
                    ),
                }
            }
        }
        if problems.is_empty() {
            Ok(triggers)
        } else {
            Err(problems)
        }
    }

    /// Problems with the segments the rules name: each must be one of `names` (defined in `segments_file`).
    pub fn check_segments(&self, names: &[&str], segments_file: &str) -> Vec<Problem> {
        crate::flow::undefined_segments(&self.segment_refs, names, segments_file)
    }

    /// The rule of a trigger, if it is enabled.
    pub fn rule(&self, trigger: Trigger) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|(t, _)| *t == trigger)
            .map(|(_, r)| r)
    }

    /// The time quiet hours end, if `now` is in them.
    pub fn quiet_until(&self, now: u64) -> Option<u64> {
        let (from, to) = self.quiet?;
        let local = now as i64 + self.utc_offset;
        let minute = (local.rem_euclid(DAY as i64) / 60) as u32;
        let quiet = if from < to {
            minute >= from && minute < to
        } else {
            minute >= from || minute < to
        };
        if !quiet {
            return None;
        }
        let day_start = local - local.rem_euclid(DAY as i64);
        let mut end = day_start + i64::from(to) * 60;
        if end <= local {
            end += DAY as i64;
        }
        Some((end - self.utc_offset) as u64)
    }

    /// The time the frequency cap lets the next email go, if it holds one back at `now`; `sent` are the times
    /// of the shopper's emails sent so far.
    pub fn cap_until(&self, sent: &[u64], now: u64) -> Option<u64> {
        let mut until: Option<u64> = None;
        for (window, cap) in [(DAY, self.per_day), (7 * DAY, self.per_week)] {
            let mut inside: Vec<u64> = sent.iter().copied().filter(|t| *t + window > now).collect();
            if inside.len() >= cap {
                inside.sort_unstable();
                // Once the oldest `len - cap + 1` have left the window, there is room for one more.
                let leaving = inside[inside.len() - cap.max(1)];
                let free = if cap == 0 { u64::MAX } else { leaving + window };
                until = Some(until.map_or(free, |u| u.max(free)));
            }
        }
        until
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(source: &str) -> Result<Triggers, String> {
        Triggers::parse(
            Path::new("emails/triggers.yaml"),
            source,
            &["picks", "resume", "cart"],
        )
        .map_err(|p| {
            p.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        })
    }

    #[test]
    fn a_file_reads_into_rules_cap_and_quiet_hours() {
        let t = parse(
            "finder_completed: { email: picks }\nfinder_abandoned: { email: resume, after: 45m, link_valid: 2d }\n\
             cart_abandoned: { enabled: false, email: cart, after: 4h }\nfrequency: { per_day: 2, per_week: 5 }\n\
             quiet_hours: { from: \"21:00\", to: \"08:00\", utc_offset: \"+09:00\" }\n",
        )
        .expect("valid");
        assert_eq!(t.rule(Trigger::FinderCompleted).map(|r| r.after), Some(0));
        let resume = t.rule(Trigger::FinderAbandoned).expect("on");
        assert_eq!((resume.after, resume.link_valid), (45 * 60, 2 * DAY));
        assert_eq!(t.rule(Trigger::CartAbandoned), None, "disabled");
        assert_eq!((t.per_day, t.per_week), (2, 5));
        assert_eq!(t.quiet, Some((21 * 60, 8 * 60)));
        assert_eq!(t.utc_offset, 9 * 3600);
    }

    #[test]
    fn every_problem_is_named_with_its_line() {
        let error = parse(
            "finder_completed: { email: pics }\nfinder_abandoned: { email: resume, after: soon }\n\
             quiet_hours: { from: \"25:00\", to: \"08:00\", utc_offset: Tokyo }\n",
        )
        .expect_err("refused");
        assert!(
            error.contains("triggers.yaml:1:") && error.contains("no email `pics`"),
            "{error}"
        );
        assert!(
            error.contains("triggers.yaml:2:") && error.contains("`soon` is no duration"),
            "{error}"
        );
        assert!(
            error.contains("triggers.yaml:3:") && error.contains("`25:00`"),
            "{error}"
        );
        assert!(error.contains("`Tokyo` is no UTC offset"), "{error}");
        let error = parse("finder_completed: { email: picks, delay: 3 }\n").expect_err("refused");
        assert!(
            error.contains("triggers.yaml:1:") && error.contains("delay"),
            "{error}"
        );
    }

    #[test]
    fn quiet_hours_wrap_midnight_in_the_shops_time() {
        let t = parse("quiet_hours: { from: \"21:00\", to: \"08:00\", utc_offset: \"+09:00\" }")
            .expect("valid");
        // 2026-01-01 12:00 UTC is 21:00 in Tokyo: quiet until 08:00 Tokyo, 23:00 UTC.
        let noon_utc = 1_767_268_800;
        assert_eq!(t.quiet_until(noon_utc), Some(noon_utc + 11 * 3600));
        // 23:30 UTC is 08:30 in Tokyo: not quiet.
        assert_eq!(t.quiet_until(noon_utc + 11 * 3600 + 1800), None);
        // 20:59 Tokyo is not quiet yet.
        assert_eq!(t.quiet_until(noon_utc - 60), None);
        // 02:00 Tokyo is (17:00 UTC): until 08:00, six hours on.
        assert_eq!(
            t.quiet_until(noon_utc + 5 * 3600),
            Some(noon_utc + 11 * 3600)
        );
    }

    #[test]
    fn the_cap_holds_back_until_a_send_leaves_its_window() {
        let t = Triggers::default();
        let now = 100 * DAY;
        assert_eq!(t.cap_until(&[], now), None);
        // One sent an hour ago: the next goes once a day has passed since.
        assert_eq!(t.cap_until(&[now - 3600], now), Some(now - 3600 + DAY));
        // Three this week, none today: held until the oldest leaves the week.
        let week = [now - 6 * DAY, now - 4 * DAY, now - 2 * DAY];
        assert_eq!(t.cap_until(&week, now), Some(now - 6 * DAY + 7 * DAY));
        // Two this week, none today: free.
        assert_eq!(t.cap_until(&week[1..], now), None);
    }

    #[test]
    fn durations_read_with_their_unit() {
        assert_eq!(parse_duration("30m"), Some(1800));
        assert_eq!(parse_duration("4h"), Some(4 * 3600));
        assert_eq!(parse_duration("0"), Some(0));
        assert_eq!(parse_duration("3 d"), Some(3 * DAY));
        assert_eq!(parse_duration("3w"), None);
        assert_eq!(parse_duration(""), None);
    }
}
