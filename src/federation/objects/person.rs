//! Accounts as ActivityPub actors (`Person`), local and remote.
use activitypub_federation::config::Data;
use activitypub_federation::http_signatures::generate_actor_keypair;
use activitypub_federation::protocol::public_key::PublicKey;
use activitypub_federation::traits::{Actor, Object};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use url::Url;

use crate::app::AppState;
use crate::db::entities::accounts;
use crate::db::queries::accounts as aq;
use crate::federation::error::{FedError, FedResult};
use crate::federation::protocol::{Endpoints, Image, Person, PropertyValue};
use crate::federation::{authority, local_actor_id};
use crate::service::profile::{expertise_of, fields_of};

/// An account with its ActivityPub id.
#[derive(Debug, Clone)]
pub struct ApubPerson {
    pub account: accounts::Model,
    pub ap_id: Url,
}

impl ApubPerson {
    /// Wraps a row; local accounts get their keys made here the first time they are needed.
    pub async fn load(state: &AppState, account: accounts::Model) -> FedResult<Self> {
        let account = if account.domain.is_none() && account.private_key_pem.is_none() {
            ensure_keys(state, account).await?
        } else {
            account
        };
        let ap_id = match (&account.domain, &account.uri) {
            (None, _) => Url::parse(&local_actor_id(&state.base_url, &account.username))?,
            (Some(_), Some(uri)) => Url::parse(uri)?,
            (Some(_), None) => return Err(FedError::bad("remote account without an id")),
        };
        Ok(Self { account, ap_id })
    }

    pub fn is_local(&self) -> bool {
        self.account.domain.is_none()
    }
}

/// Makes an RSA key pair for a local account, once (a racing second one is discarded).
async fn ensure_keys(state: &AppState, account: accounts::Model) -> FedResult<accounts::Model> {
    let keys = tokio::task::spawn_blocking(generate_actor_keypair)
        .await
        .map_err(|e| FedError::from(anyhow::anyhow!("key generation: {e}")))??;
    {
        let _w = state.db.write_lock().await;
        accounts::Entity::update_many()
            .col_expr(accounts::Column::PublicKeyPem, Expr::value(keys.public_key))
            .col_expr(accounts::Column::PrivateKeyPem, Expr::value(keys.private_key))
            .filter(accounts::Column::Id.eq(account.id))
            .filter(accounts::Column::PrivateKeyPem.is_null())
            .exec(&state.db.conn)
            .await?;
    }
    aq::account_by_id(&state.db.conn, account.id).await?.ok_or_else(|| FedError::bad("account vanished"))
}

/// The aliases an account lists (its `alsoKnownAs`).
pub fn aliases_of(a: &accounts::Model) -> Vec<Url> {
    serde_json::from_str::<Vec<String>>(&a.also_known_as)
        .unwrap_or_default()
        .iter()
        .filter_map(|u| Url::parse(u).ok())
        .collect()
}

/// A remote actor's aliases, bounded, as stored.
fn aliases_json(json: &Person) -> FedResult<String> {
    let list: Vec<&str> = json.also_known_as.iter().take(20).map(Url::as_str).collect();
    Ok(serde_json::to_string(&list)?)
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Plain text of remote HTML (names, bios, field values).
fn text_of(html: &str, max: usize) -> String {
    crate::service::text::plain_text(html, max)
}

#[async_trait::async_trait]
impl Object for ApubPerson {
    type DataType = AppState;
    type Kind = Person;
    type Error = FedError;

    fn id(&self) -> &Url {
        &self.ap_id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        if self.is_local() { None } else { self.account.fetched_at }
    }

    async fn read_from_id(object_id: Url, data: &Data<AppState>) -> FedResult<Option<Self>> {
        let state = data.app_data();
        let account = if authority(&object_id).as_deref() == Some(state.settings.domain.as_str()) {
            match object_id.path().strip_prefix("/users/") {
                Some(name) if !name.contains('/') => aq::local_account_by_username(&state.db.conn, name).await?,
                _ => None,
            }
        } else {
            aq::account_by_uri(&state.db.conn, object_id.as_str()).await?
        };
        match account {
            Some(a) if !a.suspended => Ok(Some(Self::load(state, a).await?)),
            _ => Ok(None),
        }
    }

    async fn into_json(self, data: &Data<AppState>) -> FedResult<Person> {
        let state = data.app_data();
        let a = &self.account;
        let id = self.ap_id.clone();
        let base = &state.base_url;
        let views = crate::service::views::account(&state.db.conn, a.id).await?;
        let image = |m: Option<&crate::db::entities::media_attachments::Model>| -> Option<Image> {
            m.and_then(|m| {
                Url::parse(&format!("{base}/media/{}", m.file_name)).ok().map(|url| Image {
                    kind: "Image".into(),
                    url,
                    media_type: Some(m.content_type.clone()),
                })
            })
        };
        let mut attachment = Vec::new();
        for (name, value) in [
            ("Job title", a.job_title.clone()),
            ("Organisation", a.organisation.clone()),
            ("Location", a.location.clone()),
            ("Expertise", expertise_of(a).join(", ")),
        ] {
            if !value.is_empty() {
                attachment.push(PropertyValue {
                    kind: "PropertyValue".into(),
                    name: name.into(),
                    value: html_escape(&value),
                });
            }
        }
        for f in fields_of(a) {
            attachment.push(PropertyValue { kind: "PropertyValue".into(), name: f.name, value: html_escape(&f.value) });
        }
        Ok(Person {
            kind: if a.bot { "Service" } else { "Person" }.into(),
            preferred_username: a.username.clone(),
            name: Some(a.display_name.clone()).filter(|n| !n.is_empty()),
            summary: Some(crate::api::model::account::note_html(&a.bio)),
            inbox: Url::parse(&format!("{id}/inbox"))?,
            outbox: Some(Url::parse(&format!("{id}/outbox"))?),
            followers: Some(Url::parse(&format!("{id}/followers"))?),
            following: Some(Url::parse(&format!("{id}/following"))?),
            featured: Some(Url::parse(&format!("{id}/collections/featured"))?),
            also_known_as: aliases_of(a),
            moved_to: match a.moved_to_account_id {
                Some(to) => match aq::account_by_id(&state.db.conn, to).await? {
                    Some(t) => Some(ApubPerson::load(state, t).await?.ap_id),
                    None => None,
                },
                None => None,
            },
            endpoints: Some(Endpoints { shared_inbox: Some(Url::parse(&format!("{base}/inbox"))?) }),
            public_key: PublicKey {
                id: format!("{id}#main-key"),
                owner: id.clone(),
                public_key_pem: a.public_key_pem.clone().unwrap_or_default(),
            },
            url: Some(Url::parse(&format!("{base}/@{}", a.username))?),
            icon: image(views.as_ref().and_then(|v| v.avatar.as_ref())),
            image: image(views.as_ref().and_then(|v| v.header.as_ref())),
            manually_approves_followers: a.locked,
            discoverable: Some(a.discoverable),
            published: Some(a.created_at),
            attachment,
            id,
        })
    }

    async fn verify(json: &Person, expected_domain: &Url, _data: &Data<AppState>) -> FedResult<()> {
        crate::federation::activities::same_origin(&json.id, expected_domain)?;
        crate::federation::activities::same_origin(&json.id, &json.inbox)?;
        if json.preferred_username.is_empty() || json.preferred_username.len() > 100 {
            return Err(FedError::bad("preferredUsername missing or too long"));
        }
        Ok(())
    }

    async fn from_json(json: Person, data: &Data<AppState>) -> FedResult<Self> {
        let state = data.app_data();
        let domain = authority(&json.id).ok_or_else(|| FedError::bad("actor id without a host"))?;
        if domain == state.settings.domain {
            return Err(FedError::bad("a remote actor cannot claim a local id"));
        }
        let now = chrono::Utc::now();
        let username: String = json.preferred_username.chars().take(100).collect();
        // Professional profile fields arrive as PropertyValues; known names fill the profile.
        let mut job_title = String::new();
        let mut organisation = String::new();
        let mut location = String::new();
        let mut expertise: Vec<String> = Vec::new();
        let mut fields = Vec::new();
        for p in json.attachment.iter().filter(|p| p.kind == "PropertyValue").take(16) {
            let value = text_of(&p.value, 500);
            match p.name.as_str() {
                "Job title" => job_title = value,
                "Organisation" | "Organization" => organisation = value,
                "Location" => location = value,
                "Expertise" => {
                    expertise =
                        value.split(',').map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()).take(20).collect()
                }
                _ => fields.push(crate::service::profile::Field { name: text_of(&p.name, 255), value }),
            }
        }
        let existing = aq::account_by_uri(&state.db.conn, json.id.as_str()).await?;
        let _w = state.db.write_lock().await;
        let model = match existing {
            Some(e) => {
                let mut am = e.into_active_model();
                am.username = Set(username.clone());
                am.username_lower = Set(username.to_lowercase());
                am.display_name = Set(json.name.as_deref().map(|n| text_of(n, 100)).unwrap_or_default());
                am.bio = Set(json.summary.as_deref().map(|s| text_of(s, 2000)).unwrap_or_default());
                am.job_title = Set(job_title);
                am.organisation = Set(organisation);
                am.location = Set(location);
                am.expertise = Set(serde_json::to_string(&expertise)?);
                am.fields = Set(serde_json::to_string(&fields)?);
                am.locked = Set(json.manually_approves_followers);
                am.bot = Set(json.kind == "Service" || json.kind == "Application");
                am.inbox_url = Set(Some(json.inbox.to_string()));
                am.shared_inbox_url =
                    Set(json.endpoints.as_ref().and_then(|e| e.shared_inbox.as_ref()).map(Url::to_string));
                am.outbox_url = Set(json.outbox.as_ref().map(Url::to_string));
                am.followers_url = Set(json.followers.as_ref().map(Url::to_string));
                am.public_key_pem = Set(Some(json.public_key.public_key_pem.clone()));
                am.url = Set(json.url.as_ref().map(Url::to_string));
                am.avatar_remote_url = Set(json.icon.as_ref().map(|i| i.url.to_string()));
                am.header_remote_url = Set(json.image.as_ref().map(|i| i.url.to_string()));
                am.fetched_at = Set(Some(now));
                am.also_known_as = Set(aliases_json(&json)?);
                am.updated_at = Set(now);
                am.update(&state.db.conn).await?
            }
            None => {
                let row = accounts::Model {
                    id: crate::ids::next_id(),
                    username_lower: username.to_lowercase(),
                    username,
                    domain: Some(domain),
                    display_name: json.name.as_deref().map(|n| text_of(n, 100)).unwrap_or_default(),
                    bio: json.summary.as_deref().map(|s| text_of(s, 2000)).unwrap_or_default(),
                    job_title,
                    organisation,
                    location,
                    expertise: serde_json::to_string(&expertise)?,
                    fields: serde_json::to_string(&fields)?,
                    avatar_media_id: None,
                    header_media_id: None,
                    locked: json.manually_approves_followers,
                    bot: json.kind == "Service" || json.kind == "Application",
                    discoverable: json.discoverable.unwrap_or(false),
                    suspended: false,
                    created_at: json.published.unwrap_or(now),
                    updated_at: now,
                    uri: Some(json.id.to_string()),
                    url: json.url.as_ref().map(Url::to_string),
                    inbox_url: Some(json.inbox.to_string()),
                    shared_inbox_url: json.endpoints.as_ref().and_then(|e| e.shared_inbox.as_ref()).map(Url::to_string),
                    outbox_url: json.outbox.as_ref().map(Url::to_string),
                    followers_url: json.followers.as_ref().map(Url::to_string),
                    public_key_pem: Some(json.public_key.public_key_pem.clone()),
                    private_key_pem: None,
                    avatar_remote_url: json.icon.as_ref().map(|i| i.url.to_string()),
                    header_remote_url: json.image.as_ref().map(|i| i.url.to_string()),
                    fetched_at: Some(now),
                    moved_to_account_id: None,
                    also_known_as: aliases_json(&json)?,
                };
                accounts::ActiveModel::from(row).insert(&state.db.conn).await?
            }
        };
        Ok(Self { account: model, ap_id: json.id })
    }
}

impl Actor for ApubPerson {
    fn public_key_pem(&self) -> &str {
        self.account.public_key_pem.as_deref().unwrap_or_default()
    }

    fn private_key_pem(&self) -> Option<String> {
        self.account.private_key_pem.clone()
    }

    fn inbox(&self) -> Url {
        match &self.account.inbox_url {
            Some(i) => Url::parse(i).unwrap_or_else(|_| self.ap_id.clone()),
            None => Url::parse(&format!("{}/inbox", self.ap_id)).unwrap_or_else(|_| self.ap_id.clone()),
        }
    }

    fn shared_inbox(&self) -> Option<Url> {
        self.account.shared_inbox_url.as_deref().and_then(|u| Url::parse(u).ok())
    }
}
