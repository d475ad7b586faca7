//! sea-orm model of `accounts`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub username: String,
    pub username_lower: String,
    pub domain: Option<String>,
    pub display_name: String,
    pub bio: String,
    pub job_title: String,
    pub organisation: String,
    pub location: String,
    pub expertise: String,
    pub fields: String,
    pub avatar_media_id: Option<i64>,
    pub header_media_id: Option<i64>,
    pub locked: bool,
    pub bot: bool,
    pub discoverable: bool,
    pub suspended: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// ActivityPub id of a remote actor (None for local accounts: theirs is derived).
    pub uri: Option<String>,
    /// Profile page of a remote actor.
    pub url: Option<String>,
    pub inbox_url: Option<String>,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub public_key_pem: Option<String>,
    /// Only local accounts have one; made when first needed.
    pub private_key_pem: Option<String>,
    pub avatar_remote_url: Option<String>,
    pub header_remote_url: Option<String>,
    /// When a remote actor was last fetched.
    pub fetched_at: Option<DateTimeUtc>,
    /// Set when the account announced it moved (`Move`): its new account.
    pub moved_to_account_id: Option<i64>,
    /// JSON list of the ActivityPub ids of this person's other accounts (aliases).
    pub also_known_as: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
