//! Loopback "remote servers" for the delivery benchmarks: one listener per port (each port is a
//! distinct host, `localhost:PORT`, to khub), all in this process, answering every POST with 202
//! after an optional delay and recording when it came, where to, and whether it was signed.
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::routing::post;
use tokio::sync::Mutex;

/// One delivery received.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub port: u16,
    pub path: String,
    pub at: Instant,
    /// The Signature header's keyId, if signed.
    pub key_id: Option<String>,
    pub bytes: usize,
}

#[derive(Default)]
pub struct Receivers {
    pub arrivals: Mutex<Vec<Arrival>>,
    in_flight: AtomicUsize,
    /// The most requests that were being answered at once (all ports together).
    pub max_in_flight: AtomicUsize,
    delay: Duration,
}

#[derive(Clone)]
struct PortState {
    port: u16,
    shared: Arc<Receivers>,
}

impl Receivers {
    /// Listens on `ports` (127.0.0.1), answering after `delay`.
    pub async fn start(ports: impl IntoIterator<Item = u16>, delay: Duration) -> anyhow::Result<Arc<Self>> {
        let shared = Arc::new(Self { delay, ..Default::default() });
        for port in ports {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
            let app =
                Router::new().route("/{*path}", post(receive)).with_state(PortState { port, shared: shared.clone() });
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
        }
        Ok(shared)
    }

    pub async fn count(&self) -> usize {
        self.arrivals.lock().await.len()
    }

    /// Waits until `n` deliveries arrived, or `deadline` passes; returns how many did.
    pub async fn wait_for(&self, n: usize, deadline: Duration) -> usize {
        let end = Instant::now() + deadline;
        loop {
            let got = self.count().await;
            if got >= n || Instant::now() > end {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    pub async fn take(&self) -> Vec<Arrival> {
        self.max_in_flight.store(0, Ordering::SeqCst);
        std::mem::take(&mut *self.arrivals.lock().await)
    }
}

async fn receive(State(s): State<PortState>, req: Request) -> StatusCode {
    let now = s.shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    s.shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let path = req.uri().path().to_owned();
    let key_id = req
        .headers()
        .get("signature")
        .and_then(|v| v.to_str().ok())
        .and_then(|sig| sig.split("keyId=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned);
    let bytes = axum::body::to_bytes(req.into_body(), 4 * 1024 * 1024).await.map(|b| b.len()).unwrap_or(0);
    if !s.shared.delay.is_zero() {
        tokio::time::sleep(s.shared.delay).await;
    }
    s.shared.arrivals.lock().await.push(Arrival { port: s.port, path, at: Instant::now(), key_id, bytes });
    s.shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    StatusCode::ACCEPTED
}
