//! Running cases: one WebSocket conversation per case against a server's `/v1/chat`, at most `jobs` at once.
//!
//! Every wait is bounded: connecting and each message have `timeout`; a turn reads at most
//! [`super::client::MAX_MESSAGES`] messages before its question or products; a case has as many turns as it has
//! steps.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::client::{Conversation, message};
use super::coverage::{Seen, Tracker};
use super::wire::{Products, Screen};
use super::{Action, Case, check};
use crate::catalog::{Catalog, Product};
use crate::conversation::Input;
use crate::flow::Flows;

#[derive(Clone, Debug)]
pub struct Options {
    /// Cases run at once.
    pub jobs: usize,
    /// The longest wait for a connection or one message.
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            jobs: 4,
            timeout: Duration::from_secs(10),
        }
    }
}

/// How one case went.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub case: Arc<Case>,
    /// Every unmet expectation, as a sentence; empty when the case passed.
    pub failures: Vec<String>,
    /// What the shopper did, `question=answer` in order.
    pub answers: Vec<String>,
    /// What the shopper saw last.
    pub last: Option<Screen>,
    /// Whether every step ran (the last screen is the case's end).
    pub finished: bool,
    pub seen: Seen,
    /// Where the local flow file (followed for coverage) and the server disagreed: coverage may be off.
    pub notes: Vec<String>,
    pub elapsed: Duration,
}

impl Outcome {
    pub(crate) fn new(case: Arc<Case>) -> Outcome {
        Outcome {
            case,
            failures: Vec::new(),
            answers: Vec::new(),
            last: None,
            finished: false,
            seen: Seen::default(),
            notes: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }

    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// The products the case ended with, when every step ran.
    pub fn products(&self) -> Option<&Products> {
        match &self.last {
            Some(Screen::Products(p)) if self.finished => Some(p),
            _ => None,
        }
    }
}

/// Runs `cases` against the chat at `url`, at most `options.jobs` at once; outcomes come back in case order.
/// `flows` (the local flow files) account coverage; `catalog` serves conditions on attributes the products
/// message does not carry.
pub async fn run_cases(
    cases: Vec<Case>,
    url: &str,
    flows: &Flows,
    catalog: Option<&Catalog>,
    options: &Options,
) -> Vec<Outcome> {
    let limit = Arc::new(tokio::sync::Semaphore::new(options.jobs.max(1)));
    let cases: Vec<Arc<Case>> = cases.into_iter().map(Arc::new).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for (n, case) in cases.iter().enumerate() {
        let (limit, case, url, flows, catalog, options) = (
            limit.clone(),
            case.clone(),
            url.to_string(),
            flows.clone(),
            catalog.cloned(),
            options.clone(),
        );
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            (n, run_case(case, &url, &flows, catalog, &options).await)
        });
    }
    let mut outcomes: Vec<Option<Outcome>> = vec![None; cases.len()];
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((n, outcome)) => outcomes[n] = Some(outcome),
            Err(e) => tracing::error!(error = %e, "a test case task failed"),
        }
    }
    // A case whose task failed is a failed case, never a missing one.
    outcomes
        .into_iter()
        .zip(cases)
        .map(|(outcome, case)| {
            outcome.unwrap_or_else(|| {
                let mut failed = Outcome::new(case);
                failed.failures.push("the runner's task for this case failed (see the log); this is a bug in shopkeep".into());
                failed
            })
        })
        .collect()
}

/// What a step expects of the screen before it acts; `None` when it holds.
fn step_failure(step: &super::Step, screen: &Screen) -> Option<String> {
    let mentions =
        |a: &str, b: &str| crate::text::normalize(a).contains(&crate::text::normalize(b));
    let question = match screen {
        Screen::Question(q) => q,
        Screen::Products(_) if step.ask.is_none() && step.says.is_none() && step.hint.is_none() => {
            return None;
        }
        Screen::Products(_) => {
            let wanted = step
                .ask
                .as_ref()
                .map_or("a question".to_string(), |id| format!("question `{id}`"));
            return Some(format!(
                "expected {wanted}, but the server showed {}",
                screen.describe()
            ));
        }
    };
    if let Some(id) = &step.ask
        && &question.id != id
    {
        return Some(format!(
            "expected question `{id}`, but the server asked {}",
            screen.describe()
        ));
    }
    if let Some(text) = &step.says
        && !mentions(&question.text, text)
    {
        return Some(format!(
            "expected `{}` to say {text:?}, but it says {:?}",
            question.id, question.text
        ));
    }
    if let Some(hint) = &step.hint {
        match &question.hint {
            Some(said) if mentions(said, hint) => {}
            Some(said) => {
                return Some(format!(
                    "expected the hint of `{}` to say {hint:?}, but it says {said:?}",
                    question.id
                ));
            }
            None => {
                return Some(format!(
                    "expected a hint on `{}` (the last answer not understood), but there is none",
                    question.id
                ));
            }
        }
    }
    None
}

async fn run_case(
    case: Arc<Case>,
    url: &str,
    flows: &Flows,
    catalog: Option<Catalog>,
    options: &Options,
) -> Outcome {
    let started = Instant::now();
    let mut outcome = Outcome::new(case.clone());
    if let Err(e) = converse(&case, url, flows, catalog, options, &mut outcome).await {
        outcome.failures.push(e);
    }
    outcome.elapsed = started.elapsed();
    outcome
}

async fn converse(
    case: &Case,
    url: &str,
    flows: &Flows,
    catalog: Option<Catalog>,
    options: &Options,
    outcome: &mut Outcome,
) -> Result<(), String> {
    let base = flows
        .get(&case.flow)
        .ok_or_else(|| format!("there is no local flow `{}` to follow", case.flow))?;
    let flow = &base.on_arm(case.arm.unwrap_or(crate::flow::Arm::Control));
    let mut tracker = Tracker::new(flow, case.locale.as_deref());
    let mut chat = Conversation::connect(url, options.timeout).await?;
    let mut start = json!({"type": "start", "v": 1, "flow": case.flow});
    if let Some(arm) = case.arm {
        start["visitor"] = json!(super::arms::visitor_for(base, arm)?);
    }
    if let Some(locale) = &case.locale {
        start["locale"] = json!(locale);
    }
    chat.send(start).await?;
    let local = tracker.apply(Input::Start);
    let mut screen = chat.screen().await?;
    outcome
        .notes
        .extend(drift(&case.flow, "the start", local, &screen));
    for (n, step) in case.steps.iter().enumerate() {
        let at = format!("step {} (line {})", n + 1, step.line);
        if let Some(failure) = step_failure(step, &screen) {
            outcome.last = Some(screen);
            outcome.seen = tracker.seen;
            return Err(format!("{at}: {failure}"));
        }
        let Some(action) = &step.action else { continue };
        let asked = match &screen {
            Screen::Question(q) => q.id.clone(),
            Screen::Products(p) => p.result.clone(),
        };
        outcome.answers.push(match action {
            Action::Back | Action::Restart | Action::ResultsNow => action.describe(),
            _ => format!("{asked}={}", action.describe()),
        });
        let (wire, input) = message(action);
        chat.send(wire).await?;
        let local = tracker.apply(input);
        match chat.screen().await {
            Ok(next) => screen = next,
            Err(e) => {
                // Show what the shopper was looking at when the server refused.
                outcome.last = Some(screen);
                outcome.seen = tracker.seen;
                return Err(format!("{at}: after {}: {e}", action.describe()));
            }
        }
        outcome.notes.extend(drift(&case.flow, &at, local, &screen));
    }
    outcome.finished = true;
    outcome.seen = tracker.seen;
    if let Some(expect) = &case.expect {
        match &screen {
            Screen::Products(products) => {
                let known = lookup(catalog, products).await;
                let find = |id: &str| known.get(id).cloned();
                outcome
                    .failures
                    .extend(check::products(expect, products, &find));
            }
            Screen::Question(_) => outcome.failures.push(format!(
                "expected products at the end, but the server asked {}",
                screen.describe()
            )),
        }
    }
    outcome.last = Some(screen);
    chat.close().await;
    Ok(())
}

/// A note when the local flow asks something other than what the server showed (a server with other flow files).
fn drift(flow: &str, at: &str, local: Option<String>, screen: &Screen) -> Option<String> {
    let server = match screen {
        Screen::Question(q) => Some(&q.id),
        Screen::Products(_) => None,
    };
    (local.as_ref() != server).then(|| {
        format!(
            "after {at} the local flow `{flow}` {}, the server showed {}; coverage follows the local flow file",
            local.map_or("shows products".to_string(), |id| format!("asks `{id}`")),
            screen.describe()
        )
    })
}

/// The shown products as the local catalog has them (off the async runtime: a tantivy search each).
async fn lookup(catalog: Option<Catalog>, products: &Products) -> HashMap<String, Product> {
    let Some(catalog) = catalog else {
        return HashMap::new();
    };
    let ids: Vec<String> = products.products.iter().map(|p| p.id.clone()).collect();
    tokio::task::spawn_blocking(move || {
        ids.into_iter()
            .filter_map(|id| catalog.get(&id).ok().flatten().map(|p| (id, p)))
            .collect()
    })
    .await
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Step;
    use crate::scenario::wire::Question;

    fn step(ask: Option<&str>, says: Option<&str>, hint: Option<&str>) -> Step {
        Step {
            line: 7,
            column: 9,
            ask: ask.map(str::to_string),
            says: says.map(str::to_string),
            hint: hint.map(str::to_string),
            action: Some(Action::Back),
        }
    }

    fn question(hint: Option<&str>) -> Screen {
        Screen::Question(Question {
            id: "terrain".into(),
            kind: "single".into(),
            text: "Where do you run most?".into(),
            options: Vec::new(),
            hint: hint.map(str::to_string),
        })
    }

    #[test]
    fn steps_check_the_question_its_text_and_its_hint() {
        let terrain = question(None);
        assert_eq!(
            step_failure(&step(Some("terrain"), Some("WHERE do you"), None), &terrain),
            None
        );
        assert_eq!(
            step_failure(&step(Some("budget"), None, None), &terrain).as_deref(),
            Some(
                "expected question `budget`, but the server asked question `terrain` (\"Where do you run most?\")"
            )
        );
        assert_eq!(
            step_failure(&step(None, Some("budget"), None), &terrain).as_deref(),
            Some("expected `terrain` to say \"budget\", but it says \"Where do you run most?\"")
        );
        assert_eq!(
            step_failure(&step(None, None, Some("trail")), &terrain).as_deref(),
            Some(
                "expected a hint on `terrain` (the last answer not understood), but there is none"
            )
        );
        assert_eq!(
            step_failure(
                &step(None, None, Some("TRAIL")),
                &question(Some("road, trail or track"))
            ),
            None
        );
    }

    #[test]
    fn on_products_only_actions_are_fine() {
        let products = Screen::Products(Products {
            result: "picks".into(),
            title: "4 shoes".into(),
            ..Products::default()
        });
        assert_eq!(
            step_failure(&step(None, None, None), &products),
            None,
            "back from the picks"
        );
        assert_eq!(
            step_failure(&step(Some("colour"), None, None), &products).as_deref(),
            Some(
                "expected question `colour`, but the server showed products of `picks` (\"4 shoes\")"
            )
        );
    }
}
