//! [`PageRequest`]: whoever asked for a page — signed in or not, in which language, with
//! the CSRF token of its forms and the cookies the response must set.

use super::chrome::Chrome;
use super::error_page::PageError;
use super::i18n::Tr;
use super::session;
use crate::http::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use coproof_core::Language;
use coproof_store::model::{Account, User};
use coproof_store::tokens::{self, Kind};
use std::collections::HashMap;

/// The signed-in user of a page request.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    pub account: Account,
    pub secret: String,
}

/// A request for a page, as the handlers see it.
pub struct PageRequest {
    pub signed_in: Option<SignedIn>,
    pub lang: Language,
    pub csrf: String,
    /// The seed the CSRF token is derived from (session secret or form cookie), if any.
    seed: Option<String>,
    set_cookies: Vec<String>,
    /// Whether the request carries the language cookie.
    lang_cookie: bool,
    /// The request path, for the language links.
    pub path: String,
    pub query: HashMap<String, String>,
    secure: bool,
    /// The client's IP address (`client_ip.rs`).
    pub ip: std::net::IpAddr,
}

fn is_secret(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

impl FromRequestParts<AppState> for PageRequest {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let secure = state.config.secure_cookies();
        let query: HashMap<String, String> =
            url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let mut signed_in = None;
        if let Some(secret) = session::cookie(parts, crate::http::extract::SESSION_COOKIE) {
            if is_secret(&secret) {
                let found = tokens::resolve(&state.store, &secret, Kind::Session)
                    .await
                    .map_err(|e| PageError::bare_failure(Language::En, e))?;
                signed_in = found.map(|(user, account)| SignedIn {
                    user,
                    account,
                    secret,
                });
            }
        }
        let mut set_cookies = Vec::new();
        let chosen = session::cookie(parts, session::LANG_COOKIE);
        let lang_cookie = chosen.is_some();
        // `?lang=` switches this response and, by the cookie, this browser; it never
        // writes the signed-in user's own language (the profile form does).
        let lang = match query.get("lang").and_then(|l| Language::parse(l)) {
            Some(lang) => {
                set_cookies.push(session::set_cookie(
                    session::LANG_COOKIE,
                    lang.as_str(),
                    365 * 24 * 3600,
                    secure,
                ));
                lang
            }
            None => chosen
                .and_then(|l| Language::parse(&l))
                .or_else(|| signed_in.as_ref().map(|s| s.user.language))
                .unwrap_or_else(|| session::browser_language(parts)),
        };
        let seed = match &signed_in {
            Some(s) => Some(s.secret.clone()),
            None => session::cookie(parts, session::FORM_COOKIE).filter(|v| is_secret(v)),
        };
        let (seed, csrf) = match seed {
            Some(seed) => (Some(seed.clone()), session::csrf_token(&seed)),
            None => {
                let fresh = coproof_store::ids::new_secret();
                set_cookies.push(session::set_cookie(
                    session::FORM_COOKIE,
                    &fresh,
                    24 * 3600,
                    secure,
                ));
                (None, session::csrf_token(&fresh))
            }
        };
        let Ok(crate::http::client_ip::ClientIp(ip)) =
            crate::http::client_ip::ClientIp::from_request_parts(parts, state).await;
        Ok(PageRequest {
            signed_in,
            lang,
            csrf,
            seed,
            set_cookies,
            lang_cookie,
            path: parts.uri.path().to_string(),
            query,
            secure,
            ip,
        })
    }
}

impl PageRequest {
    pub fn t(&self) -> Tr {
        Tr::new(self.lang)
    }

    pub fn secure(&self) -> bool {
        self.secure
    }

    /// A cookie the response will set.
    pub fn add_cookie(&mut self, cookie: String) {
        self.set_cookies.push(cookie);
    }

    /// Signs this browser in with a fresh session `secret`: the session cookie, and the
    /// language chosen before signing in forgotten (the user's own language applies).
    pub fn start_session(&mut self, secret: &str) {
        self.add_cookie(session::session_cookie(secret, self.secure));
        self.forget_language_choice();
    }

    /// Drops this browser's `?lang=` choice, so the signed-in user's own language applies.
    pub fn forget_language_choice(&mut self) {
        let prefix = format!("{}=", session::LANG_COOKIE);
        self.set_cookies.retain(|c| !c.starts_with(&prefix));
        if self.lang_cookie {
            self.set_cookies.push(session::set_cookie(
                session::LANG_COOKIE,
                "",
                0,
                self.secure,
            ));
        }
    }

    /// The page frame every template shares.
    pub fn chrome(&self, title_key: &str) -> Chrome {
        let t = self.t();
        let flash = self
            .query
            .get("ok")
            .filter(|c| c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
            .and_then(|code| t.known(&format!("ok-{code}")));
        let error = self
            .query
            .get("error")
            .filter(|c| c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
            .map(|code| {
                t.known(&format!("error-{code}"))
                    .unwrap_or_else(|| t.get("error-generic"))
            });
        Chrome {
            title: t.get(title_key),
            t,
            csrf: self.csrf.clone(),
            path: self.path.clone(),
            keep_query: self.keep_query(),
            user: self.signed_in.as_ref().map(|s| s.user.clone()),
            account: self.signed_in.as_ref().map(|s| s.account.name.clone()),
            flash,
            error,
        }
    }

    /// Sends `html` with the cookies this request needs.
    pub fn page(self, status: StatusCode, html: Result<String, askama::Error>) -> Response {
        match html {
            Ok(html) => {
                let mut response = (status, Html(html)).into_response();
                self.apply_cookies(&mut response);
                response
            }
            Err(e) => {
                tracing::error!(error = %e, "template failed");
                PageError::bare(self.lang, StatusCode::INTERNAL_SERVER_ERROR, "internal")
                    .into_response()
            }
        }
    }

    /// Renders a template with status 200.
    pub fn render(self, template: &impl Template) -> Response {
        let html = template.render();
        self.page(StatusCode::OK, html)
    }

    /// 303 to `to` (POST/redirect/GET), with the cookies this request needs.
    pub fn redirect(self, to: &str) -> Response {
        let mut response =
            (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response();
        self.apply_cookies(&mut response);
        response
    }

    fn apply_cookies(&self, response: &mut Response) {
        for cookie in &self.set_cookies {
            if let Ok(value) = HeaderValue::from_str(cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
    }

    fn keep_query(&self) -> String {
        let mut kept = url::form_urlencoded::Serializer::new(String::new());
        for key in ["token", "email", "cursor"] {
            if let Some(value) = self.query.get(key) {
                kept.append_pair(key, value);
            }
        }
        let kept = kept.finish();
        if kept.is_empty() {
            kept
        } else {
            format!("{kept}&")
        }
    }

    /// The signed-in user, or the way to the log-in page.
    pub fn require(&self) -> Result<&SignedIn, PageError> {
        self.signed_in.as_ref().ok_or(PageError::SignIn)
    }

    /// The signed-in admin; other users get the 403 page.
    pub fn require_admin(&self) -> Result<&SignedIn, PageError> {
        self.require_profile(|s| s.user.profile.is_admin(), "forbidden_admin")
    }

    /// The signed-in user if `allowed`; other users get the 403 page saying `code`.
    pub fn require_profile(
        &self,
        allowed: impl FnOnce(&SignedIn) -> bool,
        code: &'static str,
    ) -> Result<&SignedIn, PageError> {
        let s = self.require()?;
        if allowed(s) {
            Ok(s)
        } else {
            Err(self.error_page(StatusCode::FORBIDDEN, code))
        }
    }

    /// Whether `token` is the CSRF token of this request's forms.
    pub fn csrf_fits(&self, token: &str) -> bool {
        self.seed
            .as_deref()
            .is_some_and(|seed| session::csrf_ok(seed, token))
    }

    /// The error page of a failure, in this request's page frame.
    pub fn fail(&self, error: impl Into<ApiError>) -> PageError {
        let error = error.into();
        self.error_page(error.status, error.code)
    }

    /// A whole page saying what went wrong, with the user's navigation.
    pub fn error_page(&self, status: StatusCode, code: &'static str) -> PageError {
        PageError::in_frame(self.chrome("error-title"), status, code)
    }
}
