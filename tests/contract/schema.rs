//! The schema language of the contract tests and Mastodon's entities written in it, from the
//! documentation (docs.joinmastodon.org/entities) at the API level khub announces (Mastodon 4.3):
//! a table of attribute → expected kind per entity, and a checker that collects every mismatch
//! with the entity and attribute it concerns.
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::common::Resp;

// ---------------------------------------------------------------------------------------------
// The schema language
// ---------------------------------------------------------------------------------------------

/// What a JSON value must be.
#[derive(Debug, Clone, Copy)]
pub enum K {
    /// Any string (may be empty).
    Str,
    /// A non-empty string id ("cast from an integer, but not guaranteed to be a number").
    Id,
    /// An absolute URL (http, https, ws or wss).
    Url,
    /// A JSON integer (not a float, not a string).
    Int,
    /// Any JSON number.
    Num,
    Bool,
    /// RFC 3339 datetime as Mastodon documents it: `T`, 1–3 fraction digits, `Z` or `±hh:mm`.
    DateTime,
    /// A calendar date `YYYY-MM-DD`.
    Date,
    /// A string holding an integer (tag history, featured tag counts).
    IntStr,
    /// One of the documented values.
    OneOf(&'static [&'static str]),
    /// Any JSON object (contents not documented in detail).
    Hash,
    /// An object with these attributes.
    Obj(&'static [F]),
    /// A named entity of [`ENTITIES`].
    E(&'static str),
    Arr(&'static K),
    /// `null` or the inner kind.
    Null(&'static K),
    /// An object whose every value has this kind (e.g. markers by timeline).
    Map(&'static K),
}

/// Whether an attribute must be there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Need {
    /// Documented, not optional, present by Mastodon 4.3.
    Req,
    /// Documented as optional: checked when present.
    Opt,
    /// Added after Mastodon 4.3 (the version khub announces): checked when present.
    Newer,
}

/// One attribute: name, kind, need.
#[derive(Debug, Clone, Copy)]
pub struct F(&'static str, K, Need);

/// An entity: its attributes, and the entity it extends (CredentialAccount extends Account).
struct Entity {
    name: &'static str,
    extends: Option<&'static str>,
    fields: &'static [F],
}

use K::*;
use Need::*;

const VISIBILITY: &[&str] = &["public", "unlisted", "private", "direct"];
const FILTER_CONTEXT: &[&str] = &["home", "notifications", "public", "thread", "account"];
const NOTIFICATION_TYPES: &[&str] = &[
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "poll",
    "update",
    "admin.sign_up",
    "admin.report",
    "severed_relationships",
    "moderation_warning",
    "quote",
    "quoted_update",
];

const ACCOUNT: &[F] = &[
    F("id", Id, Req),
    F("username", Str, Req),
    F("acct", Str, Req),
    F("url", Null(&Url), Req),
    F("uri", Url, Req),
    F("display_name", Str, Req),
    F("note", Str, Req),
    F("avatar", Url, Req),
    F("avatar_static", Url, Req),
    F("avatar_description", Str, Newer),
    F("header", Url, Req),
    F("header_static", Url, Req),
    F("header_description", Str, Newer),
    F("locked", Bool, Req),
    F("fields", Arr(&E("Field")), Req),
    F("emojis", Arr(&E("CustomEmoji")), Req),
    F("bot", Bool, Req),
    F("group", Bool, Req),
    F("discoverable", Null(&Bool), Req),
    F("indexable", Bool, Req),
    F("noindex", Null(&Bool), Opt),
    F("moved", Null(&E("Account")), Opt),
    F("memorial", Bool, Opt),
    F("suspended", Bool, Opt),
    F("limited", Bool, Opt),
    F("created_at", DateTime, Req),
    F("last_status_at", Null(&Date), Req),
    F("statuses_count", Int, Req),
    F("followers_count", Int, Req),
    F("following_count", Int, Req),
    F("hide_collections", Null(&Bool), Req),
    F("roles", Null(&Arr(&E("AccountRole"))), Req),
    F("show_media", Bool, Newer),
    F("show_media_replies", Bool, Newer),
    F("show_featured", Bool, Newer),
    F("feature_approval", Hash, Newer),
];

const SOURCE: &[F] = &[
    F("note", Str, Req),
    F("fields", Arr(&E("Field")), Req),
    F("privacy", OneOf(VISIBILITY), Req),
    F("sensitive", Bool, Req),
    F("language", Str, Req),
    F("follow_requests_count", Int, Req),
    F("hide_collections", Null(&Bool), Req),
    F("discoverable", Null(&Bool), Req),
    F("indexable", Bool, Req),
    F("attribution_domains", Arr(&Str), Newer),
    F("quote_policy", OneOf(&["public", "followers", "nobody"]), Newer),
];

const STATUS: &[F] = &[
    F("id", Id, Req),
    F("uri", Str, Req),
    F("created_at", DateTime, Req),
    F("account", E("Account"), Req),
    F("content", Str, Req),
    F("visibility", OneOf(VISIBILITY), Req),
    F("sensitive", Bool, Req),
    F("spoiler_text", Str, Req),
    F("media_attachments", Arr(&E("MediaAttachment")), Req),
    F("application", Obj(&[F("name", Str, Req), F("website", Null(&Url), Req)]), Opt),
    F("mentions", Arr(&E("Status::Mention")), Req),
    F("tags", Arr(&E("Status::Tag")), Req),
    F("emojis", Arr(&E("CustomEmoji")), Req),
    F("reblogs_count", Int, Req),
    F("favourites_count", Int, Req),
    F("quotes_count", Int, Newer),
    F("replies_count", Int, Req),
    F("url", Null(&Url), Req),
    F("in_reply_to_id", Null(&Id), Req),
    F("in_reply_to_account_id", Null(&Id), Req),
    F("reblog", Null(&E("Status")), Req),
    F("poll", Null(&E("Poll")), Req),
    F("card", Null(&E("PreviewCard")), Req),
    F("language", Null(&Str), Req),
    F("text", Null(&Str), Req),
    F("edited_at", Null(&DateTime), Req),
    F("quote", Null(&Hash), Newer),
    F("quote_approval", Hash, Newer),
    F("favourited", Bool, Opt),
    F("reblogged", Bool, Opt),
    F("muted", Bool, Opt),
    F("bookmarked", Bool, Opt),
    F("pinned", Bool, Opt),
    F("filtered", Arr(&E("FilterResult")), Opt),
    F("tagged_collections", Arr(&Hash), Newer),
];

const MEDIA_SIZE: &[F] = &[F("width", Int, Opt), F("height", Int, Opt), F("size", Str, Opt), F("aspect", Num, Opt)];

const INSTANCE_V2_CONFIGURATION: &[F] = &[
    F(
        "urls",
        Obj(&[
            F("streaming", Url, Req),
            F("status", Null(&Url), Req),
            F("about", Url, Newer),
            F("privacy_policy", Null(&Url), Newer),
            F("terms_of_service", Null(&Url), Newer),
        ]),
        Req,
    ),
    F("vapid", Obj(&[F("public_key", Str, Req)]), Req),
    F(
        "accounts",
        Obj(&[
            F("max_featured_tags", Int, Req),
            F("max_pinned_statuses", Int, Req),
            F("max_display_name_length", Int, Newer),
            F("max_note_length", Int, Newer),
            F("max_profile_fields", Int, Newer),
            F("profile_field_name_limit", Int, Newer),
            F("profile_field_value_limit", Int, Newer),
        ]),
        Req,
    ),
    F("statuses", Obj(STATUSES_CONFIGURATION), Req),
    F(
        "media_attachments",
        Obj(&[
            F("supported_mime_types", Arr(&Str), Req),
            F("description_limit", Int, Newer),
            F("image_size_limit", Int, Req),
            F("image_matrix_limit", Int, Req),
            F("video_size_limit", Int, Req),
            F("video_frame_rate_limit", Int, Req),
            F("video_matrix_limit", Int, Req),
        ]),
        Req,
    ),
    F("polls", Obj(POLLS_CONFIGURATION), Req),
    F("translation", Obj(&[F("enabled", Bool, Req)]), Req),
    F("timelines_access", Hash, Newer),
    F("limited_federation", Bool, Newer),
];

const STATUSES_CONFIGURATION: &[F] =
    &[F("max_characters", Int, Req), F("max_media_attachments", Int, Req), F("characters_reserved_per_url", Int, Req)];

const POLLS_CONFIGURATION: &[F] = &[
    F("max_options", Int, Req),
    F("max_characters_per_option", Int, Req),
    F("min_expiration", Int, Req),
    F("max_expiration", Int, Req),
];

/// Every entity khub serves (and the few it may serve: Poll, PreviewCard), from the docs.
const ENTITIES: &[Entity] = &[
    Entity { name: "Account", extends: None, fields: ACCOUNT },
    Entity {
        name: "CredentialAccount",
        extends: Some("Account"),
        fields: &[F("source", Obj(SOURCE), Req), F("role", E("Role"), Req)],
    },
    Entity { name: "MutedAccount", extends: Some("Account"), fields: &[F("mute_expires_at", Null(&DateTime), Req)] },
    Entity {
        name: "Field",
        extends: None,
        fields: &[F("name", Str, Req), F("value", Str, Req), F("verified_at", Null(&DateTime), Req)],
    },
    Entity {
        name: "AccountRole",
        extends: None,
        fields: &[F("id", Str, Req), F("name", Str, Req), F("color", Str, Req)],
    },
    Entity {
        name: "Role",
        extends: None,
        fields: &[
            F("id", Str, Req),
            F("name", Str, Req),
            F("color", Str, Req),
            F("permissions", IntStr, Req),
            F("highlighted", Bool, Req),
            F("collection_limit", Int, Newer),
        ],
    },
    Entity {
        name: "CustomEmoji",
        extends: None,
        fields: &[
            F("shortcode", Str, Req),
            F("url", Url, Req),
            F("static_url", Url, Req),
            F("visible_in_picker", Bool, Req),
            F("category", Null(&Str), Req),
        ],
    },
    Entity { name: "Status", extends: None, fields: STATUS },
    Entity {
        name: "Status::Mention",
        extends: None,
        fields: &[F("id", Id, Req), F("username", Str, Req), F("url", Url, Req), F("acct", Str, Req)],
    },
    Entity { name: "Status::Tag", extends: None, fields: &[F("name", Str, Req), F("url", Url, Req)] },
    Entity {
        name: "Poll",
        extends: None,
        fields: &[
            F("id", Id, Req),
            F("expires_at", Null(&DateTime), Req),
            F("expired", Bool, Req),
            F("multiple", Bool, Req),
            F("votes_count", Int, Req),
            F("voters_count", Null(&Int), Req),
            F("options", Arr(&Obj(&[F("title", Str, Req), F("votes_count", Null(&Int), Req)])), Req),
            F("emojis", Arr(&E("CustomEmoji")), Req),
            F("voted", Bool, Opt),
            F("own_votes", Arr(&Int), Opt),
        ],
    },
    Entity {
        name: "PreviewCard",
        extends: None,
        fields: &[
            F("url", Url, Req),
            F("title", Str, Req),
            F("description", Str, Req),
            F("type", OneOf(&["link", "photo", "video", "rich"]), Req),
            F("authors", Arr(&Hash), Req),
            F("author_name", Str, Req),
            F("author_url", Str, Req),
            F("provider_name", Str, Req),
            F("provider_url", Str, Req),
            F("html", Str, Req),
            F("width", Int, Req),
            F("height", Int, Req),
            F("image", Null(&Url), Req),
            F("embed_url", Str, Req),
            F("blurhash", Null(&Str), Req),
        ],
    },
    Entity {
        name: "MediaAttachment",
        extends: None,
        fields: &[
            F("id", Id, Req),
            F("type", OneOf(&["unknown", "image", "gifv", "video", "audio"]), Req),
            F("url", Null(&Url), Req),
            F("preview_url", Null(&Url), Req),
            F("remote_url", Null(&Url), Req),
            F(
                "meta",
                Null(&Obj(&[
                    F("original", Obj(MEDIA_SIZE), Opt),
                    F("small", Obj(MEDIA_SIZE), Opt),
                    F("focus", Null(&Obj(&[F("x", Null(&Num), Req), F("y", Null(&Num), Req)])), Opt),
                ])),
                Req,
            ),
            F("description", Null(&Str), Req),
            F("blurhash", Null(&Str), Req),
        ],
    },
    Entity {
        name: "Notification",
        extends: None,
        fields: &[
            F("id", Id, Req),
            F("type", OneOf(NOTIFICATION_TYPES), Req),
            F("group_key", Str, Req),
            F("created_at", DateTime, Req),
            F("account", E("Account"), Req),
            F("status", E("Status"), Opt),
            F("report", E("Report"), Opt),
            F("event", Hash, Opt),
            F("moderation_warning", Hash, Opt),
        ],
    },
    Entity {
        name: "Relationship",
        extends: None,
        fields: &[
            F("id", Id, Req),
            F("following", Bool, Req),
            F("showing_reblogs", Bool, Req),
            F("notifying", Bool, Req),
            F("languages", Null(&Arr(&Str)), Req),
            F("followed_by", Bool, Req),
            F("blocking", Bool, Req),
            F("blocked_by", Bool, Req),
            F("muting", Bool, Req),
            F("muting_notifications", Bool, Req),
            F("muting_expires_at", Null(&DateTime), Newer),
            F("requested", Bool, Req),
            F("requested_by", Bool, Req),
            F("domain_blocking", Bool, Req),
            F("endorsed", Bool, Req),
            F("note", Str, Req),
        ],
    },
    Entity {
        name: "Instance",
        extends: None,
        fields: &[
            F("domain", Str, Req),
            F("title", Str, Req),
            F("version", Str, Req),
            F("source_url", Url, Req),
            F("description", Str, Req),
            F("wrapstodon", Null(&Str), Newer),
            F("usage", Obj(&[F("users", Obj(&[F("active_month", Int, Req)]), Req)]), Req),
            F(
                "thumbnail",
                Obj(&[
                    F("url", Url, Req),
                    F("description", Str, Newer),
                    F("blurhash", Str, Opt),
                    F("versions", Hash, Opt),
                ]),
                Req,
            ),
            F("icon", Arr(&Obj(&[F("src", Url, Req), F("size", Str, Req)])), Req),
            F("languages", Arr(&Str), Req),
            F("configuration", Obj(INSTANCE_V2_CONFIGURATION), Req),
            F(
                "registrations",
                Obj(&[
                    F("enabled", Bool, Req),
                    F("approval_required", Bool, Req),
                    F("message", Null(&Str), Req),
                    F("url", Null(&Url), Req),
                    F("min_age", Null(&Int), Newer),
                    F("reason_required", Null(&Bool), Newer),
                ]),
                Req,
            ),
            F("api_versions", Obj(&[F("mastodon", Int, Req)]), Req),
            F("contact", Obj(&[F("email", Str, Req), F("account", Null(&E("Account")), Req)]), Req),
            F("rules", Arr(&E("Rule")), Req),
        ],
    },
    Entity {
        name: "V1::Instance",
        extends: None,
        fields: &[
            F("uri", Str, Req),
            F("title", Str, Req),
            F("short_description", Str, Req),
            F("description", Str, Req),
            F("email", Str, Req),
            F("version", Str, Req),
            F("urls", Obj(&[F("streaming_api", Url, Req)]), Req),
            F(
                "stats",
                Obj(&[F("user_count", Int, Req), F("status_count", Int, Req), F("domain_count", Int, Req)]),
                Req,
            ),
            F("thumbnail", Null(&Url), Req),
            F("languages", Arr(&Str), Req),
            F("registrations", Bool, Req),
            F("approval_required", Bool, Req),
            F("invites_enabled", Bool, Req),
            F(
                "configuration",
                Obj(&[
                    F("accounts", Obj(&[F("max_featured_tags", Int, Req)]), Req),
                    F("statuses", Obj(STATUSES_CONFIGURATION), Req),
                    F(
                        "media_attachments",
                        Obj(&[
                            F("supported_mime_types", Arr(&Str), Req),
                            F("image_size_limit", Int, Req),
                            F("image_matrix_limit", Int, Req),
                            F("video_size_limit", Int, Req),
                            F("video_frame_rate_limit", Int, Req),
                            F("video_matrix_limit", Int, Req),
                        ]),
                        Req,
                    ),
                    F("polls", Obj(POLLS_CONFIGURATION), Req),
                ]),
                Req,
            ),
            F("contact_account", Null(&E("Account")), Req),
            F("rules", Arr(&E("Rule")), Req),
        ],
    },
    Entity {
        name: "Rule",
        extends: None,
        fields: &[F("id", Id, Req), F("text", Str, Req), F("hint", Str, Req), F("translations", Hash, Newer)],
    },
    Entity {
        name: "Application",
        extends: None,
        fields: &[
            F("id", Id, Req),
            F("name", Str, Req),
            F("website", Null(&Url), Opt),
            F("scopes", Arr(&Str), Req),
            F("redirect_uris", Arr(&Str), Req),
            F("redirect_uri", Str, Req),
            F("vapid_key", Str, Req),
        ],
    },
    Entity {
        name: "CredentialApplication",
        extends: Some("Application"),
        fields: &[F("client_id", Str, Req), F("client_secret", Str, Req), F("client_secret_expires_at", Int, Newer)],
    },
    Entity {
        name: "Token",
        extends: None,
        fields: &[
            F("access_token", Str, Req),
            F("token_type", OneOf(&["Bearer"]), Req),
            F("scope", Str, Req),
            F("created_at", Int, Req),
        ],
    },
    Entity {
        name: "Context",
        extends: None,
        fields: &[F("ancestors", Arr(&E("Status")), Req), F("descendants", Arr(&E("Status")), Req)],
    },
    Entity {
        name: "Tag",
        extends: None,
        fields: &[
            F("id", Id, Newer),
            F("name", Str, Req),
            F("url", Url, Req),
            F("history", Arr(&Obj(&[F("day", IntStr, Req), F("uses", IntStr, Req), F("accounts", IntStr, Req)])), Req),
            F("following", Bool, Opt),
            F("featuring", Bool, Newer),
        ],
    },
    Entity {
        name: "FeaturedTag",
        extends: None,
        fields: &[
            F("id", Id, Req),
            F("name", Str, Req),
            F("url", Url, Req),
            F("statuses_count", IntStr, Req),
            F("last_status_at", Null(&Date), Req),
        ],
    },
    Entity {
        name: "List",
        extends: None,
        fields: &[
            F("id", Id, Req),
            F("title", Str, Req),
            F("replies_policy", OneOf(&["followed", "list", "none"]), Req),
            F("exclusive", Bool, Req),
        ],
    },
    Entity {
        name: "Marker",
        extends: None,
        fields: &[F("last_read_id", Id, Req), F("version", Int, Req), F("updated_at", DateTime, Req)],
    },
    Entity {
        name: "Filter",
        extends: None,
        fields: &[
            F("id", Id, Req),
            F("title", Str, Req),
            F("context", Arr(&OneOf(FILTER_CONTEXT)), Req),
            F("expires_at", Null(&DateTime), Req),
            F("filter_action", OneOf(&["warn", "hide", "blur"]), Req),
            F("keywords", Arr(&E("FilterKeyword")), Opt),
            F("statuses", Arr(&E("FilterStatus")), Opt),
        ],
    },
    Entity {
        name: "FilterKeyword",
        extends: None,
        fields: &[F("id", Id, Req), F("keyword", Str, Req), F("whole_word", Bool, Req)],
    },
    Entity { name: "FilterStatus", extends: None, fields: &[F("id", Id, Req), F("status_id", Id, Req)] },
    Entity {
        name: "FilterResult",
        extends: None,
        fields: &[
            F("filter", E("Filter"), Req),
            F("keyword_matches", Null(&Arr(&Str)), Req),
            F("status_matches", Null(&Arr(&Id)), Req),
        ],
    },
    Entity {
        name: "V1::Filter",
        extends: None,
        fields: &[
            F("id", Id, Req),
            F("phrase", Str, Req),
            F("context", Arr(&OneOf(FILTER_CONTEXT)), Req),
            F("expires_at", Null(&DateTime), Req),
            F("irreversible", Bool, Req),
            F("whole_word", Bool, Req),
        ],
    },
    Entity {
        name: "Conversation",
        extends: None,
        fields: &[
            F("id", Id, Req),
            F("unread", Bool, Req),
            F("accounts", Arr(&E("Account")), Req),
            F("last_status", Null(&E("Status")), Req),
        ],
    },
    Entity {
        name: "Announcement",
        extends: None,
        fields: &[
            F("id", Id, Req),
            F("content", Str, Req),
            F("starts_at", Null(&DateTime), Req),
            F("ends_at", Null(&DateTime), Req),
            F("all_day", Bool, Req),
            F("published_at", DateTime, Req),
            F("updated_at", DateTime, Req),
            F("read", Bool, Opt),
            F(
                "mentions",
                Arr(&Obj(&[F("id", Id, Req), F("username", Str, Req), F("url", Url, Req), F("acct", Str, Req)])),
                Req,
            ),
            F("statuses", Arr(&Obj(&[F("id", Id, Req), F("url", Url, Req)])), Req),
            F("tags", Arr(&E("Status::Tag")), Req),
            F("emojis", Arr(&E("CustomEmoji")), Req),
            F("reactions", Arr(&E("Reaction")), Req),
        ],
    },
    Entity {
        name: "Reaction",
        extends: None,
        fields: &[
            F("name", Str, Req),
            F("count", Int, Req),
            F("me", Bool, Opt),
            F("url", Url, Opt),
            F("static_url", Url, Opt),
        ],
    },
    Entity {
        name: "Report",
        extends: None,
        fields: &[
            F("id", Id, Req),
            F("action_taken", Bool, Req),
            F("action_taken_at", Null(&DateTime), Req),
            F("category", OneOf(&["spam", "legal", "violation", "other"]), Req),
            F("comment", Str, Req),
            F("forwarded", Bool, Req),
            F("created_at", DateTime, Req),
            F("status_ids", Null(&Arr(&Id)), Req),
            F("collection_ids", Null(&Arr(&Id)), Newer),
            F("rule_ids", Null(&Arr(&Id)), Req),
            F("target_account", E("Account"), Req),
        ],
    },
    Entity {
        name: "Suggestion",
        extends: None,
        fields: &[
            F("source", OneOf(&["staff", "past_interactions", "global"]), Req),
            F(
                "sources",
                Arr(&OneOf(&[
                    "featured",
                    "most_followed",
                    "most_interactions",
                    "similar_to_recently_followed",
                    "friends_of_friends",
                ])),
                Req,
            ),
            F("account", E("Account"), Req),
        ],
    },
    Entity {
        name: "FamiliarFollowers",
        extends: None,
        fields: &[F("id", Id, Req), F("accounts", Arr(&E("Account")), Req)],
    },
    Entity {
        name: "Preferences",
        extends: None,
        fields: &[
            F("posting:default:visibility", OneOf(VISIBILITY), Req),
            F("posting:default:sensitive", Bool, Req),
            F("posting:default:language", Null(&Str), Req),
            F("reading:expand:media", OneOf(&["default", "show_all", "hide_all"]), Req),
            F("reading:expand:spoilers", Bool, Req),
        ],
    },
    Entity {
        name: "StatusEdit",
        extends: None,
        fields: &[
            F("content", Str, Req),
            F("spoiler_text", Str, Req),
            F("sensitive", Bool, Req),
            F("created_at", DateTime, Req),
            F("account", E("Account"), Req),
            F("poll", Obj(&[F("options", Arr(&Obj(&[F("title", Str, Req)])), Req)]), Opt),
            F("media_attachments", Arr(&E("MediaAttachment")), Req),
            F("emojis", Arr(&E("CustomEmoji")), Req),
            F("quote", Null(&Hash), Newer),
        ],
    },
    Entity {
        name: "StatusSource",
        extends: None,
        fields: &[F("id", Id, Req), F("text", Str, Req), F("spoiler_text", Str, Req)],
    },
    Entity {
        name: "Search",
        extends: None,
        fields: &[
            F("accounts", Arr(&E("Account")), Req),
            F("statuses", Arr(&E("Status")), Req),
            F("hashtags", Arr(&E("Tag")), Req),
        ],
    },
    Entity { name: "Error", extends: None, fields: &[F("error", Str, Req), F("error_description", Str, Opt)] },
    Entity { name: "UnreadCount", extends: None, fields: &[F("count", Int, Req)] },
];

/// Entities that khub does not serve (yet): checked if they appear, not required to.
const NOT_SERVED: &[&str] = &["Poll", "PreviewCard", "Rule", "AccountRole", "CustomEmoji"];

fn entity(name: &str) -> &'static Entity {
    ENTITIES.iter().find(|e| e.name == name).unwrap_or_else(|| panic!("no entity {name} in the table"))
}

/// A short human description of a kind, for messages.
fn describe(k: &K) -> String {
    match k {
        Str => "string".into(),
        Id => "string id".into(),
        Url => "absolute URL string".into(),
        Int => "integer".into(),
        Num => "number".into(),
        Bool => "boolean".into(),
        DateTime => "RFC 3339 datetime string".into(),
        Date => "YYYY-MM-DD date string".into(),
        IntStr => "string holding an integer".into(),
        OneOf(vals) => format!("one of {vals:?}"),
        Hash | Obj(_) | Map(_) => "object".into(),
        E(name) => format!("{name} object"),
        Arr(inner) => format!("array of {}", describe(inner)),
        Null(inner) => format!("null or {}", describe(inner)),
    }
}

/// A datetime as Mastodon documents it: `YYYY-MM-DDThh:mm:ss.s` (1–3 fraction digits), then
/// `Z` or `±hh:mm`, and a valid instant.
fn is_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 21 || b[10] != b'T' || b[19] != b'.' {
        return false;
    }
    let frac = b[20..].iter().take_while(|c| c.is_ascii_digit()).count();
    let zone = &s[20 + frac..];
    let zone_ok = zone == "Z"
        || (zone.len() == 6 && (zone.starts_with('+') || zone.starts_with('-')) && zone.as_bytes()[3] == b':');
    (1..=3).contains(&frac) && zone_ok && chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

fn is_date(s: &str) -> bool {
    s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

fn is_url(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https" | "ws" | "wss") && u.host().is_some())
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 { format!("{}…", s.chars().take(80).collect::<String>()) } else { s }
}

/// Collects every mismatch of a run, so one failure lists them all.
#[derive(Default)]
pub struct Contract {
    pub errors: Vec<String>,
    seen: BTreeMap<&'static str, usize>,
    /// Attributes khub adds that the docs do not list (reported, not failed).
    extras: BTreeSet<String>,
}

impl Contract {
    /// Checks `v` as the entity `name`; `at` names the request it came from.
    pub fn entity(&mut self, name: &'static str, v: &Value, at: &str) {
        self.kind(&E(name), v, &format!("{at}: {name}"));
    }

    /// Checks a non-empty JSON list of `name` entities.
    pub fn list(&mut self, name: &'static str, v: &Value, at: &str) {
        match v.as_array() {
            Some(items) if !items.is_empty() => {
                for (i, item) in items.iter().enumerate() {
                    self.kind(&E(name), item, &format!("{at}: [{name}][{i}]"));
                }
            }
            _ => self.errors.push(format!("{at}: expected a non-empty array of {name}, got {}", short(v))),
        }
    }

    /// Checks the answer's JSON; the response must be a success.
    pub fn resp(&mut self, name: &'static str, r: &Resp, at: &str) {
        if r.status.is_success() {
            self.entity(name, &r.json, at);
        } else {
            self.errors.push(format!("{at}: answered {} {}", r.status, r.text));
        }
    }

    pub fn resp_list(&mut self, name: &'static str, r: &Resp, at: &str) {
        if r.status.is_success() {
            self.list(name, &r.json, at);
        } else {
            self.errors.push(format!("{at}: answered {} {}", r.status, r.text));
        }
    }

    pub fn kind(&mut self, k: &K, v: &Value, path: &str) {
        let ok = match k {
            Str => v.is_string(),
            Id => v.as_str().is_some_and(|s| !s.is_empty() && !s.contains(char::is_whitespace)),
            Url => v.as_str().is_some_and(is_url),
            Int => v.is_i64() || v.is_u64(),
            Num => v.is_number(),
            Bool => v.is_boolean(),
            DateTime => v.as_str().is_some_and(is_datetime),
            Date => v.as_str().is_some_and(is_date),
            IntStr => v.as_str().is_some_and(|s| s.parse::<i64>().is_ok()),
            OneOf(vals) => v.as_str().is_some_and(|s| vals.contains(&s)),
            Hash => v.is_object(),
            Obj(fields) => match v.as_object() {
                Some(o) => {
                    self.fields(fields, o, path);
                    true
                }
                None => false,
            },
            E(name) => match v.as_object() {
                Some(o) => {
                    self.object(name, o, path);
                    true
                }
                None => false,
            },
            Arr(inner) => match v.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.kind(inner, item, &format!("{path}[{i}]"));
                    }
                    true
                }
                None => false,
            },
            Null(inner) => {
                if !v.is_null() {
                    self.kind(inner, v, path);
                }
                true
            }
            Map(inner) => match v.as_object() {
                Some(o) => {
                    for (key, item) in o {
                        self.kind(inner, item, &format!("{path}.{key}"));
                    }
                    true
                }
                None => false,
            },
        };
        if !ok {
            self.errors.push(format!("{path}: expected {}, got {}", describe(k), short(v)));
        }
    }

    fn object(&mut self, name: &'static str, o: &Map<String, Value>, path: &str) {
        *self.seen.entry(name).or_default() += 1;
        let e = entity(name);
        let mut known: Vec<&'static [F]> = vec![e.fields];
        let mut parent = e.extends;
        while let Some(p) = parent {
            let pe = entity(p);
            *self.seen.entry(pe.name).or_default() += 1;
            known.push(pe.fields);
            parent = pe.extends;
        }
        for fields in &known {
            self.fields(fields, o, path);
        }
        for key in o.keys() {
            if !known.iter().any(|fs| fs.iter().any(|f| f.0 == key)) {
                self.extras.insert(format!("{name}.{key}"));
            }
        }
    }

    fn fields(&mut self, fields: &[F], o: &Map<String, Value>, path: &str) {
        for F(name, kind, need) in fields {
            match o.get(*name) {
                Some(v) => self.kind(kind, v, &format!("{path}.{name}")),
                None if *need == Req => self.errors.push(format!("{path}.{name}: missing (documented, not optional)")),
                None => {}
            }
        }
    }

    /// Fails with every mismatch, and if an entity of the table was never checked.
    pub fn finish(self) {
        let mut errors = self.errors;
        for e in ENTITIES {
            if !self.seen.contains_key(e.name) && !NOT_SERVED.contains(&e.name) {
                errors.push(format!("{}: never checked (add a request that returns it)", e.name));
            }
        }
        eprintln!("entities checked: {:?}", self.seen);
        eprintln!("attributes khub adds beyond the docs: {:?}", self.extras);
        assert!(errors.is_empty(), "{} contract violations:\n{}", errors.len(), errors.join("\n"));
    }
}

#[test]
fn the_schema_checker_names_the_entity_and_the_attribute() {
    let mut c = Contract::default();
    let mut tag = json!({ "name": "x", "url": "https://example.org/tags/x", "history": [] });
    c.entity("Status::Tag", &tag, "sample");
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    tag["url"] = json!(3);
    c.entity("Status::Tag", &tag, "sample");
    tag.as_object_mut().expect("object").remove("name");
    c.entity("Status::Tag", &tag, "sample");
    assert_eq!(
        c.errors,
        vec![
            "sample: Status::Tag.url: expected absolute URL string, got 3".to_owned(),
            "sample: Status::Tag.name: missing (documented, not optional)".to_owned(),
            "sample: Status::Tag.url: expected absolute URL string, got 3".to_owned(),
        ]
    );
    for good in ["2019-11-10T10:31:10.744+00:00", "1994-11-05T13:15:30.000Z", "2024-01-01T00:00:00.1Z"] {
        assert!(is_datetime(good), "{good}");
    }
    for bad in ["2024-01-01 00:00:00.000Z", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00.0000Z", "2024-01-01", "x"] {
        assert!(!is_datetime(bad), "{bad}");
    }
    assert!(is_date("2024-02-29") && !is_date("2024-2-9") && !is_date("2023-02-29"));
}
