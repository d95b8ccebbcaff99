//! The human-readable form of a [`ComparisonReport`]: a header, an aligned metric table, what
//! to do about each problem, then the differing entries (each listing capped, with
//! "… and N more"; the counts are always exact).

use std::fmt::{self, Write as _};

use crate::compare::report::{ComparisonReport, Outcome};
use crate::snapshot::{ArpRecord, RouteEntry, RoutePath};

/// How many entries of each listing the text form shows by default.
pub const DEFAULT_LISTING_LIMIT: usize = 20;

/// Writes rows of cells with each column padded to its widest cell.
fn aligned(out: &mut String, indent: &str, rows: &[Vec<String>]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = String::from(indent);
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                let pad = widths[c] - cell.chars().count();
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', pad + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

fn path_text(path: &RoutePath) -> String {
    let mut text = if path.nexthop.is_empty() {
        "connected".to_owned()
    } else {
        format!("via {}", path.nexthop)
    };
    if let Some(iface) = &path.interface {
        let _ = write!(text, " dev {iface}");
    }
    if !path.flags.is_empty() {
        let _ = write!(text, " [{}]", path.flags);
    }
    if let Some(metric) = path.metric {
        let _ = write!(text, " metric {metric}");
    }
    text
}

fn paths_text(entry: &RouteEntry) -> String {
    entry
        .paths
        .iter()
        .map(path_text)
        .collect::<Vec<_>>()
        .join("; ")
}

fn route_cells(entry: &RouteEntry) -> Vec<String> {
    let destination = match &entry.table {
        Some(table) => format!("{} ({table})", entry.destination),
        None => entry.destination.clone(),
    };
    vec![entry.router.clone(), destination, paths_text(entry)]
}

fn arp_cells(record: &ArpRecord) -> Vec<String> {
    vec![
        record.interface.clone(),
        record.ip.clone(),
        record.mac.clone(),
        record.status.clone(),
    ]
}

fn section<T>(
    out: &mut String,
    title: &str,
    items: &[T],
    limit: usize,
    cells: impl Fn(&T) -> Vec<String>,
) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{title} ({}):", items.len());
    let rows: Vec<Vec<String>> = items.iter().take(limit).map(cells).collect();
    aligned(out, "  ", &rows);
    if items.len() > limit {
        let _ = writeln!(out, "  … and {} more", items.len() - limit);
    }
}

impl ComparisonReport {
    /// The report as text, showing at most `limit` entries per listing.
    pub fn to_text(&self, limit: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Post-flight comparison of {}: {}",
            self.serial, self.verdict
        );
        let version = |v: &Option<String>| v.clone().unwrap_or_else(|| "version unknown".into());
        let header = vec![
            vec![
                "pre".to_owned(),
                self.pre_taken_at
                    .format("%Y-%m-%d %H:%M:%S UTC")
                    .to_string(),
                version(&self.pre_version),
            ],
            vec![
                "post".to_owned(),
                self.post_taken_at
                    .format("%Y-%m-%d %H:%M:%S UTC")
                    .to_string(),
                version(&self.post_version),
            ],
        ];
        aligned(&mut out, "  ", &header);
        out.push('\n');

        let mut rows = vec![vec![
            "metric".to_owned(),
            "result".to_owned(),
            "observed".to_owned(),
            "allowed".to_owned(),
        ]];
        rows.extend(self.metrics.iter().map(|m| {
            vec![
                m.metric.clone(),
                m.outcome.as_str().to_owned(),
                m.observed.clone(),
                m.allowed.clone(),
            ]
        }));
        aligned(&mut out, "  ", &rows);

        let problems: Vec<_> = self
            .metrics
            .iter()
            .filter(|m| m.outcome >= Outcome::Warn)
            .collect();
        if !problems.is_empty() {
            out.push_str("\nTo do:\n");
            for m in problems {
                let _ = writeln!(out, "  {} {}: {}", m.outcome.as_str(), m.metric, m.message);
            }
        }

        if let Some(routes) = &self.routes {
            section(
                &mut out,
                "Routes removed",
                &routes.removed,
                limit,
                route_cells,
            );
            section(&mut out, "Routes added", &routes.added, limit, route_cells);
            section(
                &mut out,
                "Routes changed",
                &routes.changed,
                limit,
                |change| {
                    let mut cells = route_cells(&change.before);
                    let fields: Vec<&str> = change
                        .fields
                        .iter()
                        .map(|f| match f {
                            crate::compare::RouteField::Nexthops => "nexthops",
                            crate::compare::RouteField::Interfaces => "interfaces",
                            crate::compare::RouteField::Flags => "flags",
                            crate::compare::RouteField::Metric => "metric",
                            crate::compare::RouteField::Paths => "paths",
                        })
                        .collect();
                    cells[2] = format!(
                        "{}: {} -> {}",
                        fields.join("+"),
                        paths_text(&change.before),
                        paths_text(&change.after)
                    );
                    cells
                },
            );
        }
        if let Some(arp) = &self.arp {
            section(
                &mut out,
                "ARP entries removed",
                &arp.removed,
                limit,
                arp_cells,
            );
            section(&mut out, "ARP entries added", &arp.added, limit, arp_cells);
            section(
                &mut out,
                "ARP entries changed",
                &arp.changed,
                limit,
                |change| {
                    let macs = |records: &[ArpRecord]| {
                        records
                            .iter()
                            .map(|r| format!("{} ({})", r.mac, r.status))
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    vec![
                        change.interface.clone(),
                        change.ip.clone(),
                        format!("{} -> {}", macs(&change.before), macs(&change.after)),
                    ]
                },
            );
        }
        out
    }
}

impl fmt::Display for ComparisonReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text(DEFAULT_LISTING_LIMIT))
    }
}
