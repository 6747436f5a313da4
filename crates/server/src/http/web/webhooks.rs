//! Settings > Account Settings > Webhooks: the account's endpoints, adding one (its secret
//! shown once, on the page the form's post answers with: never in a URL), deleting one,
//! "send test event", and each endpoint's delivery log. Admins only; the same functions
//! as the API (`http/api/webhooks.rs`).

use super::{when, with_code, Admin, AdminPost, Chrome, OrPage, PageError};
use crate::http::api::webhooks::register;
use crate::http::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use coproof_store::webhooks::{self, WebhookEvent};

const PAGE: &str = "/settings/account/webhooks";
/// Deliveries shown on an endpoint's log page.
const LOG_LIMIT: u32 = 100;

pub struct EndpointRow {
    pub id: String,
    pub url: String,
    pub events: String,
    pub created: String,
}

/// A new endpoint's secret, shown this once.
pub struct Created {
    pub url: String,
    pub secret: String,
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    c: Chrome,
    tab: &'static str,
    rows: Vec<EndpointRow>,
    /// (name, checked) of every event, for the add form.
    events: Vec<(&'static str, bool)>,
    url: String,
    created: Option<Created>,
}

pub struct DeliveryRow {
    pub id: String,
    pub event: String,
    pub status: &'static str,
    pub status_label: String,
    pub attempts: i64,
    pub code: String,
    pub error: String,
    pub created: String,
    pub next: String,
}

#[derive(Template)]
#[template(path = "webhook_log.html")]
struct LogPage {
    c: Chrome,
    tab: &'static str,
    endpoint: EndpointRow,
    rows: Vec<DeliveryRow>,
}

fn row(e: &webhooks::Endpoint) -> EndpointRow {
    EndpointRow {
        id: e.id.clone(),
        url: e.url.clone(),
        events: e
            .events
            .iter()
            .map(|e| e.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        created: when(e.created_at),
    }
}

async fn list_page(
    state: &AppState,
    req: super::PageRequest,
    me: &coproof_store::model::User,
    created: Option<Created>,
    form: Option<(String, Vec<String>)>,
) -> Result<Response, PageError> {
    let found = webhooks::list(&state.store, me).await.or_page(&req)?;
    let (url, wanted) = form.unwrap_or_default();
    let events = WebhookEvent::ALL
        .into_iter()
        .map(|e| {
            let checked = wanted.is_empty() || wanted.iter().any(|w| w == e.as_str());
            (e.as_str(), checked)
        })
        .collect();
    let page = WebhooksPage {
        c: req.chrome("webhooks-title"),
        tab: "webhooks",
        rows: found.iter().map(row).collect(),
        events,
        url,
        created,
    };
    Ok(req.render(&page))
}

pub async fn page(
    State(state): State<AppState>,
    Admin { req, me }: Admin,
) -> Result<Response, PageError> {
    list_page(&state, req, &me, None, None).await
}

/// The add form: on success the list with the secret (this answer only); on a refusal
/// the list with the form as it was and the reason.
pub async fn add(
    State(state): State<AppState>,
    AdminPost { posted, me }: AdminPost,
) -> Result<Response, PageError> {
    let url = posted.field("url").trim().to_string();
    // Checkboxes named `event` come as repeated fields: `Posted` keeps one per name, so
    // each event has its own field name, `event.<name>`.
    let events: Vec<String> = WebhookEvent::ALL
        .into_iter()
        .filter(|e| posted.field(&format!("event.{}", e.as_str())) == "1")
        .map(|e| e.as_str().to_string())
        .collect();
    match register(&state, &me, &url, &events).await {
        Ok((endpoint, secret)) => {
            let created = Created {
                url: endpoint.url.clone(),
                secret,
            };
            list_page(&state, posted.req, &me, Some(created), None).await
        }
        Err(e) => {
            let mut req = posted.req;
            req.query.insert("error".into(), e.code.into());
            let mut response = list_page(&state, req, &me, None, Some((url, events))).await?;
            *response.status_mut() = e.status;
            Ok(response)
        }
    }
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    AdminPost { posted, me }: AdminPost,
) -> Response {
    let to = match webhooks::delete(&state.store, &me, &id).await {
        Ok(()) => with_code(PAGE, "ok", "webhook_deleted"),
        Err(e) => with_code(PAGE, "error", ApiError::from(e).code),
    };
    posted.req.redirect(&to)
}

pub async fn test(
    State(state): State<AppState>,
    Path(id): Path<String>,
    AdminPost { posted, me }: AdminPost,
) -> Response {
    let to = match webhooks::send_test(&state.store, &me, &id).await {
        Ok(_) => {
            state.webhook_wake.notify_one();
            with_code(&format!("{PAGE}/{id}"), "ok", "webhook_test_queued")
        }
        Err(e) => with_code(PAGE, "error", ApiError::from(e).code),
    };
    posted.req.redirect(&to)
}

/// An endpoint and its last deliveries, newest first.
pub async fn log(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Admin { req, me }: Admin,
) -> Result<Response, PageError> {
    let endpoint = webhooks::get(&state.store, &me, &id).await.or_page(&req)?;
    let found = webhooks::deliveries(&state.store, &me, &id, None, LOG_LIMIT)
        .await
        .or_page(&req)?;
    let c = req.chrome("webhooks-log-title");
    let rows = found
        .iter()
        .map(|d| DeliveryRow {
            id: d.id.clone(),
            event: d.event.clone(),
            status: d.status.as_str(),
            status_label: c.t.get(&format!("webhooks-status-{}", d.status.as_str())),
            attempts: d.attempts,
            code: d
                .last_status_code
                .map(|c| c.to_string())
                .unwrap_or_default(),
            error: d.last_error.clone().unwrap_or_default(),
            created: when(d.created_at),
            next: if d.status == webhooks::DeliveryStatus::Pending {
                when(d.next_attempt_at)
            } else {
                String::new()
            },
        })
        .collect();
    let page = LogPage {
        c,
        tab: "webhooks",
        endpoint: row(&endpoint),
        rows,
    };
    Ok(req.render(&page))
}
