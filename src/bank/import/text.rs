//! Small text helpers shared by the text-format importers (GIFT, Aiken, CSV): file stems for ids, short
//! previews that name a question in a problem, feedback folded into an explanation, and links in feedback.
//! (Turning a source's text format into our Markdown is `super::markup`'s.)

/// A file's name without folders or extensions (`dir/questions.gift.txt` → `questions`), for
/// `<file stem>-<n>` ids.
pub fn file_stem(file: &str) -> &str {
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    match name.split('.').next() {
        Some(stem) if !stem.is_empty() => stem,
        _ => name,
    }
}

/// The first words of a question's text, without HTML tags, to name it in a problem.
pub fn preview(text: &str) -> String {
    const MAX_CHARS: usize = 60;
    let mut plain = String::with_capacity(text.len().min(4 * MAX_CHARS));
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                plain.push(' ');
            }
            _ if !in_tag => plain.push(c),
            _ => {}
        }
        if plain.len() > 8 * MAX_CHARS {
            break;
        }
    }
    let mut out = String::new();
    let mut cut = false;
    for word in plain.split_whitespace() {
        if out.chars().count() + word.chars().count() > MAX_CHARS {
            cut = true;
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        out = plain.trim().chars().take(MAX_CHARS).collect();
        cut = plain.trim().chars().count() > MAX_CHARS;
    }
    if cut {
        out.push('…');
    }
    out
}

/// Runs of whitespace (line breaks included) as one space: option texts and per-option feedback are
/// inline Markdown.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One option's feedback, to fold into an explanation: the option's text and its feedback, both already our
/// Markdown.
pub struct OptionFeedback<'a> {
    pub text: &'a str,
    pub correct: bool,
    pub feedback: &'a str,
}

/// The explanation of an imported question (all texts already our Markdown): the general feedback, then a
/// Markdown list saying for each option that has feedback whether it is right or wrong and why. Line breaks
/// and paragraphs of an option's text or feedback are kept, indented into its list item.
pub fn explanation(general: &str, options: &[OptionFeedback<'_>]) -> String {
    let mut out = general.trim().to_owned();
    let mut first = true;
    for o in options {
        let feedback = o.feedback.trim();
        if feedback.is_empty() {
            continue;
        }
        if first {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            first = false;
        } else {
            out.push('\n');
        }
        let verdict = if o.correct { "Correct" } else { "Incorrect" };
        out.push_str(&format!(
            "- {verdict}: {} — {}",
            in_list_item(o.text.trim()),
            in_list_item(feedback)
        ));
    }
    out
}

/// Markdown made to stay inside a list item (`- `): every line after the first indented by two spaces.
pub fn in_list_item(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    for (i, line) in md.lines().enumerate() {
        if i > 0 {
            out.push('\n');
            if !line.is_empty() {
                out.push_str("  ");
            }
        }
        out.push_str(line);
    }
    out
}

/// The http(s) links in feedback, in order of appearance, each once: an imported question's references.
pub fn links(text: &str) -> Vec<String> {
    let text = unescaped(text);
    let mut found: Vec<String> = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("http") {
        let candidate = &rest[at..];
        let scheme = if candidate.starts_with("https://") {
            8
        } else if candidate.starts_with("http://") {
            7
        } else {
            0
        };
        // Images (`src="…"`) are not reading material.
        let before = rest[..at].trim_end_matches(['"', '\'']);
        if scheme == 0 || before.to_ascii_lowercase().ends_with("src=") {
            rest = &candidate[4..];
            continue;
        }
        let end = candidate
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`'))
            .unwrap_or(candidate.len());
        let url = candidate[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']']);
        if url.len() > scheme && !found.iter().any(|u| u == url) {
            found.push(url.to_owned());
        }
        rest = &candidate[end.max(scheme)..];
    }
    found
}

/// Text with the escapes `super::markup` writes undone (`\_` and `&#95;` → `_`), so that links are found
/// whole.
fn unescaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\\' {
            if let Some(n) = rest[1..].chars().next().filter(char::is_ascii_punctuation) {
                out.push(n);
                rest = &rest[1 + n.len_utf8()..];
                continue;
            }
        }
        if let Some(reference) = rest.strip_prefix("&#") {
            let digits = reference.chars().take_while(char::is_ascii_digit).count();
            if digits > 0 && reference[digits..].starts_with(';') {
                if let Some(ch) = reference[..digits].parse().ok().and_then(char::from_u32) {
                    out.push(ch);
                    rest = &reference[digits + 1..];
                    continue;
                }
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_drop_folders_and_every_extension() {
        assert_eq!(file_stem("a/b/questions.gift.txt"), "questions");
        assert_eq!(file_stem("C:\\x\\quiz.csv"), "quiz");
        assert_eq!(file_stem(".hidden"), ".hidden");
    }

    #[test]
    fn previews_strip_tags_and_keep_the_first_words() {
        assert_eq!(
            preview("<p>Which <b>service</b> fits?</p>"),
            "Which service fits?"
        );
        let long = "word ".repeat(40);
        let p = preview(&long);
        assert!(p.ends_with('…') && p.chars().count() <= 61, "{p}");
    }

    #[test]
    fn feedback_is_folded_into_a_list_after_the_general_feedback() {
        let e = explanation(
            "General.",
            &[
                OptionFeedback {
                    text: "A",
                    correct: true,
                    feedback: "Yes\\\nindeed\n\nSecond paragraph.",
                },
                OptionFeedback {
                    text: "B",
                    correct: false,
                    feedback: "",
                },
                OptionFeedback {
                    text: "C",
                    correct: false,
                    feedback: "No.",
                },
            ],
        );
        assert_eq!(
            e,
            "General.\n\n- Correct: A — Yes\\\n  indeed\n\n  Second paragraph.\n- Incorrect: C — No."
        );
    }

    #[test]
    fn links_are_found_once_without_trailing_punctuation() {
        let l = links(
            r#"See <a href="https://x.test/a">https://x.test/a</a>, or http://y.test/b. httpfoo"#,
        );
        assert_eq!(l, ["https://x.test/a", "http://y.test/b"]);
        let l = links(r"see https://x.test/a\_b and https://y.test/c&#95;d&#41;");
        assert_eq!(l, ["https://x.test/a_b", "https://y.test/c_d"]);
    }
}
