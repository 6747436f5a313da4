//! The `coproof` server: configuration, the HTTP API and pages, authentication, e-mail
//! delivery and the admin commands. Handlers are thin: they parse, call the store (which
//! applies the domain rules of `coproof_core`) and shape the answer.

pub mod app;
pub mod cli;
pub mod config;
pub mod fanout;
pub mod files;
pub mod housekeeping;
pub mod http;
pub mod i18n;
pub mod mail;
pub mod partner_expiry;
pub mod password;
pub mod state;
pub mod webhooks;

pub use app::App;
pub use config::Config;
