//! `request system software check|info`: the `<sw-updates><versions><entry>` list, with the
//! device's own `downloaded`/`current` flags and release notes in CDATA.

use std::fmt::Write as _;

use super::{escape, success};
use crate::catalog::Catalog;
use crate::clock::{SimInstant, ymd_hms};

/// The catalog as `device` sees it: `prefix` names the image files (`PanOS_vm`), `current` is
/// the running version, `downloaded` the images on the device.
pub fn sw_updates(
    catalog: &Catalog,
    prefix: &str,
    current: &str,
    downloaded: &[String],
    now: SimInstant,
) -> String {
    let latest = catalog.latest().unwrap_or_default();
    let mut s = String::with_capacity(catalog.entries.len() * 560 + 200);
    let _ = writeln!(
        s,
        "        <sw-updates last-updated-at=\"{}\">",
        ymd_hms(now)
    );
    s.push_str("            <msg />\n            <versions>\n");
    let yn = |b: bool| if b { "yes" } else { "no" };
    for e in &catalog.entries {
        let v = escape(&e.version);
        let train = e.version.split('.').take(2).collect::<Vec<_>>().join("-");
        let _ = write!(
            s,
            "                <entry>\n                    <version>{v}</version>\n                    <filename>{prefix}-{v}</filename>\n                    <size>{}</size>\n                    <size-kb>{}</size-kb>\n                    <released-on>{}</released-on>\n                    <release-notes><![CDATA[https://docs.paloaltonetworks.com/pan-os/{train}/pan-os-release-notes]]></release-notes>\n                    <downloaded>{}</downloaded>\n                    <current>{}</current>\n                    <latest>{}</latest>\n                    <uploaded>no</uploaded>\n                </entry>\n",
            e.size_mb,
            u64::from(e.size_mb) * 1024 + u64::from(e.size_mb % 97),
            escape(&e.released_on),
            yn(downloaded.iter().any(|d| d == &e.version)),
            yn(e.version == current),
            yn(e.version == latest),
        );
    }
    s.push_str("            </versions>\n        </sw-updates>\n");
    success(&s)
}

/// The update server cannot be reached (real message).
pub fn check_unreachable() -> String {
    "<response status=\"error\">\n    <msg>\n        <line>Failed to check upgrade info due to generic communication error. Please check network connectivity and try again.</line>\n    </msg>\n</response>\n".to_string()
}
