//! Settings > Profile: one's name and language, password, two-factor sign-in (with its QR
//! code, drawn here as SVG), and one's sessions and API tokens. Every action is the JSON
//! API's, through the same functions.

use super::{Chrome, OrPage, PageError, PageRequest, Signed, SignedPost};
use crate::http::api::identity::change_own_password;
use crate::http::api::two_factor::{confirm_code, offer_secret, turn_off_with};
use crate::http::error::ApiError;
use crate::http::extract::Caller;
use crate::http::security_log::{event, note};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use coproof_core::{name::parse_name, Language, Refusal};
use coproof_store::ids::looks_like_id;
use coproof_store::model::UserChange;
use coproof_store::security::SecurityAction;
use coproof_store::users;
use coproof_store::{identity, now_micros, tokens};

const PAGE: &str = "/settings/profile";

/// A session or token in the list.
pub struct SessionRow {
    pub id: String,
    pub kind_label: String,
    pub name: String,
    pub created: String,
    pub last_used: String,
    pub expires: String,
    pub current: bool,
}

/// Two-factor being set up: the key, and the QR code as a `data:` image.
pub struct Setup {
    pub secret: String,
    pub qr: String,
}

/// What a page shows besides the usual: set-up, codes or a token shown once, an error.
#[derive(Default)]
struct Extras {
    setup: Option<Setup>,
    recovery_codes: Vec<String>,
    new_token: Option<String>,
    error: Option<ApiError>,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    c: Chrome,
    name: String,
    email: String,
    email_verified: bool,
    two_factor: bool,
    language: &'static str,
    sessions: Vec<SessionRow>,
    setup: Option<Setup>,
    recovery_codes: Vec<String>,
    new_token: Option<String>,
}

/// The signed-in user as the API's caller.
fn caller_of(req: &PageRequest) -> Result<Caller, ApiError> {
    let s = req.require().map_err(|_| Refusal::Unauthenticated)?;
    Ok(Caller {
        user: s.user.clone(),
        account: s.account.clone(),
        secret: s.secret.clone(),
        ip: req.ip,
    })
}

/// The QR code of an `otpauth://` address, as an SVG `data:` image.
fn qr_image(url: &str) -> Result<String, ApiError> {
    let code = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| ApiError::from(anyhow::anyhow!("QR code: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    ))
}

async fn render(state: &AppState, req: PageRequest, extras: Extras) -> Result<Response, PageError> {
    let caller = caller_of(&req).map_err(|_| PageError::SignIn)?;
    // The user as it is now (a change on this page is not in the request's copy yet).
    let me = users::get_in_account(&state.store, &caller.user.account_id, &caller.user.id)
        .await
        .unwrap_or_else(|_| caller.user.clone());
    let held = tokens::held(&state.store, &me.id, &caller.secret)
        .await
        .or_page(&req)?;
    let mut c = req.chrome("profile-title");
    let status = match &extras.error {
        Some(error) => {
            c.error = Some(
                c.t.known(&format!("error-{}", error.code))
                    .unwrap_or_else(|| c.t.get("error-generic")),
            );
            error.status
        }
        None => StatusCode::OK,
    };
    let sessions = held
        .into_iter()
        .map(|h| SessionRow {
            kind_label: c.t.get(&format!("profile-session-kind-{}", h.kind)),
            name: h.name.unwrap_or_default(),
            created: super::when(h.created_at),
            last_used: super::when(h.last_used_at),
            expires: super::when(h.expires_at),
            current: h.current,
            id: h.id,
        })
        .collect();
    let page = ProfilePage {
        c,
        name: me.name,
        email: me.email,
        email_verified: me.email_verified,
        two_factor: me.two_factor,
        language: me.language.as_str(),
        sessions,
        setup: extras.setup,
        recovery_codes: extras.recovery_codes,
        new_token: extras.new_token,
    };
    let html = page.render();
    Ok(req.page(status, html))
}

fn failed(error: impl Into<ApiError>) -> Extras {
    Extras {
        error: Some(error.into()),
        ..Extras::default()
    }
}

pub async fn page(
    State(state): State<AppState>,
    Signed { req, .. }: Signed,
) -> Result<Response, PageError> {
    render(&state, req, Extras::default()).await
}

/// Name and language: the only way the user's own language changes (a page's `?lang=`
/// link switches this browser only). Saved, the language of this browser follows it.
pub async fn change_profile(
    State(state): State<AppState>,
    form: SignedPost,
) -> Result<Response, PageError> {
    let done = async {
        let change = UserChange {
            name: Some(parse_name("name", form.posted.field("name"))?),
            language: Some(
                Language::parse(form.posted.field("language"))
                    .ok_or_else(|| ApiError::invalid_input("language must be en or ko"))?,
            ),
            ..UserChange::default()
        };
        coproof_store::team::change(&state.store, &form.me, &form.me.id, &change).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match done {
        Ok(()) => {
            let mut req = form.posted.req;
            req.forget_language_choice();
            Ok(req.redirect("/settings/profile?ok=profile_saved"))
        }
        Err(error) => render(&state, form.posted.req, failed(error)).await,
    }
}

/// A new password, with the current one; the user's other sessions end.
pub async fn change_password(
    State(state): State<AppState>,
    form: SignedPost,
) -> Result<Response, PageError> {
    let posted = &form.posted;
    let done = async {
        let new = posted.new_password()?;
        let caller = caller_of(&posted.req)?;
        change_own_password(&state, &caller, caller.ip, posted.field("current"), new).await
    }
    .await;
    match done {
        Ok(()) => Ok(form
            .posted
            .req
            .redirect("/settings/profile?ok=password_changed")),
        Err(error) => render(&state, form.posted.req, failed(error)).await,
    }
}

/// Starts two-factor set-up: the key and its QR code, and a field for the first code.
pub async fn two_factor_start(
    State(state): State<AppState>,
    form: SignedPost,
) -> Result<Response, PageError> {
    let done = async {
        let caller = caller_of(&form.posted.req)?;
        let offer = offer_secret(&state, &caller, form.posted.field("password")).await?;
        Ok::<Setup, ApiError>(Setup {
            qr: qr_image(&offer.otpauth_url)?,
            secret: offer.secret,
        })
    }
    .await;
    let extras = match done {
        Ok(setup) => Extras {
            setup: Some(setup),
            ..Extras::default()
        },
        Err(error) => failed(error),
    };
    render(&state, form.posted.req, extras).await
}

/// Turns two-factor on with the first code; the recovery codes are shown this once.
pub async fn two_factor_confirm(
    State(state): State<AppState>,
    form: SignedPost,
) -> Result<Response, PageError> {
    let done = async {
        let caller = caller_of(&form.posted.req)?;
        confirm_code(&state, &caller, form.posted.field("code")).await
    }
    .await;
    let extras = match done {
        Ok(codes) => Extras {
            recovery_codes: codes,
            ..Extras::default()
        },
        Err(error) => failed(error),
    };
    render(&state, form.posted.req, extras).await
}

pub async fn two_factor_off(
    State(state): State<AppState>,
    form: SignedPost,
) -> Result<Response, PageError> {
    let posted = &form.posted;
    let done = async {
        let caller = caller_of(&posted.req)?;
        turn_off_with(
            &state,
            &caller,
            posted.field("password"),
            posted.field("code"),
        )
        .await
    }
    .await;
    match done {
        Ok(()) => Ok(form
            .posted
            .req
            .redirect("/settings/profile?ok=two_factor_off")),
        Err(error) => render(&state, form.posted.req, failed(error)).await,
    }
}

/// Ends one of one's sessions or tokens.
pub async fn end_session(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedPost { posted, me }: SignedPost,
) -> Result<Response, PageError> {
    if !looks_like_id(&id) {
        return Err(posted.req.fail(Refusal::NotFound));
    }
    identity::end_session(&state.store, &me, &id)
        .await
        .or_page(&posted.req)?;
    let ended = event(SecurityAction::SessionEnded, &me, posted.req.ip);
    note(&state, ended.about(&id)).await;
    Ok(posted.req.redirect(&format!("{PAGE}?ok=session_ended")))
}

/// Ends every other session and token.
pub async fn end_other_sessions(
    State(state): State<AppState>,
    SignedPost { posted, me }: SignedPost,
) -> Result<Response, PageError> {
    let secret = posted.req.require()?.secret.clone();
    identity::end_other_sessions(&state.store, &me, &secret)
        .await
        .or_page(&posted.req)?;
    let ended = event(SecurityAction::SessionEnded, &me, posted.req.ip);
    note(&state, ended.about("all others")).await;
    Ok(posted.req.redirect(&format!("{PAGE}?ok=sessions_ended")))
}

/// A new personal API token, shown this once.
pub async fn create_token(
    State(state): State<AppState>,
    form: SignedPost,
) -> Result<Response, PageError> {
    let posted = &form.posted;
    let done = async {
        let name = parse_name("name", posted.field("name"))?;
        let days: i64 = match posted.field("days").trim() {
            "" => 90,
            raw => raw
                .parse()
                .ok()
                .filter(|d| (1..=365).contains(d))
                .ok_or_else(|| ApiError::invalid_input("days must be from 1 to 365"))?,
        };
        let expires_at = now_micros() + days * 24 * 3600 * 1_000_000;
        let (id, token) = identity::create_token(&state.store, &form.me, &name, expires_at).await?;
        let made = event(SecurityAction::TokenCreated, &form.me, posted.req.ip);
        note(&state, made.about(id)).await;
        Ok::<String, ApiError>(token)
    }
    .await;
    let extras = match done {
        Ok(token) => Extras {
            new_token: Some(token),
            ..Extras::default()
        },
        Err(error) => failed(error),
    };
    render(&state, form.posted.req, extras).await
}
