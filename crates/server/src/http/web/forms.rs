//! Posted forms: [`Posted`] (CSRF checked), and the same by a signed-in user
//! ([`SignedPost`]) or by an admin ([`AdminPost`]); the flash of the redirect that follows.

use super::error_page::PageError;
use super::request::PageRequest;
use crate::http::error::ApiError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use coproof_store::model::User;
use std::collections::HashMap;

/// A posted form whose CSRF token was checked, with its fields.
pub struct Posted {
    pub req: PageRequest,
    pub fields: HashMap<String, String>,
}

impl Posted {
    /// The new password of a form with `password` and `confirm` fields: the two the same,
    /// and a password the rules accept.
    pub fn new_password(&self) -> Result<&str, ApiError> {
        let password = self.field("password");
        if password != self.field("confirm") {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "password_mismatch",
                "The two passwords differ.",
            ));
        }
        coproof_core::password::check_password(password)?;
        Ok(password)
    }

    /// A field, trimmed of nothing; empty when absent.
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }
}

impl FromRequest<AppState> for Posted {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageError> {
        let (mut parts, body) = req.into_parts();
        let page = PageRequest::from_request_parts(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            PageError::bare(
                page.lang,
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
            )
        })?;
        let fields: HashMap<String, String> =
            url::form_urlencoded::parse(&bytes).into_owned().collect();
        let token = fields.get("csrf").map(String::as_str).unwrap_or_default();
        if !page.csrf_fits(token) {
            return Err(PageError::bare(page.lang, StatusCode::FORBIDDEN, "csrf"));
        }
        Ok(Posted { req: page, fields })
    }
}

/// A form (CSRF checked) posted by a signed-in user; others go to the log-in page.
pub struct SignedPost {
    pub posted: Posted,
    pub me: User,
}

impl FromRequest<AppState> for SignedPost {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageError> {
        let posted = Posted::from_request(req, state).await?;
        let me = posted.req.require()?.user.clone();
        Ok(SignedPost { posted, me })
    }
}

/// A form (CSRF checked) posted by an admin; other users get the 403 page.
pub struct AdminPost {
    pub posted: Posted,
    pub me: User,
}

impl FromRequest<AppState> for AdminPost {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageError> {
        let posted = Posted::from_request(req, state).await?;
        let me = posted.req.require_admin()?.user.clone();
        Ok(AdminPost { posted, me })
    }
}

/// `path?key=code`, for the flash of a redirect.
pub fn with_code(path: &str, key: &str, code: &str) -> String {
    format!("{path}?{key}={code}")
}
