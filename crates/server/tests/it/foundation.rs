//! Sign-up, log-in, `me`, users and profiles, errors, service routes.

use crate::on_both_backends;
use crate::support::{code, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::json;

async fn signup_login_me_logout(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "  Ann@Agency.Example ").await;
    assert_eq!(ann.user["profile"], "billing_admin");
    assert_eq!(ann.user["email"], "ann@agency.example");
    let (status, me) = ann.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["account"]["name"], "Agency");

    let again = app.login("ANN@agency.example", "correct horse").await;
    let (status, _) = again.post("/api/v1/logout", json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = again.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), "unauthenticated");
    // The first token still works.
    assert_eq!(ann.get("/api/v1/me").await.0, StatusCode::OK);
}

on_both_backends!(signup_login_me_logout);
