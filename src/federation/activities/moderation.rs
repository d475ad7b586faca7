//! Flag (another server's report about one of our members) and Move (a remote account moved:
//! our members who followed it follow the new account instead).
use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::kinds::activity::{FlagType, MoveType};
use activitypub_federation::protocol::helpers::deserialize_one_or_many;
use activitypub_federation::traits::Activity;
use serde::{Deserialize, Serialize};
use url::Url;

use super::{first_time, same_actor};
use crate::app::AppState;
use crate::db::queries::{accounts as aq, moderation, statuses as sq};
use crate::error::ErrorKind;
use crate::federation::error::{FedError, FedResult};
use crate::federation::objects::ApubPerson;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Flag {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: FlagType,
    pub actor: ObjectId<ApubPerson>,
    /// The reported account and, optionally, some of its posts.
    #[serde(deserialize_with = "deserialize_one_or_many")]
    pub object: Vec<Url>,
    #[serde(default)]
    pub content: Option<String>,
}

#[async_trait::async_trait]
impl Activity for Flag {
    type DataType = AppState;
    type Error = FedError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        self.actor.inner()
    }

    async fn verify(&self, _data: &Data<AppState>) -> FedResult<()> {
        if self.object.is_empty() || self.object.len() > 100 {
            return Err(FedError::bad("A Flag names one account and at most 99 posts"));
        }
        Ok(())
    }

    /// Becomes a report for our administrators, when it names one of our members; the posts it
    /// cites count only if they are that member's.
    async fn receive(self, data: &Data<AppState>) -> FedResult<()> {
        let state = data.app_data();
        let local_prefix = format!("{}/users/", state.base_url);
        let mut target = None;
        for url in &self.object {
            if let Some(name) = url.as_str().strip_prefix(&local_prefix).filter(|n| !n.contains('/'))
                && let Some(a) = aq::local_account_by_username(&state.db.conn, name).await?
            {
                target = Some(a);
                break;
            }
        }
        let Some(target) = target else { return Ok(()) };
        if !first_time(data, &self.id).await? {
            return Ok(());
        }
        let reporter = self.actor.dereference(data).await?;
        let object_prefix = format!("{}/objects/", state.base_url);
        let mut statuses = Vec::new();
        for url in &self.object {
            if let Some(id) = url.as_str().strip_prefix(&object_prefix).and_then(crate::ids::parse_id)
                && let Some(s) = sq::status_by_id(&state.db.conn, id).await?
                && s.account_id == target.id
                && s.uri.is_none()
                && !statuses.contains(&s.id)
            {
                statuses.push(s.id);
            }
        }
        let comment = crate::service::text::plain_text(self.content.as_deref().unwrap_or_default(), 1000);
        let report = crate::db::entities::reports::Model {
            id: crate::ids::next_id(),
            account_id: reporter.account.id,
            target_account_id: target.id,
            status_ids: serde_json::to_string(&statuses)?,
            comment,
            category: "other".to_owned(),
            forwarded: false,
            action_taken_at: None,
            action_taken_by: None,
            created_at: chrono::Utc::now(),
        };
        let tx = state.db.begin_write().await?;
        moderation::insert_report(&*tx, report).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Move {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: MoveType,
    pub actor: ObjectId<ApubPerson>,
    pub object: Url,
    pub target: Url,
}

#[async_trait::async_trait]
impl Activity for Move {
    type DataType = AppState;
    type Error = FedError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        self.actor.inner()
    }

    /// An account can only move itself, and not onto itself.
    async fn verify(&self, _data: &Data<AppState>) -> FedResult<()> {
        same_actor(self.actor.inner(), &self.object)?;
        if self.target == self.object {
            return Err(FedError::bad("An account cannot move to itself"));
        }
        Ok(())
    }

    /// Checks that the new account names the old one among its aliases (read fresh from its
    /// server, so a forged Move cannot redirect followers), then moves our members' follows.
    async fn receive(self, data: &Data<AppState>) -> FedResult<()> {
        if !first_time(data, &self.id).await? {
            return Ok(());
        }
        let state = data.app_data();
        let old = self.actor.dereference(data).await?;
        let target: ObjectId<ApubPerson> = self.target.clone().into();
        let new = if target.is_local(data) {
            target.dereference_local(data).await?
        } else {
            target.dereference_forced(data).await?
        };
        if !crate::federation::objects::person::aliases_of(&new.account).contains(&old.ap_id) {
            return Err(FedError::new(ErrorKind::Forbidden, "The new account does not name the old one as an alias"));
        }
        {
            let tx = state.db.begin_write().await?;
            aq::set_moved_to(&*tx, old.account.id, new.account.id).await?;
            tx.commit().await?;
        }
        crate::service::migration::move_local_followers(state, &old.account, &new.account).await?;
        Ok(())
    }
}
