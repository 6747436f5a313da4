//! Keeping a SQLite connection's thread on the core of the thread that uses it.
//!
//! Every statement of a write transaction is a hop from the writer thread (`writer.rs`)
//! to the thread sqlx gives the connection, and back. When the two threads sit on
//! different cores, each hop wakes an idle core (on a virtual machine, an exit to the
//! hypervisor and back) and the writer, which everyone queues for, spends most of its
//! time waiting for wake-ups. On one core a hop is a plain switch between two threads
//! (what that is worth is in `docs/performance.md`).
//!
//! A thread inherits the cores of the thread that starts it, so the writer thread takes
//! its core first and then opens the connection, whose thread follows it there; reads
//! do the same per core (`readers.rs`). Linux only; elsewhere, and wherever the process
//! may use a single core, nothing is pinned.

/// The core for the writer: the last one the process may use, so the first (where the
/// kernel tends to start things) stays with the HTTP work. `None` if there is only one,
/// or the system cannot tell.
pub(crate) fn writer_core() -> Option<usize> {
    cores_to_pin().last().copied()
}

/// Pins the calling thread (and every thread it starts from now on) to `core`.
pub(crate) fn pin_current_thread(core: usize) -> bool {
    imp::pin(core)
}

/// The cores the process may use, if there are two or more: with one (or where the
/// system cannot tell) there is nothing to pin and this is empty.
pub(crate) fn cores_to_pin() -> Vec<usize> {
    let cores = imp::allowed();
    if cores.len() < 2 {
        return Vec::new();
    }
    cores
}

/// The core the calling thread runs on right now.
pub(crate) fn current_core() -> Option<usize> {
    imp::current()
}

#[cfg(target_os = "linux")]
mod imp {
    use std::mem::{size_of, zeroed};

    pub fn allowed() -> Vec<usize> {
        // SAFETY: a zeroed cpu_set_t is a valid empty set; the kernel fills it for the
        // calling thread (pid 0) and we read it only on success.
        unsafe {
            let mut set: libc::cpu_set_t = zeroed();
            if libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) != 0 {
                return Vec::new();
            }
            (0..libc::CPU_SETSIZE as usize)
                .filter(|&c| libc::CPU_ISSET(c, &set))
                .collect()
        }
    }

    pub fn current() -> Option<usize> {
        // SAFETY: no arguments; -1 on failure.
        let core = unsafe { libc::sched_getcpu() };
        usize::try_from(core).ok()
    }

    pub fn pin(core: usize) -> bool {
        if core >= libc::CPU_SETSIZE as usize {
            return false;
        }
        // SAFETY: as above; the set holds one core below CPU_SETSIZE.
        unsafe {
            let mut set: libc::cpu_set_t = zeroed();
            libc::CPU_SET(core, &mut set);
            libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set) == 0
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub fn allowed() -> Vec<usize> {
        Vec::new()
    }

    pub fn pin(_core: usize) -> bool {
        false
    }

    pub fn current() -> Option<usize> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pinned_thread_runs_on_its_core_and_so_do_the_threads_it_starts() {
        let Some(core) = writer_core() else {
            return; // one core: nothing to pin, nothing to check
        };
        std::thread::spawn(move || {
            assert!(pin_current_thread(core));
            assert_eq!(imp::allowed(), vec![core]);
            let child = std::thread::spawn(imp::allowed).join().unwrap();
            assert_eq!(child, vec![core]);
        })
        .join()
        .unwrap();
        // The caller's own cores are untouched.
        assert!(imp::allowed().len() >= 2);
    }
}
