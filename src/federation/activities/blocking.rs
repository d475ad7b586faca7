//! Block between people: the blocked side loses the follows both ways.
use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::kinds::activity::BlockType;
use activitypub_federation::traits::Activity;
use serde::{Deserialize, Serialize};
use url::Url;

use super::first_time;
use crate::app::AppState;
use crate::db::queries::graph;
use crate::federation::error::{FedError, FedResult};
use crate::federation::objects::ApubPerson;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Block {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: BlockType,
    pub actor: ObjectId<ApubPerson>,
    pub object: ObjectId<ApubPerson>,
    /// Lemmy's bans carry the community or instance they apply to: not a person's block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Url>,
}

#[async_trait::async_trait]
impl Activity for Block {
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
        if self.target.is_some() || !self.object.is_local(data) || !first_time(data, &self.id).await? {
            return Ok(());
        }
        let state = data.app_data();
        let blocker = self.actor.dereference(data).await?;
        let blocked = self.object.dereference(data).await?;
        let tx = state.db.begin_write().await?;
        graph::insert_block(&*tx, crate::ids::next_id(), blocker.account.id, blocked.account.id).await?;
        for (a, b) in [(blocker.account.id, blocked.account.id), (blocked.account.id, blocker.account.id)] {
            graph::delete_follow(&*tx, a, b).await?;
            graph::delete_follow_request(&*tx, a, b).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Undo(Block): the remote person unblocks a local one.
pub async fn undo_block(data: &Data<AppState>, block: &Block) -> FedResult<()> {
    if !block.object.is_local(data) {
        return Ok(());
    }
    let state = data.app_data();
    let blocker = block.actor.dereference(data).await?;
    let blocked = block.object.dereference(data).await?;
    let tx = state.db.begin_write().await?;
    graph::delete_block(&*tx, blocker.account.id, blocked.account.id).await?;
    tx.commit().await?;
    Ok(())
}
