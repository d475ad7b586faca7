//! Mastodon's OAuth scopes: the list, how they nest, and what each means in plain words.

/// The scope an app gets when it asks for none.
pub const DEFAULT: &str = "read";

/// Every scope khub accepts, as Mastodon 4.3 publishes them.
pub const SUPPORTED: &[&str] = &[
    "read",
    "write",
    "write:accounts",
    "write:blocks",
    "write:bookmarks",
    "write:conversations",
    "write:favourites",
    "write:filters",
    "write:follows",
    "write:lists",
    "write:media",
    "write:mutes",
    "write:notifications",
    "write:reports",
    "write:statuses",
    "read:accounts",
    "read:blocks",
    "read:bookmarks",
    "read:favourites",
    "read:filters",
    "read:follows",
    "read:lists",
    "read:mutes",
    "read:notifications",
    "read:search",
    "read:statuses",
    "follow",
    "push",
    "profile",
    "admin:read",
    "admin:read:accounts",
    "admin:read:reports",
    "admin:read:domain_allows",
    "admin:read:domain_blocks",
    "admin:read:ip_blocks",
    "admin:read:email_domain_blocks",
    "admin:read:canonical_email_blocks",
    "admin:write",
    "admin:write:accounts",
    "admin:write:reports",
    "admin:write:domain_allows",
    "admin:write:domain_blocks",
    "admin:write:ip_blocks",
    "admin:write:email_domain_blocks",
    "admin:write:canonical_email_blocks",
];

/// What the deprecated `follow` scope still grants.
const FOLLOW_GRANTS: &[&str] =
    &["read:blocks", "read:follows", "read:mutes", "write:blocks", "write:follows", "write:mutes"];

/// Longest scope string read from a request.
pub const MAX_LEN: usize = 2000;

/// Parses a scope list (separated by spaces, or pluses as in query strings), without
/// duplicates. An unknown scope is returned as the error.
pub fn parse(s: &str) -> Result<Vec<String>, String> {
    if s.len() > MAX_LEN {
        return Err(s.chars().take(40).collect());
    }
    let mut out: Vec<String> = Vec::new();
    for scope in s.split(|c: char| c.is_whitespace() || c == '+').filter(|p| !p.is_empty()) {
        if !SUPPORTED.contains(&scope) {
            return Err(scope.chars().take(60).collect());
        }
        if !out.iter().any(|s| s == scope) {
            out.push(scope.to_owned());
        }
    }
    Ok(out)
}

/// Whether the granted scopes (space-separated) allow `wanted`: the scope itself, its parent
/// (`read` allows `read:statuses`), or `follow` for the relationship scopes.
pub fn covers(granted: &str, wanted: &str) -> bool {
    let has = |s: &str| granted.split_whitespace().any(|g| g == s);
    if has(wanted) {
        return true;
    }
    if let Some((parent, _)) = wanted.rsplit_once(':')
        && has(parent)
    {
        return true;
    }
    FOLLOW_GRANTS.contains(&wanted) && has("follow")
}

/// Whether every scope in `wanted` is allowed by `granted`.
pub fn all_covered(granted: &str, wanted: &[String]) -> bool {
    wanted.iter().all(|w| covers(granted, w))
}

/// What a scope lets an app do, for the consent page.
pub fn describe(scope: &str) -> &'static str {
    match scope {
        "read" => {
            "See everything in your account: posts and timelines, notifications, who you follow, block and mute, \
             your lists, saved posts and favourites"
        }
        "write" => {
            "Change anything in your account: publish, edit and delete posts, upload files, favourite, boost and \
             save posts, follow, block and mute people, and edit your profile"
        }
        "follow" => "See and change who you follow, block and mute",
        "push" => "Send you push notifications",
        "profile" => "See your name, username and profile picture",
        "read:accounts" => "See your profile and account details",
        "read:blocks" => "See who you block",
        "read:bookmarks" => "See your saved posts",
        "read:favourites" => "See your favourites",
        "read:filters" => "See your filters",
        "read:follows" => "See who you follow and your follow requests",
        "read:lists" => "See your lists",
        "read:mutes" => "See who you mute",
        "read:notifications" => "See your notifications",
        "read:search" => "Search on your behalf",
        "read:statuses" => "See posts and timelines, including posts only you can see",
        "write:accounts" => "Edit your profile",
        "write:blocks" => "Block and unblock people",
        "write:bookmarks" => "Save posts and remove saved posts",
        "write:conversations" => "Hide your private conversations and mark them as read",
        "write:favourites" => "Favourite posts and remove favourites",
        "write:filters" => "Change your filters",
        "write:follows" => "Follow and unfollow people",
        "write:lists" => "Change your lists",
        "write:media" => "Upload images and documents",
        "write:mutes" => "Mute and unmute people",
        "write:notifications" => "Dismiss your notifications",
        "write:reports" => "Report posts and people to moderators",
        "write:statuses" => "Publish, edit, delete and boost posts",
        s if s.starts_with("admin:read") => "See moderation data (administrators only)",
        s if s.starts_with("admin:write") => "Take moderation actions (administrators only)",
        _ => "Use part of your account",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_and_follow_cover_their_children() {
        assert!(covers("read", "read:statuses"));
        assert!(covers("read:statuses", "read:statuses"));
        assert!(!covers("read", "write:statuses"));
        assert!(!covers("read:accounts", "read:statuses"));
        assert!(!covers("read:statuses", "read"));
        assert!(covers("follow", "write:follows"));
        assert!(!covers("follow", "write:statuses"));
        assert!(covers("admin:read", "admin:read:accounts"));
        assert!(!covers("read", "admin:read:accounts"));
        assert!(!covers("", "read"));
    }

    #[test]
    fn parse_accepts_spaces_and_pluses_and_refuses_unknown_scopes() {
        assert_eq!(parse("read+write  follow read").unwrap(), vec!["read", "write", "follow"]);
        assert_eq!(parse("").unwrap(), Vec::<String>::new());
        assert_eq!(parse("read admin").unwrap_err(), "admin");
        assert!(parse(&"read ".repeat(1000)).is_err());
    }
}
