//! Mastodon `Conversation`.
use serde::Serialize;

use super::Ctx;
use super::account::{Account, account};
use super::status::{Status, status};
use crate::service::conversations::ConversationView;

#[derive(Debug, Serialize)]
pub struct Conversation {
    pub id: String,
    pub unread: bool,
    pub accounts: Vec<Account>,
    pub last_status: Option<Status>,
}

pub fn conversation(ctx: &Ctx<'_>, v: &ConversationView) -> Conversation {
    Conversation {
        id: v.id.to_string(),
        unread: v.unread,
        accounts: v.accounts.iter().map(|a| account(ctx, a)).collect(),
        last_status: Some(status(ctx, &v.last_status, false)),
    }
}
