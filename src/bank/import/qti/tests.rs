//! Unit tests of `qti`.

use super::*;

const CHOICE21: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="kv" title="Key Vault">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
    <correctResponse><value>B</value></correctResponse>
  </responseDeclaration>
  <itemBody>
    <p>Where should the app keep the Azure AI key?</p>
    <choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">
      <prompt>Pick one.</prompt>
      <simpleChoice identifier="A">In <code>appsettings.json</code></simpleChoice>
      <simpleChoice identifier="B">In Azure Key Vault</simpleChoice>
    </choiceInteraction>
  </itemBody>
  <responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"/>
  <modalFeedback outcomeIdentifier="FEEDBACK" identifier="fb" showHide="show" title="Why">Key Vault keeps secrets.</modalFeedback>
</assessmentItem>"#;

#[test]
fn a_qti21_choice_becomes_single_with_stem_prompt_and_feedback() {
    let report = parse_item("kv.xml", CHOICE21);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let q = &report.items[0].question;
    assert_eq!(q.common.id, "key-vault");
    assert_eq!(
        q.common.stem,
        "<p>Where should the app keep the Azure AI key?</p>\n<p>Pick one.</p>"
    );
    assert_eq!(q.common.explanation, "**Why**: Key Vault keeps secrets.");
    let Body::Single { options, answer } = &q.body else {
        panic!("single")
    };
    assert_eq!(answer, "B");
    assert_eq!(options[0].text, "In <code>appsettings.json</code>");
    assert_eq!(report.items[0].line, 2);
}

#[test]
fn an_unsupported_interaction_is_refused_naming_the_item() {
    let text = r#"<qti-assessment-item identifier="essay-1" title="Explain RAG">
<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="string"/>
<qti-item-body>
<qti-extended-text-interaction response-identifier="RESPONSE"/>
</qti-item-body></qti-assessment-item>"#;
    let report = parse_item("e.xml", text);
    assert!(report.items.is_empty());
    let p = &report.problems[0];
    assert_eq!(
        (p.line, p.item.as_deref()),
        (4, Some("essay-1 (Explain RAG)"))
    );
    assert!(
        p.message
            .contains("`extendedTextInteraction` is not supported"),
        "{}",
        p.message
    );
}

#[test]
fn inline_choices_become_a_hot_area_template() {
    let text = r#"<qti-assessment-item identifier="hot" title="Hot">
<qti-response-declaration identifier="op" cardinality="single" base-type="identifier">
<qti-correct-response><qti-value>s</qti-value></qti-correct-response></qti-response-declaration>
<qti-item-body><p>Complete the call.</p>
<p>client.<qti-inline-choice-interaction response-identifier="op"><qti-inline-choice identifier="s">search</qti-inline-choice><qti-inline-choice identifier="u">upload</qti-inline-choice></qti-inline-choice-interaction>(query)</p>
</qti-item-body></qti-assessment-item>"#;
    let report = parse_item("h.xml", text);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let q = &report.items[0].question;
    let Body::HotArea {
        template, slots, ..
    } = &q.body
    else {
        panic!("hot area")
    };
    assert_eq!(template, "client.[[op]](query)");
    assert_eq!(slots[0].answer, "s");
    assert!(q.common.stem.starts_with("<p>Complete the call.</p>"));
}

#[test]
fn a_match_with_yes_and_no_targets_is_a_yes_no_series() {
    let text = r#"<assessmentItem identifier="yn" title="YN">
<responseDeclaration identifier="R" cardinality="multiple" baseType="directedPair">
<correctResponse><value>s1 yes</value><value>s2 no</value></correctResponse></responseDeclaration>
<itemBody><p>For each statement…</p><matchInteraction responseIdentifier="R">
<simpleMatchSet><simpleAssociableChoice identifier="s1" matchMax="1">PII can be redacted.</simpleAssociableChoice><simpleAssociableChoice identifier="s2" matchMax="1">It needs training.</simpleAssociableChoice></simpleMatchSet>
<simpleMatchSet><simpleAssociableChoice identifier="yes" matchMax="0">Yes</simpleAssociableChoice><simpleAssociableChoice identifier="no" matchMax="0">No</simpleAssociableChoice></simpleMatchSet>
</matchInteraction></itemBody></assessmentItem>"#;
    let report = parse_item("yn.xml", text);
    let Body::YesNoSeries { statements } = &report.items[0].question.body else {
        panic!("yes/no")
    };
    assert_eq!(statements[1].answer, YesNo::No);
}
