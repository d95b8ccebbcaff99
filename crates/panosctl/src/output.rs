//! Human and JSON output: aligned tables (comfy-table) without borders, colour only when
//! standard output is a terminal (and `NO_COLOR` is unset), JSON pretty-printed.

use std::io::IsTerminal;

use comfy_table::{Attribute, Cell, CellAlignment, Color, ContentArrangement, Table, presets};
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

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

/// `rows` under `header` laid out as [`table`] and [`render`] lay them out for a pipe (no
/// colour, no wrapping), written straight into text: `job list` prints thousands of rows, and
/// the general table costs more than reading the files. `None` when a cell holds a line
/// break or another control character, which only the general table lays out.
pub fn plain_table(header: &[&str], rows: &[Vec<String>]) -> Option<String> {
    let columns = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for row in rows {
        for (k, cell) in row.iter().enumerate().take(columns) {
            if cell.chars().any(char::is_control) {
                return None;
            }
            widths[k] = widths[k].max(cell.width());
        }
    }
    let line_width: usize = widths.iter().map(|w| w + 2).sum();
    let mut out = String::with_capacity(line_width * (rows.len() + 1));
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let start = out.len();
        for (cell, width) in cells.zip(&widths) {
            out.push(' ');
            out.push_str(cell);
            out.extend(std::iter::repeat_n(' ', width - cell.width() + 1));
        }
        let kept = out[start..].trim_end().len();
        out.truncate(start + kept);
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    Some(out)
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
    // The encoded text is the quoted word; no JSON tree is built for it.
    serde_json::to_string(value)
        .ok()
        .and_then(|text| {
            let word = text.strip_prefix('"')?.strip_suffix('"')?;
            (!word.contains(['"', '\\'])).then(|| word.to_owned())
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain layout is the general table's, for a pipe, cell for cell: wide and
    /// combining characters, empty cells, a last column emptier than its header.
    #[test]
    fn plain_table_lays_out_as_the_general_table() {
        let header = ["JOB", "STATE", "RESULT", "X"];
        let rows: Vec<Vec<String>> = [
            ["a1", "completed", "1 upgraded", ""],
            [
                "b-22222222",
                "failed",
                "the device did not come back → failed",
                "y",
            ],
            ["c", "rejected", "名前 is not a valid job id", ""],
            ["", "pending", "é (combining: e\u{301})", "zz"],
        ]
        .iter()
        .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
        .collect();
        let mut general = table(&header);
        for row in &rows {
            general.add_row(row.clone());
        }
        let plain = plain_table(&header, &rows).expect("no control characters");
        assert_eq!(plain, render(&general));
        assert!(plain.lines().all(|l| l == l.trim_end()));
        assert_eq!(plain.lines().count(), rows.len() + 1);
    }

    #[test]
    fn plain_table_leaves_line_breaks_to_the_general_table() {
        let rows = vec![vec!["a".to_owned(), "two\nlines".to_owned()]];
        assert_eq!(plain_table(&["A", "B"], &rows), None);
        let rows = vec![vec!["a".to_owned(), "tab\there".to_owned()]];
        assert_eq!(plain_table(&["A", "B"], &rows), None);
    }

    #[test]
    fn word_is_the_json_name() {
        #[derive(Serialize)]
        #[serde(rename_all = "snake_case")]
        enum Kind {
            HaPair,
        }
        assert_eq!(word(&Kind::HaPair), "ha_pair");
        assert_eq!(word(&3), "?");
        assert_eq!(word(&"quo\"te"), "?");
    }
}
