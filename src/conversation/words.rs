//! The engine's own words (hints and refusals), in English and Japanese.

use super::Session;
use crate::flow::{Flow, Kind, Question};

pub(super) fn hint(flow: &Flow, session: &Session, q: &Question) -> String {
    let ui = ui(&session.locale);
    if let Some(help) = &q.help {
        return help.get(&session.locale, flow.default_locale()).to_string();
    }
    match q.kind {
        Kind::Range => ui.range_hint.to_string(),
        _ => {
            let labels: Vec<&str> = q
                .options
                .iter()
                .map(|c| c.label(&session.locale, flow.default_locale()))
                .collect();
            format!("{}{}", ui.choose_hint, labels.join(ui.list_separator))
        }
    }
}

/// The engine's own words, in English and Japanese.
pub(crate) struct Ui {
    pub nothing_to_answer: &'static str,
    pub cannot_skip: &'static str,
    pub nothing_to_go_back_to: &'static str,
    pub cannot_results_now: &'static str,
    pub range_hint: &'static str,
    pub choose_hint: &'static str,
    pub list_separator: &'static str,
}

pub(crate) fn ui(locale: &str) -> &'static Ui {
    static EN: Ui = Ui {
        nothing_to_answer: "There is no question to answer right now: go back or start again.",
        cannot_skip: "This question can't be skipped.",
        nothing_to_go_back_to: "There is nothing to go back to.",
        cannot_results_now: "Please answer a few more questions first.",
        range_hint: "Sorry, I didn't catch that. Type an amount such as 120, under 150 or 80-150.",
        choose_hint: "Sorry, I didn't catch that. Please choose one of: ",
        list_separator: ", ",
    };
    static JA: Ui = Ui {
        nothing_to_answer: "いまお答えいただく質問はありません。戻るか、最初からやり直してください。",
        cannot_skip: "この質問はスキップできません。",
        nothing_to_go_back_to: "これより前には戻れません。",
        cannot_results_now: "もう少し質問にお答えください。",
        range_hint: "すみません、よく分かりませんでした。「5000」「1万円以下」「3万〜5万」のように入力してください。",
        choose_hint: "すみません、よく分かりませんでした。次から選んでください：",
        list_separator: "、",
    };
    if locale.starts_with("ja") { &JA } else { &EN }
}
