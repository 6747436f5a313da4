//! Settings > Account Settings > Partners, as the product document describes it: "Send new
//! partner invitation" opens the "Send invitation" box; received pending requests have
//! "Accept" and "Reject and ignore"; every row has a down-arrow menu with "Delete"; an
//! accepted row has "Remove partner", which leads to a confirmation page (what stays, what
//! stops: the removal preview) whose form posts the `delete` action.

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
use coproof_store::removal_preview::{self, Whose};

const PAGE: &str = "/settings/account/partners";
const LIMIT: u32 = 100;

/// One row of the Partners tab.
pub struct Row {
    pub id: String,
    /// `sent` or `received`.
    pub direction: &'static str,
    pub direction_label: String,
    /// `pending`, `accepted`, `rejected` or `expired`.
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
    /// An active partnership: "Remove partner" leads to the confirmation page.
    pub can_remove: bool,
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
        can_remove: s.status == View::Accepted && s.partner_account.is_some(),
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
        "terms" => {
            return super::partner_detail::save_terms(&state, AdminPost { posted, me }, &id).await
        }
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

/// A line of a list on the removal confirmation: what, and a detail (whom, which side).
pub struct Line {
    pub name: String,
    pub detail: String,
}

/// One list of the confirmation: its total, the lines shown (at most 50) and a note on
/// those not shown.
pub struct Block {
    /// `shares-out`, `shares-in`, `members` or `proofs`: the list's element id.
    pub list_id: &'static str,
    /// The key of its heading.
    pub title_key: &'static str,
    pub count: i64,
    pub lines: Vec<Line>,
    pub more: Option<String>,
}

/// One list of the confirmation page: its first lines, and how many more there are.
fn block<T>(
    c: &Chrome,
    list_id: &'static str,
    title_key: &'static str,
    listed: &removal_preview::Listed<T>,
    line: impl Fn(&T) -> Line,
) -> Block {
    let lines: Vec<Line> = listed.items.iter().map(line).collect();
    let hidden = listed.count - i64::try_from(lines.len()).unwrap_or(i64::MAX);
    Block {
        list_id,
        title_key,
        count: listed.count,
        more: (hidden > 0).then(|| {
            c.t.get1("partners-remove-more", "count", &hidden.to_string())
        }),
        lines,
    }
}

#[derive(Template)]
#[template(path = "partner_remove.html")]
struct RemovePage {
    c: Chrome,
    tab: &'static str,
    id: String,
    partner: String,
    shares: Vec<Block>,
    members: Block,
    proofs: Block,
}

/// The pages of one relationship's actions: `remove` and `review`.
///
/// "Remove partner" confirmation (`GET /settings/account/partners/{id}/remove`): what stays
/// (shares both ways, contacts kept as ended), what stops (sync, new shares) and the open
/// proofs with the partner's approvers; its form posts to the `delete` action.
pub async fn confirm(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    admin: Admin,
) -> Result<Response, PageError> {
    match action.as_str() {
        "remove" => remove(&state, admin, &id).await,
        "review" => super::partner_detail::review(&state, admin, &id).await,
        _ => Err(admin.req.fail(Refusal::NotFound)),
    }
}

async fn remove(
    state: &AppState,
    Admin { req, me }: Admin,
    id: &str,
) -> Result<Response, PageError> {
    let preview = removal_preview::get(&state.store, &me, id)
        .await
        .or_page(&req)?;
    let c = req.chrome("partners-remove-title");
    let shared = |s: &removal_preview::SharedItem| Line {
        name: s.item_name.clone(),
        detail: c.t.get1(
            &format!("partners-remove-shared-{}", s.item_type.as_str()),
            "with",
            &s.shared_with.name,
        ),
    };
    let shares = vec![
        block(
            &c,
            "shares-out",
            "partners-remove-shares-out",
            &preview.shares_out,
            shared,
        ),
        block(
            &c,
            "shares-in",
            "partners-remove-shares-in",
            &preview.shares_in,
            shared,
        ),
    ];
    let members = block(
        &c,
        "members",
        "partners-remove-members",
        &preview.members_that_stop_syncing,
        |m| Line {
            name: m.name.clone(),
            detail: format!(
                "{} · {}",
                m.email,
                c.t.get(&format!("partners-remove-side-{}", m.side.as_str()))
            ),
        },
    );
    let proofs = block(
        &c,
        "proofs",
        "partners-remove-proofs",
        &preview.open_proofs_with_partner_approvers,
        |p| Line {
            name: p.name.clone(),
            detail: c.t.get2(
                match p.owner {
                    Whose::Ours => "partners-remove-proof-ours",
                    Whose::Theirs => "partners-remove-proof-theirs",
                },
                "approvers",
                &p.approvers.join(", "),
                "partner",
                &preview.partner.name,
            ),
        },
    );
    let page = RemovePage {
        tab: "partners",
        id: preview.relationship.id.clone(),
        partner: preview.partner.name.clone(),
        shares,
        members,
        proofs,
        c,
    };
    Ok(req.render(&page))
}
