//! Update(Note) and Delete of a note (or of an actor's whole account).
use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::kinds::activity::{DeleteType, UpdateType};
use activitypub_federation::traits::{Activity, Object};
use serde::{Deserialize, Serialize};
use url::Url;

use super::{first_time, same_actor, same_origin};
use crate::app::AppState;
use crate::db::queries::{accounts as aq, statuses as sq};
use crate::federation::error::{FedError, FedResult};
use crate::federation::objects::{ApubNote, ApubPerson};
use crate::federation::protocol::Note;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Update {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: UpdateType,
    pub actor: ObjectId<ApubPerson>,
    pub object: Note,
}

#[async_trait::async_trait]
impl Activity for Update {
    type DataType = AppState;
    type Error = FedError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        self.actor.inner()
    }

    async fn verify(&self, data: &Data<AppState>) -> FedResult<()> {
        same_actor(self.actor.inner(), &self.object.attributed_to)?;
        ApubNote::verify(&self.object, self.actor.inner(), data).await
    }

    async fn receive(self, data: &Data<AppState>) -> FedResult<()> {
        if !first_time(data, &self.id).await? {
            return Ok(());
        }
        // Only posts we already have are updated; an update is not a way to push new posts.
        let state = data.app_data();
        if sq::status_by_uri(&state.db.conn, self.object.id.as_str()).await?.is_none() {
            return Ok(());
        }
        ApubNote::from_json(self.object, data).await?;
        Ok(())
    }
}

/// What a Delete names: an id, or a Tombstone (or the full object) with an id.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum DeletedObject {
    Id(Url),
    Object { id: Url },
}

impl DeletedObject {
    fn id(&self) -> &Url {
        match self {
            Self::Id(u) | Self::Object { id: u } => u,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delete {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: DeleteType,
    pub actor: ObjectId<ApubPerson>,
    pub object: DeletedObject,
}

#[async_trait::async_trait]
impl Activity for Delete {
    type DataType = AppState;
    type Error = FedError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        self.actor.inner()
    }

    async fn verify(&self, _data: &Data<AppState>) -> FedResult<()> {
        same_origin(self.actor.inner(), self.object.id())
    }

    async fn receive(self, data: &Data<AppState>) -> FedResult<()> {
        if !first_time(data, &self.id).await? {
            return Ok(());
        }
        let state = data.app_data();
        let target = self.object.id();
        // The actor deleting itself: its account's posts go, the account is suspended.
        if target == self.actor.inner() {
            let Some(account) = aq::account_by_uri(&state.db.conn, target.as_str()).await? else { return Ok(()) };
            let tx = state.db.begin_write().await?;
            sq::delete_all_statuses_of(&*tx, account.id).await?;
            aq::suspend(&*tx, account.id).await?;
            crate::db::queries::graph::delete_all_follows_of(&*tx, account.id).await?;
            tx.commit().await?;
            return Ok(());
        }
        let Some(status) = sq::status_by_uri(&state.db.conn, target.as_str()).await? else { return Ok(()) };
        let Some(author) = aq::account_by_id(&state.db.conn, status.account_id).await? else { return Ok(()) };
        if author.uri.as_deref() != Some(self.actor.inner().as_str()) {
            return Err(FedError::new(crate::error::ErrorKind::Forbidden, "An actor can only delete its own posts"));
        }
        let tx = state.db.begin_write().await?;
        for boost in sq::reblogs_of(&*tx, status.id).await? {
            sq::delete_status_rows(&*tx, boost.id).await?;
        }
        sq::delete_status_rows(&*tx, status.id).await?;
        tx.commit().await?;
        Ok(())
    }
}
