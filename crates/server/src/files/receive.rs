//! Receiving an upload form (`file`, optional `folder_id`): the one path the API and the
//! pages share. The folder is checked before any byte is stored, the file is streamed
//! into the store, and a refused request leaves nothing behind.

use super::upload::{self, Stored};
use super::FileStore;
use crate::http::error::ApiError;
use crate::state::AppState;
use axum::extract::Multipart;
use axum::http::StatusCode;
use coproof_core::file_name::parse_file_name;
use coproof_store::ids;
use coproof_store::items::files::{self, File, Uploaded};
use coproof_store::model::User;

/// What a form must show before its file is taken: nothing more (the API, signed by a
/// bearer token or session) or a CSRF token in a `csrf` field ahead of the file (pages).
pub enum Guard<'a> {
    Caller,
    Csrf(&'a (dyn Fn(&str) -> bool + Sync)),
}

/// Fields an upload form may have (csrf, folder_id, file and a few a client adds).
const MAX_FIELDS: usize = 8;

/// Reads the form, stores its file and records it in the actor's account.
pub async fn receive(
    state: &AppState,
    actor: &User,
    mut multipart: Multipart,
    guard: Guard<'_>,
) -> Result<File, ApiError> {
    let mut passed = matches!(guard, Guard::Caller);
    let mut folder_id: Option<String> = None;
    let mut stored: Option<(Stored, String)> = None;
    let outcome = async {
        let mut fields = 0;
        while let Some(mut field) = multipart.next_field().await.map_err(upload::client_error)? {
            fields += 1;
            if fields > MAX_FIELDS {
                return Err(ApiError::invalid_input(format!(
                    "an upload form has at most {MAX_FIELDS} fields"
                )));
            }
            match field.name() {
                Some("csrf") => {
                    let token = upload::small_text(&mut field, 256).await?;
                    if let Guard::Csrf(fits) = &guard {
                        passed = fits(&token);
                    }
                }
                Some("folder_id") => {
                    let id = upload::small_text(&mut field, 64).await?;
                    let id = id.trim().to_string();
                    if !id.is_empty() {
                        files::check_place(&state.store, actor, Some(&id)).await?;
                        folder_id = Some(id);
                    }
                }
                Some("file") if stored.is_none() => {
                    if !passed {
                        return Err(ApiError::new(
                            StatusCode::FORBIDDEN,
                            "csrf",
                            "the form's CSRF token is missing or wrong",
                        ));
                    }
                    let name = field
                        .file_name()
                        .ok_or_else(|| ApiError::invalid_input("the file part needs a filename"))?;
                    let name = parse_file_name(name)?;
                    let account =
                        files::check_place(&state.store, actor, folder_id.as_deref()).await?;
                    let room = match state.config.account_quota_bytes {
                        None => None,
                        Some(quota) => {
                            let used = files::usage(&state.store, &account).await?;
                            Some(quota.saturating_sub(u64::try_from(used).unwrap_or(0)))
                        }
                    };
                    let key = ids::new_id();
                    let file = upload::store_field(&state.files, &key, &mut field, room).await?;
                    stored = Some((file, name));
                }
                Some("file") => return Err(ApiError::invalid_input("send one file at a time")),
                _ => upload::skip(&mut field, 64 * 1024).await?,
            }
        }
        let Some((file, name)) = stored.as_ref() else {
            return Err(ApiError::invalid_input("the form has no file field"));
        };
        let uploaded = Uploaded {
            id: file.key.clone(),
            name: name.clone(),
            size: i64::try_from(file.size).unwrap_or(i64::MAX),
            content_type: file.content_type.clone(),
            sha256: file.sha256.clone(),
            storage_key: file.key.clone(),
        };
        let quota = state.config.account_quota_bytes;
        Ok(files::create(&state.store, actor, folder_id.as_deref(), &uploaded, quota).await?)
    }
    .await;
    if outcome.is_err() {
        // Nothing uploaded stays behind a refused request.
        if let Some((file, _)) = stored {
            if let Err(e) = state.files.inner.delete(&FileStore::path(&file.key)).await {
                tracing::warn!(error = %e, key = file.key, "could not remove a refused upload's bytes");
            }
        }
    }
    outcome
}
