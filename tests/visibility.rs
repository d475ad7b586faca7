//! The visibility matrix over the client API. Alice writes a thread: a public root and four
//! replies, one of each audience (public, unlisted, followers-only, direct to Dora). Bob follows
//! her; Carol does not; Dora does not follow but is mentioned in the direct post; and a stranger
//! reads without signing in. Every read path must show each of them exactly what they may see,
//! and nobody may act on a post they cannot see.
mod common;

use common::{Api, TestNode, contains_id, ids_of};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Author,
    Follower,
    Stranger,
    Mentioned,
    Anonymous,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vis {
    Public,
    Unlisted,
    Private,
    Direct,
}

const ALL: [Vis; 4] = [Vis::Public, Vis::Unlisted, Vis::Private, Vis::Direct];

impl Vis {
    fn name(self) -> &'static str {
        match self {
            Vis::Public => "public",
            Vis::Unlisted => "unlisted",
            Vis::Private => "private",
            Vis::Direct => "direct",
        }
    }
}

/// Who may read a post: the rule the whole matrix checks.
fn may_read(v: Vis, w: Who) -> bool {
    match v {
        Vis::Public | Vis::Unlisted => true,
        Vis::Private => matches!(w, Who::Author | Who::Follower),
        Vis::Direct => matches!(w, Who::Author | Who::Mentioned),
    }
}

/// Home shows one's own posts and readable posts of accounts one follows (as on Mastodon, a
/// direct post reaches a mentioned non-follower through notifications, not home).
fn in_home(v: Vis, w: Who) -> bool {
    w == Who::Author || (w == Who::Follower && may_read(v, w))
}

/// The public and tag timelines list public posts only, whoever reads.
fn in_public_lists(v: Vis) -> bool {
    v == Vis::Public
}

struct Reader {
    who: Who,
    api: Api,
}

/// Collects every mismatch so that one run shows the whole matrix.
#[derive(Default)]
struct Failures(Vec<String>);

impl Failures {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }
    fn assert_none(&self) {
        assert!(self.0.is_empty(), "visibility failures:\n  {}", self.0.join("\n  "));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_reader_sees_exactly_the_posts_meant_for_them() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    let carol = node.create_member("carol").await;
    let dora = node.create_member("dora").await;
    bob.post_empty(&format!("/api/v1/accounts/{}/follow", alice.id)).await.ok();

    let root = alice.post_status(json!({ "status": "Consultation thread #matrix" })).await;
    let root = root["id"].as_str().expect("id").to_owned();
    let mut posts: Vec<(Vis, String)> = Vec::new();
    for v in ALL {
        let text = match v {
            Vis::Direct => "@dora only you should read this #matrix".to_owned(),
            _ => format!("A {} reply #matrix", v.name()),
        };
        let p = alice.post_status(json!({ "status": text, "visibility": v.name(), "in_reply_to_id": root })).await;
        assert_eq!(p["visibility"], v.name());
        posts.push((v, p["id"].as_str().expect("id").to_owned()));
    }

    let readers = vec![
        Reader { who: Who::Author, api: alice.api.clone() },
        Reader { who: Who::Follower, api: bob.api.clone() },
        Reader { who: Who::Stranger, api: carol.api.clone() },
        Reader { who: Who::Mentioned, api: dora.api.clone() },
        Reader { who: Who::Anonymous, api: node.anon() },
    ];
    let mut f = Failures::default();

    for r in &readers {
        let who = r.who;
        let profile = r.api.get(&format!("/api/v1/accounts/{}/statuses", alice.id)).await.list().clone();
        let public = r.api.get("/api/v1/timelines/public").await.list().clone();
        let local = r.api.get("/api/v1/timelines/public?local=true").await.list().clone();
        let tag = r.api.get("/api/v1/timelines/tag/matrix").await.list().clone();
        let thread = r.api.get(&format!("/api/v1/statuses/{root}/context")).await.ok().clone();
        let descendants = thread["descendants"].as_array().cloned().unwrap_or_default();
        // Counts do not betray hidden posts either (as on Mastodon: replies_count counts public
        // and unlisted replies, statuses_count leaves out direct posts).
        let root_seen = r.api.get(&format!("/api/v1/statuses/{root}")).await.ok().clone();
        f.check(root_seen["replies_count"] == 2, || {
            format!("{who:?} sees replies_count {} on the root", root_seen["replies_count"])
        });
        let author = r.api.get(&format!("/api/v1/accounts/{}", alice.id)).await.ok().clone();
        f.check(author["statuses_count"] == 4, || format!("{who:?} sees statuses_count {}", author["statuses_count"]));
        let home = if who == Who::Anonymous {
            r.api.get("/api/v1/timelines/home").await.expect(401);
            None
        } else {
            Some(r.api.get("/api/v1/timelines/home").await.list().clone())
        };

        for (v, id) in &posts {
            let (v, may) = (*v, may_read(*v, who));
            let single = r.api.get(&format!("/api/v1/statuses/{id}")).await;
            f.check(single.status.as_u16() == if may { 200 } else { 404 }, || {
                format!("{who:?} GET {v:?} post: {}", single.status)
            });
            let ctx = r.api.get(&format!("/api/v1/statuses/{id}/context")).await;
            f.check(ctx.status.as_u16() == if may { 200 } else { 404 }, || {
                format!("{who:?} GET {v:?} post's context: {}", ctx.status)
            });
            if may {
                let ancestors = ctx.json["ancestors"].as_array().cloned().unwrap_or_default();
                f.check(ids_of(&ancestors) == vec![root.clone()], || format!("{who:?} {v:?} ancestors: {ancestors:?}"));
            }
            let history = r.api.get(&format!("/api/v1/statuses/{id}/history")).await;
            f.check(history.status.as_u16() == if may { 200 } else { 404 }, || {
                format!("{who:?} GET {v:?} post's history: {}", history.status)
            });
            f.check(contains_id(&profile, id) == may, || format!("{who:?} profile lists {v:?} post: {}", !may));
            f.check(contains_id(&descendants, id) == may, || format!("{who:?} thread shows {v:?} reply: {}", !may));
            f.check(contains_id(&public, id) == in_public_lists(v), || format!("{who:?} public timeline and {v:?}"));
            f.check(contains_id(&local, id) == in_public_lists(v), || format!("{who:?} local timeline and {v:?}"));
            f.check(contains_id(&tag, id) == in_public_lists(v), || format!("{who:?} tag timeline and {v:?}"));
            if let Some(home) = &home {
                f.check(contains_id(home, id) == in_home(v, who), || format!("{who:?} home and {v:?} post"));
            }
        }
    }

    // Notifications: the direct post tells Dora, and nobody else hears of anything.
    let direct = posts[3].1.clone();
    let dora_notes = dora.get("/api/v1/notifications").await.list().clone();
    f.check(
        dora_notes.len() == 1 && dora_notes[0]["type"] == "mention" && dora_notes[0]["status"]["id"] == direct.as_str(),
        || format!("Dora's notifications: {dora_notes:?}"),
    );
    for (who, member) in [(Who::Author, &alice), (Who::Follower, &bob), (Who::Stranger, &carol)] {
        let notes = member.get("/api/v1/notifications").await.list().clone();
        let about_posts: Vec<&Value> = notes.iter().filter(|n| !n["status"].is_null()).collect();
        f.check(about_posts.is_empty(), || format!("{who:?} was notified about a post: {about_posts:?}"));
    }
    f.assert_none();

    // Acting on a post needs reading it; boosting needs a public or unlisted post.
    for r in readers.iter().filter(|r| r.who != Who::Anonymous) {
        let who = r.who;
        for (v, id) in &posts {
            let (v, may) = (*v, may_read(*v, who));
            let want = if may { 200 } else { 404 };
            for action in ["bookmark", "favourite"] {
                let res = r.api.post_empty(&format!("/api/v1/statuses/{id}/{action}")).await;
                f.check(res.status.as_u16() == want, || format!("{who:?} {action} {v:?}: {}", res.status));
                if !may {
                    f.check(res.error() == "Record not found", || {
                        format!("{who:?} {action} {v:?} said {:?}", res.error())
                    });
                }
            }
            let boost = r.api.post_empty(&format!("/api/v1/statuses/{id}/reblog")).await;
            let want = match (may, v) {
                (false, _) => 404,
                (true, Vis::Public | Vis::Unlisted) => 200,
                (true, _) => 422,
            };
            f.check(boost.status.as_u16() == want, || format!("{who:?} reblog {v:?}: {} {}", boost.status, boost.text));
        }
        let marks = r.api.get("/api/v1/bookmarks").await.list().clone();
        let favs = r.api.get("/api/v1/favourites").await.list().clone();
        for (v, id) in &posts {
            let may = may_read(*v, who);
            f.check(contains_id(&marks, id) == may, || format!("{who:?} bookmarks and {v:?}"));
            f.check(contains_id(&favs, id) == may, || format!("{who:?} favourites and {v:?}"));
        }
    }
    f.assert_none();

    // Carol never learns of the hidden posts, even through Alice's counts of her own actions.
    let private = posts[2].1.clone();
    let alice_notes = alice.get("/api/v1/notifications").await.list().clone();
    for n in &alice_notes {
        let from = n["account"]["username"].as_str().unwrap_or_default();
        let about = n["status"]["id"].as_str().unwrap_or_default();
        f.check(!(from == "carol" && (about == private || about == direct)), || format!("Alice got {n}"));
        f.check(!(from == "dora" && about == private), || format!("Alice got {n}"));
    }

    // Bob answers the followers-only post in public: strangers see his reply, not what it answers.
    let answer = bob.post_status(json!({ "status": "Public answer", "in_reply_to_id": private })).await;
    let answer = answer["id"].as_str().expect("id").to_owned();
    for r in &readers {
        let who = r.who;
        let ctx = r.api.get(&format!("/api/v1/statuses/{answer}/context")).await.ok().clone();
        let ancestors = ids_of(ctx["ancestors"].as_array().expect("ancestors"));
        let want = if may_read(Vis::Private, who) { vec![root.clone(), private.clone()] } else { vec![root.clone()] };
        f.check(ancestors == want, || format!("{who:?} ancestors of Bob's public answer: {ancestors:?}"));
    }

    // Following is what grants the followers-only post: Bob unfollows and loses it everywhere.
    bob.post_empty(&format!("/api/v1/accounts/{}/unfollow", alice.id)).await.ok();
    bob.get(&format!("/api/v1/statuses/{private}")).await.expect(404);
    let lists = [
        bob.get("/api/v1/bookmarks").await.list().clone(),
        bob.get("/api/v1/favourites").await.list().clone(),
        bob.get("/api/v1/timelines/home").await.list().clone(),
        bob.get(&format!("/api/v1/accounts/{}/statuses", alice.id)).await.list().clone(),
    ];
    for (name, list) in ["bookmarks", "favourites", "home", "profile"].iter().zip(&lists) {
        f.check(!contains_id(list, &private), || format!("after unfollowing, Bob's {name} still has the private post"));
    }
    let ctx = bob.get(&format!("/api/v1/statuses/{answer}/context")).await.ok().clone();
    f.check(ids_of(ctx["ancestors"].as_array().expect("ancestors")) == vec![root.clone()], || {
        format!("after unfollowing, Bob's own answer still shows its hidden parent: {ctx}")
    });
    f.assert_none();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boosting_a_followers_only_post_is_refused() {
    let node = TestNode::start().await;
    let alice = node.create_member("alice").await;
    let bob = node.create_member("bob").await;
    bob.post_empty(&format!("/api/v1/accounts/{}/follow", alice.id)).await.ok();
    let post = alice.post_status(json!({ "status": "Just for followers", "visibility": "private" })).await;
    let id = post["id"].as_str().expect("id");

    let refused = bob.post_empty(&format!("/api/v1/statuses/{id}/reblog")).await;
    refused.expect(422);
    alice.post_empty(&format!("/api/v1/statuses/{id}/reblog")).await.expect(422);

    // Nothing was boosted.
    let seen = bob.get(&format!("/api/v1/statuses/{id}")).await.ok().clone();
    assert_eq!((seen["reblogs_count"].clone(), seen["reblogged"].clone()), (json!(0), json!(false)));
    assert!(node.anon().get(&format!("/api/v1/accounts/{}/statuses", bob.id)).await.list().is_empty());
    assert!(bob.get(&format!("/api/v1/accounts/{}/statuses", bob.id)).await.list().is_empty());
    assert!(alice.get("/api/v1/notifications?types[]=reblog").await.list().is_empty());
}
