//! The `genesys-emulator` binary starts, prints its base URL and the default credentials.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn binary_prints_url_and_credentials() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_genesys-emulator"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--actions",
            "3",
            "--client-id",
            "cli-id",
            "--client-secret",
            "cli-secret",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .take(3)
        .map(|l| l.expect("line"))
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        lines[0].starts_with("genesys-emulator listening on http://127.0.0.1:"),
        "{lines:?}"
    );
    assert!(lines[1].ends_with("cli-id"));
    assert!(lines[2].ends_with("cli-secret"));
}

#[test]
fn binary_rejects_a_bad_fault_file() {
    let out = Command::new(env!("CARGO_BIN_EXE_genesys-emulator"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--faults",
            "/nonexistent/faults.toml",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: cannot read fault file"));
}
