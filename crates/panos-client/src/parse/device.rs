//! Answers about a device as a whole: `show system info`, `show high-availability state`,
//! `show chassis-ready`, restart and HA state changes, and keygen.

use std::borrow::Cow;
use std::str::FromStr;

use roxmltree::Node;
use secrecy::SecretString;

use super::envelope::{Response, open, read};
use super::{Ctx, child, flag, flag_of, number_of, path, text_of, text_ref, trimmed_text};
use crate::error::ClientError;
use crate::model::{ConfigSync, HaMemberInfo, HaState, HaStatus, SystemInfo};
use crate::types::ParseError;

/// The text a restart answers with; some releases send it with a non-success status.
const RESTART_TEXT: &str = "Command succeeded with no output";

/// The trimmed, non-blank text of `name` under `node` (borrowed where it can be), or a decode
/// error naming it.
pub(super) fn required<'a>(
    ctx: &Ctx<'_>,
    response: &Response<'_>,
    node: Node<'a, '_>,
    name: &str,
) -> Result<Cow<'a, str>, ClientError> {
    text_ref(node, name).ok_or_else(|| {
        ctx.decode(
            format!(
                "<{name}> is missing or empty in <{}>",
                node.tag_name().name()
            ),
            response.body(),
        )
    })
}

/// `text` parsed as `T`, or a decode error saying why.
pub(super) fn typed<T: FromStr<Err = ParseError>>(
    ctx: &Ctx<'_>,
    response: &Response<'_>,
    text: &str,
) -> Result<T, ClientError> {
    text.parse()
        .map_err(|err: ParseError| ctx.decode(err.to_string(), response.body()))
}

/// The `<result>` element, or a decode error.
pub(super) fn result<'a, 'i>(
    ctx: &Ctx<'_>,
    response: &'a Response<'i>,
) -> Result<Node<'a, 'i>, ClientError> {
    response
        .result()
        .ok_or_else(|| ctx.decode("the answer has no <result>", response.body()))
}

/// Parses the answer to `show system info` (a firewall's or Panorama's).
///
/// # Errors
/// An envelope error, or [`ClientError::Decode`] when `hostname`, `serial`, `model` or
/// `sw-version` is missing or invalid.
pub fn parse_system_info(xml: &str) -> Result<SystemInfo, ClientError> {
    system_info(&Ctx::new("show system info"), xml)
}

pub(crate) fn system_info(ctx: &Ctx<'_>, xml: &str) -> Result<SystemInfo, ClientError> {
    let response = open(ctx, xml)?;
    let system = path(response.root(), &["result", "system"])
        .ok_or_else(|| ctx.decode("the answer has no <result><system>", xml))?;
    let serial = required(ctx, &response, system, "serial")?;
    let sw_version = required(ctx, &response, system, "sw-version")?;
    Ok(SystemInfo {
        hostname: required(ctx, &response, system, "hostname")?.into_owned(),
        serial: typed(ctx, &response, &serial)?,
        model: required(ctx, &response, system, "model")?.into_owned(),
        family: text_of(system, "family"),
        sw_version: typed(ctx, &response, &sw_version)?,
        app_version: text_of(system, "app-version"),
        av_version: text_of(system, "av-version"),
        ip_address: text_of(system, "ip-address"),
        uptime: text_of(system, "uptime"),
        multi_vsys: flag_of(system, "multi-vsys"),
        advanced_routing: flag_of(system, "advanced-routing"),
        operational_mode: text_of(system, "operational-mode"),
    })
}

/// Parses the answer to `show high-availability state`, from a firewall (members under
/// `result/group`) or from Panorama (members directly under `result`).
///
/// # Errors
/// An envelope error, or [`ClientError::Decode`] when `enabled` is missing.
pub fn parse_ha_state(xml: &str) -> Result<HaStatus, ClientError> {
    ha_state(&Ctx::new("show high-availability state"), xml)
}

pub(crate) fn ha_state(ctx: &Ctx<'_>, xml: &str) -> Result<HaStatus, ClientError> {
    let response = open(ctx, xml)?;
    let result = result(ctx, &response)?;
    let enabled_text = required(ctx, &response, result, "enabled")?;
    let enabled = flag(&enabled_text)
        .ok_or_else(|| ctx.decode(format!("<enabled> is {enabled_text:?}, not yes or no"), xml))?;
    if !enabled {
        return Ok(HaStatus {
            enabled,
            mode: None,
            local: None,
            peer: None,
            running_sync: None,
            running_sync_enabled: None,
        });
    }
    let group = child(result, "group").unwrap_or(result);
    let local = child(group, "local-info").and_then(member);
    let peer = child(group, "peer-info").and_then(member);
    let mode = text_of(group, "mode")
        .or_else(|| child(group, "local-info").and_then(|local| text_of(local, "mode")));
    Ok(HaStatus {
        enabled,
        mode,
        local,
        peer,
        running_sync: text_ref(group, "running-sync").map(|text| config_sync(&text)),
        running_sync_enabled: flag_of(group, "running-sync-enabled"),
    })
}

/// One member (`local-info` or `peer-info`); `None` when it reports no state.
fn member(node: Node<'_, '_>) -> Option<HaMemberInfo> {
    let state = text_ref(node, "state")?;
    Some(HaMemberInfo {
        state: HaState::from_device_text(&state),
        priority: text_of(node, "priority"),
        preemptive: flag_of(node, "preemptive"),
        build_rel: text_ref(node, "build-rel").and_then(|text| text.parse().ok()),
        mgmt_ip: text_of(node, "mgmt-ip"),
        state_duration_secs: number_of(node, "state-duration"),
        conn_status: text_of(node, "conn-status"),
        last_error_reason: text_of(node, "last-error-reason"),
    })
}

/// The `running-sync` text, in any case.
fn config_sync(text: &str) -> ConfigSync {
    let text = text.trim();
    let is = |words: &str| text.eq_ignore_ascii_case(words);
    if is("synchronized") {
        ConfigSync::Synchronized
    } else if is("not synchronized") {
        ConfigSync::NotSynchronized
    } else if is("synchronization in progress") {
        ConfigSync::InProgress
    } else {
        ConfigSync::Other(text.to_owned())
    }
}

/// Parses the answer to `show chassis-ready`: `true` when the result text is `yes`.
///
/// # Errors
/// An envelope error, or [`ClientError::Decode`] when the text is neither `yes` nor `no`.
pub fn parse_chassis_ready(xml: &str) -> Result<bool, ClientError> {
    chassis_ready(&Ctx::new("show chassis-ready"), xml)
}

pub(crate) fn chassis_ready(ctx: &Ctx<'_>, xml: &str) -> Result<bool, ClientError> {
    let response = open(ctx, xml)?;
    let text = trimmed_text(result(ctx, &response)?);
    flag(&text).ok_or_else(|| ctx.decode(format!("chassis-ready is {text:?}, not yes or no"), xml))
}

/// Parses the answer to `request restart system`. A success, and also an error whose message
/// or result is `Command succeeded with no output` (some releases send that), mean the restart
/// was accepted.
///
/// # Errors
/// Any other envelope error.
pub fn parse_restart(xml: &str) -> Result<(), ClientError> {
    restart(&Ctx::new("request restart system"), xml)
}

pub(crate) fn restart(ctx: &Ctx<'_>, xml: &str) -> Result<(), ClientError> {
    let raw = read(ctx, xml)?;
    if !raw.is_success() {
        let response = raw.response();
        let result_text = response.result().map(trimmed_text).unwrap_or_default();
        if response.envelope.message.trim().starts_with(RESTART_TEXT)
            || result_text.starts_with(RESTART_TEXT)
        {
            return Ok(());
        }
    }
    raw.into_success(ctx).map(drop)
}

/// Parses the answer to `request high-availability state suspend|functional`
/// (`Successfully changed HA state to …`).
///
/// # Errors
/// An envelope error (for example when HA is not configured).
pub fn parse_ha_state_change(xml: &str) -> Result<(), ClientError> {
    ha_state_change(&Ctx::new("request high-availability state"), xml)
}

pub(crate) fn ha_state_change(ctx: &Ctx<'_>, xml: &str) -> Result<(), ClientError> {
    open(ctx, xml).map(drop)
}

/// Parses the answer to `type=keygen`: the API key. No part of the answer is ever kept in an
/// error.
///
/// # Errors
/// An envelope error ([`ClientError::Auth`] for bad credentials), or [`ClientError::Decode`]
/// without an excerpt when there is no key.
pub fn parse_keygen(xml: &str) -> Result<SecretString, ClientError> {
    keygen(&Ctx::new("keygen"), xml)
}

pub(crate) fn keygen(ctx: &Ctx<'_>, xml: &str) -> Result<SecretString, ClientError> {
    let ctx = Ctx {
        secret_body: true,
        ..*ctx
    };
    let response = open(&ctx, xml)?;
    let key = path(response.root(), &["result", "key"])
        .map(trimmed_text)
        .filter(|key| !key.is_empty())
        .map(Cow::into_owned)
        .ok_or_else(|| ctx.decode("the answer has no <result><key>", xml))?;
    Ok(SecretString::from(key))
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn restart_accepts_its_odd_error_form() {
        let ok = "<response status='success'><result>Command succeeded with no output</result></response>";
        assert!(parse_restart(ok).is_ok());
        let odd = "<response status='error'><msg><line>Command succeeded with no output</line></msg></response>";
        assert!(parse_restart(odd).is_ok());
        let odd =
            "<response status='error'><result>Command succeeded with no output</result></response>";
        assert!(parse_restart(odd).is_ok());
        let bad = "<response status='error'><msg><line>Operation denied</line></msg></response>";
        assert!(matches!(parse_restart(bad), Err(ClientError::Api { .. })));
    }

    #[test]
    fn chassis_ready_reads_yes_and_no() {
        let yes = "<response status='success'><result>yes</result></response>";
        let no = "<response status='success'><result>\n  no\n</result></response>";
        assert!(parse_chassis_ready(yes).unwrap());
        assert!(!parse_chassis_ready(no).unwrap());
        let odd = "<response status='success'><result>maybe</result></response>";
        assert!(matches!(
            parse_chassis_ready(odd),
            Err(ClientError::Decode { .. })
        ));
    }

    #[test]
    fn keygen_errors_never_show_the_key() {
        let ok = "<response status='success'><result><key>SECRET==</key></result></response>";
        assert_eq!(parse_keygen(ok).unwrap().expose_secret(), "SECRET==");
        let empty = "<response status='success'><result><key></key></result></response>";
        let err = parse_keygen(empty).unwrap_err();
        assert!(matches!(&err, ClientError::Decode { excerpt, .. } if excerpt.is_empty()));
        let junk = "<response status='success'><result><key>SECRET==</key></result></response>x";
        let err = parse_keygen(junk).unwrap_err();
        assert!(!format!("{err} {err:?}").contains("SECRET"));
    }

    #[test]
    fn system_info_requires_its_identity_fields() {
        let body = "<response status='success'><result><system><hostname>h</hostname>\
                    <serial>0001</serial><model>PA-VM</model></system></result></response>";
        let err = parse_system_info(body).unwrap_err();
        assert!(err.to_string().contains("sw-version"), "{err}");
    }

    #[test]
    fn config_sync_in_any_case() {
        assert_eq!(config_sync("synchronized"), ConfigSync::Synchronized);
        assert_eq!(
            config_sync(" Not Synchronized "),
            ConfigSync::NotSynchronized
        );
        assert_eq!(
            config_sync("Synchronization in progress"),
            ConfigSync::InProgress
        );
        assert_eq!(config_sync(" odd "), ConfigSync::Other("odd".into()));
    }

    #[test]
    fn ha_members_without_state_are_absent() {
        let body = "<response status='success'><result><enabled>yes</enabled><group>\
                    <local-info><state>active</state></local-info><peer-info/></group>\
                    </result></response>";
        let ha = parse_ha_state(body).unwrap();
        assert_eq!(ha.local.unwrap().state, HaState::Active);
        assert!(ha.peer.is_none());
    }
}
