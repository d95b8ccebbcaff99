//! Panorama's admin credentials and the API key derived from them. The key is a deterministic
//! function of user and password (like a real key, which encrypts the credentials), so a
//! password change invalidates old keys and the same credentials always give the same key.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// An admin user and password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// User name.
    pub user: String,
    /// Password.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials::new("admin", "admin")
    }
}

impl Credentials {
    /// `user` with `password`.
    pub fn new(user: &str, password: &str) -> Self {
        Credentials {
            user: user.to_string(),
            password: password.to_string(),
        }
    }

    /// Parses `USER:PASS` (the password may contain `:`).
    pub fn parse(s: &str) -> Option<Credentials> {
        let (user, password) = s.split_once(':')?;
        (!user.is_empty()).then(|| Credentials::new(user, password))
    }

    /// The API key `type=keygen` returns for these credentials (`LUFRPT…==`).
    pub fn api_key(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"panos-sim api key\0");
        hasher.update(self.user.as_bytes());
        hasher.update([0]);
        hasher.update(self.password.as_bytes());
        let first = hasher.finalize();
        let second = Sha256::digest(first);
        // Shaped like a real key: base64 of `-AQ==` + base64(…) + `=` + base64(…).
        let inner = format!("-AQ=={}={}", base64(&first[..21]), base64(&second[..25]));
        base64(inner.as_bytes())
    }

    /// True when an `Authorization: Basic …` header value carries these credentials.
    pub fn matches_basic(&self, header: &str) -> bool {
        let Some(encoded) = header.strip_prefix("Basic ").map(str::trim) else {
            return false;
        };
        let Some(decoded) = unbase64(encoded) else {
            return false;
        };
        let expected = format!("{}:{}", self.user, self.password);
        decoded == expected.as_bytes()
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64 (padding optional); `None` when invalid.
pub fn unbase64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_deterministic_and_look_real() {
        let a = Credentials::default().api_key();
        assert_eq!(a, Credentials::new("admin", "admin").api_key());
        assert!(a.starts_with("LUFRPT"), "{a}");
        assert!(a.ends_with('='), "{a}");
        assert_ne!(a, Credentials::new("admin", "other").api_key());
    }

    #[test]
    fn base64_round_trips_and_basic_auth_matches() {
        for data in [&b""[..], b"a", b"ab", b"abc", b"admin:admin"] {
            assert_eq!(unbase64(&base64(data)).unwrap(), data);
        }
        assert_eq!(base64(b"admin:admin"), "YWRtaW46YWRtaW4=");
        assert!(Credentials::default().matches_basic("Basic YWRtaW46YWRtaW4="));
        assert!(!Credentials::default().matches_basic("Basic YWRtaW46eA=="));
        assert_eq!(
            Credentials::parse("ops:a:b"),
            Some(Credentials::new("ops", "a:b"))
        );
    }
}
