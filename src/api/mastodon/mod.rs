//! Mastodon's client API, one file per endpoint family.
mod accounts;
mod instance;
mod media;
mod notifications;
mod search;
mod statuses;
mod streaming;
mod timelines;

use axum::Router;

use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(instance::routes())
        .merge(accounts::routes())
        .merge(statuses::routes())
        .merge(timelines::routes())
        .merge(notifications::routes())
        .merge(media::routes())
        .merge(search::routes())
        .merge(streaming::routes())
}
