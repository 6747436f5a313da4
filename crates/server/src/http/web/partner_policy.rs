//! Settings > Account Settings > Partners > Policy (`/settings/account/partners/policy`):
//! who may send the account partner requests, blocked and auto-accepted domains, and how
//! long a request waits. Admins only; the form posts the whole policy.

use super::{with_code, Admin, AdminPost, Chrome, OrPage, PageError};
use crate::http::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use coproof_core::policy::{Incoming, PartnerPolicy};
use coproof_core::Refusal;
use coproof_store::partner_policy;

const PAGE: &str = "/settings/account/partners/policy";

#[derive(Template)]
#[template(path = "partner_policy.html")]
struct PolicyPage {
    c: Chrome,
    tab: &'static str,
    incoming: &'static str,
    allowed: String,
    blocked: String,
    auto_accept: String,
    lifetime: u32,
}

pub async fn page(
    State(state): State<AppState>,
    Admin { req, me }: Admin,
) -> Result<Response, PageError> {
    let policy = partner_policy::get(&state.store, &me).await.or_page(&req)?;
    let page = PolicyPage {
        c: req.chrome("policy-title"),
        tab: "partners",
        incoming: policy.incoming.as_str(),
        allowed: policy.allowed_domains.join("\n"),
        blocked: policy.blocked_domains.join("\n"),
        auto_accept: policy.auto_accept_domains.join("\n"),
        lifetime: policy.request_lifetime_days,
    };
    Ok(req.render(&page))
}

/// The domains typed in a box: one or more per line, separated by spaces or commas.
fn domains(raw: &str) -> Vec<String> {
    raw.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|d| !d.is_empty())
        .map(str::to_string)
        .collect()
}

pub async fn save(
    State(state): State<AppState>,
    AdminPost { posted, me }: AdminPost,
) -> Result<Response, PageError> {
    let policy = Incoming::parse(posted.field("incoming"))
        .ok_or_else(|| Refusal::InvalidInput("incoming".into()))
        .and_then(|incoming| {
            PartnerPolicy::new(
                incoming,
                &domains(posted.field("allowed_domains")),
                &domains(posted.field("blocked_domains")),
                &domains(posted.field("auto_accept_domains")),
                posted
                    .field("request_lifetime_days")
                    .trim()
                    .parse()
                    .unwrap_or(0),
            )
        });
    let saved = match policy {
        Ok(policy) => partner_policy::put(&state.store, &me, policy)
            .await
            .map_err(ApiError::from),
        Err(refusal) => Err(ApiError::from(refusal)),
    };
    let to = match saved {
        Ok(_) => with_code(PAGE, "ok", "policy_saved"),
        Err(e) => with_code(PAGE, "error", e.code),
    };
    Ok(posted.req.redirect(&to))
}
