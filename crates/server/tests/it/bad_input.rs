//! Bad input: malformed and oversized bodies, wrong types, odd ids and routes, SQL-ish text.
//! Every answer is a 4xx with the error envelope, never a 5xx.

use crate::on_both_backends;
use crate::support::envelope::{assert_envelope, refused, signup_body};
use crate::support::{code, Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn malformed_requests_get_an_envelope(backend: Backend) {
    let app = TestApp::start_with(backend, |c| c.json_limit = 1024).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let anon = app.anonymous();
    let json = Some("application/json");
    let bodies: Vec<(&[u8], Option<&str>)> = vec![
        (b"", json),
        (b"{", json),
        (b"{\"email\": ", json),
        (b"not json at all", json),
        (b"{\"email\": \"a@b.example\", \"password\": \"x\"", json),
        (b"\xff\xfe\x00", json),
        (b"[]", json),
        (b"null", json),
        (
            b"{\"email\": \"a@b.example\", \"password\": \"correct horse\"}",
            Some("text/plain"),
        ),
        (
            b"email=a@b.example&password=x",
            Some("application/x-www-form-urlencoded"),
        ),
        (
            b"{\"email\": \"a@b.example\", \"password\": \"correct horse\"}",
            None,
        ),
    ];
    for (path, client) in [("/api/v1/login", &anon), ("/api/v1/users", &ann)] {
        for (body, content_type) in &bodies {
            let (status, answer) = client
                .raw(Method::POST, path, body.to_vec(), *content_type)
                .await;
            assert!(
                status.is_client_error(),
                "{path} {body:?} {content_type:?}: {status} {answer}"
            );
            assert_envelope(&answer);
        }
    }
    // Over the limit: 413, for a sign-up, a log-in and a signed-in request alike.
    let big = json!({"email": "a@b.example", "password": "x".repeat(2000)});
    refused(
        anon.post("/api/v1/login", big.clone()).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    let mut big_signup = signup_body("big@agency.example");
    big_signup["name"] = json!("n".repeat(5000));
    refused(
        anon.post("/api/v1/signup", big_signup).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    refused(
        ann.patch(
            &format!("/api/v1/users/{}", ann.user_id()),
            json!({"name": "n".repeat(100_000)}),
        )
        .await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    // Chunked (no Content-Length) and over the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![
        Ok(b"{\"email\": \"a@b.example\", \"password\": \"".to_vec()),
        Ok(vec![b'x'; 3000]),
        Ok(b"\"}".to_vec()),
    ];
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/login", app.base))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    refused(
        (status, body),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    // Just under the limit is fine.
    let (status, _) = ann
        .patch(
            &format!("/api/v1/users/{}", ann.user_id()),
            json!({"name": "n".repeat(150)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Wrong types in PATCH.
    for change in [
        json!({"active": "yes"}),
        json!({"active": 1}),
        json!({"name": 5}),
        json!({"profile": ["admin"]}),
        json!({"name": ""}),
        json!({"profile": "root"}),
    ] {
        refused(
            ann.patch(&format!("/api/v1/users/{}", ann.user_id()), change)
                .await,
            StatusCode::BAD_REQUEST,
            "invalid_input",
        );
    }
    let (_, me) = ann.get("/api/v1/me").await;
    assert_eq!(me["user"]["profile"], "billing_admin");
    assert_eq!(me["user"]["active"], true);
}

async fn odd_ids_and_routes(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let long = "a".repeat(4000);
    let odd = [
        "..%2fx",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        long.as_str(),
        "%ED%95%9C%EA%B8%80",
        "%00",
        "abc%00def",
        "%FF%FE",
        "1%20OR%201%3D1",
        "'%3B%20DROP%20TABLE%20users%3B--",
        "%F0%9F%98%80",
        "0",
        "-1",
        "null",
    ];
    for id in odd {
        let (status, body) = ann
            .patch(&format!("/api/v1/users/{id}"), json!({"name": "X"}))
            .await;
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST,
            "{id}: {status} {body}"
        );
        assert_envelope(&body);
    }
    // Ids that are plain text are not found.
    for id in ["..%2fx", "%ED%95%9C%EA%B8%80", "%00", "0", long.as_str()] {
        refused(
            ann.patch(&format!("/api/v1/users/{id}"), json!({"name": "X"}))
                .await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    // Unknown routes and wrong methods.
    let anon = app.anonymous();
    for path in [
        "/nope",
        "/api/v1/nope",
        "/api/v2/me",
        "/api/v1/users/a/b",
        "/api/v1/",
    ] {
        refused(anon.get(path).await, StatusCode::NOT_FOUND, "not_found");
        refused(ann.get(path).await, StatusCode::NOT_FOUND, "not_found");
    }
    for (method, path) in [
        (Method::GET, "/api/v1/signup"),
        (Method::DELETE, "/api/v1/me"),
        (Method::PUT, "/api/v1/users"),
        (Method::GET, "/api/v1/logout"),
        (Method::DELETE, "/api/v1/users/0123456789abcdefghjkmnpqrs"),
        (Method::POST, "/healthz"),
    ] {
        let (status, body) = ann.request(method.clone(), path, None).await;
        assert_eq!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {body}"
        );
        assert_envelope(&body);
        assert_eq!(code(&body), "method_not_allowed");
    }
}

/// SQL-ish and unusual text is stored and shown verbatim, and harms nothing.
async fn sqlish_text_is_just_text(backend: Backend) {
    let app = TestApp::start(backend).await;
    let account_name = "Robert'); DROP TABLE accounts;--";
    let name = "x' OR '1'='1\" -- ; SELECT * FROM users; /*";
    let email = "o'brien+x'or'1'='1@agency.example";
    let (status, body) = app
        .anonymous()
        .post(
            "/api/v1/signup",
            json!({"account_name": account_name, "name": name, "email": email,
                   "password": "'; DROP TABLE users;--"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["account"]["name"], account_name);
    assert_eq!(body["user"]["name"], name);
    assert_eq!(body["user"]["email"], email);
    let owner = app.login(email, "'; DROP TABLE users;--").await;
    for nasty in [
        "%' OR 1=1 --",
        "\\'; DELETE FROM tokens; --",
        "😀 김민지 <script>alert(1)</script>",
        "$1 $2 ?",
    ] {
        let (status, body) = owner
            .post(
                "/api/v1/users",
                json!({"email": format!("u{}@agency.example", nasty.len()), "name": nasty,
                       "profile": "visitor", "password": "correct horse"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["name"], nasty);
    }
    // A SQL-ish login is just a wrong password.
    refused(
        app.anonymous()
            .post(
                "/api/v1/login",
                json!({"email": email, "password": "' OR '1'='1"}),
            )
            .await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
    // Everything is still there.
    let (status, list) = owner.get("/api/v1/users").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["users"].as_array().unwrap().len(), 5);
    let (_, me) = owner.get("/api/v1/me").await;
    assert_eq!(me["account"]["name"], account_name);
    app.signup("Other", "other@agency.example").await;
}

/// Every identity route: malformed bodies, wrong types and odd values are a 4xx with a
/// code, and change nothing (the user can still sign in with its password, no session or
/// token appeared).
async fn identity_routes_refuse_bad_input(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let anon = app.anonymous();
    let (_, before) = ann.get("/api/v1/sessions").await;
    let cases: Vec<(&crate::support::Client, Method, &str, Value, &str)> = vec![
        (
            &anon,
            Method::POST,
            "/api/v1/email/verify",
            json!({}),
            "invalid_input",
        ),
        (
            &anon,
            Method::POST,
            "/api/v1/email/verify",
            json!({"token": 7}),
            "invalid_input",
        ),
        (
            &anon,
            Method::POST,
            "/api/v1/email/verify",
            json!({"token": "../../etc"}),
            "invalid_token",
        ),
        (
            &anon,
            Method::POST,
            "/api/v1/email/verify",
            json!({"token": "ab".repeat(32)}),
            "invalid_token",
        ),
        (
            &anon,
            Method::POST,
            "/api/v1/password/forgot",
            json!({"email": "not an address"}),
            "invalid_email",
        ),
        (
            &anon,
            Method::POST,
            "/api/v1/password/forgot",
            json!({"email": null}),
            "invalid_input",
        ),
        (
            &anon,
            Method::POST,
            "/api/v1/password/reset",
            json!({"token": "x", "password": "long enough"}),
            "invalid_token",
        ),
        (
            &anon,
            Method::POST,
            "/api/v1/password/reset",
            json!({"token": "ab".repeat(32), "password": "short"}),
            "invalid_password",
        ),
        (
            &anon,
            Method::POST,
            "/api/v1/password/reset",
            json!({"password": "long enough"}),
            "invalid_input",
        ),
        (
            &ann,
            Method::POST,
            "/api/v1/password",
            json!({"current_password": "correct horse", "new_password": "short"}),
            "invalid_password",
        ),
        (
            &ann,
            Method::POST,
            "/api/v1/password",
            json!({"current_password": "correct horse"}),
            "invalid_input",
        ),
        (
            &ann,
            Method::POST,
            "/api/v1/tokens",
            json!({"name": ""}),
            "invalid_input",
        ),
        (
            &ann,
            Method::POST,
            "/api/v1/tokens",
            json!({"name": "x", "expires_in_days": 0}),
            "invalid_input",
        ),
        (
            &ann,
            Method::POST,
            "/api/v1/tokens",
            json!({"name": "x", "expires_in_days": 366}),
            "invalid_input",
        ),
        (
            &ann,
            Method::POST,
            "/api/v1/tokens",
            json!({"name": "x", "expires_in_days": -1}),
            "invalid_input",
        ),
        (
            &ann,
            Method::POST,
            "/api/v1/tokens",
            json!({"name": "n".repeat(101)}),
            "invalid_input",
        ),
        (
            &ann,
            Method::DELETE,
            "/api/v1/sessions/1%20OR%201=1",
            json!({}),
            "not_found",
        ),
        (
            &ann,
            Method::POST,
            "/api/v1/two-factor/confirm",
            json!({"code": "123456"}),
            "invalid_code",
        ),
        (
            &ann,
            Method::POST,
            "/api/v1/two-factor/confirm",
            json!({"code": 123456}),
            "invalid_input",
        ),
        (
            &ann,
            Method::DELETE,
            "/api/v1/two-factor",
            json!({"password": "correct horse"}),
            "invalid_input",
        ),
        (
            &ann,
            Method::GET,
            "/api/v1/audit?action=drop%20table",
            json!(null),
            "invalid_input",
        ),
        (
            &ann,
            Method::GET,
            "/api/v1/audit?limit=0",
            json!(null),
            "invalid_input",
        ),
        (
            &anon,
            Method::POST,
            "/api/v1/login",
            json!({"email": "ann@agency.example", "password": "correct horse", "code": 5}),
            "invalid_input",
        ),
    ];
    for (client, method, path, body, want) in cases {
        let body = (!body.is_null()).then_some(body);
        let (status, answer) = client.request(method.clone(), path, body.clone()).await;
        assert!(
            status.is_client_error(),
            "{method} {path} {body:?}: {status} {answer}"
        );
        assert_envelope(&answer);
        assert_eq!(code(&answer), want, "{method} {path} {body:?}: {answer}");
    }
    // Nothing changed: the same sessions, the same password.
    let (_, after) = ann.get("/api/v1/sessions").await;
    assert_eq!(before, after);
    app.login("ann@agency.example", "correct horse").await;
}

/// Bidi overrides, zero-width and other invisible format characters are refused in every
/// name (the rule is `coproof_core::name`), and nothing is written.
async fn invisible_characters_in_names_are_refused(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let anon = app.anonymous();
    let mut signup = signup_body("eve@agency.example");
    signup["account_name"] = json!("Evil\u{202E}Corp");
    let cases = [
        (&anon, "/api/v1/signup", signup),
        (&ann, "/api/v1/folders", json!({"name": "\u{202E}gpj.exe"})),
        (
            &ann,
            "/api/v1/contacts",
            json!({"email": "g@guest.example", "name": "G\u{200B}uest"}),
        ),
        (
            &ann,
            "/api/v1/users",
            json!({"email": "zed@agency.example", "name": "Z\u{2066}ed", "profile": "manager"}),
        ),
        (&ann, "/api/v1/tokens", json!({"name": "ci\u{FEFF}"})),
    ];
    for (client, path, body) in cases {
        refused(
            client.post(path, body.clone()).await,
            StatusCode::BAD_REQUEST,
            "invalid_input",
        );
    }
    refused(
        ann.patch(
            &format!("/api/v1/users/{}", ann.user_id()),
            json!({"name": "Ann\u{200F}"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    );
    let (_, root) = ann.get("/api/v1/users").await;
    assert_eq!(root["users"].as_array().map(Vec::len), Some(1), "{root}");
    assert_eq!(root["users"][0]["name"], "Admin of Agency");
}

on_both_backends!(
    invisible_characters_in_names_are_refused,
    identity_routes_refuse_bad_input,
    malformed_requests_get_an_envelope,
    odd_ids_and_routes,
    sqlish_text_is_just_text,
);
