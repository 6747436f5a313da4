//! The safety net under the one error mapping: an error answer that is not JSON already
//! (axum's plain-text rejections of paths, queries and bodies, hyper-level refusals that
//! reach the router) leaves as the `{"error": {"code", "message"}}` envelope too, with a
//! stable code. HTML error pages (the web pages' own) pass untouched.

use super::error::ApiError;
use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Longest plain-text message kept as the envelope's message.
const MAX_MESSAGE: usize = 512;

/// Middleware: wraps plain-text (or body-less) 4xx/5xx answers into the envelope.
pub async fn wrap_plain_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || !is_plain(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = to_bytes(body, MAX_MESSAGE * 4)
        .await
        .ok()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .map(|t| t.trim().chars().take(MAX_MESSAGE).collect::<String>())
        .filter(|t| !t.is_empty());
    let (status, code) = code_of(status);
    let message = match (status, text) {
        (s, _) if s.is_server_error() => "Something went wrong on the server.".to_string(),
        (_, Some(text)) => text,
        (s, None) => s.canonical_reason().unwrap_or("error").to_string(),
    };
    let wrapped = ApiError::new(status, code, message).into_response();
    let (new_parts, new_body) = wrapped.into_parts();
    parts.status = new_parts.status;
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &new_parts.headers {
        parts.headers.insert(name.clone(), value.clone());
    }
    Response::from_parts(parts, new_body)
}

fn is_plain(response: &Response) -> bool {
    match response.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(value) => value
            .to_str()
            .map(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("text/plain")
            })
            .unwrap_or(true),
    }
}

/// The status and code a plain error leaves with. Body rejections (axum answers 422 for
/// JSON of the wrong shape) are 400 `invalid_input`, as for every other malformed input.
fn code_of(status: StatusCode) -> (StatusCode, &'static str) {
    match status {
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
            (StatusCode::BAD_REQUEST, "invalid_input")
        }
        StatusCode::UNAUTHORIZED => (status, "unauthenticated"),
        StatusCode::FORBIDDEN => (status, "forbidden"),
        StatusCode::NOT_FOUND => (status, "not_found"),
        StatusCode::METHOD_NOT_ALLOWED => (status, "method_not_allowed"),
        StatusCode::PAYLOAD_TOO_LARGE => (status, "payload_too_large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (status, "unsupported_media_type"),
        StatusCode::REQUEST_TIMEOUT => (status, "timeout"),
        StatusCode::TOO_MANY_REQUESTS => (status, "rate_limited"),
        StatusCode::SERVICE_UNAVAILABLE => (status, "unavailable"),
        s if s.is_server_error() => (s, "internal"),
        s => (s, "invalid_input"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_rejections_get_stable_codes() {
        assert_eq!(
            code_of(StatusCode::UNPROCESSABLE_ENTITY),
            (StatusCode::BAD_REQUEST, "invalid_input")
        );
        assert_eq!(
            code_of(StatusCode::PAYLOAD_TOO_LARGE),
            (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
        );
        assert_eq!(
            code_of(StatusCode::BAD_GATEWAY),
            (StatusCode::BAD_GATEWAY, "internal")
        );
        assert_eq!(
            code_of(StatusCode::LENGTH_REQUIRED),
            (StatusCode::LENGTH_REQUIRED, "invalid_input")
        );
    }
}
