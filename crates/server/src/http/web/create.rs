//! Making items from the pages: a new folder (at the top or inside a folder), an uploaded
//! file (multipart, streamed like the API's, CSRF-checked before any byte is stored), and
//! a proof made from a file. Each posts and redirects to the new item's page; a refusal
//! goes back to the page it came from with its message.

use super::items::link;
use super::{with_code, Signed, SignedPost, Visitor};
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
use coproof_store::users::User;

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

/// Where a refusal leads: the visitor's error page for what it may not see or do (403,
/// 404), else back to the form's page with the refusal's message.
fn refused(visitor: Visitor, page: &str, e: ApiError) -> Response {
    if matches!(e.code, "forbidden" | "not_found" | "csrf") {
        return visitor.fail(e);
    }
    visitor.redirect(&with_code(page, "error", e.code))
}

/// "New folder": `name`, optional `parent_id`.
pub async fn new_folder(
    State(state): State<AppState>,
    SignedPost { posted, me }: SignedPost,
) -> Response {
    let parent = folder_field(posted.field("parent_id"));
    let page = back(parent);
    let made = match parse_folder_name(posted.field("name")) {
        Ok(name) => folders::create(&state.store, &me, &name, parent)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(ApiError::from(e)),
    };
    match made {
        Ok(folder) => posted.visitor.redirect(&with_code(
            &link(ItemKind::Folder, &folder.id),
            "ok",
            "folder_created",
        )),
        Err(e) => refused(posted.visitor, &page, e),
    }
}

/// A body that is not a multipart form: the error page.
fn not_multipart(visitor: &Visitor) -> Response {
    visitor.fail(ApiError::invalid_input(
        "expected a multipart/form-data body",
    ))
}

/// A page's upload form, its CSRF field checked before the file is taken.
async fn receive_form(
    state: &AppState,
    visitor: &Visitor,
    me: &User,
    multipart: Multipart,
) -> Result<File, ApiError> {
    let fits = |token: &str| visitor.csrf_fits(token);
    receive(state, me, multipart, Guard::Csrf(&fits)).await
}

/// "Upload file": multipart `csrf`, optional `folder_id`, then `file`; `?folder=` in the
/// form's address names the page to go back to on a refusal.
pub async fn upload(
    State(state): State<AppState>,
    Signed { visitor, me }: Signed,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let Ok(multipart) = multipart else {
        return not_multipart(&visitor);
    };
    let page = back(visitor.query.get("folder").and_then(|id| folder_field(id)));
    match receive_form(&state, &visitor, &me, multipart).await {
        Ok(file) => visitor.redirect(&with_code(
            &link(ItemKind::File, &file.id),
            "ok",
            "uploaded",
        )),
        Err(e) => refused(visitor, &page, e),
    }
}

/// "Upload a new version" on a proof's page: the file goes where the proof is, then
/// becomes the proof's current version (decisions start again). Only for who may edit the
/// proof, checked before any byte is stored.
pub async fn new_version(
    State(state): State<AppState>,
    Path(proof_id): Path<String>,
    Signed { visitor, me }: Signed,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let page = link(ItemKind::Proof, &proof_id);
    match proofs::get(&state.store, &me, &proof_id).await {
        Ok((_, access)) if access.rights.edit => {}
        Ok(_) => return visitor.fail(ApiError::from(coproof_core::Refusal::Forbidden)),
        Err(e) => return visitor.fail(e),
    }
    let Ok(multipart) = multipart else {
        return not_multipart(&visitor);
    };
    let added = match receive_form(&state, &visitor, &me, multipart).await {
        Ok(file) => proofs::add_version(&state.store, &me, &proof_id, &file.id)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match added {
        Ok(_) => visitor.redirect(&with_code(&page, "ok", "version_added")),
        Err(e) => refused(visitor, &page, e),
    }
}

/// "Make a proof" on a file's page: `name`; the proof goes where the file is.
pub async fn new_proof(
    State(state): State<AppState>,
    Path(file_id): Path<String>,
    SignedPost { posted, me }: SignedPost,
) -> Response {
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
        Ok(proof) => posted.visitor.redirect(&with_code(
            &link(ItemKind::Proof, &proof.id),
            "ok",
            "proof_created",
        )),
        Err(e) => refused(posted.visitor, &page, e),
    }
}
