//! Hostile servers (issue 5), at the level of the `dactl` binary: a tiny raw HTTP server on
//! 127.0.0.1, scripted per request, answers with malformed JSON, truncated bodies, huge bodies,
//! wrong content types, a 200 carrying an `ErrorBody`, missing fields, redirects to another
//! host, and responses that drip a byte at a time. For each: a clear `error:` line, the
//! documented exit code, no panic, no secret or token in the output, and no PATCH computed from
//! a partly read action. (The client crate tests the same at its own level, with wiremock.)
//!
//! A raw server rather than wiremock, because wiremock cannot truncate a body, lie about its
//! length, or drip it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{assert_code, stderr, stdout};
use serde_json::{json, Value};

const ID: &str = "5e1f0c2a-7b3d-4c8e-9f10-2a3b4c5d6e7f";
const CLIENT: &str = "hostile-client";
const SECRET: &str = "hostile-secret-never-printed";
const TOKEN: &str = "tok-hostile-0123456789abcdef";
const TEMPLATE: &str = "{\n  \"id\": \"${input.id}\",\n  \"note\": \"Grüße – “quoted” ✅\"\n}";
const ACTIONS: &str = "/api/v2/integrations/actions";

/// One request as the server read it.
#[derive(Clone, Debug)]
struct Req {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Req {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with a request.
enum Reply {
    /// A complete response with a correct `Content-Length`.
    Http {
        status: u16,
        content_type: &'static str,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// These bytes, then the connection is closed.
    Raw(Vec<u8>),
    /// Headers announcing `len` bytes, then one byte every `every` until the client leaves.
    Drip { len: usize, every: Duration },
    /// A chunked JSON body of `len` bytes (no `Content-Length`).
    HugeChunked(usize),
}

fn json_reply(status: u16, v: &Value) -> Reply {
    Reply::Http {
        status,
        content_type: "application/json",
        headers: Vec::new(),
        body: serde_json::to_vec(v).unwrap(),
    }
}

/// The state of the one action the server knows, so that a normal run can succeed.
#[derive(Debug)]
struct State {
    version: i64,
    timeout: Option<i64>,
    writes: usize,
}

fn action_doc(st: &State) -> Value {
    let mut config = json!({
        "request": {
            "requestUrlTemplate": "https://backend.example.com/items/${input.id}",
            "requestType": "POST",
            "headers": {"Content-Type": "application/json"},
            "requestTemplateUri": format!("{ACTIONS}/{ID}/templates/requesttemplate.vm"),
        },
        "response": {"translationMap": {"id": "$.id"}, "successTemplate": "${rawResult}"},
    });
    if let Some(t) = st.timeout {
        config["timeoutSeconds"] = json!(t);
    }
    json!({
        "id": ID, "name": "Hostile Lookup", "category": "Hostile", "integrationId": "int-1",
        "version": st.version, "secure": false, "config": config,
        "x-unknown": {"kept": [1, 2, 3]},
        "selfUri": format!("{ACTIONS}/{ID}"),
    })
}

fn listing(entities: Vec<Value>) -> Value {
    let n = entities.len();
    json!({"entities": entities, "pageSize": 100, "pageNumber": 1, "total": n,
        "pageCount": if n == 0 { 0 } else { 1 }})
}

/// The well-behaved answer to every request dactl makes for `timeout set` and `get`.
fn normal(req: &Req, st: &mut State) -> Reply {
    let path = req.path.split('?').next().unwrap();
    match (req.method.as_str(), path) {
        ("POST", "/oauth/token") => json_reply(
            200,
            &json!({"access_token": TOKEN, "token_type": "bearer", "expires_in": 86400}),
        ),
        ("GET", p) if p == format!("{ACTIONS}/drafts") => json_reply(200, &listing(vec![])),
        ("GET", p) if p == ACTIONS => json_reply(200, &listing(vec![action_doc(st)])),
        ("GET", p) if p == format!("{ACTIONS}/{ID}") => json_reply(200, &action_doc(st)),
        ("GET", p) if p.ends_with("/templates/requesttemplate.vm") => Reply::Http {
            status: 200,
            content_type: "text/plain; charset=utf-8",
            headers: Vec::new(),
            body: TEMPLATE.as_bytes().to_vec(),
        },
        ("PATCH", p) if p == format!("{ACTIONS}/{ID}") => {
            let body: Value = serde_json::from_slice(&req.body).unwrap();
            assert_eq!(
                body["config"]["request"]["requestTemplate"], TEMPLATE,
                "every PATCH carries the whole template"
            );
            if body["version"] != st.version {
                return json_reply(
                    409,
                    &json!({"status": 409, "code": "request.conflict", "message": "version mismatch"}),
                );
            }
            st.version += 1;
            st.timeout = body["config"]["timeoutSeconds"].as_i64();
            st.writes += 1;
            json_reply(200, &action_doc(st))
        }
        _ => json_reply(
            404,
            &json!({"status": 404, "code": "not.found", "message": "no such route"}),
        ),
    }
}

type Script = dyn Fn(&Req, usize, &mut State) -> Option<Reply> + Send + Sync;

/// A scripted server: for each request, the script may answer (given how many earlier
/// requests had the same method and path); otherwise the normal answer is sent.
struct Server {
    base_url: String,
    requests: Arc<Mutex<Vec<Req>>>,
    state: Arc<Mutex<State>>,
}

impl Server {
    fn start(host: &str, script: Box<Script>) -> Server {
        let listener = TcpListener::bind((host, 0)).unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let state = Arc::new(Mutex::new(State {
            version: 7,
            timeout: Some(10),
            writes: 0,
        }));
        let script: Arc<Script> = Arc::from(script);
        let (r2, s2) = (requests.clone(), state.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (r3, s3, sc) = (r2.clone(), s2.clone(), script.clone());
                std::thread::spawn(move || handle(conn, &r3, &s3, &*sc));
            }
        });
        Server {
            base_url,
            requests,
            state,
        }
    }

    fn requests(&self) -> Vec<Req> {
        self.requests.lock().unwrap().clone()
    }

    fn patches(&self) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == "PATCH")
            .count()
    }
}

fn read_request(conn: &mut BufReader<TcpStream>) -> Option<Req> {
    let mut line = String::new();
    conn.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        conn.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    conn.read_exact(&mut body).ok()?;
    Some(Req {
        method,
        path,
        headers,
        body,
    })
}

fn handle(conn: TcpStream, log: &Mutex<Vec<Req>>, state: &Mutex<State>, script: &Script) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut out = conn;
    let Some(req) = read_request(&mut reader) else {
        return;
    };
    let seen = {
        let mut l = log.lock().unwrap();
        let n = l
            .iter()
            .filter(|r| r.method == req.method && r.path == req.path)
            .count();
        l.push(req.clone());
        n
    };
    let reply = {
        let mut st = state.lock().unwrap();
        script(&req, seen, &mut st).unwrap_or_else(|| normal(&req, &mut st))
    };
    let _ = match reply {
        Reply::Http {
            status,
            content_type,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
                 Connection: close\r\nININ-Correlation-ID: corr-{seen}\r\n",
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            out.write_all(head.as_bytes())
                .and_then(|()| out.write_all(&body))
        }
        Reply::Raw(bytes) => out.write_all(&bytes),
        Reply::Drip { len, every } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\
                 Connection: close\r\n\r\n{{"
            );
            let mut r = out.write_all(head.as_bytes());
            // At most a minute of dripping, even if nobody hangs up.
            for _ in 0..(60_000 / every.as_millis().max(1)) {
                if r.is_err() {
                    break;
                }
                std::thread::sleep(every);
                r = out.write_all(b" ").and_then(|()| out.flush());
            }
            r
        }
        Reply::HugeChunked(len) => {
            let mut r = out.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\
                  Connection: close\r\n\r\n",
            );
            let chunk = vec![b' '; 64 * 1024];
            let mut sent = 0;
            while r.is_ok() && sent < len {
                r = out
                    .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .and_then(|()| out.write_all(&chunk))
                    .and_then(|()| out.write_all(b"\r\n"));
                sent += chunk.len();
            }
            r.and_then(|()| out.write_all(b"0\r\n\r\n"))
        }
    };
    let _ = out.flush();
}

/// Runs dactl against the server; returns its output and how long it took.
fn dactl(server: &Server, envs: &[(&str, &str)], args: &[&str]) -> (Output, Duration) {
    let home = tempfile::tempdir().unwrap();
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_dactl"));
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DACTL_HOME", home.path())
        .env("GENESYSCLOUD_OAUTHCLIENT_ID", CLIENT)
        .env("GENESYSCLOUD_OAUTHCLIENT_SECRET", SECRET)
        .env("NO_COLOR", "1");
    for (k, v) in envs {
        c.env(k, v);
    }
    let started = Instant::now();
    let o = c
        .args(["--base-url", &server.base_url, "--rate", "100000", "-vv"])
        .args(args)
        .output()
        .unwrap();
    (o, started.elapsed())
}

/// The checks every hostile case shares.
#[track_caller]
fn refused(o: &Output, code: i32, says: &str) {
    eprintln!(
        "{}",
        stderr(o)
            .lines()
            .filter(|l| !l.contains("DEBUG") && !l.contains(" INFO") && !l.contains("WARN"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_code(o, code);
    let err = stderr(o);
    let error_line = err
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_else(|| panic!("an error line: {err}"));
    assert!(
        err.to_lowercase().contains(&says.to_lowercase()),
        "the error says `{says}`:\n{err}"
    );
    assert!(error_line.len() < 2_000, "one readable line: {error_line}");
    assert!(!err.contains("panicked"), "{err}");
    let all = format!("{}{}", stdout(o), err);
    assert!(
        !all.contains(SECRET) && !all.contains(TOKEN),
        "no secret or token: {all}"
    );
}

fn set(server: &Server) -> (Output, Duration) {
    dactl(server, &[], &["timeout", "set", "30", ID])
}

/// `timeout set` with a 1-second overall HTTP timeout.
fn set_impatiently(server: &Server) -> (Output, Duration) {
    dactl(
        server,
        &[("DACTL_HTTP_TIMEOUT", "1")],
        &["timeout", "set", "30", ID],
    )
}

fn on(method: &'static str, path_end: &'static str) -> impl Fn(&Req) -> bool {
    move |r: &Req| r.method == method && r.path.split('?').next().unwrap().ends_with(path_end)
}

/// A server that answers every `method` request whose path ends in `path_end` with `reply`
/// (given the request and the server's state), and the rest normally.
fn always(
    method: &'static str,
    path_end: &'static str,
    reply: impl Fn(&Req, &mut State) -> Reply + Send + Sync + 'static,
) -> Server {
    let is = on(method, path_end);
    Server::start(
        "127.0.0.1",
        Box::new(move |r, _, st| is(r).then(|| reply(r, st))),
    )
}

/// A server that answers the first such request with `reply`, and the rest normally.
fn first(
    method: &'static str,
    path_end: &'static str,
    reply: impl Fn() -> Reply + Send + Sync + 'static,
) -> Server {
    let is = on(method, path_end);
    Server::start(
        "127.0.0.1",
        Box::new(move |r, seen, _| (is(r) && seen == 0).then(&reply)),
    )
}

/// A complete response without extra headers.
fn http(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Reply {
    Reply::Http {
        status,
        content_type,
        headers: Vec::new(),
        body: body.into(),
    }
}

/// A template response that announces 200 bytes, sends 20, and hangs up.
fn truncated_template() -> Reply {
    let mut b = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 200\r\nConnection: close\r\n\r\n".to_vec();
    b.extend_from_slice(&TEMPLATE.as_bytes()[..20]);
    Reply::Raw(b)
}

/// A response that drips a byte every 100 ms.
fn drip(len: usize) -> Reply {
    Reply::Drip {
        len,
        every: Duration::from_millis(100),
    }
}

/// A 200 whose body is an `ErrorBody`.
fn error_document() -> Reply {
    json_reply(
        200,
        &json!({"status": 500, "code": "internal.server.error", "message": "upstream failed"}),
    )
}

/// The listing of the one action, without its `field`.
fn listed_without(field: &'static str) -> impl Fn(&Req, &mut State) -> Reply {
    move |_, st| {
        let mut a = action_doc(st);
        a.as_object_mut().unwrap().remove(field);
        json_reply(200, &listing(vec![a]))
    }
}

#[test]
fn the_normal_script_works() {
    let s = Server::start("127.0.0.1", Box::new(|_, _, _| None));
    let (o, _) = set(&s);
    assert_code(&o, 0);
    assert_eq!(s.state.lock().unwrap().timeout, Some(30));
    assert_eq!(s.patches(), 1);
}

#[test]
fn malformed_json_in_the_listing() {
    let s = always("GET", ACTIONS, |_, _| {
        http(200, "application/json", br#"{"entities": [{"id": "5e1f0c2a", "name": "Hostile Lookup", "version": 7, "config": {"timeoutSeconds": 10,"#)
    });
    let (o, _) = set(&s);
    refused(&o, 1, "GET /api/v2/integrations/actions");
    assert_eq!(s.patches(), 0);
}

#[test]
fn malformed_json_in_an_action_read_by_get() {
    let s = always("GET", ID, |_, _| {
        http(
            200,
            "application/json",
            br#"{"id": "5e1f0c2a-7b3d-4c8e-9f10-2a3b4c5d6e7f", "name": [1, 2"#,
        )
    });
    let (o, _) = dactl(&s, &[], &["-o", "json", "get", ID]);
    refused(&o, 1, "name");
    assert_eq!(stdout(&o), "", "no half document printed");
}

#[test]
fn a_template_truncated_once_is_read_again_and_written_whole() {
    let s = first("GET", "requesttemplate.vm", truncated_template);
    let (o, _) = set(&s);
    assert_code(&o, 0);
    // The PATCH carried the whole template (the server asserts it), once.
    assert_eq!(s.patches(), 1);
}

#[test]
fn a_template_always_truncated_is_never_written_back() {
    let s = always("GET", "requesttemplate.vm", |_, _| truncated_template());
    let (o, took) = set(&s);
    refused(&o, 5, "requesttemplate.vm");
    assert_eq!(s.patches(), 0, "no write from a partly read action");
    assert!(took < Duration::from_secs(40), "{took:?}");
}

#[test]
fn a_huge_announced_body_is_refused_without_reading_it() {
    let s = always("GET", ACTIONS, |_, _| {
        Reply::Raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4294967296\r\nConnection: close\r\n\r\n{\"entities\": [".to_vec(),
        )
    });
    let (o, _) = set(&s);
    refused(&o, 1, "larger than");
    assert_eq!(s.patches(), 0);
}

#[test]
fn a_huge_chunked_body_is_cut_at_the_cap() {
    let s = always("GET", "requesttemplate.vm", |_, _| {
        Reply::HugeChunked(40 * 1024 * 1024)
    });
    let (o, _) = set(&s);
    refused(&o, 1, "larger than");
    assert_eq!(s.patches(), 0);
}

#[test]
fn a_wrong_content_type_is_refused() {
    let s = always("GET", ACTIONS, |_, _| {
        http(200, "text/html", b"<html><body>Maintenance</body></html>")
    });
    let (o, _) = set(&s);
    refused(&o, 1, "content type");
    assert_eq!(s.patches(), 0);
}

#[test]
fn a_200_carrying_an_error_body_is_not_an_action() {
    let s = always("GET", ID, |_, _| error_document());
    let (o, _) = dactl(&s, &[], &["get", ID]);
    refused(&o, 1, "error document");
}

#[test]
fn a_patch_answered_with_an_error_body_is_reported_failed() {
    let s = always("PATCH", ID, |_, _| error_document());
    let (o, _) = set(&s);
    refused(&o, 1, "error document");
    assert_eq!(s.patches(), 1, "not sent again blindly");
}

#[test]
fn an_action_without_a_version_is_not_written() {
    let s = always("GET", ACTIONS, listed_without("version"));
    let (o, _) = set(&s);
    refused(&o, 1, "no version");
    assert_eq!(s.patches(), 0);
}

#[test]
fn an_action_listed_without_its_config_is_not_written() {
    let s = always("GET", ACTIONS, listed_without("config"));
    let (o, _) = set(&s);
    // Without a config there is nothing to compute a full PATCH from: refuse, or re-read it in
    // full; never write a config made of nothing.
    if o.status.code() == Some(0) {
        assert_eq!(s.patches(), 1);
    } else {
        refused(&o, 1, "config");
        assert_eq!(s.patches(), 0);
    }
}

#[test]
fn a_listing_without_total_or_with_a_missing_id_is_refused() {
    let s = always("GET", ACTIONS, |_, st| {
        json_reply(200, &json!({"entities": [action_doc(st)], "pageSize": 100}))
    });
    let (o, _) = set(&s);
    refused(&o, 1, "total");
    assert_eq!(s.patches(), 0);

    let s = always("GET", ACTIONS, listed_without("id"));
    let (o, _) = set(&s);
    refused(&o, 1, "id");
    assert_eq!(s.patches(), 0);
}

#[test]
fn a_template_that_is_not_utf8_is_refused() {
    let s = always("GET", "requesttemplate.vm", |_, _| {
        http(200, "text/plain", vec![0x7b, 0xff, 0xfe, 0x7d])
    });
    let (o, _) = set(&s);
    refused(&o, 1, "utf-8");
    assert_eq!(s.patches(), 0);
}

#[test]
fn a_malformed_token_response_is_refused_without_quoting_it() {
    let s = Server::start(
        "127.0.0.1",
        Box::new(|r, _, _| {
            (r.path == "/oauth/token").then(|| {
                http(
                    200,
                    "application/json",
                    format!("{{\"access_token\": \"{TOKEN}\", \"token_type\": bearer}}"),
                )
            })
        }),
    );
    let (o, _) = set(&s);
    refused(&o, 1, "token");
    assert_eq!(s.patches(), 0);
}

/// A listener on another loopback address that counts what reaches it.
fn other_host() -> (String, Arc<Mutex<usize>>) {
    let l = TcpListener::bind("127.0.0.2:0")
        .or_else(|_| TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let hits = Arc::new(Mutex::new(0));
    let h2 = hits.clone();
    std::thread::spawn(move || {
        for c in l.incoming() {
            *h2.lock().unwrap() += 1;
            drop(c);
        }
    });
    (url, hits)
}

#[test]
fn a_redirect_to_another_host_is_never_followed() {
    let (elsewhere, hits) = other_host();
    let is = on("GET", ACTIONS);
    let to = elsewhere.clone();
    let s = Server::start(
        "127.0.0.1",
        Box::new(move |r, _, _| {
            is(r).then(|| Reply::Http {
                status: 302,
                content_type: "text/plain",
                headers: vec![("Location", format!("{to}{ACTIONS}?steal=1"))],
                body: Vec::new(),
            })
        }),
    );
    let (o, _) = set(&s);
    refused(&o, 1, "redirect");
    let host = elsewhere.trim_start_matches("http://");
    assert!(stderr(&o).contains(host), "the target is named");
    assert_eq!(*hits.lock().unwrap(), 0, "nothing was sent there");
    assert_eq!(s.patches(), 0);

    // On the token endpoint: the client secret never leaves either.
    let to = elsewhere.clone();
    let s = Server::start(
        "127.0.0.1",
        Box::new(move |r, _, _| {
            (r.path == "/oauth/token").then(|| Reply::Http {
                status: 307,
                content_type: "text/plain",
                headers: vec![("Location", format!("{to}/oauth/token"))],
                body: Vec::new(),
            })
        }),
    );
    let (o, _) = set(&s);
    refused(&o, 1, "redirect");
    assert_eq!(*hits.lock().unwrap(), 0, "nothing was sent there");
    // The login request carried Basic credentials to the right host only.
    assert!(s.requests()[0].header("authorization").is_some());
}

#[test]
fn a_slow_drip_is_ended_by_the_overall_timeout() {
    let s = always("GET", ACTIONS, |_, _| drip(100_000));
    let (o, took) = set_impatiently(&s);
    refused(&o, 5, "timed out");
    assert_eq!(s.patches(), 0);
    let attempts = s
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.starts_with(&format!("{ACTIONS}?")))
        .count();
    assert!((2..=6).contains(&attempts), "bounded retries: {attempts}");
    assert!(took < Duration::from_secs(40), "{took:?}");
}

/// A PATCH that lands but whose response drips: the write's outcome is unknown, so dactl
/// re-reads, finds it landed, and does not write again.
#[test]
fn a_dripping_write_that_landed_is_settled_by_a_re_read() {
    let s = always("PATCH", ID, |r, st| {
        // Apply the write, then never finish the response.
        let _ = normal(r, st);
        drip(10_000)
    });
    let (o, took) = set_impatiently(&s);
    assert_code(&o, 0);
    let st = s.state.lock().unwrap();
    assert_eq!(
        (st.timeout, st.writes),
        (Some(30), 1),
        "written exactly once"
    );
    assert_eq!(s.patches(), 1);
    assert!(took < Duration::from_secs(20), "{took:?}");
}

/// The same, but the write did not land: dactl re-reads, sees the old timeout and writes once
/// more.
#[test]
fn a_dripping_write_that_did_not_land_is_sent_again_after_a_re_read() {
    let s = first("PATCH", ID, || drip(10_000));
    let (o, _) = set_impatiently(&s);
    assert_code(&o, 0);
    let st = s.state.lock().unwrap();
    assert_eq!((st.timeout, st.writes), (Some(30), 1));
    assert_eq!(s.patches(), 2);
}

#[test]
fn garbage_instead_of_http_once_is_retried() {
    let s = first("GET", ACTIONS, || {
        Reply::Raw(b"HELLO THERE\r\n\r\n".to_vec())
    });
    let (o, _) = set(&s);
    assert_code(&o, 0);
    assert_eq!(s.patches(), 1);
}

/// Every command that connects, `auth check` included (it once opened its session by a path of
/// its own that skipped this check), refuses the value before any request.
#[test]
fn an_invalid_http_timeout_is_a_usage_error() {
    let s = Server::start("127.0.0.1", Box::new(|_, _, _| None));
    for args in [&["list"][..], &["auth", "check"]] {
        let (o, _) = dactl(&s, &[("DACTL_HTTP_TIMEOUT", "soon")], args);
        refused(&o, 2, "DACTL_HTTP_TIMEOUT");
        assert!(s.requests().is_empty(), "{args:?} sent a request");
    }
}
