//! The server-wide ceiling on e-mails queued per hour (`--mail-limit-per-hour`): whatever
//! else limits each kind, the whole server never queues more than this in an hour, so a
//! flaw or a flood elsewhere cannot make it a spam cannon. Counted in memory per process,
//! in one-minute buckets over the last 60 (several processes on one PostgreSQL database
//! each allow the ceiling; `docs/operations.md`). A flow takes its e-mails from the
//! ceiling before it queues them; a transaction that then fails does not give them back.

use coproof_core::Refusal;
use std::sync::Mutex;

const MINUTE: i64 = 60 * 1_000_000;
const BUCKETS: usize = 60;

pub struct MailCeiling {
    limit: u64,
    /// (minute number, e-mails queued in it), oldest first, at most 60.
    buckets: Mutex<std::collections::VecDeque<(i64, u64)>>,
}

impl MailCeiling {
    pub fn new(limit: u32) -> MailCeiling {
        MailCeiling {
            limit: u64::from(limit),
            buckets: Mutex::default(),
        }
    }

    /// Takes `n` e-mails at `now` (microseconds), or says how long until they fit.
    pub fn take_at(&self, n: u64, now: i64) -> Result<(), Refusal> {
        let minute = now.div_euclid(MINUTE);
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        while buckets
            .front()
            .is_some_and(|(m, _)| *m <= minute - BUCKETS as i64)
        {
            buckets.pop_front();
        }
        let queued: u64 = buckets.iter().map(|(_, count)| count).sum();
        if queued + n > self.limit {
            // The oldest minute leaves the window at its start plus an hour.
            let oldest = buckets.front().map_or(minute, |(m, _)| *m);
            let free_at = (oldest + BUCKETS as i64) * MINUTE;
            let secs = ((free_at - now).max(0) as u64).div_ceil(1_000_000).max(1);
            return Err(Refusal::RateLimited {
                retry_after_secs: secs,
            });
        }
        match buckets.back_mut() {
            Some((m, count)) if *m == minute => *count += n,
            _ => buckets.push_back((minute, n)),
        }
        Ok(())
    }

    /// [`MailCeiling::take_at`] now.
    pub fn take(&self, n: u64) -> Result<(), Refusal> {
        self.take_at(n, crate::now_micros())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_holds_for_an_hour_then_frees_minute_by_minute() {
        let ceiling = MailCeiling::new(3);
        let t0 = 1_000 * MINUTE;
        assert!(ceiling.take_at(2, t0).is_ok());
        assert!(ceiling.take_at(1, t0 + 30 * MINUTE).is_ok());
        match ceiling.take_at(1, t0 + 40 * MINUTE) {
            Err(Refusal::RateLimited { retry_after_secs }) => {
                assert_eq!(
                    retry_after_secs,
                    20 * 60,
                    "the first minute leaves at t0 + 1 h"
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(
            ceiling.take_at(2, t0 + 60 * MINUTE).is_ok(),
            "t0's two left"
        );
        assert!(ceiling.take_at(1, t0 + 61 * MINUTE).is_err());
    }

    #[test]
    fn more_than_the_ceiling_at_once_is_refused() {
        let ceiling = MailCeiling::new(5);
        assert!(ceiling.take_at(6, 0).is_err());
        assert!(ceiling.take_at(5, 0).is_ok());
    }
}
