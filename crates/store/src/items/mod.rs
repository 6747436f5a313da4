//! Folders, files and proofs (the items of an account's tree), their comments and their
//! shares. Every read and write first asks [`access::authorize`], which gathers the facts
//! and applies `coproof_core::access`.

pub mod access;
pub mod comments;
pub mod files;
pub mod folders;
pub mod home;
pub mod proofs;
pub mod share_dialog;
pub mod shares;
pub mod trash;

pub use access::authorize;

use crate::model::User;
use coproof_core::access::Actor;

/// The acting user as the access rule sees it.
pub fn actor(user: &User) -> Actor<'_> {
    Actor {
        user_id: &user.id,
        account_id: &user.account_id,
        profile: user.profile,
    }
}
