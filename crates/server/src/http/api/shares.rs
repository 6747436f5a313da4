//! Shares of folders, files and proofs; removing a share; what is shared with me.

use crate::http::dto::Account;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Caller, PageQuery};
use crate::http::item_dto::{Share, SharedItem};
use crate::http::security_log::{event, note};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use coproof_core::sharing::ItemKind;
use coproof_store::items::shares::{self, Target};
use coproof_store::security::SecurityAction;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewShare {
    /// A user of your account or of an active partner account.
    pub user_id: Option<String>,
    /// Your account or an active partner account. For a folder: every user of it, present
    /// and future, reads the folder and all inside. For a file or proof: a person share for
    /// each of its users as they are now.
    pub account_id: Option<String>,
    /// Proofs only: `read_only`, `reviewer`, `approver`, `reviewer_approver`, and for users
    /// of the owning account also `author` or `moderator`.
    pub role: Option<String>,
}

/// A new share: the Share, plus every share it made (several when an account was picked
/// for a file or a proof).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedShare {
    #[serde(flatten)]
    pub share: Share,
    pub shares: Vec<Share>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShareList {
    pub shares: Vec<Share>,
}

async fn create(
    state: &AppState,
    caller: &Caller,
    kind: ItemKind,
    id: &str,
    req: NewShare,
) -> ApiResult<(StatusCode, Json<CreatedShare>)> {
    let target = match (req.user_id, req.account_id) {
        (Some(user), None) => Target::User(user),
        (None, Some(account)) => Target::Account(account),
        _ => {
            return Err(ApiError::invalid_input(
                "give exactly one of user_id and account_id",
            ))
        }
    };
    let made = shares::create(
        &state.store,
        &caller.user,
        kind,
        id,
        &target,
        req.role.as_deref(),
    )
    .await?;
    state.mail_wake.notify_one();
    for share in &made {
        let added = event(SecurityAction::ShareAdded, &caller.user, caller.ip).about(&share.id);
        note(state, added).await;
    }
    let all: Vec<Share> = made.iter().map(Share::from).collect();
    let first = made
        .first()
        .map(Share::from)
        .ok_or_else(|| ApiError::invalid_input("that account has no active user to share with"))?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedShare {
            share: first,
            shares: all,
        }),
    ))
}

async fn list(
    state: &AppState,
    caller: &Caller,
    kind: ItemKind,
    id: &str,
) -> ApiResult<Json<ShareList>> {
    let found = shares::list(&state.store, &caller.user, kind, id).await?;
    Ok(Json(ShareList {
        shares: found.iter().map(Share::from).collect(),
    }))
}

macro_rules! share_routes {
    ($create:ident, $list:ident, $kind:expr, $path:literal, $tag:literal) => {
        /// Shares the item with a user or an account (see `NewShare`).
        #[utoipa::path(post, path = $path, tag = $tag, security(("bearer" = [])),
                    params(("id" = String, Path)), request_body = NewShare,
                    responses((status = 201, body = CreatedShare), (status = 400, body = ErrorBody),
                              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
                              (status = 409, body = ErrorBody)))]
        pub async fn $create(
            State(state): State<AppState>,
            caller: Caller,
            Path(id): Path<String>,
            ApiJson(req): ApiJson<NewShare>,
        ) -> ApiResult<(StatusCode, Json<CreatedShare>)> {
            create(&state, &caller, $kind, &id, req).await
        }

        /// The item's own shares, each marked when its partnership has ended.
        #[utoipa::path(get, path = $path, tag = $tag, security(("bearer" = [])),
                    params(("id" = String, Path)),
                    responses((status = 200, body = ShareList), (status = 403, body = ErrorBody),
                              (status = 404, body = ErrorBody)))]
        pub async fn $list(
            State(state): State<AppState>,
            caller: Caller,
            Path(id): Path<String>,
        ) -> ApiResult<Json<ShareList>> {
            list(&state, &caller, $kind, &id).await
        }
    };
}

share_routes!(
    share_folder,
    folder_shares,
    ItemKind::Folder,
    "/folders/{id}/shares",
    "folders"
);
share_routes!(
    share_file,
    file_shares,
    ItemKind::File,
    "/files/{id}/shares",
    "files"
);
share_routes!(
    share_proof,
    proof_shares,
    ItemKind::Proof,
    "/proofs/{id}/shares",
    "proofs"
);

/// Removes a share; it stops giving access on the very next request.
#[utoipa::path(delete, path = "/shares/{id}", tag = "shares", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    shares::delete(&state.store, &caller.user, &id).await?;
    note(
        &state,
        event(SecurityAction::ShareRemoved, &caller.user, caller.ip).about(id),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SharedList {
    pub items: Vec<SharedItem>,
    pub next_cursor: Option<String>,
}

/// Folders, files and proofs shared with you or your account.
#[utoipa::path(get, path = "/shared-with-me", tag = "shares", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = SharedList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn shared_with_me(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<SharedList>> {
    let (limit, cursor) = page.parse()?;
    let (found, next) = shares::shared_with_me(&state.store, &caller.user, cursor, limit).await?;
    Ok(Json(SharedList {
        next_cursor: next,
        items: found
            .iter()
            .map(|i| SharedItem {
                item_type: i.item_type.as_str().to_string(),
                item_id: i.item_id.clone(),
                name: i.name.clone(),
                owner_account: Account::from(&i.owner_account),
            })
            .collect(),
    }))
}
