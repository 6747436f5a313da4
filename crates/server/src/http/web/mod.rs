//! The web pages: server-rendered HTML (askama) in English and Korean (fluent), with a
//! session cookie, CSRF-checked forms that post and redirect, and strict security headers.
//! Handlers call the store directly, under the same rules as the JSON API.

pub mod audit;
pub mod auth;
pub mod contacts;
pub mod create;
pub mod home;
pub mod i18n;
pub mod identity;
pub mod items;
pub mod partners;
pub mod profile;
pub mod session;
pub mod trash;
pub mod users;

use super::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use coproof_core::Language;
use coproof_store::accounts::Account;
use coproof_store::tokens::{self, Kind};
use coproof_store::users::{self as store_users, User, UserChange};
use i18n::Tr;
use std::collections::HashMap;

/// Every page route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::page))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/signup", get(auth::signup_page).post(auth::signup))
        .route("/logout", post(auth::logout))
        .route(
            "/set-password",
            get(auth::set_password_page).post(auth::set_password),
        )
        .route(
            "/verify-email",
            get(identity::verify_email_page).post(identity::verify_email),
        )
        .route("/verify-email/resend", post(identity::resend_verification))
        .route(
            "/forgot-password",
            get(identity::forgot_page).post(identity::forgot),
        )
        .route(
            "/reset-password",
            get(identity::reset_page).post(identity::reset),
        )
        .route(
            "/settings/profile",
            get(profile::page).post(profile::change_profile),
        )
        .route("/settings/profile/password", post(profile::change_password))
        .route(
            "/settings/profile/two-factor",
            post(profile::two_factor_start),
        )
        .route(
            "/settings/profile/two-factor/confirm",
            post(profile::two_factor_confirm),
        )
        .route(
            "/settings/profile/two-factor/off",
            post(profile::two_factor_off),
        )
        .route("/settings/profile/tokens", post(profile::create_token))
        .route(
            "/settings/profile/sessions/end-others",
            post(profile::end_other_sessions),
        )
        .route(
            "/settings/profile/sessions/{id}/end",
            post(profile::end_session),
        )
        .route("/settings/account", get(users::settings))
        .route("/settings/account/audit", get(audit::page))
        .route("/settings/account/audit.csv", get(audit::export))
        .route("/settings/account/users", get(users::page).post(users::add))
        .route("/settings/account/users/{id}", post(users::change))
        .route(
            "/settings/account/partners",
            get(partners::page).post(partners::send),
        )
        .route(
            "/settings/account/partners/{id}/{action}",
            post(partners::act),
        )
        .route("/contacts", get(contacts::page).post(contacts::add))
        .route("/contacts/import", post(contacts::import))
        .route("/contacts/{id}/delete", post(contacts::delete))
        .route("/shared-with-me", get(items::shared_with_me))
        .route("/folders/{id}", get(items::folder))
        .route("/proofs/{id}", get(items::proof))
        .route("/proofs/{id}/decision", post(items::decide))
        .route("/proofs/{id}/comments", post(items::comment))
        .route(
            "/proofs/{id}/comments/{comment_id}/resolve",
            post(items::resolve_comment),
        )
        .route(
            "/proofs/{id}/versions",
            post(create::new_version).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/folders/{id}/share", post(items::share_folder))
        .route("/proofs/{id}/share", post(items::share_proof))
        .route("/folders", post(create::new_folder))
        .route("/folders/{id}/rename", post(trash::rename))
        .route("/folders/{id}/trash", post(trash::put_in_trash))
        .route("/trash", get(trash::page))
        .route("/trash/empty", post(trash::empty))
        .route("/trash/{id}/restore", post(trash::restore))
        .route(
            "/files",
            post(create::upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/files/{id}/proof", post(create::new_proof))
        .route("/files/{id}", get(items::file))
        .route("/files/{id}/share", post(items::share_file))
        .route("/shares/{id}/delete", post(items::delete_share))
        .route("/static/app.css", get(stylesheet))
        .layer(axum::middleware::from_fn(security_headers))
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

async fn security_headers(req: Request, next: axum::middleware::Next) -> Response {
    with_security_headers(next.run(req).await)
}

/// Adds the pages' security headers: CSP without inline script, no framing, same-origin
/// referrers, and no caching of personal pages.
pub fn with_security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
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
        .unwrap_or_else(|| {
            Language::from_accept_language(
                parts
                    .headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default(),
            )
        });
    Some(with_security_headers(error_page(
        lang,
        StatusCode::NOT_FOUND,
        "not_found",
    )))
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        include_str!("../../../static/app.css"),
    )
        .into_response()
}

/// The signed-in user of a page request.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    pub account: Account,
    pub secret: String,
}

/// Whoever asked for a page: signed in or not, in which language, with the CSRF token for
/// its forms and the cookies the response must set.
pub struct Visitor {
    pub signed_in: Option<SignedIn>,
    pub lang: Language,
    pub csrf: String,
    /// The seed the CSRF token is derived from (session secret or form cookie), if any.
    seed: Option<String>,
    set_cookies: Vec<String>,
    /// The request path, for the language links.
    pub path: String,
    pub query: HashMap<String, String>,
    secure: bool,
    /// The client's IP address (`client_ip.rs`).
    pub ip: std::net::IpAddr,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let secure = state.config.secure_cookies();
        let query: HashMap<String, String> =
            url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let mut signed_in = None;
        if let Some(secret) = session::cookie(parts, crate::http::extract::SESSION_COOKIE) {
            if secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit()) {
                let found = tokens::resolve(&state.store, &secret, Kind::Session)
                    .await
                    .map_err(|e| fail(Language::En, e))?;
                signed_in = found.map(|(user, account)| SignedIn {
                    user,
                    account,
                    secret,
                });
            }
        }
        let mut set_cookies = Vec::new();
        let asked = query.get("lang").and_then(|l| Language::parse(l));
        let lang = match (&mut signed_in, asked) {
            (Some(s), Some(lang)) => {
                if s.user.language != lang {
                    let change = UserChange {
                        language: Some(lang),
                        ..UserChange::default()
                    };
                    s.user =
                        store_users::update(&state.store, &s.user, &s.user.id.clone(), &change)
                            .await
                            .map(|(_, after)| after)
                            .map_err(|e| fail(lang, e))?;
                }
                lang
            }
            (Some(s), None) => s.user.language,
            (None, Some(lang)) => {
                set_cookies.push(session::set_cookie(
                    session::LANG_COOKIE,
                    lang.as_str(),
                    365 * 24 * 3600,
                    secure,
                ));
                lang
            }
            (None, None) => session::cookie(parts, session::LANG_COOKIE)
                .and_then(|l| Language::parse(&l))
                .unwrap_or_else(|| {
                    Language::from_accept_language(
                        parts
                            .headers
                            .get(header::ACCEPT_LANGUAGE)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default(),
                    )
                }),
        };
        let seed = match &signed_in {
            Some(s) => Some(s.secret.clone()),
            None => session::cookie(parts, session::FORM_COOKIE)
                .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit())),
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
        Ok(Visitor {
            signed_in,
            lang,
            csrf,
            seed,
            set_cookies,
            path: parts.uri.path().to_string(),
            query,
            secure,
            ip,
        })
    }
}

impl Visitor {
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

    /// Sends `html` with the cookies this visit needs.
    pub fn page(self, status: StatusCode, html: Result<String, askama::Error>) -> Response {
        match html {
            Ok(html) => {
                let mut response = (status, Html(html)).into_response();
                self.apply_cookies(&mut response);
                response
            }
            Err(e) => {
                tracing::error!(error = %e, "template failed");
                error_page(self.lang, StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }

    /// Renders a template with status 200.
    pub fn render(self, template: &impl Template) -> Response {
        let html = template.render();
        self.page(StatusCode::OK, html)
    }

    /// 303 to `to` (POST/redirect/GET), with the cookies this visit needs.
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

    /// The signed-in user, or a redirect to the log-in page.
    pub fn require(&self) -> Result<&SignedIn, Barrier> {
        self.signed_in.as_ref().ok_or(Barrier::SignIn)
    }

    /// The signed-in admin; others get the 403 page.
    pub fn require_admin(&self) -> Result<&SignedIn, Barrier> {
        let s = self.require()?;
        if s.user.profile.is_admin() {
            Ok(s)
        } else {
            Err(Barrier::Forbidden(self.lang, "forbidden_admin"))
        }
    }

    /// Whether `token` is the CSRF token of this visitor's forms.
    pub fn csrf_fits(&self, token: &str) -> bool {
        self.seed
            .as_deref()
            .is_some_and(|seed| session::csrf_ok(seed, token))
    }

    /// The error page of a failure, in this visitor's page frame.
    pub fn fail(&self, error: impl Into<ApiError>) -> Response {
        let error = error.into();
        self.error_page(error.status, error.code)
    }

    /// A whole page saying what went wrong, with the visitor's navigation.
    pub fn error_page(&self, status: StatusCode, code: &str) -> Response {
        let mut c = self.chrome("error-title");
        c.flash = None;
        c.error = None;
        render_error(c, status, code)
    }

    /// The answer to a page this visitor may not see.
    pub fn turn_away(&self, barrier: Barrier) -> Response {
        match barrier {
            Barrier::SignIn => barrier.into_response(),
            Barrier::Forbidden(_, code) => self.error_page(StatusCode::FORBIDDEN, code),
        }
    }
}

/// Why a page is not shown: not signed in (to the log-in page) or not allowed (403 page).
#[derive(Debug, Clone, Copy)]
pub enum Barrier {
    SignIn,
    /// Signed in, but the profile does not allow it: the language and the message's code.
    Forbidden(Language, &'static str),
}

impl IntoResponse for Barrier {
    fn into_response(self) -> Response {
        match self {
            Barrier::SignIn => (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, "/login".to_string())],
            )
                .into_response(),
            Barrier::Forbidden(lang, code) => error_page(lang, StatusCode::FORBIDDEN, code),
        }
    }
}

/// The error page of a failure, in `lang`.
pub fn fail(lang: Language, error: impl Into<ApiError>) -> Response {
    let error = error.into();
    error_page(lang, error.status, error.code)
}

/// The data every page's frame shows.
pub struct Chrome {
    pub t: Tr,
    pub title: String,
    pub csrf: String,
    pub path: String,
    /// Query parameters the language links keep (`key=value&`…).
    pub keep_query: String,
    pub user: Option<User>,
    pub account: Option<String>,
    /// A translated success message carried by `?ok=`.
    pub flash: Option<String>,
    /// A translated refusal carried by `?error=`.
    pub error: Option<String>,
}

impl Chrome {
    /// The current page in another language (`?lang=`), keeping what the page needs.
    pub fn lang_link(&self, code: &str) -> String {
        format!("{}?{}lang={code}", self.path, self.keep_query)
    }

    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.profile.is_admin())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    status: u16,
    message: String,
}

/// A whole page saying what went wrong, in `lang`, with `status`.
pub fn error_page(lang: Language, status: StatusCode, code: &str) -> Response {
    let t = Tr::new(lang);
    let c = Chrome {
        title: t.get("error-title"),
        t,
        csrf: String::new(),
        path: "/".to_string(),
        keep_query: String::new(),
        user: None,
        account: None,
        flash: None,
        error: None,
    };
    render_error(c, status, code)
}

fn render_error(c: Chrome, status: StatusCode, code: &str) -> Response {
    let message =
        c.t.known(&format!("error-{code}"))
            .unwrap_or_else(|| c.t.get("error-generic"));
    let page = ErrorPage {
        c,
        status: status.as_u16(),
        message,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, code.to_string()).into_response(),
    }
}

/// A visitor who must be signed in, and its user; others are turned away (to the log-in
/// page).
pub struct Signed {
    pub visitor: Visitor,
    pub me: User,
}

impl Signed {
    /// The visitor, and its user or why it is turned away.
    fn split(visitor: Visitor) -> (Visitor, Result<User, Barrier>) {
        let me = visitor.require().map(|s| s.user.clone());
        (visitor, me)
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match Signed::split(Visitor::from_request_parts(parts, state).await?) {
            (visitor, Ok(me)) => Ok(Signed { visitor, me }),
            (visitor, Err(barrier)) => Err(visitor.turn_away(barrier)),
        }
    }
}

/// A form (CSRF checked) posted by a signed-in user.
pub struct SignedPost {
    pub posted: Posted,
    pub me: User,
}

impl FromRequest<AppState> for SignedPost {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let Posted { visitor, fields } = Posted::from_request(req, state).await?;
        match Signed::split(visitor) {
            (visitor, Ok(me)) => Ok(SignedPost {
                posted: Posted { visitor, fields },
                me,
            }),
            (visitor, Err(barrier)) => Err(visitor.turn_away(barrier)),
        }
    }
}

/// A posted form whose CSRF token was checked, with its fields.
pub struct Posted {
    pub visitor: Visitor,
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
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let visitor = Visitor::from_request_parts(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            error_page(
                visitor.lang,
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
            )
        })?;
        let fields: HashMap<String, String> =
            url::form_urlencoded::parse(&bytes).into_owned().collect();
        let token = fields.get("csrf").map(String::as_str).unwrap_or_default();
        if !visitor.csrf_fits(token) {
            return Err(error_page(visitor.lang, StatusCode::FORBIDDEN, "csrf"));
        }
        Ok(Posted { visitor, fields })
    }
}

/// `path?key=code`, for the flash of a redirect.
pub fn with_code(path: &str, key: &str, code: &str) -> String {
    format!("{path}?{key}={code}")
}

/// A time as `YYYY-MM-DD HH:MM UTC`.
pub fn when(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M UTC")
        .to_string()
}
