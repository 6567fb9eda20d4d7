//! Who gets the CPU when it is short: the bands' DSP threads before everything else.
//!
//! The DSP threads are plain threads started from the daemon's main thread at the process's
//! priority (a new thread inherits its creator's nice value). tokio's threads (the core, the
//! API, the feeds, the blocking pool) and then the main thread itself (the accept loop) run
//! [`RUNTIME_NICE_STEPS`] lower. A band that is starved loses samples that no one can send
//! again; a client that waits a little under a burst (a thousand reconnects, an alert for every
//! aircraft) loses nothing. On Linux the nice value belongs to the thread (setpriority(2) with
//! the thread's id), and lowering it needs no privilege.

/// How much lower than the bands the rest runs, in nice steps: at 5 the kernel gives a busy DSP
/// thread about three times the share of a busy runtime thread.
pub const RUNTIME_NICE_STEPS: i32 = 5;

/// The calling thread's nice value (-20..=19).
pub fn current() -> std::io::Result<i32> {
    Ok(rustix::process::getpriority_process(Some(
        rustix::thread::gettid(),
    ))?)
}

/// The nice value everything but the bands runs at, for a process started at `base`.
pub fn runtime_nice(base: i32) -> i32 {
    (base + RUNTIME_NICE_STEPS).min(19)
}

/// Sets the calling thread's nice value to `runtime_nice(base)`: absolute, so a thread that
/// inherited a lowered value (tokio starts blocking-pool threads from its workers) ends at the
/// same place as the others.
pub fn lower_this_thread(base: i32) {
    let tid = rustix::thread::gettid();
    if let Err(e) = rustix::process::setpriority_process(Some(tid), runtime_nice(base)) {
        tracing::warn!("cannot run this thread below the bands' DSP threads: {e}");
    }
}
