//! The streaming API's JSON: the WebSocket message envelope and `Conversation` (direct stream).
use serde::Serialize;

use super::Ctx;
use super::account::{Account, account};
use super::status::{Status, status};
use crate::service::streaming::ConversationView;

/// One WebSocket message: `{"stream":["hashtag","foo"],"event":"update","payload":"{…}"}`. The
/// payload is a JSON document in a string (an id for `delete`), as Mastodon sends it.
#[derive(Debug, Serialize)]
pub struct Message<'a> {
    pub stream: &'a [String],
    pub event: &'a str,
    pub payload: &'a str,
}

/// An error answered to a WebSocket request: `{"error":"Unknown stream type","status":400}`.
#[derive(Debug, Serialize)]
pub struct SocketError<'a> {
    pub error: &'a str,
    pub status: u16,
}

/// Mastodon `Conversation`.
#[derive(Debug, Serialize)]
pub struct Conversation {
    pub id: String,
    pub unread: bool,
    pub accounts: Vec<Account>,
    pub last_status: Status,
}

pub fn conversation(ctx: &Ctx<'_>, c: &ConversationView) -> Conversation {
    Conversation {
        id: c.id.to_string(),
        // Streamed because something new arrived in it.
        unread: true,
        accounts: c.accounts.iter().map(|a| account(ctx, a)).collect(),
        last_status: status(ctx, &c.last_status, false),
    }
}
