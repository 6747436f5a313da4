//! Proofs: create from a file, read, new versions, decisions, comments (threaded,
//! resolvable), and the current version's bytes for everyone who can see the proof.

use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{next_cursor, ApiJson, ApiQuery, Caller, PageQuery};
use crate::http::item_dto::{Comment, Proof};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use coproof_core::name::parse_name;
use coproof_core::sharing::Decision;
use coproof_store::items::{comments, files, proofs};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewReviewer {
    pub user_id: String,
    /// `read_only`, `reviewer`, `approver`, `reviewer_approver`, `author` or `moderator`.
    pub role: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewProof {
    pub name: String,
    /// A file of your account that you can see.
    pub file_id: String,
    pub folder_id: Option<String>,
    /// Each becomes a person share of the proof with that role (e-mailed once).
    #[serde(default)]
    pub reviewers: Vec<NewReviewer>,
}

/// Creates a proof (version 1) from a file.
#[utoipa::path(post, path = "/proofs", tag = "proofs", security(("bearer" = [])), request_body = NewProof,
    responses((status = 201, body = Proof), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewProof>,
) -> ApiResult<(StatusCode, Json<Proof>)> {
    let name = parse_name("name", &req.name)?;
    let reviewers: Vec<(String, String)> = req
        .reviewers
        .into_iter()
        .map(|r| (r.user_id, r.role))
        .collect();
    let proof = proofs::create(
        &state.store,
        &caller.user,
        &name,
        &req.file_id,
        req.folder_id.as_deref(),
        &reviewers,
    )
    .await?;
    state.mail_wake.notify_one();
    Ok((StatusCode::CREATED, Json(Proof::from(&proof))))
}

/// A proof, its reviewers and their decisions on the current version.
#[utoipa::path(get, path = "/proofs/{id}", tag = "proofs", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Proof), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Proof>> {
    let (proof, _) = proofs::get(&state.store, &caller.user, &id).await?;
    Ok(Json(Proof::from(&proof)))
}

/// The bytes of the proof's current version: shown in a page for everyone who can see the
/// proof, downloaded by those whose terms allow it (403 otherwise).
#[utoipa::path(get, path = "/proofs/{id}/content", tag = "proofs", security(("bearer" = [])),
    params(("id" = String, Path), super::files::ContentQuery),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>),
              (status = 206, content_type = "application/octet-stream", body = Vec<u8>),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 416, body = ErrorBody)))]
pub async fn content(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<super::files::ContentQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (proof, access) = proofs::get(&state.store, &caller.user, &id).await?;
    let file = files::get_for_proof(&state.store, &proof.file_id).await?;
    super::files::send_file(&state, &file, access.rights, &headers, &query).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewVersion {
    /// A file of the proof's account that you can see.
    pub file_id: String,
}

/// Adds a version from another file; decisions start again as `pending`.
#[utoipa::path(post, path = "/proofs/{id}/versions", tag = "proofs", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = NewVersion,
    responses((status = 201, body = Proof), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn add_version(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewVersion>,
) -> ApiResult<(StatusCode, Json<Proof>)> {
    let proof = proofs::add_version(&state.store, &caller.user, &id, &req.file_id).await?;
    Ok((StatusCode::CREATED, Json(Proof::from(&proof))))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DecisionRequest {
    /// `pending`, `approved`, `approved_with_changes`, `changes_required` or `not_relevant`.
    pub decision: String,
}

/// An approver's decision on the current version (approvers and reviewer-approvers).
#[utoipa::path(post, path = "/proofs/{id}/decision", tag = "proofs", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = DecisionRequest,
    responses((status = 200, body = Proof), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> ApiResult<Json<Proof>> {
    let decision = Decision::parse(&req.decision).ok_or_else(|| {
        ApiError::invalid_input(
            "decision must be pending, approved, approved_with_changes, changes_required or not_relevant",
        )
    })?;
    let proof = proofs::decide(&state.store, &caller.user, &id, decision).await?;
    Ok(Json(Proof::from(&proof)))
}

/// Longest comment, in characters.
const MAX_COMMENT_CHARS: usize = 10_000;

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewComment {
    pub body: String,
    /// The comment this one replies to (of the same proof).
    pub parent_id: Option<String>,
}

/// A comment's text, trimmed: 1 to `MAX_COMMENT_CHARS` characters, no NUL.
pub fn comment_body(raw: &str) -> Result<&str, ApiError> {
    let body = raw.trim();
    if body.is_empty() || body.chars().count() > MAX_COMMENT_CHARS {
        return Err(ApiError::invalid_input(format!(
            "body must be 1 to {MAX_COMMENT_CHARS} characters"
        )));
    }
    if body.contains('\0') {
        return Err(ApiError::invalid_input("body must not contain NUL"));
    }
    Ok(body)
}

/// Comments on the proof's current version (reviewers, reviewer-approvers, moderators,
/// authors and the owner's side).
#[utoipa::path(post, path = "/proofs/{id}/comments", tag = "proofs", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = NewComment,
    responses((status = 201, body = Comment), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn add_comment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewComment>,
) -> ApiResult<(StatusCode, Json<Comment>)> {
    let body = comment_body(&req.body)?;
    let comment = comments::add(
        &state.store,
        &caller.user,
        &id,
        body,
        req.parent_id.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(Comment::from(&comment))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentList {
    pub comments: Vec<Comment>,
    pub next_cursor: Option<String>,
}

/// The proof's comments, oldest first; replies name their `parent_id`.
#[utoipa::path(get, path = "/proofs/{id}/comments", tag = "proofs", security(("bearer" = [])),
    params(("id" = String, Path), PageQuery),
    responses((status = 200, body = CommentList), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_comments(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<CommentList>> {
    let (limit, cursor) = page.parse()?;
    let found = comments::list(&state.store, &caller.user, &id, cursor, limit).await?;
    Ok(Json(CommentList {
        next_cursor: next_cursor(&found, limit, |c| &c.id),
        comments: found.iter().map(Comment::from).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResolveRequest {
    /// `true` (default) resolves, `false` opens it again.
    #[serde(default = "yes")]
    pub resolved: bool,
}

fn yes() -> bool {
    true
}

/// Resolves (or reopens) a comment (moderators, authors and the owner's side).
#[utoipa::path(post, path = "/proofs/{id}/comments/{comment_id}/resolve", tag = "proofs", security(("bearer" = [])),
    params(("id" = String, Path), ("comment_id" = String, Path)), request_body = ResolveRequest,
    responses((status = 200, body = Comment), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn resolve_comment(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, comment_id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Comment>> {
    let resolved = if body.is_empty() {
        true
    } else {
        crate::http::extract::parse_json::<ResolveRequest>(&body)?.resolved
    };
    let comment = comments::resolve(&state.store, &caller.user, &id, &comment_id, resolved).await?;
    Ok(Json(Comment::from(&comment)))
}
