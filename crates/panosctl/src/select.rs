//! Which jobs a `job submit` makes: devices picked by serial, HA pair, list file or the whole
//! inventory (`status/devices/`), filtered by version or model, grouped so that both members
//! of an HA pair always go in one `ha_pair` job and never in two standalone ones.

use std::collections::{BTreeMap, BTreeSet};

use panos_queue::{DeviceStatus, Serial, Version};

use crate::error::{CtlError, Result, parse_serial};

/// One job to submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Planned {
    /// A standalone firewall.
    Standalone(Serial),
    /// An HA pair (sorted).
    Pair(Serial, Serial),
}

impl Planned {
    /// The serials of the job.
    pub fn serials(&self) -> Vec<Serial> {
        match self {
            Self::Standalone(s) => vec![s.clone()],
            Self::Pair(a, b) => vec![a.clone(), b.clone()],
        }
    }
}

/// What to pick.
#[derive(Debug, Default)]
pub struct Filter {
    /// Only devices on this version.
    pub current_version: Option<Version>,
    /// Only devices of this model (case-insensitive).
    pub model: Option<String>,
}

impl Filter {
    fn matches(&self, status: Option<&DeviceStatus>) -> bool {
        let version_ok = self
            .current_version
            .as_ref()
            .is_none_or(|want| status.and_then(|s| s.current_version.as_ref()) == Some(want));
        let model_ok = self.model.as_ref().is_none_or(|want| {
            status
                .and_then(|s| s.model.as_deref())
                .is_some_and(|m| m.eq_ignore_ascii_case(want))
        });
        version_ok && model_ok
    }

    fn is_empty(&self) -> bool {
        self.current_version.is_none() && self.model.is_none()
    }
}

/// The inventory by serial.
pub type Inventory = BTreeMap<Serial, DeviceStatus>;

/// The HA peer the inventory names for `serial`, when it knows the peer too.
fn peer_of(inventory: &Inventory, serial: &Serial) -> Option<Serial> {
    inventory
        .get(serial)?
        .ha_peer
        .clone()
        .filter(|p| p != serial && inventory.contains_key(p))
}

fn known(inventory: &Inventory, serial: &Serial) -> Result<()> {
    if inventory.is_empty() || inventory.contains_key(serial) {
        Ok(())
    } else {
        Err(CtlError::NotFound(format!(
            "unknown serial {serial}: it is not in the inventory (status/devices/); check it \
             with `panosctl device list`"
        )))
    }
}

/// One standalone device: refused when the inventory says it is an HA member.
pub fn single(inventory: &Inventory, serial: &str) -> Result<Planned> {
    let serial = parse_serial(serial)?;
    known(inventory, &serial)?;
    if let Some(peer) = peer_of(inventory, &serial) {
        return Err(CtlError::Usage(format!(
            "{serial} is a member of an HA pair with {peer}: submit both together with \
             `--ha-pair {serial} {peer}` (never upgrade one member alone)"
        )));
    }
    Ok(Planned::Standalone(serial))
}

/// An HA pair: two different serials, peers of each other when the inventory knows.
pub fn pair(inventory: &Inventory, a: &str, b: &str) -> Result<Planned> {
    let (a, b) = (parse_serial(a)?, parse_serial(b)?);
    if a == b {
        return Err(CtlError::Usage(format!(
            "--ha-pair needs two different serials, got {a} twice"
        )));
    }
    known(inventory, &a)?;
    known(inventory, &b)?;
    for (x, y) in [(&a, &b), (&b, &a)] {
        if let Some(peer) = inventory.get(x).and_then(|s| s.ha_peer.as_ref())
            && peer != y
        {
            return Err(CtlError::Usage(format!(
                "{x}'s HA peer is {peer}, not {y}: check the serials with `panosctl device list`"
            )));
        }
    }
    Ok(sorted_pair(a, b))
}

fn sorted_pair(a: Serial, b: Serial) -> Planned {
    if a <= b {
        Planned::Pair(a, b)
    } else {
        Planned::Pair(b, a)
    }
}

/// Many devices (`None`: the whole inventory), filtered, with HA members grouped into pairs.
/// Devices in a running job are left out. Returns the jobs and notes for the operator.
pub fn many(
    inventory: &Inventory,
    listed: Option<Vec<Vec<Serial>>>,
    filter: &Filter,
) -> Result<(Vec<Planned>, Vec<String>)> {
    let mut notes = Vec::new();
    let groups: Vec<Vec<Serial>> = match listed {
        Some(groups) => groups,
        None => {
            if inventory.is_empty() {
                return Err(CtlError::NotFound(
                    "the inventory (status/devices/) is empty: start panosd so it reads the \
                     devices from Panorama, or name the devices"
                        .to_owned(),
                ));
            }
            inventory.keys().map(|s| vec![s.clone()]).collect()
        }
    };
    let mut seen = BTreeSet::new();
    let mut jobs = Vec::new();
    let mut busy = 0;
    for group in groups {
        let planned = match group.as_slice() {
            [serial] => {
                known(inventory, serial)?;
                match peer_of(inventory, serial) {
                    Some(peer) => sorted_pair(serial.clone(), peer),
                    None => Planned::Standalone(serial.clone()),
                }
            }
            [a, b] => pair(inventory, a.as_str(), b.as_str())?,
            _ => continue,
        };
        let serials = planned.serials();
        if serials.iter().any(|s| seen.contains(s)) {
            continue;
        }
        if !serials.iter().any(|s| filter.matches(inventory.get(s))) {
            continue;
        }
        seen.extend(serials.iter().cloned());
        if serials
            .iter()
            .any(|s| inventory.get(s).is_some_and(|d| d.state.is_busy()))
        {
            busy += serials.len();
            continue;
        }
        if !filter.is_empty()
            && let Planned::Pair(a, b) = &planned
            && !(filter.matches(inventory.get(a)) && filter.matches(inventory.get(b)))
        {
            notes.push(format!(
                "HA pair {a} + {b}: only one member matches the filter; both are upgraded \
                 together"
            ));
        }
        jobs.push(planned);
    }
    if busy > 0 {
        notes.push(format!(
            "{busy} device(s) left out: already in a running or queued job"
        ));
    }
    if jobs.is_empty() {
        return Err(CtlError::NotFound(
            "no device matches: check the filters against `panosctl device list`".to_owned(),
        ));
    }
    Ok((jobs, notes))
}

/// Parses a device list file: one serial per line, or two on a line for an HA pair; `#`
/// starts a comment.
pub fn parse_list(text: &str) -> Result<Vec<Vec<Serial>>> {
    let mut groups = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| !w.is_empty())
            .collect();
        if words.len() > 2 {
            return Err(CtlError::Usage(format!(
                "line {}: one serial, or two for an HA pair, per line",
                n + 1
            )));
        }
        let group = words
            .iter()
            .map(|w| parse_serial(w).map_err(|e| CtlError::Usage(format!("line {}: {e}", n + 1))))
            .collect::<Result<Vec<_>>>()?;
        groups.push(group);
    }
    if groups.is_empty() {
        return Err(CtlError::Usage(
            "the device list file names no serial".to_owned(),
        ));
    }
    Ok(groups)
}
