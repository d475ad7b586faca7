//! sea-orm model of `instances`: other servers, their delivery health and blocks.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "instances")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub domain: String,
    pub failures: i32,
    pub unavailable_since: Option<DateTimeUtc>,
    pub last_success_at: Option<DateTimeUtc>,
    pub blocked: bool,
    /// Limited: its posts reach only people who follow its accounts.
    pub silenced: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
