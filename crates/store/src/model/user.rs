//! A user of an account, as read, as created and as changed.

use crate::{col, StoreError, StoreResult};
use coproof_core::team::Standing;
use coproof_core::{EmailAddress, Language, Profile};
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub account_id: String,
    pub email: String,
    pub name: String,
    pub profile: Profile,
    pub active: bool,
    pub language: Language,
    /// The user has used a single-use link e-mailed to its address.
    pub email_verified: bool,
    /// Signing in needs a TOTP or recovery code as well as the password.
    pub two_factor: bool,
}

pub(crate) const USER_COLUMNS: &str =
    "u.id, u.account_id, u.email, u.name, u.profile, u.active, u.language, u.email_verified, \
     CAST(CASE WHEN u.totp_secret IS NULL THEN 0 ELSE 1 END AS BIGINT) AS two_factor";

impl User {
    pub(crate) fn from_row(row: &AnyRow) -> StoreResult<User> {
        let profile: String = col(row, "profile")?;
        let language: String = col(row, "language")?;
        Ok(User {
            id: col(row, "id")?,
            account_id: col(row, "account_id")?,
            email: col(row, "email")?,
            name: col(row, "name")?,
            profile: Profile::parse(&profile)
                .map_err(|_| StoreError::Corrupt(format!("profile {profile:?}")))?,
            active: col::<i64>(row, "active")? != 0,
            language: Language::parse(&language)
                .ok_or_else(|| StoreError::Corrupt(format!("language {language:?}")))?,
            email_verified: col::<i64>(row, "email_verified")? != 0,
            two_factor: col::<i64>(row, "two_factor")? != 0,
        })
    }
}

/// A user about to be created. `password_hash` is already hashed by the caller.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: EmailAddress,
    pub name: String,
    pub profile: Profile,
    pub language: Language,
    pub password_hash: Option<String>,
    /// Already verified: only the operator's CLI vouches so; everyone else proves it by
    /// using a link e-mailed to the address.
    pub email_verified: bool,
}

/// What may change on a user.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub name: Option<String>,
    pub profile: Option<Profile>,
    pub active: Option<bool>,
    pub language: Option<Language>,
}

impl User {
    /// Its rights, as `coproof_core::team` weighs them.
    pub fn standing(&self) -> Standing {
        Standing {
            profile: self.profile,
            active: self.active,
        }
    }

    /// The user with `change` applied (what it leaves out stays).
    pub fn changed(&self, change: &UserChange) -> User {
        User {
            name: change.name.clone().unwrap_or_else(|| self.name.clone()),
            profile: change.profile.unwrap_or(self.profile),
            active: change.active.unwrap_or(self.active),
            language: change.language.unwrap_or(self.language),
            ..self.clone()
        }
    }
}
