//! Rendering: `table` (comfy-table, width-aware, colour only on a terminal without `NO_COLOR`),
//! `json`, `csv` and `ndjson`. Commands build a [`Table`] (headers and cells, for table and CSV)
//! and a list of JSON records with stable field names (for JSON and NDJSON).

use std::io::Write;

use comfy_table::{presets, ContentArrangement};
use serde::Serialize;

/// Output format (`-o`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// A human table.
    #[default]
    Table,
    /// One JSON document.
    Json,
    /// CSV with a header line.
    Csv,
    /// One JSON object a line.
    Ndjson,
}

/// Terminal facts that change how a table is drawn.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// Use colour.
    pub color: bool,
    /// Terminal width, if stdout is a terminal.
    pub width: Option<u16>,
}

/// Cells for a table or CSV.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these headers.
    pub fn new(headers: &[&str]) -> Self {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Add a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Render with comfy-table.
    pub fn render(&self, style: Style) -> String {
        let mut t = comfy_table::Table::new();
        t.load_preset(presets::UTF8_FULL_CONDENSED);
        t.set_content_arrangement(ContentArrangement::Dynamic);
        match style.width {
            Some(w) => {
                t.set_width(w);
            }
            None => {
                t.set_content_arrangement(ContentArrangement::Disabled);
            }
        }
        if !style.color {
            t.force_no_tty();
        } else {
            t.enforce_styling();
        }
        t.set_header(self.headers.clone());
        for r in &self.rows {
            t.add_row(r.clone());
        }
        t.to_string()
    }

    /// Render as CSV (RFC 4180 quoting).
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        out.push_str(&csv_line(&self.headers));
        for r in &self.rows {
            out.push_str(&csv_line(r));
        }
        out
    }
}

fn csv_line(cells: &[String]) -> String {
    let mut line = cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n', '\r']) || c.starts_with(' ') || c.ends_with(' ') {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

/// Write a rendered result to stdout. A closed pipe (`dactl list | head`) is not an error.
pub fn emit(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

/// Render records and a table in the chosen format.
pub fn render<T: Serialize>(
    format: Format,
    style: Style,
    table: &Table,
    records: &[T],
) -> anyhow::Result<String> {
    Ok(match format {
        Format::Table => {
            let mut s = table.render(style);
            s.push('\n');
            s
        }
        Format::Csv => table.to_csv(),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(records)?;
            s.push('\n');
            s
        }
        Format::Ndjson => ndjson(records)?,
    })
}

/// One JSON object a line.
pub fn ndjson<T: Serialize>(records: &[T]) -> anyhow::Result<String> {
    let mut s = String::new();
    for r in records {
        s.push_str(&serde_json::to_string(r)?);
        s.push('\n');
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes() {
        let mut t = Table::new(&["a", "b"]);
        t.row(vec!["x,y".into(), "say \"hi\"".into()]);
        assert_eq!(t.to_csv(), "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n");
    }

    #[test]
    fn table_has_headers() {
        let mut t = Table::new(&["NAME"]);
        t.row(vec!["x".into()]);
        let s = t.render(Style::default());
        assert!(s.contains("NAME") && s.contains('x'));
    }
}
