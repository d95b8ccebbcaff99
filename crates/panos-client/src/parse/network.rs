//! Traffic-facing state used for pre/post comparisons: `show session info`, the route table
//! (`show routing route` and `show advanced-routing route`) and `show arp entry name='all'`.

use roxmltree::Node;
use serde_json::Value;

use super::device::required;
use super::envelope::open;
use super::{Ctx, Row, child, children, number_of, path, trimmed_text};
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
    let response = open(ctx, xml)?;
    let Some(result) = response.result() else {
        return Ok(RouteTable {
            engine,
            routes: Vec::new(),
        });
    };
    let routes = match engine {
        RoutingEngine::Legacy => children(result, "entry").map(legacy_route).collect(),
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

fn legacy_route(entry: Node<'_, '_>) -> Route {
    let row = Row::new(entry, ROUTE_FIELDS);
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

/// `{"<logical router>": {"<prefix>": [{route…, "nexthops": [{…}]}]}}`.
fn advanced_routes(ctx: &Ctx<'_>, json: &str, xml: &str) -> Result<Vec<Route>, ClientError> {
    let json = json.trim();
    if json.is_empty() {
        return Ok(Vec::new());
    }
    let value: Value = serde_json::from_str(json)
        .map_err(|err| ctx.decode(format!("the route JSON is not valid: {err}"), xml))?;
    let Value::Object(routers) = value else {
        return Err(ctx.decode("the route JSON is not an object of routers", xml));
    };
    let mut out = Vec::new();
    for (router, prefixes) in &routers {
        let Some(prefixes) = prefixes.as_object() else {
            continue;
        };
        for (prefix, entries) in prefixes {
            for entry in entries.as_array().map(Vec::as_slice).unwrap_or_default() {
                push_advanced(&mut out, router, prefix, entry);
            }
        }
    }
    Ok(out)
}

fn push_advanced(out: &mut Vec<Route>, router: &str, prefix: &str, entry: &Value) {
    let destination = text(entry, "prefix").unwrap_or(prefix).to_owned();
    let protocol = text(entry, "protocol").unwrap_or_default().to_owned();
    let metric = entry
        .get("metric")
        .and_then(Value::as_u64)
        .and_then(|m| u32::try_from(m).ok());
    let age_secs = text(entry, "uptime").and_then(uptime_secs);
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
    let nexthops = entry
        .get("nexthops")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if nexthops.is_empty() {
        out.push(route(String::new(), None));
    }
    for hop in nexthops {
        let nexthop = text(hop, "ip").unwrap_or_default().to_owned();
        let interface = text(hop, "interfaceName")
            .filter(|name| !name.is_empty())
            .map(str::to_owned);
        out.push(route(nexthop, interface));
    }
}

fn text<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str).map(str::trim)
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
    let response = open(ctx, xml)?;
    let Some(result) = response.result() else {
        return Ok(ArpTable::default());
    };
    let entries = path(result, &["entries"])
        .map(|entries| children(entries, "entry").map(arp_entry).collect())
        .unwrap_or_default();
    Ok(ArpTable {
        max: number_of(result, "max"),
        total: number_of(result, "total"),
        entries,
    })
}

/// The fields of an ARP `<entry>` that are read.
const ARP_FIELDS: [&str; 6] = ["interface", "ip", "mac", "status", "port", "ttl"];

fn arp_entry(entry: Node<'_, '_>) -> ArpEntry {
    let row = Row::new(entry, ARP_FIELDS);
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
    use super::*;

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
