//! Follow, Accept, Reject and Undo(Follow).
use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::kinds::activity::{AcceptType, FollowType, RejectType, UndoType};
use activitypub_federation::traits::Activity;
use serde::{Deserialize, Serialize};
use url::Url;

use super::{first_time, same_actor, same_origin};
use crate::app::AppState;
use crate::db::queries::{graph, notifications as nq};
use crate::federation::error::{FedError, FedResult};
use crate::federation::objects::ApubPerson;
use crate::service::outgoing::{self, Outgoing};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Follow {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: FollowType,
    pub actor: ObjectId<ApubPerson>,
    pub object: ObjectId<ApubPerson>,
}

#[async_trait::async_trait]
impl Activity for Follow {
    type DataType = AppState;
    type Error = FedError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        self.actor.inner()
    }

    async fn verify(&self, data: &Data<AppState>) -> FedResult<()> {
        if !self.object.is_local(data) {
            return Err(FedError::bad("Follow of an account that is not on this node"));
        }
        Ok(())
    }

    async fn receive(self, data: &Data<AppState>) -> FedResult<()> {
        if !first_time(data, &self.id).await? {
            return Ok(());
        }
        let state = data.app_data();
        let follower = self.actor.dereference(data).await?;
        let target = self.object.dereference(data).await?;
        let tx = state.db.begin_write().await?;
        if graph::blocked_either_way(&*tx, follower.account.id, target.account.id).await? {
            // Refused quietly: the follower learns nothing from us.
            return Ok(());
        }
        let uri = self.id.to_string();
        if graph::is_following(&*tx, follower.account.id, target.account.id).await? {
            // Already following (their Accept got lost): accept again.
            outgoing::emit(
                &*tx,
                &Outgoing::AcceptFollow { follower: follower.account.id, target: target.account.id, follow_id: uri },
            )
            .await?;
        } else if target.account.locked {
            graph::insert_follow_request(
                &*tx,
                crate::ids::next_id(),
                follower.account.id,
                target.account.id,
                Some(&uri),
            )
            .await?;
            nq::insert(&*tx, target.account.id, follower.account.id, "follow_request", None).await?;
        } else {
            graph::insert_follow(&*tx, crate::ids::next_id(), follower.account.id, target.account.id, Some(&uri))
                .await?;
            nq::insert(&*tx, target.account.id, follower.account.id, "follow", None).await?;
            outgoing::emit(
                &*tx,
                &Outgoing::AcceptFollow { follower: follower.account.id, target: target.account.id, follow_id: uri },
            )
            .await?;
        }
        tx.commit().await?;
        state.wake_jobs();
        Ok(())
    }
}

/// Our Follow, as the remote side quotes it back in Accept or Reject.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Accept {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: AcceptType,
    pub actor: ObjectId<ApubPerson>,
    pub object: Follow,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reject {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: RejectType,
    pub actor: ObjectId<ApubPerson>,
    pub object: Follow,
}

/// Turns our pending request into a follow (Accept) or drops it (Reject).
async fn answer(
    data: &Data<AppState>,
    id: &Url,
    actor: &ObjectId<ApubPerson>,
    follow: &Follow,
    accepted: bool,
) -> FedResult<()> {
    // Only the followed account may answer a follow of itself.
    same_actor(actor.inner(), follow.object.inner())?;
    if !follow.actor.is_local(data) {
        return Err(FedError::bad("The quoted Follow is not from this node"));
    }
    if !first_time(data, id).await? {
        return Ok(());
    }
    let state = data.app_data();
    let follower = follow.actor.dereference(data).await?;
    let target = actor.dereference(data).await?;
    let tx = state.db.begin_write().await?;
    let request = graph::follow_request(&*tx, follower.account.id, target.account.id).await?;
    if let Some(r) = request {
        graph::delete_follow_request(&*tx, follower.account.id, target.account.id).await?;
        if accepted {
            graph::insert_follow(&*tx, crate::ids::next_id(), follower.account.id, target.account.id, r.uri.as_deref())
                .await?;
        }
    } else if !accepted {
        // A Reject after an Accept ends the follow.
        graph::delete_follow(&*tx, follower.account.id, target.account.id).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[async_trait::async_trait]
impl Activity for Accept {
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
        answer(data, &self.id, &self.actor, &self.object, true).await
    }
}

#[async_trait::async_trait]
impl Activity for Reject {
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
        answer(data, &self.id, &self.actor, &self.object, false).await
    }
}

/// What an Undo takes back: a Follow, a Like or an Announce (sometimes only its id).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Undone {
    Follow(Follow),
    Like(super::likes::Like),
    Announce(Box<super::likes::Announce>),
    Block(super::blocking::Block),
    Id(Url),
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Undo {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: UndoType,
    pub actor: ObjectId<ApubPerson>,
    pub object: Undone,
}

#[async_trait::async_trait]
impl Activity for Undo {
    type DataType = AppState;
    type Error = FedError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        self.actor.inner()
    }

    async fn verify(&self, _data: &Data<AppState>) -> FedResult<()> {
        match &self.object {
            Undone::Follow(f) => same_actor(self.actor.inner(), f.actor.inner()),
            Undone::Like(l) => same_actor(self.actor.inner(), l.actor.inner()),
            Undone::Announce(a) => same_actor(self.actor.inner(), a.actor.inner()),
            Undone::Block(b) => same_actor(self.actor.inner(), b.actor.inner()),
            Undone::Id(id) => same_origin(self.actor.inner(), id),
        }
    }

    async fn receive(self, data: &Data<AppState>) -> FedResult<()> {
        if !first_time(data, &self.id).await? {
            return Ok(());
        }
        let follow = match &self.object {
            Undone::Follow(f) => f,
            Undone::Like(l) => return super::likes::undo_like(data, l).await,
            Undone::Announce(a) => return super::likes::undo_announce(data, self.actor.inner(), &a.id).await,
            Undone::Block(b) => return super::blocking::undo_block(data, b).await,
            Undone::Id(id) => return super::likes::undo_announce(data, self.actor.inner(), id).await,
        };
        let state = data.app_data();
        let follower = self.actor.dereference(data).await?;
        let target = follow.object.dereference(data).await?;
        let tx = state.db.begin_write().await?;
        graph::delete_follow(&*tx, follower.account.id, target.account.id).await?;
        if graph::delete_follow_request(&*tx, follower.account.id, target.account.id).await? > 0 {
            nq::delete_matching(&*tx, target.account.id, follower.account.id, "follow_request", None).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
