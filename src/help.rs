//! The help documents users read at `/help`: the user-facing files of `docs/`, compiled into the binary (so the
//! container image, which has no `docs/` folder, serves them and the repository and the site never disagree),
//! and the one place that says which section of them explains a problem of a pack. Pure.

/// One help document.
#[derive(Debug, Clone, Copy)]
pub struct Doc {
    /// Its address under `/help/` and the stem of its file in `docs/`.
    pub name: &'static str,
    pub title: &'static str,
    /// One line for the index.
    pub summary: &'static str,
    /// Who it is mostly for, for the index's grouping.
    pub audience: Audience,
    pub markdown: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Everyone,
    Instructors,
}

/// Every help document, in the index's order.
pub const DOCS: &[Doc] = &[
    Doc {
        name: "exams",
        title: "The exam catalogue",
        summary: "Exam statuses, retired exams, your target exam, mock exams and practice.",
        audience: Audience::Everyone,
        markdown: include_str!("../docs/exams.md"),
    },
    Doc {
        name: "scoring",
        title: "Scoring",
        summary: "How your score is calculated: partial credit, the 1–1000 scale, the pass mark, domain bands.",
        audience: Audience::Everyone,
        markdown: include_str!("../docs/scoring.md"),
    },
    Doc {
        name: "readiness",
        title: "Readiness and the study loop",
        summary: "How your chance of passing the next mock is estimated, the booking rule, spaced review of what you missed, and the plan to your exam date.",
        audience: Audience::Everyone,
        markdown: include_str!("../docs/readiness.md"),
    },
    Doc {
        name: "classes",
        title: "Classes",
        summary: "Joining a class, what its assignments allow, when answers are shown, and the instructor's gradebook.",
        audience: Audience::Everyone,
        markdown: include_str!("../docs/classes.md"),
    },
    Doc {
        name: "account",
        title: "Your account",
        summary: "Signing in with a password or a work account, password reset, your address, the mail you can ask for, and your data.",
        audience: Audience::Everyone,
        markdown: include_str!("../docs/account.md"),
    },
    Doc {
        name: "question-format",
        title: "The question-pack format",
        summary: "What each item type looks like, every field, and every problem the checker reports.",
        audience: Audience::Instructors,
        markdown: include_str!("../docs/question-format.md"),
    },
    Doc {
        name: "importing-text",
        title: "Importing GIFT, Aiken and CSV files",
        summary: "How questions from Moodle GIFT, Aiken and CSV files become items.",
        audience: Audience::Instructors,
        markdown: include_str!("../docs/importing-text.md"),
    },
    Doc {
        name: "importing-xml",
        title: "Importing Moodle XML and QTI",
        summary: "How Moodle XML and IMS QTI 2.1/3.0 files are read, and the QTI 3.0 export.",
        audience: Audience::Instructors,
        markdown: include_str!("../docs/importing-xml.md"),
    },
];

/// The machine-readable JSON Schema of a pack file, served beside the format's page.
pub const SCHEMA_NAME: &str = "question-format.schema.json";
pub const SCHEMA_JSON: &str = include_str!("../docs/question-format.schema.json");

/// The document named `name` (its address under `/help/`).
pub fn doc(name: &str) -> Option<&'static Doc> {
    DOCS.iter().find(|d| d.name == name)
}

/// Where a link written in a help document goes on the site, or `None` when it points into the source tree
/// (it is then shown as plain text). Links to other documents (`scoring.md#x`, `docs/scoring.md`) become
/// `/help` links; web addresses, anchors of the same page and site paths stay as they are.
pub fn resolve_link(dest: &str) -> Option<String> {
    if dest.starts_with("https://")
        || dest.starts_with("http://")
        || dest.starts_with("mailto:")
        || dest.starts_with('#')
        || (dest.starts_with('/') && !dest.starts_with("//"))
    {
        return Some(dest.to_owned());
    }
    let (path, fragment) = match dest.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (dest, None),
    };
    let file = path.rsplit('/').next().unwrap_or(path);
    if file == SCHEMA_NAME {
        return Some(format!("/help/{SCHEMA_NAME}"));
    }
    let stem = file.strip_suffix(".md")?;
    let doc = doc(stem)?;
    Some(match fragment {
        Some(f) => format!("/help/{}#{f}", doc.name),
        None => format!("/help/{}", doc.name),
    })
}

/// A heading's anchor, as GitHub makes it (so links work in the repository and on the site alike): lowercase,
/// letters, digits, `-` and `_` kept, spaces made `-`, everything else dropped.
pub fn slug(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                Some(c.to_lowercase().collect::<String>())
            } else if c == ' ' {
                Some("-".to_owned())
            } else {
                None
            }
        })
        .collect()
}

/// The section of `question-format.md` about each kind of problem that `bank check` reports, found from the
/// problem's message. The one place that maps a problem to its help: the checker's messages are its API.
/// Order matters: the first rule whose text is found wins.
const PROBLEM_RULES: &[(&[&str], &str)] = &[
    (&["syntax error"], "syntax-errors"),
    (
        &["is not a lexicon term", "is in the keyed answer"],
        "the-lexicon-retired-renamed-and-deprecated-names",
    ),
    (
        &[
            "is the author: a second reader",
            "is not one of the item's references",
        ],
        "review-metadata-and-the-review-log",
    ),
    (
        &[
            "needs a `retires_on` date",
            "use `retired`",
            "is still to come on",
        ],
        "exams-roots-and-bank-checkstatsstatus",
    ),
    (&["duplicate key `"], "duplicate-keys"),
    (&["not valid UTF-8"], "text-that-is-not-utf-8"),
    (
        &[
            "missing pack metadata",
            "`pack:` metadata",
            "a pack file must be a mapping",
        ],
        "missing-or-duplicate-pack-metadata",
    ),
    (&["the pack targets blueprint"], "wrong-blueprint"),
    (
        &[
            "unknown field",
            "unknown top-level field",
            "does not belong to",
        ],
        "unknown-fields",
    ),
    (&["missing field"], "missing-fields"),
    (&["unknown type"], "unknown-item-type"),
    (&["may hold only lowercase", "the id must stay"], "ids"),
    (
        &[
            "duplicate domain id",
            "duplicate objective id",
            "must be 0 ≤ min ≤ max",
        ],
        "blueprint-problems",
    ),
    (&["duplicate item id", "duplicate "], "duplicate-ids"),
    (
        &["unknown domain", "unknown objective", "belongs to domain"],
        "unknown-domain-or-objective",
    ),
    (
        &["link to document", "has an empty body"],
        "case-study-documents",
    ),
    (&["empty `"], "empty-stem-or-explanation"),
    (&["no references", "is not an http(s) URL"], "references"),
    (&["`choose` is"], "choose-and-the-number-of-answers"),
    (
        &["but `reuse` is not true"],
        "a-choice-used-twice-without-reuse",
    ),
    (
        &["placeholder `[[", "in the template"],
        "hot-area-templates",
    ),
    (
        &["a case study needs", "cannot contain another case study"],
        "case-study-size",
    ),
    (&["needs at least"], "too-few-options"),
    (
        &[
            "names no ",
            "`answer` is empty",
            "answer gives no choice",
            "is listed twice",
            "appears twice in the answer",
            "which does not exist",
        ],
        "answers-that-name-nothing",
    ),
    (
        &[
            "invalid type",
            "invalid value",
            "unknown variant",
            "must be at least 1",
            "must be a mapping",
            "mapping key must be a scalar",
            "unsupported tag",
            "is not a valid !!",
            "expected a list",
        ],
        "wrong-value-types",
    ),
];

/// Every anchor of `question-format.md` that [`problem_anchor`] may answer.
pub fn problem_anchors() -> impl Iterator<Item = &'static str> {
    PROBLEM_RULES.iter().map(|(_, anchor)| *anchor)
}

/// The anchor in `question-format.md` of the rule a problem breaks, from its message; `None` for problems of
/// the other formats' readers (GIFT, XML, …), which [`problem_help`] sends to that format's page.
pub fn problem_anchor(message: &str) -> Option<&'static str> {
    PROBLEM_RULES
        .iter()
        .find(|(needles, _)| needles.iter().any(|n| message.contains(n)))
        .map(|(_, anchor)| *anchor)
}

/// The help page (path and anchor) about a format, by its name as the upload form and `Format::name` give it.
pub fn format_help(format: &str) -> &'static str {
    match format {
        "gift" => "/help/importing-text#gift-moodle",
        "aiken" => "/help/importing-text#aiken",
        "csv" => "/help/importing-text#csv",
        "moodle-xml" => "/help/importing-xml#moodle-xml",
        "qti" => "/help/importing-xml#qti-21-and-30",
        _ => "/help/question-format",
    }
}

/// Where the help about one problem of an upload in `format` is: its rule's section of the pack format, or
/// the importing page of the format for a problem of that format's reader.
pub fn problem_help(message: &str, format: &str) -> String {
    match problem_anchor(message) {
        Some(anchor) => format!("/help/question-format#{anchor}"),
        None => format_help(format).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_get_github_anchors() {
        assert_eq!(
            slug("`single`: one correct option"),
            "single-one-correct-option"
        );
        assert_eq!(
            slug("What `ai102 bank check` reports"),
            "what-ai102-bank-check-reports"
        );
        assert_eq!(slug("QTI 2.1 and 3.0"), "qti-21-and-30");
        assert_eq!(slug("GIFT (Moodle)"), "gift-moodle");
    }

    #[test]
    fn links_into_the_source_tree_become_help_links_or_nothing() {
        assert_eq!(
            resolve_link("scoring.md#trial-items").as_deref(),
            Some("/help/scoring#trial-items")
        );
        assert_eq!(
            resolve_link("docs/readiness.md").as_deref(),
            Some("/help/readiness")
        );
        assert_eq!(
            resolve_link("question-format.schema.json").as_deref(),
            Some("/help/question-format.schema.json")
        );
        assert_eq!(resolve_link("../src/scoring/mod.rs"), None);
        assert_eq!(resolve_link("architecture.md"), None, "not a help page");
        assert_eq!(resolve_link("//evil.example/x"), None);
        assert_eq!(
            resolve_link("https://learn.microsoft.com/").as_deref(),
            Some("https://learn.microsoft.com/")
        );
    }

    #[test]
    fn each_kind_of_problem_has_its_own_section() {
        for (message, anchor) in [
            ("syntax error: did not find expected key", "syntax-errors"),
            ("duplicate key `stem` (first at line 3)", "duplicate-keys"),
            (
                "unknown field `explaination` (did you mean `explanation`?)",
                "unknown-fields",
            ),
            ("missing field `references`", "missing-fields"),
            (
                "duplicate option id `a` (also at `options[0]`)",
                "duplicate-ids",
            ),
            (
                "answer `z` names no option (options: `a`, `b`)",
                "answers-that-name-nothing",
            ),
            (
                "a `single` item needs at least 2 options; it has 1",
                "too-few-options",
            ),
            (
                "slot `qt` does not appear in the template (write `[[qt]]` where it goes)",
                "hot-area-templates",
            ),
            (
                "a case study needs 2 to 6 questions; it has 7",
                "case-study-size",
            ),
            (
                "link to document `#nope`, which this case study does not have",
                "case-study-documents",
            ),
            ("empty `stem`", "empty-stem-or-explanation"),
            (
                "domain `plan` has weight 30–20: it must be 0 ≤ min ≤ max ≤ 100",
                "blueprint-problems",
            ),
        ] {
            assert_eq!(problem_anchor(message), Some(anchor), "{message}");
        }
        assert_eq!(
            problem_help("GIFT numerical question \"Pi\" is not supported", "gift"),
            "/help/importing-text#gift-moodle"
        );
    }
}
