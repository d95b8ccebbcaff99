//! Property tests: the command parser never panics and reads back what pan-python's CLI-to-XML
//! form writes; versions print back as parsed; generated fleets are always valid.

use panos_sim::{Command, FleetShape, PanVersion, generate_fleet, parse_command};
use proptest::prelude::*;

proptest! {
    #[test]
    fn the_command_parser_never_panics(s in ".{0,200}") {
        let _ = parse_command(&s);
    }

    #[test]
    fn cli_to_xml_download_and_job_forms_read_back(
        major in 8u32..13, minor in 0u32..4, patch in 0u32..20, hotfix in proptest::option::of(1u32..30),
        sync in any::<bool>(), id in 1u32..100_000,
    ) {
        let version = match hotfix {
            Some(h) => format!("{major}.{minor}.{patch}-h{h}"),
            None => format!("{major}.{minor}.{patch}"),
        };
        let sync_xml = if sync { "<sync-to-peer>yes</sync-to-peer>" } else { "" };
        let xml = format!("<request><system><software><download>{sync_xml}<version>{version}</version></download></software></system></request>");
        prop_assert_eq!(parse_command(&xml), Ok(Command::SoftwareDownload { version: version.clone(), sync_to_peer: sync }));
        prop_assert_eq!(
            parse_command(&format!("<show><jobs><id>{id}</id></jobs></show>")),
            Ok(Command::ShowJob { id: id.to_string() })
        );
        let v = PanVersion::parse(&version).unwrap();
        prop_assert_eq!(v.to_string(), version);
    }

    #[test]
    fn generated_fleets_are_valid(devices in 0usize..120, pairs in 0usize..70, seed in any::<u64>()) {
        let fleet = generate_fleet(&FleetShape { devices, ha_pairs: pairs, seed });
        prop_assert_eq!(fleet.devices.len(), devices);
        prop_assert!(fleet.validate().is_ok());
    }
}
