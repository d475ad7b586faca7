//! Mastodon `Notification`.
use serde::Serialize;

use super::account::{Account, account};
use super::status::{Status, status};
use super::{Ctx, iso};
use crate::service::views::NotificationView;

#[derive(Debug, Serialize)]
pub struct Notification {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at: String,
    pub group_key: String,
    pub account: Account,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
}

pub fn notification(ctx: &Ctx<'_>, n: &NotificationView) -> Notification {
    Notification {
        id: n.notification.id.to_string(),
        kind: n.notification.kind.clone(),
        created_at: iso(n.notification.created_at),
        group_key: format!("ungrouped-{}", n.notification.id),
        account: account(ctx, &n.account),
        status: n.status.as_ref().map(|s| status(ctx, s, false)),
    }
}
