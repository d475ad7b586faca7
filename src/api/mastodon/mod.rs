//! Mastodon's client API, one file per endpoint family.
mod accounts;
mod announcements;
mod blocks;
mod conversations;
mod discovery;
mod filters;
mod instance;
mod interactions;
mod lists;
mod markers;
mod media;
mod notifications;
mod polls;
mod reports;
mod scheduled;
mod search;
mod statuses;
mod streaming;
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
        .merge(blocks::routes())
        .merge(interactions::routes())
        .merge(discovery::routes())
        .merge(announcements::routes())
        .merge(reports::routes())
        .merge(lists::routes())
        .merge(markers::routes())
        .merge(filters::routes())
        .merge(tags::routes())
        .merge(conversations::routes())
        .merge(streaming::routes())
        .merge(polls::routes())
        .merge(scheduled::routes())
}
