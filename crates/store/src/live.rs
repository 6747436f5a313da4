//! Live pages: which page of which account changed, told to every server process once the
//! change has committed, so the Partners, Contacts and proof pages update without reload.
//!
//! A change is an account and a topic (`partners`, `contacts`, `proof:<id>`). A
//! transaction announces its changes with [`notify`]; nobody hears of them unless it
//! commits. On SQLite (one process) they wait in the transaction and go on this process's
//! [`Bus`] after the commit. On PostgreSQL they are `NOTIFY coproof_live` statements of the
//! transaction, which the database delivers at commit to every process that listens; each
//! process's listener ([`Store::live`] starts it) puts them on its bus. A listener that
//! loses its connection reconnects and announces `*` (everything may have changed) so no
//! page misses what happened meanwhile.

use crate::{Backend, Store, StoreResult, Tx};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// The PostgreSQL channel.
pub const CHANNEL: &str = "coproof_live";

/// Changes kept for a page that reads slowly; one that falls further behind refreshes.
const BACKLOG: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub account_id: String,
    /// `partners`, `contacts`, `proof:<id>`, or `*`: anything may have changed.
    pub topic: String,
}

impl Change {
    pub fn new(account_id: &str, topic: impl Into<String>) -> Change {
        Change {
            account_id: account_id.to_string(),
            topic: topic.into(),
        }
    }

    pub fn partners(account_id: &str) -> Change {
        Change::new(account_id, "partners")
    }

    pub fn contacts(account_id: &str) -> Change {
        Change::new(account_id, "contacts")
    }

    pub fn proof(account_id: &str, proof_id: &str) -> Change {
        Change::new(account_id, format!("proof:{proof_id}"))
    }

    /// Everything may have changed (a listener reconnected).
    fn everything() -> Change {
        Change::new("", "*")
    }

    fn payload(&self) -> String {
        format!("{} {}", self.account_id, self.topic)
    }

    fn parse(payload: &str) -> Option<Change> {
        let (account, topic) = payload.split_once(' ')?;
        Some(Change::new(account, topic))
    }
}

/// This process's changes, for the pages it serves.
#[derive(Clone)]
pub struct Bus {
    sender: broadcast::Sender<Change>,
    /// The PostgreSQL listener, started on the first subscription.
    listening: Arc<tokio::sync::OnceCell<()>>,
}

impl Default for Bus {
    fn default() -> Bus {
        Bus {
            sender: broadcast::channel(BACKLOG).0,
            listening: Arc::default(),
        }
    }
}

impl Bus {
    pub(crate) fn publish(&self, change: Change) {
        // No page listening is not an error.
        let _ = self.sender.send(change);
    }
}

/// Announces `changes`, to be told once `tx` commits.
pub(crate) async fn notify(tx: &mut Tx, changes: Vec<Change>) -> StoreResult<()> {
    if tx.after_commit().bus.is_some() {
        tx.after_commit().changes.extend(changes);
        return Ok(());
    }
    for change in changes {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(change.payload())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

impl Store {
    /// The changes committed from now on, by any process on this database.
    pub async fn live(&self) -> broadcast::Receiver<Change> {
        let receiver = self.live_bus().sender.subscribe();
        if self.backend() == Backend::Postgres {
            let (bus, url) = (self.live_bus().clone(), self.url().to_string());
            bus.listening
                .clone()
                .get_or_init(|| async move {
                    tokio::spawn(listen(bus, url));
                })
                .await;
        }
        receiver
    }
}

/// Forwards the PostgreSQL channel to `bus`, for as long as the process lives.
async fn listen(bus: Bus, url: String) {
    let mut first = true;
    loop {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut listener) => {
                if listener.listen(CHANNEL).await.is_ok() {
                    if !first {
                        bus.publish(Change::everything());
                    }
                    first = false;
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(note)) => {
                                if let Some(change) = Change::parse(note.payload()) {
                                    bus.publish(change);
                                }
                            }
                            // The connection was lost (the next call reconnects): what
                            // was sent meanwhile is gone, so every page refreshes.
                            Ok(None) => bus.publish(Change::everything()),
                            Err(e) => {
                                tracing::warn!("live pages: listening failed: {e}");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!("live pages: cannot listen: {e}"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        for c in [
            Change::partners("01abc"),
            Change::proof("01abc", "01def"),
            Change::everything(),
        ] {
            assert_eq!(Change::parse(&c.payload()), Some(c));
        }
        assert_eq!(Change::parse("nospace"), None);
    }
}
