//! What every benchmark prints: the machine, markdown rows of "ours beside
//! its limit", and latency percentiles.

use std::io::Read;
use std::time::Duration;

/// One `| what | ours | limit (what it is) | ratio |` row.
pub fn row(what: &str, ours: f64, limit: f64, limit_what: &str) {
    println!(
        "| {what} | {ours:.1} | {limit:.1} ({limit_what}) | {:.2} |",
        ours / limit
    );
}

/// A row whose cells are already formatted (latency triples, counts).
pub fn text_row(what: &str, ours: &str, limit: &str, ratio: &str) {
    println!("| {what} | {ours} | {limit} | {ratio} |");
}

/// The table's header.
pub fn table_header() {
    println!("| what | ours | limit (same run) | ratio |");
    println!("|---|---|---|---|");
}

/// `d` in microseconds.
pub fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// `d` in milliseconds.
pub fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// This process's peak resident set, in KiB (0 if unknown).
pub fn peak_rss_kib() -> u64 {
    status_kib("/proc/self/status", "VmHWM").unwrap_or(0)
}

/// The figure of line `name` (such as `VmRSS`) of a `/proc/PID/status`
/// file, which the kernel gives in KiB; `None` if the file or line is
/// missing.
pub fn status_kib(status_path: &str, name: &str) -> Option<u64> {
    let status = std::fs::read_to_string(status_path).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// Cores this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
}

/// The CPU's model name.
pub fn cpu_model() -> String {
    let mut s = String::new();
    if let Ok(mut f) = std::fs::File::open("/proc/cpuinfo") {
        let _ = f.read_to_string(&mut s);
    }
    s.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|m| m.trim().to_owned())
        .unwrap_or_else(|| "unknown CPU".into())
}

/// The 1-, 5- and 15-minute load averages, as `/proc/loadavg` has them: a
/// figure taken while other work runs on the machine is depressed, and this
/// says so.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

/// CPU time this process has used so far, user and system, all threads
/// (including those that have exited). `/proc/self/stat` counts in clock
/// ticks, which are 1/100 s on Linux (`USER_HZ`); zero if unknown.
pub fn process_cpu() -> Duration {
    cpu_of("/proc/self/stat")
}

/// As [`process_cpu`], from a `/proc/PID/stat` file (another process).
pub fn cpu_of(stat_path: &str) -> Duration {
    checked_cpu_of(stat_path).unwrap_or(Duration::ZERO)
}

/// As [`cpu_of`], but `None` rather than zero if the file cannot be read or
/// parsed: for a process that must be running, where zero would be a
/// wrong figure rather than an unknown one.
pub fn checked_cpu_of(stat_path: &str) -> Option<Duration> {
    // utime and stime: fields 14 and 15.
    stat_ticks(stat_path, 14)
}

/// User plus system time of this process's children that it has waited
/// for (cutime and cstime: fields 16 and 17 of `/proc/self/stat`).
pub fn waited_children_cpu() -> Duration {
    stat_ticks("/proc/self/stat", 16).unwrap_or(Duration::ZERO)
}

/// The sum of fields `field` and `field + 1` (numbered from 1, as in
/// proc(5)) of a `/proc/PID/stat` file, as clock ticks of 1/100 s (Linux's
/// `USER_HZ`); `None` if unknown.
fn stat_ticks(stat_path: &str, field: usize) -> Option<Duration> {
    let s = std::fs::read_to_string(stat_path).ok()?;
    // After the command name, which is in parentheses and may itself
    // contain spaces, come fields 3 (state) onwards.
    let rest = &s[s.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(field.checked_sub(3)?);
    let first: u64 = fields.next()?.parse().ok()?;
    let second: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((first + second) * 10))
}

/// `cpu` over `wall` as a share of every core, and per `count` operations:
/// `"87 % of 2 cores, 412 µs CPU per answer"`.
pub fn cpu_share(cpu: Duration, wall: Duration, count: u64, per: &str) -> String {
    let share = cpu.as_secs_f64() / (wall.as_secs_f64() * cores() as f64) * 100.0;
    format!(
        "process CPU {share:.0} % of {} cores, {:.0} µs CPU per {per}",
        cores(),
        micros(cpu) / count.max(1) as f64
    )
}

/// Prints a note nobody can miss, on stdout (the report) and stderr.
pub fn loud(what: &str) {
    let rule = "!".repeat(72);
    println!("\n{rule}\n!! {what}\n{rule}\n");
    eprintln!("\n{rule}\n!! {what}\n{rule}\n");
}

/// Request latencies, sorted, in microseconds.
#[derive(Debug, Default, Clone)]
pub struct Latencies {
    sorted_us: Vec<u32>,
}

impl Latencies {
    /// From unsorted samples.
    pub fn new(mut samples_us: Vec<u32>) -> Self {
        samples_us.sort_unstable();
        Self {
            sorted_us: samples_us,
        }
    }

    /// The `p`-th percentile (0–100), nearest rank; zero with no samples.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.sorted_us.is_empty() {
            return Duration::ZERO;
        }
        let n = self.sorted_us.len();
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        let i = rank.clamp(1, n) - 1;
        Duration::from_micros(u64::from(self.sorted_us[i]))
    }

    /// `p50 / p95 / p99 ms`.
    pub fn triple(&self) -> String {
        format!(
            "{:.2} / {:.2} / {:.2} ms",
            millis(self.percentile(50.0)),
            millis(self.percentile(95.0)),
            millis(self.percentile(99.0))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let l = Latencies::new((1..=100).rev().collect());
        assert_eq!(l.percentile(50.0), Duration::from_micros(50));
        assert_eq!(l.percentile(99.0), Duration::from_micros(99));
        assert_eq!(l.percentile(100.0), Duration::from_micros(100));
        assert_eq!(l.percentile(0.0), Duration::from_micros(1));
        assert_eq!(Latencies::default().percentile(50.0), Duration::ZERO);
    }

    /// A command name with spaces and a parenthesis must not shift the
    /// fields: utime/stime are 14/15, cutime/cstime 16/17 (proc(5)).
    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stat");
        let mut line = String::from("4242 (a b) c) S");
        for field in 4..=20 {
            line.push_str(&format!(" {field}"));
        }
        std::fs::write(&path, line).unwrap();
        let path = path.to_str().unwrap();
        assert_eq!(cpu_of(path), Duration::from_millis((14 + 15) * 10));
        assert_eq!(
            stat_ticks(path, 16),
            Some(Duration::from_millis((16 + 17) * 10))
        );
        assert_eq!(cpu_of("/no/such/stat"), Duration::ZERO);
    }

    /// `VmRSS` must not match `VmRSSx` nor a line of another name that
    /// merely starts alike; the figure is the first word after the colon.
    #[test]
    fn status_lines_are_found_by_their_whole_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("status");
        std::fs::write(
            &path,
            "Name:\tbroker\nVmHWMish:\t1 kB\nVmHWM:\t  2048 kB\nVmRSS:\t1024 kB\n",
        )
        .unwrap();
        let path = path.to_str().unwrap();
        assert_eq!(status_kib(path, "VmRSS"), Some(1024));
        assert_eq!(status_kib(path, "VmHWM"), Some(2048));
        assert_eq!(status_kib(path, "VmSwap"), None);
        assert_eq!(status_kib("/no/such/status", "VmRSS"), None);
    }
}
