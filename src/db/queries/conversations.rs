//! Direct conversations: which direct posts concern a member, and what the member marked read
//! or hid in each conversation.
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::statuses::SqlFilter;
use crate::db::entities::conversation_marks;

/// The condition (over `statuses s`) for the direct posts `account` wrote or is mentioned in;
/// read through the `mentions_account` and `statuses_account_id` indexes.
pub fn direct_posts_of(account: i64) -> SqlFilter {
    SqlFilter::new(
        "s.visibility = 'direct' AND s.reblog_of_id IS NULL AND s.id IN \
         (SELECT m.status_id FROM mentions m WHERE m.account_id = ? \
          UNION SELECT c.id FROM statuses c WHERE c.account_id = ? AND c.visibility = 'direct')",
        vec![account.into(), account.into()],
    )
}

pub async fn marks_of(db: &impl ConnectionTrait, account: i64) -> Result<Vec<conversation_marks::Model>, DbErr> {
    conversation_marks::Entity::find().filter(conversation_marks::Column::AccountId.eq(account)).all(db).await
}

/// Records that the member read (or hid) a conversation up to a status.
pub async fn set_mark(
    db: &impl ConnectionTrait,
    account: i64,
    conversation: i64,
    read_up_to: i64,
    hidden_up_to: Option<i64>,
) -> Result<(), DbErr> {
    let existing = conversation_marks::Entity::find()
        .filter(conversation_marks::Column::AccountId.eq(account))
        .filter(conversation_marks::Column::ConversationId.eq(conversation))
        .one(db)
        .await?;
    match existing {
        Some(mut m) => {
            m.read_up_to = m.read_up_to.max(read_up_to);
            if let Some(h) = hidden_up_to {
                m.hidden_up_to = m.hidden_up_to.max(h);
            }
            conversation_marks::ActiveModel::from(m).reset_all().update(db).await.map(|_| ())
        }
        None => conversation_marks::ActiveModel::from(conversation_marks::Model {
            id: crate::ids::next_id(),
            account_id: account,
            conversation_id: conversation,
            read_up_to,
            hidden_up_to: hidden_up_to.unwrap_or(0),
        })
        .insert(db)
        .await
        .map(|_| ()),
    }
}
