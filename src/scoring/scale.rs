//! The 1–1000 scaled score: a transparent piecewise-linear map with the pass mark at exactly 700.

/// The score a candidate needs to pass, as on Microsoft's exams.
pub const PASSING_SCORE: u32 = 700;

/// The default fraction of the maximum raw score that maps to [`PASSING_SCORE`].
pub const DEFAULT_CUT: f64 = 0.70;

/// Tolerance for sums of fractional partial credit (2 × ⅓ + ⅓ may land a hair under 1).
const EPS: f64 = 1e-9;

/// Maps a raw score to 1..=1000: 0 → 1, `cut_fraction × max` → exactly 700, `max` → 1000, linear in between,
/// floored, clamped. A raw score below the cut never reaches 700, and one at or above it never falls below,
/// so `scaled_score(..) >= PASSING_SCORE` is the pass rule.
///
/// `raw` is clamped to `0..=max`; `max <= 0` scores 1. `cut_fraction` is clamped to `0.01..=0.99`
/// (a NaN cut uses [`DEFAULT_CUT`]).
pub fn scaled_score(raw: f64, max: f64, cut_fraction: f64) -> u32 {
    let cut = if cut_fraction.is_nan() {
        DEFAULT_CUT
    } else {
        cut_fraction.clamp(0.01, 0.99)
    };
    let fraction = if max > 0.0 && raw.is_finite() {
        (raw / max).clamp(0.0, 1.0)
    } else {
        0.0
    };
    if fraction >= cut - EPS {
        let above = (300.0 * (fraction - cut) / (1.0 - cut) + EPS)
            .floor()
            .max(0.0);
        (700 + above as u32).min(1000)
    } else {
        let below = (699.0 * fraction / cut + EPS).floor().max(0.0);
        (1 + below as u32).min(699)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn anchors_are_1_700_and_1000() {
        assert_eq!(scaled_score(0.0, 50.0, DEFAULT_CUT), 1);
        assert_eq!(scaled_score(35.0, 50.0, DEFAULT_CUT), 700);
        assert_eq!(scaled_score(50.0, 50.0, DEFAULT_CUT), 1000);
    }

    #[test]
    fn the_documented_table_holds() {
        let table = [
            (0.0, 1),
            (10.0, 100),
            (25.0, 250),
            (50.0, 500),
            (60.0, 600),
            (69.0, 690),
            (70.0, 700),
            (80.0, 800),
            (90.0, 900),
            (100.0, 1000),
        ];
        for (raw, scaled) in table {
            assert_eq!(scaled_score(raw, 100.0, DEFAULT_CUT), scaled, "raw {raw}");
        }
    }

    #[test]
    fn just_under_the_cut_is_699_and_fails() {
        assert_eq!(scaled_score(69.99, 100.0, DEFAULT_CUT), 699);
    }

    #[test]
    fn fractional_credit_summing_to_the_cut_passes() {
        let raw = (0..21).map(|_| 1.0 / 3.0).sum::<f64>(); // 7 in exact arithmetic
        assert_eq!(scaled_score(raw, 10.0, DEFAULT_CUT), 700);
    }

    #[test]
    fn out_of_range_inputs_are_clamped() {
        assert_eq!(scaled_score(-3.0, 10.0, DEFAULT_CUT), 1);
        assert_eq!(scaled_score(12.0, 10.0, DEFAULT_CUT), 1000);
        assert_eq!(scaled_score(5.0, 0.0, DEFAULT_CUT), 1);
        assert_eq!(scaled_score(f64::NAN, 10.0, DEFAULT_CUT), 1);
        assert_eq!(scaled_score(7.0, 10.0, f64::NAN), 700);
        assert_eq!(scaled_score(10.0, 10.0, 1.5), 1000);
    }

    proptest! {
        #[test]
        fn scaled_is_in_range_and_monotonic(
            a in 0.0f64..=120.0, b in 0.0f64..=120.0, max in 1.0f64..=120.0, cut in 0.3f64..=0.9
        ) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let (s_lo, s_hi) = (scaled_score(lo, max, cut), scaled_score(hi, max, cut));
            prop_assert!((1..=1000).contains(&s_lo) && (1..=1000).contains(&s_hi));
            prop_assert!(s_lo <= s_hi);
        }

        #[test]
        fn exactly_700_at_the_cut_and_pass_iff_at_or_above(max in 1u32..=200, cut_pct in 30u32..=90, raw in 0u32..=200) {
            let max = f64::from(max);
            let cut = f64::from(cut_pct) / 100.0;
            prop_assert_eq!(scaled_score(cut * max, max, cut), 700);
            let raw = f64::from(raw).min(max);
            let passed = scaled_score(raw, max, cut) >= PASSING_SCORE;
            prop_assert_eq!(passed, raw / max >= cut - EPS);
        }
    }
}
