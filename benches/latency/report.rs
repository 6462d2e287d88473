//! Bench output: the ratio table, .hgrm files and an SVG plot of the percentile distributions.

use std::fmt::Write as _;
use std::path::Path;
use v9bridge::metrics::LatencyHist;

/// One line of the table: an engine hop beside its raw baseline.
pub struct Row {
    pub hop: String,
    pub engine: LatencyHist,
    pub baseline: Option<LatencyHist>,
}

fn us(h: &LatencyHist, q: f64) -> f64 {
    if q >= 1.0 {
        h.hist().max() as f64 / 1e3
    } else {
        h.quantile_ns(q) as f64 / 1e3
    }
}

/// The table: p50/p99/p99.9/max per hop, baseline p50/p99, and engine / raw at p50 and p99.
pub fn table(rows: &[Row]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| hop | n | p50 µs | p99 µs | p99.9 µs | max µs | raw p50 | raw p99 | engine/raw p50 | engine/raw p99 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for r in rows {
        let e = &r.engine;
        let _ = write!(
            s,
            "| {} | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
            r.hop,
            e.len(),
            us(e, 0.5),
            us(e, 0.99),
            us(e, 0.999),
            us(e, 1.0)
        );
        match &r.baseline {
            Some(b) => {
                let _ = writeln!(
                    s,
                    " {:.1} | {:.1} | {:.2} | {:.2} |",
                    us(b, 0.5),
                    us(b, 0.99),
                    us(e, 0.5) / us(b, 0.5).max(1e-3),
                    us(e, 0.99) / us(b, 0.99).max(1e-3)
                );
            }
            None => s.push_str(" – | – | – | – |\n"),
        }
    }
    s
}

/// Writes every histogram as `<dir>/<name>.hgrm`.
pub fn hgrm(dir: &Path, hists: &[&LatencyHist]) {
    for h in hists {
        if let Err(e) = h.save_hgrm(dir) {
            eprintln!("cannot write {}.hgrm: {e}", h.name());
        }
    }
}

/// Percentile-distribution plot (x: 1/(1−p) on a log axis, y: µs on a log axis), one curve per
/// histogram, as a self-contained SVG.
pub fn svg(path: &Path, hists: &[&LatencyHist]) -> std::io::Result<()> {
    let (w, h, l, b) = (900.0, 520.0, 70.0, 50.0);
    let (pw, ph) = (w - l - 260.0, h - b - 20.0);
    let xmax = 5.0; // up to p99.999
    let all_max = hists.iter().map(|h| us(h, 1.0)).fold(1.0_f64, f64::max);
    let (ymin, ymax) = (0.1_f64.log10(), all_max.log10().ceil().max(1.0));
    let x = |q: f64| l + ((1.0 / (1.0 - q).max(1e-5)).log10() / xmax).min(1.0) * pw;
    let y = |v: f64| 20.0 + ph - ((v.max(0.1).log10() - ymin) / (ymax - ymin)) * ph;
    let mut s = format!("<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' font-family='sans-serif' font-size='11'>\n<rect width='100%' height='100%' fill='white'/>\n");
    for (i, label) in ["p0", "p90", "p99", "p99.9", "p99.99", "p99.999"].iter().enumerate() {
        let xv = l + i as f64 / xmax * pw;
        let _ = writeln!(s, "<line x1='{xv}' y1='20' x2='{xv}' y2='{}' stroke='#ddd'/><text x='{xv}' y='{}' text-anchor='middle'>{label}</text>", 20.0 + ph, h - b + 15.0);
    }
    let mut dec = ymin.floor() as i32;
    while dec as f64 <= ymax {
        let v = 10f64.powi(dec);
        let yv = y(v);
        let _ = writeln!(s, "<line x1='{l}' y1='{yv}' x2='{}' y2='{yv}' stroke='#ddd'/><text x='{}' y='{}' text-anchor='end'>{v} µs</text>", l + pw, l - 5.0, yv + 4.0);
        dec += 1;
    }
    let colors = [
        "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
        "#bcbd22", "#17becf",
    ];
    for (i, hist) in hists.iter().filter(|h| !h.is_empty()).enumerate() {
        let c = colors[i % colors.len()];
        let mut pts = String::new();
        for v in hist.hist().iter_quantiles(2) {
            let q = v.quantile_iterated_to();
            let _ = write!(pts, "{:.1},{:.1} ", x(q), y(v.value_iterated_to() as f64 / 1e3));
        }
        let _ =
            writeln!(s, "<polyline fill='none' stroke='{c}' stroke-width='1.5' points='{pts}'/>");
        let ly = 30.0 + i as f64 * 16.0;
        let _ = writeln!(
            s,
            "<rect x='{}' y='{}' width='12' height='3' fill='{c}'/><text x='{}' y='{}'>{}</text>",
            l + pw + 15.0,
            ly - 4.0,
            l + pw + 32.0,
            ly,
            hist.name()
        );
    }
    let _ = writeln!(
        s,
        "<text x='{}' y='{}' text-anchor='middle'>percentile</text></svg>",
        l + pw / 2.0,
        h - 8.0
    );
    std::fs::write(path, s)
}
