//! The Google Merchant Center XML feed: RSS 2.0 (`<rss><channel><item>`) or Atom (`<feed><entry>`), with product
//! fields in the `g:` namespace `http://base.google.com/ns/1.0`.
//!
//! Read with quick-xml's streaming namespace-aware reader, one `<item>` at a time: only the current item's fields
//! are ever held. The leaf elements directly inside an item become `(field, text)` pairs for [`super::google`];
//! nested groups such as `<g:shipping>` are skipped, and elements of other namespaces are ignored. A feed that
//! uses `g:` without declaring it is still read (a common slip). An item is reported at the line of its opening
//! tag. Broken XML cannot be resynchronised, so it ends the file with one reported row; the items before it stay.

use std::io::{self, BufRead, Read};

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

use super::{ImportOptions, Problem, Rows, google};

const GOOGLE: &str = "http://base.google.com/ns/1.0";
const ATOM: &str = "http://www.w3.org/2005/Atom";

/// A reader that counts the newlines consumed so far, so items can be reported by line.
struct Lines<R> {
    inner: R,
    newlines: usize,
}

impl<R: BufRead> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.newlines += buf[..n].iter().filter(|&&b| b == b'\n').count();
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Lines<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        // The bytes being consumed are the front of the buffer the last fill_buf returned, still buffered.
        if let Ok(buffer) = self.inner.fill_buf() {
            let amount = amount.min(buffer.len());
            self.newlines += buffer[..amount].iter().filter(|&&b| b == b'\n').count();
        }
        self.inner.consume(amount);
    }
}

/// The field being read inside an item.
struct Field {
    name: String,
    text: String,
    /// Whether it has child elements (a group such as `g:shipping`), whose text is not a value.
    nested: bool,
    wanted: bool,
}

pub(crate) fn read(
    reader: impl BufRead,
    options: &ImportOptions,
    rows: &mut Rows<'_>,
) -> Result<(), Problem> {
    let mut xml = NsReader::from_reader(Lines {
        inner: reader,
        newlines: 0,
    });
    let mut buf = Vec::new();
    let mut root_seen = false;
    // Inside an item: its line, its depth below the item element, its finished fields and the open one.
    let mut item: Option<usize> = None;
    let mut depth = 0usize;
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut field: Option<Field> = None;
    loop {
        buf.clear();
        let line = xml.get_ref().newlines + 1;
        let (namespace, event) = match xml.read_resolved_event_into(&mut buf) {
            Ok(resolved) => resolved,
            Err(quick_xml::Error::Io(error)) => {
                return Err(Problem::Io(io::Error::new(error.kind(), error.to_string())));
            }
            Err(error) => {
                if !root_seen {
                    return Err(Problem::Malformed(format!("is not XML: {error}")));
                }
                rows.take(
                    item.unwrap_or(line),
                    Err(format!(
                        "the XML is broken here ({error}); the rest of the file was not read"
                    )),
                );
                return Ok(());
            }
        };
        let wanted = match &namespace {
            ResolveResult::Unbound => true,
            ResolveResult::Bound(ns) => ns.0 == GOOGLE || ns.0 == ATOM,
            ResolveResult::Unknown(prefix) => prefix == "g",
        };
        match event {
            Event::Start(element) => {
                let name = element.local_name().as_ref().to_string();
                if !root_seen {
                    root_seen = true;
                    if name != "rss" && name != "feed" {
                        return Err(Problem::Malformed(format!(
                            "is not a Google Merchant RSS 2.0 or Atom feed: its root element is `{name}`"
                        )));
                    }
                } else if item.is_none() {
                    if name == "item" || name == "entry" {
                        item = Some(line);
                        depth = 0;
                        pairs.clear();
                    }
                } else {
                    depth += 1;
                    if depth == 1 {
                        field = Some(Field {
                            name: super::value::attribute_name(&name),
                            text: String::new(),
                            nested: false,
                            wanted,
                        });
                    } else if let Some(open) = field.as_mut() {
                        open.nested = true;
                    }
                }
            }
            Event::Empty(element) if item.is_some() && depth == 0 && wanted => {
                // Atom writes the product link as `<link href="…"/>`.
                if element.local_name().as_ref() == "link"
                    && let Ok(Some(href)) = element.try_get_attribute("href")
                    && let Ok(href) = href.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                {
                    pairs.push(("link".into(), href.into_owned()));
                }
            }
            Event::Text(text) => {
                if let (Some(open), 1) = (field.as_mut(), depth) {
                    open.text.push_str(&text.xml10_content());
                }
            }
            Event::CData(text) => {
                if let (Some(open), 1) = (field.as_mut(), depth) {
                    open.text.push_str(&text.xml10_content());
                }
            }
            Event::GeneralRef(reference) => {
                if let (Some(open), 1) = (field.as_mut(), depth) {
                    match reference.resolve_char_ref() {
                        Ok(Some(c)) => open.text.push(c),
                        _ => match quick_xml::escape::resolve_predefined_entity(&reference) {
                            Some(text) => open.text.push_str(text),
                            // An HTML entity such as `&nbsp;`: kept for the HTML-to-text step.
                            None => {
                                open.text.push('&');
                                open.text.push_str(&reference);
                                open.text.push(';');
                            }
                        },
                    }
                }
            }
            Event::End(_) => match (item, depth) {
                (Some(item_line), 0) => {
                    let fields = pairs.iter().map(|(n, t)| (n.as_str(), t.as_str()));
                    rows.take(item_line, google::product(fields, options));
                    item = None;
                }
                (Some(_), _) => {
                    if depth == 1
                        && let Some(done) = field.take()
                        && done.wanted
                        && !done.nested
                    {
                        pairs.push((done.name, done.text));
                    }
                    depth -= 1;
                }
                (None, _) => {}
            },
            Event::Eof => {
                if !root_seen {
                    return Err(Problem::Malformed("is empty: no XML element".into()));
                }
                if let Some(item_line) = item {
                    rows.take(
                        item_line,
                        Err("the item is not closed before the end of the file".into()),
                    );
                }
                return Ok(());
            }
            _ => {}
        }
    }
}
