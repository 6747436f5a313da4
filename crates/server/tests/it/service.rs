//! Service routes (health, readiness, metrics, OpenAPI, the API page), Retry-After, and
//! graceful shutdown.

use crate::on_both_backends;
use crate::support::envelope::{refused, signup_body};
use crate::support::slow_request::SlowRequest;
use crate::support::{Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

async fn service_routes(backend: Backend) {
    let app = TestApp::start(backend).await;
    let anon = app.anonymous();
    let http = reqwest::Client::new();
    for path in ["/healthz", "/readyz"] {
        let response = http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    // Some traffic, then the metrics.
    app.signup("Agency", "ann@agency.example").await;
    anon.get("/api/v1/me").await;
    anon.get("/api/v1/nope").await;
    let ann = app.login("ann@agency.example", "correct horse").await;
    ann.post(
        "/api/v1/users",
        json!({"email": "bob@agency.example", "name": "Bob", "profile": "observer"}),
    )
    .await;
    let response = http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain")));
    let text = response.text().await.unwrap();
    let has = |needle: &str| {
        text.lines()
            .any(|l| !l.starts_with('#') && l.contains(needle))
    };
    assert!(has("http_requests_total{"), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("http_requests_total{")
            && l.contains("route=\"/api/v1/signup\"")
            && l.contains("status=\"201\"")
            && l.contains("method=\"POST\"")),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.starts_with("http_requests_total{")
            && l.contains("route=\"/api/v1/me\"")
            && l.contains("status=\"401\"")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("http_request_duration_seconds_bucket{")
                && l.contains("route=\"/api/v1/login\"")),
        "{text}"
    );
    assert!(has("http_request_duration_seconds_count{"), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("coproof_outbox_depth ")),
        "{text}"
    );
    // Paths with ids are counted by their template, not one series per id.
    assert!(
        !text.contains("route=\"/api/v1/nope\""),
        "an unknown path became a label: {text}"
    );

    // The OpenAPI document names every route of api.md's tables implemented so far.
    let (status, doc) = anon.get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths = doc["paths"].as_object().expect("paths");
    let expected: &[(&str, &[&str])] = &[
        ("/api/v1/signup", &["post"]),
        ("/api/v1/login", &["post"]),
        ("/api/v1/logout", &["post"]),
        ("/api/v1/me", &["get"]),
        ("/api/v1/users", &["get", "post"]),
        ("/api/v1/users/{id}", &["patch"]),
        ("/api/v1/partners", &["get", "post"]),
        ("/api/v1/partners/{id}", &["get", "delete"]),
        ("/api/v1/partners/{id}/accept", &["post"]),
        ("/api/v1/partners/{id}/reject", &["post"]),
        ("/api/v1/audit", &["get"]),
        ("/api/v1/email/verify", &["post"]),
        ("/api/v1/email/verify/resend", &["post"]),
        ("/api/v1/password/forgot", &["post"]),
        ("/api/v1/password/reset", &["post"]),
        ("/api/v1/password", &["post"]),
        ("/api/v1/sessions", &["get", "delete"]),
        ("/api/v1/sessions/{id}", &["delete"]),
        ("/api/v1/tokens", &["post"]),
        ("/api/v1/two-factor", &["post", "delete"]),
        ("/api/v1/two-factor/confirm", &["post"]),
        ("/healthz", &["get"]),
        ("/readyz", &["get"]),
        ("/metrics", &["get"]),
        ("/api/v1/openapi.json", &["get"]),
        ("/api/docs", &["get"]),
        ("/api/docs.js", &["get"]),
        ("/api/docs.css", &["get"]),
    ];
    for (path, methods) in expected {
        let item = paths
            .get(*path)
            .unwrap_or_else(|| panic!("{path} missing from the OpenAPI document"));
        for method in *methods {
            assert!(item.get(*method).is_some(), "{method} {path} missing");
        }
    }

    // The interactive page.
    let response = http
        .get(format!("{}/api/docs", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html")));
    let html = response.text().await.unwrap();
    assert!(html.to_ascii_lowercase().contains("<html"), "{html}");
    for asset in ["/api/docs.js", "/api/docs.css"] {
        let response = http
            .get(format!("{}{asset}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{asset}");
    }
}

/// A request in flight when the server is told to stop still gets its answer: a sign-up
/// whose body is still arriving (and then hashes a password) when the stop begins.
async fn shutdown_lets_requests_finish(backend: Backend) {
    let mut app = TestApp::start(backend).await;
    let body = signup_body("ann@agency.example").to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    // The request reaches the handler (which starts reading the body) before the stop.
    let mut request =
        SlowRequest::reach_handler(&app.base, "POST", "/api/v1/signup", body.len()).await;
    request.send(first.as_bytes()).await;
    let rest = rest.as_bytes().to_vec();
    let finish = async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        request.send(&rest).await;
        request.answer().await
    };
    let started = std::time::Instant::now();
    let ((), (status, body)) = tokio::join!(app.stop(), finish);
    // A lower bound a loaded machine cannot break (it only makes things slower): the rest
    // of the body leaves 300 ms after the stop began, and the stop waits for the answer.
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the stop did not wait for the request"
    );
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // It was stored: after a restart, the user logs in.
    app.restart().await;
    app.login("ann@agency.example", "correct horse").await;
}

/// A request that stalls forever does not hold the server up past the grace period.
async fn shutdown_gives_up_on_stalled_requests(backend: Backend) {
    let mut app = TestApp::start_with(backend, |c| c.shutdown_grace_secs = 1).await;
    // In the handler, reading a body that never comes.
    let mut stalled = SlowRequest::reach_handler(&app.base, "POST", "/api/v1/login", 1000).await;
    stalled.send(b"{\"email\": ").await;
    let started = std::time::Instant::now();
    // Generous: it fails only if the stop hangs on the request (a loaded machine is slow,
    // not 30 s slow).
    tokio::time::timeout(Duration::from_secs(30), app.stop())
        .await
        .expect("the server stopped within its grace period");
    // A lower bound a loaded machine cannot break: the request was in its handler when the
    // stop began, so the stop waited out the 1-s grace period for it.
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(900), "{took:?}");
    // (In the test process the abandoned connection lingers; `coproof serve` exits.)
    drop(stalled);
}

/// A refusal that says when to come back carries `Retry-After`.
async fn rate_limits_say_when_to_retry(backend: Backend) {
    let app = TestApp::start_with(backend, |c| c.invite_limit_per_hour = 1).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let (status, body) = ann
        .post("/api/v1/partners", json!({"email": "kim@client.example"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/partners", app.base))
        .bearer_auth(ann.token.clone().unwrap())
        .json(&json!({"email": "lee@client.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header in seconds");
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    let body: Value = response.json().await.unwrap();
    refused(
        (StatusCode::TOO_MANY_REQUESTS, body),
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    );
}

on_both_backends!(
    service_routes,
    shutdown_lets_requests_finish,
    shutdown_gives_up_on_stalled_requests,
    rate_limits_say_when_to_retry,
);
