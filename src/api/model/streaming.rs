//! The streaming API's JSON: the WebSocket message envelope. (The `direct` stream carries
//! `model::conversation`, as `GET /api/v1/conversations` does.)
use serde::Serialize;

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
