//! Live pages: which page of which account changed, told to every server process once the
//! change has committed, so the Partners, Contacts and proof pages update without reload.
//!
//! A change is an account and a topic (`partners`, `contacts`, `proof:<id>`). A
//! transaction announces its changes with [`notify`]; they wait in the transaction and
//! nobody hears of them unless it commits. On SQLite (one process) they go on this
//! process's [`Bus`] after the commit. On PostgreSQL the transaction sends them as its
//! last statement before `COMMIT` (`pg_notify` on [`CHANNEL`], one call for all of them,
//! or folded into the transaction's last [`crate::batch::Batch`]), and the database
//! delivers them at commit to every process that listens; each process's listener
//! (started by [`Store::live`], with the first page that listens) puts them on its bus. A
//! listener that loses its connection reconnects and announces `*` (everything may have
//! changed) so no page misses what happened meanwhile.
//!
//! Another listener, started when the store connects ([`start_listening`]), hears
//! [`IDENTITIES`], on which a process says that what a token resolves to changed, and
//! empties this process's identity cache (also after a reconnect).

use crate::{Backend, Store, StoreResult, Tx};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// The PostgreSQL channel of live-page changes.
pub const CHANNEL: &str = "coproof_live";
/// The PostgreSQL channel on which a process says that what a token resolves to changed.
pub const IDENTITIES: &str = "coproof_identities";

/// Bytes of one notification's payload at most (PostgreSQL's limit is 8,000).
const MOST_PAYLOAD: usize = 7_000;

/// Changes kept for a page that reads slowly; one that falls further behind refreshes.
const BACKLOG: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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

    fn parse(line: &str) -> Option<Change> {
        let (account, topic) = line.split_once(' ')?;
        Some(Change::new(account, topic))
    }
}

/// The payloads that carry `changes`: each distinct change once, a line each, as few
/// payloads as fit [`MOST_PAYLOAD`].
fn payloads(changes: &[Change]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut payloads: Vec<String> = Vec::new();
    for change in changes.iter().filter(|c| seen.insert(*c)) {
        let line = change.payload();
        match payloads.last_mut() {
            Some(last) if last.len() + 1 + line.len() <= MOST_PAYLOAD => {
                last.push('\n');
                last.push_str(&line);
            }
            _ => payloads.push(line),
        }
    }
    payloads
}

/// The changes a payload carries.
fn parse_payload(payload: &str) -> impl Iterator<Item = Change> + '_ {
    payload.lines().filter_map(Change::parse)
}

/// The statement that tells other processes of `changes` (PostgreSQL): one `SELECT` of
/// `pg_notify` calls whose placeholders follow `offset` others, and its parameters; `None`
/// when there is nothing to tell.
pub(crate) fn notice(changes: &[Change], offset: usize) -> Option<(String, Vec<String>)> {
    let payloads = payloads(changes);
    if payloads.is_empty() {
        return None;
    }
    let calls: Vec<String> = (0..payloads.len())
        .map(|i| format!("pg_notify(${}, ${})", offset + 1, offset + 2 + i))
        .collect();
    let mut params = vec![CHANNEL.to_string()];
    params.extend(payloads);
    Some((format!("SELECT {}", calls.join(", ")), params))
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
pub(crate) fn notify(tx: &mut Tx, changes: Vec<Change>) {
    tx.after_commit().changes.extend(changes);
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
                    tokio::spawn(listen(url, CHANNEL, move |heard| match heard {
                        Heard::Note(payload) => parse_payload(payload).for_each(|c| bus.publish(c)),
                        Heard::Gap => bus.publish(Change::everything()),
                    }));
                })
                .await;
        }
        receiver
    }
}

/// Starts this process's listener for identity changes (PostgreSQL), for as long as the
/// process lives. (The live-page listener starts with the first page that listens: until
/// then, nobody here needs what it would hear.)
pub(crate) fn start_listening(store: &Store) {
    let identities = store.identities.clone();
    tokio::spawn(listen(store.url().to_string(), IDENTITIES, move |_| {
        identities.changed()
    }));
}

/// Tells every process that what a token resolves to changed (PostgreSQL), in the
/// background: a process that misses it sees the change within the identity cache's TTL.
pub(crate) fn identities_changed(store: &Store) {
    let store = store.clone();
    tokio::spawn(async move {
        let told = async {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(IDENTITIES)
                .execute(&mut *store.read_primary().await?)
                .await?;
            StoreResult::Ok(())
        };
        if let Err(e) = told.await {
            tracing::warn!("telling other processes of an identity change: {e}");
        }
    });
}

/// What a listener heard.
enum Heard<'a> {
    /// A notification's payload.
    Note(&'a str),
    /// The connection was lost and is back: what was sent meanwhile is gone.
    Gap,
}

/// Hands what is sent on `channel` to `heard`, for as long as the process lives.
async fn listen(url: String, channel: &'static str, heard: impl Fn(Heard<'_>) + Send + 'static) {
    let mut first = true;
    loop {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut listener) => {
                if listener.listen(channel).await.is_ok() {
                    if !first {
                        heard(Heard::Gap);
                    }
                    first = false;
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(note)) => heard(Heard::Note(note.payload())),
                            // The connection was lost (the next call reconnects).
                            Ok(None) => heard(Heard::Gap),
                            Err(e) => {
                                tracing::warn!("listening on {channel} failed: {e}");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!("cannot listen on {channel}: {e}"),
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

    #[test]
    fn one_payload_carries_each_distinct_change_once() {
        let changes = vec![
            Change::partners("a"),
            Change::contacts("b"),
            Change::partners("a"),
        ];
        let payloads = payloads(&changes);
        assert_eq!(payloads, vec!["a partners\nb contacts".to_string()]);
        let told: Vec<Change> = parse_payload(&payloads[0]).collect();
        assert_eq!(told, vec![Change::partners("a"), Change::contacts("b")]);
        assert!(payloads_of_nothing_are_none());
    }

    fn payloads_of_nothing_are_none() -> bool {
        notice(&[], 0).is_none()
    }

    #[test]
    fn many_changes_are_split_below_the_payload_limit() {
        let changes: Vec<Change> = (0..1_000)
            .map(|n| Change::proof(&format!("account{n:04}"), "01hzzzzzzzzzzzzzzzzzzzzzzz"))
            .collect();
        let payloads = payloads(&changes);
        assert!(payloads.len() > 1);
        assert!(payloads.iter().all(|p| p.len() <= MOST_PAYLOAD));
        let told: Vec<Change> = payloads.iter().flat_map(|p| parse_payload(p)).collect();
        assert_eq!(told, changes);
        let (sql, params) = notice(&changes, 3).unwrap();
        assert!(sql.starts_with("SELECT pg_notify($4, $5), pg_notify($4, $6)"));
        assert_eq!(params.len(), 1 + payloads.len());
        assert_eq!(params[0], CHANNEL);
    }
}
