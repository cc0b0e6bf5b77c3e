//! Logging: every request is logged, and no log line carries a secret or a token. In its own
//! test binary, because tracing's callsite interest cache is process-wide and a scoped
//! subscriber in a binary full of parallel tests can miss events.
#![allow(clippy::unwrap_used)]

#[path = "it/common.rs"]
mod common;

use std::sync::Arc;

use common::*;
use genesys_client::ManualClock;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ACTION_PATH: &str = "/api/v2/integrations/actions/a1";

async fn mount_action(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("inin-correlation-id", "corr-ok")
                .set_body_json(action_json("a1")),
        )
        .mount(server)
        .await;
}

#[derive(Clone, Default)]
struct LogBuf(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuf {
    type Writer = LogBuf;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Every request is logged (method, path, status, correlation id, attempt), and no log line
/// at any level carries the secret, the Basic credentials or a token.
#[tokio::test(flavor = "current_thread")]
async fn logs_name_requests_but_never_secrets() {
    let logs = LogBuf::default();
    let subscriber = tracing_subscriber::fmt()
        // Everything the client side emits (this crate, reqwest, hyper), at every level; the
        // mock server's own logs of what it received are not the client's.
        .with_env_filter(tracing_subscriber::EnvFilter::new("trace,wiremock=off"))
        .with_ansi(false)
        .with_writer(logs.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    mount_tokens(&server, 3600).await;
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .and(header("authorization", "Bearer token-1"))
        .respond_with(json_error(
            401,
            "authentication.required",
            "expired",
            "c401",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(ACTION_PATH))
        .respond_with(
            json_error(429, "too.many.requests", "slow down", "c429")
                .insert_header("Retry-After", "1"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_action(&server).await;
    let c = client(&server, Arc::new(ManualClock::new()));
    c.get_action("a1").await.unwrap();

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    for forbidden in [
        CLIENT_SECRET,
        "token-1",
        "token-2",
        "dGVzdC1jbGllbnQtaWQ6",
        "Bearer",
    ] {
        assert!(
            !text.contains(forbidden),
            "`{forbidden}` leaked into logs:\n{text}"
        );
    }
    assert!(text.contains("/api/v2/integrations/actions/a1"), "{text}");
    assert!(
        text.contains("status=401") && text.contains("status=429") && text.contains("status=200"),
        "{text}"
    );
    assert!(text.contains("correlation_id=\"c429\""), "{text}");
    assert!(text.contains("attempt=2"), "{text}");
    assert!(text.contains("/oauth/token"), "{text}");
}
