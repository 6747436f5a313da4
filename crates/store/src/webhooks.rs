//! Signed webhooks (spec/api.md, "Partner connections"): an account's endpoints, and a
//! durable queue of deliveries that works like the mail outbox (`outbox.rs`).
//!
//! An event is queued by [`emit`] (or, in a [`crate::batch::Batch`], [`statement`]) in the
//! transaction of the change that causes it: one `INSERT … SELECT` over
//! `webhook_subscriptions`' primary key writes one delivery row per endpoint of the account
//! that wants the event (none, and nothing read, when the account has no such endpoint).
//! So a rolled-back change sends nothing and an acknowledged one is delivered at least
//! once. The server's worker claims due rows with a lease renewed by a heartbeat (the
//! `workers` table the mail worker uses), signs and posts them, and records the outcome.
//!
//! Nothing secret is stored: an endpoint's signing key is derived by the server from its
//! own key and the endpoint's id and `salt` (`coproof_server::webhooks::keys`).
//! URL rules (no private addresses, …) are the server's too: it resolves names.

use crate::batch::Statement;
use crate::model::User;
use crate::{col, ids, now_micros, Store, StoreResult, Tx};
use coproof_core::Refusal;
use serde_json::{json, Value};

/// What a webhook tells. The names are the spec's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebhookEvent {
    PartnerRequested,
    PartnerAccepted,
    PartnerRejected,
    PartnerRemoved,
    PartnerExpired,
    ShareCreated,
    ShareRemoved,
    ProofDecided,
    ProofCommented,
    /// The "send test event" button: sent to one endpoint only, never subscribed to.
    Test,
}

impl WebhookEvent {
    /// The events an endpoint may subscribe to, in the spec's order.
    pub const ALL: [WebhookEvent; 9] = [
        WebhookEvent::PartnerRequested,
        WebhookEvent::PartnerAccepted,
        WebhookEvent::PartnerRejected,
        WebhookEvent::PartnerRemoved,
        WebhookEvent::PartnerExpired,
        WebhookEvent::ShareCreated,
        WebhookEvent::ShareRemoved,
        WebhookEvent::ProofDecided,
        WebhookEvent::ProofCommented,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::PartnerRequested => "partner.requested",
            WebhookEvent::PartnerAccepted => "partner.accepted",
            WebhookEvent::PartnerRejected => "partner.rejected",
            WebhookEvent::PartnerRemoved => "partner.removed",
            WebhookEvent::PartnerExpired => "partner.expired",
            WebhookEvent::ShareCreated => "share.created",
            WebhookEvent::ShareRemoved => "share.removed",
            WebhookEvent::ProofDecided => "proof.decided",
            WebhookEvent::ProofCommented => "proof.commented",
            WebhookEvent::Test => "webhook.test",
        }
    }

    /// A subscribable event by name (`webhook.test` is not one).
    pub fn parse(name: &str) -> Option<WebhookEvent> {
        WebhookEvent::ALL.into_iter().find(|e| e.as_str() == name)
    }

    /// The events an endpoint asks for: at least one, each known; duplicates dropped,
    /// in the spec's order.
    pub fn parse_list<S: AsRef<str>>(names: &[S]) -> Result<Vec<WebhookEvent>, Refusal> {
        if names.is_empty() {
            return Err(Refusal::InvalidInput(
                "events: name at least one event".into(),
            ));
        }
        let mut wanted = Vec::new();
        for name in names {
            let name = name.as_ref();
            let event = WebhookEvent::parse(name).ok_or_else(|| {
                let shown: String = name.chars().take(60).collect();
                Refusal::InvalidInput(format!("events: unknown event {shown:?}"))
            })?;
            wanted.push(event);
        }
        Ok(WebhookEvent::ALL
            .into_iter()
            .filter(|e| wanted.contains(e))
            .collect())
    }
}

/// Endpoints one account may have.
pub const MAX_ENDPOINTS: i64 = 20;

/// A registered endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: String,
    pub account_id: String,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    /// With the server's key and the id, gives the endpoint's signing key.
    pub salt: String,
    pub created_at: i64,
}

const ENDPOINT_COLUMNS: &str = "id, account_id, url, events, salt, created_at";

impl Endpoint {
    fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<Endpoint> {
        let events: String = col(row, "events")?;
        Ok(Endpoint {
            id: col(row, "id")?,
            account_id: col(row, "account_id")?,
            url: col(row, "url")?,
            events: events.split(',').filter_map(WebhookEvent::parse).collect(),
            salt: col(row, "salt")?,
            created_at: col(row, "created_at")?,
        })
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Not delivered yet; due at `next_attempt_at`.
    Pending,
    Delivered,
    /// Given up (retried past [`GIVE_UP_MICROS`]) or refused (a private address).
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> DeliveryStatus {
        match s {
            "delivered" => DeliveryStatus::Delivered,
            "failed" => DeliveryStatus::Failed,
            _ => DeliveryStatus::Pending,
        }
    }
}

/// An event on its way to one endpoint, as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The event's id: the `webhook-id` header.
    pub id: String,
    pub event: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub next_attempt_at: i64,
    pub finished_at: Option<i64>,
}

/// A failed delivery is retried until its event is this old (three days), then `failed`.
pub const GIVE_UP_MICROS: i64 = 3 * 24 * 3600 * 1_000_000;

fn admin(actor: &User) -> StoreResult<()> {
    if actor.profile.is_admin() {
        Ok(())
    } else {
        Err(Refusal::Forbidden.into())
    }
}

/// An admin registers an endpoint of its account. `url` was checked by the caller (the
/// server: scheme, length, addresses).
pub async fn create(
    store: &Store,
    actor: &User,
    url: &str,
    events: &[WebhookEvent],
) -> StoreResult<Endpoint> {
    admin(actor)?;
    if events.is_empty() {
        return Err(Refusal::InvalidInput("events: name at least one event".into()).into());
    }
    let mut tx = store.begin().await?;
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM webhook_endpoints WHERE account_id = $1")
            .bind(&actor.account_id)
            .fetch_one(&mut *tx)
            .await?;
    if count >= MAX_ENDPOINTS {
        return Err(Refusal::InvalidInput(format!(
            "an account may have at most {MAX_ENDPOINTS} webhook endpoints"
        ))
        .into());
    }
    let endpoint = Endpoint {
        id: ids::new_id(),
        account_id: actor.account_id.clone(),
        url: url.to_string(),
        events: events.to_vec(),
        salt: ids::new_secret(),
        created_at: now_micros(),
    };
    let names: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, account_id, url, events, salt, created_by, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&endpoint.id)
    .bind(&endpoint.account_id)
    .bind(&endpoint.url)
    .bind(names.join(","))
    .bind(&endpoint.salt)
    .bind(&actor.id)
    .bind(endpoint.created_at)
    .execute(&mut *tx)
    .await?;
    for name in names {
        sqlx::query(
            "INSERT INTO webhook_subscriptions (account_id, event, endpoint_id) \
             VALUES ($1, $2, $3)",
        )
        .bind(&endpoint.account_id)
        .bind(name)
        .bind(&endpoint.id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(endpoint)
}

/// The endpoints of the actor's account, oldest first (admins only).
pub async fn list(store: &Store, actor: &User) -> StoreResult<Vec<Endpoint>> {
    admin(actor)?;
    let rows = sqlx::query(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE account_id = $1 ORDER BY id"
    ))
    .bind(&actor.account_id)
    .fetch_all(&mut *store.read().await?)
    .await?;
    rows.iter().map(Endpoint::from_row).collect()
}

/// One endpoint of the actor's account; another account's is not found.
pub async fn get(store: &Store, actor: &User, id: &str) -> StoreResult<Endpoint> {
    admin(actor)?;
    if !ids::looks_like_id(id) {
        return Err(Refusal::NotFound.into());
    }
    let row = sqlx::query(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND account_id = $2"
    ))
    .bind(id)
    .bind(&actor.account_id)
    .fetch_optional(&mut *store.read().await?)
    .await?
    .ok_or(Refusal::NotFound)?;
    Endpoint::from_row(&row)
}

/// Removes an endpoint with its queue and log: nothing more is sent to it (a delivery in
/// flight at that moment may still arrive).
pub async fn delete(store: &Store, actor: &User, id: &str) -> StoreResult<()> {
    admin(actor)?;
    if !ids::looks_like_id(id) {
        return Err(Refusal::NotFound.into());
    }
    let mut tx = store.begin().await?;
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM webhook_endpoints WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(&actor.account_id)
            .fetch_optional(&mut *tx)
            .await?;
    found.ok_or(Refusal::NotFound)?;
    for sql in [
        "DELETE FROM webhook_subscriptions WHERE endpoint_id = $1",
        "DELETE FROM webhook_deliveries WHERE endpoint_id = $1",
        "DELETE FROM webhook_endpoints WHERE id = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// An endpoint's deliveries, newest first, before `cursor` (an event id).
pub async fn deliveries(
    store: &Store,
    actor: &User,
    endpoint_id: &str,
    cursor: Option<&str>,
    limit: u32,
) -> StoreResult<Vec<Delivery>> {
    get(store, actor, endpoint_id).await?;
    let rows = sqlx::query(
        "SELECT event_id, event, status, attempts, last_status_code, last_error, created_at, \
                next_attempt_at, finished_at \
         FROM webhook_deliveries WHERE endpoint_id = $1 AND event_id < $2 \
         ORDER BY event_id DESC LIMIT $3",
    )
    .bind(endpoint_id)
    // Every id sorts before "~".
    .bind(cursor.unwrap_or("~"))
    .bind(i64::from(limit))
    .fetch_all(&mut *store.read().await?)
    .await?;
    rows.iter()
        .map(|row| {
            let status: String = col(row, "status")?;
            Ok(Delivery {
                id: col(row, "event_id")?,
                event: col(row, "event")?,
                status: DeliveryStatus::parse(&status),
                attempts: col(row, "attempts")?,
                last_status_code: col(row, "last_status_code")?,
                last_error: col(row, "last_error")?,
                created_at: col(row, "created_at")?,
                next_attempt_at: col(row, "next_attempt_at")?,
                finished_at: col(row, "finished_at")?,
            })
        })
        .collect()
}

/// Queues a `webhook.test` event for this endpoint only; its event id.
pub async fn send_test(store: &Store, actor: &User, endpoint_id: &str) -> StoreResult<String> {
    let endpoint = get(store, actor, endpoint_id).await?;
    let event_id = ids::new_id();
    let now = now_micros();
    let body = body(
        WebhookEvent::Test,
        now,
        &json!({"endpoint_id": endpoint.id, "account_id": endpoint.account_id,
                "requested_by": {"id": actor.id, "name": actor.name}}),
    );
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO webhook_deliveries (endpoint_id, event_id, event, body, status, \
         created_at, next_attempt_at) \
         SELECT id, $1, $2, $3, 'pending', $4, $4 FROM webhook_endpoints WHERE id = $5",
    )
    .bind(&event_id)
    .bind(WebhookEvent::Test.as_str())
    .bind(body)
    .bind(now)
    .bind(&endpoint.id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(event_id)
}

/// The JSON sent: `{type, timestamp, data}`.
fn body(event: WebhookEvent, at: i64, data: &Value) -> String {
    let timestamp = chrono::DateTime::from_timestamp_micros(at)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    json!({"type": event.as_str(), "timestamp": timestamp, "data": data}).to_string()
}

/// The statement [`emit`] runs, for a [`crate::batch::Batch`]: queues `event` with `data`
/// for every endpoint of `account_id` that wants it. One new event id (the `webhook-id`
/// of every delivery of it).
pub fn statement(account_id: &str, event: WebhookEvent, data: &Value) -> Statement {
    let now = now_micros();
    queue(
        &ids::new_id(),
        now,
        &body(event, now, data),
        account_id,
        event,
    )
}

/// One event (`event_id`, its `body`) queued for the endpoints of `account_id`.
fn queue(event_id: &str, now: i64, body: &str, account_id: &str, event: WebhookEvent) -> Statement {
    Statement::new(
        "INSERT INTO webhook_deliveries (endpoint_id, event_id, event, body, status, \
         created_at, next_attempt_at) \
         SELECT endpoint_id, $1, $2, $3, 'pending', $4, $4 FROM webhook_subscriptions \
         WHERE account_id = $5 AND event = $2",
        vec![
            event_id.into(),
            event.as_str().into(),
            body.into(),
            now.into(),
            account_id.into(),
        ],
    )
}

/// Queues `event` for the endpoints of `account_id` that want it, inside the transaction
/// of the change that caused it (see the module's notes). `data` is the body's `data`:
/// only what that account may know.
pub async fn emit(
    tx: &mut Tx,
    account_id: &str,
    event: WebhookEvent,
    data: Value,
) -> StoreResult<()> {
    statement(account_id, event, &data).execute(tx).await
}

/// One event for each distinct account of `accounts` (the owner of an item and the account
/// it is shared to, say), with the same `data` and the same event id.
pub(crate) async fn emit_to_each(
    tx: &mut Tx,
    accounts: &[&str],
    event: WebhookEvent,
    data: Value,
) -> StoreResult<()> {
    let (event_id, now) = (ids::new_id(), now_micros());
    let body = body(event, now, &data);
    let mut batch = crate::batch::Batch::default();
    let mut done: Vec<&str> = Vec::with_capacity(accounts.len());
    for account in accounts {
        if !done.contains(account) {
            batch.push(queue(&event_id, now, &body, account, event));
            done.push(account);
        }
    }
    batch.execute(tx).await
}

// ---- The delivery worker's side ----

/// A delivery claimed for sending.
#[derive(Debug, Clone)]
pub struct Due {
    pub endpoint_id: String,
    pub event_id: String,
    pub event: String,
    /// The exact bytes to sign and send.
    pub body: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
    pub created_at: i64,
    pub url: String,
    pub salt: String,
}

/// Whether any delivery may be due (a read, so that an idle worker does not write).
pub async fn any_due(store: &Store) -> StoreResult<bool> {
    let found: Option<String> = sqlx::query_scalar(
        "SELECT event_id FROM webhook_deliveries WHERE status = 'pending' \
         AND next_attempt_at <= $1 LIMIT 1",
    )
    .bind(now_micros())
    .fetch_optional(&mut *store.read().await?)
    .await?;
    Ok(found.is_some())
}

/// Free to claim: not claimed, its lease over, or its owner silent (as the outbox's).
const FREE: &str = "(claimed_until <= $2 OR claimed_by IS NULL \
     OR claimed_by NOT IN (SELECT id FROM workers WHERE seen_at > $5))";

/// Claims up to `limit` due deliveries, oldest first, for `worker` and `lease_micros`
/// (renewed by [`heartbeat`] while the worker lives).
pub async fn claim_due(
    store: &Store,
    worker: &str,
    lease_micros: i64,
    limit: u32,
) -> StoreResult<Vec<Due>> {
    let (s, worker) = (store.clone(), worker.to_string());
    store
        .write(move || {
            let (s, worker) = (s.clone(), worker.clone());
            async move { claim_now(&s, &worker, lease_micros, limit).await }
        })
        .await
}

async fn claim_now(
    store: &Store,
    worker: &str,
    lease_micros: i64,
    limit: u32,
) -> StoreResult<Vec<Due>> {
    let now = now_micros();
    let skip_locked = match store.backend() {
        crate::Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        crate::Backend::Sqlite => "",
    };
    let mut tx = store.begin_grouped().await?;
    let rows = sqlx::query(&format!(
        "UPDATE webhook_deliveries SET claimed_until = $1, claimed_by = $4, \
         attempts = attempts + 1 \
         WHERE (endpoint_id, event_id) IN (SELECT endpoint_id, event_id FROM webhook_deliveries \
              WHERE status = 'pending' AND next_attempt_at <= $2 AND {FREE} \
              ORDER BY next_attempt_at, event_id LIMIT $3{skip_locked}) \
         AND status = 'pending' AND {FREE} \
         RETURNING endpoint_id, event_id, event, body, attempts, created_at, next_attempt_at"
    ))
    .bind(now + lease_micros)
    .bind(now)
    .bind(i64::from(limit))
    .bind(worker)
    .bind(now - crate::outbox::STALE_MICROS)
    .fetch_all(&mut *tx)
    .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in &rows {
        let endpoint_id: String = col(row, "endpoint_id")?;
        let (url, salt): (String, String) =
            sqlx::query_as("SELECT url, salt FROM webhook_endpoints WHERE id = $1")
                .bind(&endpoint_id)
                .fetch_one(&mut *tx)
                .await?;
        let due: i64 = col(row, "next_attempt_at")?;
        claimed.push((
            due,
            Due {
                endpoint_id,
                event_id: col(row, "event_id")?,
                event: col(row, "event")?,
                body: col(row, "body")?,
                attempts: col(row, "attempts")?,
                created_at: col(row, "created_at")?,
                url,
                salt,
            },
        ));
    }
    tx.commit().await?;
    // RETURNING gives no order.
    claimed.sort_by(|a, b| (a.0, &a.1.event_id).cmp(&(b.0, &b.1.event_id)));
    Ok(claimed.into_iter().map(|(_, d)| d).collect())
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx answer.
    Delivered { status_code: i64 },
    /// Anything else: try again at `retry_at` (microseconds since the epoch).
    Retry {
        status_code: Option<i64>,
        error: String,
        retry_at: i64,
    },
    /// Given up, or refused before sending (the address is private).
    Failed {
        status_code: Option<i64>,
        error: String,
    },
}

/// Records how the attempt at one delivery ended and lets go of its claim.
pub async fn record(
    store: &Store,
    endpoint_id: &str,
    event_id: &str,
    outcome: Outcome,
) -> StoreResult<()> {
    let (s, endpoint_id, event_id) = (store.clone(), endpoint_id.to_string(), event_id.to_string());
    store
        .write(move || {
            let (s, endpoint_id, event_id, outcome) = (
                s.clone(),
                endpoint_id.clone(),
                event_id.clone(),
                outcome.clone(),
            );
            async move {
                let now = now_micros();
                let (status, code, error, next, finished) = match outcome {
                    Outcome::Delivered { status_code } => {
                        ("delivered", Some(status_code), None, now, Some(now))
                    }
                    Outcome::Retry {
                        status_code,
                        error,
                        retry_at,
                    } => ("pending", status_code, Some(error), retry_at, None),
                    Outcome::Failed { status_code, error } => {
                        ("failed", status_code, Some(error), now, Some(now))
                    }
                };
                let mut tx = s.begin_grouped().await?;
                sqlx::query(
                    "UPDATE webhook_deliveries SET status = $1, last_status_code = $2, \
                     last_error = $3, next_attempt_at = $4, finished_at = $5, \
                     claimed_until = 0, claimed_by = NULL \
                     WHERE endpoint_id = $6 AND event_id = $7 AND status = 'pending'",
                )
                .bind(status)
                .bind(code)
                .bind(error)
                .bind(next)
                .bind(finished)
                .bind(&endpoint_id)
                .bind(&event_id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await
            }
        })
        .await
}

/// The webhook worker `worker` is alive: its heartbeat recorded (the `workers` table the
/// mail worker uses too) and its claims renewed for `lease_micros` from now.
pub async fn heartbeat(store: &Store, worker: &str, lease_micros: i64) -> StoreResult<()> {
    let (s, worker) = (store.clone(), worker.to_string());
    store
        .write(move || {
            let (s, worker) = (s.clone(), worker.clone());
            async move {
                let now = now_micros();
                let mut tx = s.begin_grouped().await?;
                let seen = sqlx::query("UPDATE workers SET seen_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(&worker)
                    .execute(&mut *tx)
                    .await?;
                if seen.rows_affected() == 0 {
                    sqlx::query("INSERT INTO workers (id, seen_at) VALUES ($1, $2)")
                        .bind(&worker)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(
                    "UPDATE webhook_deliveries SET claimed_until = $1 WHERE claimed_by = $2 \
                     AND status = 'pending' AND claimed_until > $3",
                )
                .bind(now + lease_micros)
                .bind(&worker)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await
            }
        })
        .await
}

/// Frees every claim (SQLite, at start: one process owns the database, so a claim there is
/// of a process that died). How many were freed.
pub async fn free_claims_of_the_dead(store: &Store) -> StoreResult<u64> {
    if store.backend() != crate::Backend::Sqlite {
        return Ok(0);
    }
    let mut tx = store.begin_grouped().await?;
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET claimed_until = 0, claimed_by = NULL \
         WHERE status = 'pending' AND claimed_until > 0",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Deletes deliveries finished (delivered or failed) before `before` (housekeeping).
pub async fn purge_finished(store: &Store, before: i64) -> StoreResult<u64> {
    let mut tx = store.begin_grouped().await?;
    let done = sqlx::query(
        "DELETE FROM webhook_deliveries WHERE status <> 'pending' AND finished_at < $1",
    )
    .bind(before)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Deliveries not yet finished.
pub async fn depth(store: &Store) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'")
            .fetch_one(&mut *store.read().await?)
            .await?,
    )
}
