//! Folders: create, read with contents, rename and move, put in the trash; the admins'
//! trash (list, restore, empty for good).

use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, Caller};
use crate::http::item_dto::{Folder, FolderContents};
use crate::http::security_log::{event, note};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use coproof_core::file_name::parse_folder_name;
use coproof_store::items::{folders, trash};
use coproof_store::security::SecurityAction;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewFolder {
    pub name: String,
    /// The folder to create it in; at the top of your account when absent.
    pub parent_id: Option<String>,
}

/// Creates a folder at the top of your account (managers and up) or inside a folder you
/// may edit.
#[utoipa::path(post, path = "/folders", tag = "folders", security(("bearer" = [])), request_body = NewFolder,
    responses((status = 201, body = Folder), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewFolder>,
) -> ApiResult<(StatusCode, Json<Folder>)> {
    let name = parse_folder_name(&req.name)?;
    let folder =
        folders::create(&state.store, &caller.user, &name, req.parent_id.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(Folder::from(&folder))))
}

/// A folder with the folders, files and proofs inside it.
#[utoipa::path(get, path = "/folders/{id}", tag = "folders", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = FolderContents), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<FolderContents>> {
    let view = folders::get(&state.store, &caller.user, &id).await?;
    Ok(Json(FolderContents::from(&view)))
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FolderChange {
    /// A new name.
    pub name: Option<String>,
    /// Move into this folder; `null` moves it to the top of the account; absent: stays.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub parent_id: Option<Option<String>>,
}

/// Renames and/or moves a folder. Moving a folder into itself or into a folder below it
/// is 409 `invalid_state`.
#[utoipa::path(patch, path = "/folders/{id}", tag = "folders", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = FolderChange,
    responses((status = 200, body = Folder), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<FolderChange>,
) -> ApiResult<Json<Folder>> {
    let name = req.name.as_deref().map(parse_folder_name).transpose()?;
    let destination = match req.parent_id {
        None => folders::Move::Stay,
        Some(None) => folders::Move::ToTop,
        Some(Some(parent)) => folders::Move::Into(parent),
    };
    let folder = folders::update(
        &state.store,
        &caller.user,
        &id,
        name.as_deref(),
        &destination,
    )
    .await?;
    Ok(Json(Folder::from(&folder)))
}

/// Puts a folder and everything inside it in the trash (invisible from then on; the
/// account's admins list and empty the trash).
#[utoipa::path(delete, path = "/folders/{id}", tag = "folders", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    folders::trash(&state.store, &caller.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrashList {
    pub folders: Vec<Folder>,
}

/// The folders of your account in the trash (admins).
#[utoipa::path(get, path = "/trash", tag = "folders", security(("bearer" = [])),
    responses((status = 200, body = TrashList), (status = 403, body = ErrorBody)))]
pub async fn list_trash(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<TrashList>> {
    let found = trash::list(&state.store, &caller.user).await?;
    Ok(Json(TrashList {
        folders: found.iter().map(Folder::from).collect(),
    }))
}

/// Takes a folder out of the trash, with everything inside it (admins).
#[utoipa::path(post, path = "/trash/{id}/restore", tag = "folders", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Folder), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn restore(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Folder>> {
    let folder = trash::restore(&state.store, &caller.user, &id).await?;
    Ok(Json(Folder::from(&folder)))
}

/// Empties the trash for good: the folders and everything inside them, files' bytes
/// included (admins).
#[utoipa::path(delete, path = "/trash", tag = "folders", security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody)))]
pub async fn empty_trash(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    let keys = trash::empty(&state.store, &caller.user).await?;
    state.files.remove(keys).await;
    note(
        &state,
        event(SecurityAction::TrashEmptied, &caller.user, caller.ip),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
