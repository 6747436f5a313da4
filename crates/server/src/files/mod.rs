//! Uploaded files' bytes: the file store (a local folder or an S3-compatible bucket,
//! through object_store), streaming uploads with hashing and a size limit, byte ranges
//! and `Content-Disposition` for downloads.

pub mod disposition;
pub mod range;
pub mod receive;
pub mod sniff;
pub mod store;
pub mod upload;

pub use store::FileStore;
