//! Aggregations for the admin dashboard and the gradebook: a histogram of scaled scores in bins of 50 with the
//! pass line on a bin edge, the weeks or months of a time series with the empty ones included, and a mean with
//! its 95 % confidence interval. Pure.

use super::math::{mean, sample_sd, t_975};
use crate::scoring::PASSING_SCORE;
use serde::Serialize;
use time::{Date, Duration, Month, OffsetDateTime, UtcOffset};

/// The width of a histogram bin, in scaled-score points.
pub const BIN_WIDTH: u32 = 50;

/// One bin of the scaled-score histogram: scores `low..=high`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HistogramBin {
    /// Lowest score of the bin.
    pub low: u32,
    /// Inclusive: 49, 99, … 949, then 1000 (the last bin also holds a perfect 1000).
    pub high: u32,
    /// Scores in the bin.
    pub count: usize,
    /// True when the whole bin is at or above the pass mark (700 is a bin edge, so no bin straddles it).
    pub passing: bool,
}

/// The number of histogram bins.
pub const BINS: u32 = 1000 / BIN_WIDTH;

/// Counts scaled scores in 20 bins of 50 (0–49, 50–99, … 900–949, 950–1000). Scores above 1000 count in the
/// last bin. Always returns all 20 bins, so an empty chart still has its axis.
pub fn score_histogram(scores: &[u32]) -> Vec<HistogramBin> {
    let counts: Vec<(u32, usize)> = scores.iter().map(|&s| (s / BIN_WIDTH, 1)).collect();
    histogram_from_counts(&counts)
}

/// The bins of [`score_histogram`] from counts by bin index (0 for 0–49, … 19 for 950–1000), as SQL counts
/// them (`width_bucket(score, 0, 1000, 20) - 1`, the last bin taking 1000 and above). An index past the last
/// bin counts in it; an index may repeat.
pub fn histogram_from_counts(counts: &[(u32, usize)]) -> Vec<HistogramBin> {
    let mut bins = vec![0usize; BINS as usize];
    for &(at, count) in counts {
        bins[at.min(BINS - 1) as usize] += count;
    }
    bins.into_iter()
        .enumerate()
        .map(|(i, count)| {
            let low = i as u32 * BIN_WIDTH;
            HistogramBin {
                low,
                high: if i as u32 == BINS - 1 {
                    1000
                } else {
                    low + BIN_WIDTH - 1
                },
                count,
                passing: low >= PASSING_SCORE,
            }
        })
        .collect()
}

/// A calendar period for bucketing, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// ISO weeks, Monday to Sunday.
    Week,
    /// Calendar months.
    Month,
}

/// The first day (UTC) of the period that holds `at`: its Monday, or the 1st of its month.
pub fn period_start(at: OffsetDateTime, period: Period) -> Date {
    let date = at.to_offset(UtcOffset::UTC).date();
    match period {
        Period::Week => date - Duration::days(i64::from(date.weekday().number_days_from_monday())),
        Period::Month => date.replace_day(1).unwrap_or(date),
    }
}

/// Every period's first day from `first`'s period to `last`'s, in order (the empty ones included).
pub fn periods(first: Date, last: Date, period: Period) -> Vec<Date> {
    let at = |d: Date| period_start(d.midnight().assume_utc(), period);
    let (first, last) = (at(first), at(last));
    let mut out = Vec::new();
    let mut start = Some(first);
    while let Some(s) = start.filter(|s| *s <= last) {
        out.push(s);
        start = next_start(s, period);
    }
    out
}

fn next_start(start: Date, period: Period) -> Option<Date> {
    match period {
        Period::Week => start.checked_add(Duration::weeks(1)),
        Period::Month => {
            let (year, month) = match start.month() {
                Month::December => (start.year().checked_add(1)?, Month::January),
                m => (start.year(), m.next()),
            };
            Date::from_calendar_date(year, month, 1).ok()
        }
    }
}

/// A mean with its two-sided 95 % confidence interval (Student's t with n − 1 degrees of freedom).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MeanCi {
    /// Finite values used.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Sample standard deviation (divisor n − 1).
    pub sd: f64,
    /// Lower end of the 95 % interval.
    pub low: f64,
    /// Upper end of the 95 % interval.
    pub high: f64,
}

/// The mean of `xs` with a 95 % t interval: `mean ± t(0.975, n − 1) · sd / √n`. `None` with fewer than two
/// finite values (no interval exists); non-finite values are ignored.
pub fn mean_ci95(xs: &[f64]) -> Option<MeanCi> {
    let xs: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    let (m, sd) = (mean(&xs)?, sample_sd(&xs)?);
    let half = t_975(xs.len() - 1) * sd / (xs.len() as f64).sqrt();
    Some(MeanCi {
        n: xs.len(),
        mean: m,
        sd,
        low: m - half,
        high: m + half,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn histogram_has_twenty_bins_with_the_pass_line_on_an_edge() {
        let h = score_histogram(&[1, 49, 50, 699, 700, 949, 950, 1000, 1200]);
        assert_eq!(h.len(), 20);
        assert_eq!((h[0].low, h[0].high, h[0].count), (0, 49, 2));
        assert_eq!(h[1].count, 1);
        assert_eq!(
            (h[13].low, h[13].high, h[13].count, h[13].passing),
            (650, 699, 1, false)
        );
        assert_eq!((h[14].low, h[14].count, h[14].passing), (700, 1, true));
        assert_eq!(h[18].count, 1);
        assert_eq!((h[19].low, h[19].high, h[19].count), (950, 1000, 3));
        assert_eq!(h.iter().map(|b| b.count).sum::<usize>(), 9);
        assert_eq!(score_histogram(&[]).len(), 20);
        // Counted by bin, as SQL gives them (repeated and out-of-range indexes included), the same bins.
        assert_eq!(
            histogram_from_counts(&[(0, 2), (1, 1), (13, 1), (14, 1), (18, 1), (19, 2), (24, 1)]),
            h
        );
    }

    #[test]
    fn periods_run_from_the_first_days_period_to_the_last_days() {
        assert_eq!(
            periods(date!(2025 - 03 - 05), date!(2025 - 03 - 17), Period::Week),
            vec![
                date!(2025 - 03 - 03),
                date!(2025 - 03 - 10),
                date!(2025 - 03 - 17)
            ]
        );
        assert_eq!(
            periods(date!(2024 - 12 - 31), date!(2025 - 01 - 01), Period::Month),
            vec![date!(2024 - 12 - 01), date!(2025 - 01 - 01)]
        );
        assert!(periods(date!(2025 - 03 - 17), date!(2025 - 03 - 03), Period::Week).is_empty());
    }

    #[test]
    fn weeks_start_on_monday_in_utc_and_gaps_are_filled() {
        // 2025-03-02 is a Sunday; 23:30 at −02:00 is already Monday 2025-03-03 in UTC.
        let week = |t| period_start(t, Period::Week);
        assert_eq!(week(datetime!(2025-03-02 12:00 UTC)), date!(2025 - 02 - 24));
        assert_eq!(week(datetime!(2025-03-02 23:30 -2)), date!(2025 - 03 - 03));
        assert_eq!(week(datetime!(2025-03-04 08:00 UTC)), date!(2025 - 03 - 03));
        assert_eq!(week(datetime!(2025-03-19 08:00 UTC)), date!(2025 - 03 - 17));
        assert_eq!(
            periods(date!(2025 - 02 - 24), date!(2025 - 03 - 19), Period::Week),
            vec![
                date!(2025 - 02 - 24),
                date!(2025 - 03 - 03),
                date!(2025 - 03 - 10),
                date!(2025 - 03 - 17),
            ]
        );
    }

    #[test]
    fn months_roll_over_the_year() {
        let month = |t| period_start(t, Period::Month);
        assert_eq!(
            month(datetime!(2024-11-30 10:00 UTC)),
            date!(2024 - 11 - 01)
        );
        assert_eq!(
            month(datetime!(2024-11-01 00:00 UTC)),
            date!(2024 - 11 - 01)
        );
        assert_eq!(
            periods(date!(2024 - 11 - 30), date!(2025 - 01 - 15), Period::Month),
            vec![
                date!(2024 - 11 - 01),
                date!(2024 - 12 - 01),
                date!(2025 - 01 - 01)
            ]
        );
    }

    #[test]
    fn mean_interval_uses_student_t() {
        // 600, 650, 700, 750, 800: mean 700; deviations ±100, ±50, 0 → SS = 2·10000 + 2·2500 = 25000,
        // sd = √(25000/4) = 79.057; se = 79.057/√5 = 35.355; t(0.975, 4) = 2.776 → half-width 98.146.
        let ci = mean_ci95(&[600.0, 650.0, 700.0, 750.0, 800.0]).unwrap();
        assert_eq!((ci.n, ci.mean), (5, 700.0));
        assert!((ci.sd - 79.057).abs() < 1e-3);
        assert!((ci.low - 601.854).abs() < 1e-2 && (ci.high - 798.146).abs() < 1e-2);
        assert_eq!(mean_ci95(&[700.0]), None);
        assert_eq!(mean_ci95(&[f64::NAN, 1.0]), None);
    }
}
