//! Dot-notation access to `config.json` for the CLI (`panosctl config show|set`): [`get`],
//! [`set`], [`set_value`], [`known_keys`]; and the key-level checks of loading (unknown keys,
//! values of the wrong type), so every error names the full key.
//!
//! The known keys are those of [`Config::default`] serialised: a key is known when the
//! defaults have it.

use std::path::Path;

use serde_json::{Map, Value};

use super::Config;
use crate::error::ConfigError;
use crate::secrets;

fn defaults() -> Value {
    serde_json::to_value(Config::default()).unwrap_or(Value::Null)
}

/// Every leaf key of the configuration, in dot notation (`panorama.url`, `workers.max`, …).
pub fn known_keys() -> Vec<String> {
    let mut out = Vec::new();
    collect_leaves(&defaults(), String::new(), &mut out);
    out
}

fn collect_leaves(value: &Value, prefix: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                collect_leaves(child, path, out);
            }
        }
        _ => out.push(prefix),
    }
}

fn lookup<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    key.split('.').try_fold(value, |v, part| v.get(part))
}

/// The known keys closest to `key`, for "did you mean".
fn suggest(key: &str) -> String {
    let last = key.rsplit('.').next().unwrap_or(key);
    let keys = known_keys();
    let close: Vec<&String> = keys
        .iter()
        .filter(|k| {
            let k_last = k.rsplit('.').next().unwrap_or(k);
            k_last == last || k.starts_with(key) || edit_distance(k, key) <= 2
        })
        .take(3)
        .collect();
    if close.is_empty() {
        "run `panosctl config show` for the known keys".to_owned()
    } else {
        let names: Vec<String> = close.iter().map(|k| format!("`{k}`")).collect();
        format!("did you mean {}?", names.join(" or "))
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Refuses any key the defaults do not have (objects that are empty maps by default accept
/// any key).
pub(super) fn reject_unknown(value: &Value, file: &Path) -> Result<(), ConfigError> {
    fn walk(user: &Value, known: &Value, prefix: &str, file: &Path) -> Result<(), ConfigError> {
        let (Value::Object(user), Value::Object(known)) = (user, known) else {
            return Ok(());
        };
        if known.is_empty() {
            return Ok(());
        }
        for (key, child) in user {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match known.get(key) {
                Some(known_child) => walk(child, known_child, &path, file)?,
                None => {
                    return Err(ConfigError::UnknownKey {
                        file: file.to_path_buf(),
                        fix: format!("remove it; {}", suggest(&path)),
                        key: path,
                    });
                }
            }
        }
        Ok(())
    }
    walk(value, &defaults(), "", file)
}

/// Finds the key whose value does not fit its type, by trying each leaf on its own over the
/// defaults.
pub(super) fn locate_type_error(
    value: &Value,
    file: &Path,
    err: &serde_json::Error,
) -> ConfigError {
    let mut leaves = Vec::new();
    collect_leaves(value, String::new(), &mut leaves);
    for key in leaves {
        let Some(leaf) = lookup(value, &key) else {
            continue;
        };
        let mut trial = defaults();
        if put(&mut trial, &key, leaf.clone()).is_err() {
            continue;
        }
        if let Err(leaf_err) = serde_json::from_value::<Config>(trial) {
            let expected = lookup(&defaults(), &key).map(describe).unwrap_or("a value");
            return ConfigError::invalid(
                file,
                &key,
                &format!("{} (expected {expected})", strip_position(&leaf_err)),
            );
        }
    }
    ConfigError::invalid(file, "(unknown)", &strip_position(err))
}

fn strip_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.find(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "a value or null",
        Value::Bool(_) => "true or false",
        Value::Number(n) if n.is_f64() => "a number",
        Value::Number(_) => "a whole number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Sets `key` in `root`, creating objects on the way.
fn put(root: &mut Value, key: &str, new: Value) -> Result<(), ()> {
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().ok_or(())?;
    let mut node = root;
    for part in parts {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        node = node
            .as_object_mut()
            .ok_or(())?
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !node.is_object() {
        *node = Value::Object(Map::new());
    }
    node.as_object_mut().ok_or(())?.insert(last.to_owned(), new);
    Ok(())
}

fn unknown(key: &str) -> ConfigError {
    ConfigError::UnknownKey {
        file: Path::new("config.json").to_path_buf(),
        key: key.to_owned(),
        fix: suggest(key),
    }
}

/// The value of `key` in the configuration `json` (the file's content), or its default when
/// the file does not set it. A section name (`panorama`) gives the whole section.
///
/// # Errors
/// [`ConfigError::UnknownKey`] for a key the configuration does not have.
pub fn get(json: &Value, key: &str) -> Result<Value, ConfigError> {
    let known = defaults();
    let default = lookup(&known, key).ok_or_else(|| unknown(key))?;
    match (lookup(json, key), default) {
        (Some(Value::Object(set)), Value::Object(base)) => {
            let mut merged = Value::Object(base.clone());
            for (k, v) in set {
                put(&mut merged, k, v.clone()).map_err(|()| unknown(key))?;
            }
            Ok(merged)
        }
        (Some(value), _) => Ok(value.clone()),
        (None, default) => Ok(default.clone()),
    }
}

/// Sets `key` from text as a user types it (`panosctl config set workers.max 10`): parsed as
/// JSON when it is (numbers, `true`, `null`, lists), else taken as a string. Then as
/// [`set_value`].
///
/// # Errors
/// As for [`set_value`].
pub fn set(json: &mut Value, key: &str, text: &str) -> Result<(), ConfigError> {
    let known = defaults();
    let default = lookup(&known, key).ok_or_else(|| unknown(key))?;
    let parsed = serde_json::from_str::<Value>(text).ok();
    let as_text = Value::String(text.to_owned());
    match parsed {
        // Strings stay strings even when they look like numbers (`username 12345`).
        _ if default.is_string() => set_value(json, key, as_text),
        Some(value) if !value.is_string() && default.is_null() => {
            // Optional settings: a number or list if that fits, else the text.
            let mut trial = json.clone();
            match set_value(&mut trial, key, value) {
                Ok(()) => {
                    *json = trial;
                    Ok(())
                }
                Err(_) => set_value(json, key, as_text),
            }
        }
        Some(value) => set_value(json, key, value),
        None => set_value(json, key, as_text),
    }
}

/// Sets `key` to `value` in the configuration `json` and validates the result; on error
/// `json` is left unchanged. `null` removes the key (back to its default). A secret
/// (`panorama.api_key`, `panorama.password`) must already be encrypted with
/// [`crate::secrets::encrypt_for_config`].
///
/// # Errors
/// [`ConfigError::UnknownKey`], or the validation error of the new configuration.
pub fn set_value(json: &mut Value, key: &str, value: Value) -> Result<(), ConfigError> {
    let known = defaults();
    if lookup(&known, key).is_none() {
        return Err(unknown(key));
    }
    if matches!(key, "panorama.api_key" | "panorama.password")
        && let Value::String(text) = &value
        && !secrets::is_encrypted(text)
    {
        return Err(ConfigError::PlainSecret {
            file: Path::new("config.json").to_path_buf(),
            key: if key == "panorama.api_key" {
                "panorama.api_key"
            } else {
                "panorama.password"
            },
        });
    }
    let mut trial = if json.is_object() {
        json.clone()
    } else {
        Value::Object(Map::new())
    };
    if value.is_null() {
        remove(&mut trial, key);
    } else {
        put(&mut trial, key, value).map_err(|()| unknown(key))?;
    }
    Config::from_value(&trial, Path::new("config.json"))?;
    *json = trial;
    Ok(())
}

fn remove(root: &mut Value, key: &str) {
    let mut parts: Vec<&str> = key.split('.').collect();
    let Some(last) = parts.pop() else { return };
    let mut node = root;
    for part in parts {
        match node.get_mut(part) {
            Some(next) => node = next,
            None => return,
        }
    }
    if let Some(map) = node.as_object_mut() {
        map.remove(last);
    }
}
