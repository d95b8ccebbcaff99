//! The software catalog: PAN-OS versions the simulated update server offers (size, release date,
//! base image of each feature release), the simulator's own version ordering, and the platform
//! table (model → family, image filename prefix, session capacity).
//!
//! The simulator parses versions itself on purpose: it never shares code with the client.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A PAN-OS version as the simulator understands it: `10.2.9`, `10.2.9-h1`, `9.1.0-c100`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PanVersion {
    /// Major (10 in 10.2.9).
    pub major: u32,
    /// Minor (2 in 10.2.9).
    pub minor: u32,
    /// Maintenance (9 in 10.2.9).
    pub patch: u32,
    /// Hotfix or other suffix number (`-h1` → 1), 0 when absent.
    pub hotfix: u32,
    /// The suffix letter (`h`, `c`, `b`), when present.
    pub suffix: Option<char>,
}

impl PanVersion {
    /// Parses `X.Y.Z` with an optional `-hN`/`-cN`/`-bN` suffix.
    pub fn parse(s: &str) -> Option<PanVersion> {
        let (main, suffix) = match s.split_once('-') {
            Some((m, sfx)) => (m, Some(sfx)),
            None => (s, None),
        };
        let mut parts = main.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = parts.next()?.parse().ok()?;
        if parts.next().is_some() {
            return None;
        }
        let (suffix, hotfix) = match suffix {
            None => (None, 0),
            Some(sfx) => {
                let mut chars = sfx.chars();
                let letter = chars.next()?;
                if !letter.is_ascii_lowercase() {
                    return None;
                }
                (Some(letter), chars.as_str().parse().ok()?)
            }
        };
        Some(PanVersion {
            major,
            minor,
            patch,
            hotfix,
            suffix,
        })
    }

    /// The feature release, `10.2` for `10.2.9-h1`.
    pub fn feature(&self) -> (u32, u32) {
        (self.major, self.minor)
    }
}

impl fmt::Display for PanVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(letter) = self.suffix {
            write!(f, "-{letter}{}", self.hotfix)?;
        }
        Ok(())
    }
}

impl Ord for PanVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch, self.hotfix)
            .cmp(&(other.major, other.minor, other.patch, other.hotfix))
            .then_with(|| self.suffix.cmp(&other.suffix))
    }
}

impl PartialOrd for PanVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// One version offered by the update server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogEntry {
    /// The version string, e.g. `11.1.2-h3`.
    pub version: String,
    /// Image size in MB (the `<size>` field; `size-kb` is derived).
    pub size_mb: u32,
    /// Release date, `YYYY/MM/DD HH:MM:SS`.
    pub released_on: String,
    /// The base image this version needs when installed from another feature release.
    /// Absent: `X.Y.0` of its feature release. 12.1's base is 12.1.2, so never assume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_image: Option<String>,
}

/// The versions offered to every firewall, newest first within each feature release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Catalog {
    /// The entries in the order `request system software check` lists them.
    pub entries: Vec<CatalogEntry>,
}

impl Catalog {
    /// The entry for `version`.
    pub fn get(&self, version: &str) -> Option<&CatalogEntry> {
        self.entries.iter().find(|e| e.version == version)
    }

    /// The base image `version` needs when coming from another feature release: its entry's
    /// `base_image`, else the lowest `X.Y.Z` (no suffix) of the same feature release listed.
    pub fn base_image_of(&self, version: &str) -> Option<String> {
        let entry = self.get(version)?;
        if let Some(base) = &entry.base_image {
            return Some(base.clone());
        }
        let v = PanVersion::parse(version)?;
        self.entries
            .iter()
            .filter_map(|e| PanVersion::parse(&e.version))
            .filter(|e| e.feature() == v.feature() && e.suffix.is_none())
            .min()
            .map(|e| e.to_string())
    }

    /// The newest version listed.
    pub fn latest(&self) -> Option<&str> {
        self.entries
            .iter()
            .filter_map(|e| PanVersion::parse(&e.version).map(|v| (v, e)))
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, e)| e.version.as_str())
    }

    /// The built-in catalog: 10.1 through 12.1 with maintenance releases and hotfixes.
    /// 12.1's base image is 12.1.2 (there is no 12.1.0 or 12.1.1 in the list).
    pub fn builtin() -> Catalog {
        // (feature, maintenance releases with hotfix counts, base size MB, first release date)
        /// (feature, maintenance releases with hotfix counts, base size MB, first release).
        type Train = (&'static str, &'static [(u32, u32)], u32, (u32, u32));
        const TRAINS: &[Train] = &[
            (
                "10.1",
                &[
                    (0, 0),
                    (3, 0),
                    (6, 2),
                    (9, 1),
                    (10, 0),
                    (11, 3),
                    (13, 0),
                    (14, 1),
                ],
                880,
                (2021, 5),
            ),
            (
                "10.2",
                &[
                    (0, 0),
                    (3, 0),
                    (4, 1),
                    (7, 2),
                    (8, 0),
                    (9, 1),
                    (10, 2),
                    (11, 0),
                    (13, 1),
                ],
                930,
                (2022, 3),
            ),
            (
                "11.0",
                &[(0, 0), (1, 0), (2, 3), (3, 2), (4, 1), (6, 0)],
                1037,
                (2022, 11),
            ),
            (
                "11.1",
                &[(0, 0), (1, 0), (2, 3), (3, 0), (4, 2), (5, 1), (6, 0)],
                1120,
                (2023, 11),
            ),
            (
                "11.2",
                &[(0, 0), (2, 1), (3, 0), (4, 2), (5, 0)],
                1190,
                (2024, 5),
            ),
            ("12.1", &[(2, 0), (3, 0)], 1260, (2025, 3)),
        ];
        let mut entries = Vec::new();
        for (train, releases, base_size, (year, month)) in TRAINS.iter().rev() {
            let mut train_entries = Vec::new();
            for (n, (patch, hotfixes)) in releases.iter().enumerate() {
                let months = n as u32 * 2;
                let (y, m) = (
                    year + (month - 1 + months) / 12,
                    (month - 1 + months) % 12 + 1,
                );
                let size = if n == 0 {
                    *base_size
                } else {
                    base_size / 2 + patch * 3
                };
                let date = |day: u32, hh: u32| {
                    format!(
                        "{y:04}/{m:02}/{day:02} {hh:02}:{:02}:{:02}",
                        (patch * 7) % 60,
                        (patch * 13) % 60
                    )
                };
                train_entries.push(CatalogEntry {
                    version: format!("{train}.{patch}"),
                    size_mb: size,
                    released_on: date(10 + patch % 15, 9 + patch % 8),
                    base_image: None,
                });
                for h in 1..=*hotfixes {
                    train_entries.push(CatalogEntry {
                        version: format!("{train}.{patch}-h{h}"),
                        size_mb: size + h,
                        released_on: date(12 + patch % 15 + h, 14),
                        base_image: None,
                    });
                }
            }
            train_entries.reverse();
            entries.extend(train_entries);
        }
        Catalog { entries }
    }
}

/// What the simulator knows about a hardware or VM platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Platform {
    /// Model name, e.g. `PA-3220`.
    pub model: &'static str,
    /// `<family>` in system info, e.g. `3200`.
    pub family: &'static str,
    /// Image filename prefix, e.g. `PanOS_3200`.
    pub image_prefix: &'static str,
    /// `num-max` in session info.
    pub max_sessions: u32,
    /// ARP table capacity (`<max>` in `show arp`).
    pub max_arp: u32,
    /// `/opt/panrepo` size in GB.
    pub panrepo_gb: u32,
}

/// The platforms the simulator knows; unknown models render as PA-VM-like.
pub const PLATFORMS: &[Platform] = &[
    Platform {
        model: "PA-VM",
        family: "vm",
        image_prefix: "PanOS_vm",
        max_sessions: 256_000,
        max_arp: 2500,
        panrepo_gb: 16,
    },
    Platform {
        model: "PA-440",
        family: "400",
        image_prefix: "PanOS_400",
        max_sessions: 64_000,
        max_arp: 1500,
        panrepo_gb: 8,
    },
    Platform {
        model: "PA-1410",
        family: "1400",
        image_prefix: "PanOS_1400",
        max_sessions: 384_000,
        max_arp: 3000,
        panrepo_gb: 16,
    },
    Platform {
        model: "PA-3220",
        family: "3200",
        image_prefix: "PanOS_3200",
        max_sessions: 1_000_000,
        max_arp: 3000,
        panrepo_gb: 23,
    },
    Platform {
        model: "PA-5250",
        family: "5200",
        image_prefix: "PanOS_5200",
        max_sessions: 4_000_000,
        max_arp: 32_000,
        panrepo_gb: 23,
    },
];

/// The platform of `model` (PA-VM's when unknown).
pub fn platform(model: &str) -> Platform {
    PLATFORMS
        .iter()
        .copied()
        .find(|p| p.model == model)
        .unwrap_or(Platform {
            model: "PA-VM",
            ..PLATFORMS[0]
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order() {
        let v = PanVersion::parse("10.2.9-h1").unwrap();
        assert_eq!(
            (v.major, v.minor, v.patch, v.hotfix, v.suffix),
            (10, 2, 9, 1, Some('h'))
        );
        assert_eq!(v.to_string(), "10.2.9-h1");
        assert!(PanVersion::parse("10.2.9").unwrap() < v);
        assert!(PanVersion::parse("10.2.10").unwrap() > v);
        assert_eq!(PanVersion::parse("9.1.0-c100").unwrap().hotfix, 100);
        assert!(PanVersion::parse("10.2").is_none());
        assert!(PanVersion::parse("10.2.x").is_none());
    }

    #[test]
    fn builtin_catalog_has_a_12_1_base_that_is_not_x_y_0() {
        let c = Catalog::builtin();
        assert!(c.get("12.1.0").is_none());
        assert_eq!(c.base_image_of("12.1.3").as_deref(), Some("12.1.2"));
        assert_eq!(c.base_image_of("11.1.4-h2").as_deref(), Some("11.1.0"));
        assert_eq!(c.latest(), Some("12.1.3"));
        assert!(c.entries.len() > 50);
        for e in &c.entries {
            assert!(PanVersion::parse(&e.version).is_some(), "{}", e.version);
        }
    }
}
