//! Streaming an upload into the file store: chunk by chunk, hashing (SHA-256), counting
//! against the size limit and keeping the first bytes for sniffing. Never the whole file
//! in memory: object_store's multipart writer holds at most a few parts (a local store
//! writes a staging file and renames it into place on completion).

use super::store::FileStore;
use crate::http::error::ApiError;
use axum::extract::multipart::Field;
use coproof_core::Refusal;
use object_store::WriteMultipart;
use sha2::{Digest, Sha256};

/// Bytes of each part handed to the store.
const PART_BYTES: usize = 5 * 1024 * 1024;
/// Parts in flight at once.
const PARTS_IN_FLIGHT: usize = 2;
/// Bytes kept for sniffing the content type.
const HEAD_BYTES: usize = 8192;

/// What was stored.
#[derive(Debug, Clone)]
pub struct Stored {
    pub key: String,
    pub size: u64,
    pub sha256: String,
    pub content_type: String,
}

fn stored_error(e: object_store::Error) -> ApiError {
    ApiError::from(anyhow::anyhow!("file store: {e}"))
}

/// A multipart error: the client's fault (413 past a body limit, else 400).
pub fn client_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        Refusal::PayloadTooLarge.into()
    } else {
        ApiError::invalid_input(format!("malformed multipart body: {}", e.body_text()))
    }
}

/// Streams `field` into the store under `key`. Past `files.max_upload_bytes` (413
/// `payload_too_large`) or past `room`, what is left of the account's quota (413
/// `quota_exceeded`), the upload is abandoned and nothing stays behind.
pub async fn store_field(
    files: &FileStore,
    key: &str,
    field: &mut Field<'_>,
    room: Option<u64>,
) -> Result<Stored, ApiError> {
    let path = FileStore::path(key);
    let upload = files
        .inner
        .put_multipart(&path)
        .await
        .map_err(stored_error)?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut head = Vec::with_capacity(HEAD_BYTES);
    loop {
        let chunk = match field.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                let _ = writer.abort().await;
                return Err(client_error(e));
            }
        };
        size += chunk.len() as u64;
        if size > files.max_upload_bytes {
            let _ = writer.abort().await;
            return Err(Refusal::PayloadTooLarge.into());
        }
        if room.is_some_and(|room| size > room) {
            let _ = writer.abort().await;
            return Err(Refusal::QuotaExceeded.into());
        }
        hasher.update(&chunk);
        if head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        if let Err(e) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
            let _ = writer.abort().await;
            return Err(stored_error(e));
        }
        writer.write(&chunk);
    }
    writer.finish().await.map_err(stored_error)?;
    Ok(Stored {
        key: key.to_string(),
        size,
        sha256: hex::encode(hasher.finalize()),
        content_type: super::sniff::content_type(&head).to_string(),
    })
}

/// Reads a small text field (an id), refusing more than `max` bytes.
pub async fn small_text(field: &mut Field<'_>, max: usize) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(client_error)? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > max {
            return Err(ApiError::invalid_input("a form field is too long"));
        }
    }
    String::from_utf8(bytes).map_err(|_| ApiError::invalid_input("a form field is not UTF-8"))
}

/// Skips a field nobody asked for, within the size limit.
pub async fn skip(field: &mut Field<'_>, budget: u64) -> Result<(), ApiError> {
    let mut seen = 0u64;
    while let Some(chunk) = field.chunk().await.map_err(client_error)? {
        seen += chunk.len() as u64;
        if seen > budget {
            return Err(Refusal::PayloadTooLarge.into());
        }
    }
    Ok(())
}
