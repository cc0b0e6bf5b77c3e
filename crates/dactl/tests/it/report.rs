//! `dactl report --html` against the emulator: a self-contained page, every name escaped,
//! probe results of this target only.

use crate::common::*;
use genesys_emulator::Config;
use serde_json::json;

const EVIL: &str = r#"<script>alert("pwn")</script><img src=x onerror=alert(1)> & Co's"#;

#[test]
fn the_report_is_self_contained_escaped_and_shows_probes() {
    let h = Harness::with_config(Config {
        execution_time_scale: 0.01,
        ..Config::default()
    });
    // An action whose name is markup.
    let mut state = h.emu.state();
    for a in state["actions"].as_array_mut().unwrap() {
        if a["id"] == CONTACT {
            a["name"] = json!(EVIL);
        }
    }
    h.emu.load_state(state).unwrap();
    let o = probe(&h, &[], CONTACT, r#"{"phoneNumber": "1"}"#, "5");
    assert_code(&o, 0);
    let o = probe(&h, &[], WEATHER, r#"{"postalCode": "1"}"#, "2");
    assert_code(&o, 1); // every execution timed out
                        // A probe of another target is not shown.
    let other = json!({
        "action_id": "34abf583-a034-468f-812d-72739b0524c3", "action_name": "Get Customer Profile",
        "target": "https://api.mypurecloud.ie", "probed_at": "2026-01-01T00:00:00Z",
        "requested": 1, "concurrency": 1, "input_keys": [], "timeout_seconds": 60,
        "stats": {"executions": 1, "ok": 1, "timeouts": 0, "failed": 0, "p50_ms": 1.0,
            "p95_ms": 1.0, "p99_ms": 1.0, "max_ms": 1.0, "min_ms": 1.0},
        "recommended_timeout_seconds": 1, "samples": []
    });
    std::fs::write(
        h.home().join("probes/other.json"),
        serde_json::to_vec(&other).unwrap(),
    )
    .unwrap();

    let page = h.home().join("out/report.html");
    std::fs::create_dir_all(page.parent().unwrap()).unwrap();
    let o = h.run(&["-o", "json", "report", "--html", page.to_str().unwrap()]);
    assert_code(&o, 0);
    let summary = json_out(&o);
    assert_eq!(summary["probed"], 2);
    assert_eq!(
        summary["actions"].as_u64().unwrap() as usize,
        h.actions().len()
    );
    assert!(summary["outliers"].as_u64().unwrap() >= 2);
    let html = std::fs::read_to_string(&page).unwrap();

    // Escaped, never raw.
    assert!(!html.contains("<script"), "no script element at all");
    assert!(!html.contains("<img"), "the name's markup stays text");
    assert!(html.contains(
        "&lt;script&gt;alert(&quot;pwn&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; Co&#39;s"
    ));
    // Self-contained: nothing to fetch.
    for banned in [
        "<link", "src=\"", "href=", "@import", "url(", "<iframe", "<object",
    ] {
        assert!(!html.contains(banned), "found `{banned}`");
    }
    // The sections.
    assert!(html.contains("<svg"), "an inline chart");
    for heading in [
        "Distribution of effective timeouts",
        "Actions at the platform default",
        "Outliers",
        "Probe results",
        "By category",
        "Every action",
    ] {
        assert!(html.contains(heading), "{heading}");
    }
    // Probe rows: this target's two probes, not the other target's.
    let probes = &html[html.find("Probe results").unwrap()..html.find("By category").unwrap()];
    assert!(probes.contains(CONTACT) && probes.contains(WEATHER));
    assert!(!probes.contains("34abf583-a034-468f-812d-72739b0524c3"));
    // The weather action times out: too tight.
    let outliers = &html[html.find("<h2>Outliers").unwrap()..html.find("Probe results").unwrap()];
    assert!(
        outliers.contains("too tight") && outliers.contains("Get Weather Forecast"),
        "{outliers}"
    );
    // Unset timeouts are listed at the platform default.
    let defaults = &html
        [html.find("Actions at the platform default").unwrap()..html.find("<h2>Outliers").unwrap()];
    assert!(defaults.contains("Check Store Hours"));
    assert!(!defaults.contains("Validate Postal Code"), "it has 3 s");
    // A function data action whose function stops before its own timeout says so.
    assert!(
        html.contains("<td>Compute Callback Slot</td><td>Scheduling</td><td>function</td><td class=\"num\">15 s (function stops at 10 s)</td>"),
        "the function's timeout in the actions table"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&page).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dir_mode = std::fs::metadata(page.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_ne!(dir_mode, 0o700, "the folder's mode is left alone");
    }
    // Only reads were sent for the report.
    let before = h.journal().len();
    assert_code(&h.run(&["report", "--html", page.to_str().unwrap()]), 0);
    assert!(h.journal()[before..]
        .iter()
        .all(|e| e.method == "GET" || e.path == "/oauth/token"));
}

#[test]
fn a_report_without_probes_and_bad_paths() {
    let h = Harness::new();
    let page = h.home().join("r.html");
    let o = h.run(&["report", "--html", page.to_str().unwrap()]);
    assert_code(&o, 0);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("No probe yet"));
    assert_contains(&stderr(&o), "wrote");
    // `-` is stdout.
    let o = h.run(&["report", "--html", "-"]);
    assert_code(&o, 0);
    assert!(stdout(&o).starts_with("<!DOCTYPE html>"));
    assert!(!std::path::Path::new("-").exists(), "no file named `-`");
    let o = h.run(&["report", "--html", h.home().to_str().unwrap()]);
    assert_code(&o, 2);
    let o = h.run(&["report", "--html", "/nonexistent-dir/r.html"]);
    assert_code(&o, 1);
    assert_contains(&stderr(&o), "cannot write");
}
