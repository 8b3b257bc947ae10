//! The analytics pages' charts: inline SVG bar and line charts, readable without JavaScript.

use super::*;

pub(super) const W: f64 = 640.0;
pub(super) const H: f64 = 240.0;
pub(super) const LEFT: f64 = 48.0;
pub(super) const RIGHT: f64 = 48.0;
pub(super) const TOP: f64 = 16.0;
pub(super) const BOTTOM: f64 = 40.0;

pub(super) fn svg_open(title: &str, testid: &str) -> String {
    format!(
        "<svg class=\"chart\" data-testid=\"{testid}\" viewBox=\"0 0 {W} {H}\" width=\"100%\" role=\"img\" \
         aria-label=\"{t}\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\" font-family=\"sans-serif\">\
         <title>{t}</title>",
        t = esc(title)
    )
}

/// A bar chart: one bar per `(label, value, highlighted)`, values from 0 to `y_max`; an optional dashed
/// vertical line before bar `marker.0`, labelled `marker.1`.
pub(super) fn bar_chart(
    title: &str,
    testid: &str,
    bars: &[(String, f64, bool)],
    y_max: f64,
    marker: Option<(usize, &str)>,
) -> String {
    let mut s = svg_open(title, testid);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let y_max = if y_max > 0.0 { y_max } else { 1.0 };
    axes(&mut s, y_max, None);
    let n = bars.len().max(1) as f64;
    let step = plot_w / n;
    let every = (bars.len() / 10).max(1);
    for (i, (label, v, hi)) in bars.iter().enumerate() {
        let h = (v / y_max).clamp(0.0, 1.0) * plot_h;
        let x = LEFT + step * i as f64;
        let fill = if *hi { "#2e7d32" } else { "#5c6bc0" };
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\"><title>{}: {}</title></rect>",
            x + 1.0,
            TOP + plot_h - h,
            (step - 2.0).max(1.0),
            h,
            esc(label),
            trim_num(*v)
        );
        if i % every == 0 {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x + step / 2.0,
                H - BOTTOM + 14.0,
                esc(label)
            );
        }
    }
    if let Some((at, text)) = marker {
        let x = LEFT + step * at as f64;
        let _ = write!(
            s,
            "<line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#c62828\" stroke-dasharray=\"4 3\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#c62828\">{}</text>",
            TOP + plot_h,
            x + 3.0,
            TOP + 10.0,
            esc(text)
        );
    }
    s.push_str("</svg>");
    s
}

pub(super) fn trim_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The left axis from 0 to `y_max` (and a right one from 0 to `right_max` when given).
pub(super) fn axes(s: &mut String, y_max: f64, right: Option<(f64, &str)>) {
    let plot_h = H - TOP - BOTTOM;
    let _ = write!(
        s,
        "<line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{b:.1}\" stroke=\"#666\"/>\
         <line x1=\"{LEFT}\" y1=\"{b:.1}\" x2=\"{:.1}\" y2=\"{b:.1}\" stroke=\"#666\"/>",
        W - RIGHT,
        b = TOP + plot_h
    );
    for k in 0..=4 {
        let f = f64::from(k) / 4.0;
        let y = TOP + plot_h * (1.0 - f);
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 4.0,
            y + 4.0,
            trim_num(y_max * f)
        );
        if let Some((r, unit)) = right {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\">{}{}</text>",
                W - RIGHT + 4.0,
                y + 4.0,
                trim_num(r * f),
                esc(unit)
            );
        }
    }
}

/// A line chart of one or two series over the same labels. The first series uses the left axis
/// (0..`y_max`); the second, when given, the right axis (0..`right.0`). `hline`: a dashed reference line.
pub(super) fn line_chart(
    title: &str,
    testid: &str,
    labels: &[String],
    left: (&str, &[Option<f64>]),
    y_max: f64,
    right: Option<(&str, &[Option<f64>], f64, &str)>,
    hline: Option<(f64, &str)>,
) -> String {
    let mut s = svg_open(title, testid);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    axes(&mut s, y_max, right.map(|r| (r.2, r.3)));
    let n = labels.len();
    let x_at = |i: usize| {
        if n <= 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (n - 1) as f64
        }
    };
    if let Some((v, text)) = hline {
        let y = TOP + plot_h * (1.0 - (v / y_max).clamp(0.0, 1.0));
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#c62828\" stroke-dasharray=\"4 3\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#c62828\">{}</text>",
            W - RIGHT,
            LEFT + 4.0,
            y - 3.0,
            esc(text)
        );
    }
    let every = (n / 8).max(1);
    for (i, l) in labels.iter().enumerate() {
        if i % every == 0 {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x_at(i),
                H - BOTTOM + 14.0,
                esc(l)
            );
        }
    }
    let mut series = vec![(left.0, left.1, y_max, "#3949ab")];
    if let Some((name, values, max, _)) = right {
        series.push((name, values, if max > 0.0 { max } else { 1.0 }, "#ef6c00"));
    }
    for (k, (name, values, max, colour)) in series.into_iter().enumerate() {
        let points: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                v.map(|v| (x_at(i), TOP + plot_h * (1.0 - (v / max).clamp(0.0, 1.0))))
            })
            .collect();
        if points.len() > 1 {
            let d: Vec<String> = points
                .iter()
                .map(|(x, y)| format!("{x:.1},{y:.1}"))
                .collect();
            let _ = write!(
                s,
                "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
                d.join(" ")
            );
        }
        for (x, y) in &points {
            let _ = write!(
                s,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{colour}\"/>"
            );
        }
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{colour}\">{}</text>",
            LEFT + 8.0 + 200.0 * k as f64,
            H - 6.0,
            esc(name)
        );
    }
    s.push_str("</svg>");
    s
}
