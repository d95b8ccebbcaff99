//! The scan against the document: on every real sample and on generated answers of every
//! shape, the three table parsers give what they give through the whole document, and the
//! scan does read the answers it is meant for.

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};

use super::super::network::{ARP_TABLE, ROUTE_TABLE, arp_from_document, routes_from_document};
use super::super::software::{CATALOG, catalog_from_document};
use super::super::{arp, routes, software_catalog};
use super::*;
use crate::model::RoutingEngine;

/// Which table an answer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Catalog,
    Routes,
    Arp,
}

const KINDS: [Kind; 3] = [Kind::Catalog, Kind::Routes, Kind::Arp];

impl Kind {
    /// The path from `<response>` to the rows, the heading fields (at `result`) and the
    /// row fields.
    fn shape(
        self,
    ) -> (
        &'static [&'static str],
        &'static [&'static str],
        &'static [&'static str],
    ) {
        match self {
            Kind::Catalog => (CATALOG.rows_at, &CATALOG.heading, &CATALOG.fields),
            Kind::Routes => (
                ROUTE_TABLE.rows_at,
                &ROUTE_TABLE.heading,
                &ROUTE_TABLE.fields,
            ),
            Kind::Arp => (ARP_TABLE.rows_at, &ARP_TABLE.heading, &ARP_TABLE.fields),
        }
    }

    /// Whether the scan reads `xml`.
    fn scans(self, xml: &str) -> bool {
        let ctx = Ctx::new("test");
        match self {
            Kind::Catalog => read(&ctx, xml, &CATALOG).is_some(),
            Kind::Routes => read(&ctx, xml, &ROUTE_TABLE).is_some(),
            Kind::Arp => read(&ctx, xml, &ARP_TABLE).is_some(),
        }
    }

    /// The parser's answer for `xml` (through the scan when it reads it) and the answer
    /// through the whole document, each as its debug text (errors included).
    fn both(self, http_status: Option<u16>, xml: &str) -> (String, String) {
        let mut ctx = Ctx::new("test");
        if let Some(status) = http_status {
            ctx = ctx.with_status(status);
        }
        let legacy = RoutingEngine::Legacy;
        match self {
            Kind::Catalog => (
                format!("{:?}", software_catalog(&ctx, xml)),
                format!("{:?}", catalog_from_document(&ctx, xml)),
            ),
            Kind::Routes => (
                format!("{:?}", routes(&ctx, xml, legacy)),
                format!("{:?}", routes_from_document(&ctx, xml, legacy)),
            ),
            Kind::Arp => (
                format!("{:?}", arp(&ctx, xml)),
                format!("{:?}", arp_from_document(&ctx, xml)),
            ),
        }
    }
}

/// Asserts that every parser reads `xml` as the document does.
fn same_as_document(xml: &str) {
    for kind in KINDS {
        for status in [None, Some(200), Some(500)] {
            let (scanned, document) = kind.both(status, xml);
            assert_eq!(scanned, document, "{kind:?} {status:?}\n{xml}");
        }
    }
}

#[test]
fn every_real_sample_reads_as_through_the_document() {
    let Some(names) = panos_samples::sample_names() else {
        return;
    };
    for name in &names {
        let Some(xml) = panos_samples::sample(name) else {
            return;
        };
        same_as_document(&xml);
    }
    // The samples of the three tables are read by the scan.
    let scanned = [
        (
            Kind::Catalog,
            "request-system-software-check.fw-vm-11.0.xml",
        ),
        (
            Kind::Catalog,
            "request-system-software-check.fw-vm-8.0.3-current.xml",
        ),
        (
            Kind::Catalog,
            "request-system-software-check.panorama-10.0.x.xml",
        ),
        (Kind::Routes, "show-routing-route.fw-demisto.xml"),
        (Kind::Routes, "show-routing-route.fw-ecmp-two-nexthops.xml"),
        (Kind::Routes, "show-routing-route.fw-empty.xml"),
        (Kind::Arp, "show-arp-entry-all.fw.xml"),
        (Kind::Arp, "show-arp-entry-all.fw-empty.xml"),
        (Kind::Arp, "show-arp-entry-all.fw-single.xml"),
    ];
    for (kind, name) in scanned {
        let Some(xml) = panos_samples::sample(name) else {
            return;
        };
        assert!(kind.scans(&xml), "{name} is scanned");
    }
}

#[test]
fn odd_answers_read_as_through_the_document() {
    let entry = |inner: &str| {
        format!(
            "<response status='success'><result><max>5</max><entries><entry>{inner}</entry>\
             </entries><sw-updates><versions><entry>{inner}</entry></versions></sw-updates>\
             </result></response>"
        )
    };
    let fields = [
        "<ip> 1 </ip><version>10.2.9</version><ip>2</ip>",
        "<ip/><ip>2</ip><version/><version>10.2.9</version>",
        "<ip>a &amp; b &lt;&gt;&quot;&apos; &#x41;&#65;&#x20AC;</ip><version>10.2.9</version>",
        "<ip><![CDATA[ <x> & ]]></ip><version> 10.2<!-- c -->.9 </version>",
        "<ip> 1<i>2<j>3</j></i>4 </ip><version><![CDATA[10.2.9]]>-h1</version>",
        "<ip a='1' b=\"2\" >x</ip ><version\n>10.2.9</version\t>",
        "<mac>é€😀</mac><ttl>+5</ttl><ttl>6</ttl><size>-1</size><current>YES</current>",
        "<other><ip>no</ip></other>text<ip>yes</ip>",
        "<ip>&#xD;</ip>",
        "<ip>a\r\nb</ip>",
        "<ip>&#X41;</ip>",
        "<ip>&#0;</ip>",
        "<ip>&#xD800;</ip>",
        "<ip>&#xFFFE;</ip>",
        "<ip>\u{FFFE}</ip>",
        "<ip>\u{FFFF}</ip>",
        "<ip>\u{EFFF}\u{F000}</ip>",
        "<ip>&nbsp;</ip>",
        "<ip>&amp</ip>",
        "<ip>a & b</ip>",
        "<ip>]]></ip>",
        "<ip>]] ></ip>",
        "<ip>\u{1}</ip>",
        "<ip><!-- a -- b --></ip>",
        "<ip><!-- a ---></ip>",
        "<ip><!---></ip>",
        "<ip><!----></ip>",
        "<ip><?pi x?></ip>",
        "<ip><!DOCTYPE x></ip>",
        "<p:ip xmlns:p='urn:p'>1</p:ip>",
        "<ip xmlns='urn:d'>1</ip>",
        "<ip a='1' a='2'>1</ip>",
        "<ip a='<'>1</ip>",
        "<ip a='&bogus;'>1</ip>",
        "<ip a=1>1</ip>",
        "<ip a='1'b='2'>1</ip>",
        "<ip>1</IP>",
        "<ip>1</ip",
        "<ip>1",
        "<ip>",
        "</ip>",
        "<ip/ >",
        "< ip/>",
        "<1ip/>",
        "<ip-1.x_y>1</ip-1.x_y>",
        "<ipé>1</ipé>",
    ];
    for inner in fields {
        same_as_document(&entry(inner));
    }
    let deep = format!("{}x{}", "<d>".repeat(300), "</d>".repeat(300));
    same_as_document(&entry(&deep));
    for xml in [
        "",
        " \n ",
        "<response status='success'/>",
        "<response status='success'/>\n<!-- end -->\n",
        "<!-- start --><response status='success'><result/></response>",
        "\u{feff}<response status='success'><result/></response>",
        "<?xml version=\"1.0\"?><response status='success'><result/></response>",
        "<!DOCTYPE response><response status='success'><result/></response>",
        "<response status='success'><result/></response>junk",
        "<response status='success'><result/></response><response/>",
        "<response status='success'><result/></response>\r\n",
        "<response status = ' success ' code = '19'><result/></response>",
        "<response code=\"20\" status=\"success\"><result/></response>",
        "<response status='success' code=''><result/></response>",
        "<response status='success' code='+0'><result/></response>",
        "<response status='success' code='7'><result/></response>",
        "<response status='success' code='x'><result/></response>",
        "<response status='success' code='1\t9'><result/></response>",
        "<response status='succ&#x65;ss'><result/></response>",
        "<response status='success\n'><result/></response>",
        "<response status='error'><msg><line>no</line></msg></response>",
        "<response status='error' code='403'><msg>Invalid credentials</msg></response>",
        "<response status='error'><msg>007951000123456 not connected</msg></response>",
        "<response><result/></response>",
        "<responses status='success'><result/></responses>",
        "<result status='success'/>",
        "<response status='success'><result><max>1</max></result><result><max>2</max>\
         <entry><ip>r</ip></entry></result></response>",
        "<response status='success'><result><entries><entry><ip>1</ip></entry></entries>\
         <entries><entry><ip>2</ip></entry></entries><entry><ip>3</ip></entry><entry/>\
         </result></response>",
        "<response status='success'><result><total> </total><max/><total>3</total>\
         <max> 9 </max></result></response>",
        "<response status='success'><result><sw-updates/><sw-updates><versions><entry>\
         <version>10.2.9</version></entry></versions></sw-updates></result></response>",
        "<response status='success'><msg>m</msg><result><entry><destination>d</destination>\
         </entry></result></response>",
    ] {
        same_as_document(xml);
    }
}

/// A field value as devices write it, or an odd one: text, references, CDATA, comments and
/// child elements, with white space around.
fn value(rng: &mut StdRng) -> String {
    const TYPICAL: &[&str] = &[
        "10.2.9-h1",
        "11.0.0",
        "9.1.12-h3",
        "bogus",
        "yes",
        "no",
        " No ",
        "TRUE",
        "off",
        "42",
        " 1778 ",
        "18446744073709551616",
        "-3",
        "ethernet1/1",
        "0.0.0.0/0",
        "A S   ",
        "  c  ",
        "00:0c:29:31:bf:8b",
        "",
        " ",
    ];
    const PIECES: &[&str] = &[
        "&amp;",
        "&lt;",
        "&gt;",
        "&quot;",
        "&apos;",
        "&#x41;",
        "&#65;",
        "&#x20AC;",
        "<![CDATA[ <c> & ]]>",
        "<![CDATA[]]>",
        "<!-- c -->",
        "<i>in</i>",
        "<i/>",
        "<i><j> 1 </j>2</i>",
        "\n    ",
        " ",
        "\t",
        "é",
        ">",
        "]",
    ];
    if rng.random_bool(0.6) {
        return TYPICAL.choose(rng).copied().unwrap_or_default().to_owned();
    }
    let mut out = String::new();
    for _ in 0..rng.random_range(0..5) {
        let piece = if rng.random_bool(0.4) {
            TYPICAL.choose(rng).copied().unwrap_or_default()
        } else {
            PIECES.choose(rng).copied().unwrap_or_default()
        };
        // `]`, `]` and `>` in a row is not XML outside a CDATA section: a clean value never
        // spells it (the odd pieces do, on purpose).
        if !format!("{out}{piece}").contains("]]>") {
            out.push_str(piece);
        }
    }
    out
}

/// White space between elements.
fn space(rng: &mut StdRng) -> &'static str {
    ["", "\n", "\n    ", " ", "\t", "\n\n        "]
        .choose(rng)
        .copied()
        .unwrap_or_default()
}

/// The element `name` holding `inner`, in one of the ways it can be written.
fn element(rng: &mut StdRng, name: &str, inner: &str) -> String {
    let pad = space(rng);
    match rng.random_range(0..5) {
        0 if inner.is_empty() => format!("{pad}<{name}/>"),
        1 if inner.is_empty() => format!("{pad}<{name} />"),
        2 => format!("{pad}<{name} b='&amp;2' a=\"1\">{inner}</{name}>"),
        3 => format!("{pad}<{name}\n  a = '1'\t>{inner}{pad}</{name} >"),
        _ => format!("{pad}<{name}>{inner}</{name}>"),
    }
}

/// Names that are not fields of any of the tables.
const OTHERS: &[&str] = &["release-notes", "other", "msg", "flags", "dp", "i"];

/// A row: fields in any order, some missing, some twice, with other elements among them.
fn row(rng: &mut StdRng, fields: &[&str]) -> String {
    if rng.random_bool(0.05) {
        return format!("{}<entry/>", space(rng));
    }
    let mut names: Vec<&str> = fields
        .iter()
        .copied()
        .filter(|_| rng.random_bool(0.8))
        .collect();
    for _ in 0..rng.random_range(0..3) {
        names.push(fields.choose(rng).copied().unwrap_or("x"));
        names.push(OTHERS.choose(rng).copied().unwrap_or("x"));
    }
    names.shuffle(rng);
    let mut inner = String::new();
    for name in names {
        let text = value(rng);
        inner.push_str(&element(rng, name, &text));
    }
    inner.push_str(space(rng));
    element(rng, "entry", &inner)
}

/// The element at `step` of `path` with what it holds: the next step (sometimes twice, or
/// missing), the heading fields at `result`, the rows at the end, and other elements.
fn level(rng: &mut StdRng, kind: Kind, step: usize) -> String {
    let (path, heading, fields) = kind.shape();
    let mut children = Vec::new();
    if step < path.len() {
        let copies = match rng.random_range(0..10) {
            0 => 0,
            1 => 2,
            _ => 1,
        };
        for _ in 0..copies {
            let inner = level(rng, kind, step + 1);
            children.push(element(rng, path[step], &inner));
        }
    } else {
        for _ in 0..rng.random_range(0..6) {
            children.push(row(rng, fields));
        }
    }
    if step == 1 {
        for name in heading {
            for _ in 0..rng.random_range(0..3) {
                let text = value(rng);
                children.push(element(rng, name, &text));
            }
        }
    }
    for _ in 0..rng.random_range(0..3) {
        let name = OTHERS.choose(rng).copied().unwrap_or("x");
        let text = value(rng);
        children.push(element(rng, name, &text));
    }
    if step > 0 && rng.random_bool(0.1) {
        children.push(format!("<entry>{}</entry>", value(rng)));
    }
    children.shuffle(rng);
    children.push(space(rng).to_owned());
    children.concat()
}

/// Pieces that put an answer outside what the scan reads, or make it malformed.
const ODD: &[&str] = &[
    "&bogus;",
    "&#0;",
    "&#xD;",
    "\r\n",
    "\u{1}",
    "\u{FFFE}",
    "]]>",
    "<p:x xmlns:p='urn:p'/>",
    "<x xmlns='urn:d'/>",
    "<x a='1' a='2'/>",
    "<!-- a -- b -->",
    "<?pi x?>",
    "<!DOCTYPE x>",
    "</wrong>",
    "<unclosed>",
    "<",
    "&",
    "'",
    "\"",
];

/// A whole answer of `kind`, clean or not, and whether it is clean (a success the scan must
/// read).
fn answer(rng: &mut StdRng, kind: Kind) -> (String, bool) {
    let mut clean = true;
    let mut attrs = vec!["status=\"success\"".to_owned()];
    match rng.random_range(0..12) {
        0 => attrs.push("code='19'".into()),
        1 => attrs.push("code=\" 20 \"".into()),
        2 => attrs.push("code='0'".into()),
        3 => {
            attrs.push("code='7'".into());
            clean = false;
        }
        4 => {
            attrs[0] = "status='error'".into();
            clean = false;
        }
        _ => {}
    }
    if rng.random_bool(0.3) {
        attrs.push("extra='x'".into());
    }
    attrs.shuffle(rng);
    let mut xml = String::new();
    if rng.random_bool(0.1) {
        xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        clean = false;
    }
    if rng.random_bool(0.1) {
        xml.push_str("<!-- answer -->\n");
    }
    xml.push_str(&format!("<response {}>", attrs.join(" ")));
    if !clean && rng.random_bool(0.5) {
        xml.push_str("<msg><line>it failed</line></msg>");
    }
    xml.push_str(&level(rng, kind, 0));
    xml.push_str("</response>");
    xml.push_str(space(rng));
    if rng.random_bool(0.2) {
        let mut at = rng.random_range(0..=xml.len());
        while !xml.is_char_boundary(at) {
            at -= 1;
        }
        xml.insert_str(at, ODD.choose(rng).copied().unwrap_or_default());
        clean = false;
    }
    (xml, clean)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn generated_answers_read_as_through_the_document(seed in any::<u64>()) {
        let mut rng = StdRng::seed_from_u64(seed);
        for kind in KINDS {
            let (xml, clean) = answer(&mut rng, kind);
            if clean {
                prop_assert!(kind.scans(&xml), "{kind:?} is scanned:\n{xml}");
            }
            for parser in KINDS {
                let (scanned, document) = parser.both(None, &xml);
                prop_assert_eq!(scanned, document, "{:?} on {:?}:\n{}", parser, kind, xml);
            }
        }
    }
}

/// A seed that once had `]`, `]` and `>` drawn one after the other into a value of an answer
/// taken as clean: the scan rightly refused it, and the generator now never spells it.
#[test]
fn a_generated_clean_answer_never_spells_the_end_of_a_cdata_section() {
    let mut rng = StdRng::seed_from_u64(10_428_140_615_708_640_364);
    for kind in KINDS {
        let (xml, clean) = answer(&mut rng, kind);
        if clean {
            assert!(!xml.contains("]]>") || xml.contains("<![CDATA["), "{xml}");
            assert!(kind.scans(&xml), "{kind:?} is scanned:\n{xml}");
        }
    }
}

/// Answers shaped as the simulator writes them, with `count` rows.
fn realistic(kind: Kind, count: usize) -> String {
    let mut rows = String::new();
    for i in 0..count {
        rows.push_str(&match kind {
            Kind::Catalog => format!(
                "                <entry>\n                    <version>10.{}.{}</version>\n                    \
                 <filename>PanOS_vm-10.{0}.{1}</filename>\n                    <size>{i}01</size>\n                    \
                 <size-kb>{i}0123</size-kb>\n                    <released-on>2023/03/29 15:05:25</released-on>\n                    \
                 <release-notes><![CDATA[https://docs.paloaltonetworks.com/pan-os/10-{0}/pan-os-release-notes]]></release-notes>\n                    \
                 <downloaded>no</downloaded>\n                    <current>no</current>\n                    \
                 <latest>no</latest>\n                    <uploaded>no</uploaded>\n                </entry>\n",
                i / 10,
                i % 10
            ),
            Kind::Routes => format!(
                "        <entry>\n            <virtual-router>default</virtual-router>\n            \
                 <destination>10.{}.{}.0/24</destination>\n            <nexthop>172.16.0.254</nexthop>\n            \
                 <metric>10</metric>\n            <flags>A S   </flags>\n            <age></age>\n            \
                 <interface>ethernet1/2</interface>\n            <route-table>unicast</route-table>\n        </entry>\n",
                i / 256,
                i % 256
            ),
            Kind::Arp => format!(
                "            <entry>\n                <status>  c  </status>\n                <ip>172.16.0.{}</ip>\n                \
                 <mac>00:0c:29:31:bf:{:02x}</mac>\n                <ttl>1700</ttl>\n                \
                 <interface>ethernet1/2</interface>\n                <port>ethernet1/2</port>\n            </entry>\n",
                i % 250,
                i % 256
            ),
        });
    }
    let result = match kind {
        Kind::Catalog => format!(
            "        <sw-updates last-updated-at=\"2023/05/31 11:47:34\">\n            <msg />\n            \
             <versions>\n{rows}            </versions>\n        </sw-updates>\n"
        ),
        Kind::Routes => format!("        <flags>flags: A:active, ?:loose</flags>\n{rows}"),
        Kind::Arp => format!(
            "        <max>1500</max>\n        <total>{count}</total>\n        <timeout>1800</timeout>\n        \
             <dp>dp0</dp>\n        <entries>\n{rows}        </entries>\n"
        ),
    };
    format!("<response status=\"success\">\n    <result>\n{result}    </result>\n</response>\n")
}

/// Prints the time per answer through the scan and through the document:
/// `cargo test -p panos-client --release --lib scan_timings -- --ignored --nocapture`.
#[test]
#[ignore = "a timing, not a test"]
fn scan_timings() {
    use std::hint::black_box;
    use std::time::Instant;

    let mut answers: Vec<(String, Kind, String)> = vec![
        (
            "catalog, 70 entries".into(),
            Kind::Catalog,
            realistic(Kind::Catalog, 70),
        ),
        (
            "routes, 40".into(),
            Kind::Routes,
            realistic(Kind::Routes, 40),
        ),
        (
            "routes, 400".into(),
            Kind::Routes,
            realistic(Kind::Routes, 400),
        ),
        ("arp, 20".into(), Kind::Arp, realistic(Kind::Arp, 20)),
        ("arp, 400".into(), Kind::Arp, realistic(Kind::Arp, 400)),
    ];
    if let Some(xml) = panos_samples::sample("request-system-software-check.panorama-10.0.x.xml") {
        answers.push(("catalog, real panorama sample".into(), Kind::Catalog, xml));
    }
    let ctx = Ctx::new("timing");
    for (label, kind, xml) in &answers {
        assert!(kind.scans(xml), "{label}");
        // The fastest of many batches, as other work shares the machine.
        let batch = |through_document: bool| {
            let rounds = 50;
            let start = Instant::now();
            for _ in 0..rounds {
                match (kind, through_document) {
                    (Kind::Catalog, false) => drop(black_box(software_catalog(&ctx, xml))),
                    (Kind::Catalog, true) => drop(black_box(catalog_from_document(&ctx, xml))),
                    (Kind::Routes, false) => {
                        drop(black_box(routes(&ctx, xml, RoutingEngine::Legacy)));
                    }
                    (Kind::Routes, true) => {
                        drop(black_box(routes_from_document(
                            &ctx,
                            xml,
                            RoutingEngine::Legacy,
                        )));
                    }
                    (Kind::Arp, false) => drop(black_box(arp(&ctx, xml))),
                    (Kind::Arp, true) => drop(black_box(arp_from_document(&ctx, xml))),
                }
            }
            start.elapsed().as_secs_f64() * 1e6 / f64::from(rounds)
        };
        let (mut document, mut scanned) = (f64::MAX, f64::MAX);
        for _ in 0..60 {
            document = document.min(batch(true));
            scanned = scanned.min(batch(false));
        }
        println!(
            "{label:32} {:6} bytes: document {document:7.1} µs, scan {scanned:6.1} µs, {:.1}x",
            xml.len(),
            document / scanned
        );
    }
}
