//! Error answers and request bodies every area's tests share.

use super::code;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Asserts an error answer: the status, the code, and the envelope around it.
#[track_caller]
pub fn refused(answer: (StatusCode, Value), status: StatusCode, expected: &str) {
    let (got, body) = answer;
    assert_eq!(got, status, "status of {body}");
    assert_envelope(&body);
    assert_eq!(code(&body), expected, "code of {body}");
}

/// Every error body is exactly `{"error": {"code", "message"}}`.
#[track_caller]
pub fn assert_envelope(body: &Value) {
    let error = body["error"]
        .as_object()
        .unwrap_or_else(|| panic!("not an error envelope: {body}"));
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
    assert!(
        error["code"].as_str().is_some_and(|c| !c.is_empty()),
        "{body}"
    );
    assert!(error["message"].is_string(), "{body}");
}

pub fn signup_body(email: &str) -> Value {
    json!({"account_name": "Agency", "name": "Ann", "email": email, "password": "correct horse"})
}
