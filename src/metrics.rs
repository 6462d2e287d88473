//! Latency histograms (HdrHistogram, nanoseconds): recording, summaries, tables and .hgrm files.

use hdrhistogram::Histogram;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

/// Highest recordable value: 60 s in ns (larger values are clamped, never lost).
const MAX_NS: u64 = 60_000_000_000;

/// One named latency histogram in nanoseconds, 3 significant digits.
#[derive(Clone, Debug)]
pub struct LatencyHist {
    name: String,
    hist: Histogram<u64>,
    /// Sum of the recorded values, for an O(1) mean (hdrhistogram's walks every bucket, and
    /// the ops snapshot asks for each histogram's mean on the loop). None once a corrected
    /// record added samples the sum does not know.
    sum_ns: Option<u128>,
}

impl LatencyHist {
    /// A new empty histogram; allocates once, here.
    pub fn new(name: impl Into<String>) -> Self {
        let hist = match Histogram::new_with_bounds(1, MAX_NS, 3) {
            Ok(h) => h,
            Err(e) => unreachable!("constant histogram bounds are valid: {e}"),
        };
        LatencyHist { name: name.into(), hist, sum_ns: Some(0) }
    }

    /// Its name (e.g. `v9.broadcast_written`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The underlying histogram.
    pub fn hist(&self) -> &Histogram<u64> {
        &self.hist
    }

    /// Records a duration; never fails, never allocates (clamps out-of-range values).
    #[inline]
    pub fn record(&mut self, d: Duration) {
        self.record_ns(d.as_nanos().min(MAX_NS as u128) as u64);
    }

    /// Records nanoseconds; never fails, never allocates.
    #[inline]
    pub fn record_ns(&mut self, ns: u64) {
        let v = ns.clamp(1, MAX_NS);
        self.hist.saturating_record(v);
        if let Some(sum) = &mut self.sum_ns {
            *sum += u128::from(v);
        }
    }

    /// Records with coordinated-omission correction for a load sent every `interval_ns`.
    pub fn record_corrected_ns(&mut self, ns: u64, interval_ns: u64) {
        let v = ns.clamp(1, MAX_NS);
        self.sum_ns = None;
        if self.hist.record_correct(v, interval_ns).is_err() {
            self.hist.saturating_record(v);
        }
    }

    /// Number of samples.
    pub fn len(&self) -> u64 {
        self.hist.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.hist.is_empty()
    }

    /// Value at quantile `q` (0..=1) in ns.
    pub fn quantile_ns(&self, q: f64) -> u64 {
        self.hist.value_at_quantile(q)
    }

    /// Clears the samples, keeping the allocation.
    pub fn reset(&mut self) {
        self.hist.reset();
        self.sum_ns = Some(0);
    }

    /// Mean in ns (0 when empty): exact and O(1) unless corrected records were added.
    pub fn mean_ns(&self) -> f64 {
        match self.sum_ns {
            _ if self.hist.is_empty() => 0.0,
            Some(sum) => sum as f64 / self.hist.len() as f64,
            None => self.hist.mean(),
        }
    }

    /// Adds another histogram's samples.
    pub fn merge(&mut self, other: &LatencyHist) {
        let _ = self.hist.add(&other.hist);
        self.sum_ns = self.sum_ns.zip(other.sum_ns).map(|(a, b)| a + b);
    }

    /// `name n=… p50=…µs p99=… p99.9=… max=…` on one line.
    pub fn summary_line(&self) -> String {
        let h = &self.hist;
        format!(
            "{} n={} p50={} p99={} p99.9={} max={}",
            self.name,
            h.len(),
            fmt_ns(h.value_at_quantile(0.5)),
            fmt_ns(h.value_at_quantile(0.99)),
            fmt_ns(h.value_at_quantile(0.999)),
            fmt_ns(h.max())
        )
    }

    /// Writes the HdrHistogram percentile-distribution (.hgrm) text, values in microseconds.
    pub fn write_hgrm(&self, out: &mut impl Write) -> io::Result<()> {
        let h = &self.hist;
        writeln!(
            out,
            "{:>12} {:>14} {:>10} {:>14}\n",
            "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
        )?;
        for v in h.iter_quantiles(5) {
            let q = v.quantile_iterated_to();
            let value = v.value_iterated_to() as f64 / 1000.0;
            if q < 1.0 {
                writeln!(
                    out,
                    "{value:12.3} {q:2.12} {:10} {:14.2}",
                    v.count_since_last_iteration(),
                    1.0 / (1.0 - q)
                )?;
            } else {
                writeln!(out, "{value:12.3} {q:2.12} {:10}", v.count_since_last_iteration())?;
            }
        }
        let mean = h.mean() / 1000.0;
        let sd = h.stdev() / 1000.0;
        let max = h.max() as f64 / 1000.0;
        writeln!(out, "#[Mean    = {mean:12.3}, StdDeviation   = {sd:12.3}]")?;
        writeln!(out, "#[Max     = {max:12.3}, Total count    = {:12}]", h.len())?;
        writeln!(
            out,
            "#[Buckets = {:12}, SubBuckets     = {:12}]",
            h.buckets(),
            h.distinct_values()
        )?;
        Ok(())
    }

    /// Writes `<dir>/<name>.hgrm`, creating `dir`.
    pub fn save_hgrm(&self, dir: &Path) -> io::Result<std::path::PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{}.hgrm", self.name.replace(['/', '\\', ' '], "_")));
        let mut f = io::BufWriter::new(std::fs::File::create(&path)?);
        self.write_hgrm(&mut f)?;
        f.flush()?;
        Ok(path)
    }
}

/// Formats nanoseconds with a readable unit (ns, µs, ms, s).
pub fn fmt_ns(ns: u64) -> String {
    if ns < 1_000 {
        format!("{ns}ns")
    } else if ns < 1_000_000 {
        format!("{:.1}µs", ns as f64 / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.2}ms", ns as f64 / 1e6)
    } else {
        format!("{:.2}s", ns as f64 / 1e9)
    }
}

/// What a histogram measures, in words a trader reads (`dtc.es.read_to_handled` →
/// "DTC es: message read → handled"); unknown names are returned as they are.
pub fn human_name(internal: &str) -> String {
    let fixed = match internal {
        "engine.loop_turn" => "engine loop turn (events, timers, calls)",
        "v9.publisher_read_to_broadcast_written" => "publisher signal read → sent to receivers",
        "v9.pipe_signal_to_broadcast_written" => "pipe signal read → sent to receivers",
        "v9.signal_sent_to_summary_back" => "signal sent → POSITION_SUMMARY back",
        "pipe.writer_to_read" => "study write → engine read (pipe)",
        "pipe.read_to_applied" => "pipe read → market state updated",
        "pipe.writer_to_applied" => "study write → market state updated",
        "demo.publisher_send_to_ack" => "publisher send → SIGNAL_ACK back",
        "demo.publisher_send_to_last_receiver_read" => "publisher send → last receiver read",
        _ => "",
    };
    if !fixed.is_empty() {
        return fixed.to_string();
    }
    let dtc = internal.strip_prefix("dtc.").and_then(|rest| rest.rsplit_once('.'));
    match dtc {
        Some((conn, "read_to_handled")) => format!("DTC {conn}: message read → handled"),
        Some((conn, "order_to_first_update")) => {
            format!("DTC {conn}: order sent → first ORDER_UPDATE")
        }
        _ => internal.to_string(),
    }
}

/// A percentile table (count, p50/p90/p99/p99.9/max in microseconds), one row per non-empty
/// histogram under its human name, aligned, with a legend giving each row's internal name (the
/// name of its `.hgrm` file and of its report line).
pub fn percentile_table<'a>(hists: impl IntoIterator<Item = &'a LatencyHist>) -> String {
    let rows: Vec<(String, &LatencyHist)> =
        hists.into_iter().filter(|h| !h.is_empty()).map(|h| (human_name(h.name()), h)).collect();
    let width = rows.iter().map(|(n, _)| n.chars().count()).max().unwrap_or(0).max(12);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<width$} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "latency (µs)", "count", "p50", "p90", "p99", "p99.9", "max"
    );
    for (name, h) in &rows {
        let us = |q: f64| h.quantile_ns(q) as f64 / 1e3;
        let _ = writeln!(
            s,
            "{name:<width$} {:>9} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
            h.len(),
            us(0.5),
            us(0.9),
            us(0.99),
            us(0.999),
            h.hist().max() as f64 / 1e3
        );
    }
    if rows.is_empty() {
        s.push_str("(no samples)\n");
    } else {
        s.push_str("internal names:\n");
        for (name, h) in &rows {
            let _ = writeln!(s, "  {name:<width$} = {}", h.name());
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mean_is_exact_and_survives_merge_and_reset() {
        let mut a = LatencyHist::new("a");
        assert_eq!(a.mean_ns(), 0.0);
        for ns in [1_000, 2_000, 6_000] {
            a.record_ns(ns);
        }
        assert_eq!(a.mean_ns(), 3_000.0);
        let mut b = LatencyHist::new("b");
        b.record_ns(7_000);
        a.merge(&b);
        assert_eq!(a.mean_ns(), 4_000.0);
        a.reset();
        assert_eq!(a.mean_ns(), 0.0);
        // Corrected records add samples the sum does not see: the histogram's own mean then.
        a.record_corrected_ns(10_000, 1_000);
        assert_eq!(a.mean_ns(), a.hist().mean());
    }

    #[test]
    fn records_and_reports() {
        let mut h = LatencyHist::new("t");
        for i in 1..=1000u64 {
            h.record_ns(i * 1000);
        }
        h.record(Duration::from_secs(3600)); // clamped, not lost
        assert_eq!(h.len(), 1001);
        let p50 = h.quantile_ns(0.5);
        assert!((499_000..=502_000).contains(&p50), "{p50}");
        assert!(h.summary_line().starts_with("t n=1001 p50="));
        let mut out = Vec::new();
        h.write_hgrm(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("#[Max     ="));
        assert!(percentile_table([&h]).contains("1001"));
    }

    #[test]
    fn the_table_uses_human_names_aligned_and_skips_empty_rows() {
        let mut a = LatencyHist::new("v9.signal_sent_to_summary_back");
        let mut b = LatencyHist::new("dtc.es.read_to_handled");
        a.record_ns(5_000);
        b.record_ns(7_000);
        let empty = LatencyHist::new("pipe.writer_to_read");
        let table = percentile_table([&a, &empty, &b]);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[1].starts_with("signal sent → POSITION_SUMMARY back"), "{table}");
        assert!(lines[2].starts_with("DTC es: message read → handled"), "{table}");
        assert!(!table.contains("study write"), "empty rows are left out: {table}");
        // Header and rows have the same width in characters: the columns line up.
        let widths: Vec<usize> = lines[..3].iter().map(|l| l.chars().count()).collect();
        assert!(widths.windows(2).all(|w| w[0] == w[1]), "{table}");
        assert!(table.contains("= v9.signal_sent_to_summary_back"));
    }
}
