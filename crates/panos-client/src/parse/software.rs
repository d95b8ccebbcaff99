//! `request system software check` and `request system software info`: the software catalog.

use super::envelope::open;
use super::scan::{self, Table};
use super::{Ctx, Fields, Row, children, path};
use crate::error::ClientError;
use crate::model::{SoftwareCatalog, SoftwareImage};
use crate::types::SoftwareVersion;

/// Parses the answer to `request system software check` or `… info`, sorted by version,
/// oldest first (devices do not sort reliably). Entries whose version is not a PAN-OS version
/// are skipped with a warning.
///
/// # Errors
/// An envelope error (`Failed to check upgrade info …` when the update server is out of reach).
pub fn parse_software_catalog(xml: &str) -> Result<SoftwareCatalog, ClientError> {
    software_catalog(&Ctx::new("request system software"), xml)
}

/// The fields of a catalog `<entry>` that are read.
const FIELDS: [&str; 9] = [
    "version",
    "filename",
    "size",
    "size-kb",
    "released-on",
    "downloaded",
    "current",
    "latest",
    "uploaded",
];

/// The catalog's rows, for [`scan`].
pub(super) static CATALOG: Table<0, 9> = Table {
    rows_at: &["result", "sw-updates", "versions"],
    heading_at: 0,
    heading: [],
    fields: FIELDS,
};

pub(crate) fn software_catalog(ctx: &Ctx<'_>, xml: &str) -> Result<SoftwareCatalog, ClientError> {
    match scan::read(ctx, xml, &CATALOG) {
        Some(table) => Ok(sorted(
            table
                .rows
                .iter()
                .filter_map(|row| image(ctx, row))
                .collect(),
        )),
        None => catalog_from_document(ctx, xml),
    }
}

/// [`software_catalog`] through the whole document: for answers [`scan`] leaves.
pub(super) fn catalog_from_document(
    ctx: &Ctx<'_>,
    xml: &str,
) -> Result<SoftwareCatalog, ClientError> {
    let response = open(ctx, xml)?;
    let Some(versions) = path(response.root(), CATALOG.rows_at) else {
        return Ok(SoftwareCatalog::default());
    };
    let images = children(versions, "entry")
        .filter_map(|entry| image(ctx, &Row::new(entry, FIELDS)))
        .collect();
    Ok(sorted(images))
}

/// The image of a catalog entry, or `None` (with a warning) when its version is not valid.
fn image(ctx: &Ctx<'_>, row: &impl Fields) -> Option<SoftwareImage> {
    let text = row.text_ref("version").unwrap_or_default();
    let Ok(version) = text.parse::<SoftwareVersion>() else {
        tracing::warn!(
            operation = ctx.operation,
            version = %text.chars().take(40).collect::<String>(),
            "skipping a catalog entry whose version is not valid"
        );
        return None;
    };
    Some(SoftwareImage {
        version,
        filename: row.text_of("filename"),
        size_mb: row.number_of("size"),
        size_kb: row.number_of("size-kb"),
        released_on: row.text_of("released-on"),
        downloaded: row.flag_of("downloaded").unwrap_or(false),
        current: row.flag_of("current").unwrap_or(false),
        latest: row.flag_of("latest").unwrap_or(false),
        uploaded: row.flag_of("uploaded").unwrap_or(false),
    })
}

/// The catalog of `images`, oldest first.
fn sorted(mut images: Vec<SoftwareImage>) -> SoftwareCatalog {
    images.sort_by(|a, b| a.version.cmp(&b.version));
    SoftwareCatalog { images }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_and_skips_bad_versions() {
        let body = "<response status='success'><result><sw-updates><versions>\
            <entry><version>10.2.9-h1</version><current>yes</current></entry>\
            <entry><version>bogus</version></entry>\
            <entry><version>10.2.9</version><downloaded>yes</downloaded></entry>\
            </versions></sw-updates></result></response>";
        let catalog = parse_software_catalog(body).unwrap();
        let versions: Vec<String> = catalog
            .images
            .iter()
            .map(|i| i.version.to_string())
            .collect();
        assert_eq!(versions, ["10.2.9", "10.2.9-h1"]);
        assert!(catalog.images[0].downloaded);
        assert_eq!(catalog.current().unwrap().version.to_string(), "10.2.9-h1");
    }
}
