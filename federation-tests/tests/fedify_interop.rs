//! khub and an independent ActivityPub implementation: a peer built on Fedify (npm
//! `@fedify/fedify`, `fedify-peer/peer.mjs`). It follows a khub member, receives their posts with
//! signatures Fedify verified, replies into their thread, cannot touch what is not its own, and
//! gets followers-only posts only while it follows and direct messages only when addressed.
use std::time::Duration;

use federation_tests::fedify_peer::FedifyPeer;
use federation_tests::{Member, Node, eventually, json};
use reqwest::StatusCode;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(30);

/// The first Create in the peer's inbox whose object's content contains `marker`.
fn find_create<'a>(activities: &'a [Value], marker: &str) -> Option<&'a Value> {
    activities
        .iter()
        .find(|a| a["type"] == "Create" && a["json"]["object"]["content"].as_str().is_some_and(|c| c.contains(marker)))
}

async fn peer_receives(peer: &FedifyPeer, marker: &str) -> Value {
    eventually(&format!("the peer to receive {marker}"), WAIT, || async {
        find_create(&peer.activities().await, marker).cloned()
    })
    .await
}

/// The accounts following `member`, as the Mastodon API lists them.
async fn follower_accts(member: &Member) -> Vec<String> {
    let me = member.get("/api/v1/accounts/verify_credentials").await.1;
    let id = me["id"].as_str().expect("account id");
    let r = member.get(&format!("/api/v1/accounts/{id}/followers")).await;
    assert_eq!(r.0, StatusCode::OK, "{}", r.1);
    r.1.as_array().map(|l| l.iter().filter_map(|a| a["acct"].as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fedify_peer_follows_reads_replies_and_cannot_touch_what_is_not_its_own() {
    let Some(peer) = FedifyPeer::start().await else { return };
    let alpha = Node::start("alpha").await;
    let alice = alpha.create_member("alice");
    // Bob is only the addressee of a direct message the peer must never see.
    let _bob = alpha.create_member("bob");
    let alice_actor = format!("{}/users/alice", alpha.base_url);

    // (1) The Fedify actor follows Alice; khub answers with an Accept and lists the follower.
    let follow = peer.control("/control/follow", json!({"target": alice.handle})).await;
    assert_eq!(follow["delivered"], true, "khub refused the Follow: {follow}");
    let accept = eventually("the Accept of the Follow", WAIT, || async {
        peer.activities().await.into_iter().find(|a| a["type"] == "Accept")
    })
    .await;
    assert_eq!(accept["actor"], alice_actor.as_str());
    let accepted = &accept["json"]["object"];
    let accepted_id = accepted.as_str().or_else(|| accepted["id"].as_str());
    assert_eq!(accepted_id, follow["id"].as_str(), "the Accept names the Follow: {accept}");
    eventually("the peer in Alice's followers", WAIT, || async {
        follower_accts(&alice).await.contains(&peer.handle).then_some(())
    })
    .await;

    // (2) Alice posts; the peer receives the Create(Note), signed with Alice's key.
    let post = alice.post_status(json!({"status": "HELLO-FEDIFY from khub", "visibility": "public"})).await;
    let post_uri = post["uri"].as_str().expect("uri").to_owned();
    let post_id = post["id"].as_str().expect("id").to_owned();
    let create = peer_receives(&peer, "HELLO-FEDIFY").await;
    assert_eq!(create["actor"], alice_actor.as_str());
    assert_eq!(create["json"]["object"]["id"], post_uri.as_str());
    let sig = &create["signature"];
    assert_eq!(sig["verified"], true, "Fedify verified the HTTP signature: {create}");
    assert_eq!(sig["keyId"], format!("{alice_actor}#main-key"));
    assert_eq!(sig["owner"], alice_actor.as_str());
    // The same activity without khub's signature is refused by the peer, and not recorded.
    let mut forged = create["json"].clone();
    forged["id"] = json!(format!("{}/activities/create/forged", alpha.base_url));
    forged["object"]["content"] = json!("FORGED-UNSIGNED");
    let res = reqwest::Client::new()
        .post(format!("{}/users/peer/inbox", peer.base_url))
        .header("content-type", "application/activity+json")
        .body(forged.to_string())
        .send()
        .await
        .expect("post to the peer's inbox");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "the peer checks signatures");
    assert!(find_create(&peer.activities().await, "FORGED-UNSIGNED").is_none());
    // Every POST to the peer: khub's (the Accept, the Create) verified and accepted, the forgery not.
    let deliveries = peer.deliveries().await;
    let (refused, accepted): (Vec<&Value>, Vec<&Value>) = deliveries.iter().partition(|d| d["status"] == 401);
    assert!(refused.len() == 1 && refused[0]["signature"]["verified"] == false, "{deliveries:?}");
    assert!(accepted.len() >= 2, "{deliveries:?}");
    for d in accepted {
        assert_eq!(d["status"], 202, "{d}");
        assert_eq!(d["signature"]["verified"], true, "{d}");
        assert_eq!(d["signature"]["owner"], alice_actor.as_str(), "{d}");
    }

    // (3) The peer replies; khub threads the reply under Alice's post.
    let reply = peer.control("/control/reply", json!({"inReplyTo": post_uri, "content": "REPLY-FROM-FEDIFY"})).await;
    assert_eq!(reply["delivered"], true, "khub refused the reply: {reply}");
    let descendant = eventually("the reply in the thread", WAIT, || async {
        let r = alice.get(&format!("/api/v1/statuses/{post_id}/context")).await;
        r.1["descendants"]
            .as_array()
            .and_then(|l| l.iter().find(|s| s["content"].as_str().is_some_and(|c| c.contains("REPLY-FROM-FEDIFY"))))
            .cloned()
    })
    .await;
    assert_eq!(descendant["in_reply_to_id"], post_id.as_str());
    assert_eq!(descendant["account"]["acct"], peer.handle.as_str());

    // (4) Signed by the peer, but about Alice's post: refused, and nothing changes.
    for kind in ["Delete", "Update"] {
        let r = peer
            .control("/control/act-on", json!({"type": kind, "object": post_uri, "content": "REWRITTEN-BY-FEDIFY"}))
            .await;
        assert_eq!(r["delivered"], false, "khub accepted a {kind} of someone else's post: {r}");
        assert!(r["error"].as_str().is_some_and(|e| e.contains("(403 ")), "refused as forbidden: {r}");
    }
    let (s, still) = alice.get(&format!("/api/v1/statuses/{post_id}")).await;
    assert_eq!(s, StatusCode::OK, "the post survived: {still}");
    assert_eq!(still["content"], post["content"]);
    assert!(still["edited_at"].is_null(), "{still}");
    let (_, anon_view) = alpha.anon().get(&format!("/api/v1/statuses/{post_id}")).await;
    assert_eq!(anon_view["content"], post["content"]);
    // Its own reply, though, the peer may delete.
    let reply_uri = descendant["uri"].as_str().expect("reply uri");
    let r = peer.control("/control/act-on", json!({"type": "Delete", "object": reply_uri, "to": alice_actor})).await;
    assert_eq!(r["delivered"], true, "khub refused the peer deleting its own reply: {r}");
    eventually("the reply gone from the thread", WAIT, || async {
        let r = alice.get(&format!("/api/v1/statuses/{post_id}/context")).await;
        r.1["descendants"].as_array().is_some_and(Vec::is_empty).then_some(())
    })
    .await;

    // (5) A followers-only post reaches the peer because it follows; a DM to Bob never does.
    alice.post_status(json!({"status": "DM-FOR-BOB-ONLY @bob", "visibility": "direct"})).await;
    alice.post_status(json!({"status": "FOLLOWERS-ONLY-1", "visibility": "private"})).await;
    let private = peer_receives(&peer, "FOLLOWERS-ONLY-1").await;
    let addressed = private["json"].to_string();
    assert!(addressed.contains(&format!("{alice_actor}/followers")), "addressed to the followers: {private}");
    assert!(!addressed.contains("#Public") && !addressed.contains("as:Public"), "not public: {private}");
    assert_eq!(private["signature"]["verified"], true);

    // Once the peer unfollows, followers-only posts stop; a DM to the peer still arrives.
    let undo = peer.control("/control/unfollow", json!({"target": alice.handle})).await;
    assert_eq!(undo["delivered"], true, "khub refused the Undo: {undo}");
    eventually("the peer gone from Alice's followers", WAIT, || async {
        (!follower_accts(&alice).await.contains(&peer.handle)).then_some(())
    })
    .await;
    alice.resolve(&peer.handle).await;
    alice.post_status(json!({"status": "FOLLOWERS-ONLY-2", "visibility": "private"})).await;
    alice.post_status(json!({"status": format!("DM-FOR-PEER @{}", peer.handle), "visibility": "direct"})).await;
    let dm = peer_receives(&peer, "DM-FOR-PEER").await;
    assert_eq!(dm["signature"]["verified"], true);
    let dm_json = dm["json"].to_string();
    assert!(dm_json.contains(&peer.actor_id), "addressed to the peer: {dm}");
    assert!(!dm_json.contains("/followers") && !dm_json.contains("#Public"), "to the peer alone: {dm}");
    // Deliveries are recorded when the post is made, so a short grace is enough to see a leak.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let all = peer.activities().await;
    let all_text = Value::Array(all).to_string();
    assert!(!all_text.contains("DM-FOR-BOB-ONLY"), "a DM to Bob reached the peer: {all_text}");
    assert!(!all_text.contains("FOLLOWERS-ONLY-2"), "a followers-only post reached a former follower: {all_text}");
}
