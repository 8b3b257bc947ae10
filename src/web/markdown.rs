//! Markdown from packs rendered to HTML, then sanitised with ammonia: pack authors (and imported files)
//! cannot put scripts, event handlers or `javascript:` URLs into a candidate's page.

use pulldown_cmark::{html, Options, Parser};

/// Renders block Markdown (stems, explanations, documents) to safe HTML.
pub fn block(md: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let parser = Parser::new_ext(md, options);
    let mut out = String::with_capacity(md.len() * 3 / 2);
    html::push_html(&mut out, parser);
    sanitize(&out)
}

/// Renders inline Markdown (option texts) to safe HTML without the wrapping paragraph.
pub fn inline(md: &str) -> String {
    let html = block(md);
    let trimmed = html.trim();
    match trimmed
        .strip_prefix("<p>")
        .and_then(|s| s.strip_suffix("</p>"))
    {
        Some(inner) if !inner.contains("<p>") => inner.to_owned(),
        _ => trimmed.to_owned(),
    }
}

/// Inline Markdown as plain text (for `<option>` elements, which cannot hold markup).
pub fn plain(md: &str) -> String {
    let html = inline(md);
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// A help document rendered: its HTML (headings with stable `id`s, links resolved) and its contents.
pub struct HelpHtml {
    /// The first heading's text.
    pub title: String,
    pub html: String,
    /// The second- and third-level headings: (level, anchor, text).
    pub toc: Vec<(u8, String, String)>,
}

/// Renders a help document with the same renderer and sanitiser as packs' Markdown, plus what help needs:
/// every heading gets its GitHub-style anchor (`-1`, `-2` … when repeated), and every link goes through
/// `resolve` (`None` makes it plain text: a help page never links into the source tree).
pub fn help(md: &str, resolve: impl Fn(&str) -> Option<String>) -> HelpHtml {
    use pulldown_cmark::{CowStr, Event, HeadingLevel, Tag, TagEnd};
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let events: Vec<Event> = Parser::new_ext(md, options).collect();
    let mut out = Vec::with_capacity(events.len());
    let mut toc = Vec::new();
    let mut title = String::new();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut dropped_link = false;
    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            Event::Start(Tag::Heading {
                level,
                classes,
                attrs,
                ..
            }) => {
                // The heading's text: every text and code event up to its end.
                let text: String = events[i + 1..]
                    .iter()
                    .take_while(|e| !matches!(e, Event::End(TagEnd::Heading(_))))
                    .filter_map(|e| match e {
                        Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                        _ => None,
                    })
                    .collect();
                let base = crate::help::slug(&text);
                let n = seen.entry(base.clone()).or_insert(0);
                let id = if *n == 0 {
                    base.clone()
                } else {
                    format!("{base}-{n}")
                };
                *n += 1;
                match level {
                    HeadingLevel::H1 if title.is_empty() => title = text.clone(),
                    HeadingLevel::H2 => toc.push((2, id.clone(), text.clone())),
                    HeadingLevel::H3 => toc.push((3, id.clone(), text.clone())),
                    _ => {}
                }
                out.push(Event::Start(Tag::Heading {
                    level: *level,
                    id: Some(CowStr::from(id)),
                    classes: classes.clone(),
                    attrs: attrs.clone(),
                }));
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => match resolve(dest_url) {
                Some(dest) => out.push(Event::Start(Tag::Link {
                    link_type: *link_type,
                    dest_url: CowStr::from(dest),
                    title: title.clone(),
                    id: id.clone(),
                })),
                None => dropped_link = true,
            },
            Event::End(TagEnd::Link) if dropped_link => dropped_link = false,
            e => out.push(e.clone()),
        }
        i += 1;
    }
    let mut html = String::with_capacity(md.len() * 3 / 2);
    html::push_html(&mut html, out.into_iter());
    let html = ammonia::Builder::default()
        .url_schemes(std::collections::HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        .add_tag_attributes("h1", &["id"])
        .add_tag_attributes("h2", &["id"])
        .add_tag_attributes("h3", &["id"])
        .add_tag_attributes("h4", &["id"])
        .clean(&html)
        .to_string()
        // A code block wider than the page scrolls: keyboard users reach it to scroll it.
        .replace("<pre>", "<pre tabindex=\"0\">");
    HelpHtml { title, html, toc }
}

fn sanitize(html: &str) -> String {
    ammonia::Builder::default()
        .url_schemes(std::collections::HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_code_blocks_and_tables() {
        let html = block("Use **this**:\n\n```python\nprint('hi')\n```\n");
        assert!(html.contains("<strong>this</strong>"));
        assert!(html.contains("<pre><code"));
    }

    #[test]
    fn scripts_handlers_and_javascript_urls_do_not_survive() {
        for payload in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "<svg><script>alert(1)</script></svg>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<iframe src=\"https://evil.example\"></iframe>",
        ] {
            let html = block(payload);
            let lower = html.to_lowercase();
            assert!(
                !lower.contains("<script")
                    && !lower.contains("onerror")
                    && !lower.contains("javascript:")
                    && !lower.contains("<iframe"),
                "{payload} -> {html}"
            );
        }
    }

    #[test]
    fn plain_text_has_no_markup_and_no_entities() {
        assert_eq!(plain("Use `a < b` & **c**"), "Use a < b & c");
    }

    #[test]
    fn help_headings_get_anchors_and_source_links_become_text() {
        let page = help(
            "# Title\n\n## A `b` c\n\nSee [the code](../src/x.rs) and [scoring](scoring.md#x).\n\n## A `b` c\n",
            crate::help::resolve_link,
        );
        assert_eq!(page.title, "Title");
        assert!(page.html.contains("<h2 id=\"a-b-c\">"), "{}", page.html);
        assert!(page.html.contains("<h2 id=\"a-b-c-1\">"), "{}", page.html);
        assert!(!page.html.contains("src/x.rs") && page.html.contains("the code"));
        assert!(
            page.html.contains("href=\"/help/scoring#x\""),
            "{}",
            page.html
        );
        assert_eq!(page.toc.len(), 2);
    }

    #[test]
    fn inline_drops_the_paragraph() {
        assert_eq!(inline("Use `temperature`"), "Use <code>temperature</code>");
    }
}
