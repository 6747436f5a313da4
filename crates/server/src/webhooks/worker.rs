//! The webhook worker: claims due deliveries (`coproof_store::webhooks`), checks the
//! address again, signs each attempt (Standard Webhooks: the same `webhook-id` every time,
//! a fresh `webhook-timestamp` and signature) and posts it; a 2xx is delivered, anything
//! else (another status, a timeout, no connection) is retried with exponential backoff
//! until the event is three days old, then `failed`. Claims work like the mail outbox's: a
//! lease renewed by a heartbeat, so a killed process's deliveries go out from another
//! process (PostgreSQL) or after a restart (SQLite), at least once.

use super::address;
use super::keys::ServerKey;
use super::sign;
use crate::state::AppState;
use coproof_store::webhooks::{self, Due, Outcome};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

const LEASE: Duration = Duration::from_secs(120);
const HEARTBEAT: Duration = Duration::from_secs(2);
/// How often the queue is looked at (a read) when nothing woke the worker.
const POLL: Duration = Duration::from_secs(1);
/// Deliveries claimed, and sent concurrently, at once.
const BATCH: u32 = 16;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const TOTAL_TIMEOUT: Duration = Duration::from_secs(10);
/// The first wait after a failure; it doubles up to `--webhooks-retry-max-secs`.
const FIRST_RETRY: Duration = Duration::from_secs(5);
/// The longest `last_error` kept.
const ERROR_LEN: usize = 500;

pub struct WebhookWorker {
    state: AppState,
    id: String,
    client: reqwest::Client,
}

impl WebhookWorker {
    pub fn new(state: AppState) -> anyhow::Result<WebhookWorker> {
        let resolver = address::GuardedResolver {
            allow_private: state.config.webhooks_allow_private,
        };
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TOTAL_TIMEOUT)
            // A redirect could lead anywhere, a literal private address included.
            .redirect(reqwest::redirect::Policy::none())
            // A proxy from the environment would connect where the checks cannot see.
            .no_proxy()
            .dns_resolver(Arc::new(resolver))
            .user_agent(concat!("Coproof-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(WebhookWorker {
            state,
            id: coproof_store::ids::new_id(),
            client,
        })
    }

    pub fn spawn(self, stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(self.run(stop))
    }

    fn spawn_heartbeat(&self, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
        let (store, id) = (self.state.store.clone(), self.id.clone());
        tokio::spawn(async move {
            loop {
                if let Err(e) = webhooks::heartbeat(&store, &id, LEASE.as_micros() as i64).await {
                    tracing::warn!("webhook worker heartbeat: {e}");
                }
                tokio::select! {
                    _ = tokio::time::sleep(HEARTBEAT) => {}
                    _ = stop.changed() => {}
                }
                if *stop.borrow() {
                    return;
                }
            }
        })
    }

    async fn run(self, mut stop: watch::Receiver<bool>) {
        let store = &self.state.store;
        match webhooks::free_claims_of_the_dead(store).await {
            Ok(0) => {}
            Ok(freed) => tracing::info!(freed, "webhooks claimed before a crash are due again"),
            Err(e) => tracing::warn!("cannot free old webhook claims (their lease will): {e}"),
        }
        let lease = LEASE.as_micros() as i64;
        if let Err(e) = webhooks::heartbeat(store, &self.id, lease).await {
            tracing::warn!("webhook worker heartbeat: {e}");
        }
        let heartbeat = self.spawn_heartbeat(stop.clone());
        loop {
            if *stop.borrow() {
                let _ = heartbeat.await;
                return;
            }
            let claimed = match webhooks::any_due(store).await {
                Ok(true) => webhooks::claim_due(store, &self.id, lease, BATCH).await,
                Ok(false) => Ok(Vec::new()),
                Err(e) => Err(e),
            };
            match claimed {
                Ok(batch) if !batch.is_empty() => {
                    futures_util::future::join_all(batch.iter().map(|due| self.attempt(due))).await;
                }
                Ok(_) => {
                    tokio::select! {
                        _ = self.state.webhook_wake.notified() => {}
                        _ = tokio::time::sleep(POLL) => {}
                        _ = stop.changed() => {}
                    }
                }
                Err(e) => {
                    tracing::warn!("webhook queue unavailable: {e}");
                    tokio::select! {
                        _ = tokio::time::sleep(POLL) => {}
                        _ = stop.changed() => {}
                    }
                }
            }
        }
    }

    /// One attempt at one delivery, and its outcome recorded.
    async fn attempt(&self, due: &Due) {
        let outcome = self.send(due).await;
        match &outcome {
            Outcome::Delivered { .. } => {
                metrics::counter!("coproof_webhooks_delivered_total").increment(1);
            }
            Outcome::Retry { error, .. } | Outcome::Failed { error, .. } => {
                metrics::counter!("coproof_webhook_failures_total").increment(1);
                tracing::info!(endpoint = %due.endpoint_id, event = %due.event_id,
                    attempts = due.attempts, "webhook not delivered: {error}");
            }
        }
        if let Err(e) =
            webhooks::record(&self.state.store, &due.endpoint_id, &due.event_id, outcome).await
        {
            tracing::error!(endpoint = %due.endpoint_id, event = %due.event_id,
                "cannot record a webhook attempt (it will be tried again): {e}");
        }
    }

    async fn send(&self, due: &Due) -> Outcome {
        let allow_private = self.state.config.webhooks_allow_private;
        // The endpoint's address is checked again: the name may resolve elsewhere now.
        let url = match address::parse(&due.url) {
            Ok(url) => url,
            Err(refused) => return refused_outcome(refused),
        };
        if let Err(refused) = address::check(&url, allow_private).await {
            let permanent = refused.0.contains("--webhooks-allow-private");
            if permanent {
                return refused_outcome(refused);
            }
            return self.retry(due, None, refused.0);
        }
        let key = self
            .state
            .webhook_key
            .endpoint_key(&due.endpoint_id, &due.salt);
        let timestamp = chrono::Utc::now().timestamp();
        let signature = sign::signature(&key, &due.event_id, timestamp, due.body.as_bytes());
        let sent = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &due.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(due.body.clone())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => Outcome::Delivered {
                status_code: i64::from(response.status().as_u16()),
            },
            Ok(response) => {
                let code = response.status().as_u16();
                self.retry(due, Some(i64::from(code)), format!("HTTP {code}"))
            }
            Err(e) => self.retry(due, None, describe(&e)),
        }
    }

    /// Try again later, or give up once the event is [`webhooks::GIVE_UP_MICROS`] old.
    fn retry(&self, due: &Due, status_code: Option<i64>, error: String) -> Outcome {
        let now = coproof_store::now_micros();
        let error: String = error.chars().take(ERROR_LEN).collect();
        if now - due.created_at >= webhooks::GIVE_UP_MICROS {
            return Outcome::Failed {
                status_code,
                error: format!("given up after {} attempts: {error}", due.attempts),
            };
        }
        let wait = backoff(due.attempts, self.state.config.webhooks_retry_max_secs);
        Outcome::Retry {
            status_code,
            error,
            retry_at: now + wait.as_micros() as i64,
        }
    }
}

fn refused_outcome(refused: address::Refused) -> Outcome {
    Outcome::Failed {
        status_code: None,
        error: format!("refused, not sent: {refused}"),
    }
}

/// An error and its causes, on one line.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// 5 s, 10 s, 20 s, … up to `max_secs` (default six hours: about 24 attempts in the three
/// days before a delivery is given up).
pub fn backoff(attempts: i64, max_secs: u64) -> Duration {
    let exp = attempts.clamp(1, 30) as u32 - 1;
    let secs = FIRST_RETRY
        .as_secs()
        .saturating_mul(2u64.saturating_pow(exp));
    Duration::from_secs(secs.min(max_secs.max(1)))
}

/// The key every endpoint's secret comes from: `--webhooks-key-file`, or
/// `<data-dir>/webhooks.key` (created on first start).
pub fn load_key(config: &crate::config::Config) -> anyhow::Result<ServerKey> {
    ServerKey::load_or_create(&config.webhooks_key_file())
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        assert_eq!(backoff(1, 21600), Duration::from_secs(5));
        assert_eq!(backoff(2, 21600), Duration::from_secs(10));
        assert_eq!(backoff(13, 21600), Duration::from_secs(20480));
        assert_eq!(backoff(14, 21600), Duration::from_secs(21600));
        assert_eq!(backoff(60, 21600), Duration::from_secs(21600));
        assert_eq!(backoff(3, 1), Duration::from_secs(1));
    }
}
