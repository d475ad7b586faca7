//! Activities other servers send us, one file per family (as Lemmy does).
pub mod blocking;
pub mod changes;
pub mod create;
pub mod following;
pub mod likes;
pub mod moderation;

use activitypub_federation::config::Data;
use activitypub_federation::traits::Activity;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::app::AppState;
use crate::db::entities::received_activities;
use crate::federation::error::{FedError, FedResult};

/// Everything an inbox accepts. Unknown kinds fail to parse and are refused with a 400.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
#[enum_delegate::implement(Activity)]
pub enum InboxActivity {
    Follow(following::Follow),
    Accept(following::Accept),
    Reject(following::Reject),
    Undo(following::Undo),
    Create(Box<create::Create>),
    Update(Box<changes::Update>),
    Delete(changes::Delete),
    Like(likes::Like),
    Announce(likes::Announce),
    Block(blocking::Block),
    Flag(moderation::Flag),
    Move(moderation::Move),
}

/// True the first time an activity id is seen (deliveries are retried and fan out to several
/// inboxes; each activity takes effect once).
pub async fn first_time(data: &Data<AppState>, id: &Url) -> FedResult<bool> {
    use sea_orm::{EntityTrait, sea_query::OnConflict};
    let state = data.app_data();
    let key = crate::service::hash_secret(id.as_str());
    let _w = state.db.write_lock().await;
    let inserted = received_activities::Entity::insert(received_activities::ActiveModel {
        id: sea_orm::Set(key),
        received_at: sea_orm::Set(chrono::Utc::now()),
    })
    .on_conflict(OnConflict::column(received_activities::Column::Id).do_nothing().to_owned())
    .exec_without_returning(&state.db.conn)
    .await?;
    if inserted == 0 {
        tracing::info!(activity = %id, "activity already received; ignored");
    }
    Ok(inserted == 1)
}

/// An actor may only name objects of its own server: same host *and* port (the library's
/// `verify_domains_match` ignores ports, and passes any two IP-literal hosts).
pub fn same_origin(actor: &Url, object: &Url) -> FedResult<()> {
    let a = crate::federation::authority(actor);
    if a.is_some() && a == crate::federation::authority(object) {
        Ok(())
    } else {
        Err(FedError::new(crate::error::ErrorKind::Forbidden, "An actor can only act on objects of its own server"))
    }
}

/// An activity's actor must be the one acting on the object.
pub fn same_actor(a: &Url, b: &Url) -> FedResult<()> {
    if a == b {
        Ok(())
    } else {
        Err(FedError::new(crate::error::ErrorKind::Forbidden, "An actor can only act on its own objects"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn same_origin_compares_host_and_port() {
        assert!(same_origin(&url("https://a.example/users/x"), &url("https://a.example/objects/1")).is_ok());
        assert!(same_origin(&url("https://A.example/users/x"), &url("https://a.example:443/objects/1")).is_ok());
        assert!(same_origin(&url("http://localhost:8001/users/x"), &url("http://localhost:8002/objects/1")).is_err());
        assert!(same_origin(&url("http://127.0.0.1/users/x"), &url("http://127.0.0.2/objects/1")).is_err());
        assert!(same_origin(&url("https://a.example/users/x"), &url("https://b.example/objects/1")).is_err());
    }
}
