use super::*;
use crate::bank::check::shipped_blueprint;
use crate::bank::lexicon::load_lexicon;

const LEXICON: &str = r#"
terms:
  - id: luis
    kind: retired
    words: ["LUIS"]
    date: 2026-03-31
    replacement: "CLU"
    source: https://learn.microsoft.com/luis
  - id: qna-maker
    kind: retired
    words: ["QnA Maker"]
    date: 2025-10
    replacement: "custom question answering"
    source: https://learn.microsoft.com/qna
  - id: azure-ai-foundry
    kind: renamed
    words: ["Azure AI Foundry"]
    replacement: "Microsoft Foundry"
    source: https://learn.microsoft.com/foundry
"#;

fn lexicon() -> Lexicon {
    load_lexicon("lexicon.yaml", LEXICON).expect("the test lexicon loads")
}

const PACK: &str = r#"pack: { id: t, title: T, version: 1, blueprint: ai102 }
items:
  - id: q1
    type: single
    domain: plan
    objective: plan.secure
    mentions: [luis, qna-maker]
    stem: Your team still calls LUIS from a bot.
    options:
      - { id: a, text: "Move to LUIS" }
      - { id: b, text: QnA Maker }
      - { id: c, text: CLU }
    answer: a
    explanation: |
      Use CLU. `LUIS` is code, and so is
      https://learn.microsoft.com/luis; but the
      Azure AI Foundry portal is now Microsoft Foundry.
    references: [https://learn.microsoft.com/x]
  - id: q2
    type: single
    domain: plan
    objective: plan.secure
    mentions: [nope]
    stem: The bot uses
      Azure AI
      Foundry today.
    options:
      - { id: a, text: A }
      - { id: b, text: B }
    answer: b
    explanation: E
    references: [https://learn.microsoft.com/x]
"#;

fn pack_check() -> (Vec<Problem>, Vec<Warning>, Vec<Item>) {
    let bp = shipped_blueprint().expect("blueprint");
    let sources = vec![("p.yaml".to_owned(), PACK.to_owned())];
    let report = crate::bank::check_sources(&sources, &bp);
    let (problems, warnings) = check_sources(&sources, &report.items, &lexicon());
    (problems, warnings, report.items)
}

/// The (line, column) of the `n`-th `needle` in PACK, counted as an editor does.
fn at(needle: &str, n: usize) -> (usize, usize) {
    let offset = PACK
        .match_indices(needle)
        .nth(n)
        .map(|(i, _)| i)
        .expect("needle");
    let before = &PACK[..offset];
    let line = before.matches('\n').count() + 1;
    let column = offset - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

#[test]
fn mentions_silence_the_stem_and_distractors_but_never_the_key() {
    let (_, warnings, _) = pack_check();
    let q1: Vec<&Warning> = warnings
        .iter()
        .filter(|w| w.item.as_deref() == Some("q1"))
        .collect();
    assert_eq!(q1.len(), 2, "{q1:#?}");
    let key = q1[0];
    assert!(key.in_key);
    assert_eq!(key.term, "luis");
    assert_eq!(key.field, "options[0].text");
    assert!(
        key.message
            .contains("a retired service is never the right answer"),
        "{}",
        key.message
    );
    assert_eq!((key.line, key.column), at("LUIS\" }", 0));
}

#[test]
fn a_use_in_a_literal_block_is_located_on_its_own_line() {
    let (_, warnings, _) = pack_check();
    let w = warnings
        .iter()
        .find(|w| w.item.as_deref() == Some("q1") && w.term == "azure-ai-foundry")
        .expect("the explanation's use");
    assert!(!w.in_key);
    assert_eq!(w.field, "explanation");
    assert_eq!((w.file.as_str(), w.line, w.column), ("p.yaml", 17, 7));
    assert_eq!((w.line, w.column), at("Azure AI Foundry portal", 0));
    assert!(w.message.contains("Microsoft Foundry"), "{}", w.message);
}

#[test]
fn a_use_broken_across_lines_of_a_plain_scalar_is_located_where_it_starts() {
    let (_, warnings, _) = pack_check();
    let w = warnings
        .iter()
        .find(|w| w.item.as_deref() == Some("q2"))
        .expect("q2's stem");
    assert_eq!(w.term, "azure-ai-foundry");
    assert_eq!((w.line, w.column), at("Azure AI\n", 0));
}

#[test]
fn an_unknown_mentions_id_is_a_problem_at_the_id() {
    let (problems, _, _) = pack_check();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].item.as_deref(), Some("q2"));
    assert_eq!((problems[0].line, problems[0].column), at("nope", 0));
    assert!(problems[0].message.contains("`nope`"));
}

#[test]
fn items_without_files_get_warnings_with_their_field() {
    let (_, _, items) = pack_check();
    let warnings = currency_warnings(&items, &lexicon());
    assert_eq!(warnings.len(), 3, "{warnings:#?}");
    assert!(warnings.iter().all(|w| w.file.is_empty() && w.line == 0));
    assert_eq!(warnings[0].field, "options[0].text");
    assert!(warnings[0].to_string().starts_with("[q1] "));
}

#[test]
fn mentions_are_counted_by_term() {
    let (_, _, items) = pack_check();
    let counts = mention_counts(&items);
    assert_eq!(counts.get("luis"), Some(&1));
    assert_eq!(counts.get("nope"), Some(&1));
}

#[test]
fn a_case_study_mention_covers_its_questions_but_not_their_keys() {
    let bp = shipped_blueprint().expect("blueprint");
    let pack = r#"pack: { id: t, title: T, version: 1, blueprint: ai102 }
items:
  - id: cs
    type: case_study
    domain: plan
    title: Moving off LUIS
    mentions: [luis]
    stem: S
    documents: [{ id: d, title: D, body: "The LUIS app" }]
    questions:
      - id: cs-1
        type: yes_no_series
        objective: plan.secure
        stem: Keep LUIS?
        statements: [{ id: s1, text: Keep LUIS, answer: yes }, { id: s2, text: Drop LUIS, answer: no }]
        explanation: E
        references: [https://learn.microsoft.com/x]
      - id: cs-2
        type: single
        objective: plan.secure
        stem: S
        options: [{ id: a, text: A }, { id: b, text: B }]
        answer: a
        explanation: E
        references: [https://learn.microsoft.com/x]
"#;
    let sources = vec![("p.yaml".to_owned(), pack.to_owned())];
    let report = crate::bank::check_sources(&sources, &bp);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let (_, warnings) = check_sources(&sources, &report.items, &lexicon());
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert_eq!(warnings[0].item.as_deref(), Some("cs-1"));
    assert_eq!(warnings[0].field, "questions[0].statements[0].text");
    assert!(warnings[0].in_key);
}

#[test]
fn many_uses_in_a_large_text_are_all_located_in_one_pass() {
    let bp = shipped_blueprint().expect("blueprint");
    let uses = 20_000;
    let explanation = "LUIS `code` https://x.test/LUIS ".repeat(uses);
    let pack = format!(
        "pack: {{ id: t, title: T, version: 1, blueprint: ai102 }}\nitems:\n  - id: q1\n    type: single\n    domain: plan\n    objective: plan.secure\n    stem: S\n    options: [{{ id: a, text: A }}, {{ id: b, text: B }}]\n    answer: a\n    explanation: \"{explanation}\"\n    references: [https://learn.microsoft.com/x]\n"
    );
    let sources = vec![("p.yaml".to_owned(), pack)];
    let report = crate::bank::check_sources(&sources, &bp);
    assert_eq!(report.warnings.len(), uses);
    let last = report.warnings.last().expect("a warning");
    let stride = "LUIS `code` https://x.test/LUIS ".chars().count();
    assert_eq!(
        (last.line, last.column),
        (
            10,
            "    explanation: \"".chars().count() + 1 + (uses - 1) * stride
        )
    );
}

#[test]
fn a_code_template_is_read_for_model_names_at_their_line_and_column() {
    const CODE_PACK: &str = r#"pack: { id: t, title: T, version: 1, blueprint: ai102 }
items:
  - id: q3
    type: hot_area
    domain: plan
    objective: plan.secure
    stem: Complete the code.
    template_language: python
    template: |
      # LUIS is only named in a comment of code
      r = client.responses.[[method]](model="gpt-4", input=q)
    slots:
      - id: method
        options:
          - { id: a, text: "create" }
          - { id: b, text: "generate" }
        answer: a
    explanation: E
    references: [https://learn.microsoft.com/x]
"#;
    let lexicon = load_lexicon(
        "lexicon.yaml",
        &format!(
            "{LEXICON}  - id: gpt-4\n    kind: retired\n    model: true\n    words: [\"gpt-4\"]\n    \
             replacement: \"a current model\"\n    source: https://learn.microsoft.com/models\n"
        ),
    )
    .expect("the test lexicon loads");
    let bp = shipped_blueprint().expect("blueprint");
    let sources = vec![("p.yaml".to_owned(), CODE_PACK.to_owned())];
    let report = crate::bank::check_sources(&sources, &bp);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.items.len(), 1);
    let (_, warnings) = check_sources(&sources, &report.items, &lexicon);
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert_eq!(warnings[0].term, "gpt-4");
    assert_eq!(warnings[0].field, "template");
    assert_eq!((warnings[0].line, warnings[0].column), (11, 46));
}
