//! Contacts: the page (list, search, kind filter, company view), guests added by hand,
//! deletion, and CSV import and export. Visitors see no contacts.

use super::contacts_csv;
use crate::http::dto::Contact;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Caller};
use crate::http::params::{contact_filter, contact_limit, decode_cursor, encode_cursor};
use crate::http::security_log::{event, note};
use crate::state::AppState;
use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use coproof_core::Refusal;
use coproof_store::contacts::guests::{self, GuestInput};
use coproof_store::contacts::{self, After};
use coproof_store::security::SecurityAction;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactQuery {
    /// Matches name, e-mail or company, case-insensitively.
    pub q: Option<String>,
    /// `user`, `member` or `guest`.
    pub kind: Option<String>,
    /// `company`: contacts grouped by company (synced contacts by their account).
    pub view: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactList {
    pub contacts: Vec<Contact>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyGroup {
    /// The company (for synced contacts, their account's name); null for guests without one.
    pub name: Option<String>,
    /// The account the contacts belong to; null for guests.
    pub account: Option<crate::http::dto::Account>,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyList {
    pub companies: Vec<CompanyGroup>,
    pub next_cursor: Option<String>,
}

/// The caller's contacts, ordered by name then e-mail; or with `view=company`, grouped
/// by company (`{companies, next_cursor}`).
#[utoipa::path(get, path = "/contacts", tag = "contacts", security(("bearer" = [])),
    params(ContactQuery),
    responses((status = 200, body = ContactList), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ContactQuery>,
) -> ApiResult<axum::response::Response> {
    let filter = contact_filter(query.q.as_deref(), query.kind.as_deref())?;
    let limit = contact_limit(query.limit.as_deref())?;
    let viewer = &caller.user;
    match query.view.as_deref() {
        None | Some("") => {
            let after: Option<After> = decode_cursor(query.cursor.as_deref())?;
            let found =
                contacts::list(&state.store, viewer, &filter, after.as_ref(), limit).await?;
            let next_cursor = (found.len() as u32 >= limit)
                .then(|| found.last().map(|c| encode_cursor(&After::of(c))))
                .flatten();
            Ok(Json(ContactList {
                contacts: found.iter().map(Contact::from).collect(),
                next_cursor,
            })
            .into_response())
        }
        Some("company") => {
            let after: Option<(String, String)> = decode_cursor(query.cursor.as_deref())?;
            let found =
                contacts::companies(&state.store, viewer, &filter, after.as_ref(), limit).await?;
            let next_cursor = (found.len() as u32 >= limit)
                .then(|| {
                    found.last().map(|c| {
                        encode_cursor(&(
                            c.name.clone().unwrap_or_default(),
                            c.account_id.clone().unwrap_or_default(),
                        ))
                    })
                })
                .flatten();
            Ok(Json(CompanyList {
                companies: found
                    .into_iter()
                    .map(|c| CompanyGroup {
                        account: c.account_id.map(|id| crate::http::dto::Account {
                            id,
                            name: c.name.clone().unwrap_or_default(),
                        }),
                        name: c.name,
                        count: c.count,
                    })
                    .collect(),
                next_cursor,
            })
            .into_response())
        }
        Some(_) => Err(ApiError::invalid_input("view must be company")),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewGuest {
    pub email: String,
    pub name: String,
    pub company: Option<String>,
    pub telephone: Option<String>,
    pub mobile: Option<String>,
}

/// Adds a guest (a contact with no login here). Manager and up.
#[utoipa::path(post, path = "/contacts", tag = "contacts", security(("bearer" = [])),
    request_body = NewGuest,
    responses((status = 201, body = Contact), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewGuest>,
) -> ApiResult<(StatusCode, Json<Contact>)> {
    let input = GuestInput {
        email: req.email,
        name: req.name,
        company: req.company,
        telephone: req.telephone,
        mobile: req.mobile,
    };
    let contact = guests::add(&state.store, &caller.user, &input).await?;
    Ok((StatusCode::CREATED, Json(Contact::from(&contact))))
}

/// Deletes a guest, or a member of an ended partnership. Supervisor and up.
#[utoipa::path(delete, path = "/contacts/{id}", tag = "contacts", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    guests::delete(&state.store, &caller.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RefusedRow {
    /// The row's line in the file; the header is line 1.
    pub row: u64,
    pub email: String,
    /// An error code: `invalid_email`, `invalid_input`, `duplicate`, `contact_exists`.
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub imported: u64,
    pub refused: Vec<RefusedRow>,
}

/// Imports guests from a CSV file (`text/csv` body, or multipart with a `file` part):
/// columns `Email`, and `Name` or `First Name` + `Last Name`, optional `Company`,
/// `Telephone`, `Mobile`; UTF-8 with or without BOM. Every acceptable row is imported in
/// one transaction; the others are listed with their reason. Manager and up.
#[utoipa::path(post, path = "/contacts/import", tag = "contacts", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    request: Request,
) -> ApiResult<Json<ImportReport>> {
    if !caller.user.profile.adds_contacts() {
        return Err(Refusal::Forbidden.into());
    }
    let file = contacts_csv::file_of(request, &state).await?;
    let rows = contacts_csv::read(&file)?;
    let report = guests::import(&state.store, &caller.user, &rows).await?;
    let imported = event(SecurityAction::ContactsImported, &caller.user, caller.ip).changed(
        None,
        Some(serde_json::json!({ "imported": report.imported })),
    );
    note(&state, imported).await;
    Ok(Json(ImportReport {
        imported: report.imported,
        refused: report
            .refused
            .into_iter()
            .map(|r| RefusedRow {
                row: r.row,
                email: r.email,
                reason: r.reason.to_string(),
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    pub q: Option<String>,
    pub kind: Option<String>,
}

/// The contacts of the current filter as a CSV file (cells that look like formulas are
/// prefixed with `'`).
#[utoipa::path(get, path = "/contacts/export", tag = "contacts", security(("bearer" = [])),
    params(ExportQuery),
    responses((status = 200, content_type = "text/csv", body = String),
              (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> ApiResult<axum::response::Response> {
    let filter = contact_filter(query.q.as_deref(), query.kind.as_deref())?;
    let mut all = Vec::new();
    let mut after: Option<After> = None;
    loop {
        let page =
            contacts::list(&state.store, &caller.user, &filter, after.as_ref(), 1000).await?;
        after = page.last().map(After::of);
        let done = page.len() < 1000;
        all.extend(page);
        if done {
            break;
        }
    }
    let bytes = contacts_csv::write(&all)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"contacts.csv\"",
            ),
        ],
        bytes,
    )
        .into_response())
}
