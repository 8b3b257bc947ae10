//! Unit tests of `gift`.

use super::*;

fn one(text: &str) -> Imported {
    let report = parse("quiz.gift", text);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.items.len(), 1);
    report.items.into_iter().next().unwrap()
}

fn texts(options: &[Choice]) -> Vec<&str> {
    options.iter().map(|o| o.text.as_str()).collect()
}

#[test]
fn one_correct_answer_is_a_single_choice_with_ids_a_b_c() {
    let item = one(
        "::Vision::Which service reads printed text? {~Translator =Azure AI Vision OCR ~Speech}",
    );
    assert_eq!(item.question.common.id, "vision");
    assert_eq!(item.question.common.domain, None);
    assert_eq!(item.question.common.objective, "");
    let Body::Single { options, answer } = &item.question.body else {
        panic!()
    };
    assert_eq!(
        texts(options),
        ["Translator", "Azure AI Vision OCR", "Speech"]
    );
    assert_eq!(answer, "b");
}

#[test]
fn positive_weights_make_a_multiple_choice_and_negative_ones_are_wrong() {
    let item = one("Pick two. {~%50%A ~%-100%B ~%50%C ~D}");
    let Body::Multiple { choose, answer, .. } = &item.question.body else {
        panic!()
    };
    assert_eq!(*choose, 2);
    assert_eq!(answer, &["a", "c"]);
    let item = one("Pick one. {~%100%A ~B}");
    assert!(matches!(&item.question.body, Body::Single { answer, .. } if answer == "a"));
}

/// What the candidate reads of an option: its rendered HTML as text.
fn shown(md: &str) -> String {
    crate::bank::import::markup::shown_text(&crate::web::markdown::inline(md))
}

#[test]
fn escapes_are_literal_and_backslash_n_is_a_line_break() {
    // (The stored text changed with the text formats: Moodle auto-format is read as HTML with `<br>` for
    // line breaks, and what the candidate reads is checked through the renderer.)
    let item = one(r"Which is \{ literal \}\: a\nb? {=\= 2 \# \~ ~\\ x}");
    assert_eq!(item.question.common.stem, "Which is { literal }: a<br>\nb?");
    let Body::Single { options, .. } = &item.question.body else {
        panic!()
    };
    let shown: Vec<String> = options.iter().map(|o| shown(&o.text)).collect();
    assert_eq!(shown, ["= 2 # ~", "\\ x"]);
}

#[test]
fn plain_text_escapes_show_as_written() {
    // The issue's examples: `\#` was stored as `#` (an empty heading), `\\` lost, `\n` a space.
    let item = one(r"A \\ B \\\\ C\nnext line {=\# ~\#\# two ~- dash}");
    let html = crate::web::markdown::block(&item.question.common.stem);
    assert_eq!(html, "<p>A \\ B \\\\ C<br>\nnext line</p>\n");
    let Body::Single { options, .. } = &item.question.body else {
        panic!()
    };
    let shown: Vec<String> = options.iter().map(|o| shown(&o.text)).collect();
    assert_eq!(shown, ["#", "## two", "- dash"]);
    let item = one("[plain]Is <b> & *x* ok? {=[plain]<i> ~[markdown]**no**}");
    let html = crate::web::markdown::block(&item.question.common.stem);
    assert_eq!(html, "<p>Is &lt;b&gt; &amp; *x* ok?</p>\n");
    let Body::Single { options, .. } = &item.question.body else {
        panic!()
    };
    assert_eq!(texts(options), ["\\<i>", "**no**"]);
}

#[test]
fn feedback_becomes_an_explanation_and_its_links_references() {
    let item = one(
            "Q? {\n=Yes#Right: see https://learn.microsoft.com/azure/ai-services/.\n~No#Wrong.\n####[markdown]General [docs](http://x.test/a)}",
        );
    let c = &item.question.common;
    assert_eq!(
            c.explanation,
            "General [docs](http://x.test/a)\n\n- Correct: Yes — Right: see https://learn.microsoft.com/azure/ai-services/.\n- Incorrect: No — Wrong."
        );
    assert_eq!(
        c.references,
        [
            "http://x.test/a",
            "https://learn.microsoft.com/azure/ai-services/"
        ]
    );
}

#[test]
fn true_false_takes_the_wrong_then_right_feedback() {
    let item = one("::TF::Key Vault stores secrets.{TRUE#No, it does.#Yes.}");
    let Body::Single { options, answer } = &item.question.body else {
        panic!()
    };
    assert_eq!(texts(options), ["True", "False"]);
    assert_eq!(answer, "a");
    assert_eq!(
        item.question.common.explanation,
        "- Correct: True — Yes.\n- Incorrect: False — No, it does."
    );
    let item = one("It rains.{F}");
    assert!(matches!(&item.question.body, Body::Single { answer, .. } if answer == "b"));
}

#[test]
fn answers_in_the_middle_of_the_stem_leave_a_blank() {
    let item = one("Use {=Key Vault ~Blob Storage} for secrets.");
    assert_eq!(item.question.common.stem, "Use _____ for secrets.");
    let item = one("The endpoint is {=regional ~global}.");
    assert_eq!(item.question.common.stem, "The endpoint is _____.");
}

#[test]
fn matching_keeps_distractors_and_notes_reuse() {
    let item = one("Match. {=OCR -> Vision =Tags -> Vision =Intent -> Language = -> Speech}");
    let Body::Match {
        choices,
        slots,
        answer,
        reuse,
    } = &item.question.body
    else {
        panic!()
    };
    assert_eq!(texts(choices), ["Vision", "Language", "Speech"]);
    assert_eq!(texts(slots), ["OCR", "Tags", "Intent"]);
    assert_eq!(answer.get("s2").map(String::as_str), Some("a"));
    assert_eq!(answer.get("s3").map(String::as_str), Some("b"));
    assert!(*reuse);
}

#[test]
fn titles_categories_comments_and_multi_line_questions() {
    let report = parse(
            "dir/bank.gift",
            "// a comment\n$CATEGORY: $course$/AI/Vision\n\n::T::[markdown]Which **one**\nfits?\n// inside\n{\n=A\n~B\n}\n\nSecond {=A ~B}\n",
        );
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.items[0].question.common.stem, "Which **one**\nfits?");
    assert_eq!(report.items[0].line, 4);
    assert_eq!(
        report.items[0].category.as_deref(),
        Some("$course$/AI/Vision")
    );
    assert_eq!(report.items[1].question.common.id, "bank-2");
}

#[test]
fn an_unclosed_brace_is_located_and_the_next_question_is_still_read() {
    let report = parse(
        "q.gift",
        "First {=a ~b}\n\n::Open::Which\nregion? {\n=East\n~West\n\nLast {=a ~b}\n",
    );
    assert_eq!(report.items.len(), 2);
    assert_eq!(report.problems.len(), 1);
    let p = &report.problems[0];
    assert_eq!((p.line, p.column), (4, 9));
    assert!(
        p.message.contains("\"Open\"") && p.message.contains("not closed"),
        "{}",
        p.message
    );
}

#[test]
fn unsupported_types_are_refused_by_name_and_reason() {
    let report = parse(
            "q.gift",
            "::Pi to 2 places::What is pi? {#3.14:0.005}\n\nDescribe Azure AI Search. {}\n\nWho? {=Ada =Grace}\n\nJust text.\n",
        );
    assert!(report.items.is_empty());
    let messages: Vec<&str> = report.problems.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
            messages[0],
            "GIFT numerical question \"Pi to 2 places\" is not supported: the exam has no numeric-entry items"
        );
    assert!(messages[1].starts_with("GIFT essay question \"Describe Azure AI Search.\""));
    assert!(messages[2].starts_with("GIFT short-answer question \"Who?\""));
    let lines: Vec<usize> = report.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [1, 3, 5]);
    // A description is not a problem: it is skipped with a note.
    assert_eq!(report.notes.len(), 1);
    assert_eq!(report.notes[0].line, 7);
    assert!(report.notes[0]
        .message
        .starts_with("GIFT description \"Just text.\" skipped"));
}

#[test]
fn a_description_at_the_top_does_not_fail_the_file() {
    let report = parse(
        "q.gift",
        "$CATEGORY: Vision\n\n::Intro::[html]<p>Questions about Vision.</p>\n\n::Q::Which? {=A ~B}\n",
    );
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.items.len(), 1);
    assert_eq!(report.notes.len(), 1);
    assert_eq!((report.notes[0].line, report.notes[0].column), (3, 1));
}

#[test]
fn trailing_punctuation_after_the_answers_is_kept() {
    let item = one("X.{~a =b}\";");
    assert_eq!(shown(&item.question.common.stem), "X.\";");
    let item = one("Which one? {~a =b} (pick one)");
    assert_eq!(
        shown(&item.question.common.stem),
        "Which one? _____ (pick one)"
    );
}

#[test]
fn feedback_keeps_its_line_breaks() {
    let item = one("Q? {\n=Yes#First line\nsecond line\n~No\n####General\nand more}");
    let html = crate::web::markdown::block(&item.question.common.explanation);
    assert!(html.contains("General<br>\nand more"), "{html}");
    assert!(html.contains("First line<br>\nsecond line"), "{html}");
}

#[test]
fn moodle_4_ids_and_tags_are_kept_and_unknown_markers_noted() {
    let report = parse(
        "q.gift",
        "// question: 12  name: Q\n// [id:VIS 01]\n// [tag:vision] [tag:ocr\\]x]\n// [lang:en]\n::Q::Which? {=A ~B}\n\nNext? {=A ~B}\n",
    );
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let q = &report.items[0].question.common;
    assert_eq!(q.id, "vis-01");
    assert_eq!(q.tags, ["vision", "ocr]x"]);
    assert!(report.items[1].question.common.tags.is_empty());
    let notes: Vec<String> = report.notes.iter().map(ToString::to_string).collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes[0].starts_with("q.gift:2:1: [vis-01] the id `VIS 01`"),
        "{notes:?}"
    );
    assert!(
        notes[1].starts_with("q.gift:4:4: [vis-01] the comment marker `[lang:en]`"),
        "{notes:?}"
    );
}

#[test]
fn partial_credit_on_a_distractor_is_noted() {
    let report = parse(
        "q.gift",
        "Q? {\n=right\n~%50%half right\n~%-25%wrong\n~zero}",
    );
    assert!(report.problems.is_empty());
    let notes: Vec<(usize, &str)> = report
        .notes
        .iter()
        .map(|n| (n.line, n.message.as_str()))
        .collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert_eq!(notes[0].0, 3);
    assert!(notes[0]
        .1
        .contains("the 50% credit of option b \"half right\" was left out"));
    assert_eq!(notes[1].0, 4);
    let report = parse("q.gift", "Q? {~%70%a ~%30%b ~c}");
    assert!(report.notes[0].message.contains("(70%, 30%) are not equal"));
}

#[test]
fn a_bad_weight_is_located_at_its_answer() {
    let report = parse("q.gift", "W? {\n~%x%A\n=B}");
    assert_eq!(report.problems.len(), 1);
    assert_eq!((report.problems[0].line, report.problems[0].column), (2, 2));
    assert!(report.problems[0].message.contains("`%x%` is not a number"));
}

#[test]
fn ten_thousand_questions_parse_in_linear_time() {
    let mut text = String::new();
    for i in 0..10_000 {
        text.push_str(&format!(
            "::Q{i}::Which tier fits {i}? {{=Standard#Yes ~Free#No}}\n\n"
        ));
    }
    let started = std::time::Instant::now();
    let report = parse("big.gift", &text);
    assert_eq!(report.items.len(), 10_000);
    assert!(report.problems.is_empty());
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}
