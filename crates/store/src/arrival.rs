//! A user now exists (sign-up, or an admin adds one), inside the transaction that wrote
//! its row: it appears on Contacts, its first e-mail is queued, and once its address is
//! verified the partner requests waiting for that address attach to its account.

use crate::model::User;
use crate::{contacts, identity, partners, Store, StoreResult, Tx};

/// The e-mail a new user gets first.
pub(crate) enum FirstMail<'a> {
    /// A link that proves the address (nothing when the operator already vouched for it).
    VerifyAddress,
    /// A link to set a password, from the admin who added the user; using it proves the
    /// address too.
    SetPassword { inviter: &'a User },
}

pub(crate) async fn user_arrived(
    store: &Store,
    tx: &mut Tx,
    user: &User,
    first: FirstMail<'_>,
) -> StoreResult<()> {
    contacts::sync::user_added(store, tx, user).await?;
    match first {
        FirstMail::SetPassword { inviter } => {
            identity::queue_set_password(tx, inviter, user).await?
        }
        FirstMail::VerifyAddress if !user.email_verified => {
            identity::queue_verification(tx, user).await?
        }
        FirstMail::VerifyAddress => {}
    }
    if user.email_verified {
        partners::attach_address(store, tx, user).await?;
    }
    Ok(())
}
