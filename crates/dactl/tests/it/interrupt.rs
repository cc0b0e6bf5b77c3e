//! Ctrl-C during a bulk run: no new writes are launched, the writes in flight finish and are
//! journalled, the summary is printed, the exit code is 130, and `runs resume` completes the run.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::common::*;

both_realisms! {
    fn ctrl_c_finishes_in_flight_writes_and_resume_completes() {
        let h = Harness::with_config(genesys_emulator::Config {
            synthetic_actions: 40,
            latency: Duration::from_millis(60),
            ..genesys_emulator::Config::default()
        });
        let child = h
            .cmd()
            .args([
                "--concurrency",
                "2",
                "--rate",
                "6000",
                "timeout",
                "set",
                "37s",
                "--all",
                "--yes",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until a few actions are done, then interrupt.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let done = journal_lines(&h)
                .iter()
                .filter(|l| l.contains("\"step\":\"done\""))
                .count();
            if done >= 3 {
                break;
            }
            assert!(Instant::now() < deadline, "the run made no progress");
            std::thread::sleep(Duration::from_millis(20));
        }
        let status = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let out = child.wait_with_output().unwrap();
        assert_code(&out, 130);
        let err = stderr(&out);
        assert!(err.contains("interrupted"), "{err}");
        assert!(
            err.contains("not started"),
            "the summary counts what was not started: {err}"
        );
        assert!(
            !stdout(&out).contains("not started (interrupted)"),
            "no row for each action not started: {}",
            stdout(&out)
        );
        // Every write that was sent was answered and journalled.
        let lines = journal_lines(&h);
        let mut sent: HashMap<String, usize> = HashMap::new();
        for l in &lines {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let id = v["id"].as_str().unwrap_or("").to_string();
            match v["step"].as_str().unwrap() {
                "patch" => *sent.entry(id).or_default() += 1,
                "done" | "failed" => *sent.entry(id).or_default() -= 1,
                _ => {}
            }
        }
        assert!(
            sent.values().all(|&n| n == 0),
            "a write in flight was not journalled: {sent:?}"
        );
        assert!(lines.last().unwrap().contains("\"step\":\"end\""));
        // Some actions were left for later; resume finishes them, writing none twice.
        let patched_before = h.journal().iter().filter(|e| e.method == "PATCH").count();
        assert!(patched_before < 40);
        // Undoing the interrupted run says that `runs resume` finishes it instead.
        let o = h.run(&["undo", "last", "--dry-run"]);
        assert_code(&o, 0);
        assert!(
            stderr(&o).contains("did not finish") && stderr(&o).contains("runs resume"),
            "{}",
            stderr(&o)
        );
        // The printed next step, run back as printed (a higher rate only keeps the test short).
        let resume = printed_step(&err, "continue with:");
        assert!(resume.contains("--base-url"), "{resume}");
        let o = h.run_printed(&format!("{resume} --rate 6000"));
        assert_code(&o, 0);
        assert!(
            !stdout(&o).contains("VERDICT"),
            "a resume asks nothing, so it prints no plan: {}",
            stdout(&o)
        );
        let mut per_id: HashMap<String, usize> = HashMap::new();
        for e in h
            .journal()
            .into_iter()
            .filter(|e| e.method == "PATCH" && e.status < 300)
        {
            *per_id.entry(e.path.clone()).or_default() += 1;
        }
        assert!(per_id.values().all(|&n| n == 1), "{per_id:?}");
        for a in h.actions() {
            if is_regular(&a) {
                assert_eq!(a["config"]["timeoutSeconds"], 37, "{}", a["name"]);
            }
        }
    }
}

fn journal_lines(h: &Harness) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(h.runs_dir()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in rd.flatten() {
        if let Ok(t) = std::fs::read_to_string(e.path().join("journal.ndjson")) {
            out.extend(t.lines().map(str::to_string));
        }
    }
    out
}
