//! The latency chart: each load's latency at oha's percentiles, on a
//! logarithmic axis, as SVG.

use std::path::Path;

use plotters::prelude::*;

use crate::measured::Measured;

/// Draws the chart of `rows` into `path`.
pub fn latency_svg(path: &Path, title: &str, rows: &[Measured]) -> Result<(), String> {
    draw(path, title, rows).map_err(|err| format!("drawing {}: {err}", path.display()))
}

fn draw(path: &Path, title: &str, rows: &[Measured]) -> Result<(), Box<dyn std::error::Error>> {
    let percentiles: Vec<f64> = rows
        .first()
        .map(|row| row.outcome.percentiles.iter().map(|(p, _)| *p).collect())
        .unwrap_or_default();
    let latencies = rows
        .iter()
        .flat_map(|row| row.outcome.percentiles.iter().map(|(_, ms)| *ms))
        .filter(|ms| ms.is_finite() && *ms > 0.0);
    let (low, high) = latencies.fold((f64::MAX, f64::MIN), |(low, high), ms| {
        (low.min(ms), high.max(ms))
    });
    let (low, high) = if low <= high {
        (low / 1.5, high * 1.5)
    } else {
        (0.01, 1.0)
    };
    let last = percentiles.len().saturating_sub(1).max(1) as f64;

    let root = SVGBackend::new(path, (1000, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..last, (low..high).log_scale())?;
    let label = |x: &f64| {
        percentiles
            .get(x.round() as usize)
            .filter(|_| (x - x.round()).abs() < 1e-6)
            .map_or_else(String::new, |p| format!("p{p}"))
    };
    chart
        .configure_mesh()
        .x_labels(percentiles.len())
        .x_label_formatter(&label)
        .x_desc("percentile")
        .y_desc("latency (ms, log scale)")
        .draw()?;
    for (index, row) in rows.iter().enumerate() {
        let color = Palette99::pick(index).to_rgba();
        let points: Vec<(f64, f64)> = row
            .outcome
            .percentiles
            .iter()
            .enumerate()
            .filter(|(_, (_, ms))| ms.is_finite() && *ms > 0.0)
            .map(|(position, (_, ms))| (position as f64, *ms))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
            .label(format!("{} (c={})", row.key, row.connections))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart.draw_series(
            points
                .into_iter()
                .map(|point| Circle::new(point, 3, color.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
