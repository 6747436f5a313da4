//! The rows the store reads and writes, as Rust values: one home for each type, no
//! queries. Query modules and workflows above take and return these.

mod account;
mod relationship;
mod user;

pub use account::Account;
pub(crate) use relationship::REL_COLUMNS;
pub use relationship::{Inviter, Relationship, Seen};
pub(crate) use user::USER_COLUMNS;
pub use user::{NewUser, User, UserChange};
