//! Test-only access to the real PAN-OS / Panorama XML samples.
//!
//! The samples are other people's data, so they are not committed: tests read them at run time
//! from `../shared/panos-xml/` beside the workspace, or from the folder named by the
//! `PANOS_XML_SAMPLES` environment variable. Where the folder is missing, a test that asks for a
//! sample fails when `CI` is set (CI always has the folder) and otherwise skips with a printed
//! notice.
//!
//! This crate is a dev-dependency only; no shipped code may depend on it.
//!
//! ```no_run
//! # fn demo() {
//! let Some(xml) = panos_samples::sample("show-system-info.fw-10.2.11-h12-redacted.xml") else {
//!     return; // skipped, with a notice printed
//! };
//! assert!(xml.contains("<sw-version>"));
//! # }
//! ```

use std::path::{Path, PathBuf};

/// The environment variable that overrides where the samples are read from.
pub const SAMPLES_ENV: &str = "PANOS_XML_SAMPLES";

/// The samples folder, when it exists.
///
/// # Panics
/// When the folder is missing and the `CI` environment variable is set: CI must run every
/// sample-based test.
pub fn samples_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os(SAMPLES_ENV) {
        Some(dir) => PathBuf::from(dir),
        None => default_dir(),
    };
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0") {
        panic!(
            "the PAN-OS XML samples folder {} is missing; CI must have ../shared beside the \
             checkout (or set {SAMPLES_ENV})",
            dir.display()
        );
    }
    eprintln!(
        "notice: skipping a sample-based test: {} not found (set {SAMPLES_ENV} to the \
         panos-xml folder to run it)",
        dir.display()
    );
    None
}

fn default_dir() -> PathBuf {
    // crates/panos-samples -> workspace root -> its parent -> shared/panos-xml
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/panos-xml")
}

/// The text of one sample file, or `None` (with a notice) when the samples folder is missing.
///
/// # Panics
/// When the folder exists but the file does not (a renamed sample must fail loudly), or under
/// the CI rule of [`samples_dir`].
pub fn sample(name: &str) -> Option<String> {
    let dir = samples_dir()?;
    let path = dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(err) => panic!("cannot read sample {}: {err}", path.display()),
    }
}

/// Every sample file name (sorted), or `None` when the samples folder is missing.
pub fn sample_names() -> Option<Vec<String>> {
    let dir = samples_dir()?;
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()))
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".xml") || name.ends_with(".txt"))
        .collect();
    names.sort();
    Some(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_known_sample_when_present() {
        let Some(names) = sample_names() else { return };
        assert!(
            names
                .iter()
                .any(|n| n == "keygen.success-oneline.fw-10.2.11.xml")
        );
        let Some(text) = sample("keygen.success-oneline.fw-10.2.11.xml") else {
            return;
        };
        assert!(text.contains("<key>"), "keygen sample has a key element");
    }
}
