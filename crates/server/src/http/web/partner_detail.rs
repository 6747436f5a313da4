//! One relationship's pages under the Partners tab: the consent preview an admin reads
//! before answering a received request (`/settings/account/partners/{id}/review`), and the
//! relationship's history (`/settings/account/partners/{id}`): its changes as this side
//! may know them, the members synced each way, the shares each way, and whether the
//! contacts check finds the pair consistent.

use super::{when, with_code, Admin, AdminPost, Chrome, OrPage, PageError};
use crate::http::dto::timestamp;
use crate::http::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use coproof_core::partner::View;
use coproof_core::sharing::ProofRole;
use coproof_core::terms::{Terms, VisibleUsers};
use coproof_store::partner_history::{self, Between};
use coproof_store::{partner_preview, partner_terms, partners, users};

#[derive(Template)]
#[template(path = "partner_review.html")]
struct ReviewPage {
    c: Chrome,
    tab: &'static str,
    id: String,
    preview: partner_preview::Preview,
    account_line: String,
    you_will_see: String,
    they_will_see: String,
    max_role: String,
    visible: String,
}

/// The consent preview of a received pending request, with Accept and Reject and ignore.
pub async fn review(
    state: &AppState,
    Admin { req, me }: Admin,
    id: &str,
) -> Result<Response, PageError> {
    let preview = partner_preview::get(&state.store, &me, id)
        .await
        .or_page(&req)?;
    let c = req.chrome("review-title");
    let terms = &preview.terms_offered;
    let count = |key: &str, n: i64| c.t.get1(key, "count", &n.to_string());
    let page = ReviewPage {
        account_line: c
            .t
            .get1("review-account", "account", &preview.sender_account.name),
        you_will_see: count("review-you-will-see", preview.users_you_will_see),
        they_will_see: count("review-they-will-see", preview.users_they_will_see),
        max_role: c.t.get1(
            "review-max-role",
            "role",
            &c.t.get(&format!("role-{}", terms.max_proof_role.as_str())),
        ),
        visible: match &terms.visible_users {
            VisibleUsers::All => c.t.get("review-visible-all"),
            VisibleUsers::Only(ids) => {
                c.t.get1("review-visible-some", "count", &ids.len().to_string())
            }
        },
        c,
        tab: "partners",
        id: id.to_string(),
        preview,
    };
    Ok(req.render(&page))
}

/// One line of the history.
pub struct Line {
    pub at: String,
    pub at_iso: String,
    pub action: &'static str,
    pub text: String,
    pub reason: Option<String>,
}

/// One of our users on the terms form: shown to the partner or not.
pub struct Pick {
    pub id: String,
    pub name: String,
    pub email: String,
    pub shown: bool,
}

/// The terms form of an active partnership.
pub struct TermsForm {
    pub id: String,
    /// (role, its label, selected)
    pub roles: Vec<(&'static str, String, bool)>,
    pub download: bool,
    pub all: bool,
    pub users: Vec<Pick>,
}

/// Users listed on the terms form at most (beyond, `PUT /partners/{id}/terms`).
const FORM_USERS: u32 = 500;

#[derive(Template)]
#[template(path = "partner_history.html")]
struct HistoryPage {
    c: Chrome,
    tab: &'static str,
    terms: Option<TermsForm>,
    email: String,
    status: String,
    lines: Vec<Line>,
    between: Option<Between>,
    /// The counts between the two accounts: (element id, text).
    facts: Vec<(&'static str, String)>,
    inconsistent: String,
}

/// The history page of relationship `id`.
pub async fn history(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Admin { req, me }: Admin,
) -> Result<Response, PageError> {
    let events = partner_history::get(&state.store, &me, &id)
        .await
        .or_page(&req)?;
    let between = partner_history::between(&state.store, &me, &id)
        .await
        .or_page(&req)?;
    // The tab's row, while the relationship is on it.
    let seen = partners::get(&state.store, &me, &id).await.ok();
    let c = req.chrome("history-title");
    let lines = events
        .iter()
        .map(|e| {
            let who = e
                .actor_name
                .clone()
                .unwrap_or_else(|| c.t.get(&format!("history-side-{}", e.side.as_str())));
            Line {
                at: when(e.at),
                at_iso: timestamp(e.at),
                action: e.action,
                text: c.t.get1(&format!("history-{}", e.action), "who", &who),
                reason: e.reason.map(|r| c.t.get(&format!("history-reason-{r}"))),
            }
        })
        .collect();
    let count = |key: &str, n: i64| c.t.get1(key, "count", &n.to_string());
    let facts = between.as_ref().map_or_else(Vec::new, |b| {
        vec![
            (
                "theirs-on-ours",
                count("history-theirs-on-ours", b.theirs_on_our_contacts),
            ),
            (
                "ours-on-theirs",
                count("history-ours-on-theirs", b.ours_on_their_contacts),
            ),
            ("shares-out", count("history-shares-out", b.shares_out)),
            ("shares-in", count("history-shares-in", b.shares_in)),
        ]
    });
    let inconsistent = between.as_ref().map_or_else(String::new, |b| {
        count("history-inconsistent", b.differences.len() as i64)
    });
    let terms = match seen.as_ref().filter(|s| s.status == View::Accepted) {
        Some(_) => {
            let t = partner_terms::get(&state.store, &me, &id)
                .await
                .or_page(&req)?;
            let users = users::list(&state.store, &me.account_id, None, FORM_USERS)
                .await
                .or_page(&req)?;
            Some(TermsForm {
                id: id.clone(),
                roles: ProofRole::ALL
                    .into_iter()
                    .filter(|r| !r.owner_account_only())
                    .map(|r| {
                        (
                            r.as_str(),
                            c.t.get(&format!("role-{}", r.as_str())),
                            r == t.max_proof_role,
                        )
                    })
                    .collect(),
                download: t.download,
                all: t.visible_users == VisibleUsers::All,
                users: users
                    .into_iter()
                    .map(|u| Pick {
                        shown: t.visible_users != VisibleUsers::All && t.shows(&u.id),
                        id: u.id,
                        name: u.name,
                        email: u.email,
                    })
                    .collect(),
            })
        }
        None => None,
    };
    let page = HistoryPage {
        terms,
        facts,
        inconsistent,
        email: seen.as_ref().map(|s| s.email.clone()).unwrap_or_default(),
        status: seen
            .as_ref()
            .map(|s| c.t.get(&format!("status-{}", s.status.as_str())))
            .unwrap_or_else(|| c.t.get("history-gone")),
        c,
        tab: "partners",
        lines,
        between,
    };
    Ok(req.render(&page))
}

/// The terms form posted from the history page (`POST /settings/account/partners/{id}/terms`):
/// the role, the download box, and all users or the ticked ones (`user-{id}` fields).
pub async fn save_terms(
    state: &AppState,
    AdminPost { posted, me }: AdminPost,
    id: &str,
) -> Result<Response, PageError> {
    let chosen = (posted.field("visible") == "chosen").then(|| {
        posted
            .fields
            .keys()
            .filter_map(|k| k.strip_prefix("user-"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    });
    let page = format!("/settings/account/partners/{id}");
    let saved = match Terms::new(
        posted.field("max_proof_role"),
        posted.field("download") == "1",
        chosen,
    ) {
        Ok(terms) => partner_terms::put(&state.store, &me, id, terms)
            .await
            .map_err(ApiError::from),
        Err(refusal) => Err(ApiError::from(refusal)),
    };
    let to = match saved {
        Ok(_) => with_code(&page, "ok", "terms_saved"),
        Err(e) if e.code == "not_found" => return Err(posted.req.fail(e)),
        Err(e) => with_code(&page, "error", e.code),
    };
    Ok(posted.req.redirect(&to))
}
