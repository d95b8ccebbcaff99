//! Helpers shared by the integration tests: start a simulator on loopback, send API requests
//! with reqwest, read responses with roxmltree, compare shapes with the real samples.
#![allow(dead_code)]

use std::collections::BTreeSet;

use panos_sim::{FleetSpec, SimConfig, SimHandle};

/// The example fleet shipped with the crate.
pub fn example_fleet() -> FleetSpec {
    serde_json::from_str(include_str!("../../examples/fleet.json")).expect("example fleet parses")
}

/// Serials in the example fleet.
pub const BRANCH: &str = "007951000100001";
pub const DC_A: &str = "007951000100002";
pub const DC_B: &str = "007951000100003";
pub const LAB_VM: &str = "007951000100004";

/// A client for one simulator.
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub key: String,
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub body: String,
}

impl Resp {
    /// The body parsed (panics with the body when it is not XML).
    pub fn doc(&self) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The text at a `/`-separated element path below the root (`result/system/sw-version`).
    pub fn text(&self, path: &str) -> Option<String> {
        text_at(&self.doc(), path)
    }

    /// The root's `status` attribute.
    pub fn status_attr(&self) -> String {
        self.doc()
            .root_element()
            .attribute("status")
            .unwrap_or_default()
            .to_string()
    }

    /// The message line(s) of an error.
    pub fn msg(&self) -> String {
        let doc = self.doc();
        doc.descendants()
            .filter(|n| {
                n.has_tag_name("line")
                    || (n.has_tag_name("msg") && n.children().all(|c| c.is_text()))
            })
            .filter_map(|n| n.text())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The text at a path below the root element.
pub fn text_at(doc: &roxmltree::Document<'_>, path: &str) -> Option<String> {
    let mut node = doc.root_element();
    for part in path.split('/') {
        node = node.children().find(|c| c.has_tag_name(part))?;
    }
    Some(node.text().unwrap_or_default().to_string())
}

impl Api {
    /// A client for `sim` over HTTP with its API key.
    pub fn new(sim: &SimHandle) -> Api {
        Api::for_base(sim.url(), sim.api_key(), reqwest::Client::builder())
    }

    /// A client for `base` with a prepared builder (for HTTPS).
    pub fn for_base(base: &str, key: String, builder: reqwest::ClientBuilder) -> Api {
        Api {
            // No idle-pool timer: paused-time tests must only see the timers they set.
            http: builder.pool_idle_timeout(None).build().expect("client"),
            base: base.to_string(),
            key,
        }
    }

    /// POSTs `type=op&cmd=…[&target=…]` with the key in `X-PAN-KEY`.
    pub async fn op(&self, target: Option<&str>, cmd: &str) -> Resp {
        let mut form = vec![("type", "op"), ("cmd", cmd)];
        if let Some(t) = target {
            form.push(("target", t));
        }
        let r = self
            .http
            .post(format!("{}/api/", self.base))
            .header("X-PAN-KEY", &self.key)
            .form(&form)
            .send()
            .await
            .expect("request sent");
        Resp {
            status: r.status().as_u16(),
            body: r.text().await.expect("body"),
        }
    }

    /// GETs `/api/?…` with these query parameters (no key added).
    pub async fn get(&self, query: &[(&str, &str)]) -> Resp {
        let r = self
            .http
            .get(format!("{}/api/", self.base))
            .query(query)
            .send()
            .await
            .expect("request sent");
        Resp {
            status: r.status().as_u16(),
            body: r.text().await.expect("body"),
        }
    }

    /// `show system info` of `target`.
    pub async fn system_info(&self, target: &str) -> Resp {
        self.op(Some(target), "<show><system><info></info></system></show>")
            .await
    }

    /// `show jobs id N`.
    pub async fn job(&self, target: &str, id: &str) -> Resp {
        self.op(
            Some(target),
            &format!("<show><jobs><id>{id}</id></jobs></show>"),
        )
        .await
    }

    /// `show high-availability state`, the local state and running-sync.
    pub async fn ha(&self, target: &str) -> (String, String) {
        let r = self
            .op(
                Some(target),
                "<show><high-availability><state/></high-availability></show>",
            )
            .await;
        (
            r.text("result/group/local-info/state")
                .expect("local state"),
            r.text("result/group/running-sync").expect("running-sync"),
        )
    }

    /// Starts a download and returns the job id.
    pub async fn download(&self, target: &str, version: &str) -> String {
        let r = self
            .op(
                Some(target),
                &format!("<request><system><software><download><version>{version}</version></download></software></system></request>"),
            )
            .await;
        assert_eq!(
            r.doc().root_element().attribute("code"),
            Some("19"),
            "{}",
            r.body
        );
        r.text("result/job").expect("job id")
    }

    /// Starts an install and returns the response.
    pub async fn install(&self, target: &str, version: &str) -> Resp {
        self.op(
            Some(target),
            &format!("<request><system><software><install><version>{version}</version></install></software></system></request>"),
        )
        .await
    }

    /// `request restart system`.
    pub async fn restart(&self, target: &str) -> Resp {
        self.op(
            Some(target),
            "<request><restart><system></system></restart></request>",
        )
        .await
    }
}

/// Starts a simulator on `fleet` (HTTP, real time unless paused) and a client for it.
pub async fn start(fleet: FleetSpec) -> (SimHandle, Api) {
    let sim = panos_sim::start(SimConfig::new(fleet))
        .await
        .expect("simulator starts");
    let api = Api::new(&sim);
    (sim, api)
}

/// Element paths (`response/result/system/hostname`) of a document.
pub fn paths(xml: &str) -> BTreeSet<String> {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    let mut out = BTreeSet::new();
    for node in doc.descendants().filter(|n| n.is_element()) {
        let path: Vec<&str> = node
            .ancestors()
            .filter(|a| a.is_element())
            .map(|a| a.tag_name().name())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        out.insert(path.join("/"));
    }
    out
}

/// Asserts the simulator's response has every element path of the real sample except `except`
/// (fields of other platforms or releases), and the same root attributes.
pub fn assert_shape(sample: &str, got: &str, except: &[&str]) {
    let Some(real) = panos_samples::sample(sample) else {
        return;
    };
    let want = paths(&real);
    let have = paths(got);
    let missing: Vec<_> = want
        .iter()
        .filter(|p| !have.contains(*p) && !except.iter().any(|e| p.ends_with(e)))
        .collect();
    assert!(
        missing.is_empty(),
        "{sample}: missing paths {missing:#?}\n--- got:\n{got}"
    );
    let attrs = |xml: &str| -> Vec<String> {
        let doc = roxmltree::Document::parse(xml).unwrap();
        let mut a: Vec<String> = doc
            .root_element()
            .attributes()
            .map(|a| a.name().to_string())
            .collect();
        a.sort();
        a
    };
    assert_eq!(attrs(&real), attrs(got), "{sample}: root attributes");
}

/// The raw text up to `<result>`: how the root element is quoted.
pub fn root_tag(xml: &str) -> &str {
    let t = xml.trim_start();
    &t[..t.find('>').map_or(t.len(), |i| i + 1)]
}
