//! Newtypes for the identifiers and versions that cross the API: [`Serial`], [`SoftwareVersion`],
//! [`FeatureRelease`] and [`JobId`].
//!
//! Every value that is later interpolated into a request is parsed here first, so a bad serial
//! or version is refused before anything is sent.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value that failed to parse as one of this module's types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} {value:?}: {reason}")]
pub struct ParseError {
    /// What was being parsed (`serial`, `software version`, `job id`).
    pub what: &'static str,
    /// The rejected input, truncated to 64 characters.
    pub value: String,
    /// Why it was rejected and what a valid value looks like.
    pub reason: &'static str,
}

impl ParseError {
    fn new(what: &'static str, value: &str, reason: &'static str) -> Self {
        Self {
            what,
            value: value.chars().take(64).collect(),
            reason,
        }
    }
}

/// A device serial number, as Panorama reports it (`007951000123456`, `0001C100123`).
///
/// Serials are 1–32 ASCII letters and digits; anything else is refused, so a serial can be put
/// into a `target=` parameter or a file name without escaping.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Serial(String);

impl Serial {
    /// The serial as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Serial {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const WHY: &str = "a serial is 1 to 32 ASCII letters and digits, e.g. 007951000123456";
        if s.is_empty() || s.len() > 32 || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ParseError::new("serial", s, WHY));
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The kind of build a version names, after `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BuildKind {
    /// `-bN`: a pre-release (beta) build; sorts before the release.
    Beta(u32),
    /// No suffix: the maintenance release itself.
    Release,
    /// `-cN`: a numbered post-release build.
    Custom(u32),
    /// `-hN`: a hotfix of the maintenance release.
    Hotfix(u32),
}

/// A PAN-OS software version: `11.1.2`, `10.2.9-h1`, `9.1.0-c100`, `9.0.0-b36`, `9.0.9-h1.xfr`.
///
/// Ordering is by major, minor, patch, then build kind (beta < release < `-c` < hotfix, each by
/// number), then the `.xfr` flag. Display gives back the canonical text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SoftwareVersion {
    major: u16,
    minor: u16,
    patch: u16,
    build: BuildKind,
    xfr: bool,
}

impl SoftwareVersion {
    /// Builds a release version `major.minor.patch`.
    pub fn new(major: u16, minor: u16, patch: u16) -> Self {
        Self {
            major,
            minor,
            patch,
            build: BuildKind::Release,
            xfr: false,
        }
    }

    /// The same version with another build kind (`-hN`, `-cN`, `-bN`).
    pub fn with_build(mut self, build: BuildKind) -> Self {
        self.build = build;
        self
    }

    /// Major number (`10` in `10.2.9-h1`).
    pub fn major(&self) -> u16 {
        self.major
    }

    /// Minor number (`2` in `10.2.9-h1`).
    pub fn minor(&self) -> u16 {
        self.minor
    }

    /// Maintenance number (`9` in `10.2.9-h1`).
    pub fn patch(&self) -> u16 {
        self.patch
    }

    /// The build kind after the maintenance number.
    pub fn build(&self) -> BuildKind {
        self.build
    }

    /// Whether the version carries the `.xfr` tail.
    pub fn is_xfr(&self) -> bool {
        self.xfr
    }

    /// The feature release this version belongs to (`10.2` for `10.2.9-h1`).
    pub fn feature_release(&self) -> FeatureRelease {
        FeatureRelease {
            major: self.major,
            minor: self.minor,
        }
    }
}

impl FromStr for SoftwareVersion {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const WHY: &str = "expected MAJOR.MINOR.PATCH with an optional -hN, -cN or -bN and an \
                           optional .xfr, e.g. 10.2.9-h1 or 11.1.2";
        let err = || ParseError::new("software version", s, WHY);
        let (body, xfr) = match s.strip_suffix(".xfr") {
            Some(body) => (body, true),
            None => (s, false),
        };
        let (numbers, suffix) = match body.split_once('-') {
            Some((numbers, suffix)) => (numbers, Some(suffix)),
            None => (body, None),
        };
        let mut parts = numbers.split('.');
        let mut number = || -> Result<u16, ParseError> {
            let part = parts.next().ok_or_else(err)?;
            if part.is_empty() || part.len() > 4 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            part.parse().map_err(|_| err())
        };
        let (major, minor, patch) = (number()?, number()?, number()?);
        if parts.next().is_some() {
            return Err(err());
        }
        let build = match suffix {
            None => BuildKind::Release,
            Some(suffix) => {
                let (kind, digits) = suffix.split_at_checked(1).ok_or_else(err)?;
                if digits.is_empty()
                    || digits.len() > 6
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(err());
                }
                let n: u32 = digits.parse().map_err(|_| err())?;
                match kind {
                    "h" => BuildKind::Hotfix(n),
                    "c" => BuildKind::Custom(n),
                    "b" => BuildKind::Beta(n),
                    _ => return Err(err()),
                }
            }
        };
        Ok(Self {
            major,
            minor,
            patch,
            build,
            xfr,
        })
    }
}

impl fmt::Display for SoftwareVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        match self.build {
            BuildKind::Release => {}
            BuildKind::Hotfix(n) => write!(f, "-h{n}")?,
            BuildKind::Custom(n) => write!(f, "-c{n}")?,
            BuildKind::Beta(n) => write!(f, "-b{n}")?,
        }
        if self.xfr {
            f.write_str(".xfr")?;
        }
        Ok(())
    }
}

impl Ord for SoftwareVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch, self.build, self.xfr).cmp(&(
            other.major,
            other.minor,
            other.patch,
            other.build,
            other.xfr,
        ))
    }
}

impl PartialOrd for SoftwareVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A feature release, `MAJOR.MINOR` (`10.2`, `11.1`). Upgrades must not skip one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FeatureRelease {
    /// Major number.
    pub major: u16,
    /// Minor number.
    pub minor: u16,
}

impl FromStr for FeatureRelease {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const WHY: &str = "expected MAJOR.MINOR, e.g. 10.2";
        let err = || ParseError::new("feature release", s, WHY);
        let (major, minor) = s.split_once('.').ok_or_else(err)?;
        let num = |p: &str| -> Result<u16, ParseError> {
            if p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            p.parse().map_err(|_| err())
        };
        Ok(Self {
            major: num(major)?,
            minor: num(minor)?,
        })
    }
}

impl fmt::Display for FeatureRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A PAN-OS job id (`show jobs id N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(pub u64);

impl FromStr for JobId {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const WHY: &str = "a job id is a positive whole number";
        let t = s.trim();
        if t.is_empty() || t.len() > 19 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::new("job id", s, WHY));
        }
        t.parse()
            .map(JobId)
            .map_err(|_| ParseError::new("job id", s, WHY))
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

macro_rules! serde_via_str {
    ($($ty:ty),*) => {$(
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}

serde_via_str!(Serial, SoftwareVersion, FeatureRelease);

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> SoftwareVersion {
        s.parse().unwrap()
    }

    #[test]
    fn parses_the_forms_seen_on_real_devices() {
        for s in [
            "11.1.2",
            "10.2.9-h1",
            "9.1.0-c100",
            "9.0.0-b36",
            "9.0.9.xfr",
            "9.0.9-h1.xfr",
            "10.2.11-h12",
        ] {
            assert_eq!(v(s).to_string(), s, "round trip of {s}");
        }
        assert_eq!(v("10.2.9-h1").build(), BuildKind::Hotfix(1));
        assert_eq!(v("10.2.9-h1").feature_release().to_string(), "10.2");
    }

    #[test]
    fn rejects_what_is_not_a_version() {
        for s in [
            "",
            "10",
            "10.2",
            "10.2.x",
            "10.2.9-",
            "10.2.9-h",
            "10.2.9-x1",
            "10.2.9.1",
            " 10.2.9",
            "10.2.9-h1;",
            "<a/>",
            "1.2.3-h-1",
        ] {
            assert!(
                s.parse::<SoftwareVersion>().is_err(),
                "{s:?} must be refused"
            );
        }
    }

    #[test]
    fn orders_hotfixes_after_release_and_betas_before() {
        let mut list: Vec<_> = [
            "10.2.9-h1",
            "9.1.13-h3",
            "10.2.9",
            "9.1.13",
            "10.2.10",
            "10.2.9-b2",
            "11.0.0",
            "10.2.9-h10",
        ]
        .into_iter()
        .map(v)
        .collect();
        list.sort();
        let text: Vec<String> = list.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "9.1.13",
                "9.1.13-h3",
                "10.2.9-b2",
                "10.2.9",
                "10.2.9-h1",
                "10.2.9-h10",
                "10.2.10",
                "11.0.0"
            ]
        );
    }

    #[test]
    fn serials_are_strict() {
        assert!("007951000123456".parse::<Serial>().is_ok());
        for bad in ["", "0079 51", "00795&target=x", "a".repeat(33).as_str()] {
            assert!(bad.parse::<Serial>().is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn serde_uses_the_text_form() {
        let json = serde_json::to_string(&v("10.2.9-h1")).unwrap();
        assert_eq!(json, "\"10.2.9-h1\"");
        let back: SoftwareVersion = serde_json::from_str(&json).unwrap();
        assert_eq!(back, v("10.2.9-h1"));
        assert!(serde_json::from_str::<SoftwareVersion>("\"10.x\"").is_err());
    }

    proptest::proptest! {
        #[test]
        fn version_text_round_trips(major in 0u16..100, minor in 0u16..20, patch in 0u16..50,
                                    kind in 0u8..4, n in 0u32..1000, xfr in proptest::bool::ANY) {
            let build = match kind {
                0 => BuildKind::Release,
                1 => BuildKind::Hotfix(n),
                2 => BuildKind::Custom(n),
                _ => BuildKind::Beta(n),
            };
            let mut version = SoftwareVersion::new(major, minor, patch).with_build(build);
            version.xfr = xfr;
            let text = version.to_string();
            let back: SoftwareVersion = text.parse().unwrap();
            proptest::prop_assert_eq!(&back, &version);
            proptest::prop_assert_eq!(back.cmp(&version), Ordering::Equal);
        }

        #[test]
        fn version_order_matches_numeric_order(a in (0u16..30, 0u16..10, 0u16..30, 0u32..20),
                                               b in (0u16..30, 0u16..10, 0u16..30, 0u32..20)) {
            let va = SoftwareVersion::new(a.0, a.1, a.2).with_build(BuildKind::Hotfix(a.3));
            let vb = SoftwareVersion::new(b.0, b.1, b.2).with_build(BuildKind::Hotfix(b.3));
            proptest::prop_assert_eq!(va.cmp(&vb), a.cmp(&b));
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,40}") {
            let _ = s.parse::<SoftwareVersion>();
            let _ = s.parse::<Serial>();
            let _ = s.parse::<JobId>();
            let _ = s.parse::<FeatureRelease>();
        }
    }
}
