//! Create(Note): a post arrives.
use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::kinds::activity::CreateType;
use activitypub_federation::protocol::helpers::deserialize_one_or_many;
use activitypub_federation::traits::{Activity, Object};
use serde::{Deserialize, Serialize};
use url::Url;

use super::{first_time, same_actor};
use crate::app::AppState;
use crate::federation::error::{FedError, FedResult};
use crate::federation::objects::{ApubNote, ApubPerson};
use crate::federation::protocol::Note;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Create {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: CreateType,
    pub actor: ObjectId<ApubPerson>,
    pub object: Note,
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub to: Vec<Url>,
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub cc: Vec<Url>,
}

#[async_trait::async_trait]
impl Activity for Create {
    type DataType = AppState;
    type Error = FedError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        self.actor.inner()
    }

    async fn verify(&self, data: &Data<AppState>) -> FedResult<()> {
        // Only the author creates their note, on their own server.
        same_actor(self.actor.inner(), &self.object.attributed_to)?;
        ApubNote::verify(&self.object, self.actor.inner(), data).await
    }

    async fn receive(self, data: &Data<AppState>) -> FedResult<()> {
        if !first_time(data, &self.id).await? {
            return Ok(());
        }
        ApubNote::from_json(self.object, data).await?;
        Ok(())
    }
}
