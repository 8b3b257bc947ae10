//! The exam catalogue's model: one `exam.yaml` per exam (code, title, credential, status, dates, successor,
//! outline, format, default forms), the rule that a status agrees with its dates, and the built-in catalogue.
//!
//! Pure: the files are given as text. `question-bank/exams/<folder>/exam.yaml` sits beside that exam's
//! `blueprint.yaml` and items.

use super::check::Problem;
use super::model::Blueprint;
use super::yaml;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;

/// Where an exam stands with Microsoft.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ExamStatus {
    /// Bookable, with an outline that may still change.
    Beta,
    /// Bookable.
    Live,
    /// Bookable until its `retires_on` date.
    Retiring,
    /// No longer bookable.
    Retired,
}

impl ExamStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExamStatus::Beta => "beta",
            ExamStatus::Live => "live",
            ExamStatus::Retiring => "retiring",
            ExamStatus::Retired => "retired",
        }
    }

    pub fn parse(s: &str) -> Option<ExamStatus> {
        Some(match s {
            "beta" => ExamStatus::Beta,
            "live" => ExamStatus::Live,
            "retiring" => ExamStatus::Retiring,
            "retired" => ExamStatus::Retired,
            _ => return None,
        })
    }

    /// Candidates can still book it.
    pub fn bookable(self) -> bool {
        !matches!(self, ExamStatus::Retired)
    }
}

/// The outline (skills measured) an exam's blueprint follows.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Outline {
    /// The date printed on the official outline ("skills measured as of …"), when confirmed.
    #[serde(default, with = "ymd_opt", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub date: Option<Date>,
    /// Our short name of this outline version, written on items (`outline: ai-103-2026-04`).
    pub version: String,
    /// The official page the outline was taken from.
    pub source: String,
}

/// The range of scored questions the real exam shows.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QuestionRange {
    pub min: u32,
    pub max: u32,
}

/// A form created for the exam when its bank is loaded (`make run`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DefaultForm {
    /// Unique across every exam (URLs use it).
    pub slug: String,
    pub title: String,
    pub description: String,
    pub items: u32,
    pub minutes: u32,
    #[serde(default)]
    pub case_studies: u32,
}

/// One exam of the catalogue, as `exam.yaml` states it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Exam {
    /// Microsoft's exam code, e.g. `AI-103`.
    pub code: String,
    pub title: String,
    /// The certification the exam leads to.
    pub credential: String,
    pub status: ExamStatus,
    /// The first day it could be booked (the beta included), when an official page says so.
    #[serde(default, with = "ymd_opt", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub available_from: Option<Date>,
    /// The last day it can be taken, when announced.
    #[serde(default, with = "ymd_opt", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub retires_on: Option<Date>,
    /// The code of the exam that replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successor: Option<String>,
    /// The id of the blueprint beside this file (`blueprint.yaml`'s `id`).
    pub blueprint: String,
    pub outline: Outline,
    /// Seat time in minutes, as the exam's page gives it.
    pub duration_minutes: u32,
    pub questions: QuestionRange,
    pub passing_score: u32,
    /// Where the facts above come from, and what could not be confirmed on an official page.
    pub source: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forms: Vec<DefaultForm>,
}

impl Exam {
    /// The folder and URL name of the exam: its code in lower case (`ai-103`).
    pub fn slug(&self) -> String {
        self.code.to_ascii_lowercase()
    }

    /// The status its dates imply on `today`: retired from the day after `retires_on`, retiring before it,
    /// otherwise the stated status (beta and live cannot be told apart by dates alone).
    pub fn status_on(&self, today: Date) -> ExamStatus {
        match self.retires_on {
            Some(last) if today > last => ExamStatus::Retired,
            Some(_) if self.status != ExamStatus::Beta => ExamStatus::Retiring,
            _ => self.status,
        }
    }

    /// Every way the stated status contradicts the dates on `today`, as messages.
    pub fn date_contradictions(&self, today: Date) -> Vec<String> {
        let mut out = Vec::new();
        if let (Some(from), Some(last)) = (self.available_from, self.retires_on) {
            if from > last {
                out.push(format!(
                    "`available_from` ({from}) is after `retires_on` ({last})"
                ));
            }
        }
        match (self.status, self.retires_on) {
            (ExamStatus::Retired, None) => {
                out.push("status `retired` needs a `retires_on` date".to_owned())
            }
            (ExamStatus::Retired, Some(last)) if today <= last => out.push(format!(
                "status `retired`, but `retires_on` ({last}) is not yet past on {today}: use `retiring`"
            )),
            (ExamStatus::Retiring, None) => {
                out.push("status `retiring` needs a `retires_on` date".to_owned())
            }
            (s @ (ExamStatus::Live | ExamStatus::Beta | ExamStatus::Retiring), Some(last))
                if today > last =>
            {
                out.push(format!(
                    "status `{}`, but `retires_on` ({last}) is past on {today}: use `retired`",
                    s.as_str()
                ))
            }
            _ => {}
        }
        if let Some(from) = self.available_from {
            if today < from && self.status != ExamStatus::Beta {
                out.push(format!(
                    "status `{}`, but `available_from` ({from}) is still to come on {today}",
                    self.status.as_str()
                ));
            }
        }
        if self.questions.min > self.questions.max || self.questions.min == 0 {
            out.push(format!(
                "`questions` {}–{} must be 1 ≤ min ≤ max",
                self.questions.min, self.questions.max
            ));
        }
        if !(1..=1000).contains(&self.passing_score) {
            out.push(format!(
                "`passing_score` {} must be on the 1–1000 scale",
                self.passing_score
            ));
        }
        out
    }
}

/// A calendar date written `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    let mut parts = s.trim().splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
}

/// A calendar date written `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The code of the shipped exam whose blueprint this is (`AI-103`), or the blueprint id itself.
pub fn code_of_blueprint(blueprint_id: &str) -> String {
    shipped_exam(blueprint_id)
        .map(|(e, _)| e.code.clone())
        .unwrap_or_else(|| blueprint_id.to_owned())
}

/// `YYYY-MM-DD` for serde (the `time` crate's own serde form is a tuple).
pub mod ymd {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&super::format_date(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_date(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("`{s}` is not a date written YYYY-MM-DD"))
        })
    }
}

/// [`ymd`] for an optional date.
pub mod ymd_opt {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::ymd::serialize(d, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => super::parse_date(&s).map(Some).ok_or_else(|| {
                serde::de::Error::custom(format!("`{s}` is not a date written YYYY-MM-DD"))
            }),
        }
    }
}

/// Reads an `exam.yaml`; problems carry file, line and column.
pub fn load_exam(name: &str, text: &str) -> Result<Exam, Vec<Problem>> {
    let at = |line: usize, column: usize, message: String| Problem {
        file: name.to_owned(),
        line,
        column,
        item: None,
        message,
    };
    let loaded = yaml::parse(text).map_err(|e| vec![at(e.line, e.column, e.message)])?;
    let mut problems: Vec<Problem> = loaded
        .problems
        .iter()
        .map(|e| at(e.line, e.column, e.message.clone()))
        .collect();
    let value = loaded.root.to_json();
    match serde_path_to_error::deserialize::<_, Exam>(&value) {
        Ok(exam) => {
            if problems.is_empty() {
                Ok(exam)
            } else {
                Err(problems)
            }
        }
        Err(err) => {
            let path = yaml::path_segments(err.path());
            let (line, column) = loaded.root.locate(&path);
            let shown = yaml::format_path(&path);
            let inner = err.inner().to_string();
            problems.push(at(
                line,
                column,
                if shown.is_empty() {
                    inner
                } else {
                    format!("`{shown}`: {inner}")
                },
            ));
            Err(problems)
        }
    }
}

/// Checks an exam against its blueprint and the date `today`; each problem is located at the field.
pub fn check_exam(
    name: &str,
    text: &str,
    exam: &Exam,
    blueprint: &Blueprint,
    today: Date,
) -> Vec<Problem> {
    let locate = |field: &str| -> (usize, usize) {
        yaml::parse(text)
            .map(|l| l.root.locate(&[yaml::PathSeg::Key(field.to_owned())]))
            .unwrap_or((1, 1))
    };
    let mut out = Vec::new();
    let mut push = |field: &str, message: String| {
        let (line, column) = locate(field);
        out.push(Problem {
            file: name.to_owned(),
            line,
            column,
            item: None,
            message,
        });
    };
    for m in exam.date_contradictions(today) {
        let field = if m.starts_with("`questions`") {
            "questions"
        } else if m.starts_with("`passing_score`") {
            "passing_score"
        } else {
            "status"
        };
        push(field, m);
    }
    if exam.blueprint != blueprint.id {
        push(
            "blueprint",
            format!(
                "`blueprint: {}` but the blueprint beside it has id `{}`",
                exam.blueprint, blueprint.id
            ),
        );
    }
    if !exam.code.eq_ignore_ascii_case(&blueprint.exam) {
        push(
            "code",
            format!(
                "code `{}` but the blueprint is for exam `{}`",
                exam.code, blueprint.exam
            ),
        );
    }
    if exam.passing_score != blueprint.passing_score {
        push(
            "passing_score",
            format!(
                "passing score {} but the blueprint says {}",
                exam.passing_score, blueprint.passing_score
            ),
        );
    }
    out
}

/// The pack folders under a bank root: each `exams/<folder>/` that holds a `pack.yaml`, in name order, or
/// the root itself when it has no `exams/` folder (a single pack, as instructors' folders are).
///
/// # Errors
/// An I/O error listing the folder.
pub fn pack_dirs(root: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let exams = root.join("exams");
    if !exams.is_dir() {
        return Ok(vec![root.to_path_buf()]);
    }
    let mut out: Vec<_> = std::fs::read_dir(&exams)?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .map(|e| e.path())
        .filter(|p| p.join("pack.yaml").is_file())
        .collect();
    out.sort();
    Ok(out)
}

/// The exams built into the binary: (exam.yaml, blueprint.yaml) of each shipped exam, newest first.
pub const SHIPPED: &[(&str, &str, &str)] = &[
    (
        "question-bank/exams/ai-103",
        include_str!("../../question-bank/exams/ai-103/exam.yaml"),
        include_str!("../../question-bank/exams/ai-103/blueprint.yaml"),
    ),
    (
        "question-bank/exams/ai-102",
        include_str!("../../question-bank/exams/ai-102/exam.yaml"),
        include_str!("../../question-bank/exams/ai-102/blueprint.yaml"),
    ),
];

/// The shipped exams with their blueprints.
///
/// # Panics
/// Never for a binary whose tests passed: `shipped_catalogue_loads` checks the files.
pub fn shipped() -> &'static [(Exam, Blueprint)] {
    static CATALOGUE: std::sync::OnceLock<Vec<(Exam, Blueprint)>> = std::sync::OnceLock::new();
    CATALOGUE.get_or_init(|| {
        SHIPPED
            .iter()
            .map(|(dir, exam, bp)| {
                let exam = load_exam(&format!("{dir}/exam.yaml"), exam)
                    .unwrap_or_else(|p| panic!("shipped exam.yaml: {p:?}"));
                let bp = super::check::load_blueprint(&format!("{dir}/blueprint.yaml"), bp)
                    .unwrap_or_else(|p| panic!("shipped blueprint.yaml: {p:?}"));
                (exam, bp)
            })
            .collect()
    })
}

/// The shipped exam whose blueprint id or code (any case) is `key`.
pub fn shipped_exam(key: &str) -> Option<&'static (Exam, Blueprint)> {
    shipped()
        .iter()
        .find(|(e, b)| b.id == key || e.code.eq_ignore_ascii_case(key) || e.slug() == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn exam(status: ExamStatus, from: Option<Date>, last: Option<Date>) -> Exam {
        Exam {
            code: "AI-999".into(),
            title: "T".into(),
            credential: "C".into(),
            status,
            available_from: from,
            retires_on: last,
            successor: None,
            blueprint: "ai999".into(),
            outline: Outline {
                date: Some(date!(2026 - 04 - 16)),
                version: "ai-999-2026-04".into(),
                source: "https://learn.microsoft.com/".into(),
            },
            duration_minutes: 100,
            questions: QuestionRange { min: 40, max: 60 },
            passing_score: 700,
            source: "test".into(),
            forms: vec![],
        }
    }

    #[test]
    fn live_with_a_past_retirement_date_is_a_contradiction() {
        let e = exam(ExamStatus::Live, None, Some(date!(2026 - 06 - 30)));
        let found = e.date_contradictions(date!(2026 - 12 - 03));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("use `retired`"), "{found:?}");
        assert_eq!(e.status_on(date!(2026 - 12 - 03)), ExamStatus::Retired);
    }

    #[test]
    fn retired_on_its_last_day_is_still_retiring() {
        let e = exam(ExamStatus::Retired, None, Some(date!(2026 - 06 - 30)));
        assert!(!e.date_contradictions(date!(2026 - 06 - 30)).is_empty());
        assert!(e.date_contradictions(date!(2026 - 07 - 01)).is_empty());
        assert_eq!(e.status_on(date!(2026 - 06 - 30)), ExamStatus::Retiring);
    }

    #[test]
    fn retired_without_a_date_is_refused() {
        let e = exam(ExamStatus::Retired, None, None);
        assert!(e.date_contradictions(date!(2026 - 12 - 03))[0].contains("needs a `retires_on`"));
    }

    #[test]
    fn a_live_exam_not_yet_available_is_refused_but_a_beta_is_not() {
        let from = Some(date!(2027 - 01 - 01));
        assert!(!exam(ExamStatus::Live, from, None)
            .date_contradictions(date!(2026 - 12 - 03))
            .is_empty());
        assert!(exam(ExamStatus::Beta, from, None)
            .date_contradictions(date!(2026 - 12 - 03))
            .is_empty());
    }

    #[test]
    fn a_live_exam_with_a_future_retirement_is_derived_retiring() {
        let e = exam(ExamStatus::Live, None, Some(date!(2027 - 06 - 30)));
        assert_eq!(e.status_on(date!(2026 - 12 - 03)), ExamStatus::Retiring);
        assert!(e.date_contradictions(date!(2026 - 12 - 03)).is_empty());
    }

    #[test]
    fn shipped_catalogue_loads_and_agrees_with_its_blueprints() {
        for ((dir, text, _), (exam, bp)) in SHIPPED.iter().zip(shipped()) {
            let problems = check_exam(dir, text, exam, bp, date!(2026 - 12 - 03));
            assert!(problems.is_empty(), "{dir}: {problems:?}");
        }
    }

    /// The study plan links every objective to Microsoft Learn (question-bank/exams/*/blueprint.yaml).
    #[test]
    fn every_shipped_objective_has_learn_pages() {
        for (exam, bp) in shipped() {
            for d in &bp.domains {
                for o in &d.objectives {
                    assert!(
                        !o.learn.is_empty()
                            && o.learn
                                .iter()
                                .all(|u| u.starts_with("https://learn.microsoft.com/")),
                        "{} {}: {:?}",
                        exam.code,
                        o.id,
                        o.learn
                    );
                }
            }
        }
    }
}
