//! Unsigned, forged and malformed requests to an inbox are refused and store nothing.
use federation_tests::{Node, json};
use reqwest::StatusCode;

fn digest(body: &[u8]) -> String {
    use base64::Engine;
    use sha2::Digest;
    format!("SHA-256={}", base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(body)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_and_forged_activities_are_refused() {
    let alpha = Node::start("alpha").await;
    let beta = Node::start("beta").await;
    let alice = alpha.create_member("alice");
    let bob = beta.create_member("bob");
    // Beta knows Alice (so a forged post in her name would have somewhere to go).
    bob.resolve(&alice.handle).await;
    let actor = format!("{}/users/alice", alpha.base_url);
    let note_id = format!("{}/objects/1", alpha.base_url);
    let activity = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/create/1", alpha.base_url),
        "type": "Create",
        "actor": actor,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {
            "id": note_id, "type": "Note", "attributedTo": actor,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "content": "FORGED-POST"
        }
    });
    let body = serde_json::to_vec(&activity).expect("json");
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let anon = beta.anon();
    let ct = ("content-type", "application/activity+json".to_owned());

    // No signature at all.
    let s =
        anon.post_raw("/inbox", &[ct.clone(), ("date", date.clone()), ("digest", digest(&body))], body.clone()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // A signature header that does not verify with Alice's key.
    let forged = format!(
        "keyId=\"{actor}#main-key\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\",signature=\"{}\"",
        "A".repeat(344)
    );
    let s = anon
        .post_raw(
            "/users/bob/inbox",
            &[ct.clone(), ("date", date.clone()), ("digest", digest(&body)), ("signature", forged)],
            body.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // A digest that does not match the body.
    let s = anon
        .post_raw("/inbox", &[ct.clone(), ("date", date.clone()), ("digest", digest(b"other"))], body.clone())
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Not JSON, or not an activity.
    let s = anon.post_raw("/inbox", &[ct.clone(), ("digest", digest(b"nonsense"))], b"nonsense".to_vec()).await;
    assert!(s.is_client_error(), "{s}");
    // Too large, even when it claims a signature.
    let big = vec![b' '; 2 * 1024 * 1024];
    let sig = ("signature", format!("keyId=\"{actor}#main-key\",signature=\"AAAA\""));
    let s = anon.post_raw("/inbox", &[ct, sig], big).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);

    // Nothing was stored.
    let r = bob.get(&format!("/api/v2/search?q={note_id}")).await;
    assert!(r.1["statuses"].as_array().is_some_and(|l| l.is_empty()));
    let public = beta.anon().get("/api/v1/timelines/public").await.1;
    assert!(!public.to_string().contains("FORGED-POST"));
    let alice_on_beta = bob.resolve(&alice.handle).await;
    let theirs = bob.get(&format!("/api/v1/accounts/{alice_on_beta}/statuses")).await.1;
    assert!(!theirs.to_string().contains("FORGED-POST"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_documents_describe_the_node_and_its_members() {
    let alpha = Node::start("alpha").await;
    let alice = alpha.create_member("alice");
    let anon = alpha.anon();
    let (s, wf) = anon.get(&format!("/.well-known/webfinger?resource=acct:{}", alice.handle)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(wf["subject"], format!("acct:{}", alice.handle));
    assert_eq!(
        anon.get("/.well-known/webfinger?resource=acct:nobody@elsewhere.example").await.0,
        StatusCode::NOT_FOUND
    );
    let (_, links) = anon.get("/.well-known/nodeinfo").await;
    assert!(links["links"][0]["href"].as_str().is_some_and(|h| h.ends_with("/nodeinfo/2.0")));
    let (_, ni) = anon.get("/nodeinfo/2.1").await;
    assert_eq!(ni["software"]["name"], "khub");
    assert_eq!(ni["protocols"][0], "activitypub");
    // The actor, as Mastodon expects it.
    let client = reqwest::Client::new();
    let res = client
        .get(format!("{}/users/alice", alpha.base_url))
        .header("accept", "application/activity+json")
        .send()
        .await
        .expect("actor");
    assert!(res.headers()["content-type"].to_str().unwrap_or_default().contains("activity+json"));
    let actor: serde_json::Value = res.json().await.expect("json");
    assert_eq!(actor["type"], "Person");
    // JSON-LD readers (Fedify, for one) find `publicKey` only through the security context.
    assert_eq!(actor["@context"][1], "https://w3id.org/security/v1", "{actor}");
    assert_eq!(actor["preferredUsername"], "alice");
    assert!(actor["publicKey"]["publicKeyPem"].as_str().is_some_and(|k| k.contains("BEGIN PUBLIC KEY")));
    assert_eq!(actor["publicKey"]["owner"], actor["id"]);
    assert_eq!(actor["endpoints"]["sharedInbox"], format!("{}/inbox", alpha.base_url));
    assert_eq!(actor["url"], format!("{}/@alice", alpha.base_url));
    // A browser asking for the same URL gets the profile page.
    let html = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let res =
        html.get(format!("{}/users/alice", alpha.base_url)).header("accept", "text/html").send().await.expect("page");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/@alice");
}

/// Signs a POST to `path` on `host` as `key_id`, the way servers do (draft-cavage, rsa-sha256).
fn signed_headers(
    private_pem: &str,
    key_id: &str,
    host: &str,
    path: &str,
    date: &str,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    signed_headers_with(private_pem, key_id, host, path, date, body, "rsa-sha256")
}

/// As [`signed_headers`], naming `algorithm` (`rsa-sha256`, or `hs2019` as newer servers write).
fn signed_headers_with(
    private_pem: &str,
    key_id: &str,
    host: &str,
    path: &str,
    date: &str,
    body: &[u8],
    algorithm: &str,
) -> Vec<(&'static str, String)> {
    use base64::Engine;
    use rsa::pkcs8::DecodePrivateKey;
    use sha2::Digest;
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(private_pem).expect("private key");
    let digest = digest(body);
    let signing = format!("(request-target): post {path}\nhost: {host}\ndate: {date}\ndigest: {digest}");
    let sig =
        key.sign(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &sha2::Sha256::digest(signing.as_bytes())).expect("sign");
    let signature = format!(
        "keyId=\"{key_id}\",algorithm=\"{algorithm}\",headers=\"(request-target) host date digest\",signature=\"{}\"",
        base64::engine::general_purpose::STANDARD.encode(sig)
    );
    vec![
        ("content-type", "application/activity+json".to_owned()),
        ("date", date.to_owned()),
        ("digest", digest),
        ("signature", signature),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_signature_is_refused_and_a_replayed_activity_takes_effect_once() {
    let alpha = Node::start("alpha").await;
    let beta = Node::start("beta").await;
    let alice = alpha.create_member("alice");
    let bob = beta.create_member("bob");
    // Beta fetches alice (her keys are made then); alpha's database holds her private key.
    let alice_on_beta = bob.resolve(&alice.handle).await;
    let pem = alpha.private_key_of("alice").await;
    let actor = format!("{}/users/alice", alpha.base_url);
    let activity = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/create/424242", alpha.base_url),
        "type": "Create",
        "actor": actor,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {
            "id": format!("{}/objects/424242", alpha.base_url), "type": "Note", "attributedTo": actor,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "content": "SIGNED-ONCE"
        }
    });
    let body = serde_json::to_vec(&activity).expect("json");
    let key_id = format!("{actor}#main-key");
    let anon = beta.anon();

    // Signed two hours ago: too old to be trusted, whatever else is right.
    let old = httpdate::fmt_http_date(std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 3600));
    let stale = signed_headers(&pem, &key_id, &beta.domain, "/inbox", &old, &body);
    assert_eq!(anon.post_raw("/inbox", &stale, body.clone()).await, StatusCode::UNAUTHORIZED);
    let texts = |r: serde_json::Value| -> Vec<String> {
        r.as_array()
            .map(|l| l.iter().filter_map(|s| s["content"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    let statuses = format!("/api/v1/accounts/{alice_on_beta}/statuses");
    assert!(texts(bob.get(&statuses).await.1).is_empty(), "nothing stored from a stale signature");

    // A valid request is accepted once; the same request again (a replay) changes nothing.
    let now = httpdate::fmt_http_date(std::time::SystemTime::now());
    let fresh = signed_headers(&pem, &key_id, &beta.domain, "/inbox", &now, &body);
    let first = anon.post_raw("/inbox", &fresh, body.clone()).await;
    assert!(first.is_success(), "{first}");
    let replay = anon.post_raw("/inbox", &fresh, body.clone()).await;
    assert!(replay.as_u16() < 500, "{replay}");
    let list = texts(bob.get(&statuses).await.1);
    assert_eq!(list.iter().filter(|t| t.contains("SIGNED-ONCE")).count(), 1, "{list:?}");

    // `hs2019` (the algorithm name newer servers send) is accepted the same way.
    let mut second = activity.clone();
    second["id"] = json!(format!("{}/activities/create/434343", alpha.base_url));
    second["object"]["id"] = json!(format!("{}/objects/434343", alpha.base_url));
    second["object"]["content"] = json!("SIGNED-HS2019");
    let body2 = serde_json::to_vec(&second).expect("json");
    let hs = signed_headers_with(&pem, &key_id, &beta.domain, "/inbox", &now, &body2, "hs2019");
    let accepted = anon.post_raw("/inbox", &hs, body2).await;
    assert!(accepted.is_success(), "{accepted}");
    let list = texts(bob.get(&statuses).await.1);
    assert!(list.iter().any(|t| t.contains("SIGNED-HS2019")), "{list:?}");

    // The signature covers the body: the same headers with another body are refused.
    let other = serde_json::to_vec(&json!({"type": "Create", "content": "TAMPERED"})).expect("json");
    assert_eq!(anon.post_raw("/inbox", &fresh, other).await, StatusCode::UNAUTHORIZED);
}

/// A fresh RSA key pair as PKCS#8 and SPKI PEM, made by the openssl command.
fn new_key_pair() -> (String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = dir.path().join("key.pem");
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl").args(args).output().expect("run openssl");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let key_path = key.to_str().expect("path");
    run(&["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key_path]);
    let public = run(&["pkey", "-in", key_path, "-pubout"]);
    (std::fs::read_to_string(&key).expect("key"), String::from_utf8(public).expect("utf-8"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_that_rotated_its_key_is_still_believed() {
    let mut alpha = Node::start("alpha").await;
    let beta = Node::start("beta").await;
    let alice = alpha.create_member("alice");
    let bob = beta.create_member("bob");
    bob.follow_remote(&alice.handle).await;
    alice.post_status(json!({"status": "BEFORE-ROTATION"})).await;
    federation_tests::eventually("the first post on beta", std::time::Duration::from_secs(30), || async {
        bob.home_texts().await.iter().any(|t| t.contains("BEFORE-ROTATION")).then_some(())
    })
    .await;

    // Alice's node gets her a new key; beta still has the old one cached.
    let (private, public) = new_key_pair();
    alpha.kill();
    alpha.set_keys_of("alice", &private, &public).await;
    alpha.launch().await;
    alice.post_status(json!({"status": "AFTER-ROTATION"})).await;
    // The first delivery fails against the cached key; beta fetches alice again and then
    // accepts it (or a retry of it).
    federation_tests::eventually("the post signed with the new key", std::time::Duration::from_secs(60), || async {
        bob.home_texts().await.iter().any(|t| t.contains("AFTER-ROTATION")).then_some(())
    })
    .await;
    let served: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/users/alice", alpha.base_url))
        .header("accept", "application/activity+json")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(served["publicKey"]["publicKeyPem"].as_str().map(str::trim), Some(public.trim()));
}
