//! Where emails go: a [`Transport`] is lettre's SMTP client on pooled connections ([`Smtp`], in `smtp.rs`:
//! STARTTLS, implicit TLS, or plain on loopback; optional login) or its in-memory twin ([`Memory`], for unit tests: it keeps what was sent and
//! answers with the failures a test scripts).
//!
//! A failure is [`SendError::Temporary`] (4xx, connection refused, a timeout: try again later) or
//! [`SendError::Permanent`] (5xx: the address is refused for good).

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use lettre::Message;

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SendError {
    #[error("temporary failure: {0}")]
    Temporary(String),
    #[error("permanent failure: {0}")]
    Permanent(String),
}

pub type Sending<'a> = Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>>;

/// Sends one message.
pub trait Transport: Send + Sync {
    fn send<'a>(&'a self, message: &'a Message) -> Sending<'a>;
}

/// The SMTP server's address and how to talk to it, from `--smtp` (and `--smtp-user`, `--smtp-password`).
#[derive(Clone, PartialEq)]
pub struct SmtpUrl {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: Option<String>,
    pub password: Option<String>,
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SmtpUrl({:?} {}:{}, user {:?})",
            self.security, self.host, self.port, self.user
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// `smtp://`: STARTTLS, required — except on a loopback address, where the connection stays plain (a local
    /// relay or test sink).
    StartTls,
    /// `smtps://`: TLS from the first byte (port 465).
    Implicit,
    /// Plain text; only ever chosen for loopback.
    Plain,
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl SmtpUrl {
    /// `smtp://HOST[:PORT]` (STARTTLS; plain on loopback) or `smtps://HOST[:PORT]` (implicit TLS), with an
    /// optional `USER:PASSWORD@` (percent-encoded) before the host.
    pub fn parse(text: &str) -> Result<SmtpUrl, String> {
        let fix = "write it as smtp://HOST:PORT (STARTTLS) or smtps://HOST:PORT (implicit TLS)";
        let (scheme, rest) = text
            .trim()
            .split_once("://")
            .ok_or_else(|| format!("--smtp `{text}` is no URL; {fix}"))?;
        let (security, default_port) = match scheme {
            "smtp" => (Security::StartTls, 587),
            "smtps" => (Security::Implicit, 465),
            other => {
                return Err(format!(
                    "--smtp scheme `{other}` is not smtp or smtps; {fix}"
                ));
            }
        };
        let rest = rest.trim_end_matches('/');
        let (credentials, address) = match rest.rsplit_once('@') {
            Some((credentials, address)) => (Some(credentials), address),
            None => (None, rest),
        };
        let (host, port) = match address.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => (
                host,
                port.parse::<u16>()
                    .map_err(|_| format!("--smtp port `{port}` is not a number; {fix}"))?,
            ),
            _ => (address, default_port),
        };
        if host.is_empty() {
            return Err(format!("--smtp `{text}` names no host; {fix}"));
        }
        let decode = |s: &str| -> String {
            let bytes = s.as_bytes();
            let mut out = Vec::with_capacity(bytes.len());
            let mut i = 0;
            while i < bytes.len() {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
                    (b'%', Some(b)) => {
                        out.push(b);
                        i += 3;
                    }
                    (b, _) => {
                        out.push(b);
                        i += 1;
                    }
                }
            }
            String::from_utf8_lossy(&out).into_owned()
        };
        let (user, password) = match credentials {
            Some(c) => match c.split_once(':') {
                Some((u, p)) => (Some(decode(u)), Some(decode(p))),
                None => (Some(decode(c)), None),
            },
            None => (None, None),
        };
        let security = if security == Security::StartTls && is_loopback(host) {
            Security::Plain
        } else {
            security
        };
        Ok(SmtpUrl {
            host: host.trim_matches(['[', ']']).to_string(),
            port,
            security,
            user,
            password,
        })
    }
}

pub use super::smtp::Smtp;

/// The in-memory twin: keeps every message sent; scripted failures are answered first, one per send.
#[derive(Default)]
pub struct Memory {
    pub sent: Mutex<Vec<Message>>,
    pub failures: Mutex<std::collections::VecDeque<SendError>>,
}

impl Memory {
    /// The raw messages sent so far, as text.
    pub fn sent_text(&self) -> Vec<String> {
        self.sent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|m| String::from_utf8_lossy(&m.formatted()).into_owned())
            .collect()
    }

    pub fn fail_next(&self, error: SendError) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(error);
    }
}

impl Transport for Memory {
    fn send<'a>(&'a self, message: &'a Message) -> Sending<'a> {
        Box::pin(async move {
            if let Some(error) = self
                .failures
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop_front()
            {
                return Err(error);
            }
            self.sent
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(message.clone());
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_the_security_and_keep_the_login() {
        let u = SmtpUrl::parse("smtp://127.0.0.1:2525").expect("valid");
        assert_eq!(
            (u.host.as_str(), u.port, u.security),
            ("127.0.0.1", 2525, Security::Plain)
        );
        let u = SmtpUrl::parse("smtp://mail.example.com").expect("valid");
        assert_eq!((u.port, u.security), (587, Security::StartTls));
        let u = SmtpUrl::parse("smtps://me%40shop:p%3Ass@mail.example.com:465").expect("valid");
        assert_eq!(u.security, Security::Implicit);
        assert_eq!(
            (u.user.as_deref(), u.password.as_deref()),
            (Some("me@shop"), Some("p:ss"))
        );
        assert!(
            !format!("{u:?}").contains("p:ss"),
            "the password stays out of logs"
        );
        for bad in [
            "mail.example.com",
            "http://x",
            "smtp://:25",
            "smtp://x:port",
        ] {
            let error = SmtpUrl::parse(bad).expect_err(bad);
            assert!(error.contains("smtp://HOST:PORT"), "{error}");
        }
    }
}
