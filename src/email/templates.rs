//! The merchant's email templates (`emails/`): minijinja, an HTML and a plain-text part per email and locale,
//! one shared layout per part.
//!
//! Files: `layout.html`, `layout.txt`, and per email `NAME.LOCALE.html` + `NAME.LOCALE.txt` (`picks.en.html`,
//! `picks.ja.txt`). Every email has an `en` variant (the fallback); a locale it has must have both parts. The text
//! part's `{% block subject %}` is the subject. HTML parts are autoescaped (minijinja escapes templates named
//! `.html`); text parts are not.
//!
//! Loading compiles every file and renders every email once with built-in sample data, so a syntax error or an
//! undefined name stops the server at start (or refuses a reload) with the file and line. Rendering is bounded:
//! [`Bounds::EMAIL`] caps the work one render does (minijinja's fuel) and its output
//! ([`MAX_OUTPUT`] bytes).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use minijinja::{Environment, UndefinedBehavior, Value};

use crate::template_bounds::{Bounds, Overrun};

/// How much one part's render may do.
const BOUNDS: Bounds = Bounds::EMAIL;
/// Largest part a render may produce.
pub const MAX_OUTPUT: usize = BOUNDS.max_output;
/// Locales an email may be written in; `en` is every email's fallback.
pub const FALLBACK: &str = "en";

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "email templates: cannot read `{path}`: {reason}; create it or pass another --emails folder"
    )]
    Read { path: PathBuf, reason: String },
    #[error("{file}:{line}: {message}")]
    Template {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{file}: {message}")]
    Missing { file: String, message: String },
    #[error("email `{0}` has no template; the emails are: {1}")]
    Unknown(String, String),
    #[error("email `{name}`: the rendered part is over {MAX_OUTPUT} bytes; shorten the template")]
    TooLong { name: String },
    #[error("{file}: {reason}")]
    Fuel { file: String, reason: Overrun },
}

impl TemplateError {
    fn from_jinja(dir: &Path, error: &minijinja::Error) -> TemplateError {
        let file = error.name().unwrap_or("(template)");
        TemplateError::Template {
            file: dir.join(file).display().to_string(),
            line: error.line().unwrap_or(0),
            message: match error.detail() {
                Some(detail) => format!("{}: {detail}", error.kind()),
                None => error.kind().to_string(),
            },
        }
    }
}

/// One rendered email.
#[derive(Clone, Debug, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// The compiled templates of an `emails/` folder.
pub struct Templates {
    dir: PathBuf,
    env: Environment<'static>,
    /// Email name → the locales it is written in.
    emails: BTreeMap<String, Vec<String>>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("dir", &self.dir)
            .field("emails", &self.emails)
            .finish()
    }
}

impl Templates {
    /// Compiles every template in `dir` and renders each email once with `sample`; every problem is reported.
    pub fn load(dir: &Path, sample: &Value) -> Result<Templates, Vec<TemplateError>> {
        let read = std::fs::read_dir(dir).map_err(|e| {
            vec![TemplateError::Read {
                path: dir.to_path_buf(),
                reason: e.to_string(),
            }]
        })?;
        let mut env: Environment<'static> = BOUNDS.environment();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let mut syntax = minijinja::syntax::SyntaxConfig::builder();
        syntax.keep_trailing_newline(true);
        if let Ok(syntax) = syntax.build() {
            env.set_syntax(syntax);
        }
        let mut errors = Vec::new();
        let mut parts: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
        let mut names: Vec<PathBuf> = read.filter_map(|e| e.ok().map(|e| e.path())).collect();
        names.sort();
        for path in names {
            let Some(file) = path
                .file_name()
                .and_then(|f| f.to_str())
                .map(str::to_string)
            else {
                continue;
            };
            let pieces: Vec<&str> = file.split('.').collect();
            let is_part = matches!(pieces.last(), Some(&"html") | Some(&"txt"));
            if !is_part {
                continue;
            }
            match pieces.as_slice() {
                ["layout", _] => {}
                [name, locale, ext] => {
                    parts
                        .entry((*name).to_string())
                        .or_default()
                        .entry((*locale).to_string())
                        .or_default()
                        .push((*ext).to_string());
                }
                _ => {
                    errors.push(TemplateError::Missing {
                        file: path.display().to_string(),
                        message: "name it NAME.LOCALE.html or NAME.LOCALE.txt (picks.ja.html), or layout.html/layout.txt".into(),
                    });
                    continue;
                }
            }
            let source = match std::fs::read_to_string(&path) {
                Ok(source) => source,
                Err(e) => {
                    errors.push(TemplateError::Read {
                        path: path.clone(),
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            if let Err(e) = env.add_template_owned(file, source) {
                errors.push(TemplateError::from_jinja(dir, &e));
            }
        }
        for layout in ["layout.html", "layout.txt"] {
            if env.get_template(layout).is_err()
                && !errors.iter().any(|e| e.to_string().contains(layout))
            {
                errors.push(TemplateError::Missing {
                    file: dir.join(layout).display().to_string(),
                    message: "the shared layout is missing; every email extends it".into(),
                });
            }
        }
        let mut emails = BTreeMap::new();
        for (name, locales) in parts {
            if !locales.contains_key(FALLBACK) {
                errors.push(TemplateError::Missing {
                    file: dir
                        .join(format!("{name}.{FALLBACK}.html"))
                        .display()
                        .to_string(),
                    message: format!(
                        "email `{name}` needs an `{FALLBACK}` variant, the fallback of every locale"
                    ),
                });
            }
            for (locale, exts) in &locales {
                for ext in ["html", "txt"] {
                    if !exts.iter().any(|e| e == ext) {
                        errors.push(TemplateError::Missing {
                            file: dir
                                .join(format!("{name}.{locale}.{ext}"))
                                .display()
                                .to_string(),
                            message: format!(
                                "email `{name}` in `{locale}` needs both an HTML and a text part"
                            ),
                        });
                    }
                }
            }
            emails.insert(name, locales.into_keys().collect());
        }
        let templates = Templates {
            dir: dir.to_path_buf(),
            env,
            emails,
        };
        if errors.is_empty() {
            for (name, locales) in &templates.emails {
                for locale in locales {
                    if let Err(e) = templates.render(name, locale, sample) {
                        errors.push(e);
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(templates)
        } else {
            Err(errors)
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The emails and their locales.
    pub fn emails(&self) -> &BTreeMap<String, Vec<String>> {
        &self.emails
    }

    /// The locale an email is rendered in for a shopper's `locale`: itself, its language (`ja-JP` → `ja`), or `en`.
    pub fn locale_for(&self, name: &str, locale: &str) -> String {
        let have = self.emails.get(name).cloned().unwrap_or_default();
        let language = locale
            .split(['-', '_'])
            .next()
            .unwrap_or(locale)
            .to_ascii_lowercase();
        [locale.to_string(), language]
            .into_iter()
            .find(|l| have.contains(l))
            .unwrap_or_else(|| FALLBACK.to_string())
    }

    /// Renders email `name` for a shopper's `locale` with `context`.
    pub fn render(
        &self,
        name: &str,
        locale: &str,
        context: &Value,
    ) -> Result<Rendered, TemplateError> {
        if !self.emails.contains_key(name) {
            let known: Vec<&str> = self.emails.keys().map(String::as_str).collect();
            return Err(TemplateError::Unknown(name.to_string(), known.join(", ")));
        }
        let locale = self.locale_for(name, locale);
        let file = |ext: &str| format!("{name}.{locale}.{ext}");
        let template = |file: &str| {
            self.env
                .get_template(file)
                .map_err(|e| TemplateError::from_jinja(&self.dir, &e))
        };
        let bounded = |ext: &str, overrun: Overrun| match overrun {
            Overrun::Output { .. } => TemplateError::TooLong {
                name: name.to_string(),
            },
            Overrun::Fuel { .. } => TemplateError::Fuel {
                file: self.dir.join(file(ext)).display().to_string(),
                reason: overrun,
            },
            Overrun::Template(e) => TemplateError::from_jinja(&self.dir, &e),
        };
        let html = BOUNDS
            .render(&template(&file("html"))?, context.clone())
            .map_err(|o| bounded("html", o))?;
        let (text, subject) = BOUNDS
            .render_then(&template(&file("txt"))?, context.clone(), |state| {
                state.render_block("subject")
            })
            .map_err(|o| bounded("txt", o))?;
        // A subject is one line: whatever the template wrote, newlines become spaces.
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        if subject.is_empty() {
            return Err(TemplateError::Missing {
                file: self.dir.join(file("txt")).display().to_string(),
                message: "the text part needs a non-empty {% block subject %}".into(),
            });
        }
        Ok(Rendered {
            subject,
            html,
            text,
        })
    }
}
