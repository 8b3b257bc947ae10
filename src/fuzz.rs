//! Entry points for fuzzing: what an upload goes through, from untrusted bytes to the HTML of a page.
//!
//! The stable smoke run (`tests/fuzz_smoke.rs`, part of `make test`) and the cargo-fuzz targets (`fuzz/`,
//! nightly) both call these, so a crash found by either is the same bug. Neither may panic on any input, and
//! the rendered HTML may never carry a script element or a `javascript:` link.

use crate::bank::import::Format;
use crate::bank::model::Blueprint;
use crate::bank::upload::read_upload;
use crate::web::markdown;

/// Reads `bytes` as an upload named `file_name` (in `format`, or detected when `None`), then renders every
/// text of every item read as the pages do. Returns how many items were read.
///
/// # Panics
/// When the rendered HTML of a text carries script (see [`render`]): that is a finding, as a crash is.
pub fn upload(
    file_name: &str,
    bytes: &[u8],
    format: Option<Format>,
    blueprint: &Blueprint,
) -> usize {
    let upload = read_upload(file_name, bytes, format, blueprint);
    for item in &upload.items {
        if let Ok(value) = serde_json::to_value(item) {
            render_strings(&value);
        }
    }
    for p in &upload.problems {
        // Problems are shown on the report page; their text must be printable.
        let _ = p.to_string();
    }
    upload.items.len()
}

fn render_strings(value: &serde_json::Value) {
    match value {
        serde_json::Value::String(s) => render(s),
        serde_json::Value::Array(a) => a.iter().for_each(render_strings),
        serde_json::Value::Object(o) => o.values().for_each(render_strings),
        _ => {}
    }
}

/// Renders Markdown as block, inline and plain text, and checks that the sanitised HTML cannot run script.
///
/// # Panics
/// When the HTML holds a `<script` element, an event-handler attribute or a `javascript:` URL.
pub fn render(md: &str) {
    for html in [markdown::block(md), markdown::inline(md)] {
        if let Some(why) = unsafe_html(&html) {
            panic!("sanitised HTML carries {why}: {html:?} from {md:?}");
        }
    }
    let _ = markdown::plain(md);
}

/// What in sanitised HTML could run script, if anything. Text is escaped by the sanitiser, so any `<` that
/// opens a tag is one the sanitiser kept.
fn unsafe_html(html: &str) -> Option<&'static str> {
    let lower = html.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let name_len = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let name = &rest[..name_len];
        if matches!(
            name,
            "script" | "iframe" | "svg" | "math" | "object" | "embed"
        ) {
            return Some("a script, frame, SVG or MathML element");
        }
        rest = &rest[name_len..];
        // The attributes, up to the tag's end; values may be quoted and hold anything but their quote.
        loop {
            rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
            if rest.is_empty() || rest.starts_with('>') {
                break;
            }
            let n = rest
                .find(|c: char| c.is_whitespace() || c == '=' || c == '>')
                .unwrap_or(rest.len());
            let attr = &rest[..n];
            rest = &rest[n..];
            let mut value = "";
            if let Some(after) = rest.strip_prefix('=') {
                let (v, tail) = match after.chars().next() {
                    Some(q @ ('"' | '\'')) => {
                        let body = &after[1..];
                        let end = body.find(q).unwrap_or(body.len());
                        (&body[..end], body.get(end + 1..).unwrap_or(""))
                    }
                    _ => {
                        let end = after
                            .find(|c: char| c.is_whitespace() || c == '>')
                            .unwrap_or(after.len());
                        (&after[..end], &after[end..])
                    }
                };
                value = v;
                rest = tail;
            }
            if attr.starts_with("on") && attr.len() > 2 {
                return Some("an event-handler attribute");
            }
            // As a browser reads a URL: tabs and newlines removed anywhere, leading controls and spaces
            // dropped (other controls inside make the scheme invalid, so the URL is relative).
            let url: String = value
                .trim_start_matches(|c: char| c <= ' ')
                .chars()
                .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
                .collect();
            if matches!(
                attr,
                "href" | "src" | "action" | "formaction" | "xlink:href"
            ) && ["javascript:", "vbscript:", "data:text/html"]
                .iter()
                .any(|scheme| url.starts_with(scheme))
            {
                return Some("a script URL");
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_html_check_finds_script() {
        assert!(unsafe_html("<p><script>x</script></p>").is_some());
        assert!(unsafe_html("<a href=\"JavaScript:alert(1)\">x</a>").is_some());
        assert!(unsafe_html("<img src=x onerror=alert(1)>").is_some());
        assert!(unsafe_html("<p>onerror=x is text</p>").is_none());
        assert!(unsafe_html("<img alt=\"a onerror=x\" src=\"a.png\">").is_none());
        assert!(unsafe_html("<a href=\"hi%5D(javascript:x)\">x</a>").is_none());
        assert!(unsafe_html("<a title='x' href=' javascript:x'>x</a>").is_some());
        assert!(unsafe_html("<a href=\"java\tscript:x\">x</a>").is_some());
        assert!(unsafe_html("<a href=\"jav\u{8}ascript:x\">x</a>").is_none());
        assert!(
            unsafe_html("<a href=\"https://learn.microsoft.com\" rel=\"noopener\">x</a>").is_none()
        );
    }

    #[test]
    fn payloads_render_harmlessly() {
        for md in [
            "<script>alert(1)</script>",
            "[x](javascript:alert(1))",
            "<img src=x onerror=alert(1)>",
            "<svg onload=alert(1)>",
            "<a href=\" javascript:alert(1)\">a</a>",
        ] {
            render(md);
        }
    }
}
