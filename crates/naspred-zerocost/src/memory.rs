//! Keeping a long zero-cost sweep's resident memory bounded.
//!
//! libtorch allocates each architecture's network, activations and gradients with `malloc`
//! from the thread that runs it. glibc gives every thread its own malloc arena and returns
//! freed memory to the system only from the top of an arena, so after many differently shaped
//! networks the arenas hold gigabytes of free but fragmented memory: resident memory grows
//! with the number of architectures although nothing is leaked (every tensor is dropped).
//! [`trim_if_above`] asks glibc (`malloc_trim(0)`) to give the free pages of every arena back
//! once the process's resident memory passes a threshold; on other platforms it does nothing.

/// The resident-memory threshold above which [`crate::ZcEngine`] trims the allocator after
/// computing an architecture (1 GiB).
pub const DEFAULT_TRIM_ABOVE: u64 = 1 << 30;

/// The process's resident memory in bytes (`/proc/self/statm`), where the platform has it.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page_size())
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions; it returns -1 for an unknown name.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as u64
    } else {
        4096
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn page_size() -> u64 {
    4096
}

/// Returns the allocator's free memory to the system when the resident memory exceeds
/// `limit` bytes; whether it trimmed. Only glibc on Linux can; elsewhere always `false`.
pub fn trim_if_above(limit: u64) -> bool {
    match resident_bytes() {
        Some(rss) if rss > limit => trim(),
        _ => false,
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() -> bool {
    // SAFETY: malloc_trim only walks glibc's own arenas (under their locks) and may be called
    // from any thread at any time.
    unsafe { libc::malloc_trim(0) };
    true
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() -> bool {
    false
}

/// The process's peak resident memory in bytes (`VmHWM` of `/proc/self/status`), where the
/// platform has it.
pub fn peak_resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
