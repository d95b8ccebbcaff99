//! Human and JSON output: aligned tables (comfy-table) without borders, colour only when
//! standard output is a terminal (and `NO_COLOR` is unset), JSON pretty-printed.

use std::io::IsTerminal;

use comfy_table::{Attribute, Cell, CellAlignment, Color, ContentArrangement, Table, presets};
use serde::Serialize;

/// Whether to colour standard output.
pub fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Whether standard output is a terminal.
pub fn is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// A borderless table with a bold header (bold only on a terminal).
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    if is_terminal() {
        table.set_content_arrangement(ContentArrangement::Dynamic);
    } else {
        table.set_content_arrangement(ContentArrangement::Disabled);
        table.force_no_tty();
    }
    if header.is_empty() {
        return table;
    }
    let bold = colour();
    table.set_header(header.iter().map(|h| {
        let cell = Cell::new(h);
        if bold {
            cell.add_attribute(Attribute::Bold)
        } else {
            cell
        }
    }));
    table
}

/// Right-aligns column `index` (numbers).
pub fn align_right(table: &mut Table, index: usize) {
    if let Some(column) = table.column_mut(index) {
        column.set_cell_alignment(CellAlignment::Right);
    }
}

/// A table as text: each line trimmed at the end, and a trailing newline.
pub fn render(table: &Table) -> String {
    let mut out = String::new();
    for line in table.to_string().lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A cell coloured by a word that says how things went (`failed` red, `done` green, …).
pub fn state_cell(word: &str) -> Cell {
    let cell = Cell::new(word);
    if !colour() {
        return cell;
    }
    match word {
        "failed" | "rejected" => cell.fg(Color::Red),
        "done" | "completed" | "upgraded" | "accepted" | "running" | "ok" => cell.fg(Color::Green),
        "cancelled" | "skipped" | "not_started" | "paused" | "stopping" | "not running" => {
            cell.fg(Color::Yellow)
        }
        "pending" | "queued" | "idle" | "planned" | "already_on_target" => cell,
        _ => cell.fg(Color::Cyan),
    }
}

/// Prints `value` as pretty JSON.
pub fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(err) => eprintln!("panosctl: cannot encode the output as JSON: {err}"),
    }
}

/// The JSON name of a serde enum value (`DeviceState::WaitingReady` → `waiting_ready`).
pub fn word<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

/// `-` for nothing.
pub fn or_dash(value: Option<impl ToString>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// A list joined with ` -> ` (a path), or `-`.
pub fn path_text<T: ToString>(items: &[T]) -> String {
    if items.is_empty() {
        "-".to_owned()
    } else {
        items
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" -> ")
    }
}
