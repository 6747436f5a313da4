//! Home: who you are, and the folders, proofs and files at the top of your account that
//! you may see.

use super::create::{new_items, NewItems};
use super::items::{top_entries, Entry};
use super::{Chrome, Visitor};
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

pub async fn page(State(state): State<AppState>, visitor: Visitor) -> Response {
    let signed_in = match visitor.require() {
        Ok(s) => s.clone(),
        Err(to_login) => return visitor.turn_away(to_login),
    };
    let top = match home::top(&state.store, &signed_in.user).await {
        Ok(top) => top,
        Err(e) => return visitor.fail(e),
    };
    let c = visitor.chrome("home-title");
    let entries = top_entries(&c, &top.folders, &top.proofs, &top.files);
    let page = HomePage {
        profile: c
            .t
            .get(&format!("profile-{}", signed_in.user.profile.as_str())),
        detail_heading: c.t.get("items-col-detail"),
        new_items: new_items(
            access::check_create_at_top(&actor(&signed_in.user)).is_ok(),
            None,
        ),
        entries,
        c,
        user_name: signed_in.user.name,
        user_email: signed_in.user.email,
        account_name: signed_in.account.name,
    };
    visitor.render(&page)
}
