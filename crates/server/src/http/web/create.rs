//! Making items from the pages: a new folder (at the top or inside a folder), an uploaded
//! file (multipart, streamed like the API's, CSRF-checked before any byte is stored), and
//! a proof made from a file. Each posts and redirects to the new item's page; a refusal
//! goes back to the page it came from with its message.

use super::items::link;
use super::{with_code, OrPage, PageError, PageRequest, Signed, SignedPost};
use crate::files::receive::{receive, Guard};
use crate::http::error::ApiError;
use crate::state::AppState;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::response::Response;
use coproof_core::file_name::parse_folder_name;
use coproof_core::name::parse_name;
use coproof_core::sharing::ItemKind;
use coproof_store::items::files::{self, File};
use coproof_store::items::{folders, proofs};
use coproof_store::model::User;

/// The "Add" forms of the home and of a folder page: where new items go (empty: the top).
pub struct NewItems {
    pub folder_id: String,
}

/// The forms, when the actor may add items there.
pub fn new_items(may_add: bool, folder_id: Option<&str>) -> Option<NewItems> {
    may_add.then(|| NewItems {
        folder_id: folder_id.unwrap_or_default().to_string(),
    })
}

/// The page a form of the home or a folder page goes back to.
fn back(folder_id: Option<&str>) -> String {
    folder_id.map_or_else(|| "/".to_string(), |id| link(ItemKind::Folder, id))
}

/// A folder id from a form or an address: absent when empty.
fn folder_field(raw: &str) -> Option<&str> {
    let id = raw.trim();
    (!id.is_empty()).then_some(id)
}

/// Where a refusal leads: the error page for what the user may not see or do (403, 404),
/// else back to the form's page with the refusal's message.
fn refused(req: PageRequest, page: &str, e: ApiError) -> Result<Response, PageError> {
    if matches!(e.code, "forbidden" | "not_found" | "csrf") {
        return Err(req.fail(e));
    }
    Ok(req.redirect(&with_code(page, "error", e.code)))
}

/// "New folder": `name`, optional `parent_id`.
pub async fn new_folder(
    State(state): State<AppState>,
    SignedPost { posted, me }: SignedPost,
) -> Result<Response, PageError> {
    let parent = folder_field(posted.field("parent_id"));
    let page = back(parent);
    let made = match parse_folder_name(posted.field("name")) {
        Ok(name) => folders::create(&state.store, &me, &name, parent)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(ApiError::from(e)),
    };
    match made {
        Ok(folder) => Ok(posted.req.redirect(&with_code(
            &link(ItemKind::Folder, &folder.id),
            "ok",
            "folder_created",
        ))),
        Err(e) => refused(posted.req, &page, e),
    }
}

/// A body that is not a multipart form: the error page.
fn not_multipart(req: &PageRequest) -> PageError {
    req.fail(ApiError::invalid_input(
        "expected a multipart/form-data body",
    ))
}

/// A page's upload form, its CSRF field checked before the file is taken.
async fn receive_form(
    state: &AppState,
    req: &PageRequest,
    me: &User,
    multipart: Multipart,
) -> Result<File, ApiError> {
    let fits = |token: &str| req.csrf_fits(token);
    receive(state, me, multipart, Guard::Csrf(&fits)).await
}

/// "Upload file": multipart `csrf`, optional `folder_id`, then `file`; `?folder=` in the
/// form's address names the page to go back to on a refusal.
pub async fn upload(
    State(state): State<AppState>,
    Signed { req, me }: Signed,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let multipart = multipart.map_err(|_| not_multipart(&req))?;
    let page = back(req.query.get("folder").and_then(|id| folder_field(id)));
    match receive_form(&state, &req, &me, multipart).await {
        Ok(file) => Ok(req.redirect(&with_code(
            &link(ItemKind::File, &file.id),
            "ok",
            "uploaded",
        ))),
        Err(e) => refused(req, &page, e),
    }
}

/// "Upload a new version" on a proof's page: the file goes where the proof is, then
/// becomes the proof's current version (decisions start again). Only for who may edit the
/// proof, checked before any byte is stored.
pub async fn new_version(
    State(state): State<AppState>,
    Path(proof_id): Path<String>,
    Signed { req, me }: Signed,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let page = link(ItemKind::Proof, &proof_id);
    let (_, access) = proofs::get(&state.store, &me, &proof_id)
        .await
        .or_page(&req)?;
    if !access.rights.edit {
        return Err(req.fail(coproof_core::Refusal::Forbidden));
    }
    let multipart = multipart.map_err(|_| not_multipart(&req))?;
    let added = match receive_form(&state, &req, &me, multipart).await {
        Ok(file) => proofs::add_version(&state.store, &me, &proof_id, &file.id)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match added {
        Ok(_) => Ok(req.redirect(&with_code(&page, "ok", "version_added"))),
        Err(e) => refused(req, &page, e),
    }
}

/// "Make a proof" on a file's page: `name`; the proof goes where the file is.
pub async fn new_proof(
    State(state): State<AppState>,
    Path(file_id): Path<String>,
    SignedPost { posted, me }: SignedPost,
) -> Result<Response, PageError> {
    let page = link(ItemKind::File, &file_id);
    let made = async {
        let name = parse_name("name", posted.field("name"))?;
        let (file, _) = files::get(&state.store, &me, &file_id).await?;
        let proof = proofs::create(
            &state.store,
            &me,
            &name,
            &file.id,
            file.folder_id.as_deref(),
            &[],
        )
        .await?;
        Ok::<_, ApiError>(proof)
    }
    .await;
    match made {
        Ok(proof) => Ok(posted.req.redirect(&with_code(
            &link(ItemKind::Proof, &proof.id),
            "ok",
            "proof_created",
        ))),
        Err(e) => refused(posted.req, &page, e),
    }
}
