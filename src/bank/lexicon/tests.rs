use super::*;

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
  - id: agent-service
    kind: renamed
    words: ["Azure AI Foundry Agent Service"]
    replacement: "Foundry Agent Service"
    source: https://learn.microsoft.com/agents
  - id: gpt-image-1
    kind: retired
    model: true
    words: ["gpt-image-1"]
    date: 2026-10-23
    replacement: "gpt-image-2"
    source: https://learn.microsoft.com/models
  - id: gpt-4
    kind: retired
    model: true
    words: ["gpt-4"]
    replacement: "a current model"
    source: https://learn.microsoft.com/models
"#;

fn lexicon() -> Lexicon {
    load_lexicon("lexicon.yaml", LEXICON).expect("the test lexicon loads")
}

/// The terms found in `text`, as (id, the words as written).
fn found(text: &str) -> Vec<(String, String)> {
    found_in(text, TextKind::Prose)
}

fn found_in(text: &str, kind: TextKind) -> Vec<(String, String)> {
    let lex = lexicon();
    find_terms(text, &lex, kind)
        .into_iter()
        .map(|f| (lex.terms[f.term].id.clone(), text[f.range].to_owned()))
        .collect()
}

fn pair(id: &str, written: &str) -> (String, String) {
    (id.to_owned(), written.to_owned())
}

#[test]
fn the_shipped_lexicon_loads() {
    let lex = shipped();
    assert!(lex.term("luis").is_some());
    assert!(lex
        .terms
        .iter()
        .all(|t| t.source.starts_with("https://learn.microsoft.com/")));
}

#[test]
fn terms_match_whole_words_in_any_case() {
    assert_eq!(found("Call LUIS."), vec![pair("luis", "LUIS")]);
    assert_eq!(
        found("call luis, or Luis"),
        vec![pair("luis", "luis"), pair("luis", "Luis")]
    );
    assert!(found("LUISA and PLUIS and LUIS_KEY").is_empty());
    assert_eq!(found("(LUIS-based)"), vec![pair("luis", "LUIS")]);
}

#[test]
fn a_space_in_a_term_matches_a_line_break() {
    assert_eq!(
        found("the QnA\n  maker portal"),
        vec![pair("qna-maker", "QnA\n  maker")]
    );
}

#[test]
fn code_blocks_inline_code_and_urls_are_skipped() {
    let text = "Use `LUIS` here.\n```python\nclient = LUIS()\n```\n~~~\nLUIS\n~~~\nSee https://example.com/LUIS and <https://x.test/QnA Maker>.";
    assert!(found(text).is_empty(), "{:?}", found(text));
}

#[test]
fn a_link_text_is_read_but_its_target_is_not() {
    assert_eq!(
        found("[LUIS docs](https://learn.microsoft.com/LUIS (old))"),
        vec![pair("luis", "LUIS")]
    );
    assert!(found("[docs]: https://learn.microsoft.com/LUIS\n").is_empty());
}

#[test]
fn an_unclosed_fence_hides_the_rest_of_the_text() {
    assert!(found("text\n```\nLUIS\n").is_empty());
}

#[test]
fn the_longest_of_overlapping_terms_wins() {
    assert_eq!(
        found("Azure AI Foundry Agent Service and Azure AI Foundry"),
        vec![
            pair("agent-service", "Azure AI Foundry Agent Service"),
            pair("azure-ai-foundry", "Azure AI Foundry")
        ]
    );
}

#[test]
fn a_lexicon_with_an_unknown_field_is_refused_at_that_field() {
    let text = "terms:\n  - id: x\n    kind: retired\n    words: [X]\n    replacment: Y\n    source: https://learn.microsoft.com/x\n";
    let problems = load_lexicon("l.yaml", text).expect_err("refused");
    assert_eq!(
        (problems[0].line, problems[0].column),
        (5, 5),
        "{problems:?}"
    );
    assert!(problems[0].message.contains("replacment"), "{problems:?}");
}

#[test]
fn a_lexicon_with_a_bad_date_a_duplicate_id_or_another_source_is_refused() {
    let text = "terms:\n  - { id: x, kind: retired, words: [X], date: 2026-13-01, replacement: Y, source: https://learn.microsoft.com/x }\n  - { id: x, kind: renamed, words: [Z], replacement: Y, source: https://example.com/ }\n";
    let problems = load_lexicon("l.yaml", text).expect_err("refused");
    let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
    assert!(
        messages.iter().any(|m| m.contains("2026-13-01")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("duplicate term id")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("learn.microsoft.com")),
        "{messages:?}"
    );
    assert!(problems.iter().all(|p| p.line >= 2));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { failure_persistence: None, ..Default::default() })]

    #[test]
    fn matching_any_text_finds_disjoint_uses_on_char_boundaries(
        text in "([A-Za-z ]|LUIS|luis|QnA|Maker|Azure AI Foundry|`|```\n|\\]\\(|\\)|\\]:|\\[|https://|\n|é|İ|\u{1F600}){0,40}"
    ) {
        let lex = lexicon();
        let found = find_terms(&text, &lex, TextKind::Prose);
        for pair in found.windows(2) {
            proptest::prop_assert!(pair[0].range.end <= pair[1].range.start);
        }
        for f in &found {
            proptest::prop_assert!(text.is_char_boundary(f.range.start) && text.is_char_boundary(f.range.end));
        }
        for r in skipped_ranges(&text) {
            proptest::prop_assert!(r.start <= r.end && r.end <= text.len());
        }
    }
}

#[test]
fn a_current_name_that_holds_an_old_one_is_not_a_use_of_it() {
    let lex = load_lexicon(
        "lexicon.yaml",
        r#"
terms:
  - id: cognitive-services
    kind: renamed
    words: ["Cognitive Services"]
    except: ["Cognitive Services OpenAI User"]
    replacement: "Foundry Tools"
    source: https://learn.microsoft.com/x
"#,
    )
    .expect("loads");
    let text = "Assign Cognitive Services OpenAI User, not a Cognitive Services key.";
    let found: Vec<&str> = find_terms(text, &lex, TextKind::Prose)
        .into_iter()
        .map(|f| &text[f.range])
        .collect();
    assert_eq!(found, vec!["Cognitive Services"]);
    assert_eq!(
        find_terms(
            "the cognitive services openai user role",
            &lex,
            TextKind::Prose
        )
        .len(),
        0,
        "the exception ignores case as the words do"
    );
}

#[test]
fn a_model_name_is_found_in_code_but_not_in_a_url() {
    assert_eq!(
        found("Deploy `gpt-image-1` and call it:\n```python\nclient.images.generate(model=\"gpt-image-1\")\n```\n"),
        vec![pair("gpt-image-1", "gpt-image-1"), pair("gpt-image-1", "gpt-image-1")]
    );
    assert_eq!(
        found("See https://learn.microsoft.com/azure/gpt-4/gpt-image-1 and [the page](https://x.test/gpt-4)."),
        vec![]
    );
}

#[test]
fn a_model_name_matches_the_whole_name_only() {
    assert_eq!(
        found("gpt-image-1-mini, gpt-image-1.5, gpt-4o, gpt-4.1 and my-gpt-4 are other models"),
        vec![]
    );
    assert_eq!(
        found("It used gpt-image-1. Then gpt-4-32k? No: gpt-4, and GPT-IMAGE-1."),
        vec![
            pair("gpt-image-1", "gpt-image-1"),
            pair("gpt-4", "gpt-4"),
            pair("gpt-image-1", "GPT-IMAGE-1"),
        ]
    );
}

#[test]
fn a_code_template_is_read_for_model_names_only() {
    let code =
        "# LUIS was here\nclient.responses.[[m]](model=\"gpt-4\", input=q)  # Azure AI Foundry\n";
    assert_eq!(found_in(code, TextKind::Code), vec![pair("gpt-4", "gpt-4")]);
    // Read as prose, `](…)` is a link target, which is not searched.
    assert_eq!(
        found_in(code, TextKind::Prose),
        vec![
            pair("luis", "LUIS"),
            pair("azure-ai-foundry", "Azure AI Foundry"),
        ]
    );
}
