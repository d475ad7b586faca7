//! Like and Announce (boost), and their Undo.
use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::kinds::activity::{AnnounceType, LikeType};
use activitypub_federation::protocol::helpers::deserialize_one_or_many;
use activitypub_federation::traits::Activity;
use serde::{Deserialize, Serialize};
use url::Url;

use super::first_time;
use crate::app::AppState;
use crate::db::entities::statuses;
use crate::db::queries::{graph, notifications as nq, statuses as sq};
use crate::federation::error::{FedError, FedResult};
use crate::federation::objects::{ApubNote, ApubPerson};
use crate::federation::protocol::is_public;
use crate::service::visibility::Visibility;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Like {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: LikeType,
    pub actor: ObjectId<ApubPerson>,
    pub object: ObjectId<ApubNote>,
}

#[async_trait::async_trait]
impl Activity for Like {
    type DataType = AppState;
    type Error = FedError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        self.actor.inner()
    }

    async fn verify(&self, _data: &Data<AppState>) -> FedResult<()> {
        Ok(())
    }

    async fn receive(self, data: &Data<AppState>) -> FedResult<()> {
        if !first_time(data, &self.id).await? {
            return Ok(());
        }
        let state = data.app_data();
        let who = self.actor.dereference(data).await?;
        // Only posts we have; a like of something unknown is dropped.
        let Ok(note) = self.object.dereference_local(data).await else { return Ok(()) };
        let s = &note.status;
        if !crate::service::visibility::can_read(&state.db.conn, Some(who.account.id), s).await? {
            return Ok(());
        }
        let tx = state.db.begin_write().await?;
        if sq::favourite(&*tx, who.account.id, s.id).await?.is_some()
            && !graph::blocked_either_way(&*tx, s.account_id, who.account.id).await?
            && s.uri.is_none()
        {
            nq::insert(&*tx, s.account_id, who.account.id, "favourite", Some(s.id)).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Announce {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: AnnounceType,
    pub actor: ObjectId<ApubPerson>,
    pub object: ObjectId<ApubNote>,
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub to: Vec<Url>,
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub cc: Vec<Url>,
    #[serde(default)]
    pub published: Option<chrono::DateTime<chrono::Utc>>,
}

#[async_trait::async_trait]
impl Activity for Announce {
    type DataType = AppState;
    type Error = FedError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        self.actor.inner()
    }

    async fn verify(&self, _data: &Data<AppState>) -> FedResult<()> {
        Ok(())
    }

    async fn receive(self, data: &Data<AppState>) -> FedResult<()> {
        if !first_time(data, &self.id).await? {
            return Ok(());
        }
        let state = data.app_data();
        let who = self.actor.dereference(data).await?;
        let note = self.object.dereference(data).await?;
        let original = note.status;
        // Only public and unlisted posts can be boosted, on any server.
        if !matches!(Visibility::of(&original), Visibility::Public | Visibility::Unlisted) {
            return Ok(());
        }
        let vis = if self.to.iter().any(is_public) { Visibility::Public } else { Visibility::Unlisted };
        let tx = state.db.begin_write().await?;
        if sq::reblog_by(&*tx, who.account.id, original.id).await?.is_some() {
            return Ok(());
        }
        let id = crate::ids::next_id();
        sq::insert_status(
            &*tx,
            statuses::Model {
                id,
                account_id: who.account.id,
                uri: Some(self.id.to_string()),
                in_reply_to_id: None,
                in_reply_to_account_id: None,
                reblog_of_id: Some(original.id),
                thread_id: id,
                source: String::new(),
                content: String::new(),
                spoiler_text: String::new(),
                sensitive: false,
                visibility: vis.as_str().to_owned(),
                language: None,
                created_at: self.published.unwrap_or_else(chrono::Utc::now).min(chrono::Utc::now()),
                edited_at: None,
            },
        )
        .await?;
        if original.uri.is_none() && !graph::blocked_either_way(&*tx, original.account_id, who.account.id).await? {
            nq::insert(&*tx, original.account_id, who.account.id, "reblog", Some(original.id)).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Undoes a remote Like: the favourite goes.
pub async fn undo_like(data: &Data<AppState>, like: &Like) -> FedResult<()> {
    let state = data.app_data();
    let who = like.actor.dereference(data).await?;
    let Ok(note) = like.object.dereference_local(data).await else { return Ok(()) };
    let tx = state.db.begin_write().await?;
    sq::unfavourite(&*tx, who.account.id, note.status.id).await?;
    nq::delete_matching(&*tx, note.status.account_id, who.account.id, "favourite", Some(note.status.id)).await?;
    tx.commit().await?;
    Ok(())
}

/// Undoes a remote boost, known by its activity id.
pub async fn undo_announce(data: &Data<AppState>, actor: &Url, announce_id: &Url) -> FedResult<()> {
    let state = data.app_data();
    let Some(boost) = sq::status_by_uri(&state.db.conn, announce_id.as_str()).await? else { return Ok(()) };
    let who = ObjectId::<ApubPerson>::from(actor.clone()).dereference(data).await?;
    if boost.account_id != who.account.id || boost.reblog_of_id.is_none() {
        return Err(FedError::new(crate::error::ErrorKind::Forbidden, "An actor can only undo its own boost"));
    }
    let tx = state.db.begin_write().await?;
    sq::delete_status_rows(&*tx, boost.id).await?;
    if let Some(orig) = boost.reblog_of_id {
        nq::delete_matching(&*tx, boost.account_id, who.account.id, "reblog", Some(orig)).await?;
        if let Some(o) = sq::status_by_id(&*tx, orig).await? {
            nq::delete_matching(&*tx, o.account_id, who.account.id, "reblog", Some(orig)).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
