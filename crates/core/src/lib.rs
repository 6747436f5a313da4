//! Coproof's domain: the product's types and rules as plain functions, no I/O, no async.
//!
//! Every rule of `spec/partners.md` lives here once; the store applies these functions
//! inside its transactions and the server maps their refusals to HTTP.

pub mod access;
pub mod contact;
pub mod email;
pub mod file_name;
pub mod language;
pub mod name;
pub mod partner;
pub mod password;
pub mod policy;
pub mod profile;
pub mod refusal;
pub mod sharing;
pub mod team;
pub mod terms;
pub mod throttle;
pub mod two_factor;

pub use email::EmailAddress;
pub use language::Language;
pub use profile::Profile;
pub use refusal::Refusal;
