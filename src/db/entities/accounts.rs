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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
