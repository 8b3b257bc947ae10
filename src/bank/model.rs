//! The question-pack model: packs, items of every type, and the blueprint they target.
//!
//! These types are the format (see docs/question-format.md); the JSON Schema in docs/ is generated from them.
//! They derive `Deserialize` with `deny_unknown_fields`, so a typo in a pack is an error, not a silent default.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One file of a pack: optional metadata and a list of items.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PackFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pack: Option<PackMeta>,
    #[serde(default)]
    pub items: Vec<Item>,
}

/// A pack's metadata.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PackMeta {
    pub id: String,
    pub title: String,
    pub version: u32,
    pub blueprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A whole pack, once loaded: its metadata and all items of all its files.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Pack {
    pub meta: PackMeta,
    pub items: Vec<Item>,
}

/// How an item's points are earned.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ScoringRule {
    /// One point per correct element (selection, statement, position, slot).
    #[default]
    Partial,
    /// Full points only when every element is right.
    AllOrNothing,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Difficulty {
    Easy,
    Medium,
    Hard,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum YesNo {
    Yes,
    No,
}

/// A choosable thing with an id and inline-Markdown text: an option, a step, a choice or a slot label.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    pub id: String,
    pub text: String,
    pub answer: YesNo,
}

/// A drop-down in a hot-area template.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HotSlot {
    pub id: String,
    pub options: Vec<Choice>,
    pub answer: String,
}

/// A titled document of a case study.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub id: String,
    pub title: String,
    pub body: String,
}

/// Fields every scored question has.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Common {
    pub id: String,
    /// Optional inside a case study (it defaults to the case study's domain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    pub objective: String,
    pub stem: String,
    pub explanation: String,
    pub references: Vec<String>,
    #[serde(default)]
    pub scoring: ScoringRule,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difficulty: Option<Difficulty>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The source's category (a Moodle category, say), kept so that an export and a re-import keep it; where
    /// the item sits in the blueprint is `domain` and `objective`. Not part of what candidates see.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Retired or renamed things (lexicon terms, `question-bank/lexicon.yaml`) the item names on purpose, as a
    /// distractor or as migration context.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<String>,
    /// When the item was last checked against the current documentation (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed: Option<String>,
    /// The exam outline version the item was written for (`ai-103-2026-04`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outline: Option<String>,
}

/// A scored question: common fields plus its type's body.
///
/// (serde cannot combine `flatten` with `deny_unknown_fields`: files are read through the checker's raw layer,
/// which rejects unknown fields; this type is for data that has already been checked.)
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Question {
    #[serde(flatten)]
    pub common: Common,
    #[serde(flatten)]
    pub body: Body,
}

/// The type-specific part of a question (the `type` field picks it).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Body {
    Single {
        options: Vec<Choice>,
        answer: String,
    },
    Multiple {
        choose: u32,
        options: Vec<Choice>,
        answer: Vec<String>,
    },
    YesNoSeries {
        statements: Vec<Statement>,
    },
    Order {
        steps: Vec<Choice>,
        answer: Vec<String>,
    },
    Match {
        choices: Vec<Choice>,
        slots: Vec<Choice>,
        answer: BTreeMap<String, String>,
        #[serde(default)]
        reuse: bool,
    },
    HotArea {
        template: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        template_language: Option<String>,
        slots: Vec<HotSlot>,
    },
}

/// A case study: a scenario with documents and 2–6 questions that are kept together.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CaseStudy {
    pub id: String,
    pub domain: String,
    pub title: String,
    pub stem: String,
    pub documents: Vec<Document>,
    pub questions: Vec<Question>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difficulty: Option<Difficulty>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The source's category (a Moodle category, say), kept so that an export and a re-import keep it; where
    /// the item sits in the blueprint is `domain` and `objective`. Not part of what candidates see.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Retired or renamed things (lexicon terms, `question-bank/lexicon.yaml`) the item names on purpose, as a
    /// distractor or as migration context.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<String>,
    /// When the item was last checked against the current documentation (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed: Option<String>,
    /// The exam outline version the item was written for (`ai-103-2026-04`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outline: Option<String>,
}

/// An entry of a pack's `items:` list: a question, or a case study that holds questions.
///
/// Deserialised by looking at `type` first, so that errors point into the right shape.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum Item {
    CaseStudy(CaseStudyItem),
    Question(Question),
}

/// A case study as it appears in a file (with `type: case_study`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CaseStudyItem {
    CaseStudy(CaseStudy),
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let is_case = value.get("type").and_then(|t| t.as_str()) == Some("case_study");
        if is_case {
            CaseStudyItem::deserialize(value)
                .map(Item::CaseStudy)
                .map_err(serde::de::Error::custom)
        } else {
            Question::deserialize(value)
                .map(Item::Question)
                .map_err(serde::de::Error::custom)
        }
    }
}

impl Item {
    pub fn id(&self) -> &str {
        match self {
            Item::CaseStudy(CaseStudyItem::CaseStudy(c)) => &c.id,
            Item::Question(q) => &q.common.id,
        }
    }

    /// The scored questions of this entry (one, or a case study's), with their effective domain.
    pub fn questions(&self) -> Vec<(&Question, &str)> {
        match self {
            Item::CaseStudy(CaseStudyItem::CaseStudy(c)) => c
                .questions
                .iter()
                .map(|q| (q, q.common.domain.as_deref().unwrap_or(&c.domain)))
                .collect(),
            Item::Question(q) => vec![(q, q.common.domain.as_deref().unwrap_or(""))],
        }
    }

    pub fn case_study(&self) -> Option<&CaseStudy> {
        match self {
            Item::CaseStudy(CaseStudyItem::CaseStudy(c)) => Some(c),
            Item::Question(_) => None,
        }
    }
}

/// Every question type, as packs name it ([`Body::type_name`]), in the order the format lists them.
pub const QUESTION_TYPES: [&str; 6] = [
    "single",
    "multiple",
    "yes_no_series",
    "order",
    "match",
    "hot_area",
];

impl Body {
    /// The type's name as written in packs.
    pub fn type_name(&self) -> &'static str {
        match self {
            Body::Single { .. } => "single",
            Body::Multiple { .. } => "multiple",
            Body::YesNoSeries { .. } => "yes_no_series",
            Body::Order { .. } => "order",
            Body::Match { .. } => "match",
            Body::HotArea { .. } => "hot_area",
        }
    }

    /// How many scoreable elements the question has (its default points).
    pub fn elements(&self) -> u32 {
        let n = match self {
            Body::Single { .. } => 1,
            Body::Multiple { answer, .. } => answer.len(),
            Body::YesNoSeries { statements } => statements.len(),
            Body::Order { answer, .. } => answer.len(),
            Body::Match { slots, .. } => slots.len(),
            Body::HotArea { slots, .. } => slots.len(),
        };
        u32::try_from(n).unwrap_or(u32::MAX).max(1)
    }
}

impl Question {
    /// The question's maximum points: `points` when given, else one per element.
    pub fn max_points(&self) -> u32 {
        self.common.points.unwrap_or_else(|| self.body.elements())
    }
}

/// The exam blueprint: domains with weight ranges and objectives.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Blueprint {
    pub id: String,
    pub exam: String,
    pub title: String,
    pub version: String,
    #[serde(default = "default_passing_score")]
    pub passing_score: u32,
    pub domains: Vec<Domain>,
}

fn default_passing_score() -> u32 {
    700
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    pub id: String,
    pub title: String,
    pub weight: WeightRange,
    pub objectives: Vec<Objective>,
}

/// A domain's share of the scored items, in percent.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WeightRange {
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Objective {
    pub id: String,
    pub title: String,
    /// The official outline's skill group the objective sits under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Microsoft Learn pages that teach the objective.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub learn: Vec<String>,
}

impl Blueprint {
    pub fn domain(&self, id: &str) -> Option<&Domain> {
        self.domains.iter().find(|d| d.id == id)
    }

    /// The AI-102 blueprint shipped with the binary (question-bank/exams/ai-102/blueprint.yaml): the one a
    /// pack without a blueprint of its own is checked against. Every shipped exam is in `bank::exam::SHIPPED`.
    pub const SHIPPED_YAML: &'static str =
        include_str!("../../question-bank/exams/ai-102/blueprint.yaml");
}
