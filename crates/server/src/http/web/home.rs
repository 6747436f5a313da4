//! Home: who you are, and the folders, proofs and files at the top of your account that
//! you may see.

use super::create::{new_items, NewItems};
use super::items::{top_entries, Entry};
use super::{Chrome, OrPage, PageError, Signed};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use coproof_core::access;
use coproof_store::items::{actor, home};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    user_name: String,
    user_email: String,
    account_name: String,
    profile: String,
    entries: Vec<Entry>,
    detail_heading: String,
    new_items: Option<NewItems>,
}

pub async fn page(
    State(state): State<AppState>,
    Signed { req, me }: Signed,
) -> Result<Response, PageError> {
    let top = home::top(&state.store, &me).await.or_page(&req)?;
    let c = req.chrome("home-title");
    let account_name = c.account.clone().unwrap_or_default();
    let entries = top_entries(&c, &top.folders, &top.proofs, &top.files);
    let page = HomePage {
        profile: c.t.get(&format!("profile-{}", me.profile.as_str())),
        detail_heading: c.t.get("items-col-detail"),
        new_items: new_items(access::check_create_at_top(&actor(&me)).is_ok(), None),
        entries,
        c,
        user_name: me.name,
        user_email: me.email,
        account_name,
    };
    Ok(req.render(&page))
}
