//! Password hashing: argon2id (19 MiB, t=2, p=1), on the blocking pool, with a cap on how
//! many hashes run at once so a burst of log-ins cannot starve the server, and a bound on
//! how many may wait: past it a request is refused at once (503 `busy`, `Retry-After`)
//! instead of queueing behind a flood.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::{Arc, LazyLock};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Clone)]
pub struct Hasher {
    /// Hashes running at once.
    permits: Arc<Semaphore>,
    /// Hashes running or waiting.
    places: Arc<Semaphore>,
}

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Too many hashes are already waiting; try again shortly.
    #[error("too many passwords are waiting to be hashed")]
    Busy,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl From<tokio::task::JoinError> for HashError {
    fn from(error: tokio::task::JoinError) -> HashError {
        HashError::Failed(error.into())
    }
}

/// Makes the allocator hand blocks of 1 MiB and more (each hash's 19 MiB) straight back
/// to the system when freed. Otherwise glibc raises its mmap threshold after the first
/// free, and every blocking-pool thread that ever hashed keeps 19 MiB in its own arena:
/// a burst of sign-ups left the server at 800+ MB resident. Call once, at start.
pub fn return_hash_memory_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a tuning parameter of glibc's allocator and takes the
    // allocator's own lock; no memory is touched.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a password nobody has, verified against when an address is unknown so that
/// log-in takes as long for an unknown address as for a wrong password.
static DECOY: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::encode_b64(b"coproof-decoy-salt").expect("valid salt");
    argon2()
        .hash_password(b"decoy password", &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

impl Hasher {
    /// `concurrent` hashes at once, `waiting` more queued behind them.
    pub fn new(concurrent: usize, waiting: usize) -> Hasher {
        let concurrent = concurrent.max(1);
        Hasher {
            permits: Arc::new(Semaphore::new(concurrent)),
            places: Arc::new(Semaphore::new(concurrent + waiting)),
        }
    }

    /// A place in the queue and then a turn, or `Busy` when the queue is full.
    async fn turn(&self) -> Result<(OwnedSemaphorePermit, OwnedSemaphorePermit), HashError> {
        let place = self
            .places
            .clone()
            .try_acquire_owned()
            .map_err(|_| HashError::Busy)?;
        let turn = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| HashError::Failed(e.into()))?;
        Ok((place, turn))
    }

    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let _turn = self.turn().await?;
        let password = password.to_string();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
            argon2()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| HashError::Failed(anyhow::anyhow!("hashing: {e}")))
        })
        .await?
    }

    /// Whether `password` matches `hash`; with no hash, checks a decoy and answers false.
    pub async fn verify(&self, password: &str, hash: Option<String>) -> Result<bool, HashError> {
        let _turn = self.turn().await?;
        let password = password.to_string();
        tokio::task::spawn_blocking(move || {
            let known = hash.is_some();
            let stored = hash.unwrap_or_else(|| DECOY.clone());
            let ok = PasswordHash::new(&stored)
                .map(|parsed| {
                    argon2()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false);
            Ok(known && ok)
        })
        .await?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_answers_busy_at_once() {
        let hasher = Hasher::new(1, 1);
        // Hold the one turn and the one waiting place.
        let running = hasher.turn().await.expect("a turn");
        let waiting = {
            let h = hasher.clone();
            tokio::spawn(async move { h.turn().await.map(|_| ()) })
        };
        while hasher.places.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(
            hasher.verify("pw", None).await,
            Err(HashError::Busy)
        ));
        drop(running);
        waiting
            .await
            .expect("joined")
            .expect("the waiting one gets its turn");
        assert!(!hasher.verify("pw", None).await.expect("room again"));
    }
}
