//! The table differences: one linear merge over two sorted tables ([`diff_routes`],
//! [`diff_arp`]). Sorting is established by [`crate::normalize`], so entry order never
//! changes the result; only differing entries are cloned.

use std::cmp::Ordering;

use crate::compare::report::{ArpChange, ArpDiff, RouteChange, RouteDiff, RouteField};
use crate::normalize::{arp_in_order, routes_in_order};
use crate::snapshot::{ArpRecord, RouteEntry, RoutePath};

/// Walks two sorted slices group by group (a group = consecutive items with equal keys) and
/// calls `visit` with the pre group, the post group, or both when the keys match. With
/// `unique_keys` every group is one item and no group boundary is searched.
fn merge_groups<'a, T, K: Ord>(
    pre: &'a [T],
    post: &'a [T],
    unique_keys: bool,
    key: impl Fn(&'a T) -> K,
    mut visit: impl FnMut(&'a [T], &'a [T]),
) {
    let group_end = |items: &'a [T], start: usize| {
        if unique_keys {
            return start + 1;
        }
        let k = key(&items[start]);
        let mut end = start + 1;
        while end < items.len() && key(&items[end]) == k {
            end += 1;
        }
        end
    };
    let (mut i, mut j) = (0, 0);
    while i < pre.len() || j < post.len() {
        let order = match (pre.get(i), post.get(j)) {
            (Some(a), Some(b)) => key(a).cmp(&key(b)),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        match order {
            Ordering::Less => {
                let end = group_end(pre, i);
                visit(&pre[i..end], &[]);
                i = end;
            }
            Ordering::Greater => {
                let end = group_end(post, j);
                visit(&[], &post[j..end]);
                j = end;
            }
            Ordering::Equal => {
                let (ei, ej) = (group_end(pre, i), group_end(post, j));
                visit(&pre[i..ei], &post[j..ej]);
                i = ei;
                j = ej;
            }
        }
    }
}

fn same_paths(a: &[RoutePath], b: &[RoutePath], compare_metric: bool) -> bool {
    if compare_metric {
        return a == b;
    }
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.nexthop == y.nexthop && x.interface == y.interface && x.flags == y.flags
        })
}

/// Sorted projection of a route's paths.
fn project<T: Ord>(entry: &RouteEntry, f: impl Fn(&RoutePath) -> T) -> Vec<T> {
    let mut values: Vec<T> = entry.paths.iter().map(f).collect();
    values.sort_unstable();
    values
}

/// What differs between two versions of a route. A per-next-hop attribute (flags, metric)
/// counts as changed when its values differ, or, with the same next hops, when a next hop's
/// value differs; a new next hop alone is a next-hop change only.
fn changed_fields(
    before: &RouteEntry,
    after: &RouteEntry,
    compare_metric: bool,
) -> Vec<RouteField> {
    let mut fields = Vec::new();
    let same_hops = before.nexthops() == after.nexthops();
    if !same_hops {
        fields.push(RouteField::Nexthops);
    }
    if before.interfaces() != after.interfaces() {
        fields.push(RouteField::Interfaces);
    }
    let flags_differ = project(before, |p| p.flags.clone()) != project(after, |p| p.flags.clone())
        || (same_hops
            && project(before, |p| (p.nexthop.clone(), p.flags.clone()))
                != project(after, |p| (p.nexthop.clone(), p.flags.clone())));
    if flags_differ {
        fields.push(RouteField::Flags);
    }
    let metric_differs = project(before, |p| p.metric) != project(after, |p| p.metric)
        || (same_hops
            && project(before, |p| (p.nexthop.clone(), p.metric))
                != project(after, |p| (p.nexthop.clone(), p.metric)));
    if compare_metric && metric_differs {
        fields.push(RouteField::Metric);
    }
    if fields.is_empty() {
        fields.push(RouteField::Paths);
    }
    fields
}

/// Routes added, removed and changed from `pre` to `post`.
pub fn diff_routes(pre: &[RouteEntry], post: &[RouteEntry], compare_metric: bool) -> RouteDiff {
    let (pre, post) = (routes_in_order(pre), routes_in_order(post));
    let mut diff = RouteDiff {
        pre_count: pre.len() as u64,
        post_count: post.len() as u64,
        ..RouteDiff::default()
    };
    merge_groups(&pre, &post, true, RouteEntry::key, |a, b| match (a, b) {
        ([], added) => diff.added.extend_from_slice(added),
        (removed, []) => diff.removed.extend_from_slice(removed),
        ([before, ..], [after, ..]) => {
            if !same_paths(&before.paths, &after.paths, compare_metric) {
                diff.changed.push(RouteChange {
                    fields: changed_fields(before, after, compare_metric),
                    before: before.clone(),
                    after: after.clone(),
                });
            }
        }
    });
    diff
}

fn arp_key(record: &ArpRecord) -> (&str, &str) {
    (&record.interface, &record.ip)
}

fn same_arp(a: &[&ArpRecord], b: &[&ArpRecord], compare_status: bool) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.mac == y.mac && (!compare_status || x.status == y.status))
}

/// ARP entries added, removed and changed from `pre` to `post`. Entries are matched by
/// interface + ip; several entries may share a key, and then the whole group is compared.
pub fn diff_arp(
    pre: &[ArpRecord],
    post: &[ArpRecord],
    compare_status: bool,
    ignore_incomplete: bool,
) -> ArpDiff {
    let (pre, post) = (arp_in_order(pre), arp_in_order(post));
    let keep = |r: &&ArpRecord| !(ignore_incomplete && r.is_incomplete());
    let pre: Vec<&ArpRecord> = pre.iter().filter(keep).collect();
    let post: Vec<&ArpRecord> = post.iter().filter(keep).collect();
    let mut diff = ArpDiff {
        pre_count: pre.len() as u64,
        post_count: post.len() as u64,
        ..ArpDiff::default()
    };
    let owned = |group: &[&ArpRecord]| group.iter().map(|r| (*r).clone()).collect::<Vec<_>>();
    merge_groups(
        &pre,
        &post,
        false,
        |r| arp_key(r),
        |a, b| match (a, b) {
            ([], added) => diff.added.extend(owned(added)),
            (removed, []) => diff.removed.extend(owned(removed)),
            (before, after) => {
                if !same_arp(before, after, compare_status) {
                    diff.changed.push(ArpChange {
                        interface: before[0].interface.clone(),
                        ip: before[0].ip.clone(),
                        before: owned(before),
                        after: owned(after),
                    });
                }
            }
        },
    );
    diff
}
