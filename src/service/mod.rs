//! Use cases: permissions, visibility, validation. Services commit rows and jobs in one
//! transaction and never build wire formats or call HTTP.
pub mod accounts;
pub mod announcements;
pub mod conversations;
pub mod discovery;
pub mod domains;
pub mod filters;
pub mod follows;
pub mod lists;
pub mod markers;
pub mod media;
pub mod migration;
pub mod oauth;
pub mod outgoing;
pub mod polls;
pub mod posting;
pub mod private_space;
pub mod profile;
pub mod reactions;
pub mod reports;
pub mod scheduled;
pub mod statuses;
pub mod streaming;
pub mod tags;
pub mod text;
pub mod timelines;
pub mod views;
pub mod visibility;

use sha2::{Digest, Sha256};

/// A random URL-safe secret (256 bits).
pub fn new_secret() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// How secrets are stored: never the secret itself.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Length in characters, as users count them.
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}
