//! Why a page is not shown, as a value handlers return with `?`: [`PageError`] is either
//! the way to the log-in page or a whole page saying what went wrong (in the language and
//! frame of the page asked for). Also the 404 page of the whole server.

use super::chrome::Chrome;
use super::headers::with_security_headers;
use super::request::PageRequest;
use super::session;
use crate::http::error::ApiError;
use askama::Template;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use coproof_core::Language;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    status: u16,
    message: String,
}

/// A page that is not shown, and what is shown instead.
pub enum PageError {
    /// Not signed in: 303 to the log-in page.
    SignIn,
    /// The error page: its frame (language, navigation), its status and the message's
    /// code (`error-{code}` in the locales).
    Shown {
        c: Box<Chrome>,
        status: StatusCode,
        code: &'static str,
    },
}

impl PageError {
    /// The error page in `c`'s frame (flash and refusal of the address left out).
    pub fn in_frame(mut c: Chrome, status: StatusCode, code: &'static str) -> PageError {
        c.flash = None;
        c.error = None;
        PageError::Shown {
            c: Box::new(c),
            status,
            code,
        }
    }

    /// The error page in `lang`, without navigation.
    pub fn bare(lang: Language, status: StatusCode, code: &'static str) -> PageError {
        PageError::in_frame(Chrome::bare(lang, "error-title"), status, code)
    }

    /// The error page of a failure, in `lang`, without navigation.
    pub fn bare_failure(lang: Language, error: impl Into<ApiError>) -> PageError {
        let error = error.into();
        PageError::bare(lang, error.status, error.code)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn => (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, "/login".to_string())],
            )
                .into_response(),
            PageError::Shown { c, status, code } => {
                let message =
                    c.t.known(&format!("error-{code}"))
                        .unwrap_or_else(|| c.t.get("error-generic"));
                let page = ErrorPage {
                    c: *c,
                    status: status.as_u16(),
                    message,
                };
                match page.render() {
                    Ok(html) => (status, Html(html)).into_response(),
                    Err(_) => (status, code.to_string()).into_response(),
                }
            }
        }
    }
}

/// `.or_page(&req)?`: a failure of the store or the API's rules as the error page of the
/// page asked for.
pub trait OrPage<T> {
    fn or_page(self, req: &PageRequest) -> Result<T, PageError>;
}

impl<T, E: Into<ApiError>> OrPage<T> for Result<T, E> {
    fn or_page(self, req: &PageRequest) -> Result<T, PageError> {
        self.map_err(|e| req.fail(e))
    }
}

/// The 404 page for a browser asking for a page that does not exist (`None` for API
/// clients, which get the JSON error).
pub fn not_found_page(parts: &Parts) -> Option<Response> {
    let wants_html = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if !wants_html || parts.uri.path().starts_with("/api/") {
        return None;
    }
    let lang = session::cookie(parts, session::LANG_COOKIE)
        .and_then(|l| Language::parse(&l))
        .unwrap_or_else(|| session::browser_language(parts));
    Some(with_security_headers(
        PageError::bare(lang, StatusCode::NOT_FOUND, "not_found").into_response(),
    ))
}
