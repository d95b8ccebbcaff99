//! Parsers for the XML answers of Panorama and of the firewalls behind it.
//!
//! Every public function takes the whole response text, checks the `<response>` envelope
//! ([`check_envelope`]) and extracts a typed [`crate::model`] value. A parser never panics, on
//! any input: unreadable answers become [`ClientError::Decode`], and errors the device reports
//! become [`ClientError::Api`], [`ClientError::Auth`] or [`ClientError::NotConnected`].
//!
//! [`ClientError::Decode`]: crate::ClientError::Decode
//! [`ClientError::Api`]: crate::ClientError::Api
//! [`ClientError::Auth`]: crate::ClientError::Auth
//! [`ClientError::NotConnected`]: crate::ClientError::NotConnected
//!
//! What this module must not do: any I/O, or keep anything of the text it reads (keygen
//! answers carry the API key; their excerpts are never kept).

mod device;
mod disk;
mod envelope;
mod jobs;
mod managed;
mod network;
mod outline;
mod route_json;
mod scan;
mod software;

pub use device::{
    parse_chassis_ready, parse_ha_state, parse_ha_state_change, parse_keygen, parse_restart,
    parse_system_info,
};
pub use disk::{parse_df_text, parse_disk_space};
pub use envelope::{Envelope, check_envelope};
pub use jobs::{parse_job_enqueued, parse_job_status, parse_jobs_all};
pub use managed::parse_managed_devices;
pub use network::{parse_arp, parse_routes, parse_session_info};
pub use software::parse_software_catalog;

// Used by the transport, with the HTTP status and the operation's own name.
pub(crate) use device::{chassis_ready, ha_state, ha_state_change, keygen, restart, system_info};
pub(crate) use disk::disk_space;
pub(crate) use envelope::Ctx;
pub(crate) use jobs::{job_enqueued, job_status, jobs_all};
pub(crate) use managed::managed_devices;
pub(crate) use network::{arp, routes, session_info};
pub(crate) use software::software_catalog;

use std::borrow::Cow;
use std::str::FromStr;

use roxmltree::Node;

/// The longest excerpt of an answer kept in an error.
pub(crate) const EXCERPT_CHARS: usize = 120;

/// The first [`EXCERPT_CHARS`] characters of `body`, for diagnosis.
pub(crate) fn excerpt(body: &str) -> String {
    body.trim().chars().take(EXCERPT_CHARS).collect()
}

/// The first child element of `node` named `name` (whatever its namespace: a name without
/// one matches the local name only, and looks up no namespace).
fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|n| n.has_tag_name(name))
}

/// Every child element of `node` named `name` (whatever its namespace), in document order.
fn children<'a, 'i>(node: Node<'a, 'i>, name: &'static str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(move |n| n.has_tag_name(name))
}

/// The element at `path` below `node` (each step the first child of that name).
fn path<'a, 'i>(node: Node<'a, 'i>, steps: &[&str]) -> Option<Node<'a, 'i>> {
    steps.iter().try_fold(node, |node, step| child(node, step))
}

/// All text below `node` (text and CDATA of every descendant), as written.
fn all_text(node: Node<'_, '_>) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

/// The text directly inside `node` (not inside its child elements), as written.
fn own_text(node: Node<'_, '_>) -> String {
    node.children()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

/// All text below `node`, trimmed: [`all_text`] without copying it in the common case.
///
/// Most fields are one text node (the parser joins text, CDATA and entities that follow one
/// another), so the trimmed text is borrowed from the document; only an element whose text is
/// cut up by comments or child elements has its pieces joined into a new string.
fn trimmed_text<'a>(node: Node<'a, '_>) -> Cow<'a, str> {
    let mut children = node.children();
    match (children.next(), children.next()) {
        (None, _) => Cow::Borrowed(""),
        (Some(only), None) if only.is_text() => Cow::Borrowed(only.text().unwrap_or("").trim()),
        _ => Cow::Owned(all_text(node).trim().to_owned()),
    }
}

/// The trimmed text of the child `name`, borrowed where it can be, or `None` when absent or
/// blank. For fields that are parsed or compared, not kept.
fn text_ref<'a>(node: Node<'a, '_>, name: &str) -> Option<Cow<'a, str>> {
    child(node, name)
        .map(trimmed_text)
        .filter(|text| !text.is_empty())
}

/// The trimmed text of the child `name`, or `None` when absent or blank.
fn text_of(node: Node<'_, '_>, name: &str) -> Option<String> {
    text_ref(node, name).map(Cow::into_owned)
}

/// The child `name` as a number of type `T` (`u64`, `u32`, [`crate::JobId`]), or `None` when
/// absent, blank or not such a number.
fn number_of<T: FromStr>(node: Node<'_, '_>, name: &str) -> Option<T> {
    text_ref(node, name).and_then(|text| text.parse().ok())
}

/// The fields of one table row (a route, an ARP entry, a catalog entry): for each of its
/// names, the first child element of that name, as [`child`] finds it, but found in one walk
/// over the row's children instead of one walk per field.
struct Row<'a, 'i, const N: usize> {
    names: [&'static str; N],
    fields: [Option<Node<'a, 'i>>; N],
}

impl<'a, 'i, const N: usize> Row<'a, 'i, N> {
    /// The fields `names` of `row`.
    fn new(row: Node<'a, 'i>, names: [&'static str; N]) -> Self {
        let mut fields = [None; N];
        for element in row.children().filter(Node::is_element) {
            let name = element.tag_name().name();
            if let Some(at) = names.iter().position(|&wanted| wanted == name) {
                fields[at].get_or_insert(element);
            }
        }
        Self { names, fields }
    }

    /// The field `name`, which must be one of the row's names.
    fn field(&self, name: &str) -> Option<Node<'a, 'i>> {
        let at = self.names.iter().position(|&known| known == name);
        debug_assert!(at.is_some(), "{name} is not a field of this row");
        at.and_then(|at| self.fields[at])
    }
}

impl<const N: usize> Fields for Row<'_, '_, N> {
    fn text_ref(&self, name: &str) -> Option<Cow<'_, str>> {
        self.field(name)
            .map(trimmed_text)
            .filter(|text| !text.is_empty())
    }
}

/// The fields of one table row by name, however the answer was read: as [`Row`] finds them
/// in the document, or as [`scan`] read them.
trait Fields {
    /// As [`text_ref`].
    fn text_ref(&self, name: &str) -> Option<Cow<'_, str>>;

    /// As [`text_of`].
    fn text_of(&self, name: &str) -> Option<String> {
        self.text_ref(name).map(Cow::into_owned)
    }

    /// As [`number_of`].
    fn number_of<T: FromStr>(&self, name: &str) -> Option<T> {
        self.text_ref(name).and_then(|text| text.parse().ok())
    }

    /// As [`flag_of`].
    fn flag_of(&self, name: &str) -> Option<bool> {
        self.text_ref(name).as_deref().and_then(flag)
    }
}

/// A device boolean: `yes`/`no`, `on`/`off`, `True`/`False` in any case; `None` otherwise.
fn flag(text: &str) -> Option<bool> {
    let text = text.trim();
    let is_any = |words: [&str; 3]| words.iter().any(|word| text.eq_ignore_ascii_case(word));
    if is_any(["yes", "on", "true"]) {
        Some(true)
    } else if is_any(["no", "off", "false"]) {
        Some(false)
    } else {
        None
    }
}

/// The child `name` as a device boolean.
fn flag_of(node: Node<'_, '_>, name: &str) -> Option<bool> {
    text_ref(node, name).as_deref().and_then(flag)
}

#[cfg(test)]
mod tests {
    use roxmltree::Document;

    use super::*;

    /// `<e>` with each kind of content a field can have, and the trimmed text it must give.
    const FIELDS: &[(&str, &str)] = &[
        ("<e>plain</e>", "plain"),
        ("<e>  c  </e>", "c"),
        ("<e>\n  two words \n</e>", "two words"),
        ("<e><![CDATA[ <cdata> ]]></e>", "<cdata>"),
        ("<e>a &amp; b &#x41;</e>", "a & b A"),
        ("<e> x <![CDATA[y]]> &lt;z </e>", "x y <z"),
        ("<e> a<!-- cut -->b </e>", "ab"),
        ("<e> 1<i>2</i>3 </e>", "123"),
        ("<e><i> only nested </i></e>", "only nested"),
        ("<e>  </e>", ""),
        ("<e></e>", ""),
        ("<e/>", ""),
        ("<e><!-- just a comment --></e>", ""),
    ];

    #[test]
    fn trimmed_text_is_all_text_trimmed() {
        for (xml, want) in FIELDS {
            let doc = Document::parse(xml).unwrap();
            let node = doc.root_element();
            let text = trimmed_text(node);
            assert_eq!(text, *want, "{xml}");
            assert_eq!(text, all_text(node).trim(), "{xml}");
        }
    }

    #[test]
    fn one_text_node_is_borrowed_not_copied() {
        for xml in ["<e> plain </e>", "<e>a &amp; <![CDATA[b]]></e>", "<e/>"] {
            let doc = Document::parse(xml).unwrap();
            assert!(
                matches!(trimmed_text(doc.root_element()), Cow::Borrowed(_)),
                "{xml}"
            );
        }
    }

    #[test]
    fn fields_by_name() {
        let xml = "<entry>\n  <n> 42 </n><n>7</n>\n  <s><![CDATA[ s ]]></s><b> YES </b>\n  \
                   <blank>  </blank><x>x1</x></entry>";
        let doc = Document::parse(xml).unwrap();
        let entry = doc.root_element();
        assert_eq!(text_ref(entry, "n").as_deref(), Some("42"), "the first one");
        assert_eq!(text_of(entry, "s").as_deref(), Some("s"));
        assert_eq!(number_of::<u64>(entry, "n"), Some(42));
        assert_eq!(number_of::<u8>(entry, "x"), None);
        assert_eq!(flag_of(entry, "b"), Some(true));
        for name in ["blank", "missing"] {
            assert_eq!(text_ref(entry, name), None, "{name}");
            assert_eq!(text_of(entry, name), None, "{name}");
            assert_eq!(number_of::<u64>(entry, name), None, "{name}");
            assert_eq!(flag_of(entry, name), None, "{name}");
        }
    }

    #[test]
    fn children_match_the_local_name_in_any_namespace() {
        let xml = "<r xmlns:p='urn:p'><!-- n -->n<p:n>1</p:n><n xmlns='urn:d'>2</n><n>3</n></r>";
        let doc = Document::parse(xml).unwrap();
        let root = doc.root_element();
        assert_eq!(text_ref(root, "n").as_deref(), Some("1"));
        let all: Vec<_> = children(root, "n").map(trimmed_text).collect();
        assert_eq!(all, ["1", "2", "3"]);
        assert_eq!(child(root, "p:n"), None);
    }

    #[test]
    fn a_row_finds_each_field_as_child_does() {
        let xml = "<entry>\n  <a> 1 </a><!-- a --><b>x<!-- c -->y</b>\n  <a>2</a>text<p:c xmlns:p='u'>\
                   3</p:c><f> Off </f><blank/><other>o</other></entry>";
        let doc = Document::parse(xml).unwrap();
        let entry = doc.root_element();
        let names = ["a", "b", "c", "f", "blank", "missing"];
        let row = Row::new(entry, names);
        for name in names {
            assert_eq!(row.field(name), child(entry, name), "{name}");
            assert_eq!(row.text_ref(name), text_ref(entry, name), "{name}");
            assert_eq!(row.text_of(name), text_of(entry, name), "{name}");
            assert_eq!(row.number_of::<u64>(name), number_of(entry, name), "{name}");
            assert_eq!(row.flag_of(name), flag_of(entry, name), "{name}");
        }
        assert_eq!(row.text_ref("a").as_deref(), Some("1"));
        assert_eq!(row.text_ref("b").as_deref(), Some("xy"));
        assert_eq!(row.number_of::<u64>("c"), Some(3));
        assert_eq!(row.flag_of("f"), Some(false));
    }

    #[test]
    fn flags_in_any_case() {
        for text in ["yes", "YES", " On ", "true", "True", "tRuE"] {
            assert_eq!(flag(text), Some(true), "{text:?}");
        }
        for text in ["no", "No", "OFF", " false\n", "FALSE"] {
            assert_eq!(flag(text), Some(false), "{text:?}");
        }
        for text in ["", "y", "yess", "nein", "1", "ye s", "İyes"] {
            assert_eq!(flag(text), None, "{text:?}");
        }
    }
}
