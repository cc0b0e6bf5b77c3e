//! The serve loop: hyper connections driving the axum router.
//!
//! `axum::serve` always writes a response, so a `Drop` fault could not close a connection
//! without one. This loop accepts connections itself, hands each request (with its peer
//! address as `ConnectInfo`, for the loopback-only admin endpoints) to the router, and fails
//! the connection when the response carries the drop marker: hyper then closes the socket
//! without writing anything.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt as _;

use crate::http::DropConnection;

/// A running server. Dropping it (or [`Running::shutdown`]) stops accepting and closes every
/// open connection.
#[derive(Debug)]
pub struct Running {
    /// The bound address.
    pub addr: SocketAddr,
    /// `http://IP:PORT`, without a trailing slash.
    pub base_url: String,
    task: Option<JoinHandle<()>>,
}

impl Running {
    /// Stops the server.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The error that makes hyper close a connection without a response.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an emulator fault")
    }
}

impl std::error::Error for Dropped {}

/// How connections are accepted: TLS or not, and the round trip each handshake costs.
#[derive(Clone, Debug, Default)]
pub(crate) struct Accept {
    /// Serve HTTPS (HTTP/2 or HTTP/1.1 by ALPN) with this identity.
    pub(crate) tls: Option<crate::tls::TlsIdentity>,
    /// Added once for the TCP handshake of each accepted connection, and once more for the
    /// TLS handshake (TLS 1.3: one round trip).
    pub(crate) handshake_latency: Duration,
}

pub(crate) fn serve(
    router: Router,
    listener: TcpListener,
    accept: Accept,
) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let scheme = if accept.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let task = tokio::spawn(accept_loop(router, listener, accept));
    Ok(Running {
        addr,
        base_url: format!("{scheme}://{addr}"),
        task: Some(task),
    })
}

async fn accept_loop(router: Router, listener: TcpListener, accept: Accept) {
    // Owned here: aborting this task drops the set, which aborts every connection.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(connection(router.clone(), stream, peer, accept.clone()));
                }
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn connection(
    router: Router,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    accept: Accept,
) {
    if !accept.handshake_latency.is_zero() {
        tokio::time::sleep(accept.handshake_latency).await;
    }
    if let Some(tls) = &accept.tls {
        if !accept.handshake_latency.is_zero() {
            tokio::time::sleep(accept.handshake_latency).await;
        }
        match tls.acceptor.accept(stream).await {
            Ok(stream) => serve_tls(router, stream, peer).await,
            Err(e) => tracing::debug!("TLS handshake with {peer} failed: {e}"),
        }
        return;
    }
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service(router, peer));
    if let Err(e) = conn.await {
        tracing::debug!("connection from {peer} ended: {e}");
    }
}

fn service(
    router: Router,
    peer: SocketAddr,
) -> impl hyper::service::Service<
    hyper::Request<Incoming>,
    Response = axum::response::Response,
    Error = Dropped,
    Future = impl std::future::Future<Output = Result<axum::response::Response, Dropped>> + Send,
> + Clone {
    hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let router = router.clone();
        async move {
            let mut req = req.map(Body::new);
            req.extensions_mut().insert(ConnectInfo(peer));
            let resp = match router.oneshot(req).await {
                Ok(resp) => resp,
                Err(never) => match never {},
            };
            if resp.extensions().get::<DropConnection>().is_some() {
                return Err(Dropped);
            }
            Ok(resp)
        }
    })
}

/// One HTTPS connection: HTTP/2 when the client chose it by ALPN, else HTTP/1.1.
async fn serve_tls(
    router: Router,
    stream: tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
    peer: SocketAddr,
) {
    let builder =
        hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    let conn = builder.serve_connection(TokioIo::new(stream), service(router, peer));
    if let Err(e) = conn.await {
        tracing::debug!("connection from {peer} ended: {e}");
    }
}
