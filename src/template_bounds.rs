//! The bounds of every template a merchant writes — a finder's result titles and intros, the follow-up emails — so
//! that no template, however written, can hang a worker or fill the server's memory.
//!
//! Two caps per render: minijinja's *fuel* (one unit per instruction, plus the bytes a render makes and the items
//! it visits; an allocation is checked before it is made, so `"x" * 10**9` stops before it allocates) and the
//! *output*, written through a writer that refuses to grow past the cap. A render that exceeds either fails with an
//! [`Overrun`] naming the cap, which the caller turns into a located error at load (`shopkeep check`) or a fallback
//! at serve time.

use minijinja::{Environment, Error, ErrorKind, State, Template, Value};

/// How much one render of a kind of template may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// minijinja fuel: about one per instruction, one per 64 bytes made.
    pub fuel: u64,
    /// Largest output, in bytes.
    pub max_output: usize,
}

impl Bounds {
    /// A finder's result title or intro: a line or a paragraph. Ten thousand loop iterations fit; a 64 KB
    /// output would already be unreadable in a chat.
    pub const RESULT_TEXT: Bounds = Bounds {
        fuel: 100_000,
        max_output: 64 * 1024,
    };
    /// One part (HTML or text) of an email: a loop over a thousand picks takes far fewer instructions.
    pub const EMAIL: Bounds = Bounds {
        fuel: 500_000,
        max_output: 512 * 1024,
    };

    /// An environment whose every render runs on this fuel.
    pub fn environment(self) -> Environment<'static> {
        let mut env = Environment::new();
        env.set_fuel(Some(self.fuel));
        env
    }

    /// Renders `template` with `ctx` within the output cap (the fuel is the environment's).
    pub fn render(self, template: &Template<'_, '_>, ctx: Value) -> Result<String, Overrun> {
        self.render_then(template, ctx, |_| Ok(()))
            .map(|(out, ())| out)
    }

    /// Renders `template` within the output cap, then runs `after` on the render's state (to render a block of
    /// the same template, for example an email's subject, on what is left of the same fuel).
    pub fn render_then<T>(
        self,
        template: &Template<'_, '_>,
        ctx: Value,
        after: impl for<'state> FnOnce(&mut State<'state, 'state>) -> Result<T, Error>,
    ) -> Result<(String, T), Overrun> {
        let mut out = Capped {
            bytes: Vec::new(),
            max: self.max_output,
        };
        let mut captured = template
            .render_captured_to(ctx, &mut out)
            .map_err(|e| self.overrun(e))?;
        let then = captured
            .with_state_mut(after)
            .map_err(|e| self.overrun(e))?;
        Ok((String::from_utf8_lossy(&out.bytes).into_owned(), then))
    }

    fn overrun(self, error: Error) -> Overrun {
        match error.kind() {
            ErrorKind::OutOfFuel => Overrun::Fuel { fuel: self.fuel },
            ErrorKind::WriteFailure => Overrun::Output {
                max: self.max_output,
            },
            _ => Overrun::Template(error),
        }
    }
}

/// Why a bounded render failed.
#[derive(Debug, thiserror::Error)]
pub enum Overrun {
    #[error(
        "it runs out of its budget of {fuel} steps (a loop too long, or a string or list too big); shorten the loop or drop it"
    )]
    Fuel { fuel: u64 },
    #[error("its output is over {max} bytes; shorten the template")]
    Output { max: usize },
    /// Any other template error (an undefined name, a filter given the wrong type).
    #[error("{}", describe(.0))]
    Template(Error),
}

/// A template error's kind and detail, without the template's name (a result template is named by its source).
fn describe(error: &Error) -> String {
    match error.detail() {
        Some(detail) => format!("{}: {detail}", error.kind()),
        None => error.kind().to_string(),
    }
}

impl Overrun {
    /// The bound exceeded, if it was one: what a log line may say about it (never the data rendered).
    pub fn bound(&self) -> Option<&'static str> {
        match self {
            Overrun::Fuel { .. } => Some("fuel"),
            Overrun::Output { .. } => Some("output"),
            Overrun::Template(_) => None,
        }
    }
}

/// A writer that refuses to grow past `max` bytes.
struct Capped {
    bytes: Vec<u8>,
    max: usize,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > self.max {
            return Err(std::io::Error::other("output limit"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn render(bounds: Bounds, source: &str) -> Result<String, Overrun> {
        let env = bounds.environment();
        let template = env.template_from_str(source).expect("compiles");
        bounds.render(&template, minijinja::context! { name => "Aiko" })
    }

    #[test]
    fn an_ordinary_template_renders() {
        let out = render(
            Bounds::RESULT_TEXT,
            "{{ name }} さん、{% for i in range(3) %}{{ i }}{% endfor %}",
        );
        assert_eq!(out.expect("renders"), "Aiko さん、012");
    }

    #[test]
    fn hostile_templates_stop_on_a_bound_quickly() {
        let hostile = [
            // Nested loops: 10^10 iterations without fuel.
            (
                "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                Some("fuel"),
            ),
            // A string of a gigabyte, refused before it is allocated.
            ("{{ 'x' * 1000000000 }}", Some("fuel")),
            (
                "{% set s = 'ab' * 40000000 %}{{ s | length }}",
                Some("fuel"),
            ),
            // A list repeated into a huge one, then walked.
            ("{{ ([1] * 100000000) | join(',') }}", Some("fuel")),
            // Recursion through a macro meets minijinja's own depth limit first.
            (
                "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
                None,
            ),
            // Wide recursion: each level calls itself twice.
            (
                "{% macro f(n) %}{% if n < 30 %}{{ f(n + 1) }}{{ f(n + 1) }}{% endif %}{% endmacro %}{{ f(0) }}",
                Some("fuel"),
            ),
        ];
        for (source, bound) in hostile {
            let started = Instant::now();
            let err = render(Bounds::RESULT_TEXT, source).expect_err(source);
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "{source} took {:?}",
                started.elapsed()
            );
            assert_eq!(err.bound(), bound, "{source}: {err}");
            if bound == Some("fuel") {
                assert!(err.to_string().contains("100000 steps"), "{err}");
            }
        }
    }

    #[test]
    fn output_over_the_cap_is_refused_not_truncated() {
        let small = Bounds {
            fuel: 1_000_000,
            max_output: 100,
        };
        assert_eq!(
            render(small, "{{ 'x' * 100 }}").expect("renders").len(),
            100
        );
        let err = render(small, "{{ 'x' * 101 }}").expect_err("refused");
        assert_eq!(err.bound(), Some("output"));
        assert!(err.to_string().contains("over 100 bytes"), "{err}");
        // Many small writes add up the same way.
        let err = render(small, "{% for i in range(200) %}x{% endfor %}").expect_err("refused");
        assert_eq!(err.bound(), Some("output"));
    }

    #[test]
    fn other_errors_are_not_overruns() {
        let err = render(Bounds::RESULT_TEXT, "{{ 1 / 0 }}").expect_err("refused");
        assert_eq!(err.bound(), None);
    }

    #[test]
    fn a_block_after_the_render_shares_its_fuel() {
        let env = Bounds::EMAIL.environment();
        let template = env
            .template_from_str("body{% block subject %}Hi {{ name }}{% endblock %}")
            .expect("renders");
        let (out, subject) = Bounds::EMAIL
            .render_then(&template, minijinja::context! { name => "Ken" }, |state| {
                state.render_block("subject")
            })
            .expect("renders");
        assert_eq!(out, "bodyHi Ken");
        assert_eq!(subject, "Hi Ken");
    }
}
