//! The terms one account sets for a partnership, for what it shares with the partner
//! (`spec/api.md`, "Partner connections"): the highest proof role the partner's users may
//! get, whether they may download originals, and which of its users the partner sees.
//!
//! Terms cap rights, never add them (the capping is in [`crate::access::rights`]). Until
//! an account sets terms for a partner, the uncapped defaults hold.

use crate::sharing::ProofRole;
use crate::Refusal;

/// Users a chosen list may name.
pub const MAX_VISIBLE_USERS: usize = 10_000;

/// Which of an account's users its partner sees on Contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisibleUsers {
    All,
    Only(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub max_proof_role: ProofRole,
    pub download: bool,
    pub visible_users: VisibleUsers,
}

impl Default for Terms {
    /// No cap: the highest role a partner's user can hold, downloads allowed, every user
    /// seen.
    fn default() -> Terms {
        Terms {
            max_proof_role: ProofRole::ReviewerApprover,
            download: true,
            visible_users: VisibleUsers::All,
        }
    }
}

impl Terms {
    /// Checks terms as an admin typed them: a role a partner's user can hold (`author` and
    /// `moderator` are for the owning account's users only), and user ids (deduplicated,
    /// sorted; whether each is a user of the account is the store's to check).
    pub fn new(
        max_proof_role: &str,
        download: bool,
        visible_users: Option<Vec<String>>,
    ) -> Result<Terms, Refusal> {
        let role = ProofRole::parse(max_proof_role)
            .ok()
            .filter(|r| !r.owner_account_only())
            .ok_or_else(|| {
                Refusal::InvalidInput(
                    "max_proof_role must be read_only, reviewer, approver or reviewer_approver."
                        .into(),
                )
            })?;
        let visible_users = match visible_users {
            None => VisibleUsers::All,
            Some(mut ids) => {
                if ids.len() > MAX_VISIBLE_USERS {
                    return Err(Refusal::InvalidInput(format!(
                        "visible_users: at most {MAX_VISIBLE_USERS} users."
                    )));
                }
                ids.sort();
                ids.dedup();
                VisibleUsers::Only(ids)
            }
        };
        Ok(Terms {
            max_proof_role: role,
            download,
            visible_users,
        })
    }

    /// Whether the partner sees user `user_id` on its Contacts.
    pub fn shows(&self, user_id: &str) -> bool {
        match &self.visible_users {
            VisibleUsers::All => true,
            VisibleUsers::Only(ids) => ids.binary_search_by(|id| id.as_str().cmp(user_id)).is_ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_caps_nothing() {
        let t = Terms::default();
        let highest = ProofRole::ALL
            .into_iter()
            .filter(|r| !r.owner_account_only())
            .max_by_key(|r| r.rank());
        assert_eq!(Some(t.max_proof_role), highest);
        assert!(t.download);
        assert_eq!(t.visible_users, VisibleUsers::All);
        assert!(t.shows("anyone"));
    }

    #[test]
    fn terms_as_typed() {
        let t = Terms::new(
            "approver",
            false,
            Some(vec!["b".into(), "a".into(), "b".into()]),
        )
        .unwrap();
        assert_eq!(t.max_proof_role, ProofRole::Approver);
        assert_eq!(
            t.visible_users,
            VisibleUsers::Only(vec!["a".into(), "b".into()])
        );
        assert!(t.shows("a") && t.shows("b") && !t.shows("c"));
        for bad in ["author", "moderator", "owner", ""] {
            assert!(Terms::new(bad, true, None).is_err(), "{bad}");
        }
        let many = (0..=MAX_VISIBLE_USERS).map(|i| i.to_string()).collect();
        assert!(Terms::new("reviewer", true, Some(many)).is_err());
    }
}
