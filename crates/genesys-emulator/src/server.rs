//! The serve loop: hyper connections driving the axum router.
//!
//! `axum::serve` always writes a response, so a `Drop` fault could not close a connection
//! without one. This loop accepts connections itself, hands each request (with its peer
//! address as `ConnectInfo`, for the loopback-only admin endpoints) to the router, and fails
//! the connection when the response carries the drop marker: hyper then closes the socket
//! without writing anything.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt as _;

use crate::api::DropConnection;

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

pub(crate) fn serve(router: Router, listener: TcpListener) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let task = tokio::spawn(accept_loop(router, listener));
    Ok(Running {
        addr,
        base_url: format!("http://{addr}"),
        task: Some(task),
    })
}

async fn accept_loop(router: Router, listener: TcpListener) {
    // Owned here: aborting this task drops the set, which aborts every connection.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(connection(router.clone(), stream, peer));
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

async fn connection(router: Router, stream: tokio::net::TcpStream, peer: SocketAddr) {
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
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
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    if let Err(e) = conn.await {
        tracing::debug!("connection from {peer} ended: {e}");
    }
}
