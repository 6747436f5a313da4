//! Throttles: how many attempts of one kind a key (an address, a client IP, a user) may
//! make in a sliding window before further attempts are refused (`spec/api.md`,
//! "Identity"). The store keeps the attempts; this decides.

use crate::Refusal;

/// At most `limit` attempts within `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    pub limit: u32,
    pub window_secs: u64,
}

const MINUTE: u64 = 60;
const HOUR: u64 = 3600;

/// Failed sign-ins for one address, known or not: 5 in 15 minutes.
pub const SIGN_IN_PER_ADDRESS: Throttle = Throttle {
    limit: 5,
    window_secs: 15 * MINUTE,
};
/// Failed sign-ins from one client IP: 50 in 15 minutes.
pub const SIGN_IN_PER_IP: Throttle = Throttle {
    limit: 50,
    window_secs: 15 * MINUTE,
};
/// Password-reset requests for one address, known or not: 5 an hour.
pub const RESET_PER_ADDRESS: Throttle = Throttle {
    limit: 5,
    window_secs: HOUR,
};
/// Password-reset requests from one client IP: 30 an hour.
pub const RESET_PER_IP: Throttle = Throttle {
    limit: 30,
    window_secs: HOUR,
};
/// Verification e-mails one user may ask for again: 5 an hour.
pub const RESEND_PER_USER: Throttle = Throttle {
    limit: 5,
    window_secs: HOUR,
};

/// Every same share (an item to one person) is e-mailed at most once a day.
pub const SHARE_MAIL_PER_SHARE: Throttle = Throttle {
    limit: 1,
    window_secs: 24 * HOUR,
};

/// The caps on what makes e-mail, set by the operator (`spec/api.md`, "Running it").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailCaps {
    /// Sign-ups from one client IP per hour.
    pub signups_per_ip: u32,
    /// Users one account adds per hour.
    pub users_added_per_account: u32,
    /// Share notifications one account's users make per hour.
    pub share_mails_per_account: u32,
    /// E-mails the whole server queues per hour.
    pub mails: u32,
}

impl Default for MailCaps {
    fn default() -> MailCaps {
        MailCaps {
            signups_per_ip: 20,
            users_added_per_account: 200,
            share_mails_per_account: 500,
            mails: 10_000,
        }
    }
}

impl Throttle {
    /// At most `limit` an hour.
    pub fn per_hour(limit: u32) -> Throttle {
        Throttle {
            limit,
            window_secs: HOUR,
        }
    }

    /// The window's length in microseconds, the store's unit of time.
    pub fn window_micros(self) -> i64 {
        i64::try_from(self.window_secs).unwrap_or(i64::MAX / 1_000_000) * 1_000_000
    }

    /// Whether one more attempt may be made now, given the times (microseconds) of the
    /// attempts already counted within the window, oldest first. Refused with the seconds
    /// until enough of them have left the window for one more.
    pub fn check(self, recent: &[i64], now: i64) -> Result<(), Refusal> {
        let window = self.window_micros();
        let live: Vec<i64> = recent
            .iter()
            .copied()
            .filter(|at| *at > now - window)
            .collect();
        let limit = self.limit as usize;
        if live.len() < limit {
            return Ok(());
        }
        // One more is allowed once all but `limit - 1` of them have left the window.
        let must_leave = live.len() + 1 - limit;
        let freed_at = live[must_leave - 1] + window;
        let micros = (freed_at - now).max(0) as u64;
        Err(Refusal::RateLimited {
            retry_after_secs: micros.div_ceil(1_000_000).max(1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000;

    fn retry(r: Result<(), Refusal>) -> u64 {
        match r {
            Err(Refusal::RateLimited { retry_after_secs }) => retry_after_secs,
            other => panic!("expected rate_limited, got {other:?}"),
        }
    }

    #[test]
    fn five_failures_for_an_address_hold_the_sixth_attempt() {
        let t = SIGN_IN_PER_ADDRESS;
        let now = 10_000 * S;
        let four = [now - 4 * S, now - 3 * S, now - 2 * S, now - S];
        assert_eq!(t.check(&four, now), Ok(()));
        let five = [now - 5 * S, now - 4 * S, now - 3 * S, now - 2 * S, now - S];
        assert_eq!(retry(t.check(&five, now)), 15 * 60 - 5);
    }

    #[test]
    fn attempts_older_than_the_window_do_not_count() {
        let t = SIGN_IN_PER_ADDRESS;
        let now = 10_000 * S;
        let old = [now - 16 * 60 * S; 5];
        assert_eq!(t.check(&old, now), Ok(()));
        let edge = [now - 15 * 60 * S; 5];
        assert_eq!(
            t.check(&edge, now),
            Ok(()),
            "exactly a window ago has left it"
        );
    }

    #[test]
    fn the_wait_ends_when_enough_attempts_have_left_the_window() {
        let t = Throttle {
            limit: 2,
            window_secs: 100,
        };
        let now = 1_000 * S;
        // Three counted (a race let one more in): two must leave before one more fits.
        let three = [now - 90 * S, now - 50 * S, now - 10 * S];
        assert_eq!(retry(t.check(&three, now)), 50);
        assert_eq!(t.check(&three, now + 50 * S), Ok(()));
    }

    #[test]
    fn the_ip_allows_fifty() {
        let now = 10_000 * S;
        let many: Vec<i64> = (0..49).map(|i| now - i * S).rev().collect();
        assert_eq!(SIGN_IN_PER_IP.check(&many, now), Ok(()));
        let fifty: Vec<i64> = (0..50).map(|i| now - i * S).rev().collect();
        assert!(SIGN_IN_PER_IP.check(&fifty, now).is_err());
    }
}
