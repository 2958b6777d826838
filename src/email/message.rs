//! A rendered email as a MIME message, built only through lettre's typed APIs: the subject, the names and the
//! list headers are encoded by lettre (RFC 2047, folded), so a subject or a shop name holding CR/LF cannot add a
//! header. The `List-Unsubscribe` and `List-Unsubscribe-Post` headers (RFC 2369, RFC 8058) are typed headers of
//! our own on lettre's [`Header`] trait.

use lettre::Message;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

use super::Rendered;

/// `List-Unsubscribe: <https://…>`: where a mail client's unsubscribe button posts.
#[derive(Clone, Debug, PartialEq)]
pub struct ListUnsubscribe(pub String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let url = s.trim().trim_start_matches('<').trim_end_matches('>');
        Ok(ListUnsubscribe(url.to_string()))
    }

    fn display(&self) -> HeaderValue {
        // The URL is ours (public URL + a hex token); any character outside a URL's is dropped, so nothing but
        // one bracketed URL can reach the header.
        let url: String = self
            .0
            .chars()
            .filter(|c| c.is_ascii_graphic() && *c != '<' && *c != '>')
            .collect();
        HeaderValue::new(Self::name(), format!("<{url}>"))
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Clone, Debug, PartialEq)]
pub struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_string())
    }
}

/// Who an email is from and to, and its fixed identity.
pub struct Envelope<'a> {
    pub from: &'a Mailbox,
    pub to: &'a str,
    /// `<id@host>`.
    pub message_id: &'a str,
    pub unsubscribe: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("the address `{0}` cannot be emailed: {1}")]
    Address(String, String),
    #[error("the message cannot be built: {0}")]
    Message(String),
}

/// The message for `rendered`: text and HTML as `multipart/alternative`, both UTF-8.
pub fn build(envelope: &Envelope<'_>, rendered: &Rendered) -> Result<Message, BuildError> {
    let to: Mailbox = envelope
        .to
        .parse()
        .map_err(|e: lettre::address::AddressError| {
            BuildError::Address(envelope.to.to_string(), e.to_string())
        })?;
    Message::builder()
        .from(envelope.from.clone())
        .to(to)
        .subject(rendered.subject.clone())
        .message_id(Some(envelope.message_id.to_string()))
        .header(ListUnsubscribe(envelope.unsubscribe.to_string()))
        .header(ListUnsubscribePost)
        .multipart(MultiPart::alternative_plain_html(
            rendered.text.clone(),
            rendered.html.clone(),
        ))
        .map_err(|e| BuildError::Message(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_cannot_be_injected_and_japanese_is_encoded() {
        // A sender comes from --email-from, parsed as an address: CR/LF cannot get into it.
        assert!(
            "Shop\r\nBcc: evil@example.com <shop@example.com>"
                .parse::<Mailbox>()
                .is_err()
        );
        let from: Mailbox = "ショップ <shop@example.com>".parse().expect("from");
        let rendered = Rendered {
            subject: "おすすめ\r\nBcc: evil@example.com".into(),
            html: "<p>こんにちは</p>".into(),
            text: "こんにちは".into(),
        };
        let message = build(
            &Envelope {
                from: &from,
                to: "aiko@example.jp",
                message_id: "<m-1@shop.example>",
                unsubscribe: "https://shop.example/v1/unsubscribe/abc>\r\nBcc: x",
            },
            &rendered,
        )
        .expect("builds");
        let raw = String::from_utf8(message.formatted()).expect("ascii on the wire");
        let headers = raw.split("\r\n\r\n").next().expect("headers");
        assert!(!headers.lines().any(|l| l.starts_with("Bcc:")), "{headers}");
        assert!(headers.contains("Subject: =?utf-8?b?"), "{headers}");
        assert!(
            headers.contains("Message-ID: <m-1@shop.example>"),
            "{headers}"
        );
        assert!(
            headers.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{headers}"
        );
        assert!(
            headers.contains("List-Unsubscribe: <https://shop.example/v1/unsubscribe/abcBcc:x>"),
            "{headers}"
        );
        assert!(raw.contains("multipart/alternative"), "{raw}");
        let bad = build(
            &Envelope {
                from: &from,
                to: "not an address",
                message_id: "<m@x>",
                unsubscribe: "https://x/u",
            },
            &rendered,
        );
        assert!(matches!(bad, Err(BuildError::Address(..))));
    }
}
