//! Small numerical helpers shared by the analytics modules: means, Pearson correlation, the normal CDF and
//! Student's t quantile. Every function returns `None` rather than NaN when its answer is undefined.

/// The arithmetic mean, or `None` for an empty slice or a non-finite result.
pub fn mean(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let m = xs.iter().sum::<f64>() / xs.len() as f64;
    m.is_finite().then_some(m)
}

/// The sample standard deviation (divisor `n − 1`), or `None` with fewer than two values.
pub fn sample_sd(xs: &[f64]) -> Option<f64> {
    if xs.len() < 2 {
        return None;
    }
    let m = mean(xs)?;
    let ss: f64 = xs.iter().map(|x| (x - m).powi(2)).sum();
    let sd = (ss / (xs.len() - 1) as f64).sqrt();
    sd.is_finite().then_some(sd)
}

/// Pearson's correlation of paired values, clamped to `[-1, 1]`.
///
/// `None` when there are fewer than two pairs, the slices differ in length, or either variable has zero
/// variance (a correlation with a constant is undefined, and we refuse to report it as 0 or NaN).
pub fn pearson(xs: &[f64], ys: &[f64]) -> Option<f64> {
    if xs.len() != ys.len() || xs.len() < 2 {
        return None;
    }
    let (mx, my) = (mean(xs)?, mean(ys)?);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        let (dx, dy) = (x - mx, y - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    // Relative tolerance: sums of identical fractions can leave a few ulps of "variance".
    let tiny = |s: f64, m: f64| s <= 1e-12 * (1.0 + m * m) * xs.len() as f64;
    if tiny(sxx, mx) || tiny(syy, my) {
        return None;
    }
    let r = sxy / (sxx * syy).sqrt();
    r.is_finite().then(|| r.clamp(-1.0, 1.0))
}

/// The standard normal CDF Φ(x), accurate to about 1e-7 (the complementary error function of Numerical
/// Recipes, `erfcc`, a Chebyshev fit with fractional error below 1.2e-7).
pub fn normal_cdf(x: f64) -> f64 {
    if x.is_nan() {
        return 0.5;
    }
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let ans = t * poly.exp();
    if x >= 0.0 {
        ans
    } else {
        2.0 - ans
    }
}

/// The 97.5th percentile of Student's t with `df` degrees of freedom (the multiplier of a two-sided 95 %
/// interval): the printed table for df 1–30, then linear in 1/df through 40, 60, 120 and ∞ (1.960). Accurate
/// to the table's three decimals. `df = 0` is treated as 1.
pub fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    const TAIL: [(f64, f64); 4] = [(30.0, 2.042), (40.0, 2.021), (60.0, 2.000), (120.0, 1.980)];
    let df = df.max(1);
    if df <= 30 {
        return TABLE[df - 1];
    }
    let inv = 1.0 / df as f64;
    for pair in TAIL.windows(2) {
        let ((d0, t0), (d1, t1)) = (pair[0], pair[1]);
        if (df as f64) <= d1 {
            let w = (1.0 / d0 - inv) / (1.0 / d0 - 1.0 / d1);
            return t0 + w * (t1 - t0);
        }
    }
    // Between 120 and ∞, linear in 1/df towards 1.960.
    let w = (1.0 / 120.0 - inv) / (1.0 / 120.0);
    1.980 + w * (1.960 - 1.980)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_matches_table_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(-1.0) - 0.158_655_25).abs() < 1e-6);
        assert!((normal_cdf(2.5) - 0.993_790_33).abs() < 1e-6);
    }

    #[test]
    fn t_quantile_follows_the_table_and_tends_to_the_normal() {
        assert_eq!(t_975(1), 12.706);
        assert_eq!(t_975(9), 2.262);
        assert!((t_975(40) - 2.021).abs() < 1e-9);
        assert!((t_975(50) - 2.009).abs() < 0.002);
        assert!(t_975(10_000) > 1.960 && t_975(10_000) < 1.961);
    }

    #[test]
    fn correlation_with_a_constant_is_none_not_nan() {
        assert_eq!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
        assert_eq!(pearson(&[0.1; 5], &[0.3, 0.2, 0.1, 0.0, 0.9]), None);
        assert_eq!(pearson(&[1.0], &[1.0]), None);
    }
}
