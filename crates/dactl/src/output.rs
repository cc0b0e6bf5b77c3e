//! Rendering: `table` (comfy-table, width-aware, colour only on a terminal without `NO_COLOR`),
//! `json`, `csv` and `ndjson`. Commands build a [`Table`] (headers and cells, for table and CSV)
//! and a list of JSON records with stable field names (for JSON and NDJSON).

use std::io::Write;

use comfy_table::{presets, Cell, Color, ColumnConstraint, ContentArrangement};
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
    /// Every column and every row, nothing shortened (`--wide`, `-o wide`).
    pub wide: bool,
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

    /// Render with comfy-table. On a terminal (`style.width`) the table is fitted to the width
    /// unless `style.wide`: see [`Table::fitted`]. An ID never wraps onto a second line.
    pub fn render(&self, style: Style) -> String {
        let fitted;
        let (headers, rows) = match style.width {
            Some(w) if !style.wide => {
                fitted = self.fitted(usize::from(w));
                (&fitted.headers, &fitted.rows)
            }
            _ => (&self.headers, &self.rows),
        };
        let mut t = comfy_table::Table::new();
        t.load_preset(presets::UTF8_FULL_CONDENSED);
        t.set_content_arrangement(ContentArrangement::Dynamic);
        match style.width {
            Some(w) if !style.wide => {
                t.set_width(w);
            }
            _ => {
                t.set_content_arrangement(ContentArrangement::Disabled);
            }
        }
        if !style.color {
            t.force_no_tty();
        } else {
            t.enforce_styling();
        }
        t.set_header(headers.clone());
        let status_cols: Vec<usize> = headers
            .iter()
            .enumerate()
            .filter(|(_, h)| matches!(h.as_str(), "VERDICT" | "STATUS"))
            .map(|(i, _)| i)
            .collect();
        for r in rows {
            let cells: Vec<Cell> = r
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let cell = Cell::new(c);
                    match status_color(c) {
                        Some(color) if style.color && status_cols.contains(&i) => cell.fg(color),
                        _ => cell,
                    }
                })
                .collect();
            t.add_row(cells);
        }
        for (i, h) in headers.iter().enumerate() {
            if is_id_column(h) {
                if let Some(col) = t.column_mut(i) {
                    col.set_constraint(ColumnConstraint::ContentWidth);
                }
            }
        }
        t.to_string()
    }

    /// The table fitted to `width` columns of a terminal: when it is wider, first the
    /// `INTEGRATION` and then the `ID` column go (the rows keep their NAME; `--wide` shows
    /// them), then the widest text
    /// columns (NAME, NOTE, DETAIL, …) are shortened, each cut cell ending in `…`. An ID is
    /// never cut.
    pub fn fitted(&self, width: usize) -> Table {
        let total = |w: &[usize]| w.iter().sum::<usize>() + 3 * w.len() + 1;
        let widths = |t: &Table| -> Vec<usize> {
            (0..t.headers.len())
                .map(|i| {
                    t.rows
                        .iter()
                        .filter_map(|r| r.get(i))
                        .chain(std::iter::once(&t.headers[i]))
                        .map(|c| c.lines().map(|l| l.chars().count()).max().unwrap_or(0))
                        .max()
                        .unwrap_or(0)
                })
                .collect()
        };
        let mut t = self.clone();
        let mut w = widths(&t);
        if total(&w) <= width {
            return t;
        }
        // The integration's name goes first, then the ID (`--wide` shows both).
        for column in ["INTEGRATION", "ID"] {
            if total(&w) <= width || !t.headers.iter().any(|h| h == "NAME") {
                break;
            }
            if let Some(i) = t.headers.iter().position(|h| h == column) {
                t.headers.remove(i);
                for r in &mut t.rows {
                    if i < r.len() {
                        r.remove(i);
                    }
                }
                w = widths(&t);
            }
        }
        // Shortened in this order, each group down to its floor before the next: notes
        // first, the NAME (what identifies a row) last.
        let groups: [&[&str]; 3] = [
            &["NOTE", "DETAIL", "COMMAND", "STATE"],
            &["VERDICT", "CATEGORY"],
            &["NAME"],
        ];
        let floor = |i: usize| t.headers[i].chars().count().max(12);
        let mut shrinkable: Vec<usize> = Vec::new();
        for group in groups {
            let cols: Vec<usize> = t
                .headers
                .iter()
                .enumerate()
                .filter(|(_, h)| group.contains(&h.as_str()))
                .map(|(i, _)| i)
                .collect();
            shrinkable.extend(&cols);
            while total(&w) > width {
                let Some(&i) = cols
                    .iter()
                    .filter(|&&i| w[i] > floor(i))
                    .max_by_key(|&&i| (w[i], std::cmp::Reverse(i)))
                else {
                    break;
                };
                w[i] -= 1;
            }
        }
        // Still too wide at every floor: the command line of `runs list` goes too (`--wide`
        // and `runs show` have it).
        if total(&w) > width {
            if let Some(i) = t.headers.iter().position(|h| h == "COMMAND") {
                t.headers.remove(i);
                w.remove(i);
                for r in &mut t.rows {
                    if i < r.len() {
                        r.remove(i);
                    }
                }
                shrinkable.retain(|&c| c != i);
                for c in &mut shrinkable {
                    if *c > i {
                        *c -= 1;
                    }
                }
            }
        }
        for &i in &shrinkable {
            for r in &mut t.rows {
                if let Some(c) = r.get_mut(i) {
                    *c = ellipsis(c, w[i]);
                }
            }
        }
        t
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

/// Cut `s` to `max` characters, ending in `…` when cut (each line of a cell on its own).
pub fn ellipsis(s: &str, max: usize) -> String {
    s.lines()
        .map(|l| {
            if l.chars().count() <= max {
                l.to_string()
            } else {
                let mut out: String = l.chars().take(max.saturating_sub(1)).collect();
                out.push('…');
                out
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Columns whose cells are ids: never wrapped, never cut.
fn is_id_column(header: &str) -> bool {
    matches!(header, "ID" | "RUN") || header.ends_with(" ID")
}

/// The colour of a verdict or status cell, by its first word.
fn status_color(cell: &str) -> Option<Color> {
    let first = cell.split([':', ' ']).next().unwrap_or("");
    match first {
        "change" | "pending" => Some(Color::Yellow),
        "changed" | "done" | "completed" => Some(Color::Green),
        "unchanged" => Some(Color::DarkGrey),
        "skip" | "skipped" => Some(Color::Cyan),
        "failed" | "partial" => Some(Color::Red),
        "not" | "interrupted" | "incomplete" => Some(Color::Magenta),
        _ => None,
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

/// The EFFECTIVE cell: `60`, or `10 (fn)` when the function's timeout is the one that stops
/// the action (short, so that `list` keeps one line a row at 80 columns; KIND says `function`).
pub(crate) fn effective_cell(timeout: Option<i64>, function_timeout: Option<i64>) -> String {
    let e = crate::functions::effective_timeout(timeout, function_timeout);
    match function_timeout {
        Some(f) if f == e => format!("{e} (fn)"),
        _ => e.to_string(),
    }
}

/// Text of the "used by" cell.
pub(crate) fn used_by(n: Option<u64>) -> String {
    match n {
        Some(1) => "1 flow".to_string(),
        Some(n) => format!("{n} flows"),
        None => "?".to_string(),
    }
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
    fn fitting_drops_the_id_then_cuts_names_never_ids() {
        let mut t = Table::new(&["NAME", "CATEGORY", "TIMEOUT", "ID"]);
        t.row(vec![
            "A very long action name that goes on and on".into(),
            "Orders".into(),
            "45s".into(),
            "219a61ba-c69d-433a-bdf7-df48b5193c64".into(),
        ]);
        let wide = t.fitted(200);
        assert_eq!(wide.headers.len(), 4);
        let f = t.fitted(75);
        assert_eq!(f.headers, ["NAME", "CATEGORY", "TIMEOUT"]);
        assert_eq!(f.rows[0][0], "A very long action name that goes on and on");
        let f = t.fitted(40);
        assert!(f.rows[0][0].ends_with('…'), "{:?}", f.rows[0]);
        let out = t.render(Style {
            color: false,
            width: Some(40),
            wide: false,
        });
        assert!(out.lines().all(|l| l.chars().count() <= 40), "{out}");
        // A table without NAME keeps its ID, whole.
        let mut r = Table::new(&["RUN", "COMMAND"]);
        r.row(vec![
            "20250301T021500123Z-3fa2".into(),
            "dactl timeout set 45s --all --yes --rate 300 --concurrency 8".into(),
        ]);
        let out = r.render(Style {
            color: false,
            width: Some(50),
            wide: false,
        });
        assert!(out.contains("20250301T021500123Z-3fa2"), "{out}");
    }

    #[test]
    fn verdicts_are_coloured_only_with_colour() {
        let mut t = Table::new(&["NAME", "VERDICT"]);
        t.row(vec!["a".into(), "change".into()]);
        t.row(vec!["b".into(), "skip: built-in".into()]);
        let plain = t.render(Style::default());
        assert!(!plain.contains('\u{1b}'), "{plain}");
        let coloured = t.render(Style {
            color: true,
            width: None,
            wide: false,
        });
        assert!(coloured.contains('\u{1b}'), "{coloured}");
    }

    #[test]
    fn table_has_headers() {
        let mut t = Table::new(&["NAME"]);
        t.row(vec!["x".into()]);
        let s = t.render(Style::default());
        assert!(s.contains("NAME") && s.contains('x'));
    }

    #[test]
    fn used_by_text() {
        assert_eq!(used_by(Some(0)), "0 flows");
        assert_eq!(used_by(Some(1)), "1 flow");
        assert_eq!(used_by(Some(12)), "12 flows");
        assert_eq!(used_by(None), "?");
    }
}
