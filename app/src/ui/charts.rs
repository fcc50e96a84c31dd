//! SVG progress charts, drawn by our own components.
//!
//! The geometry is pure and deterministic: it uses only `+ - * /`, `floor`/`ceil`/`round` and
//! Rust's own number formatting (no `log10`/`powf`, whose last bit may differ between the
//! server's libm and the browser's), and every coordinate is written with a fixed number of
//! decimals. So the server render and the hydrating WASM client produce the same markup.

use crate::domain::{Clock, Metric, MetricKind, Progress, Series, Units};
use crate::testids;
use leptos::prelude::*;

/// The SVG coordinate system. The SVG scales to the width of its container.
pub const WIDTH: f64 = 320.0;
pub const HEIGHT: f64 = 160.0;
/// Room on the left for the y labels, at the bottom for the dates.
pub const PAD_LEFT: f64 = 50.0;
pub const PAD_RIGHT: f64 = 12.0;
pub const PAD_TOP: f64 = 12.0;
pub const PAD_BOTTOM: f64 = 28.0;
const VIEW_BOX: &str = "0 0 320 160";
/// Font size of the axis labels, in viewBox units (CSS may raise it on narrow screens).
const AXIS_FONT: &str = "15";

/// The y axis: from `lo` to `hi`, with a grid line every `step`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YRange {
    pub lo: f64,
    pub hi: f64,
    pub step: f64,
}

impl YRange {
    /// The grid line values, `lo` to `hi` inclusive.
    pub fn ticks(&self) -> Vec<f64> {
        let n = ((self.hi - self.lo) / self.step).round();
        let n = if n.is_finite() {
            n.clamp(1.0, 12.0) as usize
        } else {
            1
        };
        (0..=n).map(|i| self.lo + self.step * i as f64).collect()
    }

    /// Decimals that show every tick exactly (0, 1 or 2).
    fn decimals(&self) -> usize {
        let whole = |v: f64| (v - v.round()).abs() < 1e-9;
        if whole(self.step) && whole(self.lo) {
            0
        } else if whole(self.step * 10.0) && whole(self.lo * 10.0) {
            1
        } else {
            2
        }
    }
}

/// One point placed in the viewBox.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlotPoint {
    pub at: i64,
    /// The value in the display units.
    pub value: f64,
    pub x: f64,
    pub y: f64,
}

/// The plot area inside the padding.
fn plot_left() -> f64 {
    PAD_LEFT
}
fn plot_right() -> f64 {
    WIDTH - PAD_RIGHT
}
fn plot_top() -> f64 {
    PAD_TOP
}
fn plot_bottom() -> f64 {
    HEIGHT - PAD_BOTTOM
}

/// The usable points as (time, value in SI, value in display units), oldest first.
fn usable_points(series: &Series, units: Units) -> Vec<(i64, f64, f64)> {
    let mut points: Vec<(i64, f64, f64)> = series
        .points
        .iter()
        .map(|p| (p.at, p.value, series.metric.to_display(p.value, units)))
        .filter(|(_, si, shown)| si.is_finite() && shown.is_finite())
        .collect();
    points.sort_by_key(|(at, _, _)| *at);
    points
}

/// The series' points as (time, value in display units), oldest first, without non-finite
/// values.
pub fn display_points(series: &Series, units: Units) -> Vec<(i64, f64)> {
    usable_points(series, units)
        .into_iter()
        .map(|(at, _, shown)| (at, shown))
        .collect()
}

/// A "nice" step of about `raw`: 1, 2, 2.5 or 5 times a power of ten. Whole numbers only for
/// counts. Computed by multiplication and division only, so it is the same on every target.
pub fn nice_step(raw: f64, whole: bool) -> f64 {
    if !raw.is_finite() || raw <= 0.0 {
        return 1.0;
    }
    let mut magnitude = 1.0_f64;
    while magnitude * 10.0 <= raw && magnitude < 1e12 {
        magnitude *= 10.0;
    }
    while magnitude > raw && magnitude > 1e-6 {
        magnitude /= 10.0;
    }
    let factors: &[f64] = if whole && magnitude < 10.0 {
        &[1.0, 2.0, 5.0, 10.0]
    } else {
        &[1.0, 2.0, 2.5, 5.0, 10.0]
    };
    let step = factors
        .iter()
        .map(|f| f * magnitude)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * magnitude);
    if whole {
        step.max(1.0)
    } else {
        step
    }
}

/// The smallest span the y axis shows, in display units, so a flat or nearly flat series is
/// drawn as a calm line in the middle instead of a zoomed-in zigzag.
fn min_span(metric: Metric) -> f64 {
    match metric.kind() {
        MetricKind::Weight | MetricKind::Length | MetricKind::Percent => 2.0,
        MetricKind::Hours => 1.0,
        MetricKind::Count => 4.0,
        MetricKind::Rating => 9.0,
    }
}

/// The y axis for `values` (display units): a little room above and below the data, rounded
/// out to nice numbers. Ratings always use 1..10 and adherence 0..100.
pub fn y_range(metric: Metric, values: &[f64]) -> YRange {
    if metric.kind() == MetricKind::Rating {
        return YRange {
            lo: 1.0,
            hi: 10.0,
            step: 3.0,
        };
    }
    if metric == Metric::Adherence {
        return YRange {
            lo: 0.0,
            hi: 100.0,
            step: 25.0,
        };
    }
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let (min, max) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if min > max {
        return YRange {
            lo: 0.0,
            hi: 1.0,
            step: 0.5,
        };
    }
    let (mut min, mut max) = (min, max);
    let least = min_span(metric);
    if max - min < least {
        let mid = min / 2.0 + max / 2.0;
        min = mid - least / 2.0;
        max = mid + least / 2.0;
    }
    let pad = (max - min) * 0.1;
    let non_negative = values.iter().all(|v| !v.is_finite() || *v >= 0.0);
    let mut lo_raw = min - pad;
    let hi_raw = max + pad;
    if non_negative && lo_raw < 0.0 {
        lo_raw = 0.0;
    }
    let whole = metric.kind() == MetricKind::Count;
    let step = nice_step((hi_raw - lo_raw) / 4.0, whole);
    let lo = (lo_raw / step).floor() * step;
    let mut hi = (hi_raw / step).ceil() * step;
    if !(lo.is_finite() && hi.is_finite()) {
        return YRange {
            lo: 0.0,
            hi: 1.0,
            step: 0.5,
        };
    }
    if hi <= lo {
        hi = lo + step;
    }
    YRange { lo, hi, step }
}

/// x for each time: spread over the plot width by time; one time (or all equal) is centred.
pub fn x_positions(times: &[i64]) -> Vec<f64> {
    let (left, right) = (plot_left(), plot_right());
    let first = times.iter().copied().min();
    let last = times.iter().copied().max();
    match (first, last) {
        (Some(first), Some(last)) if last > first => {
            let span = (last as i128 - first as i128) as f64;
            times
                .iter()
                .map(|t| left + (*t as i128 - first as i128) as f64 / span * (right - left))
                .collect()
        }
        _ => times.iter().map(|_| left / 2.0 + right / 2.0).collect(),
    }
}

/// y for a value: `range.hi` at the top of the plot, `range.lo` at the bottom.
pub fn y_position(value: f64, range: &YRange) -> f64 {
    let (top, bottom) = (plot_top(), plot_bottom());
    let span = range.hi - range.lo;
    if !span.is_finite() || span <= 0.0 || !value.is_finite() {
        return top / 2.0 + bottom / 2.0;
    }
    let v = value.clamp(range.lo, range.hi);
    bottom - (v - range.lo) / span * (bottom - top)
}

/// Places `points` (display units, any order) in the viewBox, oldest first.
pub fn plot(metric: Metric, points: &[(i64, f64)]) -> (YRange, Vec<PlotPoint>) {
    let mut points: Vec<(i64, f64)> = points
        .iter()
        .copied()
        .filter(|(_, v)| v.is_finite())
        .collect();
    points.sort_by_key(|(at, _)| *at);
    let values: Vec<f64> = points.iter().map(|(_, v)| *v).collect();
    let range = y_range(metric, &values);
    let times: Vec<i64> = points.iter().map(|(at, _)| *at).collect();
    let xs = x_positions(&times);
    let placed = points
        .iter()
        .zip(xs)
        .map(|((at, value), x)| PlotPoint {
            at: *at,
            value: *value,
            x,
            y: y_position(*value, &range),
        })
        .collect();
    (range, placed)
}

/// A coordinate with one decimal; never `NaN` or `inf`.
pub fn coord(value: f64) -> String {
    if value.is_finite() {
        // `+ 0.0` turns -0.0 into 0.0.
        format!("{:.1}", (value * 10.0).round() / 10.0 + 0.0)
    } else {
        "0.0".into()
    }
}

/// The `points` attribute of the polyline.
pub fn polyline_points(points: &[PlotPoint]) -> String {
    points
        .iter()
        .map(|p| format!("{},{}", coord(p.x), coord(p.y)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A number with `decimals` decimals, without a minus on zero.
fn fixed(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        text.trim_start_matches('-').to_string()
    } else {
        text
    }
}

/// A y axis label in display units: `82.5`, `8500`; thousands (`4k`, `150k`) when the axis
/// reaches 10,000, so both labels of one axis read alike.
pub fn axis_label(value: f64, range: &YRange) -> String {
    if range.lo.abs().max(range.hi.abs()) >= 10_000.0 && value != 0.0 {
        let thousands = value / 1000.0;
        let whole = (thousands - thousands.round()).abs() < 1e-9;
        return format!("{}k", fixed(thousands, if whole { 0 } else { 1 }));
    }
    fixed(value, range.decimals())
}

/// The change from the first to the latest value: `−2.5 kg since Tue 1 Sep`. Takes SI values.
pub fn change_text(
    metric: Metric,
    units: Units,
    si_points: &[(i64, f64)],
    clock: &Clock,
) -> String {
    let (Some(first), Some(last)) = (si_points.first(), si_points.last()) else {
        return String::new();
    };
    let since = clock.day(first.0);
    if si_points.len() < 2 {
        return format!("First measurement on {since}");
    }
    match metric.format_change(first.1, last.1, units) {
        Some(change) => format!("{change} since {since}"),
        None => format!("No change since {since}"),
    }
}

/// Text placed in the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub x: String,
    pub y: String,
    pub anchor: &'static str,
    pub text: String,
}

/// One circle and its hover text.
#[derive(Debug, Clone, PartialEq)]
pub struct Dot {
    pub cx: String,
    pub cy: String,
    pub title: String,
}

/// Everything a chart shows, as text ready for the markup.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartModel {
    pub metric: Metric,
    /// The latest value, via [`Metric::format`].
    pub latest: String,
    /// The change since the first value.
    pub change: String,
    pub aria_label: String,
    pub polyline: String,
    pub dots: Vec<Dot>,
    /// r of the circles: smaller when there are many.
    pub radius: &'static str,
    /// y of each grid line.
    pub grid: Vec<String>,
    /// The y axis minimum and maximum.
    pub y_labels: Vec<Label>,
    /// The first and last dates (one, centred, when they are the same).
    pub x_labels: Vec<Label>,
}

/// The chart of one series in `units`; `None` when it has no usable value.
pub fn chart_model(series: &Series, units: Units, clock: &Clock) -> Option<ChartModel> {
    let metric = series.metric;
    let usable = usable_points(series, units);
    let points: Vec<(i64, f64)> = usable.iter().map(|(at, _, shown)| (*at, *shown)).collect();
    // Titles and the latest value format the SI values, so they read exactly like the forms.
    let si: Vec<(i64, f64)> = usable.iter().map(|(at, si, _)| (*at, *si)).collect();
    let (range, placed) = plot(metric, &points);
    let first = *placed.first()?;
    let last = *placed.last()?;
    let format = |v: f64| metric.format(v, units);
    let latest = format(si.last()?.1);

    let dots = placed
        .iter()
        .zip(&si)
        .map(|(p, (at, value))| Dot {
            cx: coord(p.x),
            cy: coord(p.y),
            title: format!("{}: {}", clock.day(*at), format(*value)),
        })
        .collect();

    let ticks = range.ticks();
    let grid = ticks
        .iter()
        .map(|v| coord(y_position(*v, &range)))
        .collect();
    let label_x = coord(PAD_LEFT - 6.0);
    let y_labels = [range.lo, range.hi]
        .into_iter()
        .map(|v| Label {
            x: label_x.clone(),
            y: coord(y_position(v, &range)),
            anchor: "end",
            text: axis_label(v, &range),
        })
        .collect();

    let date_y = coord(HEIGHT - 8.0);
    let (first_date, last_date) = (clock.day(first.at), clock.day(last.at));
    let x_labels = if first_date == last_date {
        vec![Label {
            x: coord(plot_left() / 2.0 + plot_right() / 2.0),
            y: date_y,
            anchor: "middle",
            text: first_date.clone(),
        }]
    } else {
        vec![
            Label {
                x: coord(plot_left()),
                y: date_y.clone(),
                anchor: "start",
                text: first_date.clone(),
            },
            Label {
                x: coord(plot_right()),
                y: date_y,
                anchor: "end",
                text: last_date.clone(),
            },
        ]
    };

    let (min_si, max_si) = si
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |acc, p| {
            (acc.0.min(p.1), acc.1.max(p.1))
        });
    let aria_label = if si.len() == 1 {
        format!(
            "{} chart: 1 measurement, {latest} on {first_date}.",
            metric.label()
        )
    } else {
        format!(
            "{} chart: {} measurements from {first_date} to {last_date}, between {} and {}. Latest {latest}.",
            metric.label(),
            si.len(),
            format(min_si),
            format(max_si),
        )
    };

    Some(ChartModel {
        metric,
        latest,
        change: change_text(metric, units, &si, clock),
        aria_label,
        polyline: polyline_points(&placed),
        dots,
        radius: if placed.len() > 30 { "2.5" } else { "4" },
        grid,
        y_labels,
        x_labels,
    })
}

/// One metric over time: a caption with the latest value and the change, and a line chart.
#[component]
pub fn MetricChart(series: Series, units: Units) -> impl IntoView {
    let metric = series.metric;
    let model = chart_model(&series, units, &crate::ui::clock());
    let latest = model
        .as_ref()
        .map(|m| m.latest.clone())
        .unwrap_or_else(|| "No measurements yet".into());
    let change = model.as_ref().map(|m| m.change.clone()).unwrap_or_default();
    let chart = model.map(|m| {
        let x1 = coord(plot_left());
        let x2 = coord(plot_right());
        let radius = m.radius;
        view! {
            <svg class="chart-svg" viewBox=VIEW_BOX role="img" aria-label=m.aria_label>
                <g class="chart-gridlines">
                    {m.grid.into_iter().map(|y| view! {
                        <line x1=x1.clone() x2=x2.clone() y1=y.clone() y2=y />
                    }).collect_view()}
                </g>
                <g class="chart-axis" font-size=AXIS_FONT>
                    {m.y_labels.into_iter().chain(m.x_labels).map(|l| view! {
                        <text x=l.x y=l.y dy="0.35em" text-anchor=l.anchor>{l.text}</text>
                    }).collect_view()}
                </g>
                <polyline class="chart-line" points=m.polyline />
                <g class="chart-points">
                    {m.dots.into_iter().map(|d| view! {
                        <circle class="chart-point" cx=d.cx cy=d.cy r=radius><title>{d.title}</title></circle>
                    }).collect_view()}
                </g>
            </svg>
        }
    });
    view! {
        <figure class="chart" data-testid=testids::PROGRESS_CHART data-metric=metric.key()>
            <figcaption>
                <span class="chart-label">{metric.label()}</span>
                <span class="chart-latest">{latest}</span>
                <span class="chart-change">{change}</span>
            </figcaption>
            {chart}
        </figure>
    }
    // Erased here so pages holding many charts do not build one enormous view type (the release
    // WASM build overflowed the compiler's query depth without it).
    .into_any()
}

/// Every metric the client has reported, grouped into body measurements and the rest.
#[component]
pub fn ProgressCharts(progress: Progress) -> impl IntoView {
    let units = progress.units;
    let (body, other): (Vec<Series>, Vec<Series>) = progress
        .series
        .into_iter()
        .filter(|s| s.points.iter().any(|p| p.value.is_finite()))
        .partition(|s| s.metric.is_body());
    let empty = (body.is_empty() && other.is_empty()).then(|| {
        view! {
            <p class="empty muted" data-testid=testids::PROGRESS_EMPTY>
                "No measurements yet. Charts appear after the first check-in."
            </p>
        }
    });
    view! {
        <section class="progress-charts" aria-label="Progress charts">
            {empty}
            {chart_group("Body", body, units)}
            {chart_group("Training and wellbeing", other, units)}
        </section>
    }
}

fn chart_group(title: &'static str, series: Vec<Series>, units: Units) -> Option<impl IntoView> {
    (!series.is_empty()).then(|| {
        view! {
            <div class="chart-group">
                <h3>{title}</h3>
                <div class="chart-list">
                    {series.into_iter().map(|series| view! { <MetricChart series units /> }).collect_view()}
                </div>
            </div>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Point;

    const DAY: i64 = 86_400_000;
    /// 2026-09-01T00:00Z.
    const SEP_1: i64 = 1_788_220_800_000;

    fn series(metric: Metric, points: &[(i64, f64)]) -> Series {
        Series {
            metric,
            points: points
                .iter()
                .map(|(at, value)| Point {
                    at: *at,
                    value: *value,
                })
                .collect(),
        }
    }

    fn inside_plot(p: &PlotPoint) -> bool {
        p.x.is_finite()
            && p.y.is_finite()
            && (plot_left()..=plot_right()).contains(&p.x)
            && (plot_top()..=plot_bottom()).contains(&p.y)
    }

    fn no_nan(model: &ChartModel) {
        let text = format!("{model:?}");
        assert!(!text.contains("NaN"), "{text}");
        assert!(!text.contains("inf"), "{text}");
    }

    /// The charts' dates read in UTC here, in the year of [`SEP_1`] (so without the year).
    fn utc() -> Clock {
        Clock::utc(SEP_1)
    }

    #[test]
    fn the_test_date_is_september_first() {
        assert_eq!(utc().date_value(SEP_1), "2026-09-01");
    }

    #[test]
    fn a_single_point_is_centred_and_padded() {
        let (range, placed) = plot(Metric::Weight, &[(SEP_1, 80.0)]);
        assert_eq!(placed.len(), 1);
        let p = placed[0];
        assert!(inside_plot(&p));
        assert_eq!(p.x, plot_left() / 2.0 + plot_right() / 2.0);
        assert!(range.lo < 80.0 && 80.0 < range.hi, "{range:?}");
        assert!(p.y > plot_top() && p.y < plot_bottom());
        let model = chart_model(
            &series(Metric::Weight, &[(SEP_1, 80.0)]),
            Units::Metric,
            &utc(),
        )
        .unwrap();
        no_nan(&model);
        assert_eq!(model.dots.len(), 1);
        assert_eq!(model.x_labels.len(), 1);
        assert_eq!(model.x_labels[0].anchor, "middle");
        assert_eq!(model.latest, "80 kg");
        assert_eq!(model.change, "First measurement on Tue 1 Sep");
    }

    #[test]
    fn a_flat_series_is_a_level_line_inside_the_plot() {
        let points: Vec<(i64, f64)> = (0..5).map(|i| (SEP_1 + i * 7 * DAY, 72.5)).collect();
        let (range, placed) = plot(Metric::Weight, &points);
        assert!(range.hi > range.lo && range.step > 0.0);
        assert!(range.lo < 72.5 && 72.5 < range.hi);
        assert!(placed.iter().all(inside_plot));
        assert!(placed.iter().all(|p| p.y == placed[0].y));
        assert!(placed[0].y > plot_top() && placed[0].y < plot_bottom());
        // Zero, too.
        let (range, placed) = plot(Metric::Sessions, &[(SEP_1, 0.0), (SEP_1 + DAY, 0.0)]);
        assert!(range.hi > range.lo);
        assert_eq!(range.lo, 0.0);
        assert!(placed.iter().all(inside_plot));
        let model = chart_model(
            &series(Metric::Weight, &[(SEP_1, 72.5), (SEP_1 + DAY, 72.5)]),
            Units::Metric,
            &utc(),
        )
        .unwrap();
        no_nan(&model);
        assert_eq!(model.change, "No change since Tue 1 Sep");
    }

    #[test]
    fn higher_values_are_drawn_higher_up() {
        let points: Vec<(i64, f64)> = (0..6)
            .map(|i| (SEP_1 + i * 7 * DAY, 70.0 + i as f64 * 1.5))
            .collect();
        let (range, placed) = plot(Metric::Weight, &points);
        assert!(range.lo < 70.0 && range.hi > 77.5, "{range:?}");
        for pair in placed.windows(2) {
            assert!(pair[1].y < pair[0].y, "{pair:?}");
        }
        assert!(placed.iter().all(inside_plot));
        // The first and last points span the full width.
        assert_eq!(placed[0].x, plot_left());
        assert_eq!(placed[5].x, plot_right());
    }

    #[test]
    fn x_follows_time_not_input_order() {
        let points = [
            (SEP_1 + 14 * DAY, 3.0),
            (SEP_1, 1.0),
            (SEP_1 + 21 * DAY, 4.0),
            (SEP_1 + 7 * DAY, 2.0),
        ];
        let (_, placed) = plot(Metric::Sessions, &points);
        let times: Vec<i64> = placed.iter().map(|p| p.at).collect();
        assert_eq!(
            times,
            vec![SEP_1, SEP_1 + 7 * DAY, SEP_1 + 14 * DAY, SEP_1 + 21 * DAY]
        );
        for pair in placed.windows(2) {
            assert!(pair[1].x > pair[0].x);
        }
        // Evenly spaced times are evenly spaced on screen.
        let gap = placed[1].x - placed[0].x;
        assert!((placed[3].x - placed[2].x - gap).abs() < 1e-9);
        // Equal times are centred.
        let xs = x_positions(&[SEP_1, SEP_1, SEP_1]);
        assert!(xs
            .iter()
            .all(|x| *x == plot_left() / 2.0 + plot_right() / 2.0));
        assert!(x_positions(&[]).is_empty());
    }

    #[test]
    fn nothing_is_nan_or_infinite() {
        let cases: Vec<(Metric, Vec<(i64, f64)>)> = vec![
            (Metric::Weight, vec![]),
            (Metric::Weight, vec![(SEP_1, f64::NAN)]),
            (
                Metric::Weight,
                vec![
                    (SEP_1, f64::NAN),
                    (SEP_1 + DAY, 80.0),
                    (SEP_1 + 2 * DAY, f64::INFINITY),
                ],
            ),
            (Metric::Steps, vec![(SEP_1, 0.0), (SEP_1 + DAY, 150_000.0)]),
            (Metric::Steps, vec![(SEP_1, 8500.0), (SEP_1 + DAY, 8600.0)]),
            (Metric::BodyFat, vec![(SEP_1, 18.2), (SEP_1 + DAY, 18.25)]),
            (Metric::Sleep, vec![(SEP_1, 7.0)]),
            (Metric::Mood, vec![(SEP_1, 7.0), (SEP_1, 8.0)]),
            (
                Metric::Adherence,
                vec![(SEP_1, 100.0), (SEP_1 + DAY, 100.0)],
            ),
            (Metric::Waist, vec![(i64::MIN, 80.0), (i64::MAX, 81.0)]),
            (Metric::Weight, vec![(SEP_1, 1e300), (SEP_1 + DAY, -1e300)]),
        ];
        for (metric, points) in cases {
            let (range, placed) = plot(metric, &points);
            assert!(range.lo.is_finite() && range.hi.is_finite() && range.hi > range.lo);
            assert!(range.step > 0.0);
            assert!(range.ticks().iter().all(|t| t.is_finite()));
            assert!(placed.iter().all(inside_plot), "{metric:?} {placed:?}");
            for units in [Units::Metric, Units::Imperial] {
                let s = series(metric, &points);
                match chart_model(&s, units, &utc()) {
                    Some(model) => {
                        no_nan(&model);
                        assert!(!model.polyline.is_empty());
                    }
                    None => assert!(points.iter().all(|(_, v)| !v.is_finite())),
                }
            }
        }
        assert_eq!(coord(f64::NAN), "0.0");
        assert_eq!(coord(-0.01), "0.0");
    }

    #[test]
    fn ratings_use_one_to_ten_and_steps_stay_whole() {
        let (range, _) = plot(Metric::Energy, &[(SEP_1, 6.0), (SEP_1 + DAY, 7.0)]);
        assert_eq!((range.lo, range.hi), (1.0, 10.0));
        assert_eq!(range.ticks(), vec![1.0, 4.0, 7.0, 10.0]);
        let (range, _) = plot(Metric::Sessions, &[(SEP_1, 3.0), (SEP_1 + DAY, 4.0)]);
        assert!(range.step >= 1.0 && range.step.fract() == 0.0, "{range:?}");
        let (range, _) = plot(Metric::Steps, &[(SEP_1, 4_000.0), (SEP_1 + DAY, 52_000.0)]);
        assert_eq!(axis_label(range.hi, &range), "60k");
        assert_eq!(axis_label(range.lo, &range), "0");
        let (range, _) = plot(Metric::Steps, &[(SEP_1, 6_000.0), (SEP_1 + DAY, 12_000.0)]);
        assert_eq!(axis_label(range.lo, &range), "4k");
        assert_eq!(nice_step(0.3, false), 0.5);
        assert_eq!(nice_step(23.0, false), 25.0);
        assert_eq!(nice_step(2.2, true), 5.0);
    }

    #[test]
    fn the_caption_shows_the_latest_value_and_the_change() {
        let s = series(
            Metric::Weight,
            &[
                (SEP_1 + 84 * DAY, 80.5),
                (SEP_1, 83.0),
                (SEP_1 + 42 * DAY, 81.0),
            ],
        );
        let model = chart_model(&s, Units::Metric, &utc()).unwrap();
        assert_eq!(model.latest, "80.5 kg");
        assert_eq!(model.change, "\u{2212}2.5 kg since Tue 1 Sep");
        assert_eq!(model.dots[2].title, "Tue 24 Nov: 80.5 kg");
        assert_eq!(model.x_labels[0].text, "Tue 1 Sep");
        assert_eq!(model.x_labels[1].text, "Tue 24 Nov");
        assert!(model.aria_label.contains("3 measurements"));
        let mood = series(Metric::Mood, &[(SEP_1, 5.0), (SEP_1 + DAY, 7.0)]);
        let model = chart_model(&mood, Units::Metric, &utc()).unwrap();
        assert_eq!(model.change, "+2 since Tue 1 Sep");
        assert_eq!(model.latest, "7/10");
    }

    #[test]
    fn imperial_labels_are_in_pounds() {
        let s = series(Metric::Weight, &[(SEP_1, 80.0), (SEP_1 + 7 * DAY, 82.0)]);
        let model = chart_model(&s, Units::Imperial, &utc()).unwrap();
        no_nan(&model);
        assert_eq!(model.latest, "180.8 lb");
        assert_eq!(model.change, "+4.4 lb since Tue 1 Sep");
        assert_eq!(model.dots[0].title, "Tue 1 Sep: 176.4 lb");
        let lo: f64 = model.y_labels[0].text.parse().unwrap();
        let hi: f64 = model.y_labels[1].text.parse().unwrap();
        assert!(lo < 176.4 && lo > 150.0, "{lo}");
        assert!(hi > 180.8 && hi < 200.0, "{hi}");
        assert!(model.aria_label.contains("lb"));
        assert!(!model.aria_label.contains("kg"));
        // The same data in metric stays in kilograms.
        let metric = chart_model(&s, Units::Metric, &utc()).unwrap();
        let hi: f64 = metric.y_labels[1].text.parse().unwrap();
        assert!(hi > 82.0 && hi < 90.0, "{hi}");
    }

    /// Rendering to HTML needs the `ssr` feature: `cargo test -p app --features ssr charts`.
    #[cfg(feature = "ssr")]
    #[test]
    fn charts_render_with_test_ids_and_groups() {
        let progress = Progress {
            units: Units::Imperial,
            series: vec![
                series(Metric::Weight, &[(SEP_1, 80.0), (SEP_1 + 7 * DAY, 79.0)]),
                series(Metric::Mood, &[(SEP_1, 6.0)]),
            ],
            photo_checkins: vec![],
        };
        let html = view! { <ProgressCharts progress /> }.to_html();
        assert_eq!(html.matches("data-testid=\"progress-chart\"").count(), 2);
        assert!(html.contains("data-metric=\"weight\""));
        assert!(html.contains("Body"));
        assert!(html.contains("Training and wellbeing"));
        assert!(html.contains("viewBox=\"0 0 320 160\""));
        assert!(html.contains("<polyline"));
        assert!(html.contains("<title>Tue 8 Sep 2026: 174.2 lb</title>"));
        assert!(!html.contains("progress-empty"));
        assert!(!html.contains("NaN"));

        let empty = Progress {
            units: Units::Metric,
            series: vec![],
            photo_checkins: vec![],
        };
        let html = view! { <ProgressCharts progress=empty /> }.to_html();
        assert!(html.contains("data-testid=\"progress-empty\""));
        assert!(!html.contains("progress-chart\""));
        assert!(!html.contains("data-testid=\"progress\""));
    }
}
