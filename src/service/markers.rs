//! Reading positions (Mastodon's markers): the last post read in the home timeline and the last
//! notification read, shared between a member's apps.
use crate::app::AppState;
use crate::db::entities::markers;
use crate::db::queries::markers as mq;
use crate::error::{AppError, AppResult};

pub const TIMELINES: &[&str] = &["home", "notifications"];

/// The member's markers for the given timelines (unknown names are ignored, as on Mastodon).
pub async fn get(state: &AppState, me: i64, timelines: &[String]) -> AppResult<Vec<markers::Model>> {
    Ok(mq::markers_of(&state.db.conn, me).await?.into_iter().filter(|m| timelines.contains(&m.timeline)).collect())
}

/// Sets markers; each change bumps the marker's version.
pub async fn set(state: &AppState, me: i64, changes: &[(String, i64)]) -> AppResult<Vec<markers::Model>> {
    if changes.is_empty() {
        return Err(AppError::unprocessable(
            "Validation failed: give home[last_read_id] or notifications[last_read_id]",
        ));
    }
    if let Some((t, _)) = changes.iter().find(|(t, _)| !TIMELINES.contains(&t.as_str())) {
        return Err(AppError::unprocessable(format!("Validation failed: unknown timeline {t}")));
    }
    let now = chrono::Utc::now();
    let tx = state.db.begin_write().await?;
    let mut out = Vec::new();
    for (timeline, last_read_id) in changes {
        let m = match mq::marker(&*tx, me, timeline).await? {
            Some(mut m) => {
                m.last_read_id = *last_read_id;
                m.version += 1;
                m.updated_at = now;
                mq::update_marker(&*tx, m.clone()).await?;
                m
            }
            None => {
                let m = markers::Model {
                    id: crate::ids::next_id(),
                    account_id: me,
                    timeline: timeline.clone(),
                    last_read_id: *last_read_id,
                    version: 0,
                    updated_at: now,
                };
                mq::insert_marker(&*tx, m.clone()).await?;
                m
            }
        };
        out.push(m);
    }
    tx.commit().await?;
    Ok(out)
}
