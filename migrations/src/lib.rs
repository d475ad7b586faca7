//! khub's database schema: one set of migrations for SQLite and PostgreSQL.
pub use sea_orm_migration::prelude::*;

mod m20261121_000001_foundation;
mod m20261122_000002_status_counts_index;
mod m20261122_000003_federation;
mod m20261122_000004_uniqueness;
mod m20261122_000005_delivery_hosts;
mod m20261122_000010_oauth;
mod m20261122_000011_lists_filters;
mod m20261122_000012_reports_announcements;
mod m20261122_000013_streaming;
mod m20261122_000014_moves_and_limits;
mod m20261122_000015_polls_scheduled;
mod m20261122_000016_account_stats;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_foundation::Migration),
            Box::new(m20261122_000002_status_counts_index::Migration),
            Box::new(m20261122_000003_federation::Migration),
            Box::new(m20261122_000004_uniqueness::Migration),
            Box::new(m20261122_000005_delivery_hosts::Migration),
            Box::new(m20261122_000010_oauth::Migration),
            Box::new(m20261122_000011_lists_filters::Migration),
            Box::new(m20261122_000012_reports_announcements::Migration),
            Box::new(m20261122_000014_moves_and_limits::Migration),
            Box::new(m20261122_000013_streaming::Migration),
            Box::new(m20261122_000015_polls_scheduled::Migration),
            Box::new(m20261122_000016_account_stats::Migration),
        ]
    }
}
