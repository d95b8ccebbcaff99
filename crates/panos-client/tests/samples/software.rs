//! The software catalog (`request system software check|info`).

use super::*;

#[test]
fn catalog_vm_11_0_sorted_ascending() {
    let Some(xml) = sample("request-system-software-check.fw-vm-11.0.xml") else {
        return;
    };
    let catalog = parse_software_catalog(&xml).unwrap();
    let versions: Vec<String> = catalog
        .images
        .iter()
        .map(|i| i.version.to_string())
        .collect();
    assert_eq!(versions, ["11.0.0", "11.0.1"]);
    let latest = catalog.get(&v("11.0.1")).unwrap();
    assert!(latest.latest && !latest.downloaded && !latest.current);
    assert_eq!(latest.filename.as_deref(), Some("PanOS_vm-11.0.1"));
    assert_eq!(latest.size_mb, Some(492));
    assert_eq!(latest.size_kb, Some(504_796));
    assert_eq!(latest.size_bytes(), Some(504_796 * 1024));
    assert_eq!(latest.released_on.as_deref(), Some("2023/03/29 15:05:25"));
    assert!(catalog.current().is_none());
}

#[test]
fn catalog_vm_8_0_3_current_and_downloaded() {
    let Some(xml) = sample("request-system-software-check.fw-vm-8.0.3-current.xml") else {
        return;
    };
    let catalog = parse_software_catalog(&xml).unwrap();
    assert_eq!(catalog.images.len(), 2);
    let current = catalog.current().unwrap();
    assert_eq!(current.version, v("8.0.3"));
    assert!(current.downloaded);
    assert_eq!(current.released_on.as_deref(), Some("2017/06/18  14:55:45"));
    assert_eq!(catalog.images[1].version, v("8.0.4"));
    assert!(catalog.images[1].latest);
}

#[test]
fn catalog_panorama_is_sorted_even_when_the_device_is_not() {
    let Some(xml) = sample("request-system-software-check.panorama-10.0.x.xml") else {
        return;
    };
    let catalog = parse_software_catalog(&xml).unwrap();
    assert_eq!(catalog.images.len(), 23);
    assert!(
        catalog
            .images
            .windows(2)
            .all(|w| w[0].version < w[1].version)
    );
    assert_eq!(catalog.images[0].version, v("4.0.1"));
    assert_eq!(
        catalog.images[0].filename.as_deref(),
        Some("PanCMS_pc-4.0.1")
    );
    assert_eq!(catalog.images[22].version, v("10.0.10"));
    assert!(catalog.images[22].latest);
    let pos = |text: &str| {
        catalog
            .images
            .iter()
            .position(|i| i.version == v(text))
            .unwrap()
    };
    assert!(pos("9.1.13") < pos("9.1.13-h1") && pos("9.1.13-h1") < pos("9.1.13-h3"));
    assert_eq!(catalog.get(&v("10.0.9")).unwrap().size_kb, Some(381_333));
}

#[test]
fn catalog_check_without_update_server() {
    let Some(xml) = sample("request-system-software-check.error-update-server-unreachable.xml")
    else {
        return;
    };
    let (code, message, _) = api_error(parse_software_catalog(&xml));
    assert_eq!(code, None);
    assert_eq!(
        message,
        "Failed to check upgrade info due to generic communication error. Please check \
         network connectivity and try again."
    );
}
