//! `upgrade_paths.json`: which versions a device on a given version installs, in order.
//!
//! The file maps a current version to the ordered list of versions to install:
//!
//! ```json
//! {
//!   "10.1.9-h1": ["10.2.10", "11.0.4", "11.1.6"],
//!   "10.2.10": ["11.0.4", "11.1.6"]
//! }
//! ```
//!
//! Loading checks the file's own consistency (every version parses, hops strictly increase
//! above the key). Whether a path obeys PAN-OS rules for a given device (feature releases,
//! base images, catalog) is [`crate::plan`]'s job.

use std::collections::BTreeMap;
use std::fmt;

use panos_client::SoftwareVersion;

/// A problem with `upgrade_paths.json` itself.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// The file is not a JSON object of version → list of versions.
    #[error(
        "upgrade paths: not valid JSON of the form {{\"10.1.9\": [\"10.2.10\", \"11.0.4\"]}}: {0}"
    )]
    Json(#[source] serde_json::Error),

    /// A key or hop is not a PAN-OS version.
    #[error("upgrade paths: entry {key:?}: {value:?} is not a PAN-OS version (e.g. 10.2.9-h1)")]
    BadVersion {
        /// The key of the entry.
        key: String,
        /// The offending text.
        value: String,
    },

    /// A hop is not above the one before it (or above the key).
    #[error(
        "upgrade paths: entry {key:?}: hop {hop} is not newer than {previous}; list the \
         versions to install in ascending order"
    )]
    NotAscending {
        /// The key of the entry.
        key: String,
        /// The hop that does not increase.
        hop: SoftwareVersion,
        /// The version before it.
        previous: SoftwareVersion,
    },

    /// The same version appears twice as a key (written differently, e.g. `10.2.9` twice).
    #[error("upgrade paths: version {0} is listed twice")]
    Duplicate(SoftwareVersion),
}

/// The versions one device installs, in order, starting from `from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradePath {
    /// The version the device runs now.
    pub from: SoftwareVersion,
    /// The versions to install, ascending. Empty means "stay": nothing to do.
    pub hops: Vec<SoftwareVersion>,
}

impl UpgradePath {
    /// The last version of the path (the target), or `from` when there are no hops.
    pub fn target(&self) -> &SoftwareVersion {
        self.hops.last().unwrap_or(&self.from)
    }
}

impl fmt::Display for UpgradePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.from)?;
        for hop in &self.hops {
            write!(f, " -> {hop}")?;
        }
        Ok(())
    }
}

/// The whole `upgrade_paths.json`, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpgradePaths {
    paths: BTreeMap<SoftwareVersion, Vec<SoftwareVersion>>,
}

impl UpgradePaths {
    /// Parses and checks the file's text.
    pub fn from_json(text: &str) -> Result<Self, PathError> {
        let raw: BTreeMap<String, Vec<String>> =
            serde_json::from_str(text).map_err(PathError::Json)?;
        let mut paths = BTreeMap::new();
        for (key, hops) in raw {
            let from: SoftwareVersion = key.trim().parse().map_err(|_| PathError::BadVersion {
                key: key.clone(),
                value: key.clone(),
            })?;
            let mut previous = from.clone();
            let mut parsed = Vec::with_capacity(hops.len());
            for hop in hops {
                let hop: SoftwareVersion =
                    hop.trim().parse().map_err(|_| PathError::BadVersion {
                        key: key.clone(),
                        value: hop.clone(),
                    })?;
                if hop <= previous {
                    return Err(PathError::NotAscending {
                        key: key.clone(),
                        hop,
                        previous,
                    });
                }
                previous = hop.clone();
                parsed.push(hop);
            }
            if paths.insert(from.clone(), parsed).is_some() {
                return Err(PathError::Duplicate(from));
            }
        }
        Ok(Self { paths })
    }

    /// Builds paths from already-typed entries (for library users and tests); the same
    /// ascending rule applies.
    pub fn from_entries(
        entries: impl IntoIterator<Item = (SoftwareVersion, Vec<SoftwareVersion>)>,
    ) -> Result<Self, PathError> {
        let map: BTreeMap<String, Vec<String>> = entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(ToString::to_string).collect()))
            .collect();
        let text = serde_json::to_string(&map).map_err(PathError::Json)?;
        Self::from_json(&text)
    }

    /// The path for a device on `current`, or `None` when the file does not list it (the
    /// device is then skipped, with that reason).
    pub fn path_for(&self, current: &SoftwareVersion) -> Option<UpgradePath> {
        self.paths.get(current).map(|hops| UpgradePath {
            from: current.clone(),
            hops: hops.clone(),
        })
    }

    /// Every path, ordered by starting version.
    pub fn iter(&self) -> impl Iterator<Item = UpgradePath> + '_ {
        self.paths.iter().map(|(from, hops)| UpgradePath {
            from: from.clone(),
            hops: hops.clone(),
        })
    }

    /// How many starting versions the file lists.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// Whether the file lists no version.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// The file's JSON text (keys sorted by version), for writing back.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\n");
        let mut first = true;
        for (from, hops) in &self.paths {
            if !first {
                out.push_str(",\n");
            }
            first = false;
            let hops: Vec<String> = hops.iter().map(|h| format!("\"{h}\"")).collect();
            out.push_str(&format!("  \"{from}\": [{}]", hops.join(", ")));
        }
        out.push_str("\n}\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> SoftwareVersion {
        s.parse().unwrap()
    }

    #[test]
    fn loads_and_looks_up_paths() {
        let paths = UpgradePaths::from_json(
            r#"{"10.1.9-h1": ["10.2.10", "11.0.4"], "11.0.4": [], "10.2.10": ["11.0.4"]}"#,
        )
        .unwrap();
        assert_eq!(paths.len(), 3);
        let path = paths.path_for(&v("10.1.9-h1")).unwrap();
        assert_eq!(path.hops, vec![v("10.2.10"), v("11.0.4")]);
        assert_eq!(path.target(), &v("11.0.4"));
        assert_eq!(path.to_string(), "10.1.9-h1 -> 10.2.10 -> 11.0.4");
        assert!(paths.path_for(&v("9.1.0")).is_none());
        assert_eq!(paths.path_for(&v("11.0.4")).unwrap().target(), &v("11.0.4"));
    }

    #[test]
    fn names_the_bad_entry() {
        let err = UpgradePaths::from_json(r#"{"10.1.9": ["10.2.x"]}"#).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("10.1.9") && text.contains("10.2.x"), "{text}");

        let err = UpgradePaths::from_json(r#"{"10.2.9": ["11.0.1", "10.2.10"]}"#).unwrap_err();
        assert!(matches!(err, PathError::NotAscending { .. }), "{err}");
        assert!(err.to_string().contains("10.2.10 is not newer than 11.0.1"));

        let err = UpgradePaths::from_json(r#"{"10.2.9": ["10.2.9"]}"#).unwrap_err();
        assert!(matches!(err, PathError::NotAscending { .. }));

        let err = UpgradePaths::from_json(r#"["10.2.9"]"#).unwrap_err();
        assert!(matches!(err, PathError::Json(_)));

        let err = UpgradePaths::from_json(r#"{"10.2.9": [], " 10.2.9": []}"#).unwrap_err();
        assert!(matches!(err, PathError::Duplicate(_)), "{err}");
    }

    #[test]
    fn json_round_trips() {
        let text = r#"{"10.1.9-h1": ["10.2.10", "11.0.4"], "10.2.10": ["11.0.4"]}"#;
        let paths = UpgradePaths::from_json(text).unwrap();
        let again = UpgradePaths::from_json(&paths.to_json()).unwrap();
        assert_eq!(paths, again);
    }
}
