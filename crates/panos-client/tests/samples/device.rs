//! `show system info`, `show high-availability state`, HA state changes and Panorama's
//! `show devices`.

use super::*;

#[test]
fn system_info_pa7050() {
    let Some(xml) = sample("show-system-info.fw-9.1.12-h3-pa7050.xml") else {
        return;
    };
    let info = parse_system_info(&xml).unwrap();
    assert_eq!(info.hostname, "testfw");
    assert_eq!(info.serial.as_str(), "11111111111");
    assert_eq!(info.model, "PA-7050");
    assert_eq!(info.family.as_deref(), Some("7000"));
    assert_eq!(info.sw_version, v("9.1.12-h3"));
    assert_eq!(info.app_version.as_deref(), Some("8709-8047"));
    assert_eq!(info.av_version.as_deref(), Some("4455-4972"));
    assert_eq!(info.ip_address.as_deref(), Some("1.1.1.1"));
    assert_eq!(info.uptime.as_deref(), Some("179 days, 5:07:34"));
    assert_eq!(info.multi_vsys, Some(true));
    assert_eq!(info.advanced_routing, None);
    assert_eq!(info.operational_mode.as_deref(), Some("normal"));
}

#[test]
fn system_info_pavm_8_1_3() {
    let Some(xml) = sample("show-system-info.fw-8.1.3-pavm-kvm.xml") else {
        return;
    };
    let info = parse_system_info(&xml).unwrap();
    assert_eq!(info.hostname, "PA-VM");
    assert_eq!(info.serial.as_str(), "123456");
    assert_eq!(info.model, "PA-VM");
    assert_eq!(info.family.as_deref(), Some("vm"));
    assert_eq!(info.sw_version, v("8.1.3"));
    assert_eq!(info.ip_address.as_deref(), Some("192.168.122.254"));
    assert_eq!(info.uptime.as_deref(), Some("0 days, 7:36:01"));
    assert_eq!(info.multi_vsys, Some(false));
}

#[test]
fn system_info_panorama() {
    let Some(xml) = sample("show-system-info.panorama-10.0.9.xml") else {
        return;
    };
    let info = parse_system_info(&xml).unwrap();
    assert_eq!(info.hostname, "Panorama");
    assert_eq!(info.model, "Panorama");
    assert_eq!(info.serial.as_str(), "111111111111111");
    assert_eq!(info.family.as_deref(), Some("pc"));
    assert_eq!(info.sw_version, v("10.0.9"));
    assert_eq!(info.advanced_routing, Some(true));
    assert_eq!(info.av_version.as_deref(), Some("0"));
}

#[test]
fn system_info_redacted_serial_is_refused_and_the_rest_reads() {
    let Some(xml) = sample("show-system-info.fw-10.2.11-h12-redacted.xml") else {
        return;
    };
    // The author replaced family, model and serial with `#########`: not a serial.
    let err = parse_system_info(&xml).unwrap_err();
    assert!(matches!(err, ClientError::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("serial"), "{err}");
    // With a serial put back, every other field reads.
    let restored = xml.replace(
        "<serial>#########</serial>",
        "<serial>012801000001</serial>",
    );
    let info = parse_system_info(&restored).unwrap();
    assert_eq!(info.hostname, "PA-LAB");
    assert_eq!(info.serial.as_str(), "012801000001");
    assert_eq!(info.sw_version, v("10.2.11-h12"));
    assert_eq!(info.app_version.as_deref(), Some("8971-9419"));
    assert_eq!(info.av_version.as_deref(), Some("5169-5689"));
    assert_eq!(info.uptime.as_deref(), Some("65 days, 8:44:39"));
    assert_eq!(info.multi_vsys, Some(false));
    assert_eq!(info.advanced_routing, Some(false));
}

// ---- HA -------------------------------------------------------------------------------------

#[test]
fn ha_firewall_passive_member() {
    let Some(xml) = sample("show-high-availability-state.fw-10.0.9-passive.xml") else {
        return;
    };
    let ha = parse_ha_state(&xml).unwrap();
    assert!(ha.enabled);
    assert_eq!(ha.mode.as_deref(), Some("Active-Passive"));
    let local = ha.local.unwrap();
    assert_eq!(local.state, HaState::Passive);
    assert_eq!(local.priority.as_deref(), Some("90"));
    assert_eq!(local.preemptive, Some(false));
    assert_eq!(local.build_rel, Some(v("10.0.9")));
    assert_eq!(local.mgmt_ip.as_deref(), Some("1.1.1.140/24"));
    assert_eq!(local.state_duration_secs, Some(44_655));
    assert_eq!(local.last_error_reason.as_deref(), Some("User requested"));
    let peer = ha.peer.unwrap();
    assert_eq!(peer.state, HaState::Active);
    assert_eq!(peer.priority.as_deref(), Some("100"));
    assert_eq!(peer.conn_status.as_deref(), Some("up"));
    assert_eq!(peer.state_duration_secs, Some(49_561));
    assert_eq!(ha.running_sync, Some(ConfigSync::NotSynchronized));
    assert_eq!(ha.running_sync_enabled, Some(true));
}

#[test]
fn ha_disabled() {
    let Some(xml) = sample("show-high-availability-state.ha-disabled.xml") else {
        return;
    };
    let ha = parse_ha_state(&xml).unwrap();
    assert!(!ha.enabled);
    assert!(ha.local.is_none() && ha.peer.is_none() && ha.running_sync.is_none());
}

#[test]
fn ha_panorama_without_group() {
    let Some(xml) = sample("show-high-availability-state.panorama-10.1.5-h2-primary-active.xml")
    else {
        return;
    };
    let ha = parse_ha_state(&xml).unwrap();
    assert!(ha.enabled);
    let local = ha.local.unwrap();
    assert_eq!(local.state, HaState::Other("primary-active".into()));
    assert!(local.state.is_active());
    assert_eq!(local.priority.as_deref(), Some("primary"));
    assert_eq!(local.build_rel, Some(v("10.1.5-h2")));
    let peer = ha.peer.unwrap();
    assert!(peer.state.is_passive());
    assert_eq!(peer.mgmt_ip.as_deref(), Some("1.1.1.2"));
    assert_eq!(peer.conn_status.as_deref(), Some("up"));
    assert_eq!(ha.running_sync, Some(ConfigSync::NotSynchronized));
}

#[test]
fn ha_panorama_11_synchronized() {
    let Some(xml) =
        sample("show-high-availability-state.panorama-11.0.1-primary-active-pathmon.xml")
    else {
        return;
    };
    let ha = parse_ha_state(&xml).unwrap();
    let (local, peer) = (ha.local.unwrap(), ha.peer.unwrap());
    assert!(local.state.is_active() && peer.state.is_passive());
    assert_eq!(local.preemptive, Some(true));
    assert_eq!(local.state_duration_secs, Some(218_028));
    assert_eq!(peer.build_rel, Some(v("11.0.1")));
    assert_eq!(ha.running_sync, Some(ConfigSync::Synchronized));
}

#[test]
fn ha_state_changes() {
    for name in [
        "request-high-availability-state-suspend.via-panorama-target.doc-9.1.xml",
        "request-high-availability-state-functional.via-panorama-target.doc-9.1.xml",
    ] {
        let Some(xml) = sample(name) else { return };
        parse_ha_state_change(&xml).unwrap();
        let envelope = check_envelope("ha", None, &xml).unwrap();
        assert_eq!(envelope.code, None, "{name}");
        let err = parse_ha_state_change(&xml.replace("success", "error")).unwrap_err();
        assert!(matches!(err, ClientError::Api { .. }), "{name}: {err:?}");
    }
}

#[test]
fn devices_all_with_ha_pair() {
    let Some(xml) = sample("show-devices-all.panorama-10.0.9.xml") else {
        return;
    };
    let devices = parse_managed_devices(&xml).unwrap();
    assert_eq!(devices.len(), 3);
    let serials: Vec<&str> = devices.iter().map(|d| d.serial.as_str()).collect();
    assert_eq!(
        serials,
        ["111111111111111", "222222222222222", "333333333333333"]
    );
    let first = &devices[0];
    assert_eq!(first.hostname.as_deref(), Some("vm-lab-fw1"));
    assert_eq!(first.model.as_deref(), Some("PA-VM"));
    assert_eq!(first.family.as_deref(), Some("vm"));
    assert_eq!(first.sw_version, Some(v("10.0.9")));
    assert_eq!(first.app_version.as_deref(), Some("8475-7000"));
    assert!(first.connected);
    let ha = first.ha.as_ref().unwrap();
    assert_eq!(ha.state, "passive");
    assert_eq!(ha.peer_serial.as_ref().unwrap().as_str(), "222222222222222");
    assert_eq!(devices[1].ha.as_ref().unwrap().state, "active");
    let third = devices[2].ha.as_ref().unwrap();
    assert_eq!(
        (third.state.as_str(), third.peer_serial.as_ref()),
        ("no", None)
    );
}

#[test]
fn devices_all_blank_cert_fields() {
    let Some(xml) = sample("show-devices-all.panorama-fw-9.1.13-blank-cert-fields.xml") else {
        return;
    };
    let devices = parse_managed_devices(&xml).unwrap();
    assert_eq!(devices.len(), 1);
    let device = &devices[0];
    assert_eq!(device.serial.as_str(), "111111111111111");
    assert_eq!(device.hostname.as_deref(), Some("pantf-outbound-fw000000"));
    assert_eq!(device.ip_address.as_deref(), Some("1.1.1.1"));
    assert_eq!(device.sw_version, Some(v("9.1.13")));
    assert!(device.connected);
    assert!(device.ha.is_none());
}

#[test]
fn devices_connected_tolerates_trailing_text() {
    let Some(xml) = sample("show-devices-connected.panorama-10.1-fws-with-trailing-text.xml")
    else {
        return;
    };
    let devices = parse_managed_devices(&xml).unwrap();
    assert_eq!(devices.len(), 7);
    assert!(devices.iter().all(|d| d.connected));
    let hostnames: Vec<&str> = devices
        .iter()
        .filter_map(|d| d.hostname.as_deref())
        .collect();
    assert_eq!(
        hostnames,
        [
            "lab-fw3", "lab-fw1", "katy-fw1", "lab-fw4", "lab-fw2", "katy-fw2", "lab-fw5"
        ]
    );
    let katy1 = &devices[2];
    assert_eq!(katy1.serial.as_str(), "007054000543212");
    let ha = katy1.ha.as_ref().unwrap();
    assert_eq!(ha.state, "active");
    assert_eq!(ha.peer_serial.as_ref().unwrap().as_str(), "007054000543217");
    assert_eq!(devices[5].ha.as_ref().unwrap().state, "passive");
    assert!(
        devices[0].ha.is_none(),
        "ha-cluster alone is not HA membership"
    );
    assert_eq!(devices[3].sw_version, Some(v("10.1.3-h3")));
}
