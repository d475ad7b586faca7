//! All SQL lives here, as functions over `&impl ConnectionTrait` so they compose in a transaction.
pub mod accounts;
pub mod announcements;
pub mod conversations;
pub mod discovery;
pub mod filters;
pub mod graph;
pub mod instances;
pub mod jobs;
pub mod lists;
pub mod markers;
pub mod moderation;
pub mod notifications;
pub mod oauth;
pub mod polls;
pub mod scheduled;
pub mod statuses;
pub mod stream_events;
pub mod tags;

use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};

/// A page request in Mastodon's terms: ids bound the page, `min_id` reads upwards.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub max_id: Option<i64>,
    pub since_id: Option<i64>,
    pub min_id: Option<i64>,
    pub limit: u64,
}

impl Default for Page {
    fn default() -> Self {
        Self { max_id: None, since_id: None, min_id: None, limit: 20 }
    }
}

impl Page {
    /// The conditions this page puts on an id column.
    pub fn conditions(&self, col: SimpleExpr) -> Vec<SimpleExpr> {
        let mut out = Vec::new();
        if let Some(max) = self.max_id {
            out.push(col.clone().lt(max));
        }
        if let Some(since) = self.since_id {
            out.push(col.clone().gt(since));
        }
        if let Some(min) = self.min_id {
            out.push(col.gt(min));
        }
        out
    }

    /// Ascending when reading forwards from `min_id` (the results are reversed afterwards).
    pub fn ascending(&self) -> bool {
        self.min_id.is_some()
    }
}

/// A column of a table, for raw expressions.
pub fn col(table: &'static str, column: &'static str) -> SimpleExpr {
    Expr::col((sea_orm::sea_query::Alias::new(table), sea_orm::sea_query::Alias::new(column)))
}

/// `alias."col" AS "prefixcol", ...` for every column of `E`: to read several models from one
/// joined row with `Model::from_query_result(&row, prefix)`.
pub fn prefixed_columns<E: sea_orm::EntityTrait>(alias: &str, prefix: &str) -> String {
    use sea_orm::{IdenStatic, Iterable};
    E::Column::iter()
        .map(|c| format!("{alias}.\"{col}\" AS \"{prefix}{col}\"", col = c.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}
