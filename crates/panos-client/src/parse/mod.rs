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

use roxmltree::Node;

/// The longest excerpt of an answer kept in an error.
pub(crate) const EXCERPT_CHARS: usize = 120;

/// The first [`EXCERPT_CHARS`] characters of `body`, for diagnosis.
pub(crate) fn excerpt(body: &str) -> String {
    body.trim().chars().take(EXCERPT_CHARS).collect()
}

/// The first child element of `node` named `name`.
fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|n| n.is_element() && n.tag_name().name() == name)
}

/// Every child element of `node` named `name`, in document order.
fn children<'a, 'i>(node: Node<'a, 'i>, name: &'static str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |n| n.is_element() && n.tag_name().name() == name)
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

/// The trimmed text of the child `name`, or `None` when absent or blank.
fn text_of(node: Node<'_, '_>, name: &str) -> Option<String> {
    child(node, name)
        .map(all_text)
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
}

/// The child `name` as a number, or `None` when absent, blank or not a whole number.
fn number_of(node: Node<'_, '_>, name: &str) -> Option<u64> {
    text_of(node, name).and_then(|text| text.parse().ok())
}

/// A device boolean: `yes`/`no`, `on`/`off`, `True`/`False`; `None` otherwise.
fn flag(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "yes" | "on" | "true" => Some(true),
        "no" | "off" | "false" => Some(false),
        _ => None,
    }
}

/// The child `name` as a device boolean.
fn flag_of(node: Node<'_, '_>, name: &str) -> Option<bool> {
    text_of(node, name).as_deref().and_then(flag)
}
