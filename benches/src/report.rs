//! Results: medians, ratios to the best peer, the console table, BENCHMARKS.md and the chart.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::pool::Role;

/// One measured quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// Workload 1, one submitter: tasks per second.
    Throughput1,
    /// Workload 1, four submitters: tasks per second.
    Throughput4,
    /// Workload 2: median round trip, µs.
    RoundTripMedian,
    /// Workload 2: 99th percentile round trip, µs.
    RoundTripP99,
    /// Workload 2b: median round trip to a thread that had gone to sleep, µs.
    RoundTripParkedMedian,
    /// Workload 2b: 99th percentile of it, µs.
    RoundTripParkedP99,
    /// Workload 3: wall time of the burst, ms.
    BurstWall,
    /// Workload 3: most pool threads alive during the burst.
    BurstPeakThreads,
    /// Workload 4: pool threads alive 1 s after the burst.
    AliveEarly,
    /// Workload 4: pool threads alive at the late sample (15 s by default).
    AliveLate,
    /// Workload 5: peak RSS with the tasks queued, MiB.
    QueuedPeakRss,
    /// Workload 5: bytes of peak RSS per queued task.
    BytesPerQueued,
    /// Workload 5: RSS per idle thread, KiB.
    KibPerIdleThread,
    /// Workload 6: median spawn-and-await round trip, µs.
    SpawnAwaitMedian,
    /// Workload 6: 99th percentile spawn-and-await round trip, µs.
    SpawnAwaitP99,
}

impl Metric {
    /// Column heading.
    pub fn label(self) -> &'static str {
        match self {
            Metric::Throughput1 => "1 submitter",
            Metric::Throughput4 => "4 submitters",
            Metric::RoundTripMedian | Metric::SpawnAwaitMedian => "median µs",
            Metric::RoundTripP99 | Metric::SpawnAwaitP99 => "p99 µs",
            Metric::RoundTripParkedMedian => "parked: median µs",
            Metric::RoundTripParkedP99 => "parked: p99 µs",
            Metric::BurstWall => "wall ms",
            Metric::BurstPeakThreads => "peak threads",
            Metric::AliveEarly => "threads at 1 s",
            Metric::AliveLate => "threads late",
            Metric::QueuedPeakRss => "peak RSS MiB",
            Metric::BytesPerQueued => "B / queued task",
            Metric::KibPerIdleThread => "KiB / idle thread",
        }
    }

    /// Whether a larger value is better (only throughput).
    pub fn higher_is_better(self) -> bool {
        matches!(self, Metric::Throughput1 | Metric::Throughput4)
    }

    /// The value as printed.
    pub fn format(self, v: f64) -> String {
        match self {
            Metric::Throughput1 | Metric::Throughput4 => format!("{:.2} M/s", v / 1e6),
            Metric::BurstPeakThreads | Metric::AliveEarly | Metric::AliveLate => format!("{v:.0}"),
            Metric::BytesPerQueued => format!("{v:.0}"),
            _ => format!("{v:.1}"),
        }
    }
}

/// The tables of the report: a title and its metrics.
pub const GROUPS: &[(&str, &[Metric])] = &[
    ("1. Throughput: empty tasks, tasks/s (higher is better)", &[Metric::Throughput1, Metric::Throughput4]),
    (
        "2. Round trip: submit one task, wait for it; back to back (a thread may still be looking for work) and after a pause (every thread parked) (lower is better)",
        &[Metric::RoundTripMedian, Metric::RoundTripP99, Metric::RoundTripParkedMedian, Metric::RoundTripParkedP99],
    ),
    (
        "3-4. Burst of blocking work, then elasticity (lower is better)",
        &[Metric::BurstWall, Metric::BurstPeakThreads, Metric::AliveEarly, Metric::AliveLate],
    ),
    ("5. Memory (lower is better)", &[Metric::QueuedPeakRss, Metric::BytesPerQueued, Metric::KibPerIdleThread]),
    ("6. Spawn and await a result (lower is better)", &[Metric::SpawnAwaitMedian, Metric::SpawnAwaitP99]),
];

/// One pool's samples.
#[derive(Clone, Debug)]
pub struct Row {
    /// The pool's name.
    pub name: &'static str,
    /// Subject, peer or floor.
    pub role: Role,
    /// How it was configured.
    pub setup: &'static str,
    /// Shown only where it has samples (see `Pool::BURST_ONLY`).
    pub burst_only: bool,
    /// Every sample, per metric (one per run).
    pub samples: BTreeMap<Metric, Vec<f64>>,
}

/// All results of a run of the suite.
#[derive(Clone, Debug, Default)]
pub struct Results {
    /// One row per pool, in visiting order.
    pub rows: Vec<Row>,
}

/// The median of `v` (the mean of the middle two for an even count).
pub fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let m = s.len() / 2;
    Some(if s.len() % 2 == 1 { s[m] } else { (s[m - 1] + s[m]) / 2.0 })
}

impl Results {
    /// Adds a pool (no samples yet).
    pub fn add_pool(&mut self, name: &'static str, role: Role, setup: &'static str, burst_only: bool) {
        self.rows.push(Row { name, role, setup, burst_only, samples: BTreeMap::new() });
    }

    /// The rows to show for `metrics`: all, but a burst-only pool only where it has samples.
    pub fn rows_for(&self, metrics: &[Metric]) -> impl Iterator<Item = &Row> {
        let metrics = metrics.to_vec();
        self.rows.iter().filter(move |r| !r.burst_only || metrics.iter().any(|m| r.samples.contains_key(m)))
    }

    /// Records one sample for `pool`.
    ///
    /// # Panics
    /// If `pool` was never added.
    pub fn record(&mut self, pool: &str, metric: Metric, value: f64) {
        let row = self.rows.iter_mut().find(|r| r.name == pool).expect("pool added before recording");
        row.samples.entry(metric).or_default().push(value);
    }

    /// The median of `pool`'s samples of `metric`.
    pub fn value(&self, pool: &str, metric: Metric) -> Option<f64> {
        self.rows.iter().find(|r| r.name == pool)?.samples.get(&metric).and_then(|v| median(v))
    }

    /// The best median among the peers (not threadteam, not the floor), and whose.
    pub fn best_peer(&self, metric: Metric) -> Option<(&'static str, f64)> {
        self.rows
            .iter()
            .filter(|r| r.role == Role::Peer)
            .filter_map(|r| Some((r.name, self.value(r.name, metric)?)))
            .reduce(|a, b| {
                let b_better = if metric.higher_is_better() { b.1 > a.1 } else { b.1 < a.1 };
                if b_better {
                    b
                } else {
                    a
                }
            })
    }

    /// The median over runs of `pool`'s ratio to the best peer of the same run (or to the
    /// floor, with `to_floor`): each run's samples were taken side by side, so a ratio of
    /// one run is not skewed by the load of another. `None` unless every run has both.
    pub fn same_run_ratio(&self, pool: &str, metric: Metric, to_floor: bool) -> Option<f64> {
        let row = |name: &str| self.rows.iter().find(|r| r.name == name)?.samples.get(&metric);
        let mine = row(pool)?;
        let others: Vec<&Vec<f64>> = self
            .rows
            .iter()
            .filter(|r| if to_floor { r.role == Role::Floor } else { r.role == Role::Peer })
            .filter_map(|r| r.samples.get(&metric))
            .collect();
        let mut ratios = Vec::new();
        for (run, &v) in mine.iter().enumerate() {
            let best = others.iter().filter_map(|samples| samples.get(run).copied()).reduce(|a, b| {
                let b_better = if metric.higher_is_better() { b > a } else { b < a };
                if b_better {
                    b
                } else {
                    a
                }
            })?;
            if best != 0.0 {
                ratios.push(v / best);
            }
        }
        median(&ratios)
    }

    /// `value / best peer`, when both exist and the best is not zero.
    pub fn ratio(&self, pool: &str, metric: Metric) -> Option<f64> {
        let v = self.value(pool, metric)?;
        let (_, best) = self.best_peer(metric)?;
        (best != 0.0).then(|| v / best)
    }

    fn cell(&self, pool: &str, metric: Metric) -> String {
        match self.value(pool, metric) {
            None => "n/a".into(),
            Some(v) => match self.ratio(pool, metric) {
                Some(r) => format!("{} ({r:.2}x)", metric.format(v)),
                None => metric.format(v),
            },
        }
    }

    fn pool_label(row: &Row) -> String {
        match row.role {
            Role::Subject => format!("**{}**", row.name),
            Role::Peer => row.name.to_owned(),
            Role::Floor => format!("{} (floor)", row.name),
        }
    }

    /// The tables as Markdown (also what the console shows).
    pub fn tables(&self) -> String {
        let mut out = String::new();
        for (title, metrics) in GROUPS {
            if !self.rows.iter().any(|r| metrics.iter().any(|m| r.samples.contains_key(m))) {
                continue;
            }
            let _ = writeln!(out, "### {title}\n");
            let _ = write!(out, "| pool |");
            for m in *metrics {
                let _ = write!(out, " {} |", m.label());
            }
            let _ = write!(out, "\n|---|");
            for _ in *metrics {
                let _ = write!(out, "---:|");
            }
            out.push('\n');
            for row in self.rows_for(metrics) {
                let _ = write!(out, "| {} |", Self::pool_label(row));
                for m in *metrics {
                    let _ = write!(out, " {} |", self.cell(row.name, *m));
                }
                out.push('\n');
            }
            let _ = write!(out, "| *best peer* |");
            for m in *metrics {
                match self.best_peer(*m) {
                    Some((name, v)) => {
                        let _ = write!(out, " {name}: {} |", m.format(v));
                    }
                    None => out.push_str(" – |"),
                }
            }
            out.push_str("\n\n");
        }
        out
    }
}

/// A target from the issue and whether threadteam met it.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// The target, in words.
    pub target: String,
    /// What was measured.
    pub measured: String,
    /// `Some(true)` met, `Some(false)` missed, `None` not measured.
    pub met: Option<bool>,
}

/// The speed targets every threadteam configuration (`subject`) is held to: throughput with
/// 1 and 4 submitters at least the best peer's and 0.9 of the floor's, and the round trip
/// to a parked thread no slower than the best peer's; each a median of same-run ratios.
pub fn speed_verdicts(r: &Results, subject: &str) -> Vec<Verdict> {
    let mut v = Vec::new();
    let ratio_text = |m: Metric, q: Option<f64>, against: &str| match (r.value(subject, m), q) {
        (Some(x), Some(q)) => format!("{} = {q:.2}x {against}", m.format(x)),
        _ => "not measured".into(),
    };
    for (m, what) in [(Metric::Throughput1, "1 submitter"), (Metric::Throughput4, "4 submitters")] {
        let q = r.same_run_ratio(subject, m, false);
        v.push(Verdict {
            target: format!("{subject}: throughput ({what}) >= 1.0x best peer"),
            measured: ratio_text(m, q, "the best peer"),
            met: q.map(|q| q >= 1.0),
        });
        let q = r.same_run_ratio(subject, m, true);
        v.push(Verdict {
            target: format!("{subject}: throughput ({what}) >= 0.9x floor"),
            measured: ratio_text(m, q, "the floor"),
            met: q.map(|q| q >= 0.9),
        });
    }
    let m = Metric::RoundTripParkedMedian;
    let q = r.same_run_ratio(subject, m, false);
    v.push(Verdict {
        target: format!("{subject}: round-trip median, thread parked, <= 1.0x best peer"),
        measured: ratio_text(m, q, "the best peer"),
        met: q.map(|q| q <= 1.0),
    });
    v
}

/// The burst and elasticity targets of `subject`: the burst within `burst_target_ms`, and
/// the threads back to `min_threads` at the late sample.
pub fn elasticity_verdicts(r: &Results, subject: &str, burst_target_ms: f64, min_threads: usize) -> Vec<Verdict> {
    let mut v = Vec::new();
    let wall = r.value(subject, Metric::BurstWall);
    v.push(Verdict {
        target: format!("{subject}: burst <= {burst_target_ms:.0} ms"),
        measured: wall.map_or_else(|| "not measured".into(), |w| format!("{w:.1} ms")),
        met: wall.map(|w| w <= burst_target_ms),
    });
    let late = r.value(subject, Metric::AliveLate);
    v.push(Verdict {
        target: format!("{subject}: threads back to min ({min_threads}) after keep-alive"),
        measured: late.map_or_else(|| "not measured".into(), |n| format!("{n:.0} threads at the late sample")),
        met: late.map(|n| n as usize <= min_threads),
    });
    v
}

/// The burst of `subject` (threads started before the clock) against the best peer's:
/// within 5 %, about the spread of one pool's medians between runs on the reference VM.
pub fn prestarted_burst_verdict(r: &Results, subject: &str) -> Verdict {
    let m = Metric::BurstWall;
    let ratio = r.ratio(subject, m);
    Verdict {
        target: "burst, threads pre-started as threadpool's and rayon's are, <= 1.05x best peer".into(),
        measured: match (r.value(subject, m), r.best_peer(m), ratio) {
            (Some(x), Some((b, bv)), Some(q)) => format!("{x:.1} ms vs {b} {bv:.1} ms = {q:.2}x"),
            _ => "not measured".into(),
        },
        met: ratio.map(|q| q <= 1.05),
    }
}

/// The verdicts as a Markdown table.
pub fn verdict_table(verdicts: &[Verdict]) -> String {
    let mut out = String::from("| target | measured | met? |\n|---|---|---|\n");
    for v in verdicts {
        let met = match v.met {
            Some(true) => "yes",
            Some(false) => "**MISSED**",
            None => "–",
        };
        let _ = writeln!(out, "| {} | {} | {met} |", v.target, v.measured);
    }
    out
}
