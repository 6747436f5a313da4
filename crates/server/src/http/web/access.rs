//! Who may see a page, as extractors: [`Signed`] (anyone signed in; others go to the
//! log-in page) and [`Admin`] (others get the 403 page).

use super::error_page::PageError;
use super::request::PageRequest;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use coproof_store::model::User;

/// A page request by a signed-in user, and that user.
pub struct Signed {
    pub req: PageRequest,
    pub me: User,
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let req = PageRequest::from_request_parts(parts, state).await?;
        let me = req.require()?.user.clone();
        Ok(Signed { req, me })
    }
}

/// A page request by an admin (Administrator or Billing Administrator), and that user.
pub struct Admin {
    pub req: PageRequest,
    pub me: User,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let req = PageRequest::from_request_parts(parts, state).await?;
        let me = req.require_admin()?.user.clone();
        Ok(Admin { req, me })
    }
}
