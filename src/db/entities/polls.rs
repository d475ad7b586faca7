//! sea-orm model of `polls`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "polls")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub status_id: i64,
    pub account_id: i64,
    /// JSON list of the option titles.
    pub options: String,
    pub multiple: bool,
    pub hide_totals: bool,
    pub expires_at: Option<DateTimeUtc>,
    /// A remote poll's counts per option as its server last sent them (JSON list).
    pub remote_counts: Option<String>,
    pub remote_voters_count: Option<i64>,
    pub counts_updated_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
