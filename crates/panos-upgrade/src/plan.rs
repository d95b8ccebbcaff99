//! PAN-OS path rules, checked against a device's software catalog.
//!
//! - Every hop must be in the catalog (the device can download it).
//! - No feature release may be skipped: from 10.1 the next hop can be in 10.1 or 10.2, not 11.0.
//!   The feature releases known are Palo Alto's published ones ([`KNOWN_FEATURE_RELEASES`])
//!   plus any the catalog lists, so a new release is picked up without a code change.
//! - A hop into a new feature release needs that release's **base image** downloaded first (not
//!   installed). The base is the first release build of the feature release in the catalog:
//!   12.1's base is 12.1.2, not 12.1.0, so it is never assumed to be `X.Y.0`.

use std::collections::BTreeSet;
use std::fmt;

use panos_client::model::SoftwareCatalog;
use panos_client::{BuildKind, FeatureRelease, SoftwareVersion};
use serde::{Deserialize, Serialize};

use crate::path::UpgradePath;

/// Palo Alto's published PAN-OS feature releases, oldest first. There is no 12.0: 11.2 is
/// followed by 12.1.
pub const KNOWN_FEATURE_RELEASES: &[(u16, u16)] = &[
    (8, 0),
    (8, 1),
    (9, 0),
    (9, 1),
    (10, 0),
    (10, 1),
    (10, 2),
    (11, 0),
    (11, 1),
    (11, 2),
    (12, 1),
];

/// One hop of a checked plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HopPlan {
    /// The version installed by this hop.
    pub version: SoftwareVersion,
    /// The base image to download (not install) before this hop, when it enters a new feature
    /// release and is not itself the base.
    pub base_image: Option<SoftwareVersion>,
    /// Size of the hop's image in bytes, when the catalog says.
    pub image_size_bytes: Option<u64>,
    /// Size of the base image in bytes, when there is one and the catalog says.
    pub base_size_bytes: Option<u64>,
    /// Whether the hop's image is already downloaded on the device.
    pub downloaded: bool,
    /// Whether the base image (if any) is already downloaded on the device.
    pub base_downloaded: bool,
}

impl HopPlan {
    /// Bytes still to download for this hop (image and base image not yet on the device);
    /// `None` when a size is unknown.
    pub fn bytes_to_download(&self) -> Option<u64> {
        let image = if self.downloaded {
            Some(0)
        } else {
            self.image_size_bytes
        };
        let base = match (&self.base_image, self.base_downloaded) {
            (None, _) | (Some(_), true) => Some(0),
            (Some(_), false) => self.base_size_bytes,
        };
        Some(image? + base?)
    }
}

/// What is wrong with a path for a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PathProblemKind {
    /// The hop is not in the device's software catalog.
    NotInCatalog,
    /// The hop enters a feature release whose base image the catalog does not list.
    BaseImageUnknown {
        /// The feature release.
        feature_release: FeatureRelease,
    },
    /// The hop skips one or more feature releases.
    SkipsFeatureRelease {
        /// The feature releases skipped, in order.
        skipped: Vec<FeatureRelease>,
    },
    /// The hop is not newer than the version before it.
    NotNewer,
    /// The catalog has no installable version of a feature release the path must cross.
    NoVersionFor {
        /// The feature release.
        feature_release: FeatureRelease,
    },
}

/// One problem with a path, with a message that says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathProblem {
    /// The hop's index in the path (0-based), when the problem is about one hop.
    pub hop_index: Option<usize>,
    /// The version concerned.
    pub version: SoftwareVersion,
    /// What is wrong.
    pub kind: PathProblemKind,
    /// The message for the operator.
    pub message: String,
}

impl fmt::Display for PathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The feature releases known: the published ones plus every one in the catalog.
fn known_feature_releases(catalog: &SoftwareCatalog) -> BTreeSet<FeatureRelease> {
    KNOWN_FEATURE_RELEASES
        .iter()
        .map(|&(major, minor)| FeatureRelease { major, minor })
        .chain(catalog.images.iter().map(|i| i.version.feature_release()))
        .collect()
}

fn releases_between(
    known: &BTreeSet<FeatureRelease>,
    from: FeatureRelease,
    to: FeatureRelease,
) -> Vec<FeatureRelease> {
    known
        .iter()
        .filter(|fr| **fr > from && **fr < to)
        .copied()
        .collect()
}

/// The base image of a feature release: its first release build in the catalog.
pub fn base_image(catalog: &SoftwareCatalog, feature: FeatureRelease) -> Option<SoftwareVersion> {
    catalog
        .images
        .iter()
        .map(|image| &image.version)
        .filter(|v| v.feature_release() == feature && v.build() == BuildKind::Release)
        .min()
        .cloned()
}

/// Checks `path` against PAN-OS rules and the device's catalog; returns each hop's plan, or
/// every problem found (not just the first).
pub fn plan_path(
    path: &UpgradePath,
    catalog: &SoftwareCatalog,
) -> Result<Vec<HopPlan>, Vec<PathProblem>> {
    let known = known_feature_releases(catalog);
    let mut problems = Vec::new();
    let mut plans = Vec::with_capacity(path.hops.len());
    let mut previous = path.from.clone();
    for (index, hop) in path.hops.iter().enumerate() {
        let problem = |kind: PathProblemKind, message: String| PathProblem {
            hop_index: Some(index),
            version: hop.clone(),
            kind,
            message,
        };
        if hop <= &previous {
            problems.push(problem(
                PathProblemKind::NotNewer,
                format!("hop {hop} is not newer than {previous}: list hops in ascending order"),
            ));
        }
        let (from_fr, to_fr) = (previous.feature_release(), hop.feature_release());
        let skipped = releases_between(&known, from_fr, to_fr);
        if !skipped.is_empty() {
            let names: Vec<String> = skipped.iter().map(ToString::to_string).collect();
            problems.push(problem(
                PathProblemKind::SkipsFeatureRelease {
                    skipped: skipped.clone(),
                },
                format!(
                    "hop {previous} -> {hop} skips feature release {}: add a hop in each \
                     (e.g. its latest maintenance release) to the path",
                    names.join(", ")
                ),
            ));
        }
        let image = catalog.get(hop);
        if image.is_none() {
            problems.push(problem(
                PathProblemKind::NotInCatalog,
                format!(
                    "{hop} is not in the device's software catalog: check the version, or \
                     refresh the catalog (request system software check)"
                ),
            ));
        }
        let mut base = None;
        if to_fr != from_fr {
            match base_image(catalog, to_fr) {
                Some(b) if &b == hop => {}
                Some(b) => base = Some(b),
                None => problems.push(problem(
                    PathProblemKind::BaseImageUnknown {
                        feature_release: to_fr,
                    },
                    format!(
                        "{hop} enters feature release {to_fr}, but the catalog lists no base \
                         image for {to_fr}: refresh the catalog (request system software check)"
                    ),
                )),
            }
        }
        let base_entry = base.as_ref().and_then(|b| catalog.get(b));
        plans.push(HopPlan {
            version: hop.clone(),
            image_size_bytes: image.and_then(|i| i.size_bytes()),
            downloaded: image.is_some_and(|i| i.downloaded),
            base_size_bytes: base_entry.and_then(|i| i.size_bytes()),
            base_downloaded: base_entry.is_some_and(|i| i.downloaded),
            base_image: base,
        });
        previous = hop.clone();
    }
    if problems.is_empty() {
        Ok(plans)
    } else {
        Err(problems)
    }
}

/// A path from `current` to `target` built from the catalog, for a job that names a target
/// version the paths file does not cover: one hop in each feature release crossed (its latest
/// non-beta version in the catalog), then the target. The result still goes through
/// [`plan_path`].
pub fn suggest_path(
    current: &SoftwareVersion,
    target: &SoftwareVersion,
    catalog: &SoftwareCatalog,
) -> Result<UpgradePath, Vec<PathProblem>> {
    if target <= current {
        return Err(vec![PathProblem {
            hop_index: None,
            version: target.clone(),
            kind: PathProblemKind::NotNewer,
            message: format!(
                "target {target} is not newer than the running version {current}: nothing to do"
            ),
        }]);
    }
    let known = known_feature_releases(catalog);
    let mut hops = Vec::new();
    let mut problems = Vec::new();
    for fr in releases_between(&known, current.feature_release(), target.feature_release()) {
        let latest = catalog
            .images
            .iter()
            .map(|i| &i.version)
            .filter(|v| v.feature_release() == fr && !matches!(v.build(), BuildKind::Beta(_)))
            .max();
        match latest {
            Some(v) => hops.push(v.clone()),
            None => problems.push(PathProblem {
                hop_index: None,
                version: target.clone(),
                kind: PathProblemKind::NoVersionFor {
                    feature_release: fr,
                },
                message: format!(
                    "the path to {target} must cross feature release {fr}, but the catalog \
                     lists no version of it: refresh the catalog or write the path in \
                     upgrade_paths.json"
                ),
            }),
        }
    }
    hops.push(target.clone());
    if problems.is_empty() {
        Ok(UpgradePath {
            from: current.clone(),
            hops,
        })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use panos_client::model::SoftwareImage;

    use super::*;

    fn v(s: &str) -> SoftwareVersion {
        s.parse().unwrap()
    }

    fn catalog(entries: &[(&str, bool)]) -> SoftwareCatalog {
        let mut images: Vec<SoftwareImage> = entries
            .iter()
            .map(|(version, downloaded)| SoftwareImage {
                version: v(version),
                filename: Some(format!("PanOS_vm-{version}")),
                size_mb: Some(500),
                size_kb: None,
                released_on: None,
                downloaded: *downloaded,
                current: false,
                latest: false,
                uploaded: false,
            })
            .collect();
        images.sort_by(|a, b| a.version.cmp(&b.version));
        SoftwareCatalog { images }
    }

    fn path(from: &str, hops: &[&str]) -> UpgradePath {
        UpgradePath {
            from: v(from),
            hops: hops.iter().map(|h| v(h)).collect(),
        }
    }

    #[test]
    fn base_image_is_the_first_release_in_the_catalog_not_x_y_0() {
        let cat = catalog(&[
            ("11.2.4", false),
            ("12.1.2", false),
            ("12.1.3", false),
            ("12.1.3-h1", false),
        ]);
        let plans = plan_path(&path("11.2.4", &["12.1.3-h1"]), &cat).unwrap();
        assert_eq!(plans[0].base_image, Some(v("12.1.2")));
        assert_eq!(plans[0].bytes_to_download(), Some(2 * 500 * 1024 * 1024));
    }

    #[test]
    fn hop_that_is_the_base_needs_no_separate_base() {
        let cat = catalog(&[("10.2.0", false), ("10.2.9-h1", false)]);
        let plans = plan_path(&path("10.1.9", &["10.2.0"]), &cat).unwrap();
        assert_eq!(plans[0].base_image, None);
        let plans = plan_path(&path("10.1.9", &["10.2.9-h1"]), &cat).unwrap();
        assert_eq!(plans[0].base_image, Some(v("10.2.0")));
    }

    #[test]
    fn maintenance_hop_needs_no_base() {
        let cat = catalog(&[("10.2.0", true), ("10.2.10", false)]);
        let plans = plan_path(&path("10.2.4", &["10.2.10"]), &cat).unwrap();
        assert_eq!(plans[0].base_image, None);
        assert!(!plans[0].downloaded);
    }

    #[test]
    fn skipping_a_feature_release_is_refused_with_the_releases_named() {
        let cat = catalog(&[("11.0.0", false), ("11.1.0", false), ("11.1.4", false)]);
        let problems = plan_path(&path("10.1.9", &["11.1.4"]), &cat).unwrap_err();
        let skip = problems
            .iter()
            .find(|p| matches!(p.kind, PathProblemKind::SkipsFeatureRelease { .. }))
            .expect("a skip problem");
        assert!(skip.message.contains("10.2, 11.0"), "{}", skip.message);
    }

    #[test]
    fn eleven_two_to_twelve_one_skips_nothing() {
        let cat = catalog(&[("12.1.2", false)]);
        assert!(plan_path(&path("11.2.5", &["12.1.2"]), &cat).is_ok());
    }

    #[test]
    fn every_problem_is_reported_not_just_the_first() {
        let cat = catalog(&[("10.2.0", false)]);
        let problems = plan_path(&path("10.1.9", &["10.2.7", "11.1.0"]), &cat).unwrap_err();
        let kinds: Vec<_> = problems.iter().map(|p| (&p.kind, p.hop_index)).collect();
        assert!(kinds.contains(&(&PathProblemKind::NotInCatalog, Some(0))));
        assert!(kinds.contains(&(&PathProblemKind::NotInCatalog, Some(1))));
        assert!(problems.iter().any(|p| matches!(
            p.kind,
            PathProblemKind::BaseImageUnknown { .. }
        ) && p.hop_index == Some(1)));
    }

    #[test]
    fn suggests_one_hop_per_feature_release_crossed() {
        let cat = catalog(&[
            ("10.2.0", false),
            ("10.2.10", false),
            ("10.2.10-h2", false),
            ("11.0.0", false),
            ("11.0.4", false),
            ("11.0.5-b1", false),
            ("11.1.0", false),
            ("11.1.6", false),
        ]);
        let suggested = suggest_path(&v("10.1.9"), &v("11.1.6"), &cat).unwrap();
        assert_eq!(
            suggested.hops,
            vec![v("10.2.10-h2"), v("11.0.4"), v("11.1.6")]
        );
        let plans = plan_path(&suggested, &cat).unwrap();
        assert_eq!(plans[1].base_image, Some(v("11.0.0")));

        let err = suggest_path(&v("11.1.6"), &v("11.0.4"), &cat).unwrap_err();
        assert_eq!(err[0].kind, PathProblemKind::NotNewer);

        let thin = catalog(&[("11.1.6", false)]);
        let err = suggest_path(&v("10.1.9"), &v("11.1.6"), &thin).unwrap_err();
        assert!(err.iter().any(|p| p.message.contains("10.2")));
    }

    proptest::proptest! {
        /// A suggested path over a catalog with every feature release always passes the plan
        /// check, and never skips a feature release.
        #[test]
        fn suggested_paths_always_plan(from_idx in 0usize..10, span in 1usize..6, patch in 0u16..5) {
            let frs = KNOWN_FEATURE_RELEASES;
            let to_idx = (from_idx + span).min(frs.len() - 1);
            proptest::prop_assume!(to_idx > from_idx);
            let mut entries = Vec::new();
            for &(ma, mi) in frs {
                entries.push(format!("{ma}.{mi}.0"));
                entries.push(format!("{ma}.{mi}.{}", patch + 1));
            }
            let refs: Vec<(&str, bool)> = entries.iter().map(|e| (e.as_str(), false)).collect();
            let cat = catalog(&refs);
            let (fma, fmi) = frs[from_idx];
            let (tma, tmi) = frs[to_idx];
            let from = SoftwareVersion::new(fma, fmi, 0);
            let target = SoftwareVersion::new(tma, tmi, patch + 1);
            let suggested = suggest_path(&from, &target, &cat).unwrap();
            proptest::prop_assert_eq!(suggested.hops.len(), to_idx - from_idx);
            proptest::prop_assert!(plan_path(&suggested, &cat).is_ok());
        }
    }
}
