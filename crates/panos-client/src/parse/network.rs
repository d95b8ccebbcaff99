//! Traffic-facing state used for pre/post comparisons: `show session info`, the route table
//! (`show routing route` and `show advanced-routing route`) and `show arp entry name='all'`.

use std::borrow::Cow;

use super::device::required;
use super::envelope::open;
use super::scan::{self, Table};
use super::{Ctx, Fields, Row, child, children, number_of, path, route_json, trimmed_text};
use crate::error::ClientError;
use crate::model::{ArpEntry, ArpTable, Route, RouteTable, RoutingEngine, SessionInfo};

/// Parses the answer to `show session info`.
///
/// # Errors
/// An envelope error, or [`ClientError::Decode`] when `num-active` is missing or not a number.
pub fn parse_session_info(xml: &str) -> Result<SessionInfo, ClientError> {
    session_info(&Ctx::new("show session info"), xml)
}

pub(crate) fn session_info(ctx: &Ctx<'_>, xml: &str) -> Result<SessionInfo, ClientError> {
    let response = open(ctx, xml)?;
    let result = super::device::result(ctx, &response)?;
    let active = required(ctx, &response, result, "num-active")?;
    let num_active = active
        .parse()
        .map_err(|_| ctx.decode(format!("num-active {active:?} is not a number"), xml))?;
    Ok(SessionInfo {
        num_max: number_of(result, "num-max"),
        num_active,
        num_tcp: number_of(result, "num-tcp").unwrap_or(0),
        num_udp: number_of(result, "num-udp").unwrap_or(0),
        num_icmp: number_of(result, "num-icmp").unwrap_or(0),
        cps: number_of(result, "cps"),
        kbps: number_of(result, "kbps"),
    })
}

/// Parses the answer to `show routing route` ([`RoutingEngine::Legacy`]) or
/// `show advanced-routing route` ([`RoutingEngine::Advanced`], JSON inside `<result><json>`).
/// Each next hop is one [`Route`], so an ECMP route gives several.
///
/// # Errors
/// An envelope error, or [`ClientError::Decode`] when the advanced-routing JSON is not valid.
pub fn parse_routes(xml: &str, engine: RoutingEngine) -> Result<RouteTable, ClientError> {
    let operation = match engine {
        RoutingEngine::Legacy => "show routing route",
        RoutingEngine::Advanced => "show advanced-routing route",
    };
    routes(&Ctx::new(operation), xml, engine)
}

pub(crate) fn routes(
    ctx: &Ctx<'_>,
    xml: &str,
    engine: RoutingEngine,
) -> Result<RouteTable, ClientError> {
    if engine == RoutingEngine::Legacy
        && let Some(table) = scan::read(ctx, xml, &ROUTE_TABLE)
    {
        let routes = table.rows.iter().map(legacy_route).collect();
        return Ok(RouteTable { engine, routes });
    }
    routes_from_document(ctx, xml, engine)
}

/// [`routes`] through the whole document: for the advanced routing engine, and for answers
/// [`scan`] leaves.
pub(super) fn routes_from_document(
    ctx: &Ctx<'_>,
    xml: &str,
    engine: RoutingEngine,
) -> Result<RouteTable, ClientError> {
    let response = open(ctx, xml)?;
    let Some(result) = response.result() else {
        return Ok(RouteTable {
            engine,
            routes: Vec::new(),
        });
    };
    let routes = match engine {
        RoutingEngine::Legacy => children(result, "entry")
            .map(|entry| legacy_route(&Row::new(entry, ROUTE_FIELDS)))
            .collect(),
        RoutingEngine::Advanced => match child(result, "json") {
            Some(json) => advanced_routes(ctx, &trimmed_text(json), xml)?,
            None => Vec::new(),
        },
    };
    Ok(RouteTable { engine, routes })
}

/// The fields of a legacy route `<entry>` that are read.
const ROUTE_FIELDS: [&str; 8] = [
    "virtual-router",
    "destination",
    "nexthop",
    "interface",
    "metric",
    "flags",
    "route-table",
    "age",
];

/// The legacy route table's rows, for [`scan`].
pub(super) static ROUTE_TABLE: Table<0, 8> = Table {
    rows_at: &["result"],
    heading_at: 0,
    heading: [],
    fields: ROUTE_FIELDS,
};

fn legacy_route(row: &impl Fields) -> Route {
    Route {
        router: row.text_of("virtual-router").unwrap_or_default(),
        destination: row.text_of("destination").unwrap_or_default(),
        nexthop: row.text_of("nexthop").unwrap_or_default(),
        interface: row.text_of("interface"),
        metric: row.number_of("metric"),
        flags: row.text_of("flags").unwrap_or_default(),
        route_table: row.text_of("route-table"),
        age_secs: row.number_of("age"),
    }
}

/// `{"<logical router>": {"<prefix>": [{route…, "nexthops": [{…}]}]}}`, read as
/// [`route_json`] describes.
fn advanced_routes(ctx: &Ctx<'_>, json: &str, xml: &str) -> Result<Vec<Route>, ClientError> {
    let json = json.trim();
    if json.is_empty() {
        return Ok(Vec::new());
    }
    let routers = route_json::routers(json)
        .map_err(|err| ctx.decode(format!("the route JSON is not valid: {err}"), xml))?;
    let Some(routers) = routers.0 else {
        return Err(ctx.decode("the route JSON is not an object of routers", xml));
    };
    let mut out = Vec::new();
    for (router, prefixes) in &routers {
        let Some(prefixes) = &prefixes.0 else {
            continue;
        };
        for (prefix, entries) in prefixes {
            for entry in &entries.0 {
                push_advanced(&mut out, router, prefix, entry);
            }
        }
    }
    Ok(out)
}

fn push_advanced(out: &mut Vec<Route>, router: &str, prefix: &str, entry: &route_json::Entry<'_>) {
    let destination = trimmed(&entry.prefix).unwrap_or(prefix).to_owned();
    let protocol = trimmed(&entry.protocol).unwrap_or_default().to_owned();
    let metric = entry.metric.and_then(|m| u32::try_from(m).ok());
    let age_secs = trimmed(&entry.uptime).and_then(uptime_secs);
    let route = |nexthop: String, interface: Option<String>| Route {
        router: router.to_owned(),
        destination: destination.clone(),
        nexthop,
        interface,
        metric,
        flags: protocol.clone(),
        route_table: None,
        age_secs,
    };
    let nexthops = &entry.nexthops.0;
    if nexthops.is_empty() {
        out.push(route(String::new(), None));
    }
    for hop in nexthops {
        let nexthop = trimmed(&hop.ip).unwrap_or_default().to_owned();
        let interface = trimmed(&hop.interface_name)
            .filter(|name| !name.is_empty())
            .map(str::to_owned);
        out.push(route(nexthop, interface));
    }
}

/// A string field of the route JSON, trimmed.
fn trimmed<'t>(text: &'t Option<Cow<'_, str>>) -> Option<&'t str> {
    text.as_deref().map(str::trim)
}

/// An uptime as the advanced routing engine prints it: `HH:MM:SS`, or units such as
/// `1d02h03m` and `02w3d04h`.
fn uptime_secs(text: &str) -> Option<u64> {
    if text.contains(':') {
        let mut secs = 0u64;
        for part in text.split(':') {
            secs = secs.checked_mul(60)?.checked_add(part.parse().ok()?)?;
        }
        return Some(secs);
    }
    let mut secs = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'w' => 604_800,
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        let n: u64 = std::mem::take(&mut number).parse().ok()?;
        secs = secs.checked_add(n.checked_mul(unit)?)?;
    }
    number.is_empty().then_some(secs)
}

/// Parses the answer to `show arp entry name='all'`. Padded values (`<status>  c  </status>`)
/// are trimmed.
///
/// # Errors
/// An envelope error.
pub fn parse_arp(xml: &str) -> Result<ArpTable, ClientError> {
    arp(&Ctx::new("show arp entry"), xml)
}

pub(crate) fn arp(ctx: &Ctx<'_>, xml: &str) -> Result<ArpTable, ClientError> {
    match scan::read(ctx, xml, &ARP_TABLE) {
        Some(table) => Ok(ArpTable {
            max: table.heading.number_of("max"),
            total: table.heading.number_of("total"),
            entries: table.rows.iter().map(arp_entry).collect(),
        }),
        None => arp_from_document(ctx, xml),
    }
}

/// [`arp`] through the whole document: for answers [`scan`] leaves.
pub(super) fn arp_from_document(ctx: &Ctx<'_>, xml: &str) -> Result<ArpTable, ClientError> {
    let response = open(ctx, xml)?;
    let Some(result) = response.result() else {
        return Ok(ArpTable::default());
    };
    let entries = path(result, &["entries"])
        .map(|entries| {
            children(entries, "entry")
                .map(|entry| arp_entry(&Row::new(entry, ARP_FIELDS)))
                .collect()
        })
        .unwrap_or_default();
    Ok(ArpTable {
        max: number_of(result, "max"),
        total: number_of(result, "total"),
        entries,
    })
}

/// The fields of an ARP `<entry>` that are read.
const ARP_FIELDS: [&str; 6] = ["interface", "ip", "mac", "status", "port", "ttl"];

/// The ARP table's `max`, `total` and rows, for [`scan`].
pub(super) static ARP_TABLE: Table<2, 6> = Table {
    rows_at: &["result", "entries"],
    heading_at: 1,
    heading: ["max", "total"],
    fields: ARP_FIELDS,
};

fn arp_entry(row: &impl Fields) -> ArpEntry {
    ArpEntry {
        interface: row.text_of("interface").unwrap_or_default(),
        ip: row.text_of("ip").unwrap_or_default(),
        mac: row.text_of("mac").unwrap_or_default(),
        status: row.text_of("status").unwrap_or_default(),
        port: row.text_of("port"),
        ttl_secs: row.number_of("ttl"),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;

    /// The routes as they were read through a `serde_json::Value` before [`route_json`]: the
    /// reference the new reading must agree with.
    fn advanced_by_value(json: &str) -> Result<Vec<Route>, String> {
        let json = json.trim();
        if json.is_empty() {
            return Ok(Vec::new());
        }
        let value: Value = serde_json::from_str(json)
            .map_err(|err| format!("the route JSON is not valid: {err}"))?;
        let Value::Object(routers) = value else {
            return Err("the route JSON is not an object of routers".into());
        };
        let mut out = Vec::new();
        for (router, prefixes) in &routers {
            let Some(prefixes) = prefixes.as_object() else {
                continue;
            };
            for (prefix, entries) in prefixes {
                for entry in entries.as_array().map(Vec::as_slice).unwrap_or_default() {
                    let route = |nexthop: &str, interface: Option<&str>| Route {
                        router: router.clone(),
                        destination: text(entry, "prefix").unwrap_or(prefix).to_owned(),
                        nexthop: nexthop.to_owned(),
                        interface: interface.filter(|i| !i.is_empty()).map(str::to_owned),
                        metric: entry
                            .get("metric")
                            .and_then(Value::as_u64)
                            .and_then(|m| u32::try_from(m).ok()),
                        flags: text(entry, "protocol").unwrap_or_default().to_owned(),
                        route_table: None,
                        age_secs: text(entry, "uptime").and_then(uptime_secs),
                    };
                    let hops = entry.get("nexthops").and_then(Value::as_array);
                    let hops = hops.map(Vec::as_slice).unwrap_or_default();
                    if hops.is_empty() {
                        out.push(route("", None));
                    }
                    for hop in hops {
                        out.push(route(
                            text(hop, "ip").unwrap_or_default(),
                            text(hop, "interfaceName"),
                        ));
                    }
                }
            }
        }
        Ok(out)
    }

    fn text<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
        value.get(key).and_then(Value::as_str).map(str::trim)
    }

    /// The routes of `json` through [`advanced_routes`], errors as their reason.
    fn advanced(json: &str) -> Result<Vec<Route>, String> {
        let ctx = Ctx::new("show advanced-routing route");
        advanced_routes(&ctx, json, "").map_err(|err| match err {
            ClientError::Decode { reason, .. } => reason,
            other => panic!("{other:?}"),
        })
    }

    #[test]
    fn advanced_json_of_every_odd_shape_reads_as_through_a_value() {
        for json in [
            r#"{"lr": {"10.0.0.0/8": [{"prefix": " 10.0.0.0/8 ", "protocol": "bgp", "metric": 20,
                "uptime": "1d02h03m", "nexthops": [{"ip": "192.0.2.1", "interfaceName": "e1"},
                {"ip": 5, "interfaceName": ""}, 7, {}]}]}}"#,
            r#"{"b": {"p2": [], "p1": [{}]}, "a": {"p": [1, "x", null, [], {"nexthops": {}}]}}"#,
            r#"{"lr": {"p": [{"metric": -1}, {"metric": 4294967296}, {"metric": 1.5},
                {"metric": "7"}, {"metric": 0}, {"metric": -0}, {"metric": 1e2}]}}"#,
            r#"{"lr": {"p": [{"prefix": "a", "prefix": 5, "protocol": "x", "protocol": "y"}]},
                "lr": {"q": [{"nexthops": [{"ip": "1"}], "nexthops": null}]}}"#,
            r#"{"l\u0072": {"p\"q": [{"prefix": "e\\scaped\u00e9", "uptime": "00:00:26",
                "nexthops": [{"ip": "\u0031", "interfaceName": "tab\t"}]}]}}"#,
            r#"{"lr": 5, "lr2": [1], "lr3": "x", "lr4": null, "lr5": {"p": {"a": 1}}}"#,
            r#"{"lr": {"p": [{"deep": [[[{"x": [1, {"y": null}]}]]], "flags": "A E "}]}}"#,
            "{}",
            "  \n ",
            "[1, 2]",
            "\"text\"",
            "null",
            "12",
            "{oops",
            r#"{"lr": {"p": [1e999]}}"#,
            r#"{"lr": {"p": ["\ud800"]}}"#,
            r#"{"lr": {"p": ["\x"]}}"#,
            r#"{"lr": {"p": [01]}}"#,
            r#"{"lr": {"p": [1,]}}"#,
            r#"{"lr": 1} trailing"#,
            r#"{"lr": {"p": [{"nexthops": [{"ip": "1"},]}]}}"#,
            r#"{1: 2}"#,
        ] {
            assert_eq!(advanced(json), advanced_by_value(json), "{json}");
        }
        let deep = format!(
            r#"{{"lr": {{"p": [{}1{}]}}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        assert_eq!(advanced(&deep), advanced_by_value(&deep));
        assert!(advanced(&deep).is_err(), "too deep");
    }

    /// Any JSON value, with keys from the route JSON more often than not.
    fn json_value() -> impl Strategy<Value = Value> {
        let key = prop_oneof![
            Just("prefix".to_owned()),
            Just("protocol".to_owned()),
            Just("metric".to_owned()),
            Just("uptime".to_owned()),
            Just("nexthops".to_owned()),
            Just("ip".to_owned()),
            Just("interfaceName".to_owned()),
            "[a-z ]{0,4}",
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            "[ a-z0-9:./\"\\\\é]{0,8}".prop_map(Value::from),
        ];
        leaf.prop_recursive(5, 64, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                prop::collection::vec((key.clone(), inner), 0..6)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_json_reads_as_through_a_value(
            value in json_value(),
            cut in any::<prop::sample::Index>(),
        ) {
            let json = value.to_string();
            prop_assert_eq!(advanced(&json), advanced_by_value(&json));
            // And a prefix of it, which is mostly not valid JSON.
            let mut end = cut.index(json.len() + 1);
            while !json.is_char_boundary(end) {
                end -= 1;
            }
            prop_assert_eq!(advanced(&json[..end]), advanced_by_value(&json[..end]));
        }
    }

    #[test]
    fn uptimes_in_both_forms() {
        assert_eq!(uptime_secs("00:00:26"), Some(26));
        assert_eq!(uptime_secs("01:02:03"), Some(3723));
        assert_eq!(uptime_secs("1d02h03m"), Some(86_400 + 7_200 + 180));
        assert_eq!(
            uptime_secs("02w3d04h"),
            Some(2 * 604_800 + 3 * 86_400 + 4 * 3_600)
        );
        assert_eq!(uptime_secs("soon"), None);
        assert_eq!(uptime_secs("12"), None);
    }

    #[test]
    fn advanced_ecmp_gives_one_route_per_nexthop() {
        let json = r#"{"lr1": {"10.0.0.0/8": [{"prefix": "10.0.0.0/8", "protocol": "bgp",
            "metric": 20, "nexthops": [{"ip": "192.0.2.1", "interfaceName": "ethernet1/1"},
            {"ip": "192.0.2.2", "interfaceName": "ethernet1/2"}]}]}}"#;
        let body =
            format!("<response status='success'><result><json>{json}</json></result></response>");
        let table = parse_routes(&body, RoutingEngine::Advanced).unwrap();
        let hops: Vec<&str> = table.routes.iter().map(|r| r.nexthop.as_str()).collect();
        assert_eq!(hops, ["192.0.2.1", "192.0.2.2"]);
        assert!(
            table
                .routes
                .iter()
                .all(|r| r.router == "lr1" && r.metric == Some(20))
        );
        let bad = "<response status='success'><result><json>{oops</json></result></response>";
        assert!(matches!(
            parse_routes(bad, RoutingEngine::Advanced),
            Err(ClientError::Decode { .. })
        ));
    }
}
