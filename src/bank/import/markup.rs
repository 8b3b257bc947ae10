//! The text formats question sources are written in (plain text, Moodle auto-format, HTML, Markdown), turned
//! into our Markdown so that what a candidate sees is what the author wrote: plain text is escaped, line breaks
//! are kept, and HTML stays HTML (sanitised when rendered, as every pack's Markdown is) with nothing in it
//! read as Markdown. Pure. docs/importing-text.md and docs/importing-xml.md say which importer reads which.
//!
//! Plain text gets backslash escapes (`\*`), readable in the pack's YAML. HTML gets numeric character
//! references (`&#42;`) instead, because a backslash is not an escape inside a Markdown HTML block, while a
//! reference means the same character in both places.

use serde::Serialize;

/// How a source's text is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TextFormat {
    /// Every character as typed, line breaks kept (Aiken, Kahoot CSV, GIFT `[plain]`, Moodle `plain_text`).
    Plain,
    /// Moodle's auto-format (`FORMAT_MOODLE`, GIFT's default and `[moodle]`): HTML tags allowed, each line
    /// break shown as a line break, everything else as typed.
    Moodle,
    /// HTML (GIFT `[html]`, Moodle `html`, QTI, the HTML columns of CSV dialects).
    Html,
    /// Markdown, our format: kept as written (GIFT `[markdown]`, Moodle `markdown`, our CSV).
    Markdown,
}

impl TextFormat {
    /// Our Markdown for `text` read in this format.
    pub fn to_markdown(self, text: &str) -> String {
        match self {
            TextFormat::Plain => plain_to_markdown(text),
            TextFormat::Moodle => moodle_to_markdown(text),
            TextFormat::Html => html_to_markdown(text),
            TextFormat::Markdown => text.trim().to_owned(),
        }
    }

    /// The format a Moodle XML `format` attribute names (`html`, `moodle_auto_format`, `plain_text`,
    /// `markdown`); `None` for anything else.
    pub fn from_moodle(name: &str) -> Option<TextFormat> {
        Some(match name.trim() {
            "html" => TextFormat::Html,
            "moodle_auto_format" => TextFormat::Moodle,
            "plain_text" => TextFormat::Plain,
            "markdown" => TextFormat::Markdown,
            _ => return None,
        })
    }

    /// The Moodle XML `format` attribute of this format.
    pub fn moodle_name(self) -> &'static str {
        match self {
            TextFormat::Plain => "plain_text",
            TextFormat::Moodle => "moodle_auto_format",
            TextFormat::Html => "html",
            TextFormat::Markdown => "markdown",
        }
    }

    /// The name used in docs and notes.
    pub fn name(self) -> &'static str {
        match self {
            TextFormat::Plain => "plain text",
            TextFormat::Moodle => "Moodle auto-format",
            TextFormat::Html => "HTML",
            TextFormat::Markdown => "Markdown",
        }
    }
}

/// Plain text as Markdown that renders to the same characters: Markdown's punctuation escaped with `\`
/// (inline marks everywhere, block marks at the start of a line), each line break a hard break (`\` at the
/// end of the line), blank lines kept as paragraph breaks, and leading spaces dropped (they would make code
/// blocks; HTML would not show them either).
pub fn plain_to_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut paragraph_break = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            paragraph_break = !out.is_empty();
            continue;
        }
        if paragraph_break {
            out.push_str("\n\n");
            paragraph_break = false;
        } else if !out.is_empty() {
            out.push_str("\\\n");
        }
        escape_plain_line(line, &mut out);
    }
    out
}

/// Where a line's block mark stands, if it starts with one Markdown would read: a heading's `#`s followed by
/// a space, a quote's `>`, a list's `-` or `+` followed by a space, a line of only `-` or `=` (a setext
/// underline or a rule), or a list number's `.` or `)` after up to 9 digits and before a space. `chars` is
/// the line from its first non-space character.
fn block_mark(chars: &[char]) -> Option<usize> {
    let spaced = |i: usize| chars.get(i).is_none_or(|c| c.is_whitespace());
    let only = |m: char| chars.iter().all(|&c| c == m || c == ' ' || c == '\t');
    match chars.first()? {
        '#' => {
            let run = chars.iter().take_while(|&&c| c == '#').count();
            spaced(run).then_some(0)
        }
        '>' => Some(0),
        '-' | '+' if spaced(1) => Some(0),
        '-' if only('-') => Some(0),
        '=' if only('=') => Some(0),
        c if c.is_ascii_digit() => {
            let digits = chars.iter().take_while(|c| c.is_ascii_digit()).count();
            ((1..=9).contains(&digits)
                && matches!(chars.get(digits), Some('.' | ')'))
                && spaced(digits + 1))
            .then_some(digits)
        }
        _ => None,
    }
}

/// A line of plain text, escaped (see [`plain_to_markdown`]).
fn escape_plain_line(line: &str, out: &mut String) {
    let chars: Vec<char> = line.chars().collect();
    let mark = block_mark(&chars);
    for (i, &c) in chars.iter().enumerate() {
        let escape = match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '~' | '|' => true,
            '&' => chars
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphanumeric() || *n == '#'),
            _ => mark == Some(i),
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Moodle auto-format as Markdown: the text is HTML in which each line break is a `<br>`.
pub fn moodle_to_markdown(text: &str) -> String {
    let lines: Vec<&str> = text.trim().lines().collect();
    html_to_markdown(&lines.join("<br>\n"))
}

/// HTML as Markdown that renders to the same HTML: tags, comments and entities are kept; in the text between
/// them, Markdown's punctuation becomes numeric character references (inline marks everywhere, block marks at
/// the start of a line), a `<` that opens no tag becomes `&lt;`; blank lines are dropped (they would end an
/// HTML block and start Markdown) and so is the indentation of lines (it would make code blocks), except
/// inside `<pre>`, where a blank line becomes `&#32;` and indentation becomes references.
pub fn html_to_markdown(html: &str) -> String {
    let html = html.trim();
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let chars: Vec<char> = html.chars().collect();
    let mut i = 0;
    let mut pre = 0usize;
    let mut markup = Markup::new();
    // At the start of a line: nothing but spaces seen on it yet.
    let mut line_start = true;
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' || c == '\r' {
            // A run of line breaks and blank lines: one line break, or inside <pre> each line kept.
            let mut j = i;
            let mut breaks = 0;
            while j < chars.len() && chars[j].is_whitespace() {
                if chars[j] == '\n' {
                    breaks += 1;
                }
                j += 1;
            }
            if pre > 0 {
                // Keep the lines and the indentation of the last one.
                for _ in 1..breaks {
                    out.push_str("\n&#32;");
                }
                out.push('\n');
                let last_line = chars[i..j]
                    .iter()
                    .rposition(|&c| c == '\n')
                    .map_or(i, |p| i + p + 1);
                for &w in &chars[last_line..j] {
                    out.push_str(if w == '\t' { "&#9;" } else { "&#32;" });
                }
            } else {
                out.push('\n');
            }
            i = j;
            line_start = true;
            continue;
        }
        if line_start && c.is_whitespace() && pre == 0 {
            i += 1;
            continue;
        }
        if c == '<' {
            if let Some(end) = markup.end(&chars, i) {
                let tag: String = chars[i..end].iter().collect();
                match tag_name(&tag) {
                    Some((name, closing)) if name.eq_ignore_ascii_case("pre") => {
                        if closing {
                            pre = pre.saturating_sub(1);
                        } else {
                            pre += 1;
                        }
                    }
                    _ => {}
                }
                out.push_str(&tag);
                i = end;
                line_start = false;
                continue;
            }
            out.push_str("&lt;");
            i += 1;
            line_start = false;
            continue;
        }
        if line_start {
            // A block mark at the start of the line: as a reference (digits first for a list number).
            let line_end = chars[i..]
                .iter()
                .position(|&c| c == '\n' || c == '\r' || c == '<')
                .map_or(chars.len(), |p| i + p);
            if let Some(at) = block_mark(&chars[i..line_end]) {
                out.extend(&chars[i..i + at]);
                let mark = chars[i + at];
                out.push_str(&format!("&#{};", u32::from(mark)));
                i += at + 1;
                line_start = false;
                continue;
            }
        }
        let reference = match c {
            '\\' => Some("&#92;"),
            '`' => Some("&#96;"),
            '*' => Some("&#42;"),
            '_' => Some("&#95;"),
            '[' => Some("&#91;"),
            ']' => Some("&#93;"),
            '~' => Some("&#126;"),
            '|' => Some("&#124;"),
            '>' => Some("&gt;"),
            _ => None,
        };
        match reference {
            Some(r) => out.push_str(r),
            None => out.push(c),
        }
        line_start = false;
        i += 1;
    }
    out.trim_end().to_owned()
}

/// The next place at or after a position where a pattern starts, remembered: the positions asked about only
/// grow, so each character is looked at once in all (a file of `<<<<` or `<!--<!--` stays linear).
struct Next {
    from: usize,
    found: Option<usize>,
}

impl Next {
    fn new() -> Next {
        // Nothing known yet: the first question searches.
        Next {
            from: usize::MAX,
            found: None,
        }
    }

    fn at(
        &mut self,
        chars: &[char],
        from: usize,
        matches: impl Fn(&[char], usize) -> bool,
    ) -> Option<usize> {
        let known = from >= self.from && self.found.is_none_or(|f| f >= from);
        if !known {
            self.from = from;
            self.found = (from..chars.len()).find(|&k| matches(chars, k));
        }
        self.found
    }
}

/// Finds where markup starting at a `<` ends.
struct Markup {
    gt: Next,
    lt: Next,
    comment_end: Next,
}

impl Markup {
    fn new() -> Markup {
        Markup {
            gt: Next::new(),
            lt: Next::new(),
            comment_end: Next::new(),
        }
    }

    /// Where the tag, comment or declaration starting at `chars[at] == '<'` ends (one past its `>`), or
    /// `None` when the `<` opens none (`a < b`, `<3`, a `<` with another `<` before any `>`). Quotes in
    /// attributes are not looked at: a `>` inside one ends the tag (the sanitiser sees the same).
    fn end(&mut self, chars: &[char], at: usize) -> Option<usize> {
        let next = *chars.get(at + 1)?;
        if next == '!' && chars.get(at + 2) == Some(&'-') && chars.get(at + 3) == Some(&'-') {
            let end = self.comment_end.at(chars, at + 4, |c, k| {
                c[k] == '-' && c.get(k + 1) == Some(&'-') && c.get(k + 2) == Some(&'>')
            })?;
            return Some(end + 3);
        }
        let name_start = match next {
            '!' | '?' => at + 2,
            '/' => at + 2,
            _ => at + 1,
        };
        if !matches!(next, '!' | '?') && !chars.get(name_start)?.is_ascii_alphabetic() {
            return None;
        }
        let gt = self.gt.at(chars, name_start, |c, k| c[k] == '>')?;
        match self.lt.at(chars, name_start, |c, k| c[k] == '<') {
            Some(lt) if lt < gt => None,
            _ => Some(gt + 1),
        }
    }
}

/// A tag's name and whether it closes (`</p>`): `None` for comments and declarations.
fn tag_name(tag: &str) -> Option<(&str, bool)> {
    let inner = tag.strip_prefix('<')?;
    let (inner, closing) = match inner.strip_prefix('/') {
        Some(rest) => (rest, true),
        None => (inner, false),
    };
    let end = inner
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(inner.len());
    (end > 0).then(|| (&inner[..end], closing))
}

/// The text a candidate reads in rendered HTML: tags dropped (a line break for `<br>`, `<p>` and `<li>`),
/// the entities the renderer writes decoded, lines trimmed. For tests of what importers store.
#[cfg(test)]
pub(crate) fn shown_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    let mut tag = String::new();
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                tag.clear();
            }
            '>' if in_tag => {
                in_tag = false;
                let name = tag.trim_start_matches('/').to_ascii_lowercase();
                if name.starts_with("br") || name == "p" || name == "li" {
                    out.push('\n');
                }
            }
            c if in_tag => tag.push(c),
            c => out.push(c),
        }
    }
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    out.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::markdown;

    /// Every character Markdown gives a meaning to, plus the HTML ones.
    const SIGNIFICANT: [&str; 20] = [
        "#", "*", "_", ">", "-", "+", "1.", "1)", "[", "]", "(", ")", "!", "\\", "`", "|", "~",
        "<", "&", "=",
    ];

    /// Texts with `s` at the start, in the middle and at the end, alone and in the shapes Markdown reads
    /// (`# x`, `[a](b)`, `*a*`, `&amp;`, a table row).
    fn samples() -> Vec<String> {
        let mut out = Vec::new();
        for s in SIGNIFICANT {
            out.push(format!("{s} start"));
            out.push(format!("mid {s} dle"));
            out.push(format!("end {s}"));
            out.push(format!("{s}{s}{s}"));
            out.push(s.to_owned());
        }
        out.extend(
            [
                "[link](http://x.test) and ![img](http://x.test/a.png)",
                "*emph* **strong** _u_ __uu__ ~~del~~ `code`",
                "a | b\n--- | ---\nc | d",
                "Title\n===",
                "Title\n---",
                "&amp; &lt;b&gt; &#35; AT&T",
                "<b>not bold</b> <script>alert(1)</script>",
                "a < b > c",
                "    indented code?",
                "A \\ B \\\\ C",
                "- one\n- two",
                "> quoted",
                "***",
                "2024. A year",
                "line one\nline two",
            ]
            .map(str::to_owned),
        );
        out
    }

    #[test]
    fn plain_text_shows_every_character_as_typed() {
        for text in samples() {
            let md = plain_to_markdown(&text);
            // Leading spaces are dropped on purpose (HTML would not show them either).
            let expected = text.lines().map(str::trim).collect::<Vec<_>>().join("\n");
            for html in [markdown::block(&md), markdown::inline(&md)] {
                assert_eq!(shown_text(&html), expected, "{text:?} → {md:?} → {html}");
                for tag in [
                    "<h",
                    "<em",
                    "<strong",
                    "<code",
                    "<a ",
                    "<img",
                    "<ul",
                    "<ol",
                    "<table",
                    "<blockquote",
                    "<del",
                    "<hr",
                    "<pre",
                    "<b>",
                ] {
                    assert!(!html.contains(tag), "{text:?} → {md:?} → {html}");
                }
            }
        }
    }

    #[test]
    fn plain_line_breaks_are_kept_and_blank_lines_are_paragraphs() {
        assert_eq!(plain_to_markdown("a\nb\n\n\nc"), "a\\\nb\n\nc");
        assert_eq!(
            markdown::block(&plain_to_markdown("a\nb")),
            "<p>a<br>\nb</p>\n"
        );
    }

    #[test]
    fn html_text_shows_as_the_browser_would_and_tags_stay_tags() {
        for text in samples() {
            // Text without tags, as an HTML editor would store it.
            let escaped = text
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            let md = html_to_markdown(&format!("<p>{escaped}</p>"));
            let html = markdown::block(&md);
            let expected = text.lines().map(str::trim).collect::<Vec<_>>().join(" ");
            assert_eq!(
                shown_text(&html).replace('\n', " "),
                expected,
                "{text:?} → {md:?} → {html}"
            );
            let md = html_to_markdown(&escaped);
            let html = markdown::block(&md);
            assert_eq!(
                shown_text(&html).replace('\n', " "),
                expected,
                "{text:?} → {md:?} → {html}"
            );
        }
        let md = html_to_markdown("<p>Use <b>*this*</b>:</p>\n\n<p># not a heading</p>");
        assert_eq!(
            markdown::block(&md),
            "<p>Use <b>*this*</b>:</p>\n<p># not a heading</p>"
        );
    }

    #[test]
    fn html_conversion_is_linear_in_hostile_text() {
        for unit in ["<", "<a", "<!--", "<!", "<a \"", "a<b "] {
            let text = unit.repeat(200_000);
            let started = std::time::Instant::now();
            let md = html_to_markdown(&text);
            assert!(!md.contains('<') || md.contains("&lt;"), "{unit}");
            assert!(
                started.elapsed() < std::time::Duration::from_secs(5),
                "{unit}"
            );
        }
        assert_eq!(
            html_to_markdown("<a href=\"x\">y</a> <!-- c --> <3"),
            "<a href=\"x\">y</a> <!-- c --> &lt;3"
        );
    }

    #[test]
    fn html_pre_keeps_its_lines_and_indentation() {
        let md = html_to_markdown("<pre>a\n\n    b</pre>");
        let html = markdown::block(&md);
        assert_eq!(html, "<pre>a\n \n    b</pre>", "{md}");
    }

    #[test]
    fn moodle_auto_format_keeps_line_breaks_and_html() {
        let md = moodle_to_markdown("# one\n<b>two</b> * 3");
        assert_eq!(
            markdown::block(&md),
            "<p>&#35; one<br>\n<b>two</b> * 3</p>\n".replace("&#35;", "#")
        );
    }

    #[test]
    fn markdown_is_kept_and_moodle_format_names_are_read() {
        assert_eq!(TextFormat::Markdown.to_markdown(" **a** \n"), "**a**");
        assert_eq!(
            TextFormat::from_moodle("moodle_auto_format"),
            Some(TextFormat::Moodle)
        );
        assert_eq!(
            TextFormat::from_moodle("plain_text"),
            Some(TextFormat::Plain)
        );
        assert_eq!(TextFormat::from_moodle("wiki_like"), None);
        for f in [
            TextFormat::Plain,
            TextFormat::Moodle,
            TextFormat::Html,
            TextFormat::Markdown,
        ] {
            assert_eq!(TextFormat::from_moodle(f.moodle_name()), Some(f));
        }
    }
}
