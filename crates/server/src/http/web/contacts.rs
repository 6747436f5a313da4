//! The Contacts page: search, kind filter, pages by keyset cursor, adding guests, deleting
//! guests and members of ended partnerships, CSV export (the API's) and CSV import.

use super::{with_code, Chrome, OrPage, PageError, PageRequest, SignedPost};
use crate::http::api::contacts_csv;
use crate::http::error::ApiError;
use crate::http::params::{contact_filter, decode_cursor, encode_cursor};
use crate::http::security_log::{event, note};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use coproof_core::contact::{check_delete, Kind};
use coproof_core::Refusal;
use coproof_store::contacts::guests::{self, GuestInput};
use coproof_store::contacts::{self, After, Contact};
use coproof_store::security::SecurityAction;

const PAGE: &str = "/contacts";
const LIMIT: u32 = 50;

/// One row of the Contacts table.
pub struct Row {
    pub id: String,
    pub kind: &'static str,
    pub kind_label: String,
    pub name: String,
    pub email: String,
    pub company: String,
    /// For members: `active` or `ended`, and its label.
    pub partnership: Option<(&'static str, String)>,
    pub active: bool,
    pub can_delete: bool,
}

/// One company of the company view: its name, whether it is a partner account (its
/// members synced) or a company typed on guests, how many contacts, and the link to them.
pub struct CompanyRow {
    pub name: String,
    pub partner: bool,
    pub count: i64,
    pub link: String,
}

/// One refused row of an import.
pub struct RefusedRow {
    pub row: u64,
    pub email: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "contacts.html")]
struct ContactsPage {
    c: Chrome,
    rows: Vec<Row>,
    /// The company view's rows, when `view=company`.
    companies: Option<Vec<CompanyRow>>,
    people_link: String,
    companies_link: String,
    q: String,
    kind: String,
    kinds: Vec<(&'static str, String)>,
    next_link: Option<String>,
    export_link: String,
    may_add: bool,
    imported: Option<(u64, Vec<RefusedRow>)>,
}

fn row(c: &Chrome, contact: &Contact, may_delete: bool) -> Row {
    let kind = contact.kind.as_str();
    Row {
        id: contact.id.clone(),
        kind,
        kind_label: c.t.get(&format!("contacts-kind-{kind}")),
        name: contact.name.clone(),
        email: contact.email.clone(),
        company: contact.company.clone().unwrap_or_default(),
        partnership: contact.partnership.map(|p| {
            let p = p.as_str();
            (p, c.t.get(&format!("contacts-partnership-{p}")))
        }),
        active: contact.active,
        can_delete: may_delete && check_delete(contact.kind, contact.partnership).is_ok(),
    }
}

fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    s.finish()
}

/// The page's own query: the search, a kind the page offers (another one is ignored), the
/// company view and the cursor.
struct Shown {
    q: String,
    kind: String,
    by_company: bool,
    cursor: Option<String>,
}

impl Shown {
    fn of(req: &PageRequest) -> Shown {
        let q = req.query.get("q").cloned().unwrap_or_default();
        let kind = req
            .query
            .get("kind")
            .filter(|k| Kind::parse(k).is_some())
            .cloned()
            .unwrap_or_default();
        Shown {
            q,
            kind,
            by_company: req.query.get("view").is_some_and(|v| v == "company"),
            cursor: req.query.get("cursor").cloned(),
        }
    }
}

async fn show(
    state: &AppState,
    req: PageRequest,
    imported: Option<(u64, Vec<RefusedRow>)>,
) -> Result<Response, PageError> {
    let me = req
        .require_profile(|s| s.user.profile.sees_contacts(), "forbidden_contacts")?
        .user
        .clone();
    let Shown {
        q,
        kind,
        by_company,
        cursor,
    } = Shown::of(&req);
    let filter = contact_filter(Some(&q), Some(&kind)).or_page(&req)?;
    let companies = if by_company {
        let found = companies(state, &me, &filter, cursor.as_deref(), &q, &kind);
        Some(found.await.or_page(&req)?)
    } else {
        None
    };
    let after: Option<After> = decode_cursor(cursor.as_deref()).or_page(&req)?;
    let found = if by_company {
        Vec::new()
    } else {
        contacts::list(&state.store, &me, &filter, after.as_ref(), LIMIT + 1)
            .await
            .or_page(&req)?
    };
    let more = found.len() > LIMIT as usize;
    let shown = &found[..found.len().min(LIMIT as usize)];
    let c = req.chrome("contacts-title");
    let may_delete = me.profile.deletes_contacts();
    let rows = shown.iter().map(|s| row(&c, s, may_delete)).collect();
    let next_link = match (more, shown.last()) {
        (true, Some(last)) => Some(format!(
            "{PAGE}?{}",
            query_string(&[
                ("q", &q),
                ("kind", &kind),
                ("cursor", &encode_cursor(&After::of(last))),
            ])
        )),
        _ => None,
    };
    let kinds = Kind::ALL
        .iter()
        .map(|k| {
            (
                k.as_str(),
                c.t.get(&format!("contacts-kind-{}", k.as_str())),
            )
        })
        .collect();
    let page = ContactsPage {
        people_link: format!("{PAGE}?{}", query_string(&[("q", &q), ("kind", &kind)])),
        companies_link: format!(
            "{PAGE}?{}",
            query_string(&[("q", &q), ("kind", &kind), ("view", "company")])
        ),
        companies,
        export_link: format!(
            "/api/v1/contacts/export?{}",
            query_string(&[("q", &q), ("kind", &kind)])
        ),
        next_link,
        may_add: me.profile.adds_contacts(),
        kinds,
        c,
        rows,
        q,
        kind,
        imported,
    };
    Ok(req.render(&page))
}

/// The company view: contacts grouped by company (members by their account), each a
/// link to the people of that company.
async fn companies(
    state: &AppState,
    viewer: &coproof_store::model::User,
    filter: &contacts::Filter,
    cursor: Option<&str>,
    q: &str,
    kind: &str,
) -> Result<Vec<CompanyRow>, ApiError> {
    let after: Option<contacts::CompanyAfter> = decode_cursor(cursor)?;
    let found = contacts::companies(&state.store, viewer, filter, after.as_ref(), 200).await?;
    Ok(found
        .into_iter()
        .map(|company| {
            let name = company.name.unwrap_or_default();
            let search = if q.is_empty() { name.as_str() } else { q };
            CompanyRow {
                link: format!("{PAGE}?{}", query_string(&[("q", search), ("kind", kind)])),
                partner: company.account_id.is_some(),
                count: company.count,
                name,
            }
        })
        .collect())
}

pub async fn page(State(state): State<AppState>, req: PageRequest) -> Result<Response, PageError> {
    show(&state, req, None).await
}

fn optional(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_string())
}

pub async fn add(
    State(state): State<AppState>,
    SignedPost { posted, me }: SignedPost,
) -> Result<Response, PageError> {
    let input = GuestInput {
        email: posted.field("email").to_string(),
        name: posted.field("name").to_string(),
        company: optional(posted.field("company")),
        telephone: optional(posted.field("telephone")),
        mobile: optional(posted.field("mobile")),
    };
    let to = match guests::add(&state.store, &me, &input).await {
        Ok(_) => with_code(PAGE, "ok", "contact_added"),
        Err(e) => {
            let e = ApiError::from(e);
            if e.code == Refusal::Forbidden.code() {
                return Err(posted.req.fail(e));
            }
            with_code(PAGE, "error", e.code)
        }
    };
    Ok(posted.req.redirect(&to))
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedPost { posted, me }: SignedPost,
) -> Result<Response, PageError> {
    let to = match guests::delete(&state.store, &me, &id).await {
        Ok(()) => with_code(PAGE, "ok", "contact_deleted"),
        Err(e) => {
            let e = ApiError::from(e);
            if e.code == Refusal::Forbidden.code() {
                return Err(posted.req.fail(e));
            }
            with_code(PAGE, "error", e.code)
        }
    };
    Ok(posted.req.redirect(&to))
}

/// Imports the CSV pasted into the form's text area and shows the report on the page.
pub async fn import(
    State(state): State<AppState>,
    SignedPost { posted, me }: SignedPost,
) -> Result<Response, PageError> {
    let rows = match contacts_csv::read(posted.field("csv").as_bytes()) {
        Ok(rows) => rows,
        Err(e) => return Ok(posted.req.redirect(&with_code(PAGE, "error", e.code))),
    };
    let report = guests::import(&state.store, &me, &rows)
        .await
        .or_page(&posted.req)?;
    let imported = event(SecurityAction::ContactsImported, &me, posted.req.ip).changed(
        None,
        Some(serde_json::json!({ "imported": report.imported })),
    );
    note(&state, imported).await;
    let t = posted.req.t();
    let refused = report
        .refused
        .into_iter()
        .map(|r| RefusedRow {
            row: r.row,
            email: r.email,
            reason: t
                .known(&format!("error-{}", r.reason))
                .unwrap_or_else(|| t.get("contacts-import-duplicate")),
        })
        .collect();
    let mut req = posted.req;
    req.query.clear();
    show(&state, req, Some((report.imported, refused))).await
}
