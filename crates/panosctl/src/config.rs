//! `panosctl config show|set`: `config/config.json` read and written through panosd's own
//! configuration API (dot-notation keys, the same validation the daemon applies at start).
//! Secrets (`panorama.api_key`, `panorama.password`) are prompted for without echo (or read
//! from standard input when it is not a terminal) and stored encrypted.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use comfy_table::Cell;
use panos_queue::StateDir;
use panosd::config::{self, Config};
use secrecy::SecretString;
use serde_json::Value;

use crate::cli::ConfigCommand;
use crate::daemon::running_pid;
use crate::error::{CtlError, Result};
use crate::output::{print_json, render, table};

/// Keys whose values are secrets.
const SECRET_KEYS: &[&str] = &["panorama.api_key", "panorama.password"];

/// Runs a `config` subcommand.
pub fn run(state: &StateDir, command: ConfigCommand) -> Result<()> {
    match command {
        ConfigCommand::Show { key, output } => show(state, key.as_deref(), output.json),
        ConfigCommand::Set { key, value } => set(state, &key, value.as_deref()),
    }
}

fn file_of(state: &StateDir) -> PathBuf {
    config::default_config_file(state.root())
}

/// The file's JSON (`{}` when it does not exist), checked as the daemon would.
fn load(file: &Path) -> Result<Value> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => "{}".to_owned(),
        Err(source) => {
            return Err(panosd::ConfigError::Read {
                file: file.to_owned(),
                source,
            }
            .into());
        }
    };
    let value: Value =
        serde_json::from_str(&text).map_err(|source| panosd::ConfigError::Syntax {
            file: file.to_owned(),
            source,
        })?;
    Config::from_value(&value, file)?;
    Ok(value)
}

/// Secrets shown as `<encrypted>`.
fn mask(key: &str, value: Value) -> Value {
    match value {
        Value::String(_) if SECRET_KEYS.contains(&key) => Value::String("<encrypted>".to_owned()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let full = if key.is_empty() {
                        k.clone()
                    } else {
                        format!("{key}.{k}")
                    };
                    let masked = mask(&full, v);
                    (k, masked)
                })
                .collect(),
        ),
        other => other,
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}

fn show(state: &StateDir, key: Option<&str>, json: bool) -> Result<()> {
    let file = file_of(state);
    let value = load(&file)?;
    let keys: Vec<String> = match key {
        Some(key) => {
            let got = config::get(&value, key).map_err(|e| CtlError::Usage(e.to_string()))?;
            if json {
                print_json(&mask(key, got));
                return Ok(());
            }
            if !got.is_object() {
                println!("{}", text(&mask(key, got)));
                return Ok(());
            }
            config::known_keys()
                .into_iter()
                .filter(|k| k.starts_with(&format!("{key}.")))
                .collect()
        }
        None => {
            if json {
                let full = Config::from_value(&value, &file)?;
                print_json(&mask("", serde_json::to_value(full).unwrap_or_default()));
                return Ok(());
            }
            config::known_keys()
        }
    };
    let mut t = table(&["KEY", "VALUE", "SOURCE"]);
    for k in keys {
        let got = config::get(&value, &k).map_err(|e| CtlError::Usage(e.to_string()))?;
        let set_here = k
            .split('.')
            .try_fold(&value, |v, part| v.get(part))
            .is_some();
        t.add_row(vec![
            Cell::new(&k),
            Cell::new(text(&mask(&k, got))),
            Cell::new(if set_here { "set" } else { "default" }),
        ]);
    }
    print!("{}", render(&t));
    println!("file: {}", file.display());
    Ok(())
}

/// Reads a secret: without echo on a terminal, else one line of standard input.
fn read_secret(key: &str) -> Result<SecretString> {
    let text = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("{key}: "))
            .map_err(|e| CtlError::Failed(format!("cannot read the secret: {e}")))?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CtlError::Failed(format!("cannot read the secret from stdin: {e}")))?;
        line
    };
    let text = text.trim().to_owned();
    if text.is_empty() {
        return Err(CtlError::Usage(format!("no value given for {key}")));
    }
    Ok(SecretString::from(text))
}

fn set(state: &StateDir, key: &str, value: Option<&str>) -> Result<()> {
    let file = file_of(state);
    let mut json = load(&file)?;
    if SECRET_KEYS.contains(&key) {
        if value.is_some_and(|v| v != "null") {
            return Err(CtlError::Usage(format!(
                "a secret on the command line ends up in the shell history: run `panosctl \
                 config set {key}` and type it at the prompt (or pipe it on standard input)"
            )));
        }
        if value == Some("null") {
            config::set_value(&mut json, key, Value::Null)?;
        } else {
            let secret = read_secret(key)?;
            let encrypted = panosd::secrets::encrypt_for_config(state.root(), &secret)?;
            config::set_value(&mut json, key, Value::String(encrypted))?;
        }
    } else {
        let Some(value) = value else {
            return Err(CtlError::Usage(format!(
                "give a value: `panosctl config set {key} VALUE` (`null` resets it)"
            )));
        };
        config::set(&mut json, key, value)?;
    }
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| CtlError::Failed(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut bytes = serde_json::to_vec_pretty(&json).unwrap_or_default();
    bytes.push(b'\n');
    panos_queue::atomic_write(&file, &bytes)?;
    let shown = if SECRET_KEYS.contains(&key) {
        "<encrypted>".to_owned()
    } else {
        text(&config::get(&json, key).unwrap_or(Value::Null))
    };
    println!("{key} = {shown} (in {})", file.display());
    if running_pid(state)?.is_some() {
        println!(
            "panosd is running: `panosctl daemon restart` applies it (SIGHUP reloads workers, \
             validation, timing and the upgrade paths only)"
        );
    }
    Ok(())
}
