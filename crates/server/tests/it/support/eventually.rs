//! Waiting for something to happen: a condition looked at every few milliseconds until it
//! holds or a deadline passes. The one way the tests wait (no `sleep` and check by hand): a
//! wait that ends as soon as the thing happened is fast on an idle machine and still
//! patient on a loaded one.
//!
//! Also included by the `e2e` test binary (`#[path]`): it needs nothing but std and tokio.

use std::fmt::Display;
use std::future::Future;
use std::time::{Duration, Instant};

/// How often a condition is looked at.
const EVERY: Duration = Duration::from_millis(20);

/// What a condition answers: whether it holds (and with what value), and if not, what was
/// seen instead (for the failure message).
pub trait Condition {
    type Value;
    fn check(self) -> Result<Self::Value, Option<String>>;
}

impl Condition for bool {
    type Value = ();
    fn check(self) -> Result<(), Option<String>> {
        if self {
            Ok(())
        } else {
            Err(None)
        }
    }
}

impl<T> Condition for Option<T> {
    type Value = T;
    fn check(self) -> Result<T, Option<String>> {
        self.ok_or(None)
    }
}

/// `Err` is "not yet", with what was seen.
impl<T, E: std::fmt::Debug> Condition for Result<T, E> {
    type Value = T;
    fn check(self) -> Result<T, Option<String>> {
        self.map_err(|seen| Some(format!("{seen:?}")))
    }
}

/// Polls `condition` every few milliseconds until it holds (`true`, `Some(value)` or
/// `Ok(value)`), and returns its value; panics naming `what` (and what was last seen, for an
/// `Err`) when `deadline` passes first. The condition is looked at once more after the
/// deadline, so a slow poll never loses the last chance.
pub async fn eventually<C, F, Fut>(what: impl Display, deadline: Duration, condition: F) -> C::Value
where
    C: Condition,
    F: FnMut() -> Fut,
    Fut: Future<Output = C>,
{
    match within(deadline, condition).await {
        Ok(value) => value,
        Err(Some(seen)) => panic!("{what}: not so within {deadline:?}; last seen: {seen}"),
        Err(None) => panic!("{what}: not so within {deadline:?}"),
    }
}

/// [`eventually`] without the panic: the value, or what was last seen once `deadline`
/// passed. For the helpers that must clean up (a child process to kill) before failing.
pub async fn within<C, F, Fut>(
    deadline: Duration,
    mut condition: F,
) -> Result<C::Value, Option<String>>
where
    C: Condition,
    F: FnMut() -> Fut,
    Fut: Future<Output = C>,
{
    let end = Instant::now() + deadline;
    loop {
        let past = Instant::now() >= end;
        match condition().await.check() {
            Ok(value) => return Ok(value),
            Err(seen) if past => return Err(seen),
            Err(_) => tokio::time::sleep(EVERY).await,
        }
    }
}

/// Seconds, for deadlines: `eventually("…", secs(20), …)`.
pub const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_condition_that_comes_true_is_waited_for() {
        let mut n = 0;
        let got = eventually("n reaches 3", secs(5), || {
            n += 1;
            let now = n;
            async move { (now >= 3).then_some(now) }
        })
        .await;
        assert_eq!(got, 3);
    }

    #[tokio::test]
    #[should_panic(expected = "never: not so within")]
    async fn a_condition_that_never_holds_fails_naming_it() {
        eventually("never", Duration::from_millis(50), || async { false }).await
    }

    #[tokio::test]
    async fn what_was_seen_last_is_kept() {
        let seen = within(Duration::from_millis(30), || async {
            Err::<(), _>("seven")
        })
        .await;
        assert_eq!(seen.unwrap_err().as_deref(), Some("\"seven\""));
    }
}
