//! Users of your account (Settings > Account Settings > Users).

use super::sessions::parse_language;
use crate::http::dto::User;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{next_cursor, ApiJson, ApiQuery, Caller, PageQuery};
use crate::http::security_log::{event, note, user_state};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use coproof_core::{name::parse_name, password::check_password, EmailAddress, Profile, Refusal};
use coproof_store::ids::looks_like_id;
use coproof_store::model::{NewUser, UserChange};
use coproof_store::security::SecurityAction;
use coproof_store::users;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub users: Vec<User>,
    pub next_cursor: Option<String>,
}

/// The users of the caller's account.
#[utoipa::path(get, path = "/users", tag = "users", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = UserList), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<UserList>> {
    if !caller.user.profile.lists_users() {
        return Err(Refusal::Forbidden.into());
    }
    let (limit, cursor) = page.parse()?;
    let found = users::list(&state.store, &caller.user.account_id, cursor, limit).await?;
    Ok(Json(UserList {
        next_cursor: next_cursor(&found, limit, |u| &u.id),
        users: found.iter().map(User::from).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateUser {
    pub email: String,
    pub name: String,
    pub profile: String,
    /// Without it, the user gets an e-mail with a link to set one.
    pub password: Option<String>,
    /// `en` (default) or `ko`.
    pub language: Option<String>,
}

/// An admin adds a user to its account.
#[utoipa::path(post, path = "/users", tag = "users", security(("bearer" = [])), request_body = CreateUser,
    responses((status = 201, body = User), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    if !caller.user.profile.is_admin() {
        return Err(Refusal::Forbidden.into());
    }
    let email = EmailAddress::parse(&req.email)?;
    let name = parse_name("name", &req.name)?;
    let profile = Profile::parse(&req.profile)?;
    let language = parse_language(req.language.as_deref())?;
    let password_hash = match req.password.as_deref() {
        Some(p) => {
            check_password(p)?;
            Some(state.hasher.hash(p).await?)
        }
        None => None,
    };
    let new = NewUser {
        email,
        name,
        profile,
        language,
        password_hash,
        email_verified: false,
    };
    let user = coproof_store::team::add(&state.store, &caller.user, &new).await?;
    state.mail_wake.notify_one();
    let added = event(SecurityAction::UserAdded, &caller.user, caller.ip)
        .about(&user.id)
        .changed(None, Some(user_state(&user)));
    note(&state, added).await;
    Ok((StatusCode::CREATED, Json(User::from(&user))))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateUser {
    pub name: Option<String>,
    pub profile: Option<String>,
    pub active: Option<bool>,
    pub language: Option<String>,
}

/// An admin changes a user of its account; anyone may change its own name and language.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UpdateUser,
    responses((status = 200, body = User), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdateUser>,
) -> ApiResult<Json<User>> {
    if !looks_like_id(&id) {
        return Err(Refusal::NotFound.into());
    }
    let change = UserChange {
        name: req
            .name
            .as_deref()
            .map(|n| parse_name("name", n))
            .transpose()?,
        profile: req.profile.as_deref().map(Profile::parse).transpose()?,
        active: req.active,
        language: match req.language.as_deref() {
            None => None,
            Some(l) => Some(parse_language(Some(l))?),
        },
    };
    let (before, user) =
        coproof_store::team::change(&state.store, &caller.user, &id, &change).await?;
    let changed = event(SecurityAction::UserChanged, &caller.user, caller.ip)
        .about(&user.id)
        .changed(Some(user_state(&before)), Some(user_state(&user)));
    note(&state, changed).await;
    Ok(Json(User::from(&user)))
}
