//! The item types, the fields each allows (with a suggestion for a misspelt one) and the rule for stable ids.

/// The item types, as written in `type:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Single,
    Multiple,
    YesNoSeries,
    Order,
    Match,
    HotArea,
    CaseStudy,
}

pub(super) const KINDS: &[(&str, Kind)] = &[
    ("single", Kind::Single),
    ("multiple", Kind::Multiple),
    ("yes_no_series", Kind::YesNoSeries),
    ("order", Kind::Order),
    ("match", Kind::Match),
    ("hot_area", Kind::HotArea),
    ("case_study", Kind::CaseStudy),
];

/// Fields every question may have, and those it must have (`domain` is optional inside a case study).
pub(super) const QUESTION_FIELDS: &[&str] = &[
    "id",
    "type",
    "domain",
    "objective",
    "stem",
    "explanation",
    "references",
    "scoring",
    "points",
    "difficulty",
    "tags",
    "category",
    "mentions",
    "reviewed",
    "outline",
];
pub(super) const QUESTION_REQUIRED: &[&str] = &[
    "id",
    "type",
    "domain",
    "objective",
    "stem",
    "explanation",
    "references",
];
pub(super) const CASE_FIELDS: &[&str] = &[
    "id",
    "type",
    "domain",
    "title",
    "stem",
    "documents",
    "questions",
    "difficulty",
    "tags",
    "category",
    "mentions",
    "reviewed",
    "outline",
];
pub(super) const CASE_REQUIRED: &[&str] = &[
    "id",
    "type",
    "domain",
    "title",
    "stem",
    "documents",
    "questions",
];
pub(super) const SPECIFIC_FIELDS: &[&str] = &[
    "options",
    "answer",
    "choose",
    "statements",
    "steps",
    "choices",
    "slots",
    "reuse",
    "template",
    "template_language",
];

impl Kind {
    pub(super) fn parse(name: &str) -> Option<Kind> {
        KINDS.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
    }

    pub(super) fn name(self) -> &'static str {
        KINDS
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("", |(n, _)| n)
    }

    /// The type's own fields: (required, optional).
    pub(super) fn specific(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Kind::Single => (&["options", "answer"], &[]),
            Kind::Multiple => (&["choose", "options", "answer"], &[]),
            Kind::YesNoSeries => (&["statements"], &[]),
            Kind::Order => (&["steps", "answer"], &[]),
            Kind::Match => (&["choices", "slots", "answer"], &["reuse"]),
            Kind::HotArea => (&["template", "slots"], &["template_language"]),
            Kind::CaseStudy => (&[], &[]),
        }
    }

    pub(super) fn allows(self, field: &str) -> bool {
        if self == Kind::CaseStudy {
            return CASE_FIELDS.contains(&field);
        }
        let (req, opt) = self.specific();
        QUESTION_FIELDS.contains(&field) || req.contains(&field) || opt.contains(&field)
    }

    pub(super) fn allowed(self) -> Vec<&'static str> {
        if self == Kind::CaseStudy {
            return CASE_FIELDS.to_vec();
        }
        let (req, opt) = self.specific();
        QUESTION_FIELDS
            .iter()
            .chain(req)
            .chain(opt)
            .copied()
            .collect()
    }
}

pub(super) fn is_known_field(field: &str) -> bool {
    QUESTION_FIELDS.contains(&field)
        || CASE_FIELDS.contains(&field)
        || SPECIFIC_FIELDS.contains(&field)
}

/// Edit distance, for "did you mean" hints.
pub(super) fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

pub(super) fn suggestion(field: &str, candidates: &[&str]) -> String {
    candidates
        .iter()
        .map(|c| (distance(field, c), c))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, c)| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

/// A valid stable id: lowercase letters, digits, `-`, `_` and `.`.
pub(super) fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}
