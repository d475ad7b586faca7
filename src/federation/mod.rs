//! Federation: ActivityPub over HTTP signatures, built on `activitypub_federation`.
//!
//! `protocol` holds the serde forms, `objects` maps rows to and from them, `activities` are
//! what arrives in inboxes, `outbox` turns outgoing events into signed deliveries (jobs), and
//! `http` serves WebFinger, NodeInfo, actors, objects and inboxes.
pub mod activities;
pub mod error;
pub mod http;
pub mod instance_actor;
pub mod objects;
pub mod outbox;
pub mod protocol;
pub mod remote_media;
pub mod search;
pub mod signed_fetch;

use std::time::Duration;

use activitypub_federation::config::{Data, FederationConfig};

use crate::app::AppState;

/// Request data for federation calls made outside a request (jobs, searches).
pub type FedData = Data<AppState>;

/// Builds the library's configuration for this node. In loopback test mode (`allow_http`)
/// plain http, explicit ports and local addresses are allowed; otherwise every outgoing fetch
/// must be https to a public address. Every fetch is signed by the instance actor.
pub async fn build_config(state: AppState) -> anyhow::Result<FederationConfig<AppState>> {
    let domain = state.settings.domain.clone();
    let debug = state.settings.allow_http;
    let db = state.db.clone();
    let keys = instance_actor::ensure_keys(&state.db).await?;
    let signer = instance_actor::signer(&state.base_url, &keys)?;
    let config = FederationConfig::builder()
        .domain(domain)
        .app_data(state)
        .debug(debug)
        .allow_http_urls(debug)
        .http_fetch_limit(40)
        .url_verifier(Box::new(DomainBlocks { db }))
        .request_timeout(Duration::from_secs(10))
        .signed_fetch_actor(&signer)
        .build()
        .await?;
    Ok(config)
}

/// The ActivityPub id of a local account.
pub fn local_actor_id(base_url: &str, username: &str) -> String {
    format!("{base_url}/users/{username}")
}

/// The ActivityPub id of a local status.
pub fn local_object_id(base_url: &str, id: i64) -> String {
    format!("{base_url}/objects/{id}")
}

/// `host` or `host:port` of a URL: how khub names an instance.
pub fn authority(url: &url::Url) -> Option<String> {
    let host = url.host_str()?.to_lowercase();
    Some(match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    })
}

/// Refuses every URL of a blocked domain: incoming activities, fetches and deliveries alike.
#[derive(Clone)]
struct DomainBlocks {
    db: crate::db::Db,
}

#[async_trait::async_trait]
impl activitypub_federation::config::UrlVerifier for DomainBlocks {
    async fn verify(&self, url: &url::Url) -> Result<(), activitypub_federation::error::Error> {
        let Some(domain) = authority(url) else { return Ok(()) };
        match crate::db::queries::instances::is_blocked(&self.db.conn, &domain).await {
            Ok(false) => Ok(()),
            Ok(true) => Err(activitypub_federation::error::Error::UrlVerificationError("this domain is blocked here")),
            // A database hiccup must not open the gate: refuse, the sender retries.
            Err(_) => Err(activitypub_federation::error::Error::UrlVerificationError("could not check the domain")),
        }
    }
}
