//! HTTP signatures on GET requests ("authorized fetch"): who is asking for an actor, a post or a
//! collection. The library checks signatures on inbox POSTs itself; GETs are checked here with
//! the same normalisation crate and the signer's key, fetched and cached like any actor. A key
//! that no longer verifies is fetched once more before the request is refused, so a server that
//! rotated its keys is not locked out.
use std::collections::BTreeMap;
use std::time::Duration;

use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use axum::http::{HeaderMap, Method, Uri};
use base64::Engine;
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::{Digest, Sha256};
use url::Url;

use crate::app::AppState;
use crate::error::ErrorKind;
use crate::federation::error::{FedError, FedResult};
use crate::federation::objects::ApubPerson;

/// How old a signature may be (the `Date` header, or `(created)`).
const MAX_AGE: Duration = Duration::from_secs(60 * 60);

fn unauthorized(message: &str) -> FedError {
    FedError::new(ErrorKind::Unauthorized, message)
}

/// A quoted parameter of a Signature header (`keyId`, `headers`).
fn param<'a>(sig: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("{name}=\"");
    let start = sig.find(&key)? + key.len();
    let end = sig[start..].find('"')? + start;
    Some(&sig[start..end])
}

/// The `keyId` of a Signature header, if there is one.
pub fn key_id(headers: &HeaderMap) -> Option<Url> {
    let sig = headers.get("signature")?.to_str().ok()?;
    Url::parse(param(sig, "keyId")?).ok()
}

/// A signature must cover the request line and a time (`date` or `(created)`), or it could be
/// replayed against another URL or forever.
fn covers_enough(headers: &HeaderMap) -> bool {
    let Some(sig) = headers.get("signature").and_then(|v| v.to_str().ok()) else { return false };
    let signed: Vec<&str> = param(sig, "headers").unwrap_or("date").split_whitespace().collect();
    signed.contains(&"(request-target)") && (signed.contains(&"date") || signed.contains(&"(created)"))
}

/// The verified signer of a request: `Ok(None)` when it is not signed, an error when the
/// signature is present but wrong, expired, or from a blocked server.
pub async fn signer(
    data: &Data<AppState>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> FedResult<Option<ApubPerson>> {
    let Some(key) = key_id(headers) else {
        return if headers.contains_key("signature") {
            Err(unauthorized("The Signature header has no usable keyId"))
        } else {
            Ok(None)
        };
    };
    if !covers_enough(headers) {
        return Err(unauthorized("The signature must cover (request-target) and date or (created)"));
    }
    let mut actor_url = key.clone();
    actor_url.set_fragment(None);
    let id: ObjectId<ApubPerson> = actor_url.into();
    let actor = id.dereference(data).await.map_err(|e| {
        if e.0.kind == ErrorKind::Forbidden { e } else { unauthorized("The signer's key could not be fetched") }
    })?;
    if verify(method, uri, headers, &actor.account.public_key_pem.clone().unwrap_or_default(), data.domain())? {
        return Ok(Some(actor));
    }
    // Perhaps the key was rotated since we cached it.
    let fresh = id.dereference_forced(data).await.map_err(|_| unauthorized("The signer's key could not be fetched"))?;
    if verify(method, uri, headers, &fresh.account.public_key_pem.clone().unwrap_or_default(), data.domain())? {
        Ok(Some(fresh))
    } else {
        Err(unauthorized("The HTTP signature is not valid"))
    }
}

/// Checks the signature against `public_key_pem`. `Err` for a malformed or expired header.
fn verify(method: &Method, uri: &Uri, headers: &HeaderMap, public_key_pem: &str, domain: &str) -> FedResult<bool> {
    let mut map = BTreeMap::new();
    for (name, value) in headers {
        if let Ok(v) = value.to_str() {
            map.insert(name.as_str().to_owned(), v.to_owned());
        }
    }
    // Behind a proxy or over HTTP/2 the Host header may be missing; it was signed as our domain.
    map.entry("host".to_owned()).or_insert_with(|| domain.to_owned());
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let config = http_signature_normalization::Config::new().set_expiration(MAX_AGE);
    let unverified = config
        .begin_verify(method.as_str(), path, map)
        .map_err(|e| unauthorized(&format!("The HTTP signature cannot be checked: {e}")))?;
    let Ok(key) = RsaPublicKey::from_public_key_pem(public_key_pem) else {
        return Ok(false);
    };
    Ok(unverified.verify(|signature, signing_string| {
        let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(signature) else { return false };
        key.verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(signing_string.as_bytes()), &sig).is_ok()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_is_read_from_the_signature_header() {
        let mut h = HeaderMap::new();
        h.insert(
            "signature",
            "keyId=\"https://a.example/users/x#main-key\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date\",signature=\"abc\""
                .parse()
                .unwrap(),
        );
        assert_eq!(key_id(&h).unwrap().as_str(), "https://a.example/users/x#main-key");
        h.insert("signature", "algorithm=\"rsa-sha256\"".parse().unwrap());
        assert!(key_id(&h).is_none());
    }

    #[test]
    fn a_wrong_key_does_not_verify() {
        let pair = activitypub_federation::http_signatures::generate_actor_keypair().unwrap();
        let mut h = HeaderMap::new();
        h.insert("host", "b.example".parse().unwrap());
        h.insert("date", httpdate_now().parse().unwrap());
        h.insert(
            "signature",
            "keyId=\"https://a.example/actor#main-key\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date\",signature=\"AAAA\""
                .parse()
                .unwrap(),
        );
        let uri: Uri = "/objects/1".parse().unwrap();
        assert!(!verify(&Method::GET, &uri, &h, &pair.public_key, "b.example").unwrap());
    }

    fn httpdate_now() -> String {
        chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string()
    }
}
