//! ActivityStreams types as other servers send them: serde only, lenient where real servers
//! disagree (one value or a list, missing optional fields, unknown extra fields).
use activitypub_federation::protocol::helpers::{deserialize_one_or_many, deserialize_skip_error};
use activitypub_federation::protocol::public_key::PublicKey;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Value, json};
use url::Url;

pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The JSON-LD `@context` of every document khub serves and every activity it sends:
/// ActivityStreams, the security vocabulary (`publicKey`), and the extension terms khub uses,
/// defined as Mastodon defines them. Servers that read ActivityPub as JSON-LD (Fedify, for one)
/// drop every term the context does not define: without the security vocabulary they find no
/// key on khub's actors and refuse khub's signatures.
pub fn context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
            "movedTo": {"@id": "as:movedTo", "@type": "@id"},
            "featured": {"@id": "toot:featured", "@type": "@id"},
            "sensitive": "as:sensitive",
            "Hashtag": "as:Hashtag",
            "toot": "http://joinmastodon.org/ns#",
            "discoverable": "toot:discoverable",
            "votersCount": "toot:votersCount",
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value"
        }
    ])
}

/// [`context()`] where a `Serialize` value is wanted (`json!({"@context": ActivityContext, ..})`).
#[derive(Debug, Clone, Copy)]
pub struct ActivityContext;

impl Serialize for ActivityContext {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        context().serialize(serializer)
    }
}

/// Other spellings of the public collection that real servers use.
pub fn is_public(u: &Url) -> bool {
    matches!(u.as_str(), PUBLIC | "as:Public" | "Public")
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_inbox: Option<Url>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    #[serde(rename = "type", default = "image_type")]
    pub kind: String,
    pub url: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

fn image_type() -> String {
    "Image".to_owned()
}

/// `attachment` entries of an actor: Mastodon's profile fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PropertyValue {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub value: String,
}

/// A person (or a service/application/organisation account).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    pub preferred_username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub inbox: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub following: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub featured: Option<Url>,
    #[serde(default, deserialize_with = "deserialize_skip_error", skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Endpoints>,
    pub public_key: PublicKey,
    #[serde(default, deserialize_with = "deserialize_skip_error", skip_serializing_if = "Option::is_none")]
    pub url: Option<Url>,
    #[serde(default, deserialize_with = "deserialize_skip_error", skip_serializing_if = "Option::is_none")]
    pub icon: Option<Image>,
    #[serde(default, deserialize_with = "deserialize_skip_error", skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    #[serde(default)]
    pub manually_approves_followers: bool,
    #[serde(default, deserialize_with = "deserialize_skip_error", skip_serializing_if = "Option::is_none")]
    pub discoverable: Option<bool>,
    #[serde(default, deserialize_with = "deserialize_skip_error", skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "deserialize_skip_error")]
    pub attachment: Vec<PropertyValue>,
    /// The person's other accounts: an account may move here only from one of these.
    #[serde(default, deserialize_with = "deserialize_skip_error", skip_serializing_if = "Vec::is_empty")]
    pub also_known_as: Vec<Url>,
    #[serde(default, deserialize_with = "deserialize_skip_error", skip_serializing_if = "Option::is_none")]
    pub moved_to: Option<Url>,
}

/// A `tag` entry: a mention or a hashtag (other kinds are kept but ignored).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tag {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, deserialize_with = "deserialize_skip_error", skip_serializing_if = "Option::is_none")]
    pub href: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A post. Articles, Pages and Questions are read as posts too.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    pub attributed_to: Url,
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub to: Vec<Url>,
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub cc: Vec<Url>,
    #[serde(default)]
    pub content: String,
    #[serde(default, deserialize_with = "deserialize_skip_error", skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<Url>,
    #[serde(default, deserialize_with = "deserialize_skip_error", skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "deserialize_skip_error", skip_serializing_if = "Option::is_none")]
    pub updated: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The title of an `Article` or `Page`.
    #[serde(default, deserialize_with = "deserialize_skip_error", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "deserialize_skip_error")]
    pub sensitive: Option<bool>,
    #[serde(default, deserialize_with = "deserialize_skip_error", skip_serializing_if = "Option::is_none")]
    pub url: Option<Url>,
    #[serde(default, deserialize_with = "deserialize_skip_error")]
    pub tag: Vec<Tag>,
    #[serde(default, deserialize_with = "deserialize_skip_error")]
    pub attachment: Vec<Attachment>,
    /// A `Question`'s options when one may be chosen…
    #[serde(default, deserialize_with = "deserialize_skip_error", skip_serializing_if = "Vec::is_empty")]
    pub one_of: Vec<QuestionOption>,
    /// …and when several may.
    #[serde(default, deserialize_with = "deserialize_skip_error", skip_serializing_if = "Vec::is_empty")]
    pub any_of: Vec<QuestionOption>,
    /// When a `Question` ends.
    #[serde(default, deserialize_with = "deserialize_skip_error", skip_serializing_if = "Option::is_none")]
    pub end_time: Option<DateTime<Utc>>,
    /// When a `Question` ended (Mastodon), or `true` (some others).
    #[serde(default, deserialize_with = "deserialize_skip_error", skip_serializing_if = "Option::is_none")]
    pub closed: Option<Value>,
    /// How many accounts voted on a `Question` (Mastodon's `toot:votersCount`).
    #[serde(default, deserialize_with = "deserialize_skip_error", skip_serializing_if = "Option::is_none")]
    pub voters_count: Option<i64>,
}

/// One option of a `Question`: a `Note` whose `name` is the option's title, with its votes
/// counted in `replies.totalItems`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QuestionOption {
    #[serde(rename = "type", default = "note_type")]
    pub kind: String,
    pub name: String,
    #[serde(default, deserialize_with = "deserialize_skip_error", skip_serializing_if = "Option::is_none")]
    pub replies: Option<OptionVotes>,
}

/// The `replies` of a `Question`'s option: only its size.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OptionVotes {
    #[serde(rename = "type", default = "collection_type")]
    pub kind: String,
    #[serde(default)]
    pub total_items: i64,
}

fn note_type() -> String {
    "Note".to_owned()
}

fn collection_type() -> String {
    "Collection".to_owned()
}

/// A file attached to a post.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// An `OrderedCollection` with only its size (followers, following, outbox).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CountedCollection {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: Url,
    pub total_items: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_context_defines_the_key_and_the_extension_terms_khub_uses() {
        let c = serde_json::to_value(ActivityContext).expect("json");
        assert_eq!(c, context());
        assert_eq!(c[0], "https://www.w3.org/ns/activitystreams");
        assert_eq!(c[1], "https://w3id.org/security/v1", "publicKey is defined there");
        for term in ["manuallyApprovesFollowers", "sensitive", "Hashtag", "discoverable", "PropertyValue", "value"] {
            assert!(c[2][term].is_string(), "{term} is defined");
        }
    }
}
