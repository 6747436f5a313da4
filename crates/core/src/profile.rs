//! Profiles: what a user may do in its own account, most to least powerful.

use crate::Refusal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    BillingAdmin,
    Admin,
    Supervisor,
    Manager,
    Observer,
    Visitor,
}

impl Profile {
    pub const ALL: [Profile; 6] = [
        Profile::BillingAdmin,
        Profile::Admin,
        Profile::Supervisor,
        Profile::Manager,
        Profile::Observer,
        Profile::Visitor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::BillingAdmin => "billing_admin",
            Profile::Admin => "admin",
            Profile::Supervisor => "supervisor",
            Profile::Manager => "manager",
            Profile::Observer => "observer",
            Profile::Visitor => "visitor",
        }
    }

    pub fn parse(s: &str) -> Result<Profile, Refusal> {
        Profile::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| Refusal::InvalidInput(format!("unknown profile {s:?}")))
    }

    /// Admins reach Settings > Account Settings: users and partners.
    pub fn is_admin(self) -> bool {
        matches!(self, Profile::BillingAdmin | Profile::Admin)
    }

    /// Whether a user of this profile may give `target` to someone of its account.
    /// Only admins manage users, and only a billing admin may make a billing admin.
    pub fn may_grant(self, target: Profile) -> bool {
        match self {
            Profile::BillingAdmin => true,
            Profile::Admin => target != Profile::BillingAdmin,
            _ => false,
        }
    }

    /// Everyone but a visitor sees the Contacts page.
    pub fn sees_contacts(self) -> bool {
        self != Profile::Visitor
    }

    /// Everyone but a visitor lists the users of its account (`GET /users`): the list holds
    /// every colleague's e-mail address.
    pub fn lists_users(self) -> bool {
        self != Profile::Visitor
    }

    /// Manager and up add guest contacts.
    pub fn adds_contacts(self) -> bool {
        self <= Profile::Manager
    }

    /// Supervisor and up delete contacts.
    pub fn deletes_contacts(self) -> bool {
        self <= Profile::Supervisor
    }

    /// Supervisor and up see and edit every item of their own account.
    pub fn sees_all_items(self) -> bool {
        self <= Profile::Supervisor
    }

    /// Manager and up create folders, files and proofs.
    pub fn creates_items(self) -> bool {
        self <= Profile::Manager
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admin_and_billing_admin_are_admins() {
        let admins: Vec<_> = Profile::ALL.into_iter().filter(|p| p.is_admin()).collect();
        assert_eq!(admins, [Profile::BillingAdmin, Profile::Admin]);
    }

    #[test]
    fn an_admin_cannot_grant_billing_admin() {
        assert!(!Profile::Admin.may_grant(Profile::BillingAdmin));
        assert!(Profile::Admin.may_grant(Profile::Admin));
        assert!(Profile::BillingAdmin.may_grant(Profile::BillingAdmin));
        assert!(!Profile::Supervisor.may_grant(Profile::Visitor));
    }

    #[test]
    fn profiles_round_trip_through_their_names() {
        for p in Profile::ALL {
            assert_eq!(Profile::parse(p.as_str()), Ok(p));
        }
        assert!(Profile::parse("root").is_err());
    }

    #[test]
    fn visitors_cannot_list_users() {
        assert!(!Profile::Visitor.lists_users());
        assert!(Profile::Observer.lists_users());
    }

    #[test]
    fn visitors_cannot_see_contacts() {
        assert!(!Profile::Visitor.sees_contacts());
        assert!(Profile::Observer.sees_contacts());
        assert!(Profile::Manager.adds_contacts() && !Profile::Observer.adds_contacts());
        assert!(Profile::Supervisor.deletes_contacts() && !Profile::Manager.deletes_contacts());
    }
}
