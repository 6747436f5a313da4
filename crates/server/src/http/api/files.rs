//! Files: streamed multipart upload, metadata, download with `Range` and the original
//! name.

use crate::files::upload::{self, Stored};
use crate::files::{disposition, range, FileStore};
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::Caller;
use crate::http::item_dto::File;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use coproof_core::file_name::parse_file_name;
use coproof_store::ids;
use coproof_store::items::files::{self, Uploaded};
use futures_util::TryStreamExt;
use object_store::{GetOptions, GetRange};
use utoipa::ToSchema;

/// The upload form.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file's bytes; its part's filename is kept as the file's name.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The folder to put it in; the top of your account when absent.
    folder_id: Option<String>,
}

/// Uploads a file (multipart field `file`, optional `folder_id`), streamed to the file
/// store while hashed; its content type is sniffed from its bytes. Over the configured
/// limit: 413.
#[utoipa::path(post, path = "/files", tag = "files", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = File), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<File>)> {
    let mut multipart = multipart.map_err(|e| {
        ApiError::invalid_input(format!(
            "expected a multipart/form-data body: {}",
            e.body_text()
        ))
    })?;
    let mut folder_id: Option<String> = None;
    let mut stored: Option<(Stored, String)> = None;
    let outcome = async {
        while let Some(mut field) = multipart.next_field().await.map_err(upload::client_error)? {
            match field.name() {
                Some("folder_id") => {
                    let id = upload::small_text(&mut field, 64).await?;
                    let id = id.trim().to_string();
                    if !id.is_empty() {
                        files::check_place(&state.store, &caller.user, Some(&id)).await?;
                        folder_id = Some(id);
                    }
                }
                Some("file") if stored.is_none() => {
                    let name = field
                        .file_name()
                        .ok_or_else(|| ApiError::invalid_input("the file part needs a filename"))?;
                    let name = parse_file_name(name)?;
                    files::check_place(&state.store, &caller.user, folder_id.as_deref()).await?;
                    let key = ids::new_id();
                    let file = upload::store_field(&state.files, &key, &mut field).await?;
                    stored = Some((file, name));
                }
                Some("file") => return Err(ApiError::invalid_input("send one file at a time")),
                _ => upload::skip(&mut field, 64 * 1024).await?,
            }
        }
        let Some((file, name)) = stored.as_ref() else {
            return Err(ApiError::invalid_input("the form has no file field"));
        };
        let uploaded = Uploaded {
            id: file.key.clone(),
            name: name.clone(),
            size: i64::try_from(file.size).unwrap_or(i64::MAX),
            content_type: file.content_type.clone(),
            sha256: file.sha256.clone(),
            storage_key: file.key.clone(),
        };
        Ok(files::create(&state.store, &caller.user, folder_id.as_deref(), &uploaded).await?)
    }
    .await;
    match outcome {
        Ok(file) => Ok((StatusCode::CREATED, Json(File::from(&file)))),
        Err(e) => {
            // Nothing uploaded stays behind a refused request.
            if let Some((file, _)) = stored {
                let _ = state.files.inner.delete(&FileStore::path(&file.key)).await;
            }
            Err(e)
        }
    }
}

/// A file's metadata.
#[utoipa::path(get, path = "/files/{id}", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = File), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<File>> {
    let (file, _) = files::get(&state.store, &caller.user, &id).await?;
    Ok(Json(File::from(&file)))
}

/// A file's bytes, with its original name in `Content-Disposition` and one `Range`
/// (206, or 416 when no byte of it exists).
#[utoipa::path(get, path = "/files/{id}/content", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path), ("Range" = Option<String>, Header, description = "bytes=a-b")),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>),
              (status = 206, content_type = "application/octet-stream", body = Vec<u8>),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 416, body = ErrorBody)))]
pub async fn content(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (file, _) = files::get(&state.store, &caller.user, &id).await?;
    send_file(&state, &file, &headers).await
}

/// Streams a file's bytes (all, or the requested range).
pub async fn send_file(
    state: &AppState,
    file: &files::File,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let size = u64::try_from(file.size).unwrap_or(0);
    let wanted = range::parse(
        headers.get(header::RANGE).and_then(|v| v.to_str().ok()),
        size,
    );
    let (status, span) = match wanted {
        range::Ranged::Whole => (StatusCode::OK, None),
        range::Ranged::Part { start, end } => (StatusCode::PARTIAL_CONTENT, Some((start, end))),
        range::Ranged::Unsatisfiable => {
            let mut response = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                "No byte of the requested range exists.",
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(response);
        }
    };
    let mut options = GetOptions::default();
    if let Some((start, end)) = span {
        options.range = Some(GetRange::Bounded(start..end + 1));
    }
    let body = if size == 0 {
        Body::empty()
    } else {
        let got = state
            .files
            .inner
            .get_opts(&FileStore::path(&file.storage_key), options)
            .await
            .map_err(|e| ApiError::from(anyhow::anyhow!("file store: {e}")))?;
        Body::from_stream(got.into_stream().map_err(std::io::Error::other))
    };
    let length = span.map_or(size, |(s, e)| e - s + 1);
    let mut response = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, &file.content_type)
        .header(header::CONTENT_LENGTH, length)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::ETAG, format!("\"{}\"", file.sha256))
        .header(
            header::CONTENT_DISPOSITION,
            disposition::attachment(&file.name),
        )
        .header(header::CACHE_CONTROL, "private, no-store");
    if let Some((start, end)) = span {
        response = response.header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{size}"));
    }
    response
        .body(body)
        .map_err(|e| ApiError::from(anyhow::anyhow!("building a download: {e}")))
}
