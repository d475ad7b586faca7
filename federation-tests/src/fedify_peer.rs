//! A peer of another make: `fedify-peer/peer.mjs`, an ActivityPub actor built on the Fedify
//! library (npm `@fedify/fedify`), run as a `node` process on loopback and driven through its
//! small control API (follow, reply, act on objects, read what its inbox received).
//!
//! Its npm packages must be installed first (`npm ci` in `federation-tests/fedify-peer`;
//! `scripts/test` does it).
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// The directory of the peer's script and packages.
fn peer_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fedify-peer")
}

/// Whether `node` can be run at all.
fn node_available() -> bool {
    Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// One running Fedify peer, killed on drop.
pub struct FedifyPeer {
    child: Child,
    log: tempfile::NamedTempFile,
    http: reqwest::Client,
    pub base_url: String,
    /// `peer@localhost:PORT`.
    pub handle: String,
    /// The actor's id (`http://localhost:PORT/users/peer`).
    pub actor_id: String,
}

impl FedifyPeer {
    /// Starts the peer, or returns `None` (saying why) when `node` is not installed.
    pub async fn start() -> Option<FedifyPeer> {
        if !node_available() {
            eprintln!(
                "SKIPPED: `node` is not installed, so the Fedify interop test cannot run (scripts/test installs it)"
            );
            return None;
        }
        let dir = peer_dir();
        assert!(
            dir.join("node_modules/@fedify/fedify").exists(),
            "{}/node_modules is missing: run `npm ci` there first (scripts/test does)",
            dir.display()
        );
        let log = tempfile::NamedTempFile::new().expect("peer log file");
        let mut child = Command::new("node")
            .arg("peer.mjs")
            .current_dir(&dir)
            .env("PORT", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log.reopen().expect("peer log file")))
            .spawn()
            .expect("start node peer.mjs");
        let stdout = child.stdout.take().expect("peer stdout");
        // The first line is `listening PORT`; the rest of stdout is drained so the peer never blocks.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next().and_then(Result::ok).unwrap_or_default();
            let _ = tx.send(first);
            for _ in lines {}
        });
        let first = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
        let mut peer = FedifyPeer {
            child,
            log,
            http: reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client"),
            base_url: String::new(),
            handle: String::new(),
            actor_id: String::new(),
        };
        let port: u16 = first
            .strip_prefix("listening ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("the Fedify peer did not start ({first:?}):\n{}", peer.log()));
        peer.base_url = format!("http://localhost:{port}");
        let actor = peer.get("/control/actor").await;
        peer.handle = actor["handle"].as_str().expect("handle").to_owned();
        peer.actor_id = actor["id"].as_str().expect("actor id").to_owned();
        Some(peer)
    }

    /// What the peer printed on stderr.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    async fn get(&self, path: &str) -> Value {
        let res = self.http.get(format!("{}{path}", self.base_url)).send().await.expect("peer request");
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        assert!(status.is_success(), "peer GET {path}: {status} {body}\n{}", self.log());
        serde_json::from_str(&body).unwrap_or(Value::Null)
    }

    /// Calls a control endpoint; returns `{ id, delivered, error? }`.
    pub async fn control(&self, path: &str, body: Value) -> Value {
        let res =
            self.http.post(format!("{}{path}", self.base_url)).json(&body).send().await.expect("peer control request");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        assert!(status.is_success(), "peer POST {path} {body}: {status} {text}\n{}", self.log());
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// The activities its inbox accepted, in order (each with `type`, `actor`, `signature`, `json`).
    pub async fn activities(&self) -> Vec<Value> {
        self.get("/control/inbox").await["activities"].as_array().cloned().unwrap_or_default()
    }

    /// Every POST to its inboxes, with the status Fedify answered and the signature check.
    pub async fn deliveries(&self) -> Vec<Value> {
        self.get("/control/inbox").await["deliveries"].as_array().cloned().unwrap_or_default()
    }
}

impl Drop for FedifyPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- last lines of the Fedify peer ({}) ---", self.base_url);
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}
