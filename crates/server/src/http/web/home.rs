//! Home: who you are and where to go (proofs and folders come with the sharing pages).

use super::{Chrome, Visitor};
use askama::Template;
use axum::response::Response;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    user_name: String,
    user_email: String,
    account_name: String,
    profile: String,
}

pub async fn page(visitor: Visitor) -> Response {
    let signed_in = match visitor.require() {
        Ok(s) => s.clone(),
        Err(to_login) => return visitor.turn_away(to_login),
    };
    let c = visitor.chrome("home-title");
    let page = HomePage {
        profile: c
            .t
            .get(&format!("profile-{}", signed_in.user.profile.as_str())),
        c,
        user_name: signed_in.user.name,
        user_email: signed_in.user.email,
        account_name: signed_in.account.name,
    };
    visitor.render(&page)
}
