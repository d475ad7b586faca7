//! Real ActivityStreams JSON from 13 other implementations (../shared/fixtures, read in place):
//! every file either parses into khub's inbound types and renders, or is refused with a clear
//! reason — never a panic. Nothing is fetched: the ids point at their original hosts.
mod common;

use std::path::{Path, PathBuf};

use activitypub_federation::traits::Object;
use common::TestNode;
use khub::federation::activities::InboxActivity;
use khub::federation::objects::ApubPerson;
use khub::federation::objects::note::visibility_of;
use khub::federation::protocol::{Note, Person};
use serde_json::Value;

fn fixtures_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/activitypub")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

const ACTOR_TYPES: &[&str] = &["Person", "Service", "Application", "Organization", "Group"];
const POST_TYPES: &[&str] = &["Note", "Article", "Page", "Question", "ChatMessage", "Video", "Event"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_parses_and_renders_or_is_refused_with_a_reason() {
    let node = TestNode::start().await;
    let data = node.state.federation_data().expect("federation data");
    let mut all = Vec::new();
    files(&fixtures_root(), &mut all);
    all.sort();
    assert!(all.len() >= 100, "expected the shared fixtures, found {}", all.len());
    let mut report = Vec::new();
    let (mut actors, mut posts, mut activities) = (0, 0, 0);
    for path in &all {
        let name = path.strip_prefix(fixtures_root()).unwrap_or(path).display().to_string();
        let text = std::fs::read_to_string(path).expect("read fixture");
        let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
        let kind = json["type"].as_str().unwrap_or_default().to_owned();
        if name.contains("/collections/") {
            report.push(format!("{name}: collection, not an inbox object (skipped)"));
        } else if ACTOR_TYPES.contains(&kind.as_str()) {
            match serde_json::from_value::<Person>(json.clone()) {
                Ok(person) => {
                    // Stored as a remote account and shown through the client API and a page.
                    let stored = ApubPerson::from_json(person, &data).await;
                    match stored {
                        Ok(p) => {
                            actors += 1;
                            let id = p.account.id;
                            let r = node.anon().get(&format!("/api/v1/accounts/{id}")).await;
                            assert_eq!(r.status, 200, "{name}: account JSON");
                            assert!(r.json["acct"].as_str().is_some_and(|a| a.contains('@')), "{name}: acct");
                            let page =
                                node.anon().get(&format!("/@{}", r.json["acct"].as_str().unwrap_or_default())).await;
                            assert_eq!(page.status, 200, "{name}: profile page");
                            assert!(!page.text.contains("<script"), "{name}: script in the page");
                        }
                        Err(e) => report.push(format!("{name}: actor refused: {e}")),
                    }
                }
                Err(e) => report.push(format!("{name}: actor not parsed: {e}")),
            }
        } else if POST_TYPES.contains(&kind.as_str()) {
            match serde_json::from_value::<Note>(json.clone()) {
                Ok(note) => {
                    posts += 1;
                    let html = khub::service::text::sanitize(&note.content);
                    assert!(!html.contains("<script") && !html.contains("onerror"), "{name}: unsafe HTML survived");
                    let _ = visibility_of(&note.to, &note.cc, None);
                }
                Err(e) => report.push(format!("{name}: post not parsed: {e}")),
            }
        } else {
            match serde_json::from_value::<InboxActivity>(json.clone()) {
                Ok(_) => activities += 1,
                Err(_) => report.push(format!("{name}: {kind} is not an activity khub accepts (refused with 400)")),
            }
        }
    }
    eprintln!("{actors} actors, {posts} posts, {activities} activities accepted; refused:\n{}", report.join("\n"));
    // What khub supports must parse from every implementation that sends it.
    for must in [
        "mastodon/objects/person.json",
        "mastodon/objects/note_1.json",
        "mastodon/activities/create_note.json",
        "mastodon/activities/follow.json",
        "mastodon/activities/undo_follow.json",
        "mastodon/activities/delete.json",
        "lemmy/objects/person.json",
        "lemmy/activities/following/follow.json",
        "lemmy/activities/following/accept.json",
        "lemmy/activities/voting/like_note.json",
        "pleroma/objects/person.json",
        "pleroma/activities/create_note.json",
        "pleroma/activities/follow.json",
        "friendica/objects/person_1.json",
        "friendica/activities/create_note.json",
        "smithereen/activities/create_note.json",
        "mbin/activities/accept.json",
    ] {
        assert!(
            !report.iter().any(|r| r.starts_with(must)),
            "{must} should be accepted; report:\n{}",
            report.join("\n")
        );
    }
    assert!(actors >= 10 && posts >= 10 && activities >= 15, "{actors} actors, {posts} posts, {activities} activities");
}
