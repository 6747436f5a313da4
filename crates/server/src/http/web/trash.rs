//! Managing folders from the pages: rename, put in the trash (who may edit the folder),
//! and the account's Trash page for admins (restore a folder, empty the trash for good).

use super::items::link;
use super::{with_code, Admin, Chrome, OrPage, PageError, SignedPost};
use crate::http::error::ApiError;
use crate::http::security_log::{event, note};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use coproof_core::file_name::parse_folder_name;
use coproof_core::sharing::ItemKind;
use coproof_store::items::folders::{self, Move};
use coproof_store::items::trash;
use coproof_store::security::SecurityAction;

/// "Rename" on a folder page.
pub async fn rename(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedPost { posted, me }: SignedPost,
) -> Result<Response, PageError> {
    let page = link(ItemKind::Folder, &id);
    let renamed = match parse_folder_name(posted.field("name")) {
        Ok(name) => folders::update(&state.store, &me, &id, Some(&name), &Move::Stay)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(ApiError::from(e)),
    };
    match renamed {
        Ok(_) => Ok(posted.req.redirect(&with_code(&page, "ok", "renamed"))),
        Err(e) if e.code == "invalid_input" => {
            Ok(posted.req.redirect(&with_code(&page, "error", e.code)))
        }
        Err(e) => Err(posted.req.fail(e)),
    }
}

/// "Move to trash" on a folder page: back to where the folder was.
pub async fn put_in_trash(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedPost { posted, me }: SignedPost,
) -> Result<Response, PageError> {
    let folder = folders::trash(&state.store, &me, &id)
        .await
        .or_page(&posted.req)?;
    let back = folder
        .parent_id
        .map_or_else(|| "/".to_string(), |p| link(ItemKind::Folder, &p));
    Ok(posted.req.redirect(&with_code(&back, "ok", "trashed")))
}

/// A folder in the trash as the page lists it.
pub struct TrashedRow {
    pub id: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "trash.html")]
struct TrashPage {
    c: Chrome,
    rows: Vec<TrashedRow>,
}

/// The account's trash (admins).
pub async fn page(
    State(state): State<AppState>,
    Admin { req, me }: Admin,
) -> Result<Response, PageError> {
    let found = trash::list(&state.store, &me).await.or_page(&req)?;
    let c = req.chrome("trash-title");
    let rows = found
        .into_iter()
        .map(|f| TrashedRow {
            id: f.id,
            name: f.name,
        })
        .collect();
    Ok(req.render(&TrashPage { c, rows }))
}

/// "Restore" on the Trash page.
pub async fn restore(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedPost { posted, me }: SignedPost,
) -> Result<Response, PageError> {
    let folder = trash::restore(&state.store, &me, &id)
        .await
        .or_page(&posted.req)?;
    Ok(posted.req.redirect(&with_code(
        &link(ItemKind::Folder, &folder.id),
        "ok",
        "restored",
    )))
}

/// "Empty trash": everything in it is deleted for good, files' bytes included.
pub async fn empty(
    State(state): State<AppState>,
    SignedPost { posted, me }: SignedPost,
) -> Result<Response, PageError> {
    let keys = trash::empty(&state.store, &me).await.or_page(&posted.req)?;
    state.files.remove(keys).await;
    let emptied = event(SecurityAction::TrashEmptied, &me, posted.req.ip);
    note(&state, emptied).await;
    Ok(posted
        .req
        .redirect(&with_code("/trash", "ok", "trash_emptied")))
}
