//! The read-path shortcuts of the home timeline keep its answers exact:
//! - account counts kept by triggers equal counting the rows, through follows, unfollows,
//!   blocks, posts of every audience, boosts and deletions;
//! - home and list candidates read in time windows page exactly like reading everything,
//!   over posts spread across years, downwards by `max_id` and upwards by `min_id`.
mod common;

use common::{Member, TestNode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

/// One number from a SQL query over the node's database.
async fn number(node: &TestNode, sql: &str) -> i64 {
    let db = &node.state.db.conn;
    let stmt = khub::db::queries::statuses::statement(db.get_database_backend(), sql, vec![]);
    let row = db.query_one_raw(stmt).await.expect("query").expect("a row");
    row.try_get_by_index::<Option<i64>>(0).expect("a number").unwrap_or(0)
}

/// The counts the API shows for `id` equal counting the rows now.
async fn assert_counts_exact(node: &TestNode, viewer: &Member, id: &str, what: &str) -> Value {
    let shown = viewer.get(&format!("/api/v1/accounts/{id}")).await;
    let a = shown.ok().clone();
    let followers = number(node, &format!("SELECT COUNT(*) FROM follows WHERE target_account_id = {id}")).await;
    let following = number(node, &format!("SELECT COUNT(*) FROM follows WHERE account_id = {id}")).await;
    let posts =
        number(node, &format!("SELECT COUNT(*) FROM statuses WHERE account_id = {id} AND visibility <> 'direct'"))
            .await;
    assert_eq!(a["followers_count"], json!(followers), "{what}: followers of {id}");
    assert_eq!(a["following_count"], json!(following), "{what}: following of {id}");
    assert_eq!(a["statuses_count"], json!(posts), "{what}: posts of {id}");
    let last =
        number(node, &format!("SELECT MAX(id) FROM statuses WHERE account_id = {id} AND visibility <> 'direct'")).await;
    if last == 0 {
        assert!(a["last_status_at"].is_null(), "{what}: no last post date for {id}: {a}");
    } else {
        let day = chrono::DateTime::from_timestamp_millis(last >> 16).expect("date").format("%Y-%m-%d").to_string();
        assert_eq!(a["last_status_at"], json!(day), "{what}: last post date of {id}");
    }
    a
}

#[tokio::test]
async fn account_counts_follow_every_change() {
    let node = TestNode::start().await;
    let ann = node.create_member("ann").await;
    let bob = node.create_member("bob").await;
    let cat = node.create_member("cat").await;
    let check = |what: &'static str| {
        let (node, ann, bob, cat) = (&node, &ann, &bob, &cat);
        async move {
            for m in [ann, bob, cat] {
                assert_counts_exact(node, ann, &m.id, what).await;
            }
        }
    };
    check("at the start").await;
    let a = assert_counts_exact(&node, &ann, &ann.id, "new member").await;
    assert_eq!((a["followers_count"].clone(), a["statuses_count"].clone()), (json!(0), json!(0)));

    ann.post(&format!("/api/v1/accounts/{}/follow", bob.id), json!({})).await.ok();
    ann.post(&format!("/api/v1/accounts/{}/follow", cat.id), json!({})).await.ok();
    bob.post(&format!("/api/v1/accounts/{}/follow", ann.id), json!({})).await.ok();
    check("after three follows").await;
    let b = assert_counts_exact(&node, &ann, &bob.id, "bob").await;
    assert_eq!((b["followers_count"].clone(), b["following_count"].clone()), (json!(1), json!(1)));

    let mut posts = Vec::new();
    for visibility in ["public", "unlisted", "private", "direct"] {
        let s = bob.post_status(json!({"status": format!("@ann a {visibility} post"), "visibility": visibility})).await;
        posts.push(s["id"].as_str().expect("id").to_owned());
    }
    let boost = ann.post(&format!("/api/v1/statuses/{}/reblog", posts[0]), json!({})).await.ok().clone();
    check("after posts of every audience and a boost").await;
    let b = assert_counts_exact(&node, &ann, &bob.id, "bob's posts").await;
    assert_eq!(b["statuses_count"], json!(3), "direct messages are not counted: {b}");

    // Deleting the newest counted post moves the last post date back.
    bob.delete(&format!("/api/v1/statuses/{}", posts[2])).await.ok();
    bob.delete(&format!("/api/v1/statuses/{}", posts[3])).await.ok();
    ann.post(&format!("/api/v1/statuses/{}/unreblog", posts[0]), json!({})).await.ok();
    assert!(boost["reblog"].is_object());
    check("after deletions and an undone boost").await;

    ann.post(&format!("/api/v1/accounts/{}/unfollow", cat.id), json!({})).await.ok();
    // A block ends the follows both ways.
    cat.post(&format!("/api/v1/accounts/{}/follow", bob.id), json!({})).await.ok();
    bob.post(&format!("/api/v1/accounts/{}/block", cat.id), json!({})).await.ok();
    check("after an unfollow and a block").await;
    let c = assert_counts_exact(&node, &ann, &cat.id, "cat").await;
    assert_eq!((c["followers_count"].clone(), c["following_count"].clone()), (json!(0), json!(0)));
}

/// Inserts a post by `account` made `hours_ago`, straight into the database (the API can only
/// post now). Returns its id.
async fn old_post(node: &TestNode, account: &str, hours_ago: i64, visibility: &str, n: u32) -> i64 {
    let at = chrono::Utc::now() - chrono::Duration::hours(hours_ago);
    let id = (at.timestamp_millis() << 16) | i64::from(n);
    let db = &node.state.db.conn;
    let sql = "INSERT INTO statuses (id, account_id, thread_id, source, content, spoiler_text, sensitive, visibility, created_at) \
               VALUES (?, ?, ?, ?, ?, '', false, ?, ?)";
    let account: i64 = account.parse().expect("account id");
    let text = format!("post {n}");
    let values = vec![
        id.into(),
        account.into(),
        id.into(),
        text.clone().into(),
        format!("<p>{text}</p>").into(),
        visibility.to_owned().into(),
        at.into(),
    ];
    db.execute_raw(khub::db::queries::statuses::statement(db.get_database_backend(), sql, values))
        .await
        .expect("insert post");
    id
}

/// Every id of a timeline, read page by page through `rel` links from `first`.
async fn walk(reader: &Member, first: &str, rel: &str) -> Vec<i64> {
    let mut seen = Vec::new();
    let mut url = first.to_owned();
    for _ in 0..100 {
        let page = reader.get(&url).await;
        let ids: Vec<i64> = page.ids().iter().map(|i| i.parse().expect("id")).collect();
        if ids.is_empty() {
            return seen;
        }
        seen.extend(ids);
        let Some(next) = page.link(rel) else { return seen };
        url = next.split_once("/api/").map(|(_, p)| format!("/api/{p}")).expect("a link to this node");
    }
    panic!("more than 100 pages");
}

#[tokio::test]
async fn windowed_feeds_page_like_reading_everything() {
    let node = TestNode::start().await;
    let reader = node.create_member("reader").await;
    let ed = node.create_member("ed").await;
    let flo = node.create_member("flo").await;
    let stranger = node.create_member("stranger").await;
    reader.post(&format!("/api/v1/accounts/{}/follow", ed.id), json!({})).await.ok();
    reader.post(&format!("/api/v1/accounts/{}/follow", flo.id), json!({})).await.ok();
    let list = reader.post("/api/v1/lists", json!({"title": "Flo"})).await.ok().clone();
    let list_id = list["id"].as_str().expect("list id").to_owned();
    reader.post(&format!("/api/v1/lists/{list_id}/accounts"), json!({"account_ids": [flo.id]})).await.ok();

    // Posts from an hour to six years old, denser recently, as real feeds are; with gaps
    // wider than any window, and with posts home must not show in between.
    let mut home = Vec::new();
    let mut in_list = Vec::new();
    for n in 0..90u32 {
        let hours = i64::from(n).pow(3) / 14 + i64::from(n);
        let (author, visibility) = match n % 6 {
            0 => (&ed, "public"),
            1 => (&flo, "private"),
            2 => (&stranger, "public"),
            3 => (&ed, "direct"),
            4 => (&reader, "unlisted"),
            _ => (&flo, "public"),
        };
        let id = old_post(&node, &author.id, hours, visibility, n).await;
        let followed = author.id == ed.id || author.id == flo.id;
        if (followed && visibility != "direct") || author.id == reader.id {
            home.push(id);
        }
        if author.id == flo.id {
            in_list.push(id);
        }
    }
    home.sort_unstable_by(|a, b| b.cmp(a));
    in_list.sort_unstable_by(|a, b| b.cmp(a));
    assert!(home.len() > 40 && (home[0] >> 16) - (home[home.len() - 1] >> 16) > 5 * 365 * 86_400_000);

    for limit in [3, 7, 40] {
        let down = walk(&reader, &format!("/api/v1/timelines/home?limit={limit}"), "next").await;
        assert_eq!(down, home, "home downwards, {limit} a page");
        let oldest_but_one = home[home.len() - 1] - 1;
        let mut up =
            walk(&reader, &format!("/api/v1/timelines/home?limit={limit}&min_id={oldest_but_one}"), "prev").await;
        // Each page upwards is newest first; the pages come oldest first.
        up.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(up, home, "home upwards, {limit} a page");
        let list_down = walk(&reader, &format!("/api/v1/timelines/list/{list_id}?limit={limit}"), "next").await;
        assert_eq!(list_down, in_list, "list downwards, {limit} a page");
    }
    // A page between two bounds far apart in time.
    let (hi, lo) = (home[5], home[home.len() - 5]);
    let between = reader.get(&format!("/api/v1/timelines/home?limit=40&max_id={hi}&since_id={lo}")).await;
    let got: Vec<i64> = between.ids().iter().map(|i| i.parse().expect("id")).collect();
    let want: Vec<i64> = home.iter().copied().filter(|id| *id < hi && *id > lo).take(40).collect();
    assert_eq!(got, want, "between max_id and since_id");
}
