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
    fn inline_drops_the_paragraph() {
        assert_eq!(inline("Use `temperature`"), "Use <code>temperature</code>");
    }
}
