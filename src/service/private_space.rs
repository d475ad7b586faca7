//! A member's private space: bookmarks plus named collections they can file any post into.
//! Nobody else ever sees a collection or what is in it.
use crate::app::AppState;
use crate::db::entities::{accounts, collections};
use crate::db::queries::statuses as sq;
use crate::error::{AppError, AppResult};

pub async fn create_collection(
    state: &AppState,
    me: &accounts::Model,
    name: &str,
    description: &str,
) -> AppResult<collections::Model> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::unprocessable("Validation failed: Enter a name for the collection"));
    }
    if super::char_len(name) > 100 || super::char_len(description) > 500 {
        return Err(AppError::unprocessable("Validation failed: name (100) or description (500) too long"));
    }
    let tx = state.db.begin_write().await?;
    let existing = sq::collections_of(&*tx, me.id).await?;
    if existing.len() >= 200 {
        return Err(AppError::unprocessable("You can have at most 200 collections"));
    }
    if existing.iter().any(|c| c.name.eq_ignore_ascii_case(name)) {
        return Err(AppError::unprocessable("Validation failed: You already have a collection with this name"));
    }
    let c = collections::Model {
        id: crate::ids::next_id(),
        account_id: me.id,
        name: name.to_owned(),
        description: description.trim().to_owned(),
        created_at: chrono::Utc::now(),
    };
    sq::insert_collection(&*tx, c.clone()).await?;
    tx.commit().await?;
    Ok(c)
}

/// One of my collections; someone else's is reported as missing.
pub async fn mine(state: &AppState, me: &accounts::Model, id: i64) -> AppResult<collections::Model> {
    sq::collection_by_id(&state.db.conn, id).await?.filter(|c| c.account_id == me.id).ok_or_else(AppError::not_found)
}

pub async fn delete_collection(state: &AppState, me: &accounts::Model, id: i64) -> AppResult<()> {
    let c = mine(state, me, id).await?;
    let tx = state.db.begin_write().await?;
    sq::delete_collection(&*tx, c.id).await?;
    tx.commit().await?;
    Ok(())
}

/// Files a post I can read into one of my collections.
pub async fn file(state: &AppState, me: &accounts::Model, collection: i64, status: i64, note: &str) -> AppResult<()> {
    let c = mine(state, me, collection).await?;
    if super::char_len(note) > 500 {
        return Err(AppError::unprocessable("Validation failed: note must be 500 characters or fewer"));
    }
    let s = super::statuses::readable(state, Some(me.id), status).await?;
    let tx = state.db.begin_write().await?;
    sq::add_to_collection(&*tx, c.id, s.reblog_of_id.unwrap_or(s.id), note.trim()).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn unfile(state: &AppState, me: &accounts::Model, collection: i64, status: i64) -> AppResult<()> {
    let c = mine(state, me, collection).await?;
    let tx = state.db.begin_write().await?;
    sq::remove_from_collection(&*tx, c.id, status).await?;
    tx.commit().await?;
    Ok(())
}
