//! Process memory: how the server keeps its resident size near what the tier engine holds
//! (glibc's malloc arenas capped at start, freed pages handed back after a load) and the
//! resident and peak sizes that the health endpoint and the benchmarks report.
//!
//! glibc gives each thread that allocates under contention an arena of its own, and an arena
//! keeps what was freed in it. A load that builds the engine on several runtime threads left
//! about 230 MB of such free memory beside the engine's 294 MB at size M (peak 522 MB);
//! two arenas and a trim after each load bring the server to the engine plus its caches.

use std::time::Duration;

use serde::Serialize;

/// Arenas glibc may create. One is smallest but serialises every allocation; two keep
/// request handlers and the engine's follower from waiting on each other.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ARENAS: libc::c_int = 2;

/// Caps glibc's malloc arenas. Call before any thread starts (glibc reads the cap when it
/// creates an arena). Elsewhere this does nothing.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before other threads
    // exist and takes no pointers.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, ARENAS);
    }
}

/// Hands the allocator's free pages back to the system (after a load has dropped its
/// buffers). Elsewhere this does nothing.
pub fn release_free() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers and is safe to call from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Hands freed memory back every `every` while the server runs: requests that read many
/// customers (exports, completeness, previews) free their buffers into the allocator, which
/// would otherwise keep them. A trim takes a few milliseconds and runs on a blocking thread.
pub fn spawn_trimmer(every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let before = Resident::now().rss_mb;
            let started = std::time::Instant::now();
            if tokio::task::spawn_blocking(release_free).await.is_err() {
                break;
            }
            let after = Resident::now().rss_mb;
            if before - after >= 1.0 {
                tracing::debug!(before_mb = before, after_mb = after, seconds = started.elapsed().as_secs_f64(), "freed memory returned");
            }
        }
    })
}

/// This process's resident memory now and at its peak, in MiB (Linux; zero elsewhere).
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Resident {
    pub rss_mb: f64,
    pub peak_rss_mb: f64,
}

impl Resident {
    pub fn now() -> Resident {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
                .map_or(0.0, |kb| (kb / 1024.0 * 10.0).round() / 10.0)
        };
        Resident { rss_mb: field("VmRSS:"), peak_rss_mb: field("VmHWM:") }
    }
}

/// Peak resident memory of this process in MiB since the last [`reset_peak_rss`].
pub fn peak_rss_mb() -> f64 {
    Resident::now().peak_rss_mb
}

/// Resets the kernel's peak-RSS counter (Linux), so the next reading covers only what follows.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_size_is_read_and_the_peak_is_at_least_the_current() {
        limit_arenas();
        release_free();
        let r = Resident::now();
        if cfg!(target_os = "linux") {
            assert!(r.rss_mb > 0.0, "{r:?}");
            assert!(r.peak_rss_mb >= r.rss_mb, "{r:?}");
        }
    }
}
