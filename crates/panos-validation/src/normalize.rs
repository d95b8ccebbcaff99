//! Normalisation of route and ARP tables into the sorted, comparable form a [`Snapshot`]
//! stores: ECMP entries grouped per router + destination, flags as a sorted letter set,
//! volatile fields (route age, ARP ttl) dropped, whitespace trimmed.
//!
//! The comparison relies on these invariants and re-establishes them ([`routes_in_order`],
//! [`arp_in_order`]) for snapshots that were edited or produced elsewhere, so the order of
//! entries never changes a report.
//!
//! [`Snapshot`]: crate::Snapshot

use std::borrow::Cow;

use panos_client::model::{ArpEntry, Route};

use crate::snapshot::{ArpRecord, RouteEntry, RoutePath};

/// Flag letters sorted and de-duplicated, joined by one space (`"A S   "` → `"A S"`,
/// `"A S E "` → `"A E S"`).
pub fn normalize_flags(flags: &str) -> String {
    let mut letters: Vec<&str> = flags.split_whitespace().collect();
    letters.sort_unstable();
    letters.dedup();
    letters.join(" ")
}

fn trimmed(text: String) -> String {
    if text.len() == text.trim().len() {
        text
    } else {
        text.trim().to_owned()
    }
}

fn non_empty(text: Option<String>) -> Option<String> {
    text.map(trimmed).filter(|t| !t.is_empty())
}

/// Groups the client's routes (one per next hop) into sorted [`RouteEntry`]s, one per
/// router + destination + table, with sorted, unique paths.
pub fn normalize_routes(routes: Vec<Route>) -> Vec<RouteEntry> {
    let entries = routes
        .into_iter()
        .map(|route| RouteEntry {
            router: trimmed(route.router),
            destination: trimmed(route.destination),
            table: non_empty(route.route_table).filter(|t| t != "unicast"),
            paths: vec![RoutePath {
                nexthop: trimmed(route.nexthop),
                interface: non_empty(route.interface),
                flags: normalize_flags(&route.flags),
                metric: route.metric,
            }],
        })
        .collect();
    group_routes(entries)
}

/// Sorts entries by key and merges the paths of entries with the same key.
fn group_routes(mut entries: Vec<RouteEntry>) -> Vec<RouteEntry> {
    for entry in &mut entries {
        if entry.paths.len() > 1 {
            entry.paths.sort_unstable();
        }
    }
    entries.sort_unstable_by(|a, b| a.key().cmp(&b.key()).then_with(|| a.paths.cmp(&b.paths)));
    let mut out: Vec<RouteEntry> = Vec::with_capacity(entries.len());
    for entry in entries {
        match out.last_mut() {
            Some(last) if last.key() == entry.key() => last.paths.extend(entry.paths),
            _ => out.push(entry),
        }
    }
    for entry in &mut out {
        if entry.paths.len() > 1 {
            entry.paths.sort_unstable();
            entry.paths.dedup();
        }
    }
    out
}

/// Whether `entries` already hold the snapshot invariants (strictly increasing keys, sorted
/// unique paths).
fn routes_normalized(entries: &[RouteEntry]) -> bool {
    entries.windows(2).all(|w| w[0].key() < w[1].key())
        && entries
            .iter()
            .all(|e| e.paths.windows(2).all(|p| p[0] < p[1]))
}

/// `entries` in snapshot order, borrowed when they already are (the normal case).
pub fn routes_in_order(entries: &[RouteEntry]) -> Cow<'_, [RouteEntry]> {
    if routes_normalized(entries) {
        Cow::Borrowed(entries)
    } else {
        Cow::Owned(group_routes(entries.to_vec()))
    }
}

/// Converts the client's ARP entries into sorted [`ArpRecord`]s (ttl and port dropped).
pub fn normalize_arp(entries: Vec<ArpEntry>) -> Vec<ArpRecord> {
    let mut records: Vec<ArpRecord> = entries
        .into_iter()
        .map(|entry| ArpRecord {
            interface: trimmed(entry.interface),
            ip: trimmed(entry.ip),
            mac: trimmed(entry.mac).to_ascii_lowercase(),
            status: trimmed(entry.status),
        })
        .collect();
    records.sort_unstable();
    records
}

/// `records` sorted, borrowed when they already are.
pub fn arp_in_order(records: &[ArpRecord]) -> Cow<'_, [ArpRecord]> {
    if records.windows(2).all(|w| w[0] <= w[1]) {
        Cow::Borrowed(records)
    } else {
        let mut owned = records.to_vec();
        owned.sort_unstable();
        Cow::Owned(owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(dest: &str, nexthop: &str, flags: &str) -> Route {
        Route {
            router: "default".into(),
            destination: dest.into(),
            nexthop: nexthop.into(),
            interface: Some("ethernet1/1".into()),
            metric: Some(10),
            flags: flags.into(),
            route_table: Some("unicast".into()),
            age_secs: Some(42),
        }
    }

    #[test]
    fn flags_are_a_sorted_letter_set() {
        assert_eq!(normalize_flags("A S   "), "A S");
        assert_eq!(normalize_flags(" A S E "), "A E S");
        assert_eq!(normalize_flags(""), "");
    }

    #[test]
    fn ecmp_entries_become_one_route_with_sorted_paths() {
        let routes = vec![
            route("0.0.0.0/0", "10.10.12.1", "A S E "),
            route("10.0.0.0/8", "10.0.0.1", "A S"),
            route("0.0.0.0/0", "10.10.11.1", "A S E "),
        ];
        let entries = normalize_routes(routes);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].destination, "0.0.0.0/0");
        assert_eq!(entries[0].nexthops(), ["10.10.11.1", "10.10.12.1"]);
        assert_eq!(entries[0].interfaces(), ["ethernet1/1"]);
        assert_eq!(entries[0].table, None, "unicast is the default table");
        assert_eq!(entries[0].paths[0].flags, "A E S");
    }

    #[test]
    fn unsorted_entries_are_reordered_for_comparison() {
        let mut entries = normalize_routes(vec![route("10.0.0.0/8", "1.1.1.1", "A S")]);
        entries.insert(
            0,
            normalize_routes(vec![route("9.0.0.0/8", "1.1.1.1", "A")])[0].clone(),
        );
        assert!(matches!(routes_in_order(&entries), Cow::Owned(_)));
        assert_eq!(routes_in_order(&entries)[0].destination, "10.0.0.0/8");
        let sorted = routes_in_order(&entries).into_owned();
        assert!(matches!(routes_in_order(&sorted), Cow::Borrowed(_)));
    }

    #[test]
    fn arp_drops_ttl_and_trims_status() {
        let records = normalize_arp(vec![ArpEntry {
            interface: "ethernet1/1".into(),
            ip: "1.1.1.1".into(),
            mac: "00:66:4B:DA:CE:61".into(),
            status: "  c  ".into(),
            port: Some("ethernet1/1".into()),
            ttl_secs: Some(1778),
        }]);
        assert_eq!(records[0].status, "c");
        assert_eq!(records[0].mac, "00:66:4b:da:ce:61");
    }
}
