//! References and text: URLs, hot-area placeholders, document links, and the checks common to every question.

use super::*;

/// An `http://` or `https://` URL with a host and no spaces.
pub(super) fn is_http_url(s: &str) -> bool {
    let Some(rest) = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty()
        && !s.chars().any(char::is_whitespace)
        && host.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '[' | ']' | '@' | '_' | '%')
        })
}

/// `[[name]]` placeholders of a hot-area template: (byte offset, name).
pub(super) fn placeholders(template: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = template[from..].find("[[") {
        let open = from + start;
        let Some(len) = template[open + 2..].find("]]") else {
            break;
        };
        let name = &template[open + 2..open + 2 + len];
        if name.contains('\n') || name.contains("[[") {
            from = open + 2;
            continue;
        }
        out.push((open, name.trim().to_owned()));
        from = open + 2 + len + 2;
    }
    out
}

/// `[text](#target)` links of a Markdown text: (byte offset of the `#`, target).
pub(super) fn doc_links(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("](#") {
        let hash = from + i + 2;
        let Some(end) = text[hash..].find(')') else {
            break;
        };
        let target = &text[hash + 1..hash + end];
        if !target.is_empty() && !target.contains(char::is_whitespace) {
            out.push((hash, target.to_owned()));
        }
        from = hash + end;
    }
    out
}

/// Stem, explanation, references and points.
pub(super) fn check_common(cx: &mut ItemCx<'_>, raw: &RawItem) {
    for (field, text) in [("stem", &raw.stem), ("explanation", &raw.explanation)] {
        if text.as_deref().is_some_and(|t| t.trim().is_empty()) {
            cx.report(&[key(field)], format!("empty `{field}`"));
        }
    }
    if let Some(refs) = &raw.references {
        if refs.is_empty() {
            cx.report(
                &[key("references")],
                "no references: give at least one http(s) URL",
            );
        }
        for (i, r) in refs.iter().enumerate() {
            if !is_http_url(r) {
                cx.report(
                    &[key("references"), ix(i)],
                    format!("reference `{r}` is not an http(s) URL"),
                );
            }
        }
    }
    if raw.points == Some(0) {
        cx.report(&[key("points")], "`points` must be at least 1");
    }
}
