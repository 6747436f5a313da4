//! Signed webhooks: the delivery worker (`worker.rs`), the Standard Webhooks signature
//! (`sign.rs`), the server key every endpoint's secret is derived from (`keys.rs`) and
//! the address rules that keep deliveries off private networks (`address.rs`). The queue
//! itself is `coproof_store::webhooks`.

pub mod address;
pub mod keys;
pub mod sign;
pub mod worker;

pub use keys::ServerKey;
pub use worker::WebhookWorker;
