//! The users of an account (Settings > Account Settings > Users): who may add a user, who
//! may change one, and the account that must keep an active admin.

use crate::{Profile, Refusal};

/// Only admins add users, and only with a profile they may grant (an admin cannot make a
/// billing admin).
pub fn check_add(actor: Profile, new: Profile) -> Result<(), Refusal> {
    if actor.is_admin() && actor.may_grant(new) {
        Ok(())
    } else {
        Err(Refusal::Forbidden)
    }
}

/// A user as far as its rights go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub profile: Profile,
    pub active: bool,
}

impl Standing {
    /// An active admin: one the account may not lose its last of.
    pub fn is_active_admin(self) -> bool {
        self.active && self.profile.is_admin()
    }
}

/// The part of [`check_change`] known before the target is read: only admins change
/// someone other than themselves.
pub fn check_may_change(actor: Profile, own_self: bool) -> Result<(), Refusal> {
    if actor.is_admin() || own_self {
        Ok(())
    } else {
        Err(Refusal::Forbidden)
    }
}

/// Whether `actor` may change `target` from `before` to `after`. Anyone may change its own
/// name and language; everything else, and anyone else, is an admin's, who may not touch a
/// profile it could not grant (an admin neither makes nor changes a billing admin).
pub fn check_change(
    actor: Profile,
    own_self: bool,
    before: Standing,
    after: Standing,
) -> Result<(), Refusal> {
    check_may_change(actor, own_self)?;
    let touches_rights = before != after;
    if !actor.is_admin() && touches_rights {
        return Err(Refusal::Forbidden);
    }
    if touches_rights && !(actor.may_grant(before.profile) && actor.may_grant(after.profile)) {
        return Err(Refusal::Forbidden);
    }
    Ok(())
}

/// Whether a change takes an active admin's rights: only then does
/// [`check_keeps_an_admin`] need the account's other admins counted.
pub fn loses_an_admin(before: Standing, after: Standing) -> bool {
    before.is_active_admin() && !after.is_active_admin()
}

/// An account always keeps one active admin: a change that takes the last one's rights is
/// refused. `other_active_admins` counts the account's active admins besides the target.
pub fn check_keeps_an_admin(
    before: Standing,
    after: Standing,
    other_active_admins: u64,
) -> Result<(), Refusal> {
    if loses_an_admin(before, after) && other_active_admins == 0 {
        Err(Refusal::LastAdmin)
    } else {
        Ok(())
    }
}

/// The profiles that count as admins, for a query's `IN (…)`.
pub fn admin_profiles() -> impl Iterator<Item = Profile> {
    Profile::ALL.into_iter().filter(|p| p.is_admin())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Profile::*;

    fn s(profile: Profile, active: bool) -> Standing {
        Standing { profile, active }
    }

    #[test]
    fn who_may_add_whom() {
        for actor in Profile::ALL {
            for new in Profile::ALL {
                let allowed = match actor {
                    BillingAdmin => true,
                    Admin => new != BillingAdmin,
                    _ => false,
                };
                assert_eq!(
                    check_add(actor, new).is_ok(),
                    allowed,
                    "{actor:?} adds {new:?}"
                );
            }
        }
    }

    #[test]
    fn anyone_changes_its_own_name_and_language_only() {
        let me = s(Manager, true);
        assert_eq!(check_change(Manager, true, me, me), Ok(()));
        assert_eq!(
            check_change(Manager, true, me, s(Admin, true)),
            Err(Refusal::Forbidden)
        );
        assert_eq!(
            check_change(Manager, true, me, s(Manager, false)),
            Err(Refusal::Forbidden)
        );
        assert_eq!(
            check_change(Manager, false, s(Observer, true), s(Observer, true)),
            Err(Refusal::Forbidden)
        );
    }

    #[test]
    fn an_admin_neither_makes_nor_changes_a_billing_admin() {
        let billing = s(BillingAdmin, true);
        assert_eq!(
            check_change(Admin, false, billing, s(BillingAdmin, false)),
            Err(Refusal::Forbidden)
        );
        assert_eq!(
            check_change(Admin, false, s(Manager, true), billing),
            Err(Refusal::Forbidden)
        );
        // A billing admin's name is an admin's to change: no rights move.
        assert_eq!(check_change(Admin, false, billing, billing), Ok(()));
        assert_eq!(
            check_change(BillingAdmin, false, s(Admin, true), billing),
            Ok(())
        );
        assert_eq!(
            check_change(Admin, false, s(Manager, true), s(Admin, true)),
            Ok(())
        );
    }

    #[test]
    fn the_last_active_admin_stays() {
        for (before, after, others, kept) in [
            (s(Admin, true), s(Manager, true), 0, false),
            (s(Admin, true), s(Admin, false), 0, false),
            (s(BillingAdmin, true), s(Admin, true), 0, true),
            (s(Admin, true), s(Manager, true), 1, true),
            (s(Admin, false), s(Manager, false), 0, true),
            (s(Manager, true), s(Observer, true), 0, true),
        ] {
            assert_eq!(
                check_keeps_an_admin(before, after, others).is_ok(),
                kept,
                "{before:?} -> {after:?} with {others} other admins"
            );
        }
    }

    #[test]
    fn admin_profiles_are_the_admins() {
        assert_eq!(admin_profiles().collect::<Vec<_>>(), [BillingAdmin, Admin]);
    }
}
