//! The web UI as a newcomer uses it, over real HTTP with cookies and CSRF tokens: register,
//! confirm, sign in, fill in the profile, post with an image, follow, read the home page.
mod common;

use std::time::Duration;

use common::web::{Browser, last_mail_to, link_in};
use common::{TestNode, eventually, png};
use reqwest::StatusCode;

const PASSWORD: &str = "correct horse battery staple";

/// Registers through the form and confirms through the mailed link.
async fn register(node: &TestNode, browser: &Browser, name: &str) {
    let form = browser.get("/register").await;
    assert!(form.has("Create an account"));
    let email = format!("{name}@example.org");
    let done = browser
        .submit("/register", &form.csrf(), &[("username", name), ("email", &email), ("password", PASSWORD)])
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    assert!(done.has("Check your email"));
    let mail = eventually("the confirmation mail", Duration::from_secs(20), || async {
        last_mail_to(node.data_dir.path(), &email)
    })
    .await;
    let confirm = browser.get(&link_in(&mail, "/confirm/")).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.html);
    assert!(confirm.has("Email address confirmed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomer_registers_fills_in_a_profile_posts_and_follows() {
    let node = TestNode::start().await;
    let amira = Browser::new(&node.base_url);

    // Before confirming, signing in is refused with a reason.
    let form = amira.get("/register").await;
    amira
        .submit(
            "/register",
            &form.csrf(),
            &[("username", "early"), ("email", "early@example.org"), ("password", PASSWORD)],
        )
        .await;
    let login = amira.get("/login").await;
    let refused = amira.submit("/login", &login.csrf(), &[("login", "early"), ("password", PASSWORD)]).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.has("Confirm your email address"), "{}", refused.html);

    register(&node, &amira, "amira").await;
    amira.sign_in("amira", PASSWORD).await;

    // Profile with an avatar.
    let settings = amira.get("/settings/profile").await;
    let saved = amira
        .submit_multipart(
            "/settings/profile",
            &settings.csrf(),
            &[
                ("display_name", "Amira Khan"),
                ("job_title", "Head of Housing Policy"),
                ("organisation", "Leeds City Council"),
                ("location", "Leeds"),
                ("bio", "Homelessness prevention and data."),
                ("expertise", "housing, data protection"),
                ("link_name_0", "Team page"),
                ("link_value_0", "https://example.org/housing"),
            ],
            vec![("avatar", "me.png", png(300, 200))],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    assert!(amira.follow(&saved).await.has("Profile saved"));
    let profile = amira.get("/@amira").await;
    for text in
        ["Amira Khan", "Head of Housing Policy", "Leeds City Council", "data protection", "https://example.org/housing"]
    {
        assert!(profile.has(text), "profile lacks {text}");
    }
    assert!(profile.has("src=\"/media/"), "the avatar is served from media");

    // A post with an image and alt text.
    let home = amira.get("/").await;
    let posted = amira
        .submit_multipart(
            "/statuses",
            &home.csrf(),
            &[
                ("status", "Our new **housing** dashboard #housing"),
                ("visibility", "public"),
                ("media_description", "A bar chart of waiting times"),
            ],
            vec![("media", "chart.png", png(64, 32))],
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.html);
    let home = amira.follow(&posted).await;
    assert!(home.has("<strong>housing</strong>"));
    assert!(home.has("alt=\"A bar chart of waiting times\""));
    let image = home.html.split("<img src=\"/media/").nth(1).and_then(|s| s.split('"').next()).expect("an image");
    let file = amira.get(&format!("/media/{image}")).await;
    assert_eq!(file.status, StatusCode::OK);

    // A colleague follows her from her profile and sees the post on their home page.
    let ben = Browser::new(&node.base_url);
    register(&node, &ben, "ben").await;
    ben.sign_in("ben@example.org", PASSWORD).await;
    assert!(!ben.get("/").await.has("housing</strong> dashboard"));
    let profile = ben.get("/@amira").await;
    assert!(profile.has("Follow Amira Khan"));
    let followed = ben.submit("/@amira/follow", &profile.csrf(), &[]).await;
    assert_eq!(followed.status, StatusCode::SEE_OTHER);
    assert!(ben.get("/@amira").await.has("Unfollow Amira Khan"));
    assert!(ben.get("/").await.has("<strong>housing</strong> dashboard"));

    // She is told, and can like his reply.
    let notes = amira.get("/notifications").await;
    assert!(notes.has("followed you"), "{}", notes.html);
    let thread_path = home.html.split("href=\"/@amira/").nth(1).and_then(|s| s.split('"').next()).expect("thread link");
    let thread = ben.get(&format!("/@amira/{thread_path}")).await;
    assert!(thread.has("Reply to Amira Khan"));
    let reply = ben
        .submit(
            "/statuses",
            &thread.csrf(),
            &[
                ("status", "@amira Looks great, can we reuse it?"),
                ("visibility", "public"),
                ("in_reply_to_id", thread_path),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.html);
    let thread = ben.follow(&reply).await;
    assert!(thread.has("Looks great, can we reuse it?"));
    assert!(amira.get("/notifications").await.has("mentioned you"));

    // Sign out ends the session.
    let page = amira.get("/").await;
    let out = amira.submit("/logout", &page.csrf(), &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(amira.get("/notifications").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_refuse_bad_input_and_forged_requests_and_change_nothing() {
    let node = TestNode::start().await;
    let carol = node.create_member("carol").await;
    let browser = Browser::new(&node.base_url);
    browser.sign_in("carol", PASSWORD).await;
    let count = || async { carol.me().await["statuses_count"].as_i64().expect("count") };
    let before = count().await;

    // No CSRF token, or another one: refused.
    let forged = browser.submit("/statuses", "not-the-token", &[("status", "forged"), ("visibility", "public")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let other = Browser::new(&node.base_url);
    let their_token = other.get("/login").await.csrf();
    let cross = browser.submit("/statuses", &their_token, &[("status", "forged"), ("visibility", "public")]).await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);

    // Empty, over-long, and a bad visibility: the form again with the message.
    let home = browser.get("/").await;
    let csrf = home.csrf();
    let empty = browser.submit("/statuses", &csrf, &[("status", "  "), ("visibility", "public")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.has("Enter some text to post"));
    let long = "x".repeat(5001);
    let too_long = browser.submit("/statuses", &csrf, &[("status", &long), ("visibility", "public")]).await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_long.has("too long"));
    assert!(too_long.has(&long), "what they wrote is kept");
    let bad_vis = browser.submit("/statuses", &csrf, &[("status", "hi"), ("visibility", "everyone")]).await;
    assert_eq!(bad_vis.status, StatusCode::UNPROCESSABLE_ENTITY);
    let exe = browser
        .submit_multipart(
            "/statuses",
            &csrf,
            &[("status", "a file"), ("visibility", "public")],
            vec![("media", "x.pdf", b"MZ\x90\x00 not a pdf".to_vec())],
        )
        .await;
    assert_eq!(exe.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(exe.has("not allowed"));
    assert_eq!(count().await, before, "nothing was posted");

    // Someone else's post cannot be edited or deleted; unknown ids are 404.
    let dan = node.create_member("dan").await;
    let theirs = dan.post_status(serde_json::json!({"status": "mine"})).await;
    let id = theirs["id"].as_str().expect("id");
    assert_eq!(browser.get(&format!("/statuses/{id}/edit")).await.status, StatusCode::FORBIDDEN);
    let del = browser.submit(&format!("/statuses/{id}/delete"), &csrf, &[]).await;
    assert_eq!(del.status, StatusCode::FORBIDDEN);
    assert_eq!(dan.get(&format!("/api/v1/statuses/{id}")).await.status, StatusCode::OK);
    assert_eq!(browser.get("/statuses/123/edit").await.status, StatusCode::NOT_FOUND);
    assert_eq!(browser.get("/statuses/abc/edit").await.status, StatusCode::NOT_FOUND);
    assert_eq!(browser.get("/@nobody").await.status, StatusCode::NOT_FOUND);

    // Registration: each field says what is wrong; nothing is created.
    let anon = Browser::new(&node.base_url);
    let form = anon.get("/register").await;
    let bad = anon
        .submit("/register", &form.csrf(), &[("username", "bad name!"), ("email", "nope"), ("password", "short")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for text in ["There is a problem", "Username can only contain", "correct format", "at least 8 characters"] {
        assert!(bad.has(text), "missing {text}");
    }
    let taken = anon
        .submit(
            "/register",
            &form.csrf(),
            &[("username", "Carol"), ("email", "new@example.org"), ("password", PASSWORD)],
        )
        .await;
    assert!(taken.has("That username is taken"));
    assert_eq!(anon.get("/@bad").await.status, StatusCode::NOT_FOUND);

    // Profile: over-long fields are refused and nothing changes.
    let settings = browser.get("/settings/profile").await;
    let long_title = "t".repeat(101);
    let refused =
        browser.submit_multipart("/settings/profile", &settings.csrf(), &[("job_title", &long_title)], vec![]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!carol.me().await["khub"]["job_title"].as_str().unwrap_or_default().starts_with("ttt"));

    // Wrong password: 401 and the form again.
    let b = Browser::new(&node.base_url);
    let login = b.get("/login").await;
    let wrong = b.submit("/login", &login.csrf(), &[("login", "carol"), ("password", "wrong password")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.has("Enter a correct username"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approval_invites_and_password_reset() {
    let node = TestNode::start_with(|s| s.registration = khub::config::RegistrationMode::Approval).await;
    khub::service::accounts::admin_create_user(&node.state, "root", "root@example.org", PASSWORD, true)
        .await
        .expect("admin");
    let admin = Browser::new(&node.base_url);
    admin.sign_in("root", PASSWORD).await;

    // Approval mode: confirmed but waiting until an admin approves.
    let erin = Browser::new(&node.base_url);
    let form = erin.get("/register").await;
    assert!(form.has("Why do you want to join?"));
    let done = erin
        .submit(
            "/register",
            &form.csrf(),
            &[
                ("username", "erin"),
                ("email", "erin@example.org"),
                ("password", PASSWORD),
                ("reason", "I run the data team at a trust"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    let mail = eventually("confirmation", Duration::from_secs(20), || async {
        last_mail_to(node.data_dir.path(), "erin@example.org")
    })
    .await;
    erin.get(&link_in(&mail, "/confirm/")).await;
    let login = erin.get("/login").await;
    let waiting = erin.submit("/login", &login.csrf(), &[("login", "erin"), ("password", PASSWORD)]).await;
    assert_eq!(waiting.status, StatusCode::UNAUTHORIZED);
    assert!(waiting.has("waiting for approval"));
    let panel = admin.get("/admin").await;
    assert!(panel.has("I run the data team at a trust"));
    let erin_id =
        panel.html.split("/admin/users/").nth(1).and_then(|s| s.split('/').next()).expect("pending user").to_owned();
    // A member who is not an admin cannot approve.
    let outsider = Browser::new(&node.base_url);
    node.create_member("frank").await;
    outsider.sign_in("frank", PASSWORD).await;
    let csrf = outsider.get("/").await.csrf();
    assert_eq!(
        outsider.submit(&format!("/admin/users/{erin_id}/approve"), &csrf, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let approved = admin.submit(&format!("/admin/users/{erin_id}/approve"), &panel.csrf(), &[]).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER);
    erin.sign_in("erin", PASSWORD).await;

    // Invite-only: a member invites; only the link lets someone in, once.
    let panel = admin.get("/admin").await;
    admin
        .submit(
            "/admin/settings",
            &panel.csrf(),
            &[("site_name", "Northern Councils"), ("site_description", "Experts"), ("registration", "invite")],
        )
        .await;
    assert!(admin.get("/").await.has("Northern Councils"));
    let anon = Browser::new(&node.base_url);
    let form = anon.get("/register").await;
    let refused = anon
        .submit(
            "/register",
            &form.csrf(),
            &[("username", "gita"), ("email", "gita@example.org"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.has("invitation"));
    let invite_page = erin.get("/invite").await;
    let sent = erin.submit("/invite", &invite_page.csrf(), &[("emails", "gita@example.org, not-an-address")]).await;
    assert_eq!(sent.status, StatusCode::UNPROCESSABLE_ENTITY, "a bad address refuses the whole list");
    let sent = erin.submit("/invite", &invite_page.csrf(), &[("emails", "gita@example.org")]).await;
    assert!(erin.follow(&sent).await.has("1 invitation sent"));
    let mail = eventually("invitation", Duration::from_secs(20), || async {
        last_mail_to(node.data_dir.path(), "gita@example.org")
    })
    .await;
    let invite_link = link_in(&mail, "/register?invite=");
    let code = invite_link.split("invite=").nth(1).expect("code").to_owned();
    let form = anon.get(&invite_link).await;
    let joined = anon
        .submit(
            "/register",
            &form.csrf(),
            &[("username", "gita"), ("email", "gita@example.org"), ("password", PASSWORD), ("invite", &code)],
        )
        .await;
    assert_eq!(joined.status, StatusCode::OK, "{}", joined.html);
    let again = anon
        .submit(
            "/register",
            &form.csrf(),
            &[("username", "gita2"), ("email", "gita2@example.org"), ("password", PASSWORD), ("invite", &code)],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "an invitation works once");

    // Password reset: a mailed link sets a new password; the old one stops working.
    let forgot = anon.get("/password/reset").await;
    let asked = anon.submit("/password/reset", &forgot.csrf(), &[("email", "erin@example.org")]).await;
    assert!(asked.has("Check your email"));
    let unknown = anon.submit("/password/reset", &forgot.csrf(), &[("email", "nobody@example.org")]).await;
    assert!(unknown.has("Check your email"), "the answer does not reveal who has an account");
    let mail = eventually("reset mail", Duration::from_secs(20), || async {
        last_mail_to(node.data_dir.path(), "erin@example.org").filter(|m| m.contains("/password/reset/"))
    })
    .await;
    let link = link_in(&mail, "/password/reset/");
    let reset_form = anon.get(&link).await;
    let short = anon.submit(&link, &reset_form.csrf(), &[("password", "short")]).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let done = anon.submit(&link, &reset_form.csrf(), &[("password", "a brand new password")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(anon.get(&link).await.status, StatusCode::NOT_FOUND, "a reset link works once");
    let b = Browser::new(&node.base_url);
    let login = b.get("/login").await;
    assert_eq!(
        b.submit("/login", &login.csrf(), &[("login", "erin"), ("password", PASSWORD)]).await.status,
        StatusCode::UNAUTHORIZED
    );
    b.sign_in("erin", "a brand new password").await;
    assert_eq!(erin.get("/notifications").await.status, StatusCode::SEE_OTHER, "the reset signed her out everywhere");
}

/// A poll posted from an app shows in the web UI: a form while the reader may vote, then the
/// results with their choice. A second vote, an empty vote, and a vote in a poll the reader
/// cannot see are refused and change nothing.
#[tokio::test]
async fn polls_show_and_take_votes_in_the_web_ui() {
    let node = TestNode::start().await;
    let ann = node.create_member("ann").await;
    node.create_member("ben").await;
    node.create_member("cat").await;
    let poll = |text: &str, visibility: &str| {
        serde_json::json!({ "status": text, "visibility": visibility,
            "poll": { "options": ["Monday", "Tuesday"], "expires_in": 3600 } })
    };
    let public = ann.post_status(poll("Which day suits?", "public")).await;
    let id = public["id"].as_str().expect("id").to_owned();
    let poll_id = public["poll"]["id"].as_str().expect("poll id").to_owned();
    let private = ann.post_status(poll("Followers: which day?", "private")).await;
    let private_id = private["id"].as_str().expect("id").to_owned();

    let ben = Browser::new(&node.base_url);
    ben.sign_in("ben@example.org", PASSWORD).await;
    let page = ben.get(&format!("/@ann/{id}")).await;
    assert!(
        page.has("Poll: choose one") && page.has("type=\"radio\"") && page.has(">Tuesday</label>"),
        "{}",
        page.html
    );
    assert!(page.has("No votes yet"));

    let empty = ben.submit(&format!("/statuses/{id}/vote"), &page.csrf(), &[]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", empty.html);
    assert!(empty.has("Choose an option to vote for"));

    let voted = ben.submit(&format!("/statuses/{id}/vote"), &page.csrf(), &[("choices[]", "1")]).await;
    assert_eq!(voted.status, StatusCode::SEE_OTHER, "{}", voted.html);
    let after = ben.follow(&voted).await;
    assert!(after.has("Tuesday <strong>(your choice)</strong>"), "{}", after.html);
    assert!(after.has("100% (1)") && after.has("0% (0)") && after.has("1 person voted"), "{}", after.html);
    assert!(!after.has("Poll: choose one"), "no second form after voting");

    let again = ben.submit(&format!("/statuses/{id}/vote"), &after.csrf(), &[("choices[]", "0")]).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", again.html);
    let shown = ann.get(&format!("/api/v1/polls/{poll_id}")).await.ok().clone();
    assert_eq!((shown["votes_count"].clone(), shown["options"][1]["votes_count"].clone()), (1.into(), 1.into()));

    // Cat does not follow Ann: her followers-only poll is not there for Cat to vote in.
    let cat = Browser::new(&node.base_url);
    cat.sign_in("cat@example.org", PASSWORD).await;
    let home = cat.get("/").await;
    let refused = cat.submit(&format!("/statuses/{private_id}/vote"), &home.csrf(), &[("choices[]", "0")]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.html);
    let private_poll = ann.get(&format!("/api/v1/statuses/{private_id}")).await.ok()["poll"].clone();
    assert_eq!(private_poll["votes_count"], 0, "{private_poll}");
}
