//! Settings > Account Settings > Users: the account's users, adding one, changing a
//! profile, deactivating and activating. Admins only.

use super::{with_code, Admin, AdminPost, Chrome, OrPage, PageError, Posted};
use crate::http::error::ApiError;
use crate::http::extract::next_cursor;
use crate::http::security_log::{event, note, user_state};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use coproof_core::{name::parse_name, password::check_password, EmailAddress, Language, Profile};
use coproof_store::ids::looks_like_id;
use coproof_store::model::{NewUser, User, UserChange};
use coproof_store::security::SecurityAction;
use coproof_store::users;

const PAGE: &str = "/settings/account/users";
const LIMIT: u32 = 100;

/// Settings > Account Settings opens on its first tab.
pub async fn settings(Admin { req, .. }: Admin) -> Response {
    req.redirect(PAGE)
}

pub struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub profile: &'static str,
    pub profile_label: String,
    pub active: bool,
    pub email_verified: bool,
    pub two_factor: bool,
    /// Whether the viewer may change this user's profile and state.
    pub editable: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    c: Chrome,
    tab: &'static str,
    rows: Vec<UserRow>,
    /// (value, label) of each profile the viewer may give.
    grantable: Vec<(&'static str, String)>,
    open_add: bool,
    next_cursor: Option<String>,
    /// The account's storage in use, and of how much when there is a quota.
    storage: String,
}

/// Bytes for people: `980 B`, `12.3 MB`, `1.0 GB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

pub async fn page(
    State(state): State<AppState>,
    Admin { req, me }: Admin,
) -> Result<Response, PageError> {
    let cursor = req
        .query
        .get("cursor")
        .filter(|c| looks_like_id(c))
        .cloned();
    let found = users::list(&state.store, &me.account_id, cursor.as_deref(), LIMIT)
        .await
        .or_page(&req)?;
    let used = coproof_store::items::files::usage(&state.store, &me.account_id)
        .await
        .map_or(0, |u| u64::try_from(u).unwrap_or(0));
    let c = req.chrome("users-title");
    let storage = match state.config.account_quota_bytes {
        Some(quota) => c.t.get2(
            "users-storage-of",
            "used",
            &bytes(used),
            "quota",
            &bytes(quota),
        ),
        None => c.t.get1("users-storage", "used", &bytes(used)),
    };
    let label = |p: Profile| c.t.get(&format!("profile-{}", p.as_str()));
    let rows = found
        .iter()
        .map(|u| UserRow {
            id: u.id.clone(),
            name: u.name.clone(),
            email: u.email.clone(),
            profile: u.profile.as_str(),
            profile_label: label(u.profile),
            active: u.active,
            email_verified: u.email_verified,
            two_factor: u.two_factor,
            editable: me.profile.may_grant(u.profile),
        })
        .collect();
    let grantable = Profile::ALL
        .into_iter()
        .filter(|p| me.profile.may_grant(*p))
        .map(|p| (p.as_str(), label(p)))
        .collect();
    let page = UsersPage {
        open_add: req.query.get("form").is_some_and(|f| f == "add"),
        next_cursor: next_cursor(&found, LIMIT, |u| &u.id),
        c,
        tab: "users",
        rows,
        grantable,
        storage,
    };
    Ok(req.render(&page))
}

async fn create(state: &AppState, posted: &Posted, me: &User) -> Result<(), ApiError> {
    let email = EmailAddress::parse(posted.field("email"))?;
    let name = parse_name("name", posted.field("name"))?;
    let profile = Profile::parse(posted.field("profile"))?;
    let language = Language::parse(posted.field("language")).unwrap_or(posted.req.lang);
    let password_hash = match posted.field("password") {
        "" => None,
        p => {
            check_password(p)?;
            Some(state.hasher.hash(p).await?)
        }
    };
    let new = NewUser {
        email,
        name,
        profile,
        language,
        password_hash,
        email_verified: false,
    };
    let user = coproof_store::team::add(&state.store, me, &new).await?;
    state.mail_wake.notify_one();
    let added = event(SecurityAction::UserAdded, me, posted.req.ip)
        .about(&user.id)
        .changed(None, Some(user_state(&user)));
    note(state, added).await;
    Ok(())
}

pub async fn add(State(state): State<AppState>, AdminPost { posted, me }: AdminPost) -> Response {
    let to = match create(&state, &posted, &me).await {
        Ok(()) => with_code(PAGE, "ok", "user_added"),
        Err(e) => format!("{}&form=add", with_code(PAGE, "error", e.code)),
    };
    posted.req.redirect(&to)
}

pub async fn change(
    State(state): State<AppState>,
    Path(id): Path<String>,
    AdminPost { posted, me }: AdminPost,
) -> Result<Response, PageError> {
    if !looks_like_id(&id) {
        return Err(posted.req.fail(coproof_core::Refusal::NotFound));
    }
    let profile = match posted.field("profile") {
        "" => None,
        p => match Profile::parse(p) {
            Ok(p) => Some(p),
            Err(_) => {
                return Ok(posted
                    .req
                    .redirect(&with_code(PAGE, "error", "invalid_input")))
            }
        },
    };
    let active = match posted.field("active") {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    };
    let change = UserChange {
        profile,
        active,
        ..UserChange::default()
    };
    let to = match coproof_store::team::change(&state.store, &me, &id, &change).await {
        Ok((before, after)) => {
            let changed = event(SecurityAction::UserChanged, &me, posted.req.ip)
                .about(&after.id)
                .changed(Some(user_state(&before)), Some(user_state(&after)));
            note(&state, changed).await;
            with_code(PAGE, "ok", "user_changed")
        }
        Err(e) => with_code(PAGE, "error", ApiError::from(e).code),
    };
    Ok(posted.req.redirect(&to))
}
