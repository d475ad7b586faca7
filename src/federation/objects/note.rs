//! Statuses as ActivityPub `Note`s, local and remote.
use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::Object;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
use url::Url;

use super::person::ApubPerson;
use crate::app::AppState;
use crate::db::entities::statuses;
use crate::db::queries::{accounts as aq, notifications as nq, statuses as sq};
use crate::federation::error::{FedError, FedResult};
use crate::federation::protocol::{Attachment, Note, PUBLIC, Tag, is_public};
use crate::federation::{authority, local_actor_id, local_object_id};
use crate::service::visibility::Visibility;

/// A status with its ActivityPub id.
#[derive(Debug, Clone)]
pub struct ApubNote {
    pub status: statuses::Model,
    pub ap_id: Url,
}

impl ApubNote {
    pub fn new(state: &AppState, status: statuses::Model) -> FedResult<Self> {
        let ap_id = match &status.uri {
            Some(uri) => Url::parse(uri)?,
            None => Url::parse(&local_object_id(&state.base_url, status.id))?,
        };
        Ok(Self { status, ap_id })
    }
}

/// The ActivityPub id of any status (local or remote).
pub fn status_ap_id(state: &AppState, s: &statuses::Model) -> String {
    s.uri.clone().unwrap_or_else(|| local_object_id(&state.base_url, s.id))
}

/// Where a status's audience is addressed: `(to, cc)`.
pub fn addressing(vis: Visibility, followers: &str, mentioned: &[String]) -> (Vec<String>, Vec<String>) {
    let mut cc: Vec<String> = mentioned.to_vec();
    match vis {
        Visibility::Public => {
            cc.insert(0, followers.to_owned());
            (vec![PUBLIC.to_owned()], cc)
        }
        Visibility::Unlisted => {
            cc.insert(0, PUBLIC.to_owned());
            (vec![followers.to_owned()], cc)
        }
        Visibility::Private => (vec![followers.to_owned()], cc),
        Visibility::Direct => (mentioned.to_vec(), vec![]),
    }
}

/// Reads the audience back: Public in `to` is public, in `cc` unlisted; the author's
/// followers collection means followers-only; anything else is direct.
pub fn visibility_of(to: &[Url], cc: &[Url], followers: Option<&str>) -> Visibility {
    if to.iter().any(is_public) {
        Visibility::Public
    } else if cc.iter().any(is_public) {
        Visibility::Unlisted
    } else if followers.is_some_and(|f| to.iter().chain(cc).any(|u| u.as_str() == f)) {
        Visibility::Private
    } else {
        Visibility::Direct
    }
}

#[async_trait::async_trait]
impl Object for ApubNote {
    type DataType = AppState;
    type Kind = Note;
    type Error = FedError;

    fn id(&self) -> &Url {
        &self.ap_id
    }

    async fn read_from_id(object_id: Url, data: &Data<AppState>) -> FedResult<Option<Self>> {
        let state = data.app_data();
        let status = if authority(&object_id).as_deref() == Some(state.settings.domain.as_str()) {
            match object_id.path().strip_prefix("/objects/").and_then(crate::ids::parse_id) {
                Some(id) => sq::status_by_id(&state.db.conn, id).await?.filter(|s| s.uri.is_none()),
                None => None,
            }
        } else {
            sq::status_by_uri(&state.db.conn, object_id.as_str()).await?
        };
        Ok(match status {
            Some(s) if s.reblog_of_id.is_none() => Some(Self::new(state, s)?),
            _ => None,
        })
    }

    async fn into_json(self, data: &Data<AppState>) -> FedResult<Note> {
        let state = data.app_data();
        let s = &self.status;
        let author =
            aq::account_by_id(&state.db.conn, s.account_id).await?.ok_or_else(|| FedError::bad("no author"))?;
        let author = ApubPerson::load(state, author).await?;
        let followers = format!("{}/followers", author.ap_id);
        let mention_rows = sq::mentions_for(&state.db.conn, &[s.id]).await?;
        let mention_ids: Vec<i64> = mention_rows.iter().map(|m| m.account_id).collect();
        let mentioned = aq::accounts_by_ids(&state.db.conn, &mention_ids).await?;
        let mut mentioned_ids = Vec::new();
        let mut tag = Vec::new();
        for m in &mentioned {
            let person = ApubPerson::load(state, m.clone()).await?;
            let handle = match &m.domain {
                Some(d) => format!("@{}@{d}", m.username),
                None => format!("@{}@{}", m.username, state.settings.domain),
            };
            mentioned_ids.push(person.ap_id.to_string());
            tag.push(Tag { kind: "Mention".into(), href: Some(person.ap_id.clone()), name: Some(handle) });
        }
        for t in sq::tags_for(&state.db.conn, &[s.id]).await? {
            tag.push(Tag {
                kind: "Hashtag".into(),
                href: Url::parse(&format!("{}/tags/{}", state.base_url, t.tag)).ok(),
                name: Some(format!("#{}", t.tag)),
            });
        }
        let (to, cc) = addressing(Visibility::of(s), &followers, &mentioned_ids);
        let parse_all = |v: Vec<String>| v.iter().filter_map(|u| Url::parse(u).ok()).collect::<Vec<_>>();
        let in_reply_to = match s.in_reply_to_id {
            Some(pid) => {
                sq::status_by_id(&state.db.conn, pid).await?.and_then(|p| Url::parse(&status_ap_id(state, &p)).ok())
            }
            None => None,
        };
        let attachment = sq::media_for_statuses(&state.db.conn, &[s.id])
            .await?
            .into_iter()
            .filter_map(|m| {
                Url::parse(&format!("{}/media/{}", state.base_url, m.file_name)).ok().map(|url| Attachment {
                    kind: if m.content_type.starts_with("image/") { "Image" } else { "Document" }.into(),
                    url,
                    media_type: Some(m.content_type),
                    name: Some(m.description).filter(|d| !d.is_empty()),
                })
            })
            .collect();
        // A long post goes out as an Article with a title, as long-form software sends them;
        // Mastodon shows such a post as its title and a link to read it here.
        let text = crate::service::text::plain_text(&s.content, 100_000);
        let question = super::question::question_of(state, s).await?;
        let (kind, name) = if question.is_some() {
            ("Question", None)
        } else if text.chars().count() > ARTICLE_AFTER_CHARS {
            ("Article", Some(title_of(&s.content)))
        } else {
            ("Note", None)
        };
        let question = question.unwrap_or_default();
        Ok(Note {
            kind: kind.into(),
            name,
            id: self.ap_id.clone(),
            attributed_to: author.ap_id.clone(),
            to: parse_all(to),
            cc: parse_all(cc),
            content: s.content.clone(),
            in_reply_to,
            published: Some(s.created_at),
            updated: s.edited_at,
            summary: Some(s.spoiler_text.clone()).filter(|t| !t.is_empty()),
            sensitive: Some(s.sensitive),
            url: Url::parse(&format!("{}/@{}/{}", state.base_url, author.account.username, s.id)).ok(),
            tag,
            attachment,
            one_of: question.one_of,
            any_of: question.any_of,
            end_time: question.end_time,
            closed: question.closed,
            voters_count: question.voters_count,
        })
    }

    async fn verify(json: &Note, expected_domain: &Url, _data: &Data<AppState>) -> FedResult<()> {
        crate::federation::activities::same_origin(&json.id, expected_domain)?;
        crate::federation::activities::same_origin(&json.id, &json.attributed_to)?;
        if json.content.len() > 200_000 {
            return Err(FedError::bad("content too long"));
        }
        Ok(())
    }

    async fn from_json(json: Note, data: &Data<AppState>) -> FedResult<Self> {
        let state = data.app_data();
        let author = ObjectId::<ApubPerson>::from(json.attributed_to.clone()).dereference(data).await?;
        if author.is_local() {
            return Err(FedError::bad("a remote note cannot be attributed to a local account"));
        }
        // A vote on one of our polls counts, and is not kept as a reply.
        if let Some(poll_status) = super::question::receive_vote(state, &author, &json).await? {
            return Self::new(state, poll_status);
        }
        // The parent, fetched if unknown (the library bounds how many fetches one request makes).
        let parent = match &json.in_reply_to {
            Some(p) => ObjectId::<ApubNote>::from(p.clone()).dereference(data).await.ok(),
            None => None,
        };
        let vis = visibility_of(&json.to, &json.cc, author.account.followers_url.as_deref());
        let content = match json.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            // A titled Article or Page (a blog post, a Lemmy post): the title leads.
            Some(title) if json.kind != "Note" && json.kind != "Question" => crate::service::text::sanitize(&format!(
                "<p><strong>{}</strong></p>{}",
                html_escape(&crate::service::text::plain_text(title, 300)),
                json.content
            )),
            _ => crate::service::text::sanitize(&json.content),
        };
        let spoiler = json.summary.as_deref().map(|s| crate::service::text::plain_text(s, 500)).unwrap_or_default();
        let existing = sq::status_by_uri(&state.db.conn, json.id.as_str()).await?;
        // Who is mentioned: local members (by our actor URL) and known remote accounts.
        let mut mention_ids = Vec::new();
        for t in json.tag.iter().filter(|t| t.kind == "Mention").take(50) {
            let Some(href) = &t.href else { continue };
            let local_prefix = format!("{}/users/", state.base_url);
            let acc = match href.as_str().strip_prefix(&local_prefix) {
                Some(name) => aq::local_account_by_username(&state.db.conn, name).await?,
                None => aq::account_by_uri(&state.db.conn, href.as_str()).await?,
            };
            if let Some(a) = acc
                && !mention_ids.contains(&a.id)
            {
                mention_ids.push(a.id);
            }
        }
        let tags: Vec<String> = json
            .tag
            .iter()
            .filter(|t| t.kind == "Hashtag")
            .filter_map(|t| t.name.as_deref())
            .map(|n| n.trim_start_matches('#').to_lowercase())
            .filter(|n| !n.is_empty() && n.chars().count() <= 100)
            .take(30)
            .collect();
        let is_new = existing.is_none();
        let tx = state.db.begin_write().await?;
        let status = match existing {
            Some(e) => {
                let mut am = e.into_active_model();
                am.content = Set(content);
                am.source = Set(String::new());
                am.spoiler_text = Set(spoiler.clone());
                am.sensitive = Set(json.sensitive.unwrap_or(false) || !spoiler.is_empty());
                am.edited_at = Set(json.updated);
                let updated = am.update(&*tx).await?;
                sq::record_edited(&*tx, updated.id).await?;
                updated
            }
            None => {
                let id = crate::ids::next_id();
                let row = statuses::Model {
                    id,
                    account_id: author.account.id,
                    uri: Some(json.id.to_string()),
                    in_reply_to_id: parent.as_ref().map(|p| p.status.id),
                    in_reply_to_account_id: parent.as_ref().map(|p| p.status.account_id),
                    reblog_of_id: None,
                    thread_id: parent.as_ref().map(|p| p.status.thread_id).unwrap_or(id),
                    source: String::new(),
                    content,
                    sensitive: json.sensitive.unwrap_or(false) || !spoiler.is_empty(),
                    spoiler_text: spoiler,
                    visibility: vis.as_str().to_owned(),
                    language: None,
                    created_at: json.published.unwrap_or_else(Utc::now).min(Utc::now()),
                    edited_at: None,
                };
                let inserted = sq::insert_status(&*tx, row).await?;
                // Tell local members they were mentioned or replied to.
                let locals = aq::accounts_by_ids(&*tx, &mention_ids).await?;
                let mut told = Vec::new();
                for a in locals.iter().filter(|a| a.domain.is_none()) {
                    if !crate::db::queries::graph::blocked_either_way(&*tx, a.id, author.account.id).await? {
                        nq::insert(&*tx, a.id, author.account.id, "mention", Some(id)).await?;
                        told.push(a.id);
                    }
                }
                if let Some(p) = &parent
                    && !told.contains(&p.status.account_id)
                    && vis != Visibility::Direct
                    && aq::account_by_id(&*tx, p.status.account_id).await?.is_some_and(|a| a.domain.is_none())
                    && !crate::db::queries::graph::blocked_either_way(&*tx, p.status.account_id, author.account.id)
                        .await?
                {
                    nq::insert(&*tx, p.status.account_id, author.account.id, "mention", Some(id)).await?;
                }
                inserted
            }
        };
        sq::set_mentions_and_tags(&*tx, status.id, &mention_ids, &tags).await?;
        super::question::store_poll(&*tx, &status, &json).await?;
        tx.commit().await?;
        // Files are copied after the commit: a slow remote server never holds the writer.
        if is_new && !json.attachment.is_empty() {
            let copies =
                crate::federation::remote_media::cache_attachments(state, author.account.id, &json.attachment).await;
            let ids: Vec<i64> = copies.iter().map(|m| m.id).collect();
            if !ids.is_empty() {
                let _w = state.db.write_lock().await;
                sq::attach_media(&state.db.conn, status.id, &ids).await?;
            }
        }
        Ok(Self { ap_id: json.id, status })
    }
}

/// Posts longer than this (in characters of plain text) federate as `Article`s; Mastodon's own
/// limit for a `Note` is 500.
pub const ARTICLE_AFTER_CHARS: usize = 500;

/// An Article's title: the first paragraph or line of the post's HTML, shortened at a word to at
/// most 100 characters.
fn title_of(html: &str) -> String {
    let end = ["</p>", "<br"].iter().filter_map(|m| html.find(m)).min().unwrap_or(html.len());
    let text = crate::service::text::plain_text(&html[..end], 1000);
    let first = text.trim();
    if first.chars().count() <= 100 {
        return first.to_owned();
    }
    let cut: String = first.chars().take(99).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > 40 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end())
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The `actor` URL of a local account, for building activities.
pub fn local_actor_url(state: &AppState, username: &str) -> FedResult<Url> {
    Ok(Url::parse(&local_actor_id(&state.base_url, username))?)
}

#[cfg(test)]
mod tests {
    use super::title_of;

    #[test]
    fn an_article_title_is_the_first_line_cut_at_a_word() {
        assert_eq!(title_of("<p>Budget report 2026</p><p>More text</p>"), "Budget report 2026");
        assert_eq!(title_of("<p>Budget<br>More text</p>"), "Budget");
        let long = "word ".repeat(40);
        let t = title_of(&long);
        assert!(t.ends_with('…') && t.chars().count() <= 100, "{t}");
        assert!(!t.contains("wor…"), "{t}");
    }
}
