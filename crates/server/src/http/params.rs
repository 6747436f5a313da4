//! Query parameters that the JSON API and the pages read the same way: the contacts
//! list's search and kind filter and its page size, and the keyset cursors of lists.

use crate::http::error::ApiError;
use base64::Engine;
use coproof_core::contact::{Kind, Search};
use coproof_store::contacts::Filter;
use serde::{Deserialize, Serialize};

/// The contacts filter of `q` (name, e-mail or company, case-insensitively) and `kind`
/// (`user`, `member` or `guest`; empty or absent: every kind).
pub fn contact_filter(q: Option<&str>, kind: Option<&str>) -> Result<Filter, ApiError> {
    Ok(Filter {
        kind: match kind {
            None | Some("") => None,
            Some(k) => Some(
                Kind::parse(k)
                    .ok_or_else(|| ApiError::invalid_input("kind must be user, member or guest"))?,
            ),
        },
        search: Search::parse(q.unwrap_or_default())?,
    })
}

/// A contacts page size: 1–200 (more is cut to 200), 50 when absent.
pub fn contact_limit(raw: Option<&str>) -> Result<u32, ApiError> {
    match raw {
        None | Some("") => Ok(50),
        Some(raw) => match raw.parse::<u32>() {
            Ok(n) if n >= 1 => Ok(n.min(200)),
            _ => Err(ApiError::invalid_input(
                "limit must be a number from 1 to 200",
            )),
        },
    }
}

/// A cursor: base64url of the JSON of where the next page starts.
pub fn encode_cursor<T: Serialize>(after: &T) -> String {
    let json = serde_json::to_vec(after).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

/// Where the page of `raw` starts (`None`: the first page); a cursor this server did not
/// give is refused.
pub fn decode_cursor<T: for<'de> Deserialize<'de>>(
    raw: Option<&str>,
) -> Result<Option<T>, ApiError> {
    match raw {
        None | Some("") => Ok(None),
        Some(raw) => base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .map(Some)
            .ok_or_else(|| ApiError::invalid_input("cursor is not one this server gave")),
    }
}
