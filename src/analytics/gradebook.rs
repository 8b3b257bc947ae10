//! PURE: a class's gradebook from its cells (one per member and assignment, aggregated in SQL): the table,
//! each assignment's average and pass rate, the distribution of best scores, the weakest domains, and the CSV.

use super::dashboard::{score_histogram, HistogramBin};
use std::collections::HashMap;
use uuid::Uuid;

/// One member's attempts at one assignment.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Attempts started, in progress included.
    pub attempts: i64,
    /// The best scaled score of the ended attempts.
    pub best: Option<i32>,
    /// The scaled score of the latest ended attempt.
    pub last: Option<i32>,
    /// Whether the best attempt passed.
    pub passed: Option<bool>,
    /// Minutes used over every ended attempt.
    pub minutes: Option<f64>,
}

/// A row of the table: a member and their cell for each assignment, in the assignments' order.
#[derive(Debug, Clone)]
pub struct Row<M> {
    /// Whatever names the member on the page or in the CSV.
    pub member: M,
    /// One per assignment; `None` where the member has not started it.
    pub cells: Vec<Option<Cell>>,
}

/// The table: every member (in the order given) by every assignment (in the order given); a member who has
/// not started an assignment has no cell there.
pub fn table<M: Clone>(
    members: &[(Uuid, M)],
    assignments: &[Uuid],
    cells: &[(Uuid, Uuid, Cell)],
) -> Vec<Row<M>> {
    let by: HashMap<(Uuid, Uuid), &Cell> = cells.iter().map(|(a, u, c)| ((*u, *a), c)).collect();
    members
        .iter()
        .map(|(id, m)| Row {
            member: m.clone(),
            cells: assignments
                .iter()
                .map(|a| by.get(&(*id, *a)).map(|c| (*c).clone()))
                .collect(),
        })
        .collect()
}

/// How the class did at one assignment, over its members' best scores.
#[derive(Debug, Clone, PartialEq)]
pub struct AssignmentSummary {
    /// Members with at least one scored attempt.
    pub scored: usize,
    /// Members who started at least one attempt.
    pub started: usize,
    /// The mean of the members' best scaled scores.
    pub mean_best: Option<f64>,
    /// Of the members with a scored attempt, the share whose best passed.
    pub pass_rate: Option<f64>,
}

/// Each assignment's summary (the table's columns).
pub fn summaries<M>(rows: &[Row<M>], assignments: usize) -> Vec<AssignmentSummary> {
    (0..assignments)
        .map(|i| {
            let cells: Vec<&Cell> = rows
                .iter()
                .filter_map(|r| r.cells.get(i)?.as_ref())
                .collect();
            let bests: Vec<i32> = cells.iter().filter_map(|c| c.best).collect();
            let passed = cells
                .iter()
                .filter(|c| c.best.is_some() && c.passed == Some(true))
                .count();
            let scored = bests.len();
            AssignmentSummary {
                scored,
                started: cells.len(),
                mean_best: (scored > 0)
                    .then(|| bests.iter().map(|b| f64::from(*b)).sum::<f64>() / scored as f64),
                pass_rate: (scored > 0).then(|| passed as f64 / scored as f64),
            }
        })
        .collect()
}

/// The class's figures over every assignment: the mean of the best scores, the pass rate and their distribution.
#[derive(Debug, Clone)]
pub struct ClassSummary {
    /// Cells (member × assignment) with a scored attempt.
    pub scored: usize,
    /// The mean of those cells' best scaled scores.
    pub mean_best: Option<f64>,
    /// The share of those cells whose best attempt passed.
    pub pass_rate: Option<f64>,
    /// The best scores in bins of 50.
    pub histogram: Vec<HistogramBin>,
}

/// The class's figures over every cell of the table.
pub fn class_summary<M>(rows: &[Row<M>]) -> ClassSummary {
    let cells: Vec<&Cell> = rows
        .iter()
        .flat_map(|r| r.cells.iter().flatten())
        .filter(|c| c.best.is_some())
        .collect();
    let bests: Vec<u32> = cells
        .iter()
        .filter_map(|c| c.best.and_then(|b| u32::try_from(b).ok()))
        .collect();
    let n = cells.len();
    ClassSummary {
        scored: n,
        mean_best: (n > 0).then(|| bests.iter().map(|b| f64::from(*b)).sum::<f64>() / n as f64),
        pass_rate: (n > 0)
            .then(|| cells.iter().filter(|c| c.passed == Some(true)).count() as f64 / n as f64),
        histogram: score_histogram(&bests),
    }
}

/// An area (a domain or an objective) and the share of its points the class earned.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    /// The domain's or objective's id.
    pub id: String,
    /// Points earned over points at stake, in percent.
    pub percent: f64,
    /// Points at stake.
    pub max: f64,
}

/// Areas from their points (id, earned, max), weakest first; areas worth nothing are left out.
pub fn weakest(points: &[(String, f64, f64)]) -> Vec<Area> {
    let mut areas: Vec<Area> = points
        .iter()
        .filter(|(_, _, max)| *max > 0.0)
        .map(|(id, earned, max)| Area {
            id: id.clone(),
            percent: 100.0 * earned / max,
            max: *max,
        })
        .collect();
    areas.sort_by(|a, b| a.percent.total_cmp(&b.percent).then(a.id.cmp(&b.id)));
    areas
}

/// The table as CSV rows: a header, then one row per member with best, last, passed, attempts and minutes per
/// assignment. `member` gives a member's leading columns (name and e-mail).
pub fn csv_rows<M>(
    rows: &[Row<M>],
    titles: &[String],
    member_header: &[&str],
    member: impl Fn(&M) -> Vec<String>,
) -> Vec<Vec<String>> {
    let mut header: Vec<String> = member_header.iter().map(|s| (*s).to_owned()).collect();
    for t in titles {
        for what in ["best", "last", "passed", "attempts", "minutes"] {
            header.push(format!("{t}: {what}"));
        }
    }
    let mut out = vec![header];
    for r in rows {
        let mut line = member(&r.member);
        for c in &r.cells {
            match c {
                None => line.extend(["".into(), "".into(), "".into(), "0".into(), "".into()]),
                Some(c) => line.extend([
                    c.best.map(|b| b.to_string()).unwrap_or_default(),
                    c.last.map(|b| b.to_string()).unwrap_or_default(),
                    c.passed
                        .map(|p| if p { "yes" } else { "no" }.to_owned())
                        .unwrap_or_default(),
                    c.attempts.to_string(),
                    c.minutes.map(|m| format!("{m:.1}")).unwrap_or_default(),
                ]),
            }
        }
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(attempts: i64, best: Option<i32>, passed: Option<bool>) -> Cell {
        Cell {
            attempts,
            best,
            last: best,
            passed,
            minutes: Some(30.0),
        }
    }

    #[test]
    fn the_table_puts_each_cell_under_its_member_and_assignment_and_leaves_gaps_empty() {
        let (m1, m2, a1, a2) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        let rows = table(
            &[(m1, "Ana"), (m2, "Bo")],
            &[a1, a2],
            &[
                (a2, m1, cell(2, Some(720), Some(true))),
                (a1, m2, cell(1, Some(600), Some(false))),
            ],
        );
        assert_eq!(rows[0].member, "Ana");
        assert_eq!(rows[0].cells[0], None);
        assert_eq!(rows[0].cells[1].as_ref().unwrap().best, Some(720));
        assert_eq!(rows[1].cells[0].as_ref().unwrap().attempts, 1);
        assert_eq!(rows[1].cells[1], None);
    }

    #[test]
    fn summaries_count_only_scored_members_and_the_share_whose_best_passed() {
        let a = Uuid::new_v4();
        let ms: Vec<(Uuid, ())> = (0..4).map(|_| (Uuid::new_v4(), ())).collect();
        let cells = vec![
            (a, ms[0].0, cell(1, Some(800), Some(true))),
            (a, ms[1].0, cell(2, Some(600), Some(false))),
            // Started, nothing scored yet.
            (a, ms[2].0, cell(1, None, None)),
        ];
        let rows = table(&ms, &[a], &cells);
        let s = &summaries(&rows, 1)[0];
        assert_eq!((s.started, s.scored), (3, 2));
        assert_eq!(s.mean_best, Some(700.0));
        assert_eq!(s.pass_rate, Some(0.5));
        let c = class_summary(&rows);
        assert_eq!(c.scored, 2);
        assert_eq!(c.histogram.iter().map(|b| b.count).sum::<usize>(), 2);
        assert_eq!(c.histogram[16].count, 1, "800 is in the 800–849 bin");
    }

    #[test]
    fn an_empty_class_has_no_average_and_no_pass_rate() {
        let rows: Vec<Row<()>> = Vec::new();
        assert_eq!(class_summary(&rows).mean_best, None);
        assert_eq!(summaries(&rows, 2)[1].pass_rate, None);
    }

    #[test]
    fn the_weakest_area_comes_first_and_areas_worth_nothing_are_left_out() {
        let got = weakest(&[
            ("plan".into(), 8.0, 10.0),
            ("vision".into(), 3.0, 10.0),
            ("empty".into(), 0.0, 0.0),
        ]);
        assert_eq!(
            got.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
            ["vision", "plan"]
        );
        assert_eq!(got[0].percent, 30.0);
    }

    #[test]
    fn the_csv_has_five_columns_per_assignment_and_a_row_per_member() {
        let a = Uuid::new_v4();
        let m = Uuid::new_v4();
        let rows = table(
            &[(m, ("Ana", "ana@example.com"))],
            &[a],
            &[(a, m, cell(2, Some(750), Some(true)))],
        );
        let csv = csv_rows(&rows, &["Mock 1".into()], &["name", "email"], |m| {
            vec![m.0.to_owned(), m.1.to_owned()]
        });
        assert_eq!(
            csv[0],
            [
                "name",
                "email",
                "Mock 1: best",
                "Mock 1: last",
                "Mock 1: passed",
                "Mock 1: attempts",
                "Mock 1: minutes"
            ]
        );
        assert_eq!(
            csv[1],
            ["Ana", "ana@example.com", "750", "750", "yes", "2", "30.0"]
        );
    }
}
