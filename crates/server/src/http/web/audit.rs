//! Settings > Account Settings > Audit log: the account's partner transitions and security
//! events, newest first, a page at a time, filtered by action, and the same as CSV.
//! Admins only; the JSON API's `GET /audit` reads the same log.

use super::{Admin, Chrome, OrPage, PageError, PageRequest};
use crate::http::api::audit::{page_of_log, AuditEntry, AuditQuery};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use coproof_store::audit::AuditAction;
use coproof_store::security::SecurityAction;
use coproof_store::users;

/// Entries per page; the CSV export reads pages of the largest size until the end or
/// [`EXPORT_MAX`].
const PAGE_SIZE: &str = "100";
const EXPORT_MAX: usize = 100_000;

pub struct Row {
    pub at: String,
    pub action: String,
    pub action_label: String,
    pub who: String,
    pub about: String,
    pub ip: String,
    pub change: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    tab: &'static str,
    rows: Vec<Row>,
    /// (value, label) of each action, for the filter.
    actions: Vec<(&'static str, String)>,
    action: String,
    next: Option<String>,
}

fn every_action() -> Vec<&'static str> {
    AuditAction::ALL
        .iter()
        .map(|a| a.as_str())
        .chain(SecurityAction::ALL.iter().map(|a| a.as_str()))
        .collect()
}

fn query_of(req: &PageRequest, limit: &str) -> AuditQuery {
    AuditQuery {
        action: req.query.get("action").cloned().filter(|a| !a.is_empty()),
        limit: Some(limit.to_string()),
        cursor: req.query.get("cursor").cloned().filter(|c| !c.is_empty()),
    }
}

/// What a change was, in one line: `field: before → after` for each field that changed.
fn change_of(e: &AuditEntry) -> String {
    let (Some(before), Some(after)) = (&e.before, &e.after) else {
        return e.after.as_ref().map(|a| a.to_string()).unwrap_or_default();
    };
    match (before.as_object(), after.as_object()) {
        (Some(b), Some(a)) => a
            .iter()
            .filter(|(k, v)| b.get(*k) != Some(*v))
            .map(|(k, v)| {
                let old = b.get(k).map(|o| o.to_string()).unwrap_or_default();
                format!("{k}: {old} → {v}")
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => String::new(),
    }
}

fn row(c: &Chrome, e: &AuditEntry) -> Row {
    let who = match (e.actor.as_str(), &e.actor_user_id) {
        (_, Some(id)) => id.clone(),
        ("partner_account", None) => c.t.get("audit-actor-partner"),
        _ => c.t.get("audit-actor-system"),
    };
    Row {
        at: e.at.clone(),
        action: e.action.clone(),
        action_label: c
            .t
            .known(&format!("audit-action-{}", e.action))
            .unwrap_or_else(|| e.action.clone()),
        who,
        about: e
            .subject
            .clone()
            .or_else(|| e.relationship_id.clone())
            .unwrap_or_default(),
        ip: e.ip.clone().unwrap_or_default(),
        change: change_of(e),
    }
}

pub async fn page(
    State(state): State<AppState>,
    Admin { req, me }: Admin,
) -> Result<Response, PageError> {
    let query = query_of(&req, PAGE_SIZE);
    let (entries, next) = page_of_log(&state, &me, &query).await.or_page(&req)?;
    // The acting users by name (a page holds a few distinct ones).
    let mut names = std::collections::HashMap::new();
    for id in entries.iter().filter_map(|e| e.actor_user_id.as_deref()) {
        if !names.contains_key(id) {
            if let Ok(user) = users::get_in_account(&state.store, &me.account_id, id).await {
                names.insert(id.to_string(), format!("{} <{}>", user.name, user.email));
            }
        }
    }
    let c = req.chrome("audit-title");
    let rows = entries
        .iter()
        .map(|e| {
            let mut r = row(&c, e);
            if let Some(name) = e.actor_user_id.as_ref().and_then(|id| names.get(id)) {
                r.who = name.clone();
            }
            r
        })
        .collect();
    let actions = every_action()
        .into_iter()
        .map(|a| {
            let label = c.t.known(&format!("audit-action-{a}")).unwrap_or_default();
            (a, label)
        })
        .collect();
    let page = AuditPage {
        c,
        tab: "audit",
        rows,
        actions,
        action: query.action.unwrap_or_default(),
        next,
    };
    Ok(req.render(&page))
}

/// The log (one action's, with `?action=`) as CSV, newest first.
pub async fn export(
    State(state): State<AppState>,
    Admin { req, me }: Admin,
) -> Result<Response, PageError> {
    let mut query = query_of(&req, "200");
    query.cursor = None;
    let c = req.chrome("audit-title");
    let csv_failed = |e: csv::Error| req.fail(anyhow::anyhow!("csv: {e}"));
    let mut out = csv::Writer::from_writer(Vec::new());
    let header_row = [
        "id",
        "at",
        "action",
        "actor",
        "actor_user_id",
        "about",
        "ip",
        "before",
        "after",
    ];
    out.write_record(header_row).map_err(csv_failed)?;
    let mut written = 0;
    loop {
        let (entries, next) = page_of_log(&state, &me, &query).await.or_page(&req)?;
        for e in &entries {
            let about = row(&c, e).about;
            let json = |v: &Option<serde_json::Value>| {
                v.as_ref().map(|v| v.to_string()).unwrap_or_default()
            };
            let record = [
                e.id.clone(),
                e.at.clone(),
                e.action.clone(),
                e.actor.clone(),
                e.actor_user_id.clone().unwrap_or_default(),
                about,
                e.ip.clone().unwrap_or_default(),
                json(&e.before),
                json(&e.after),
            ];
            out.write_record(&record).map_err(csv_failed)?;
        }
        written += entries.len();
        match next {
            Some(cursor) if written < EXPORT_MAX => query.cursor = Some(cursor),
            _ => break,
        }
    }
    let bytes = out
        .into_inner()
        .map_err(|e| req.fail(anyhow::anyhow!("csv: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"coproof-audit.csv\"",
            ),
        ],
        bytes,
    )
        .into_response())
}
