//! The chart in BENCHMARKS.md: one horizontal bar panel per headline metric (SVG).

use std::path::Path;

use plotters::prelude::*;

use crate::pool::Role;
use crate::report::{Metric, Results};

/// A panel: a title, a value scale for display, and one or more series of bars.
struct Panel {
    title: &'static str,
    scale: f64,
    series: &'static [(Metric, &'static str)],
    /// Vertical reference lines (value, label).
    marks: Vec<(f64, String)>,
}

const SUBJECT: RGBColor = RGBColor(214, 96, 39);
const PEER: RGBColor = RGBColor(76, 114, 176);
const FLOOR: RGBColor = RGBColor(150, 150, 150);
const SHADES: [RGBColor; 3] = [RGBColor(76, 114, 176), RGBColor(221, 132, 82), RGBColor(85, 168, 104)];

fn role_color(role: Role) -> RGBColor {
    match role {
        Role::Subject => SUBJECT,
        Role::Peer => PEER,
        Role::Floor => FLOOR,
    }
}

/// Draws the chart to `path` (SVG).
///
/// # Errors
/// When the file cannot be written.
pub fn draw(
    results: &Results,
    path: &Path,
    burst_limit_ms: f64,
    burst_target_ms: f64,
    late_secs: u64,
) -> Result<(), String> {
    let late_label: &'static str = Box::leak(format!("{late_secs} s").into_boxed_str());
    let late_series: &'static [(Metric, &'static str)] = Box::leak(Box::new([
        (Metric::BurstPeakThreads, "peak"),
        (Metric::AliveEarly, "1 s"),
        (Metric::AliveLate, late_label),
    ]));
    let panels = [
        Panel {
            title: "Throughput, 1 submitter (M tasks/s, higher is better)",
            scale: 1e-6,
            series: &[(Metric::Throughput1, "")],
            marks: vec![],
        },
        Panel {
            title: "Throughput, 4 submitters (M tasks/s, higher is better)",
            scale: 1e-6,
            series: &[(Metric::Throughput4, "")],
            marks: vec![],
        },
        Panel {
            title: "Round trip (µs)",
            scale: 1.0,
            series: &[(Metric::RoundTripMedian, "median"), (Metric::RoundTripP99, "p99")],
            marks: vec![],
        },
        Panel {
            title: "Spawn and await a result (µs)",
            scale: 1.0,
            series: &[(Metric::SpawnAwaitMedian, "median"), (Metric::SpawnAwaitP99, "p99")],
            marks: vec![],
        },
        Panel {
            title: "Burst: 2,000 x 1 ms sleeps, <= 64 threads (ms)",
            scale: 1.0,
            series: &[(Metric::BurstWall, "")],
            marks: vec![
                (burst_limit_ms, format!("limit {burst_limit_ms:.2}")),
                (burst_target_ms, format!("target {burst_target_ms:.0}")),
            ],
        },
        Panel {
            title: "Pool threads: peak, 1 s and later after the burst",
            scale: 1.0,
            series: late_series,
            marks: vec![],
        },
        Panel { title: "Bytes per queued task", scale: 1.0, series: &[(Metric::BytesPerQueued, "")], marks: vec![] },
        Panel { title: "KiB per idle thread", scale: 1.0, series: &[(Metric::KibPerIdleThread, "")], marks: vec![] },
    ];
    let root = SVGBackend::new(path, (1400, 1500)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (head, body) = root.split_vertically(40);
    head.titled("threadteam vs peers (medians; orange = threadteam, grey = floor)", ("sans-serif", 22))
        .map_err(|e| e.to_string())?;
    for (area, panel) in body.split_evenly((4, 2)).iter().zip(&panels) {
        draw_panel(results, area, panel).map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())
}

fn draw_panel<DB: DrawingBackend>(
    results: &Results,
    area: &DrawingArea<DB, plotters::coord::Shift>,
    panel: &Panel,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let metrics: Vec<_> = panel.series.iter().map(|(m, _)| *m).collect();
    let rows: Vec<_> = results.rows_for(&metrics).collect();
    let n = rows.len();
    let values: Vec<Vec<Option<f64>>> = rows
        .iter()
        .map(|r| panel.series.iter().map(|(m, _)| results.value(r.name, *m).map(|v| v * panel.scale)).collect())
        .collect();
    let top = values
        .iter()
        .flatten()
        .flatten()
        .copied()
        .chain(panel.marks.iter().map(|m| m.0))
        .fold(0.0f64, f64::max)
        .max(1e-9)
        * 1.25;
    let names: Vec<&str> = rows.iter().map(|r| r.name).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(panel.title, ("sans-serif", 16))
        .margin(8)
        .x_label_area_size(24)
        .y_label_area_size(90)
        // Row i is centred on y = i, so the default integer key points label the rows.
        .build_cartesian_2d(0f64..top, -0.5f64..n as f64 - 0.5)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(WHITE)
        .y_labels(n)
        .y_label_formatter(&|y| {
            let i = y.round();
            if (y - i).abs() > 1e-6 || i < 0.0 {
                return String::new();
            }
            // Rows go top-down in visiting order.
            names.get(n.saturating_sub(1 + i as usize)).map_or_else(String::new, |s| (*s).to_owned())
        })
        .x_labels(6)
        .draw()?;
    let k = panel.series.len();
    let band = 0.8 / k as f64;
    for (s, (_, label)) in panel.series.iter().enumerate() {
        let mut bars = Vec::new();
        let mut texts = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let y0 = (n - 1 - i) as f64 - 0.4 + band * (k - 1 - s) as f64;
            let color = if k == 1 { role_color(row.role) } else { SHADES[s % SHADES.len()] };
            match values[i][s] {
                Some(v) => {
                    bars.push(Rectangle::new([(0.0, y0), (v, y0 + band)], color.filled()));
                    let text = if v >= 100.0 || v.fract() == 0.0 {
                        format!("{v:.0}")
                    } else if v >= 10.0 {
                        format!("{v:.1}")
                    } else {
                        format!("{v:.2}")
                    };
                    texts.push(Text::new(text, (v + top * 0.01, y0 + band * 0.75), ("sans-serif", 11)));
                }
                None => texts.push(Text::new("n/a".to_owned(), (top * 0.01, y0 + band * 0.75), ("sans-serif", 11))),
            }
        }
        let drawn = chart.draw_series(bars)?;
        if !label.is_empty() {
            let c = SHADES[s % SHADES.len()];
            drawn.label(*label).legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], c.filled()));
        }
        chart.draw_series(texts)?;
    }
    for (j, (x, label)) in panel.marks.iter().enumerate() {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(*x, -0.5), (*x, n as f64 - 0.5)],
            RED.stroke_width(1),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            label.clone(),
            (*x + top * 0.01, n as f64 - 0.55 - 0.35 * j as f64),
            ("sans-serif", 11).into_font().color(&RED),
        )))?;
    }
    if k > 1 {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .border_style(BLACK)
            .background_style(WHITE.mix(0.8))
            .draw()?;
    }
    Ok(())
}
