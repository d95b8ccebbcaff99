//! Where the children of `<response><result><devices>` lie in an answer's text, found by a
//! scan of its markup without building a tree, so that a list of thousands of devices can be
//! parsed one part at a time.
//!
//! The scan only finds boundaries; it checks nothing. Whoever uses the outline must parse the
//! parts, and the answer without them, as XML. The scan gives up (`None`) on whatever it does
//! not plainly understand: a DTD, a prefixed name where it compares names, markup left open.
//!
//! What this module must not do: decide anything about the answer's content.

use std::ops::Range;

/// The `<devices>` element of an answer: its start tag, where its content ends (the start of
/// its end tag), and where each of its child elements ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DeviceList {
    /// The start tag, `<devices …>`.
    pub(super) start_tag: Range<usize>,
    /// Where the content ends: the `<` of `</devices>`.
    pub(super) content_end: usize,
    /// Just after the `>` that ends each child element, in order.
    child_ends: Vec<usize>,
}

impl DeviceList {
    /// The content of the element: from the end of the start tag to the end tag.
    pub(super) fn content(&self) -> Range<usize> {
        self.start_tag.end..self.content_end
    }

    /// The content cut into consecutive parts, each the text before a child element and that
    /// element, then the text after the last one (when there is any).
    pub(super) fn parts(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        let starts = std::iter::once(self.start_tag.end).chain(self.child_ends.iter().copied());
        let ends = self
            .child_ends
            .iter()
            .copied()
            .chain(std::iter::once(self.content_end));
        starts
            .zip(ends)
            .map(|(start, end)| start..end)
            .filter(|part| !part.is_empty())
    }
}

/// What the scan is looking for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The first `<result>` child of the root element.
    Result,
    /// The first `<devices>` child of that `<result>`.
    Devices,
    /// The ends of the children of `<devices>`, and its end tag.
    Children,
}

/// One piece of markup, from its `<` to just after its `>`.
enum Markup<'t> {
    /// A start tag, or an empty-element tag (`empty`).
    Start { name: &'t str, empty: bool },
    /// An end tag.
    End,
    /// A comment, a processing instruction or a CDATA section.
    Other,
}

/// The outline of the first `<result><devices>` below the root element of `text` (the
/// document as parsed, see [`super::envelope::document_text`]), or `None` when there is none
/// or the scan gives up.
pub(super) fn device_list(text: &str) -> Option<DeviceList> {
    let mut at = 0;
    let mut depth = 0usize;
    let mut stage = Stage::Result;
    let mut start_tag = 0..0;
    let mut child_ends = Vec::new();
    loop {
        let start = at + text.get(at..)?.find('<')?;
        let (markup, end) = markup(text, start)?;
        at = end;
        match markup {
            Markup::Other => {}
            Markup::Start { name, empty } => {
                // An element opened at `depth` is a child of the element at `depth`.
                let compared = matches!((stage, depth), (Stage::Result, 1) | (Stage::Devices, 2));
                if compared && name.contains(':') {
                    return None;
                }
                match (stage, depth, name) {
                    (Stage::Result, 1, "result") | (Stage::Devices, 2, "devices") if empty => {
                        return None;
                    }
                    (Stage::Result, 1, "result") => stage = Stage::Devices,
                    (Stage::Devices, 2, "devices") => {
                        stage = Stage::Children;
                        start_tag = start..end;
                    }
                    (Stage::Children, 3, _) if empty => child_ends.push(end),
                    _ => {}
                }
                if !empty {
                    depth += 1;
                }
            }
            Markup::End => {
                depth = depth.checked_sub(1)?;
                match (stage, depth) {
                    // The first <result> ended without a <devices>.
                    (Stage::Devices, 1) => return None,
                    (Stage::Children, 3) => child_ends.push(end),
                    (Stage::Children, 2) => {
                        return Some(DeviceList {
                            start_tag,
                            content_end: start,
                            child_ends,
                        });
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The markup starting at `text[start]` (a `<`) and the index just after it.
fn markup(text: &str, start: usize) -> Option<(Markup<'_>, usize)> {
    let rest = &text[start..];
    let closed_by = |open: usize, close: &str| {
        rest.get(open..)?
            .find(close)
            .map(|i| start + open + i + close.len())
    };
    if rest.starts_with("<!--") {
        return Some((Markup::Other, closed_by(4, "-->")?));
    }
    if rest.starts_with("<![CDATA[") {
        return Some((Markup::Other, closed_by(9, "]]>")?));
    }
    if rest.starts_with("<?") {
        return Some((Markup::Other, closed_by(2, "?>")?));
    }
    if rest.starts_with("<!") {
        return None; // a DTD, or not XML
    }
    if rest.starts_with("</") {
        return Some((Markup::End, closed_by(2, ">")?));
    }
    let name_len = rest[1..]
        .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
        .unwrap_or(rest.len() - 1);
    if name_len == 0 {
        return None;
    }
    let name = &rest[1..=name_len];
    // The `>` that ends the tag is the first one outside quoted attribute values.
    let mut quote = None;
    for (i, b) in rest.bytes().enumerate().skip(1 + name_len) {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if q == b => quote = None,
            (None, b'>') => {
                let empty = rest.as_bytes()[i - 1] == b'/';
                return Some((Markup::Start { name, empty }, start + i + 1));
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> Vec<&str> {
        let list = device_list(text).expect("an outline");
        list.parts().map(|part| &text[part]).collect()
    }

    #[test]
    fn finds_each_child_of_the_first_result_devices() {
        let text = "<?xml version='1.0'?><!-- c --><response status='success'>\
                    <x><result><devices><entry name='no'/></devices></result></x>\
                    <result a='>' b=\"/>\"><job/><devices k='v'>\n <entry name='1'><a>x</a>\
                    <entry name='n'/></entry><!-- c --><entry name='2'/><![CDATA[<entry>]]>\
                    <?pi <entry>?>Total</devices></result><result><devices/></result></response>";
        let list = device_list(text).unwrap();
        assert_eq!(&text[list.start_tag.clone()], "<devices k='v'>");
        assert_eq!(
            parts(text),
            [
                "\n <entry name='1'><a>x</a><entry name='n'/></entry>",
                "<!-- c --><entry name='2'/>",
                "<![CDATA[<entry>]]><?pi <entry>?>Total",
            ]
        );
        assert!(text[list.content_end..].starts_with("</devices></result><result>"));
    }

    #[test]
    fn an_empty_list_is_one_part_or_none() {
        let text = "<response><result><devices>\n</devices></result></response>";
        assert_eq!(parts(text), ["\n"]);
        let text = "<response><result><devices></devices></result></response>";
        assert!(parts(text).is_empty());
    }

    #[test]
    fn gives_up_on_what_it_does_not_plainly_understand() {
        for text in [
            "",
            "not xml",
            "<response status='success'/>",
            "<response><result/><result><devices></devices></result></response>",
            "<response><result><job/></result><result><devices></devices></result></response>",
            "<response><result><devices/></result></response>",
            "<response><p:result xmlns:p='u'><devices></devices></p:result></response>",
            "<response><result><p:devices xmlns:p='u'></p:devices></result></response>",
            "<!DOCTYPE response><response><result><devices></devices></result></response>",
            "<response><result><devices><entry>",
            "<response><result><devices><entry a='>",
            "<response><result><devices><!-- open",
            "<response><result><devices></devices",
            "</a></b></c>",
            "<response><result>< devices></devices></result></response>",
        ] {
            assert_eq!(device_list(text), None, "{text}");
        }
    }
}
