//! A signed-in identity follows every change on the very next request, although the
//! server keeps recently resolved tokens in memory on SQLite (`identities.rs`): a profile
//! change, a deactivation, a log-out. Each change comes after requests that put the
//! identity in the cache.

use crate::on_both_backends;
use crate::support::{Backend, TestApp};
use reqwest::StatusCode;
use serde_json::json;

async fn each_change_shows_on_the_next_request(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.test").await;
    let bea = app.add_user(&ann, "bea@agency.test", "admin").await;
    for _ in 0..3 {
        let (status, me) = bea.get("/api/v1/me").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["user"]["profile"], "admin", "{me}");
    }

    // A profile change: Bea is an observer on her next request.
    let (status, body) = ann
        .patch(
            &format!("/api/v1/users/{}", bea.user_id()),
            json!({"profile": "observer", "name": "Bea B."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, me) = bea.get("/api/v1/me").await;
    assert_eq!(me["user"]["profile"], "observer", "{me}");
    assert_eq!(me["user"]["name"], "Bea B.");
    let (status, body) = bea
        .post("/api/v1/partners", json!({"email": "kim@client.test"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // A deactivation: her token stops working at once.
    let (status, body) = ann
        .patch(
            &format!("/api/v1/users/{}", bea.user_id()),
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = bea.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A log-out: the token is gone on the next request.
    let (status, _) = ann.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = ann.post("/api/v1/logout", json!({})).await;
    assert!(status.is_success(), "{status}");
    let (status, _) = ann.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

on_both_backends!(each_change_shows_on_the_next_request);
