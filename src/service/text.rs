//! Post text: light Markdown in, sanitised HTML out, with mentions, hashtags and links.
use std::collections::HashMap;
use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use regex::Regex;

static MENTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\w/@])@([A-Za-z0-9_]{1,30})(?:@([A-Za-z0-9][A-Za-z0-9.-]*(?::\d{1,5})?))?")
        .unwrap_or_else(|_| unreachable!())
});
static HASHTAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^\w&/#])#(\w{1,100})").unwrap_or_else(|_| unreachable!()));
static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?P<url>https?://[^\s<>\x22]+[^\s<>\x22.,;:!?)\]'])",
        r"|(?P<mention>@[A-Za-z0-9_]{1,30}(?:@[A-Za-z0-9][A-Za-z0-9.-]*(?::\d{1,5})?)?)",
        r"|(?P<tag>#\w{1,100})"
    ))
    .unwrap_or_else(|_| unreachable!())
});

/// A mention as written: user name and, for another server, its domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MentionRef {
    pub username: String,
    pub domain: Option<String>,
}

/// Mentions written in `source`, in order, without repeats.
pub fn find_mentions(source: &str) -> Vec<MentionRef> {
    let mut out: Vec<MentionRef> = Vec::new();
    for cap in MENTION.captures_iter(source) {
        let Some(user) = cap.get(1) else { continue };
        let m =
            MentionRef { username: user.as_str().to_owned(), domain: cap.get(2).map(|d| d.as_str().to_lowercase()) };
        if !out.iter().any(|o| o.username.eq_ignore_ascii_case(&m.username) && o.domain == m.domain) {
            out.push(m);
        }
    }
    out
}

/// Hashtags in `source`, lower-cased, without repeats.
pub fn find_hashtags(source: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for cap in HASHTAG.captures_iter(source) {
        let Some(tag) = cap.get(1) else { continue };
        let tag = tag.as_str().to_lowercase();
        // A tag made only of digits is a number, not a tag (as Mastodon does).
        if tag.chars().all(|c| c.is_ascii_digit()) || out.contains(&tag) {
            continue;
        }
        out.push(tag);
    }
    out
}

/// Where links in rendered text point.
pub struct LinkTargets<'a> {
    pub base_url: &'a str,
    /// Lower-cased `user` or `user@domain` to the profile URL of a resolved account.
    pub mentions: &'a HashMap<String, String>,
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Turns URLs, mentions and hashtags in plain text into links.
fn linkify(text: &str, targets: &LinkTargets<'_>, out: &mut String) {
    let mut last = 0;
    for cap in TOKEN.captures_iter(text) {
        let Some(m) = cap.get(0) else { continue };
        // Mentions and tags must start a word.
        let prev = text[..m.start()].chars().next_back();
        let starts_word = prev.is_none_or(|c| !c.is_alphanumeric() && c != '_' && c != '/');
        out.push_str(&escape(&text[last..m.start()]));
        if let Some(url) = cap.name("url") {
            let u = url.as_str();
            out.push_str(&format!(
                "<a href=\"{0}\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">{1}</a>",
                escape(u),
                escape(u)
            ));
        } else if let (Some(mention), true) = (cap.name("mention"), starts_word) {
            let key = mention.as_str().trim_start_matches('@').to_lowercase();
            match targets.mentions.get(&key) {
                Some(href) => out.push_str(&format!(
                    "<span class=\"h-card\"><a href=\"{}\" class=\"u-url mention\">@<span>{}</span></a></span>",
                    escape(href),
                    escape(mention.as_str().trim_start_matches('@').split('@').next().unwrap_or_default())
                )),
                None => out.push_str(&escape(mention.as_str())),
            }
        } else if let (Some(tag), true) = (cap.name("tag"), starts_word) {
            let name = tag.as_str().trim_start_matches('#');
            if name.chars().all(|c| c.is_ascii_digit()) {
                out.push_str(&escape(tag.as_str()));
            } else {
                out.push_str(&format!(
                    "<a href=\"{}/tags/{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
                    targets.base_url,
                    escape(&name.to_lowercase()),
                    escape(name)
                ));
            }
        } else {
            out.push_str(&escape(m.as_str()));
        }
        last = m.end();
    }
    out.push_str(&escape(&text[last..]));
}

/// Renders light Markdown (emphasis, strong, code, lists, quotes, links) to sanitised HTML.
/// Raw HTML in the source is shown as text, never interpreted.
pub fn render(source: &str, targets: &LinkTargets<'_>) -> String {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let parser = Parser::new_ext(source, opts);
    let mut html = String::with_capacity(source.len() * 2);
    let mut in_link = 0usize;
    let mut in_code = false;
    for event in parser {
        match event {
            Event::Start(tag) => match tag {
                Tag::Paragraph => html.push_str("<p>"),
                Tag::Heading { .. } => html.push_str("<p><strong>"),
                Tag::BlockQuote(_) => html.push_str("<blockquote>"),
                Tag::CodeBlock(_) => {
                    in_code = true;
                    html.push_str("<pre><code>")
                }
                Tag::List(Some(_)) => html.push_str("<ol>"),
                Tag::List(None) => html.push_str("<ul>"),
                Tag::Item => html.push_str("<li>"),
                Tag::Emphasis => html.push_str("<em>"),
                Tag::Strong => html.push_str("<strong>"),
                Tag::Strikethrough => html.push_str("<del>"),
                Tag::Link { dest_url, .. } => {
                    in_link += 1;
                    let safe = dest_url.starts_with("https://") || dest_url.starts_with("http://");
                    if safe {
                        html.push_str(&format!(
                            "<a href=\"{}\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">",
                            escape(&dest_url)
                        ));
                    } else {
                        html.push_str("<a>");
                    }
                }
                // Images in Markdown are not embedded: attachments carry pictures with alt text.
                Tag::Image { dest_url, .. } => {
                    in_link += 1;
                    html.push_str(&format!("<a href=\"{}\" rel=\"nofollow noopener noreferrer\">", escape(&dest_url)));
                }
                _ => {}
            },
            Event::End(tag) => match tag {
                TagEnd::Paragraph => html.push_str("</p>"),
                TagEnd::Heading(_) => html.push_str("</strong></p>"),
                TagEnd::BlockQuote(_) => html.push_str("</blockquote>"),
                TagEnd::CodeBlock => {
                    in_code = false;
                    html.push_str("</code></pre>")
                }
                TagEnd::List(true) => html.push_str("</ol>"),
                TagEnd::List(false) => html.push_str("</ul>"),
                TagEnd::Item => html.push_str("</li>"),
                TagEnd::Emphasis => html.push_str("</em>"),
                TagEnd::Strong => html.push_str("</strong>"),
                TagEnd::Strikethrough => html.push_str("</del>"),
                TagEnd::Link | TagEnd::Image => {
                    in_link = in_link.saturating_sub(1);
                    html.push_str("</a>")
                }
                _ => {}
            },
            Event::Text(t) => {
                if in_link > 0 || in_code {
                    html.push_str(&escape(&t))
                } else {
                    linkify(&t, targets, &mut html)
                }
            }
            Event::Code(t) => {
                html.push_str("<code>");
                html.push_str(&escape(&t));
                html.push_str("</code>");
            }
            Event::Html(t) | Event::InlineHtml(t) => {
                if in_link > 0 || in_code {
                    html.push_str(&escape(&t))
                } else {
                    linkify(&t, targets, &mut html)
                }
            }
            Event::SoftBreak | Event::HardBreak => html.push_str("<br>"),
            Event::Rule => html.push_str("<hr>"),
            _ => {}
        }
    }
    sanitize(&html)
}

/// The allow-list every stored HTML passes through (also remote HTML, later).
pub fn sanitize(html: &str) -> String {
    ammonia::Builder::default()
        .tags(
            ["p", "br", "a", "span", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "hr"]
                .into_iter()
                .collect(),
        )
        .link_rel(None)
        .add_tag_attributes("a", ["href", "rel", "class", "target"])
        .add_tag_attributes("span", ["class"])
        .url_schemes(["http", "https"].into_iter().collect())
        .clean(html)
        .to_string()
}

/// Plain text of some HTML, for previews and page titles.
pub fn plain_text(html: &str, max_chars: usize) -> String {
    let no_tags = ammonia::Builder::empty().clean(&html.replace("</p>", " ").replace("<br>", " ")).to_string();
    let decoded = no_tags
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let trimmed = decoded.split_whitespace().collect::<Vec<_>>().join(" ");
    if trimmed.chars().count() > max_chars {
        let mut s: String = trimmed.chars().take(max_chars.saturating_sub(1)).collect();
        s.push('…');
        s
    } else {
        trimmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> String {
        let mut m = HashMap::new();
        m.insert("alice".to_owned(), "https://x.test/@alice".to_owned());
        render(s, &LinkTargets { base_url: "https://x.test", mentions: &m })
    }

    #[test]
    fn escapes_raw_html() {
        let out = r("<script>alert(1)</script> hi");
        assert!(!out.contains("<script"), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
    }

    #[test]
    fn links_mentions_tags_and_urls() {
        let out = r("Hi @alice and @bob, see https://example.org/a. #Housing #123");
        assert!(out.contains("href=\"https://x.test/@alice\""), "{out}");
        assert!(!out.contains("@bob</a>"), "unknown mention must stay text: {out}");
        assert!(out.contains("href=\"https://example.org/a\""), "{out}");
        assert!(out.contains("href=\"https://x.test/tags/housing\""), "{out}");
        assert!(!out.contains("tags/123"), "{out}");
    }

    #[test]
    fn light_markdown() {
        let out = r("**bold** and *em* and `code`\n\n- one\n- two");
        assert!(out.contains("<strong>bold</strong>"));
        assert!(out.contains("<em>em</em>"));
        assert!(out.contains("<code>code</code>"));
        assert!(out.contains("<ul><li>one</li><li>two</li></ul>"), "{out}");
    }

    #[test]
    fn javascript_links_are_dropped() {
        let out = r("[x](javascript:alert(1))");
        assert!(!out.contains("javascript"), "{out}");
    }

    #[test]
    fn finds_mentions_and_tags() {
        let m = find_mentions("@alice hi @bob@other.test:8080 mail a@b.c @alice");
        assert_eq!(m.len(), 2);
        assert_eq!(m[1].domain.as_deref(), Some("other.test:8080"));
        assert_eq!(find_hashtags("#One #two #one #42 a#b"), vec!["one", "two"]);
    }
}
