//! The instance actor: the node itself as an `Application` actor at `/actor`. It signs every
//! fetch this node makes (so servers in authorized-fetch mode answer us, and ours can tell who
//! is asking), and it can always be fetched unsigned, so checking its key never needs a
//! signature itself. Its key pair is made once and kept in the database, shared by every
//! process of the node.
use activitypub_federation::http_signatures::generate_actor_keypair;
use activitypub_federation::protocol::public_key::PublicKey;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::db::Db;
use crate::db::entities::accounts;
use crate::db::queries::accounts as aq;
use crate::federation::objects::ApubPerson;
use crate::federation::protocol::{Endpoints, Person};

/// Its `preferredUsername` (and WebFinger name): a plain name no member can take, since member
/// names cannot contain a dot.
pub const USERNAME: &str = "instance.actor";

const KEYS_SETTING: &str = "federation.instance_actor_keys";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceKeys {
    pub public_key_pem: String,
    pub private_key_pem: String,
}

/// `{base}/actor`.
pub fn actor_id(base_url: &str) -> String {
    format!("{base_url}/actor")
}

/// Whether `url` names this node's instance actor (the key id has a fragment).
pub fn is_instance_actor(base_url: &str, url: &Url) -> bool {
    let mut u = url.clone();
    u.set_fragment(None);
    u.as_str() == actor_id(base_url)
}

/// The node's key pair, made on first start. When two processes start at once, the first
/// insert wins and both read it back.
pub async fn ensure_keys(db: &Db) -> anyhow::Result<InstanceKeys> {
    if let Some(v) = aq::setting(&db.conn, KEYS_SETTING).await? {
        return Ok(serde_json::from_str(&v)?);
    }
    let pair = tokio::task::spawn_blocking(generate_actor_keypair).await??;
    let keys = InstanceKeys { public_key_pem: pair.public_key, private_key_pem: pair.private_key };
    {
        let _w = db.write_lock().await;
        aq::insert_setting_if_absent(&db.conn, KEYS_SETTING, &serde_json::to_string(&keys)?).await?;
    }
    let stored = aq::setting(&db.conn, KEYS_SETTING).await?.ok_or_else(|| anyhow::anyhow!("instance keys vanished"))?;
    Ok(serde_json::from_str(&stored)?)
}

/// The instance actor as the library's signer of fetches (it only reads the id and the key).
pub fn signer(base_url: &str, keys: &InstanceKeys) -> anyhow::Result<ApubPerson> {
    let now = chrono::Utc::now();
    let account = accounts::Model {
        id: 0,
        username: USERNAME.to_owned(),
        username_lower: USERNAME.to_owned(),
        domain: None,
        display_name: String::new(),
        bio: String::new(),
        job_title: String::new(),
        organisation: String::new(),
        location: String::new(),
        expertise: "[]".to_owned(),
        fields: "[]".to_owned(),
        avatar_media_id: None,
        header_media_id: None,
        locked: true,
        bot: true,
        discoverable: false,
        suspended: false,
        created_at: now,
        updated_at: now,
        uri: None,
        url: None,
        inbox_url: None,
        shared_inbox_url: None,
        outbox_url: None,
        followers_url: None,
        public_key_pem: Some(keys.public_key_pem.clone()),
        private_key_pem: Some(keys.private_key_pem.clone()),
        avatar_remote_url: None,
        header_remote_url: None,
        fetched_at: None,
        moved_to_account_id: None,
        also_known_as: "[]".to_owned(),
    };
    Ok(ApubPerson { account, ap_id: Url::parse(&actor_id(base_url))? })
}

/// The actor document served at `/actor`.
pub fn document(base_url: &str, domain: &str, site_name: &str, public_key_pem: &str) -> anyhow::Result<Person> {
    let id = Url::parse(&actor_id(base_url))?;
    Ok(Person {
        kind: "Application".into(),
        preferred_username: USERNAME.to_owned(),
        name: Some(if site_name.is_empty() { domain.to_owned() } else { site_name.to_owned() }),
        summary: None,
        inbox: Url::parse(&format!("{id}/inbox"))?,
        outbox: Some(Url::parse(&format!("{id}/outbox"))?),
        followers: None,
        following: None,
        featured: None,
        endpoints: Some(Endpoints { shared_inbox: Some(Url::parse(&format!("{base_url}/inbox"))?) }),
        public_key: PublicKey {
            id: format!("{id}#main-key"),
            owner: id.clone(),
            public_key_pem: public_key_pem.to_owned(),
        },
        url: Some(Url::parse(&format!("{base_url}/"))?),
        icon: None,
        image: None,
        manually_approves_followers: true,
        discoverable: Some(false),
        published: None,
        attachment: Vec::new(),
        also_known_as: Vec::new(),
        moved_to: None,
        id,
    })
}
