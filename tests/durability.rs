//! A write that was answered 200 survives `kill -9`. The real `khub` binary is set up with its
//! admin commands, serves on a loopback port, takes a run of writes and is killed right after
//! the last answer; started again, it still has every one of them.
mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::{Api, ScratchDatabase, eventually, png};
use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// One node's configuration, shared by every command run against it.
struct Setup {
    data_dir: tempfile::TempDir,
    database: Option<ScratchDatabase>,
    port: u16,
}

impl Setup {
    async fn new() -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            l.local_addr().expect("addr").port()
        };
        Self { data_dir, database: ScratchDatabase::create().await, port }
    }

    fn domain(&self) -> String {
        format!("localhost:{}", self.port)
    }

    /// `khub ARGS` with this node's environment and nothing else from ours that starts `KHUB_`.
    fn command(&self, args: &[&str], log: Option<&Path>) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_khub"));
        cmd.args(args);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("KHUB_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("KHUB_DATA_DIR", self.data_dir.path())
            .env("KHUB_BIND", format!("127.0.0.1:{}", self.port))
            .env("KHUB_DOMAIN", self.domain())
            .env("KHUB_ALLOW_HTTP", "true")
            .env("KHUB_LOG", "warn");
        if let Some(db) = &self.database {
            cmd.env("KHUB_DATABASE_URL", &db.url);
        }
        match log {
            Some(path) => {
                let file = std::fs::OpenOptions::new().create(true).append(true).open(path).expect("log file");
                cmd.stdout(Stdio::null()).stderr(file);
            }
            None => {
                cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
            }
        }
        cmd.kill_on_drop(true);
        cmd
    }

    /// Runs an admin command to completion and returns what it printed.
    async fn admin(&self, args: &[&str]) -> String {
        let out = self.command(args, None).output().await.expect("run khub");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "khub {args:?} failed ({}): {stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    fn log_path(&self) -> std::path::PathBuf {
        self.data_dir.path().join("serve.log")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Starts `khub serve` and waits until `/healthz` answers.
    async fn serve(&self) -> Child {
        let mut child = self.command(&["serve"], Some(&self.log_path())).spawn().expect("start khub serve");
        let health = format!("http://{}/healthz", self.domain());
        let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().expect("client");
        let ready = eventually("khub serve to answer /healthz", Duration::from_secs(30), || {
            let (http, health) = (&http, &health);
            let exited = child.try_wait().ok().flatten();
            async move {
                if let Some(status) = exited {
                    return Some(Err(status));
                }
                let ok = http.get(health).send().await.is_ok_and(|r| r.status().is_success());
                ok.then_some(Ok(()))
            }
        })
        .await;
        if let Err(status) = ready {
            panic!("khub serve exited with {status}:\n{}", self.log());
        }
        child
    }
}

/// SIGKILL: no shutdown handler runs, nothing is flushed on the way out.
async fn kill_hard(child: &mut Child) {
    child.start_kill().expect("send SIGKILL");
    let status = child.wait().await.expect("wait for khub");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "khub should have died of SIGKILL: {status}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_writes_survive_kill_9() {
    let setup = Setup::new().await;
    let created = setup
        .admin(&[
            "admin",
            "create-user",
            "alice",
            "--email",
            "alice@example.org",
            "--password",
            "correct horse battery",
        ])
        .await;
    assert!(created.contains("created alice"), "{created}");
    setup
        .admin(&["admin", "create-user", "bob", "--email", "bob@example.org", "--password", "correct horse battery"])
        .await;
    let alice_token = setup.admin(&["admin", "token", "alice"]).await.trim().to_owned();
    let bob_token = setup.admin(&["admin", "token", "bob"]).await.trim().to_owned();
    let base = format!("http://{}", setup.domain());
    // Fresh clients for each server process: no pooled connection to a killed one is reused.
    let clients = || (Api::new(&base, Some(alice_token.clone())), Api::new(&base, Some(bob_token.clone())));

    let mut kept: Vec<(String, String)> = Vec::new();
    for round in 1..=3 {
        let mut server = setup.serve().await;
        let (alice, _) = clients();
        // Everything answered before the last kill is still there.
        check_survivors(&alice, &kept).await;

        // A run of posts, the last answered just before the kill.
        for n in 1..=20 {
            let text = format!("Round {round}, post {n}");
            let post = alice.post("/api/v1/statuses", json!({ "status": text })).await;
            kept.push((post.ok()["id"].as_str().expect("id").to_owned(), text));
        }
        kill_hard(&mut server).await;
    }

    // Other kinds of write, each followed at once by a kill.
    let mut server = setup.serve().await;
    let (alice, _) = clients();
    check_survivors(&alice, &kept).await;
    let alice_id = alice.me().await["id"].as_str().expect("id").to_owned();
    let first = kept[0].0.clone();
    let media = alice.upload("chart.png", "image/png", png(32, 32), "A chart").await.ok().clone();
    let with_media = alice
        .post("/api/v1/statuses", json!({ "status": "With a chart", "media_ids": [media["id"]] }))
        .await
        .ok()
        .clone();
    kill_hard(&mut server).await;

    let mut server = setup.serve().await;
    let (alice, bob) = clients();
    let read = alice.get(&format!("/api/v1/statuses/{}", with_media["id"].as_str().expect("id"))).await;
    assert_eq!(read.ok()["media_attachments"][0]["description"], "A chart");
    let file = media["url"].as_str().expect("url").rsplit('/').next().expect("file name").to_owned();
    let on_disk = setup.data_dir.path().join("media").join(&file);
    assert!(on_disk.is_file(), "the uploaded file {} survived", on_disk.display());
    assert!(std::fs::metadata(&on_disk).map(|m| m.len() > 0).unwrap_or(false));

    bob.post_empty(&format!("/api/v1/accounts/{alice_id}/follow")).await.ok();
    bob.post_empty(&format!("/api/v1/statuses/{first}/favourite")).await.ok();
    bob.post_empty(&format!("/api/v1/statuses/{first}/bookmark")).await.ok();
    alice.patch("/api/khub/v1/profile", json!({ "job_title": "Survivor" })).await.ok();
    let edited = alice.put(&format!("/api/v1/statuses/{first}"), json!({ "status": "Edited, then killed" })).await;
    edited.ok();
    kill_hard(&mut server).await;

    let mut server = setup.serve().await;
    let (alice, bob) = clients();
    let rel = bob.get(&format!("/api/v1/accounts/relationships?id[]={alice_id}")).await;
    assert_eq!(rel.list()[0]["following"], true);
    let seen = bob.get(&format!("/api/v1/statuses/{first}")).await.ok().clone();
    assert_eq!((seen["favourited"].clone(), seen["bookmarked"].clone()), (json!(true), json!(true)));
    assert!(seen["content"].as_str().is_some_and(|c| c.contains("Edited, then killed")), "{seen}");
    assert_eq!(alice.get(&format!("/api/v1/statuses/{first}/history")).await.list().len(), 2);
    assert_eq!(alice.get("/api/khub/v1/profile").await.ok()["job_title"], "Survivor");
    let notes = alice.get("/api/v1/notifications").await;
    let mut kinds: Vec<&str> = notes.list().iter().filter_map(|n| n["type"].as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, vec!["favourite", "follow"]);

    // A delete, killed at once, stays deleted.
    let (gone, _) = kept.pop().expect("a post");
    alice.delete(&format!("/api/v1/statuses/{gone}")).await.ok();
    kill_hard(&mut server).await;
    let mut server = setup.serve().await;
    let (alice, _) = clients();
    alice.get(&format!("/api/v1/statuses/{gone}")).await.expect(404);
    check_survivors(&alice, &kept[1..]).await;
    assert_eq!(alice.me().await["statuses_count"], json!(kept.len() + 1), "60 posts + 1 with media - 1 deleted");
    kill_hard(&mut server).await;
}

/// Each `(id, text)` is readable and says what it said.
async fn check_survivors(alice: &Api, kept: &[(String, String)]) {
    for (id, text) in kept {
        let r = alice.get(&format!("/api/v1/statuses/{id}")).await;
        assert_eq!(r.status.as_u16(), 200, "post {id} ({text}) was lost: {}", r.text);
        let content: &Value = &r.json["content"];
        assert!(content.as_str().is_some_and(|c| c.contains(text.as_str())), "post {id} changed: {content}");
    }
}
