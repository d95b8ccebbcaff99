//! Panorama's `show devices all|connected`: the firewalls it manages, read one `<entry>` at a
//! time, so that the answer for ten thousand firewalls (some 34 MB of XML) never becomes one
//! document tree (which took about 120 MB more).
//!
//! The [`outline`](super::outline) of the answer says where each child of
//! `<result><devices>` lies; the answer without them (the envelope) and then each child, with
//! the text around it, are parsed as small documents. When the outline gives up or any of
//! these parts is not well-formed, the answer is parsed as one document instead, so the
//! results and the errors are those of the whole-document parse. One difference: the bound
//! on the nodes of a document applies to each part, not to the whole answer (whose size
//! the client already bounds).
//!
//! What this module must not do: build a tree of the whole answer when it can be read piecewise.

use roxmltree::{Document, Node};

use super::envelope::{document_text, open, parsing_options};
use super::outline::device_list;
use super::{Ctx, child, children, flag_of, path, text_of, text_ref, trimmed_text};
use crate::error::ClientError;
use crate::model::{ManagedDevice, ManagedHa};
use crate::types::Serial;

/// Parses Panorama's answer to `show devices all` or `show devices connected`. Stray text
/// between the entries (`Total Connected Devices: 0`) is ignored; an entry whose serial is
/// not valid is skipped with a warning.
///
/// # Errors
/// An envelope error.
pub fn parse_managed_devices(xml: &str) -> Result<Vec<ManagedDevice>, ClientError> {
    managed_devices(&Ctx::new("show devices"), xml)
}

pub(crate) fn managed_devices(ctx: &Ctx<'_>, xml: &str) -> Result<Vec<ManagedDevice>, ClientError> {
    let list = match by_entry(ctx, xml) {
        Some(list) => list,
        None => whole_document(ctx, xml)?,
    };
    for serial in &list.skipped {
        tracing::warn!(
            operation = ctx.operation,
            %serial,
            "skipping a managed device whose serial is not valid"
        );
    }
    Ok(list.devices)
}

/// The devices read, and the serials (their first 40 characters) of the entries skipped.
#[derive(Debug, Default, PartialEq, Eq)]
struct DeviceList {
    devices: Vec<ManagedDevice>,
    skipped: Vec<String>,
}

impl DeviceList {
    /// Reads every `<entry>` child of `devices`.
    fn read_entries(&mut self, devices: Node<'_, '_>) {
        for entry in children(devices, "entry") {
            match managed_device(entry) {
                Ok(device) => self.devices.push(device),
                Err(serial) => self.skipped.push(serial),
            }
        }
    }
}

/// The answer read piecewise, or `None` when it must be parsed as one document: the outline
/// gave up, or a part (or the answer without the device list) is not a well-formed document
/// with a successful envelope.
fn by_entry(ctx: &Ctx<'_>, xml: &str) -> Option<DeviceList> {
    let text = document_text(xml);
    let outline = device_list(text)?;
    let content = outline.content();
    let mut envelope = String::with_capacity(text.len() - content.len());
    envelope.push_str(&text[..content.start]);
    envelope.push_str(&text[content.end..]);
    let response = open(ctx, &envelope).ok()?;
    let devices = path(response.root(), &["result", "devices"])?;
    // The same element as the outline's, with its content cut out.
    if devices.range().start != outline.start_tag.start || devices.has_children() {
        return None;
    }
    drop(response);
    let start_tag = &text[outline.start_tag.clone()];
    let mut list = DeviceList::default();
    let mut part_text = String::new();
    for part in outline.parts() {
        part_text.clear();
        part_text.push_str(start_tag);
        part_text.push_str(&text[part]);
        part_text.push_str("</devices>");
        let doc = Document::parse_with_options(&part_text, parsing_options()).ok()?;
        list.read_entries(doc.root_element());
    }
    Some(list)
}

/// The answer parsed as one document.
fn whole_document(ctx: &Ctx<'_>, xml: &str) -> Result<DeviceList, ClientError> {
    let response = open(ctx, xml)?;
    let mut list = DeviceList::default();
    if let Some(devices) = path(response.root(), &["result", "devices"]) {
        list.read_entries(devices);
    }
    Ok(list)
}

/// One `<entry>`, or the start of its serial when that is not valid.
fn managed_device(entry: Node<'_, '_>) -> Result<ManagedDevice, String> {
    let serial_text = text_ref(entry, "serial")
        .or_else(|| entry.attribute("name").map(|name| name.trim().into()))
        .unwrap_or_default();
    let Ok(serial) = serial_text.parse::<Serial>() else {
        return Err(serial_text.chars().take(40).collect());
    };
    let ha = child(entry, "ha").map(|ha| ManagedHa {
        state: text_of(ha, "state").unwrap_or_default(),
        peer_serial: path(ha, &["peer", "serial"])
            .map(trimmed_text)
            .and_then(|serial| serial.parse().ok()),
    });
    Ok(ManagedDevice {
        serial,
        hostname: text_of(entry, "hostname"),
        ip_address: text_of(entry, "ip-address"),
        model: text_of(entry, "model"),
        family: text_of(entry, "family"),
        sw_version: text_ref(entry, "sw-version").and_then(|text| text.parse().ok()),
        app_version: text_of(entry, "app-version"),
        connected: flag_of(entry, "connected").unwrap_or(false),
        ha,
    })
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use proptest::prelude::*;

    use super::*;

    /// The answers to `show devices` among the real samples.
    const SAMPLES: &[&str] = &[
        "show-devices-all.panorama-10.0.9.xml",
        "show-devices-all.panorama-fw-9.1.13-blank-cert-fields.xml",
        "show-devices-connected.panorama-10.1-fws-with-trailing-text.xml",
    ];

    /// An answer like the simulator's for `n` firewalls, with every oddity a real one may
    /// hold: HA members, invalid serials, a serial only in `name`, CDATA, entities, comments,
    /// empty entries, other elements beside the entries, stray text after them.
    fn generated(n: usize) -> String {
        let mut s = String::from(
            "<?xml version=\"1.0\"?>\n<response status=\"success\" code=\"19\">\n  <result>\n    \
             <devices>\n",
        );
        for k in 0..n {
            let serial = format!("0079110{k:08}");
            match k % 9 {
                0 => {
                    let _ = write!(s, "<entry name='{serial}'/>");
                }
                1 => {
                    s.push_str("<entry name=\"not a serial\"><serial>not a serial</serial></entry>")
                }
                2 => s.push_str("<!-- a comment --><summary><entry name='0079'/></summary>"),
                _ => {
                    let _ = write!(
                        s,
                        "      <entry name=\"{serial}\">\n        <serial>{serial}</serial>\n        \
                         <connected>{}</connected>\n        <hostname><![CDATA[fw {k}]]> &amp; \
                         &#x41;</hostname>\n        <ip-address>10.0.{}.{}</ip-address>\n        \
                         <model>PA-VM</model><family>vm</family>\n        <sw-version>{}</sw-version>\
                         <app-version>8475-7000</app-version>\n        <plugin_versions><entry \
                         name=\"dlp\" version=\"3.0.9\"><pkginfo>dlp-3.0.9</pkginfo></entry>\
                         </plugin_versions>\n",
                        if k % 4 == 0 { "no" } else { "yes" },
                        k / 256 % 256,
                        k % 256,
                        if k % 5 == 0 { "eleven" } else { "11.1.4" },
                    );
                    if k % 3 == 0 {
                        let _ = writeln!(
                            s,
                            "        <ha><state>active</state><peer><serial>0079119{k:08}</serial>\
                             </peer></ha>"
                        );
                    }
                    s.push_str("      </entry>\n");
                }
            }
        }
        let _ = write!(
            s,
            "Total Connected Devices: {n}\n    </devices>\n  </result>\n</response>\n"
        );
        s
    }

    /// The answers the tests read: the real samples (when present) and generated ones.
    fn answers() -> Vec<String> {
        let mut answers: Vec<String> = SAMPLES
            .iter()
            .filter_map(|name| panos_samples::sample(name))
            .collect();
        answers.extend([generated(0), generated(1), generated(40), generated(3_000)]);
        answers
    }

    /// What parsing `xml` as one document gives, and what `managed_devices` gives, as text.
    fn both(ctx: &Ctx<'_>, xml: &str) -> (String, String) {
        let whole = whole_document(ctx, xml).map(|list| list.devices);
        let read = managed_devices(ctx, xml);
        (format!("{whole:?}"), format!("{read:?}"))
    }

    /// Whenever the piecewise reading succeeds, the whole-document parse gives the same.
    fn assert_piecewise_agrees(ctx: &Ctx<'_>, xml: &str) {
        if let Some(list) = by_entry(ctx, xml) {
            assert_eq!(
                whole_document(ctx, xml).ok(),
                Some(list),
                "read piecewise but not as one document: {xml}"
            );
        }
    }

    #[test]
    fn reads_real_and_generated_answers_entry_by_entry_as_the_whole_document() {
        let ctx = Ctx::new("show devices");
        for xml in answers() {
            let piecewise = by_entry(&ctx, &xml).expect("read piecewise");
            let whole = whole_document(&ctx, &xml).unwrap();
            assert_eq!(piecewise, whole);
            assert_eq!(managed_devices(&ctx, &xml).unwrap(), whole.devices);
        }
        let list = by_entry(&ctx, &generated(3_000)).unwrap();
        assert_eq!((list.devices.len(), list.skipped.len()), (2_332, 334));
        let with_ha = &list.devices[1];
        assert_eq!(with_ha.hostname.as_deref(), Some("fw 3 & A"));
        assert_eq!(
            with_ha
                .ha
                .as_ref()
                .and_then(|ha| ha.peer_serial.as_ref())
                .map(Serial::as_str),
            Some("007911900000003")
        );
        assert_eq!(list.devices[0].hostname, None);
    }

    #[test]
    fn failures_are_those_of_the_whole_document() {
        let xml = generated(12);
        let mut cases = vec![
            format!("<!DOCTYPE response>{xml}"),
            format!("{xml}<junk/>"),
            xml.replace("status=\"success\"", "status=\"error\""),
            xml.replacen("</entry>", "</entyr>", 3),
            xml.replacen("</devices>", "</device>", 1),
            xml.replacen("</result>", "", 1),
            xml.replacen("&amp;", "&bogus;", 2),
            xml.replacen("&amp;", "&", 2),
            xml.replacen("version=\"3.0.9\"", "version=\"3.0.9\" version=\"1\"", 2),
            xml.replacen("fw 5", "fw ]]> 5", 1),
            xml.replacen("<result>", "<p:result xmlns:p='u'>", 1)
                .replacen("</result>", "</p:result>", 1),
            xml.replacen("<devices>", "<devices xmlns:p='u'>", 1)
                .replacen("<model>", "<p:model>", 1)
                .replacen("</model>", "</p:model>", 1),
        ];
        for at in (0..xml.len()).step_by(7) {
            if xml.is_char_boundary(at) {
                cases.push(xml[..at].to_owned());
                for insert in ["<", "&", ">", "</entry>", "<entry>", "]]>", "<!--"] {
                    cases.push(format!("{}{insert}{}", &xml[..at], &xml[at..]));
                }
            }
        }
        for ctx in [
            Ctx::new("show devices"),
            Ctx::new("show devices").with_status(502),
        ] {
            for case in &cases {
                let (whole, read) = both(&ctx, case);
                assert_eq!(read, whole, "{case}");
                assert_piecewise_agrees(&ctx, case);
            }
        }
        let ctx = Ctx::new("show devices");
        let err = managed_devices(&ctx, &xml.replacen("</entry>", "</entyr>", 1)).unwrap_err();
        assert!(
            matches!(&err, ClientError::Decode { reason, .. } if reason.contains("malformed XML")),
            "{err:?}"
        );
    }

    proptest! {
        #[test]
        fn altered_answers_give_what_the_whole_document_gives(
            at in 0usize..4_000,
            cut in 0usize..40,
            insert in "[<>&/!?\\[\\]a-z='\" -]{0,12}",
        ) {
            let xml = generated(30);
            let at = at % xml.len();
            let end = (at + cut).min(xml.len());
            let case = format!("{}{insert}{}", &xml[..at], &xml[end..]);
            let ctx = Ctx::new("show devices");
            let (whole, read) = both(&ctx, &case);
            prop_assert_eq!(read, whole);
            assert_piecewise_agrees(&ctx, &case);
        }
    }
}
