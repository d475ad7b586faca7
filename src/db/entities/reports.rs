//! sea-orm model of `reports`: reports to the node's administrators.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub account_id: i64,
    pub target_account_id: i64,
    /// JSON list of status ids.
    pub status_ids: String,
    pub comment: String,
    pub category: String,
    pub forwarded: bool,
    pub action_taken_at: Option<DateTimeUtc>,
    pub action_taken_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
