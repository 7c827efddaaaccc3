//! CPU affinity for the epoll engine's workers: the CPUs the process may run on (respecting
//! `taskset`/cgroup limits), how many, and pinning the calling thread to one of them. Linux only; on other
//! systems there is nothing to pin and both functions are no-ops.

/// The CPUs the calling thread may run on, in increasing order (empty if unknown).
pub fn allowed_cpus() -> Vec<usize> {
    #[cfg(target_os = "linux")]
    {
        use rustix::thread::{sched_getaffinity, CpuSet};
        match sched_getaffinity(None) {
            Ok(set) => (0..CpuSet::MAX_CPU).filter(|&c| set.is_set(c)).collect(),
            Err(_) => Vec::new(),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        Vec::new()
    }
}

/// How many CPUs this process may run on (1 if unknown): the default worker count.
pub fn cpu_count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Pins the calling thread to `cpu`. Failure is logged and otherwise ignored: an unpinned
/// worker still works.
pub fn pin_current_thread(cpu: usize) {
    #[cfg(target_os = "linux")]
    {
        use rustix::thread::{sched_setaffinity, CpuSet};
        let mut set = CpuSet::new();
        set.set(cpu);
        if let Err(e) = sched_setaffinity(None, &set) {
            tracing::warn!(cpu, error = %e, "cannot pin the worker thread");
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = cpu;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn pinning_restricts_the_thread_to_one_cpu() {
        let cpus = allowed_cpus();
        assert!(!cpus.is_empty(), "a Linux process runs on at least one CPU");
        let last = *cpus.last().unwrap();
        let seen = std::thread::spawn(move || {
            pin_current_thread(last);
            allowed_cpus()
        })
        .join()
        .unwrap();
        assert_eq!(seen, vec![last]);
    }
}
