//! E-mail: templates in English and Korean, and the worker that drains the outbox into
//! SMTP (or `.eml` files when no mail server is configured).

pub mod templates;
pub mod transport;
mod worker;

pub use worker::MailWorker;
