//! Shared helpers of the integration tests: an emulator on 127.0.0.1:0 and a small client.
#![allow(dead_code)]

use std::time::Duration;

use genesys_emulator::{Config, Emulator, Running, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET};
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub const ACTIONS: &str = "/api/v2/integrations/actions";

pub struct Env {
    pub emu: Emulator,
    pub running: Running,
    pub http: reqwest::Client,
    pub token: String,
}

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
    /// Asserts an ErrorBody with this status and code whose contextId is the correlation id.
    pub fn assert_error(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        let body = self.json();
        assert_eq!(body["code"], code, "{body}");
        assert_eq!(body["status"], status);
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(body["details"], serde_json::json!([]));
        assert_eq!(body["errors"], serde_json::json!([]));
        let cid = self
            .header("inin-correlation-id")
            .expect("correlation header");
        assert_eq!(body["contextId"], cid.as_str());
        body
    }
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

pub async fn start(config: Config) -> Env {
    let emu = Emulator::new(config);
    let running = emu
        .serve("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serve");
    let http = http();
    let token = fetch_token(
        &http,
        &running.base_url,
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
    )
    .await
    .expect("token");
    Env {
        emu,
        running,
        http,
        token,
    }
}

pub async fn start_default() -> Env {
    start(Config::default()).await
}

pub async fn fetch_token(
    http: &reqwest::Client,
    base: &str,
    id: &str,
    secret: &str,
) -> Result<String, Resp> {
    let resp = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("send");
    let r = into_resp(resp).await;
    if r.status == StatusCode::OK {
        Ok(r.json()["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned())
    } else {
        Err(r)
    }
}

pub async fn into_resp(resp: reqwest::Response) -> Resp {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    Resp {
        status,
        headers,
        text,
    }
}

impl Env {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base_url)
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        self.call_with(&self.token, method, path, body).await
    }

    pub async fn call_with(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Resp {
        let mut req = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(b);
        }
        into_resp(req.send().await.expect("send")).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.call(Method::GET, path, None).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Resp {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn post(&self, path: &str, body: Option<&Value>) -> Resp {
        self.call(Method::POST, path, body).await
    }

    /// The published action named `name` (first match), as stored (templates as text).
    pub fn stored(&self, name: &str) -> Value {
        self.emu.state()["actions"]
            .as_array()
            .expect("actions")
            .iter()
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("no action {name}"))
            .clone()
    }

    pub fn id_of(&self, name: &str) -> String {
        self.stored(name)["id"].as_str().expect("id").to_owned()
    }
}
