//! Settings > Account Settings > Partners, as the product document describes it: "Send new
//! partner invitation" opens the "Send invitation" box; received pending requests have
//! "Accept" and "Reject and ignore"; every row has a down-arrow menu with "Delete".

use super::{when, with_code, Admin, AdminPost, Chrome, OrPage, PageError};
use crate::http::error::ApiError;
use crate::http::extract::next_cursor;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use coproof_core::partner::{Action, Side, View};
use coproof_core::Refusal;
use coproof_store::ids::looks_like_id;
use coproof_store::model::Seen;
use coproof_store::partners::{self, ListFilter};

const PAGE: &str = "/settings/account/partners";
const LIMIT: u32 = 100;

/// One row of the Partners tab.
pub struct Row {
    pub id: String,
    /// `sent` or `received`.
    pub direction: &'static str,
    pub direction_label: String,
    /// `pending`, `accepted` or `rejected`.
    pub status: &'static str,
    pub status_label: String,
    pub email: String,
    /// The partner account's name; `None` for the sender before acceptance.
    pub partner: Option<String>,
    pub inviter_name: String,
    pub inviter_email: String,
    pub created: String,
    pub created_iso: String,
    /// When the status last changed, if after creation.
    pub changed: Option<(String, String)>,
    /// A received pending request: Accept and Reject and ignore.
    pub can_answer: bool,
}

#[derive(Template)]
#[template(path = "partners.html")]
struct PartnersPage {
    c: Chrome,
    tab: &'static str,
    rows: Vec<Row>,
    open_send: bool,
    email: String,
    next_cursor: Option<String>,
}

fn row(c: &Chrome, s: &Seen) -> Row {
    let direction = crate::http::dto::direction(s.direction);
    Row {
        id: s.id.clone(),
        direction,
        direction_label: c.t.get(&format!("direction-{direction}")),
        status: s.status.as_str(),
        status_label: c.t.get(&format!("status-{}", s.status.as_str())),
        email: s.email.clone(),
        partner: s.partner_account.as_ref().map(|a| a.name.clone()),
        inviter_name: s.invited_by.name.clone(),
        inviter_email: s.invited_by.email.clone(),
        created: when(s.created_at),
        created_iso: crate::http::dto::timestamp(s.created_at),
        changed: (s.updated_at > s.created_at).then(|| {
            (
                when(s.updated_at),
                crate::http::dto::timestamp(s.updated_at),
            )
        }),
        can_answer: s.direction == Side::Recipient && s.status == View::Pending,
    }
}

pub async fn page(
    State(state): State<AppState>,
    Admin { req, me }: Admin,
) -> Result<Response, PageError> {
    let cursor = req
        .query
        .get("cursor")
        .filter(|c| looks_like_id(c))
        .cloned();
    let found = partners::list(
        &state.store,
        &me,
        &ListFilter::default(),
        cursor.as_deref(),
        LIMIT,
    )
    .await
    .or_page(&req)?;
    let c = req.chrome("partners-title");
    let rows = found.iter().map(|s| row(&c, s)).collect();
    let page = PartnersPage {
        open_send: req.query.get("form").is_some_and(|f| f == "send"),
        email: req.query.get("email").cloned().unwrap_or_default(),
        next_cursor: next_cursor(&found, LIMIT, |s| &s.id),
        c,
        tab: "partners",
        rows,
    };
    Ok(req.render(&page))
}

pub async fn send(
    State(state): State<AppState>,
    AdminPost { posted, me }: AdminPost,
) -> Result<Response, PageError> {
    let raw = posted.field("email");
    let sent = partners::send(&state.store, &me, raw, state.config.invite_limit_per_hour)
        .await
        .map_err(ApiError::from);
    let to = match sent {
        Ok(_) => {
            state.mail_wake.notify_one();
            with_code(PAGE, "ok", "sent")
        }
        Err(e) => {
            let email: String = url::form_urlencoded::byte_serialize(raw.as_bytes()).collect();
            format!(
                "{}&form=send&email={email}",
                with_code(PAGE, "error", e.code)
            )
        }
    };
    Ok(posted.req.redirect(&to))
}

pub async fn act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    AdminPost { posted, me }: AdminPost,
) -> Result<Response, PageError> {
    let (action, done) = match action.as_str() {
        "accept" => (Action::Accept, "accepted"),
        "reject" => (Action::Reject, "rejected"),
        "delete" => (Action::Delete, "deleted"),
        _ => return Err(posted.req.fail(Refusal::NotFound)),
    };
    let to = match partners::act(&state.store, &me, &id, action).await {
        Ok(_) => {
            state.mail_wake.notify_one();
            with_code(PAGE, "ok", done)
        }
        Err(e) => with_code(PAGE, "error", ApiError::from(e).code),
    };
    Ok(posted.req.redirect(&to))
}
