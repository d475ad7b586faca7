//! The only place that maps read models to Mastodon's JSON entities.
pub mod account;
pub mod conversation;
pub mod discovery;
pub mod filter;
pub mod instance;
pub mod list;
pub mod media;
pub mod moderation;
pub mod notification;
pub mod oauth;
pub mod poll;
pub mod relationship;
pub mod status;
pub mod streaming;
pub mod tag;

/// Dates as Mastodon writes them: ISO 8601 with milliseconds, UTC.
pub fn iso(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// What every mapping needs to know about the node.
pub struct Ctx<'a> {
    pub base_url: &'a str,
    pub domain: &'a str,
}
