//! A small HTTP CONNECT proxy on 127.0.0.1 for tests and the handshake benchmark: it maps
//! every requested host (`api.mypurecloud.ie:443`, `login.mypurecloud.ie:443`, ...) to one
//! local address, the HTTPS emulator, and records each CONNECT. Loopback only: it never opens
//! a connection anywhere else.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A running proxy.
pub struct ConnectProxy {
    /// Where it listens.
    pub addr: SocketAddr,
    connects: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ConnectProxy {
    /// Start on `rt`, tunnelling every CONNECT to `target` (a loopback address). With
    /// `credentials` (`user:password`), a CONNECT without them is answered 407.
    pub fn start(
        rt: &tokio::runtime::Runtime,
        target: SocketAddr,
        credentials: Option<&str>,
    ) -> ConnectProxy {
        assert!(
            target.ip().is_loopback(),
            "the test proxy only reaches loopback"
        );
        let listener = rt
            .block_on(TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let connects = Arc::new(Mutex::new(Vec::new()));
        let expected = credentials.map(|c| {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(c)
        });
        let seen = connects.clone();
        let task = rt.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let seen = seen.clone();
                let expected = expected.clone();
                tokio::spawn(async move {
                    let _ = handle(stream, target, seen, expected).await;
                });
            }
        });
        ConnectProxy {
            addr,
            connects,
            task,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every CONNECT target seen (`host:port`), in order.
    pub fn connects(&self) -> Vec<String> {
        self.connects.lock().unwrap().clone()
    }

    /// How many CONNECTs named `host_port`.
    pub fn count(&self, host_port: &str) -> usize {
        self.connects().iter().filter(|c| *c == host_port).count()
    }
}

async fn handle(
    mut client: TcpStream,
    target: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    expected: Option<String>,
) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = client.read(&mut chunk).await?;
        if n == 0 || buf.len() > 16 * 1024 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let (method, authority) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method != "CONNECT" {
        client
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            .await?;
        return Ok(());
    }
    seen.lock().unwrap().push(authority.to_string());
    if let Some(want) = expected {
        let ok = lines
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("proxy-authorization"))
            .and_then(|(_, v)| v.trim().split_once(' '))
            .is_some_and(|(scheme, creds)| {
                scheme.eq_ignore_ascii_case("basic") && creds.trim() == want
            });
        if !ok {
            client
                .write_all(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                      Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n",
                )
                .await?;
            return Ok(());
        }
    }
    let mut upstream = TcpStream::connect(target).await?;
    // Relay each segment as it comes: with Nagle's algorithm a relayed response can wait for a
    // delayed ACK (40 ms), which would count as latency that is not the network's.
    client.set_nodelay(true)?;
    upstream.set_nodelay(true)?;
    client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await?;
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    Ok(())
}
