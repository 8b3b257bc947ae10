//! What a candidate sees of an imported question, importer by importer: every Markdown-significant
//! character at the start, in the middle and at the end of a stem, an option and the feedback is written the
//! way each source format writes it, imported, and rendered by the candidate's item page's renderer
//! (`web::markdown::block` for stems and explanations, `inline` for options); the rendered text must be the
//! text the author wrote, and no markup may appear that the author did not write.

use super::markup::shown_text;
use super::{aiken, csv, gift, moodle_xml, qti, ImportReport};
use crate::bank::model::{Body, Question};
use crate::web::markdown;

/// The characters Markdown (with tables and strikethrough, as we render it) or HTML give a meaning to.
const MARKS: [&str; 19] = [
    "#", "*", "_", ">", "-", "+", "1.", "1)", "[", "]", "(", ")", "!", "\\", "`", "|", "~", "<",
    "&",
];

/// Each mark at the start, in the middle and at the end of a text, and a few shapes Markdown reads.
fn cases() -> Vec<String> {
    let mut out = Vec::new();
    for m in MARKS {
        out.push(format!("{m} start"));
        out.push(format!("mid {m} dle"));
        out.push(format!("end {m}"));
    }
    out.extend(
        [
            "[a](http://x.test) ![i](http://x.test/i.png)",
            "*a* **b** _c_ ~~d~~ `e`",
            "a | b | c",
            "&amp; &lt;i&gt; AT&T",
            "<b>x</b> <script>alert(1)</script>",
            "1) one 2) two",
        ]
        .map(str::to_owned),
    );
    out
}

/// Markup that must not appear in what the candidate sees of a text without markup.
const MARKUP: [&str; 14] = [
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
    "<b>",
    "<script",
];

fn assert_shows(md: &str, html: &str, expected: &str, what: &str) {
    assert_eq!(
        shown_text(html),
        expected,
        "{what}: stored {md:?}, rendered {html}"
    );
    for tag in MARKUP {
        assert!(
            !html.contains(tag),
            "{what}: stored {md:?}, rendered {html}"
        );
    }
}

/// Checks the one question of `report`: its stem, its first option and its explanation (the general
/// feedback on the first line, the first option's feedback on the last) show `text`.
fn check(report: &ImportReport, text: &str, format: &str, feedback: bool) {
    assert!(
        report.problems.is_empty(),
        "{format} {text:?}: {:?}",
        report.problems
    );
    assert_eq!(report.items.len(), 1, "{format} {text:?}");
    let Question { common, body } = &report.items[0].question;
    assert_shows(
        &common.stem,
        &markdown::block(&common.stem),
        text,
        &format!("{format} stem"),
    );
    let (Body::Single { options, .. } | Body::Multiple { options, .. }) = body else {
        panic!("{format}: a choice question")
    };
    assert_shows(
        &options[0].text,
        &markdown::inline(&options[0].text),
        text,
        &format!("{format} option"),
    );
    if feedback {
        let html = markdown::block(&common.explanation);
        let shown = shown_text(&html);
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(
            lines.first().copied(),
            Some(text),
            "{format} general feedback: {html}"
        );
        assert!(
            lines
                .last()
                .is_some_and(|l| l.ends_with(&format!(" {text}"))),
            "{format} option feedback: stored {:?}, rendered {html}",
            common.explanation
        );
        for tag in [
            "<h",
            "<em",
            "<strong",
            "<code",
            "<a ",
            "<img",
            "<ol",
            "<table",
            "<blockquote",
            "<del",
            "<hr",
            "<b>",
            "<script",
        ] {
            // Moodle XML bolds the option's letter in its own list: that `<strong>` is ours.
            if tag == "<strong" && format.starts_with("Moodle XML") {
                continue;
            }
            assert!(!html.contains(tag), "{format} feedback: {html}");
        }
    }
}

/// GIFT's escapes for `~ = # { } : \`.
fn gift_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if matches!(c, '~' | '=' | '#' | '{' | '}' | ':' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// HTML for text an HTML editor would write.
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn xml_escape(text: &str) -> String {
    html_escape(text).replace('"', "&quot;")
}

#[test]
fn gift_shows_what_the_author_wrote_in_every_format() {
    for text in cases() {
        let t = gift_escape(&text);
        // Moodle auto-format (no marker) reads HTML: an author writes `&lt;` for `<` there.
        let m = gift_escape(&html_escape(&text));
        for (format, source) in [
            (
                "GIFT plain",
                format!("[plain]{t} {{\n=[plain]{t}#[plain]{t}\n~other\n####[plain]{t}}}"),
            ),
            (
                "GIFT moodle",
                format!("{m} {{\n={m}#{m}\n~other\n####{m}}}"),
            ),
            (
                "GIFT html",
                format!("[html]{m} {{\n={m}#{m}\n~other\n####{m}}}"),
            ),
        ] {
            check(&gift::parse("q.gift", &source), &text, format, true);
        }
    }
}

#[test]
fn aiken_shows_what_the_author_wrote() {
    for text in cases() {
        let source = format!("{text}\nA) {text}\nB) other\nANSWER: A\nFeedback: {text}\n");
        let report = aiken::parse("q.txt", &source);
        assert!(
            report.problems.is_empty(),
            "{text:?}: {:?}",
            report.problems
        );
        check(&report, &text, "Aiken", false);
        let html = markdown::block(&report.items[0].question.common.explanation);
        assert_shows(
            &report.items[0].question.common.explanation,
            &html,
            &text,
            "Aiken feedback",
        );
    }
}

#[test]
fn csv_shows_what_the_author_wrote_in_its_plain_and_html_dialects() {
    let cell = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for text in cases() {
        // Kahoot: plain text.
        let source = format!(
            ",Question,Answer1,Answer2,Time,Correct\n1,{},{},other,60,1\n",
            cell(&text),
            cell(&text)
        );
        check(&csv::parse("k.csv", &source), &text, "CSV Kahoot", false);
        // Moodle's qformat_csv: HTML.
        let h = cell(&html_escape(&text));
        let source = format!("questionname,questiontext,A,B,Answer 1\nq,{h},{h},other,A\n");
        check(&csv::parse("m.csv", &source), &text, "CSV Moodle", false);
        // The question generator: HTML, options split at `|` (written `&#124;` inside one).
        let o = cell(&html_escape(&text).replace('|', "&#124;"));
        let source = format!(
            "Quiz title,HTML of the question,Answer,\"Options, separated by |\",HTML of the explanation to the answer\nQ,{h},A,{o}|other,{h}\n"
        );
        let report = csv::parse("g.csv", &source);
        check(&report, &text, "CSV generator", false);
        let e = &report.items[0].question.common.explanation;
        assert_shows(e, &markdown::block(e), &text, "CSV generator explanation");
    }
}

#[test]
fn moodle_xml_shows_what_the_author_wrote_in_every_format() {
    for text in cases() {
        for (format, written) in [
            ("plain_text", xml_escape(&text)),
            ("html", xml_escape(&html_escape(&text))),
            ("moodle_auto_format", xml_escape(&html_escape(&text))),
        ] {
            let source = format!(
                r#"<?xml version="1.0" encoding="UTF-8"?>
<quiz>
<question type="multichoice">
<name><text>q</text></name>
<questiontext format="{format}"><text>{written}</text></questiontext>
<generalfeedback format="{format}"><text>{written}</text></generalfeedback>
<single>true</single>
<answer fraction="100" format="{format}"><text>{written}</text><feedback format="{format}"><text>{written}</text></feedback></answer>
<answer fraction="0" format="{format}"><text>other</text></answer>
</question>
</quiz>
"#
            );
            check(
                &moodle_xml::parse("q.xml", &source),
                &text,
                &format!("Moodle XML {format}"),
                true,
            );
        }
    }
}

#[test]
fn qti_shows_what_the_author_wrote() {
    for text in cases() {
        // The item body is XHTML: one level of escaping.
        let h = xml_escape(&text);
        let source = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="q" title="q">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
    <correctResponse><value>A</value></correctResponse>
  </responseDeclaration>
  <itemBody>
    <p>{h}</p>
    <choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">
      <simpleChoice identifier="A">{h}</simpleChoice>
      <simpleChoice identifier="B">other</simpleChoice>
    </choiceInteraction>
  </itemBody>
  <modalFeedback outcomeIdentifier="FEEDBACK" identifier="fb" showHide="show">{h}</modalFeedback>
</assessmentItem>"#
        );
        let report = qti::parse_item("q.xml", &source);
        check(&report, &text, "QTI", false);
        let e = &report.items[0].question.common.explanation;
        assert_shows(e, &markdown::block(e), &text, "QTI feedback");
    }
}
