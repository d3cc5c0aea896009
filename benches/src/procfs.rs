//! Process-wide counts from `/proc/self` (Linux): live threads and resident memory.

use std::fs;

fn status_field(name: &str) -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// Threads alive in this process (`Threads:`), 0 if unreadable.
pub fn threads() -> usize {
    status_field("Threads").map_or(0, |n| n as usize)
}

/// Resident set size now, in KiB (`VmRSS:`).
pub fn rss_kib() -> u64 {
    status_field("VmRSS").unwrap_or(0)
}

/// Peak resident set size since start or the last [`reset_peak_rss`], in KiB (`VmHWM:`).
pub fn peak_rss_kib() -> u64 {
    status_field("VmHWM").unwrap_or(0)
}

/// Resets `VmHWM` to the current RSS (writes 5 to `/proc/self/clear_refs`, Linux >= 4.0);
/// whether that worked.
pub fn reset_peak_rss() -> bool {
    fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The machine, for the report: CPU model, logical cores, kernel and OS.
pub fn machine() -> String {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name").map(|r| r.trim_start_matches([' ', '\t', ':']).to_owned()))
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").map_or_else(|_| "?".into(), |s| s.trim().to_owned());
    let os = fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("PRETTY_NAME=").map(|v| v.trim_matches('"').to_owned())))
        .unwrap_or_else(|| std::env::consts::OS.into());
    let mem_gib = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("MemTotal:")?.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map_or(0.0, |kib| kib as f64 / (1024.0 * 1024.0));
    format!("{cores} logical cores ({cpu}), {mem_gib:.0} GiB RAM, Linux {kernel}, {os}")
}

/// The 1-minute load average, to show how busy the machine was.
pub fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map_or_else(|_| "?".into(), |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}
