//! Validated identifiers that appear in protocol files and file names: [`SchemaVersion`],
//! [`Serial`], [`Version`], [`JobId`], [`CommandId`] and [`PairName`].
//!
//! They are checked when a file is read, so a bad value is refused at the edge with a reason.
//! They stay *text*: this crate does not know PAN-OS semantics (ordering versions, talking to
//! devices); the daemon parses them into `panos-client` types, which accept every value these
//! accept.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::error::QueueError;

/// The schema version this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// The `schema_version` field of every protocol file. Only [`SCHEMA_VERSION`] is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SchemaVersion;

impl SchemaVersion {
    /// The number written to files.
    pub fn get(self) -> u32 {
        SCHEMA_VERSION
    }

    /// Why `found` is not acceptable, or `None` when it is the current version.
    pub fn mismatch(found: u64) -> Option<String> {
        if found == u64::from(SCHEMA_VERSION) {
            return None;
        }
        Some(if found > u64::from(SCHEMA_VERSION) {
            format!(
                "schema_version {found} is newer than this daemon understands ({SCHEMA_VERSION}): \
                 upgrade panosd or write schema_version {SCHEMA_VERSION}"
            )
        } else {
            format!(
                "schema_version {found} is not supported: write schema_version {SCHEMA_VERSION}"
            )
        })
    }
}

impl Serialize for SchemaVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(SCHEMA_VERSION)
    }
}

impl<'de> Deserialize<'de> for SchemaVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let found = u64::deserialize(d)?;
        match Self::mismatch(found) {
            None => Ok(Self),
            Some(reason) => Err(serde::de::Error::custom(reason)),
        }
    }
}

impl JsonSchema for SchemaVersion {
    fn schema_name() -> Cow<'static, str> {
        "SchemaVersion".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "The protocol's schema version; this daemon reads and writes 1.",
            "type": "integer",
            "const": SCHEMA_VERSION,
        })
    }
}

/// Implements Display, Serialize, Deserialize (through FromStr) and `as_str` for a text newtype.
macro_rules! text_newtype {
    ($ty:ident) => {
        impl $ty {
            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = Cow::<'de, str>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

fn invalid(what: &'static str, value: &str, reason: &'static str) -> QueueError {
    QueueError::InvalidName {
        what,
        value: value.chars().take(64).collect(),
        reason,
    }
}

/// A firewall serial number: 1–32 ASCII letters and digits (`007951000123456`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Serial(String);
text_newtype!(Serial);

/// The pattern of [`Serial`], for the JSON Schema.
pub const SERIAL_PATTERN: &str = "^[A-Za-z0-9]{1,32}$";

impl FromStr for Serial {
    type Err = QueueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || s.len() > 32 || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(invalid(
                "serial",
                s,
                "a serial is 1 to 32 ASCII letters and digits, e.g. 007951000123456",
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

impl JsonSchema for Serial {
    fn schema_name() -> Cow<'static, str> {
        "Serial".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A firewall serial number: 1 to 32 ASCII letters and digits.",
            "type": "string",
            "pattern": SERIAL_PATTERN,
        })
    }
}

/// A PAN-OS software version as text: `MAJOR.MINOR.PATCH`, an optional `-hN`, `-cN` or `-bN`,
/// an optional `.xfr` (`10.2.9-h1`, `11.1.2`, `9.1.0-c100`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(String);
text_newtype!(Version);

/// The pattern of [`Version`], for the JSON Schema.
pub const VERSION_PATTERN: &str =
    r"^[0-9]{1,4}\.[0-9]{1,4}\.[0-9]{1,4}(-[hcb][0-9]{1,6})?(\.xfr)?$";

impl FromStr for Version {
    type Err = QueueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            invalid(
                "software version",
                s,
                "expected MAJOR.MINOR.PATCH with an optional -hN, -cN or -bN and an optional \
                 .xfr, e.g. 10.2.9-h1 or 11.1.2",
            )
        };
        let digits = |part: &str, max: usize| {
            !part.is_empty() && part.len() <= max && part.bytes().all(|b| b.is_ascii_digit())
        };
        let body = s.strip_suffix(".xfr").unwrap_or(s);
        let (numbers, suffix) = match body.split_once('-') {
            Some((numbers, suffix)) => (numbers, Some(suffix)),
            None => (body, None),
        };
        let parts: Vec<&str> = numbers.split('.').collect();
        if parts.len() != 3 || !parts.iter().all(|p| digits(p, 4)) {
            return Err(bad());
        }
        if let Some(suffix) = suffix {
            let (kind, number) = suffix.split_at_checked(1).ok_or_else(bad)?;
            if !matches!(kind, "h" | "c" | "b") || !digits(number, 6) {
                return Err(bad());
            }
        }
        Ok(Self(s.to_owned()))
    }
}

impl JsonSchema for Version {
    fn schema_name() -> Cow<'static, str> {
        "Version".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A PAN-OS software version, e.g. 10.2.9-h1 or 11.1.2.",
            "type": "string",
            "pattern": VERSION_PATTERN,
        })
    }
}

/// The pattern of a canonical (lowercase, hyphenated) UUID, for the JSON Schema.
pub const UUID_PATTERN: &str = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

fn parse_uuid(what: &'static str, s: &str) -> Result<Uuid, QueueError> {
    const WHY: &str =
        "expected a lowercase hyphenated UUID, e.g. 0192f0a4-8d4e-7c1a-9b2e-3f4a5b6c7d8e";
    let uuid = Uuid::try_parse(s).map_err(|_| invalid(what, s, WHY))?;
    if uuid.hyphenated().to_string() != s {
        return Err(invalid(what, s, WHY));
    }
    Ok(uuid)
}

macro_rules! uuid_newtype {
    ($ty:ident, $what:literal, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $ty(Uuid);

        impl $ty {
            /// A new random (v4) id.
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }

            /// The UUID.
            pub fn uuid(&self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $ty {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl FromStr for $ty {
            type Err = QueueError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_uuid($what, s).map(Self)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = Cow::<'de, str>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }

        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                stringify!($ty).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "description": concat!("A ", $what, ": a lowercase hyphenated UUID."),
                    "type": "string",
                    "format": "uuid",
                    "pattern": UUID_PATTERN,
                })
            }
        }
    };
}

uuid_newtype!(
    JobId,
    "job id",
    "A job's id: a lowercase hyphenated UUID; the job file is named `<job_id>.json`."
);
uuid_newtype!(
    CommandId,
    "command id",
    "A command's id: a lowercase hyphenated UUID; the command file name ends with `_<command_id>.json`."
);

/// An HA pair's name, used as a file name: 1–96 of `A-Z a-z 0-9 . _ -`, not starting with `.`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PairName(String);
text_newtype!(PairName);

/// The pattern of [`PairName`], for the JSON Schema.
pub const PAIR_NAME_PATTERN: &str = "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,95}$";

impl FromStr for PairName {
    type Err = QueueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = !s.is_empty()
            && s.len() <= 96
            && !s.starts_with('.')
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !ok {
            return Err(invalid(
                "ha pair name",
                s,
                "1 to 96 letters, digits, '.', '_' or '-', not starting with '.'",
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

impl JsonSchema for PairName {
    fn schema_name() -> Cow<'static, str> {
        "PairName".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An HA pair's name (its status file name).",
            "type": "string",
            "pattern": PAIR_NAME_PATTERN,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_and_versions_are_checked() {
        assert!("007951000123456".parse::<Serial>().is_ok());
        for bad in ["", "../etc", "a b", &"9".repeat(33), "ünï"] {
            assert!(bad.parse::<Serial>().is_err(), "{bad:?}");
        }
        for good in [
            "10.2.9-h1",
            "11.1.2",
            "9.1.0-c100",
            "9.0.0-b36",
            "9.0.9-h1.xfr",
        ] {
            assert!(good.parse::<Version>().is_ok(), "{good}");
        }
        for bad in [
            "10.2",
            "10.2.x",
            "10.2.9-x1",
            "10.2.9-h",
            "v10.2.9",
            "10.2.9.1",
        ] {
            assert!(bad.parse::<Version>().is_err(), "{bad}");
        }
    }

    #[test]
    fn job_ids_must_be_canonical() {
        let id = "0192f0a4-8d4e-7c1a-9b2e-3f4a5b6c7d8e";
        assert_eq!(id.parse::<JobId>().unwrap().to_string(), id);
        assert!(id.to_uppercase().parse::<JobId>().is_err());
        assert!(id.replace('-', "").parse::<JobId>().is_err());
        assert!("../../etc/passwd".parse::<JobId>().is_err());
    }

    #[test]
    fn schema_version_refuses_other_numbers_with_a_reason() {
        assert!(serde_json::from_str::<SchemaVersion>("1").is_ok());
        let err = serde_json::from_str::<SchemaVersion>("2").unwrap_err();
        assert!(err.to_string().contains("newer"), "{err}");
        assert!(serde_json::from_str::<SchemaVersion>("0").is_err());
    }

    #[test]
    fn pair_names_are_safe_file_names() {
        assert!("dc1-edge".parse::<PairName>().is_ok());
        for bad in ["", ".hidden", "a/b", "..", &"a".repeat(97)] {
            assert!(bad.parse::<PairName>().is_err(), "{bad:?}");
        }
    }
}
