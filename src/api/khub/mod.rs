//! khub's own API under `/api/khub/v1`, in the same style as Mastodon's.
mod profile;

use axum::Router;

use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().merge(profile::routes())
}
