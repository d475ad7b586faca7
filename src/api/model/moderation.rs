//! Mastodon `Report`, and the `Account` of `GET /api/v1/mutes` with its `mute_expires_at`.
use serde::Serialize;

use super::account::{Account, account};
use super::{Ctx, iso};
use crate::db::entities::{mutes, reports};
use crate::service::views::AccountView;

#[derive(Debug, Serialize)]
pub struct Report {
    pub id: String,
    pub action_taken: bool,
    pub action_taken_at: Option<String>,
    pub category: String,
    pub comment: String,
    pub forwarded: bool,
    pub created_at: String,
    pub status_ids: Option<Vec<String>>,
    pub rule_ids: Option<Vec<String>>,
    pub target_account: Account,
}

pub fn report(ctx: &Ctx<'_>, r: &reports::Model, target: &AccountView) -> Report {
    let ids = crate::service::reports::status_ids(r);
    Report {
        id: r.id.to_string(),
        action_taken: r.action_taken_at.is_some(),
        action_taken_at: r.action_taken_at.map(iso),
        category: r.category.clone(),
        comment: r.comment.clone(),
        forwarded: r.forwarded,
        created_at: iso(r.created_at),
        status_ids: (!ids.is_empty()).then(|| ids.iter().map(i64::to_string).collect()),
        rule_ids: None,
        target_account: account(ctx, target),
    }
}

#[derive(Debug, Serialize)]
pub struct MutedAccount {
    #[serde(flatten)]
    pub account: Account,
    pub mute_expires_at: Option<String>,
}

pub fn muted_account(ctx: &Ctx<'_>, a: &AccountView, m: &mutes::Model) -> MutedAccount {
    MutedAccount { account: account(ctx, a), mute_expires_at: m.expires_at.map(iso) }
}
