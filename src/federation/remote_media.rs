//! Files attached to remote posts are copied here (bounded), checked and re-encoded like
//! uploads, so pages never hot-link another server and readers' addresses never leak to it.
use std::net::IpAddr;
use std::time::Duration;

use url::Url;

use crate::app::AppState;
use crate::db::entities::media_attachments;
use crate::federation::protocol::Attachment;
use crate::service::media::{self, Purpose, Upload};

/// Whether an address is one an outgoing fetch must never reach (unless in loopback test mode).
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

/// Refuses URLs that are not https (outside test mode) or that resolve to private addresses.
async fn allowed(state: &AppState, url: &Url) -> bool {
    if state.settings.allow_http {
        return matches!(url.scheme(), "http" | "https");
    }
    if url.scheme() != "https" {
        return false;
    }
    let Some(host) = url.host_str() else { return false };
    let port = url.port_or_known_default().unwrap_or(443);
    match tokio::net::lookup_host((host, port)).await {
        Ok(addrs) => {
            let addrs: Vec<_> = addrs.collect();
            !addrs.is_empty() && addrs.iter().all(|a| !is_private(a.ip()))
        }
        Err(_) => false,
    }
}

/// Downloads at most `limit` bytes, without following redirects. The request is signed by the
/// instance actor, so that a server holding a followers-only post's file gives it to us (it
/// checks that someone here is in the post's audience).
async fn download(state: &AppState, url: &Url, limit: usize) -> Option<Vec<u8>> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .build()
        .ok()?;
    let req = match state.federation_data() {
        Some(data) => {
            let builder = reqwest_middleware::ClientWithMiddleware::from(client.clone()).get(url.as_str());
            data.sign_request(builder, bytes::Bytes::new()).await.ok()?
        }
        None => client.get(url.as_str()).build().ok()?,
    };
    let mut res = client.execute(req).await.ok()?;
    if !res.status().is_success() || res.content_length().is_some_and(|l| l as usize > limit) {
        return None;
    }
    let mut out = Vec::new();
    while let Some(chunk) = res.chunk().await.ok()? {
        if out.len() + chunk.len() > limit {
            return None;
        }
        out.extend_from_slice(&chunk);
    }
    Some(out)
}

/// Copies up to four attachments of a remote post; those that fail are skipped (logged).
pub async fn cache_attachments(
    state: &AppState,
    account: i64,
    attachments: &[Attachment],
) -> Vec<media_attachments::Model> {
    let limit = state.settings.limits.max_image_bytes.max(state.settings.limits.max_document_bytes);
    let mut out = Vec::new();
    for a in attachments.iter().take(state.settings.limits.max_media_attachments) {
        if !allowed(state, &a.url).await {
            tracing::info!(url = %a.url, "remote attachment refused: not a public https address");
            continue;
        }
        let Some(bytes) = download(state, &a.url, limit).await else {
            tracing::info!(url = %a.url, "remote attachment could not be fetched");
            continue;
        };
        let file_name = a.url.path_segments().and_then(|mut s| s.next_back()).unwrap_or("file").to_owned();
        let description: String = a.name.as_deref().unwrap_or_default().chars().take(1500).collect();
        match media::store_upload(state, account, Upload { bytes, file_name }, &description, Purpose::Attachment).await
        {
            Ok(m) => out.push(m),
            Err(e) => tracing::info!(url = %a.url, error = %e.message, "remote attachment refused"),
        }
    }
    out
}
