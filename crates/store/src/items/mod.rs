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

use crate::users::User;
use coproof_core::access::Actor;

/// The acting user as the access rule sees it.
pub fn actor(user: &User) -> Actor<'_> {
    Actor {
        user_id: &user.id,
        account_id: &user.account_id,
        profile: user.profile,
    }
}

/// The folder ids in a materialized path `/a/b/c/`, top first.
pub fn path_ids(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// `$first, $first+1, …` for `n` values.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_ids() {
        assert_eq!(path_ids("/a/b/c/").collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(path_ids("").count(), 0);
        assert_eq!(placeholders(3, 2), "$3, $4");
    }
}
