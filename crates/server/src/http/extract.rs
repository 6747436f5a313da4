//! Extractors that turn every malformed request into an [`ApiError`] with a code, never
//! axum's plain-text rejections: JSON bodies, query strings, and the calling user.

use super::client_ip::ClientIp;
use super::error::ApiError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use coproof_core::Refusal;
use coproof_store::model::Account;
use coproof_store::model::User;
use coproof_store::tokens::{self, Kind};
use serde::de::DeserializeOwned;

/// The name of the web session cookie.
pub const SESSION_COOKIE: &str = "coproof_session";

/// A JSON body. Malformed JSON, missing fields and wrong types are 400 `invalid_input`;
/// a body over the limit is 413.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::from(Refusal::PayloadTooLarge)
            } else {
                ApiError::invalid_input(format!("cannot read the body: {rejection}"))
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON with messages that name the problem.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::invalid_input("the body must be a JSON object"));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid_input(format!("invalid JSON body: {e}")))
}

/// A query string. Unknown keys are ignored; bad values are 400 `invalid_input`.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded_from_str(query).map(ApiQuery)
    }
}

fn serde_urlencoded_from_str<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{query}")
            .parse()
            .map_err(|_| ApiError::invalid_input("malformed query string"))?,
    )
    .map(|q| q.0)
    .map_err(|e| ApiError::invalid_input(format!("invalid query: {}", e.body_text())))
}

/// The signed-in user: by `Authorization: Bearer <token>`, or by the web session cookie.
pub struct Caller {
    pub user: User,
    pub account: Account,
    /// The token or session secret that signed the request in.
    pub secret: String,
    /// The client's IP address (`client_ip.rs`).
    pub ip: std::net::IpAddr,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (secret, kind) = credentials(parts).ok_or(Refusal::Unauthenticated)?;
        if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Refusal::Unauthenticated.into());
        }
        let (user, account) = tokens::resolve(&state.store, &secret, kind)
            .await?
            .ok_or(Refusal::Unauthenticated)?;
        if kind == Kind::Session && !parts.method.is_safe() {
            from_our_pages(parts, &state.config.public_url(), &secret)?;
        }
        let Ok(ClientIp(ip)) = ClientIp::from_request_parts(parts, state).await;
        Ok(Caller {
            user,
            account,
            secret,
            ip,
        })
    }
}

/// CSRF for the API: a request that changes something and is signed in only by the
/// session cookie (which a browser attaches to requests from any site) must be JSON and
/// either carry an `Origin` equal to the public URL or the page's CSRF token in
/// `X-CSRF-Token`. A cross-site form cannot send JSON, and cannot read the token. Bearer
/// tokens are never sent by a browser on its own, so they need none of this.
fn from_our_pages(parts: &Parts, public_url: &str, session: &str) -> Result<(), Refusal> {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let json = header("content-type")
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    let same_origin = header("origin").is_some_and(|o| o.eq_ignore_ascii_case(public_url));
    let token =
        header("x-csrf-token").is_some_and(|t| crate::http::web::session::csrf_ok(session, t));
    if json && (same_origin || token) {
        Ok(())
    } else {
        Err(Refusal::Csrf)
    }
}

fn credentials(parts: &Parts) -> Option<(String, Kind)> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| (token.trim().to_string(), Kind::Api));
    }
    session_cookie(parts).map(|s| (s, Kind::Session))
}

/// The session secret in the request's cookies, if any.
pub fn session_cookie(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
}

/// `?limit=&cursor=` of every list.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1–200, default 50.
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The limit and cursor, checked.
    pub fn parse(&self) -> Result<(u32, Option<&str>), ApiError> {
        let limit = match self.limit.as_deref() {
            None | Some("") => 50,
            Some(raw) => match raw.parse::<u32>() {
                Ok(n) if n >= 1 => n.min(200),
                _ => {
                    return Err(ApiError::invalid_input(
                        "limit must be a number from 1 to 200",
                    ))
                }
            },
        };
        let cursor = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(c) if coproof_store::ids::looks_like_id(c) => Some(c),
            Some(_) => {
                return Err(ApiError::invalid_input(
                    "cursor is not one this server gave",
                ))
            }
        };
        Ok((limit, cursor))
    }
}

/// The cursor for the page after `items`, when the page was full.
pub fn next_cursor<T>(items: &[T], limit: u32, id: impl Fn(&T) -> &str) -> Option<String> {
    if items.len() as u32 >= limit {
        items.last().map(|last| id(last).to_string())
    } else {
        None
    }
}
