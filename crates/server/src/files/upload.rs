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
/// `quota_exceeded`), the upload is abandoned and nothing stays behind. So too when this
/// future is dropped half-way (the client went away, the request timed out): see
/// [`Pending`].
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
    let mut pending = Pending {
        key: key.to_string(),
        writer: Some(WriteMultipart::new_with_chunk_size(upload, PART_BYTES)),
    };
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut head = Vec::with_capacity(HEAD_BYTES);
    loop {
        let chunk = match field.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                pending.abort().await;
                return Err(client_error(e));
            }
        };
        size += chunk.len() as u64;
        if size > files.max_upload_bytes {
            pending.abort().await;
            return Err(Refusal::PayloadTooLarge.into());
        }
        if room.is_some_and(|room| size > room) {
            pending.abort().await;
            return Err(Refusal::QuotaExceeded.into());
        }
        hasher.update(&chunk);
        if head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        if let Err(e) = pending.writer().wait_for_capacity(PARTS_IN_FLIGHT).await {
            pending.abort().await;
            return Err(stored_error(e));
        }
        pending.writer().write(&chunk);
    }
    // (`finish` aborts the upload itself when completing it fails.)
    pending.finish().await.map_err(stored_error)?;
    Ok(Stored {
        key: key.to_string(),
        size,
        sha256: hex::encode(hasher.finalize()),
        content_type: super::sniff::content_type(&head).to_string(),
    })
}

/// An upload under way. When the request's future is dropped before the upload finished
/// or was aborted (hyper drops a handler whose client went away, the timeout layer one
/// past `--request-timeout-secs`), no code after an `.await` runs: dropping this aborts
/// the upload in the background instead. Without it an S3 multipart upload would stay
/// open, its parts kept (and billed) until a lifecycle rule removes them; a local store's
/// staging file is removed either way.
struct Pending {
    key: String,
    writer: Option<WriteMultipart>,
}

impl Pending {
    fn writer(&mut self) -> &mut WriteMultipart {
        self.writer.as_mut().expect("an upload under way")
    }

    async fn finish(mut self) -> object_store::Result<object_store::PutResult> {
        // Dropped while completing, the upload may or may not have completed: an object
        // without a row is harmless (nothing lists it); it is not aborted then.
        self.writer
            .take()
            .expect("an upload under way")
            .finish()
            .await
    }

    async fn abort(mut self) {
        if let Some(writer) = self.writer.take() {
            abort(writer, &self.key).await;
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        let Some(writer) = self.writer.take() else {
            return;
        };
        let key = std::mem::take(&mut self.key);
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move { abort(writer, &key).await });
            }
            Err(_) => tracing::warn!(key, "an abandoned upload could not be aborted"),
        }
    }
}

async fn abort(writer: WriteMultipart, key: &str) {
    if let Err(e) = writer.abort().await {
        tracing::warn!(error = %e, key, "could not abort an abandoned upload");
    }
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
