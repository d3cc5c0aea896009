#![forbid(unsafe_code)]
//! The harness behind `cargo bench -p threadteam-benches`: threadteam side by side with
//! other Rust thread pools, in one bench binary (see `benches/compare.rs` and
//! BENCHMARKS.md at the workspace root).
//!
//! - [`pool`]: the [`Pool`](pool::Pool) trait every pool is driven through;
//! - [`peers`]: one `impl Pool` per pool, and the list of pools;
//! - [`workloads`]: the workloads, each written once, generic over `Pool`;
//! - [`sync`]: the latch and hand-off the bench waits on (the same for every pool);
//! - [`procfs`]: thread and memory counts from `/proc/self/status`;
//! - [`report`], [`chart`]: medians, ratios to the best peer, Markdown and the SVG chart.

pub mod chart;
pub mod peers;
pub mod pool;
pub mod procfs;
pub mod report;
pub mod sync;
pub mod workloads;
