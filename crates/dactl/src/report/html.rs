//! How the report looks: the page of [`render`], its inline style and SVG charts, and the
//! escaping of every piece of text that comes from the org ([`esc`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::duration::DEFAULT_TIMEOUT;
use crate::probe::{self, ProbeRecord};

use super::{outliers, Outlier, ReportAction, ReportInput};

/// Escape text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// At most this many actions are listed under "stands out"; the rest are counted.
pub const STANDS_OUT_SHOWN: usize = 25;

const STYLE: &str = r#"
:root{--ink:#1a202c;--muted:#5a6578;--line:#d9dee7;--bg:#f5f7fa;--card:#fff;--accent:#2b6cb0;--grey:#a0aec0;--warn:#c05621;--bad:#c53030;--ok:#2f855a}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#1e3a5f;color:#fff;padding:22px 32px}
header h1{margin:0 0 4px;font-size:22px;font-weight:600}
header p{margin:0;color:#cbd5e0}
main{max-width:1120px;margin:0 auto;padding:20px 32px 40px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:16px 0}
h2{font-size:17px;margin:0 0 10px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin:16px 0}
.tile{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.tile b{display:block;font-size:24px;font-weight:600}
.tile span{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.tile.warn b{color:var(--warn)}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600;font-size:12px;text-transform:uppercase;letter-spacing:.03em}
tbody tr:nth-child(even){background:#fafbfc}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:var(--muted)}
.tag{display:inline-block;padding:1px 7px;border-radius:10px;font-size:11px;font-weight:600;background:#edf2f7;color:var(--muted)}
.tag.high,.tag.too-tight{background:#fed7d7;color:var(--bad)}
.tag.low,.tag.below-recommendation{background:#feebc8;color:var(--warn)}
.tag.generous{background:#e9d8fd;color:#6b46c1}
.tag.ok{background:#c6f6d5;color:var(--ok)}
.note{color:var(--muted);margin:6px 0 0}
.legend{display:flex;gap:18px;color:var(--muted);font-size:12px;margin-top:4px}
.legend i{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
details summary{cursor:pointer;color:var(--accent);margin:4px 0 8px}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
footer{color:var(--muted);font-size:12px;text-align:center;padding:10px}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
.chart{overflow-x:auto}
.chart svg{min-width:680px;width:100%;height:auto;display:block}
table.probes th,table.probes td{padding:5px 6px}
table.probes svg{display:block}
td code{white-space:nowrap}
@media (max-width:600px){
header{padding:16px}
main{padding:12px 10px 28px}
section{padding:12px}
.tiles{grid-template-columns:repeat(2,1fr);gap:8px}
.tile b{font-size:20px}
.legend{flex-wrap:wrap;gap:8px}
.scroll table{min-width:560px}
.scroll td:first-child{min-width:150px}
}
"#;

fn tile(out: &mut String, value: &str, label: &str, warn: bool) {
    let _ = write!(
        out,
        "<div class=\"tile{}\"><b>{}</b><span>{}</span></div>",
        if warn { " warn" } else { "" },
        esc(value),
        esc(label)
    );
}

fn describe(t: Option<i64>) -> String {
    match t {
        Some(s) => format!("{s} s"),
        None => format!("{DEFAULT_TIMEOUT} s (default)"),
    }
}

/// A round step (1, 2 or 5 × 10^k) giving at most five grid lines up to `max`.
fn nice_step(max: u32) -> u32 {
    let mut base = 1u32;
    loop {
        for m in [1, 2, 5] {
            let step = base.saturating_mul(m);
            if max.div_ceil(step) <= 5 {
                return step;
            }
        }
        base = base.saturating_mul(10);
    }
}

/// The distribution chart: one bar per second 1..=60, stacked explicit / unset.
fn distribution_svg(actions: &[ReportAction]) -> String {
    let mut explicit = [0u32; 61];
    let mut unset = [0u32; 61];
    for a in actions {
        match a.timeout {
            Some(t) => explicit[t.clamp(1, 60) as usize] += 1,
            None => unset[DEFAULT_TIMEOUT as usize] += 1,
        }
    }
    let highest = (1..=60)
        .map(|i| explicit[i] + unset[i])
        .max()
        .unwrap_or(0)
        .max(1);
    let tick = nice_step(highest);
    let max = highest.div_ceil(tick) * tick;
    let (w, h) = (1000.0_f64, 280.0_f64);
    let (left, right, top, bottom) = (48.0, 12.0, 16.0, 42.0);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let step = plot_w / 60.0;
    let bar = step * 0.78;
    let y = |v: f64| top + plot_h - v / f64::from(max) * plot_h;
    let mut s = format!(
        "<svg viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" aria-label=\"Distribution of effective timeouts\">"
    );
    // Grid and y labels.
    for k in 0..=max / tick {
        let v = f64::from(k * tick);
        let yy = y(v);
        let _ = write!(
            s,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#e2e8f0\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"15\" fill=\"#5a6578\" text-anchor=\"end\">{}</text>",
            w - right,
            left - 6.0,
            yy + 4.0,
            v.round()
        );
    }
    for i in 1..=60usize {
        let x = left + step * (i as f64 - 1.0) + (step - bar) / 2.0;
        let e = explicit[i];
        let u = unset[i];
        if e > 0 {
            let y0 = y(f64::from(e));
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{y0:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" fill=\"#2b6cb0\"><title>{e} action(s) set to {i} s</title></rect>",
                top + plot_h - y0
            );
        }
        if u > 0 {
            let y1 = y(f64::from(e + u));
            let y0 = y(f64::from(e));
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{y1:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" fill=\"#a0aec0\"><title>{u} action(s) with no timeout set (platform default {DEFAULT_TIMEOUT} s)</title></rect>",
                y0 - y1
            );
        }
        if i == 1 || i % 5 == 0 {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"15\" fill=\"#5a6578\" text-anchor=\"middle\">{i}</text>",
                x + bar / 2.0,
                top + plot_h + 20.0
            );
        }
    }
    let _ = write!(
        s,
        "<line x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#5a6578\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"16\" fill=\"#5a6578\" text-anchor=\"middle\">effective timeout (seconds)</text></svg>",
        w - right,
        top + plot_h,
        top + plot_h,
        left + plot_w / 2.0,
        h - 6.0
    );
    s
}

/// A small latency histogram of one probe.
fn probe_svg(p: &ProbeRecord, timeout_ms: f64) -> String {
    let lat = probe::latencies(&p.samples);
    let bins = probe::histogram(&lat, 12);
    let (w, h) = (160.0_f64, 48.0_f64);
    let max = bins.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let n = bins.len().max(1) as f64;
    let step = w / n;
    let mut s = format!(
        "<svg viewBox=\"0 0 {w} {h}\" width=\"160\" height=\"48\" role=\"img\" aria-label=\"latency histogram\">"
    );
    for (i, b) in bins.iter().enumerate() {
        let bh = f64::from(b.count) / f64::from(max) * (h - 6.0);
        let over = b.to_ms >= timeout_ms;
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{}\"><title>{}: {} – {}</title></rect>",
            step * i as f64 + 1.0,
            h - bh,
            (step - 2.0).max(1.0),
            if over { "#c53030" } else { "#2b6cb0" },
            b.count,
            esc(&probe::human_ms(b.from_ms)),
            esc(&probe::human_ms(b.to_ms)),
        );
    }
    s.push_str("</svg>");
    s
}

fn action_rows(out: &mut String, actions: &[&ReportAction]) {
    out.push_str("<div class=\"scroll\"><table><thead><tr><th>Name</th><th>Category</th><th>Kind</th><th class=\"num\">Timeout</th><th>Id</th></tr></thead><tbody>");
    for a in actions {
        let _ = write!(
            out,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td><code>{}</code></td></tr>",
            esc(&a.name),
            if a.draft {
                " <span class=\"tag\">draft open</span>"
            } else {
                ""
            },
            esc(&a.category),
            esc(a.kind.as_str()),
            esc(&match a.function_timeout {
                Some(f) if f < a.timeout.unwrap_or(DEFAULT_TIMEOUT) =>
                    format!("{} (function stops at {f} s)", describe(a.timeout)),
                _ => describe(a.timeout),
            }),
            esc(&a.id)
        );
    }
    out.push_str("</tbody></table></div>");
}

/// `2026-01-01T10:20:30.123Z` → `2026-01-01 10:20 UTC` (other text unchanged).
fn short_time(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(d), Some(t)) if rfc3339.ends_with('Z') => format!("{d} {t} UTC"),
        _ => rfc3339.to_string(),
    }
}

/// Fold long lists: open when short.
fn folded(out: &mut String, count: usize, what: &str, body: &str) {
    let _ = write!(
        out,
        "<details{}><summary>{count} {}</summary>{body}</details>",
        if count <= 40 { " open" } else { "" },
        esc(what)
    );
}

/// Render the page.
pub fn render(input: &ReportInput) -> String {
    let actions = &input.actions;
    let changeable = actions.iter().filter(|a| a.changeable()).count();
    let at_default: Vec<&ReportAction> = actions
        .iter()
        .filter(|a| a.timeout.is_none() && a.changeable())
        .collect();
    let read_only = actions.len() - changeable;
    let mut eff: Vec<i64> = actions.iter().map(ReportAction::effective).collect();
    eff.sort_unstable();
    // The nearest-rank p50: the lower median, a timeout some action has.
    let median = probe::percentile(&eff, 0.5)
        .map(|m| format!("{m} s"))
        .unwrap_or_else(|| "–".to_string());
    let outl = outliers(actions, &input.probes);
    let probes: Vec<&ProbeRecord> = input
        .probes
        .iter()
        .filter(|p| actions.iter().any(|a| a.id == p.action_id))
        .collect();

    let mut o = String::with_capacity(16 * 1024 + actions.len() * 300);
    o.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>Data Action timeouts – dactl report</title><style>");
    o.push_str(STYLE);
    o.push_str("</style></head><body>");
    let _ = write!(
        o,
        "<header><h1>Data Action timeouts</h1><p>{} · generated {} by dactl {}</p></header><main>",
        esc(&input.target),
        esc(&input.generated_at),
        esc(&input.version)
    );

    // Tiles.
    o.push_str("<div class=\"tiles\">");
    tile(&mut o, &actions.len().to_string(), "actions", false);
    tile(&mut o, &changeable.to_string(), "timeout can be set", false);
    tile(
        &mut o,
        &at_default.len().to_string(),
        "at platform default",
        !at_default.is_empty(),
    );
    tile(&mut o, &median, "median timeout", false);
    let outlying: std::collections::BTreeSet<&str> = outl.iter().map(|x| x.id.as_str()).collect();
    tile(
        &mut o,
        &outlying.len().to_string(),
        "stand out",
        !outl.is_empty(),
    );
    tile(&mut o, &probes.len().to_string(), "probed", false);
    o.push_str("</div>");

    // Distribution.
    o.push_str("<section><h2>Distribution of effective timeouts</h2>");
    o.push_str("<div class=\"chart\">");
    o.push_str(&distribution_svg(actions));
    o.push_str("</div>");
    let _ = write!(
        o,
        "<div class=\"legend\"><span><i style=\"background:#2b6cb0\"></i>timeout set explicitly</span><span><i style=\"background:#a0aec0\"></i>no timeout set (platform default {DEFAULT_TIMEOUT} s)</span></div><p class=\"note\">Genesys advises sizing a timeout from the backend's measured p99 latency with headroom (p99 × 3); <code>dactl probe</code> measures it. {read_only} built-in or custom-authentication action(s) cannot take a timeout.</p></section>"
    );

    // Platform default.
    o.push_str("<section><h2>Actions at the platform default</h2>");
    if at_default.is_empty() {
        o.push_str("<p class=\"note\">Every action whose timeout can be set has one.</p>");
    } else {
        let _ = write!(
            o,
            "<p class=\"note\">No timeout is set on these actions, so the platform default of {DEFAULT_TIMEOUT} s applies: a slow backend holds the flow (and the caller) for up to a minute.</p>"
        );
        let mut body = String::new();
        action_rows(&mut body, &at_default);
        folded(
            &mut o,
            at_default.len(),
            "actions with no timeout set",
            &body,
        );
    }
    o.push_str("</section>");

    // Stands out.
    o.push_str("<section><h2>Outliers: timeouts that stand out</h2>");
    if outl.is_empty() {
        if probes.is_empty() {
            o.push_str("<p class=\"note\">Nothing to act on yet: a timeout stands out when a probe (<code>dactl probe</code>) shows it too tight or far too generous for the measured latency.</p>");
        } else {
            o.push_str("<p class=\"note\">No probed timeout stands out: none is too tight or far above what the measured latency calls for.</p>");
        }
    } else {
        // One row per action, with every reason it stands out; the worst first.
        let rank = |k: &str| match k {
            "too-tight" => 0,
            "below-recommendation" => 1,
            "default-generous" => 2,
            _ => 3,
        };
        let mut order: Vec<&str> = Vec::new();
        let mut by_id: BTreeMap<&str, Vec<&Outlier>> = BTreeMap::new();
        for x in &outl {
            if !by_id.contains_key(x.id.as_str()) {
                order.push(&x.id);
            }
            by_id.entry(&x.id).or_default().push(x);
        }
        order.sort_by_key(|id| by_id[id].iter().map(|x| rank(x.kind)).min().unwrap_or(9));
        let mut counts: BTreeMap<usize, (&str, usize)> = BTreeMap::new();
        for x in &outl {
            counts.entry(rank(x.kind)).or_insert((x.kind, 0)).1 += 1;
        }
        let summary: Vec<String> = counts
            .values()
            .map(|(k, n)| format!("{n} {}", k.replace('-', " ")))
            .collect();
        let _ = write!(o, "<p class=\"note\">{}.</p>", esc(&summary.join(", ")));
        let mut body = String::from("<div class=\"scroll\"><table><thead><tr><th>Name</th><th class=\"num\">Timeout</th><th>Why</th></tr></thead><tbody>");
        for id in order.iter().take(STANDS_OUT_SHOWN) {
            let xs = &by_id[id];
            let why: Vec<String> = xs
                .iter()
                .map(|x| {
                    format!(
                        "<div><span class=\"tag {}\">{}</span> {}</div>",
                        esc(x.kind),
                        esc(&x.kind.replace('-', " ")),
                        esc(&x.reason)
                    )
                })
                .collect();
            let _ = write!(
                body,
                "<tr><td>{}<br><code>{}</code></td><td class=\"num\">{} s</td><td>{}</td></tr>",
                esc(&xs[0].name),
                esc(id),
                xs[0].timeout,
                why.concat()
            );
        }
        body.push_str("</tbody></table></div>");
        if order.len() > STANDS_OUT_SHOWN {
            let _ = write!(
                body,
                "<p class=\"note\">The first {STANDS_OUT_SHOWN} of {} are shown, the worst first; every probed action is in the probe results below.</p>",
                order.len()
            );
        }
        folded(&mut o, order.len(), "actions stand out", &body);
    }
    o.push_str("</section>");

    // Probes.
    o.push_str("<section><h2>Probe results</h2>");
    if probes.is_empty() {
        o.push_str("<p class=\"note\">No probe yet. <code>dactl probe ACTION --input JSON</code> runs timed test executions and recommends a timeout; its results appear here.</p>");
    } else {
        o.push_str("<div class=\"scroll\"><table class=\"probes\"><thead><tr><th>Action</th><th class=\"num\">Runs</th><th class=\"num\">p50</th><th class=\"num\">p95</th><th class=\"num\">p99</th><th class=\"num\">Max</th><th class=\"num\">Failed</th><th class=\"num\">Timeout</th><th class=\"num\">Recommended</th><th>Latency</th></tr></thead><tbody>");
        for p in &probes {
            let a = actions.iter().find(|a| a.id == p.action_id);
            let current = a.and_then(|a| a.timeout);
            let eff = a.map(ReportAction::effective).unwrap_or(DEFAULT_TIMEOUT);
            let show = |v: Option<f64>| v.map(probe::human_ms).unwrap_or_else(|| "–".into());
            let rec = match p.recommended_timeout_seconds {
                Some(r) if Some(r) == current => {
                    format!("{r} s <span class=\"tag ok\">matches</span>")
                }
                Some(r) => format!("{r} s"),
                None => "–".to_string(),
            };
            let _ = write!(
                o,
                "<tr><td class=\"action\">{}<br><code>{}</code><br><span class=\"note\">{}</span></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{rec}</td><td>{}</td></tr>",
                esc(&a.map(|a| a.name.clone()).unwrap_or_else(|| p.action_name.clone())),
                esc(&p.action_id),
                esc(&short_time(&p.probed_at)),
                p.stats.executions,
                esc(&show(p.stats.p50_ms)),
                esc(&show(p.stats.p95_ms)),
                esc(&show(p.stats.p99_ms)),
                esc(&show(p.stats.max_ms)),
                p.stats.failed + p.stats.timeouts,
                esc(&describe(current)),
                probe_svg(p, eff as f64 * 1000.0),
            );
        }
        o.push_str("</tbody></table></div><p class=\"note\">Latencies are timed on the client around each test execution. Recommended = p99 × 3, rounded up, within 1..60 s. Red bins reach the action's timeout.</p>");
    }
    o.push_str("</section>");

    // By category.
    let mut cats: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for a in actions {
        cats.entry(a.category.clone())
            .or_default()
            .push(a.effective());
    }
    o.push_str("<section><h2>By category</h2><div class=\"scroll\"><table><thead><tr><th>Category</th><th class=\"num\">Actions</th><th class=\"num\">Min</th><th class=\"num\">Median</th><th class=\"num\">Max</th></tr></thead><tbody>");
    for (c, mut v) in cats {
        v.sort_unstable();
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{} s</td><td class=\"num\">{} s</td><td class=\"num\">{} s</td></tr>",
            esc(if c.is_empty() { "(none)" } else { &c }),
            v.len(),
            v[0],
            probe::percentile(&v, 0.5).unwrap_or(0),
            v[v.len() - 1]
        );
    }
    o.push_str("</tbody></table></div><p class=\"note\">Median: the lower middle value, so always a timeout some action has.</p></section>");

    // Everything.
    let mut all: Vec<&ReportAction> = actions.iter().collect();
    all.sort_by(|a, b| {
        a.effective()
            .cmp(&b.effective())
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
            .then_with(|| a.id.cmp(&b.id))
    });
    o.push_str("<section><h2>Every action</h2>");
    let mut body = String::new();
    action_rows(&mut body, &all);
    let _ = write!(
        o,
        "<details><summary>{} actions, by timeout</summary>{body}</details></section>",
        all.len()
    );
    let _ = writeln!(
        o,
        "</main><footer>dactl {} · self-contained page: no script, no external asset</footer></body></html>",
        esc(&input.version)
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{act, probe_of};

    #[test]
    fn escaping() {
        assert_eq!(
            esc(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn the_median_is_a_timeout_some_action_has() {
        assert_eq!(probe::percentile(&[8, 60], 0.5), Some(8));
        assert_eq!(probe::percentile(&[5, 8, 60], 0.5), Some(8));
        assert_eq!(probe::percentile::<i64>(&[], 0.5), None);
        let input = ReportInput {
            target: "t".into(),
            generated_at: "2026-01-01T00:00:00Z".into(),
            version: "0".into(),
            actions: vec![act("x", "X", Some(8)), act("y", "Y", Some(60))],
            probes: vec![],
        };
        let html = render(&input);
        assert!(html.contains("<b>8 s</b>"), "the median tile");
        assert!(!html.contains("34 s"));
    }

    #[test]
    fn the_list_of_what_stands_out_is_capped() {
        let n = STANDS_OUT_SHOWN + 5;
        let actions: Vec<ReportAction> = (0..n)
            .map(|i| act(&format!("s{i}"), &format!("S{i}"), Some(2)))
            .collect();
        let probes: Vec<ProbeRecord> = (0..n)
            .map(|i| probe_of(&format!("s{i}"), &[5_000.0], 1))
            .collect();
        let html = render(&ReportInput {
            target: "t".into(),
            generated_at: "2026-01-01T00:00:00Z".into(),
            version: "0".into(),
            actions,
            probes,
        });
        let section =
            &html[html.find("<h2>Outliers").unwrap()..html.find("<h2>Probe results").unwrap()];
        assert!(
            section.contains(&format!("{n} too tight")),
            "the count by kind"
        );
        assert_eq!(section.matches("<tr><td>").count(), STANDS_OUT_SHOWN);
        assert!(section.contains(&format!("The first {STANDS_OUT_SHOWN} of {n}")));
    }

    #[test]
    fn short_times() {
        assert_eq!(
            short_time("2026-01-01T10:20:30.123Z"),
            "2026-01-01 10:20 UTC"
        );
        assert_eq!(short_time("yesterday"), "yesterday");
    }

    #[test]
    fn nice_grid_steps() {
        assert_eq!(nice_step(1), 1);
        assert_eq!(nice_step(5), 1);
        assert_eq!(nice_step(6), 2);
        assert_eq!(nice_step(15), 5);
        assert_eq!(nice_step(23), 5);
        assert_eq!(nice_step(4_000), 1_000);
    }

    #[test]
    fn page_is_self_contained_and_escaped() {
        let input = ReportInput {
            target: "https://api.example.invalid".into(),
            generated_at: "2026-01-01T00:00:00Z".into(),
            version: "0.1.0".into(),
            actions: vec![
                act("x1", "<img src=x onerror=alert(1)>", Some(5)),
                act("x2", "Plain & simple", None),
            ],
            probes: vec![probe_of("x1", &[100.0, 200.0, 300.0], 0)],
        };
        let html = render(&input);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(!html.contains("<img"), "raw markup leaked");
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(html.contains("Plain &amp; simple"));
        for banned in ["<script", "<link", "src=\"", "href=", "@import", "url("] {
            assert!(!html.contains(banned), "found {banned}");
        }
        assert_eq!(html.matches("<svg").count(), 2, "distribution + one probe");
        assert!(html.contains("Actions at the platform default"));
        assert!(html.contains("Probe results"));
        assert!(html.contains("Outliers"));
    }

    #[test]
    fn chart_has_a_bar_per_used_timeout() {
        let actions = vec![
            act("a", "A", Some(5)),
            act("b", "B", Some(5)),
            act("c", "C", Some(30)),
            act("d", "D", None),
            act("e", "E", Some(60)),
        ];
        let svg = distribution_svg(&actions);
        // 5 s, 30 s, 60 s explicit, plus the unset stack on 60 s.
        assert_eq!(svg.matches("<rect").count(), 4);
        assert!(svg.contains("2 action(s) set to 5 s"));
        assert!(svg.contains("1 action(s) with no timeout set"));
    }
}
