//! The mail worker: claims due messages from the outbox a batch at a time, renders and
//! delivers them in order, and marks them sent (one write for the batch) only after the
//! server took them (`.eml` files: each written and fsynced, renamed into place, and the
//! folder fsynced once for the batch, so the renames outlast a crash too). A failure is
//! retried with exponential backoff; nothing is ever dropped (not even a mail whose queued
//! details this server cannot read: it waits for a server that can). A crash between
//! delivery and the mark re-sends at most one batch, with the same Message-ID.

use super::templates;
use super::transport::{build_message, Transport};
use crate::state::AppState;
use coproof_store::outbox;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long a claimed message is reserved for this worker; the heartbeat renews it while
/// the worker lives, and a worker silent for `outbox::STALE_MICROS` (6 s) loses its claims.
const LEASE: Duration = Duration::from_secs(120);
/// How often the worker says it is alive.
const HEARTBEAT: Duration = Duration::from_secs(2);
/// How often the outbox is looked at when nothing woke the worker.
const POLL: Duration = Duration::from_secs(1);
/// Messages claimed at once: each claim and each mark is a write the partner and user
/// changes queue behind (SQLite has one writer).
const BATCH: u32 = 32;

pub struct MailWorker {
    state: AppState,
    /// This process's worker id: the owner recorded on its claims.
    id: String,
}

impl MailWorker {
    pub fn new(state: AppState) -> MailWorker {
        MailWorker {
            state,
            id: coproof_store::ids::new_id(),
        }
    }

    /// Beats until `stop`: the claims of a live worker never lapse, those of a dead one
    /// (killed, frozen) are free to any worker within seconds.
    fn spawn_heartbeat(&self, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
        let (store, id) = (self.state.store.clone(), self.id.clone());
        tokio::spawn(async move {
            loop {
                if let Err(e) = outbox::heartbeat(&store, &id, LEASE.as_micros() as i64).await {
                    tracing::warn!("mail worker heartbeat: {e}");
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

    pub fn spawn(self, stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(self.run(stop))
    }

    async fn run(self, mut stop: watch::Receiver<bool>) {
        let config = &self.state.config;
        let transport = match Transport::new(config.smtp_url.as_deref(), config.mail_dir()) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!("mail delivery disabled: {e:#}");
                return;
            }
        };
        let host = url::Url::parse(&config.public_url())
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "coproof.localhost".into());
        // On SQLite this is the only process: what is claimed was claimed by one that died.
        match outbox::free_claims_of_the_dead(&self.state.store).await {
            Ok(0) => {}
            Ok(freed) => tracing::info!(freed, "mail claimed before a crash is due again"),
            Err(e) => {
                tracing::warn!("cannot free old mail claims (their owner's silence will): {e}")
            }
        }
        // Alive before the first claim, so that no other worker takes what it claims.
        let lease = LEASE.as_micros() as i64;
        if let Err(e) = outbox::heartbeat(&self.state.store, &self.id, lease).await {
            tracing::warn!("mail worker heartbeat: {e}");
        }
        let heartbeat = self.spawn_heartbeat(stop.clone());
        loop {
            if *stop.borrow() {
                let _ = heartbeat.await;
                return;
            }
            match outbox::claim_due(&self.state.store, &self.id, lease, BATCH).await {
                Ok(batch) if !batch.is_empty() => {
                    self.deliver_batch(&transport, &host, batch).await
                }
                Ok(_) => {
                    tokio::select! {
                        _ = self.state.mail_wake.notified() => {}
                        _ = tokio::time::sleep(POLL) => {}
                        _ = stop.changed() => {}
                    }
                }
                Err(e) => {
                    tracing::warn!("outbox unavailable: {e}");
                    tokio::select! {
                        _ = tokio::time::sleep(POLL) => {}
                        _ = stop.changed() => {}
                    }
                }
            }
        }
    }

    /// Delivers a claimed batch in order. The first failed delivery gives the rest back
    /// untried (the mail server is likely down: each message then backs off on its own),
    /// and so does running past half the lease.
    async fn deliver_batch(&self, transport: &Transport, host: &str, batch: Vec<outbox::Queued>) {
        let store = &self.state.store;
        let started = std::time::Instant::now();
        let mut sent = Vec::with_capacity(batch.len());
        let mut rest = batch.into_iter();
        for queued in rest.by_ref() {
            // A mail that cannot be written (its row does not fit its kind) fails alone,
            // like one the server refused: kept, tried again with backoff (a newer server
            // may read it), its reason in `last_error`. The rest of the batch goes on.
            let rendered = match templates::render(&queued.mail, &self.state.config.public_url()) {
                Ok(rendered) => rendered,
                Err(e) => {
                    let e = anyhow::Error::new(e);
                    tracing::error!(id = %queued.id, kind = queued.mail.kind.as_str(),
                        "cannot write a queued mail: {e:#}");
                    self.failed(&queued, e).await;
                    continue;
                }
            };
            match self.deliver(transport, host, &queued, &rendered).await {
                Ok(()) => {
                    metrics::counter!("coproof_mail_sent_total").increment(1);
                    sent.push(queued.id);
                }
                Err(e) => {
                    self.failed(&queued, e).await;
                    break;
                }
            }
            if started.elapsed() > LEASE / 2 {
                break;
            }
        }
        let mut untried: Vec<String> = rest.map(|q| q.id).collect();
        if !sent.is_empty() {
            if let Err(e) = transport.settle().await {
                // Delivered, but perhaps not for good: given back to be delivered again
                // (the same file, the same Message-ID) rather than marked sent.
                tracing::warn!(
                    count = sent.len(),
                    "cannot make delivered mail durable: {e:#}"
                );
                untried.append(&mut sent);
            }
        }
        if let Err(e) = outbox::mark_sent(store, &sent).await {
            tracing::error!(
                count = sent.len(),
                "mail delivered but not marked sent: {e}"
            );
        }
        if !untried.is_empty() {
            if let Err(e) = outbox::release(store, &untried).await {
                tracing::warn!("cannot give back claimed mail (the lease will): {e}");
            }
        }
    }

    async fn deliver(
        &self,
        transport: &Transport,
        host: &str,
        queued: &outbox::Queued,
        rendered: &templates::Rendered,
    ) -> anyhow::Result<()> {
        let config = &self.state.config;
        let message = build_message(
            &config.mail_from,
            &queued.mail.recipient,
            rendered,
            &queued.id,
            host,
        )?;
        transport.deliver(&message, &queued.id).await
    }

    async fn failed(&self, queued: &outbox::Queued, e: anyhow::Error) {
        let config = &self.state.config;
        metrics::counter!("coproof_mail_failures_total").increment(1);
        let wait = backoff(queued.attempts, config.mail_retry_max_secs);
        tracing::warn!(id = %queued.id, attempts = queued.attempts,
            "mail delivery failed, retrying in {wait:?}: {e:#}");
        let retry_at = coproof_store::now_micros() + wait.as_micros() as i64;
        if let Err(e) =
            outbox::mark_failed(&self.state.store, &queued.id, &format!("{e:#}"), retry_at).await
        {
            tracing::error!(id = %queued.id, "cannot record the failure: {e}");
        }
    }
}

/// 1 s, 2 s, 4 s, … up to `max_secs`.
pub fn backoff(attempts: i64, max_secs: u64) -> Duration {
    let exp = attempts.clamp(1, 20) as u32 - 1;
    Duration::from_secs(2u64.saturating_pow(exp).min(max_secs.max(1)))
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        assert_eq!(backoff(1, 300), Duration::from_secs(1));
        assert_eq!(backoff(2, 300), Duration::from_secs(2));
        assert_eq!(backoff(5, 300), Duration::from_secs(16));
        assert_eq!(backoff(50, 300), Duration::from_secs(300));
    }
}
