//! `show routing route` (legacy engine: flags legend then entries, padded flags, empty `age`),
//! `show advanced-routing route` (`<result><json>{…}</json></result>`, keyed by logical router
//! then prefix) and `show arp entry name='all'` (padded `status`). Rows are generated
//! deterministically from a seed and a count, so a 10,000-device fleet stores no tables.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use super::{escape, mix, success};

const FLAGS_LEGEND: &str = "flags: A:active, ?:loose, C:connect, H:host, S:static, ~:internal, R:rip, O:ospf, B:bgp, Oi:ospf intra-area, Oo:ospf inter-area, O1:ospf ext-type-1, O2:ospf ext-type-2, E:ecmp, M:multicast";

/// One generated route.
struct Route {
    destination: String,
    nexthop: String,
    metric: u32,
    flags: &'static str,
    protocol: &'static str,
    interface: String,
}

fn route(seed: u64, i: u32) -> Route {
    if i == 0 {
        return Route {
            destination: "0.0.0.0/0".into(),
            nexthop: format!("198.51.100.{}", 1 + seed % 200),
            metric: 10,
            flags: "A S   ",
            protocol: "static",
            interface: "ethernet1/1".into(),
        };
    }
    let n = i - 1;
    let (b2, b3) = (16 + (seed % 16) as u32, n / 3);
    let net = format!("172.{b2}.{}.{}", b3 / 256, b3 % 256);
    let net_prefix = net
        .rsplit_once('.')
        .map(|(p, _)| p.to_string())
        .unwrap_or_default();
    let interface = format!("ethernet1/{}", 2 + (mix(seed, u64::from(b3)) % 6));
    match n % 3 {
        0 => Route {
            destination: format!("{net_prefix}.0/24"),
            nexthop: format!("{net_prefix}.1"),
            metric: 0,
            flags: "A C   ",
            protocol: "connected",
            interface,
        },
        1 => Route {
            destination: format!("{net_prefix}.1/32"),
            nexthop: "0.0.0.0".into(),
            metric: 0,
            flags: "A H   ",
            protocol: "local",
            interface,
        },
        _ => Route {
            destination: format!("10.{}.{}.0/24", b3 / 256, b3 % 256),
            nexthop: format!("{net_prefix}.254"),
            metric: 10,
            flags: "A S   ",
            protocol: "static",
            interface,
        },
    }
}

/// `show routing route` with `count` routes.
pub fn legacy_routes(seed: u64, count: u32) -> String {
    if count == 0 {
        return "<response status=\"success\">\n    <result>\n    </result>\n</response>\n".into();
    }
    let mut s = String::with_capacity(count as usize * 330 + 400);
    let _ = writeln!(s, "        <flags>{FLAGS_LEGEND}</flags>");
    for i in 0..count {
        let r = route(seed, i);
        let age = if r.protocol == "static" || r.protocol == "connected" || r.protocol == "local" {
            "<age></age>".to_string()
        } else {
            format!("<age>{}</age>", mix(seed, u64::from(i)) % 90_000)
        };
        let _ = write!(
            s,
            "        <entry>\n            <virtual-router>default</virtual-router>\n            <destination>{}</destination>\n            <nexthop>{}</nexthop>\n            <metric>{}</metric>\n            <flags>{}</flags>\n            {age}\n            <interface>{}</interface>\n            <route-table>unicast</route-table>\n        </entry>\n",
            escape(&r.destination),
            escape(&r.nexthop),
            r.metric,
            r.flags,
            escape(&r.interface)
        );
    }
    success(&s)
}

/// `show advanced-routing route` with `count` routes, as JSON inside `<json>`.
pub fn advanced_routes(seed: u64, count: u32) -> String {
    let mut prefixes = Map::new();
    for i in 0..count {
        let r = route(seed, i);
        let entry = json!({
            "prefix": r.destination,
            "protocol": r.protocol,
            "vrfId": 0,
            "vrfName": "default",
            "selected": true,
            "destSelected": true,
            "distance": if r.protocol == "static" { 10 } else { 0 },
            "metric": r.metric,
            "installed": true,
            "table": 254,
            "internalStatus": 16,
            "internalFlags": 73,
            "internalNextHopNum": 1,
            "internalNextHopActiveNum": 1,
            "uptime": format!("{:02}:{:02}:{:02}", mix(seed, u64::from(i)) % 24, i % 60, (i * 7) % 60),
            "nexthops": [{
                "flags": "A E ",
                "fib": true,
                "ip": r.nexthop,
                "directlyConnected": r.protocol != "static",
                "interfaceIndex": 16,
                "interfaceName": r.interface,
                "active": true,
                "weight": 1
            }]
        });
        if let Some(list) = prefixes
            .entry(r.destination.clone())
            .or_insert_with(|| Value::Array(Vec::new()))
            .as_array_mut()
        {
            list.push(entry);
        }
    }
    let mut routers = Map::new();
    routers.insert("default".into(), Value::Object(prefixes));
    let json = Value::Object(routers).to_string();
    format!(
        "<response status=\"success\">\n    <result>\n        <json>{}</json>\n    </result>\n</response>\n",
        escape(&json).replace("&quot;", "\"")
    )
}

/// `show arp entry name='all'` with `count` entries (`max` is the platform's capacity).
pub fn arp(seed: u64, count: u32, max: u32) -> String {
    let mut s = String::with_capacity(count as usize * 260 + 300);
    let _ = write!(
        s,
        "        <max>{max}</max>\n        <total>{count}</total>\n        <timeout>1800</timeout>\n        <dp>dp0</dp>\n        <entries>\n"
    );
    for i in 0..count {
        let m = mix(seed ^ 0xA5A5, u64::from(i)).to_be_bytes();
        let port = 2 + (i % 6);
        let _ = write!(
            s,
            "            <entry>\n                <status>  c  </status>\n                <ip>172.{}.{}.{}</ip>\n                <mac>00:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}</mac>\n                <ttl>{}</ttl>\n                <interface>ethernet1/{port}</interface>\n                <port>ethernet1/{port}</port>\n            </entry>\n",
            16 + (seed % 16),
            i / 250,
            1 + i % 250,
            m[0],
            m[1],
            m[2],
            m[3],
            m[4],
            100 + mix(seed, u64::from(i)) % 1700,
        );
    }
    s.push_str("        </entries>\n");
    success(&s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tables_have_the_requested_size_and_parse() {
        let xml = legacy_routes(3, 25);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        assert_eq!(
            doc.descendants()
                .filter(|n| n.has_tag_name("entry"))
                .count(),
            25
        );
        let xml = advanced_routes(3, 25);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let json = doc
            .descendants()
            .find(|n| n.has_tag_name("json"))
            .unwrap()
            .text()
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        let n: usize = v["default"]
            .as_object()
            .unwrap()
            .values()
            .map(|a| a.as_array().unwrap().len())
            .sum();
        assert_eq!(n, 25);
        let xml = arp(3, 40, 3000);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        assert_eq!(
            doc.descendants()
                .filter(|n| n.has_tag_name("entry"))
                .count(),
            40
        );
        assert_eq!(legacy_routes(3, 25), legacy_routes(3, 25));
    }
}
