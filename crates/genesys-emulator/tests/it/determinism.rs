//! Determinism across processes: two `genesys-emulator --actions N --seed S` processes serve a
//! byte-identical `/__emulator/state`, and stay identical after the same writes; another seed
//! gives another state.
//!
//! Separate processes matter: anything seeded per process (hash-map order, a global random
//! generator, the clock) would pass an in-process comparison and still break a fixture that a
//! test recorded yesterday.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

const ACTIONS: &str = "/api/v2/integrations/actions";

/// A running emulator process, killed on drop.
struct Proc {
    child: Child,
    base: String,
    /// Kept open: the emulator prints more lines, and a closed pipe would kill it.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(actions: usize, seed: u64) -> Proc {
    let mut child = Command::new(env!("CARGO_BIN_EXE_genesys-emulator"))
        .args(["--addr", "127.0.0.1:0", "--actions"])
        .arg(actions.to_string())
        .arg("--seed")
        .arg(seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut stdout = BufReader::new(stdout);
    let mut first = String::new();
    stdout.read_line(&mut first).expect("line");
    let base = first
        .trim()
        .strip_prefix("genesys-emulator listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    Proc {
        child,
        base,
        _stdout: stdout,
    }
}

async fn state_bytes(http: &reqwest::Client, p: &Proc) -> Vec<u8> {
    let resp = http
        .get(format!("{}/__emulator/state", p.base))
        .send()
        .await
        .expect("state");
    assert_eq!(resp.status(), 200);
    resp.bytes().await.expect("body").to_vec()
}

/// The same writes on any emulator: a PATCH of the first listed action and a new draft of
/// the second.
async fn same_writes(http: &reqwest::Client, p: &Proc) {
    let token: Value = http
        .post(format!("{}/oauth/token", p.base))
        .basic_auth(
            genesys_emulator::DEFAULT_CLIENT_ID,
            Some(genesys_emulator::DEFAULT_CLIENT_SECRET),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token json");
    let token = token["access_token"].as_str().expect("access_token");
    let page: Value = http
        .get(format!(
            "{}{ACTIONS}?pageSize=10&includeConfig=true",
            p.base
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("list json");
    let writable: Vec<&Value> = page["entities"]
        .as_array()
        .expect("entities")
        .iter()
        .filter(|a| {
            let id = a["id"].as_str().unwrap_or("");
            !id.starts_with("static") && !id.starts_with("customAuth")
        })
        .collect();
    let (a, b) = (writable[0], writable[1]);
    let patched = http
        .patch(format!(
            "{}{ACTIONS}/{}",
            p.base,
            a["id"].as_str().expect("id")
        ))
        .bearer_auth(token)
        .json(&json!({"version": a["version"], "config": {"timeoutSeconds": 33}}))
        .send()
        .await
        .expect("patch");
    assert_eq!(patched.status(), 200);
    let draft = http
        .post(format!(
            "{}{ACTIONS}/{}/draft",
            p.base,
            b["id"].as_str().expect("id")
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("draft");
    assert_eq!(draft.status(), 200);
}

#[tokio::test]
async fn same_seed_same_bytes_across_processes() {
    const N: usize = 2_000;
    let http = reqwest::Client::new();
    let (one, two, other) = (spawn(N, 7), spawn(N, 7), spawn(N, 8));
    let a = state_bytes(&http, &one).await;
    let b = state_bytes(&http, &two).await;
    let c = state_bytes(&http, &other).await;
    let doc: Value = serde_json::from_slice(&a).expect("state json");
    assert_eq!(
        doc["actions"].as_array().map(Vec::len),
        Some(31 + N),
        "the seed org's 31 actions plus N"
    );
    assert!(a == b, "same seed, different state bytes");
    assert!(a != c, "another seed gave the same state");

    same_writes(&http, &one).await;
    same_writes(&http, &two).await;
    let a2 = state_bytes(&http, &one).await;
    let b2 = state_bytes(&http, &two).await;
    assert!(a2 != a, "the writes changed nothing");
    assert!(a2 == b2, "the same writes gave different state bytes");
}
