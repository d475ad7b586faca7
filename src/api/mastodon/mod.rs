//! Mastodon's client API, one file per endpoint family.
mod accounts;
mod conversations;
mod filters;
mod instance;
mod lists;
mod markers;
mod media;
mod notifications;
mod search;
mod statuses;
mod tags;
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
        .merge(lists::routes())
        .merge(markers::routes())
        .merge(filters::routes())
        .merge(tags::routes())
        .merge(conversations::routes())
}
