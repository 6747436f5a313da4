//! Files: streamed multipart upload, metadata, download with `Range` and the original
//! name.

use crate::files::receive::{receive, Guard};
use crate::files::{disposition, range, FileStore};
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiQuery, Caller};
use crate::http::item_dto::File;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use coproof_core::access::{Operation, Rights};
use coproof_core::Refusal;
use coproof_store::items::files;
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
    let multipart = multipart.map_err(|e| {
        ApiError::invalid_input(format!(
            "expected a multipart/form-data body: {}",
            e.body_text()
        ))
    })?;
    let file = receive(&state, &caller.user, multipart, Guard::Caller).await?;
    Ok((StatusCode::CREATED, Json(File::from(&file))))
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

/// `?inline=1`: show the bytes in a page instead of downloading them.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContentQuery {
    /// `1` to show a picture or a PDF in the page (`Content-Disposition: inline`); other
    /// types are always downloaded.
    pub inline: Option<String>,
}

impl ContentQuery {
    fn inline(&self) -> bool {
        matches!(self.inline.as_deref(), Some("1" | "true"))
    }
}

/// A file's bytes, with its original name in `Content-Disposition` and one `Range`
/// (206, or 416 when no byte of it exists).
#[utoipa::path(get, path = "/files/{id}/content", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path), ContentQuery, ("Range" = Option<String>, Header, description = "bytes=a-b")),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>),
              (status = 206, content_type = "application/octet-stream", body = Vec<u8>),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 416, body = ErrorBody)))]
pub async fn content(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<ContentQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (file, access) = files::get(&state.store, &caller.user, &id).await?;
    send_file(&state, &file, access.rights, &headers, &query).await
}

/// Streams a file's bytes (all, or the requested range), as a download or, for a
/// picture or a PDF asked for `inline`, to be shown in one of our pages. Showing needs
/// the right to view (which the caller has); a download needs the right to download,
/// which a partner's terms may withhold (403).
pub async fn send_file(
    state: &AppState,
    file: &files::File,
    rights: Rights,
    headers: &HeaderMap,
    query: &ContentQuery,
) -> ApiResult<Response> {
    let in_page = query.inline() && disposition::shows_in_page(&file.content_type);
    if !in_page && !rights.allows(Operation::Download) {
        return Err(Refusal::Forbidden.into());
    }
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
            if in_page {
                disposition::inline(&file.name)
            } else {
                disposition::attachment(&file.name)
            },
        )
        .header(header::CACHE_CONTROL, "private, no-store")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(
            header::CONTENT_SECURITY_POLICY,
            download_policy(&file.content_type, in_page),
        );
    if let Some((start, end)) = span {
        response = response.header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{size}"));
    }
    response
        .body(body)
        .map_err(|e| ApiError::from(anyhow::anyhow!("building a download: {e}")))
}

/// The `Content-Security-Policy` of a file's bytes: `sandbox`, so that a file of HTML or SVG
/// opened from here runs no script with this site's rights; framed by our own pages only.
/// A PDF shown inside a page is the exception: Chromium's PDF viewer does not run in a
/// sandboxed document, and a PDF's own scripts run in the viewer, not in the page.
fn download_policy(content_type: &str, in_page: bool) -> &'static str {
    if in_page && content_type == "application/pdf" {
        "frame-ancestors 'self'"
    } else {
        "sandbox; frame-ancestors 'self'"
    }
}
