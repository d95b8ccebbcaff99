//! `show system disk-space`: `df -h` text inside `<result>`, plain or in CDATA.

use super::envelope::open;
use super::{Ctx, all_text};
use crate::error::ClientError;
use crate::model::{DiskSpace, Filesystem};

/// Parses the answer to `show system disk-space`.
///
/// # Errors
/// An envelope error, or [`ClientError::Decode`] when the text holds no filesystem line.
pub fn parse_disk_space(xml: &str) -> Result<DiskSpace, ClientError> {
    disk_space(&Ctx::new("show system disk-space"), xml)
}

pub(crate) fn disk_space(ctx: &Ctx<'_>, xml: &str) -> Result<DiskSpace, ClientError> {
    let response = open(ctx, xml)?;
    let text = response.result().map(all_text).unwrap_or_default();
    df(ctx, &text)
}

/// Parses `df -h` output (the text of `show system disk-space`'s result). Sizes with `K`, `M`,
/// `G`, `T`, `P` suffixes are powers of 1024, rounded to whole bytes. Lines that are not
/// filesystem lines are skipped; a device name alone on its line (as `df` wraps long names)
/// joins the next line.
///
/// # Errors
/// [`ClientError::Decode`] when no filesystem line is found.
pub fn parse_df_text(text: &str) -> Result<DiskSpace, ClientError> {
    df(&Ctx::new("show system disk-space"), text)
}

fn df(ctx: &Ctx<'_>, text: &str) -> Result<DiskSpace, ClientError> {
    let mut filesystems = Vec::new();
    let mut wrapped_device: Option<String> = None;
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() || fields[0] == "Filesystem" {
            continue;
        }
        let joined = wrapped_device
            .take()
            .and_then(|device| filesystem(&device, &fields));
        if let Some(fs) = joined.or_else(|| filesystem(fields[0], &fields[1..])) {
            filesystems.push(fs);
        } else if fields.len() == 1 {
            wrapped_device = Some(fields[0].to_owned());
        }
    }
    if filesystems.is_empty() {
        return Err(ctx.decode("no filesystem line in the disk-space text", text));
    }
    Ok(DiskSpace { filesystems })
}

/// One filesystem from its device and the `Size Used Avail Use% Mounted-on` fields.
fn filesystem(device: &str, fields: &[&str]) -> Option<Filesystem> {
    let [size, used, avail, percent, mount @ ..] = fields else {
        return None;
    };
    if mount.is_empty() {
        return None;
    }
    let use_percent = percent.strip_suffix('%')?.parse::<u8>().ok()?;
    Some(Filesystem {
        device: device.to_owned(),
        size_bytes: size_bytes(size)?,
        used_bytes: size_bytes(used)?,
        avail_bytes: size_bytes(avail)?,
        use_percent,
        mounted_on: mount.join(" "),
    })
}

/// `1.8T`, `4.1G`, `67M`, `1020K`, `0` (bytes) → bytes, rounded.
fn size_bytes(text: &str) -> Option<u64> {
    let (number, power) = match text.char_indices().last()? {
        (at, 'K' | 'k') => (&text[..at], 1),
        (at, 'M') => (&text[..at], 2),
        (at, 'G') => (&text[..at], 3),
        (at, 'T') => (&text[..at], 4),
        (at, 'P') => (&text[..at], 5),
        (_, c) if c.is_ascii_digit() => (text, 0),
        _ => return None,
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let bytes = (value * 1024f64.powi(power)).round();
    // Finite and in range (u64::MAX as f64 rounds up, so compare strictly).
    (bytes.is_finite() && bytes >= 0.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_powers_of_1024() {
        assert_eq!(size_bytes("0"), Some(0));
        assert_eq!(size_bytes("100K"), Some(102_400));
        assert_eq!(size_bytes("67M"), Some(67 * 1024 * 1024));
        assert_eq!(
            size_bytes("3.8G"),
            Some((3.8 * 1024f64.powi(3)).round() as u64)
        );
        assert_eq!(
            size_bytes("1.8T"),
            Some((1.8 * 1024f64.powi(4)).round() as u64)
        );
        for bad in ["", "G", "1.2X", "-1G", "1e3G", "∞"] {
            assert_eq!(size_bytes(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn wrapped_device_names_join_the_next_line() {
        let text = "Filesystem Size Used Avail Use% Mounted on\n\
                    /dev/mapper/very-long-name\n      10G 1.0G 9.0G 10% /opt/panrepo\n";
        let disk = parse_df_text(text).unwrap();
        assert_eq!(disk.filesystems.len(), 1);
        assert_eq!(disk.filesystems[0].device, "/dev/mapper/very-long-name");
        assert_eq!(disk.filesystems[0].mounted_on, "/opt/panrepo");
        assert!(parse_df_text("Filesystem Size Used Avail Use% Mounted on\n").is_err());
    }
}
