//! Property tests: no parser panics, whatever it is given (random text, random bytes, XML-like
//! fragments, and real samples cut or altered at random places).

use panos_client::model::RoutingEngine;
use panos_client::parse::*;
use proptest::prelude::*;

/// Runs every parser on `text`; only panics matter here.
fn parse_all(text: &str) {
    let _ = check_envelope("op", None, text);
    let _ = check_envelope("op", Some(403), text);
    let _ = check_envelope("op", Some(502), text);
    let _ = parse_system_info(text);
    let _ = parse_ha_state(text);
    let _ = parse_software_catalog(text);
    let _ = parse_job_enqueued(text);
    let _ = parse_job_status(text);
    let _ = parse_jobs_all(text);
    let _ = parse_restart(text);
    let _ = parse_chassis_ready(text);
    let _ = parse_ha_state_change(text);
    let _ = parse_session_info(text);
    let _ = parse_routes(text, RoutingEngine::Legacy);
    let _ = parse_routes(text, RoutingEngine::Advanced);
    let _ = parse_arp(text);
    let _ = parse_disk_space(text);
    let _ = parse_df_text(text);
    let _ = parse_managed_devices(text);
    let _ = parse_keygen(text);
}

/// Pieces of real answers, glued together at random.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<response status='success'>".to_owned()),
        Just("<response status=\"error\" code=\"19\">".to_owned()),
        Just("</response>".to_owned()),
        Just("<result>".to_owned()),
        Just("</result>".to_owned()),
        Just("<msg><line>".to_owned()),
        Just("</line></msg>".to_owned()),
        Just("<![CDATA[".to_owned()),
        Just("]]>".to_owned()),
        Just("<job><id>".to_owned()),
        Just("</id></job>".to_owned()),
        Just("<entry>".to_owned()),
        Just("</entry>".to_owned()),
        Just("<json>{\"lr\": {\"0.0.0.0/0\": [{\"nexthops\": [".to_owned()),
        Just("]}]}}</json>".to_owned()),
        Just("Filesystem Size Used Avail Use% Mounted on\n".to_owned()),
        Just("/dev/sda1 1.8T 99999999999999999999P 0 101% /\n".to_owned()),
        Just("<version>10.2.9-h1</version>".to_owned()),
        "[a-z0-9 ./:%<>='\"-]{0,12}",
    ]
}

const MUTATED_SAMPLES: &[&str] = &[
    "show-system-info.fw-9.1.12-h3-pa7050.xml",
    "show-high-availability-state.fw-10.0.9-passive.xml",
    "request-system-software-check.fw-vm-11.0.xml",
    "show-jobs-id.validate-fin-fail-cdata-lines.xml",
    "show-advanced-routing-route.fw-json.xml",
    "show-system-disk-space.fw-cdata.xml",
    "show-devices-connected.panorama-10.1-fws-with-trailing-text.xml",
    "error.code-12-msg-cdata-lines.xml",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(text in "\\PC{0,300}") {
        parse_all(&text);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        parse_all(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn glued_fragments_never_panic(parts in proptest::collection::vec(fragment(), 0..24)) {
        parse_all(&parts.concat());
    }

    #[test]
    fn altered_samples_never_panic(
        which in 0..MUTATED_SAMPLES.len(),
        cut in any::<prop::sample::Index>(),
        insert in "\\PC{0,8}",
    ) {
        let Some(xml) = panos_samples::sample(MUTATED_SAMPLES[which]) else {
            return Ok(());
        };
        let mut at = cut.index(xml.len() + 1);
        while !xml.is_char_boundary(at) {
            at -= 1;
        }
        parse_all(&xml[..at]);
        parse_all(&format!("{}{insert}{}", &xml[..at], &xml[at..]));
    }
}
