//! Identity end to end (`spec/api.md`, "Identity"; `spec/partners.md`, "What each side
//! sees"): verified addresses, password recovery and change, throttled sign-in, and the
//! partner requests that wait for a verified address. Every link a user takes comes from
//! the real e-mail, received by an SMTP listener, as a user would take it.

use crate::on_both_backends;
use crate::support::message::Message;
use crate::support::partners::{act, audit_entries, partners, sent};
use crate::support::smtp::{free_port, SmtpSink};
use crate::support::{code, eventually, secs, Backend, Client, TestApp};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse";
/// An `http` public URL: the pages' cookies are not `Secure`, so a plain-HTTP browser keeps
/// them.
const PUBLIC: &str = "http://proof.example";

/// The app, with its mail going to a fresh SMTP listener and links under [`PUBLIC`].
async fn start(backend: Backend) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start(free_port().await).await;
    let url = sink.url();
    let app = TestApp::start_with(backend, |c| {
        c.smtp_url = Some(url);
        c.public_url = Some(PUBLIC.into());
    })
    .await;
    (app, sink)
}

/// Whether an SMTP envelope recipient (`<a@b>`) is exactly `address`.
fn is_recipient(envelope: &str, address: &str) -> bool {
    envelope
        .trim()
        .trim_start_matches('<')
        .split('>')
        .next()
        .is_some_and(|a| a.eq_ignore_ascii_case(address))
}

/// The messages received so far for `address`, decoded, in arrival order.
fn mails_to(sink: &SmtpSink, address: &str) -> Vec<Message> {
    sink.received()
        .iter()
        .filter(|r| r.to.iter().any(|t| is_recipient(t, address)))
        .map(|r| Message::from_smtp(&r.data))
        .collect()
}

/// The secret of every `{PUBLIC}{path}?token=` link in the mail received so far for
/// `address`, in arrival order.
fn tokens_in(sink: &SmtpSink, address: &str, path: &str) -> Vec<String> {
    let marker = format!("{PUBLIC}{path}?token=");
    mails_to(sink, address)
        .iter()
        .filter_map(|m| {
            let (_, rest) = m.body.split_once(&marker)?;
            let token: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
            assert_eq!(token.len(), 64, "a 256-bit secret in hex: {}", m.body);
            Some(token)
        })
        .collect()
}

/// Waits (up to 20 s) until mail to `address` carried at least `n` links to `path`; the
/// secrets of all of them, in arrival order.
async fn wait_tokens(sink: &SmtpSink, address: &str, path: &str, n: usize) -> Vec<String> {
    eventually(
        format!("{n} {path} link(s) in mail to {address}"),
        secs(20),
        || async {
            let found = tokens_in(sink, address, path);
            if found.len() >= n {
                Ok(found)
            } else {
                Err(mails_to(sink, address))
            }
        },
    )
    .await
}

/// The secret of the (only) link to `path` e-mailed to `address`.
async fn wait_token(sink: &SmtpSink, address: &str, path: &str) -> String {
    let mut found = wait_tokens(sink, address, path, 1).await;
    assert_eq!(found.len(), 1, "one {path} link to {address}: {found:?}");
    found.pop().expect("a link")
}

/// Signs up through the API as a newcomer would (the harness's `signup` vouches for the
/// address; this does not): the client, whose address is not verified yet.
async fn sign_up(app: &TestApp, account: &str, email: &str) -> Client {
    let (status, body) = app
        .anonymous()
        .post(
            "/api/v1/signup",
            json!({"account_name": account, "name": format!("Admin of {account}"),
                   "email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "sign-up failed: {body}");
    assert_eq!(body["user"]["email_verified"], false, "{body}");
    Client::signed_in(&app.base, &body)
}

/// Uses a verification link; the user it answers with.
async fn verify(app: &TestApp, token: &str) -> Value {
    let (status, body) = app
        .anonymous()
        .post("/api/v1/email/verify", json!({ "token": token }))
        .await;
    assert_eq!(status, StatusCode::OK, "verifying: {body}");
    assert_eq!(body["email_verified"], true, "{body}");
    body
}

/// `GET /me` of `client`: whether its token works, and the user's `email_verified`.
async fn me(client: &Client) -> (StatusCode, Value) {
    client.get("/api/v1/me").await
}

/// A sign-in attempt: status, headers and body.
async fn try_login(app: &TestApp, email: &str, password: &str) -> (StatusCode, HeaderMap, Value) {
    app.anonymous()
        .request_with_headers(
            Method::POST,
            "/api/v1/login",
            Some(json!({"email": email, "password": password})),
        )
        .await
}

/// A POST without credentials, with the answer's headers.
async fn post_anonymous(app: &TestApp, path: &str, body: Value) -> (StatusCode, HeaderMap, Value) {
    app.anonymous()
        .request_with_headers(Method::POST, path, Some(body))
        .await
}

/// Expects 429 `rate_limited` with a `Retry-After` of a positive number of seconds, at most
/// `window_secs`.
fn throttled(answer: &(StatusCode, HeaderMap, Value), window_secs: u64, what: &str) {
    let (status, headers, body) = answer;
    assert_eq!(*status, StatusCode::TOO_MANY_REQUESTS, "{what}: {body}");
    assert_eq!(code(body), "rate_limited", "{what}: {body}");
    let retry = headers
        .get("retry-after")
        .unwrap_or_else(|| panic!("{what}: no Retry-After header"))
        .to_str()
        .expect("an ASCII header");
    let secs: u64 = retry
        .parse()
        .unwrap_or_else(|_| panic!("{what}: Retry-After is not a number of seconds: {retry}"));
    assert!(
        secs > 0 && secs <= window_secs,
        "{what}: Retry-After {secs} outside 1..={window_secs}"
    );
}

/// The e-mail addresses of the members on `client`'s Contacts page (every page).
async fn member_emails(client: &Client) -> Vec<String> {
    let mut found = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, body) = client
            .get(&format!(
                "/api/v1/contacts?kind=member&limit=200&cursor={cursor}"
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "listing contacts: {body}");
        for c in body["contacts"].as_array().cloned().unwrap_or_default() {
            found.push(c["email"].as_str().unwrap_or_default().to_string());
        }
        match body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => return found,
        }
    }
}

/// The relationship `id` on `client`'s Partners tab, if listed.
async fn listed(client: &Client, id: &str) -> Option<Value> {
    partners(client).await.into_iter().find(|r| r["id"] == id)
}

/// `admin` adds a user (with `password`, or none); the new user as answered.
async fn add_user(admin: &Client, email: &str, profile: &str, password: Option<&str>) -> Value {
    let mut body = json!({"email": email, "name": format!("User {email}"), "profile": profile});
    if let Some(p) = password {
        body["password"] = json!(p);
    }
    let (status, body) = admin.post("/api/v1/users", body).await;
    assert_eq!(status, StatusCode::CREATED, "adding {email}: {body}");
    assert_eq!(body["email_verified"], false, "{body}");
    body
}

/// How many verification e-mails were queued (sent or not) for `recipient`.
async fn links_queued(app: &TestApp, recipient: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM outbox WHERE kind = 'verify_email' AND recipient = $1",
    )
    .bind(recipient)
    .fetch_one(&mut *app.state().store.read().await.unwrap())
    .await
    .expect("count the outbox")
}

// ---------------------------------------------------------------------------------------
// Verified addresses

/// "`POST /signup` … 201, `user.email_verified = false`; a verification e-mail goes out";
/// "`POST /email/verify` … 200 User; 400 `invalid_token` (unknown, used or expired)";
/// each link works once.
async fn signing_up_sends_a_link_that_verifies_the_address_once(backend: Backend) {
    let (app, sink) = start(backend).await;
    let ann = sign_up(&app, "Agency", "ann@agency.example").await;
    let (status, body) = me(&ann).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["email_verified"], false, "{body}");

    let token = wait_token(&sink, "ann@agency.example", "/verify-email").await;
    let user = verify(&app, &token).await;
    assert_eq!(user["id"], ann.user["id"], "{user}");
    assert_eq!(user["email"], "ann@agency.example");
    let (_, body) = me(&ann).await;
    assert_eq!(body["user"]["email_verified"], true, "{body}");

    // The link works once; unknown and malformed secrets are refused alike.
    let unknown = "0123456789abcdef".repeat(4);
    let not_hex = "z".repeat(64);
    for bad in [
        token.as_str(),
        unknown.as_str(),
        "abc",
        not_hex.as_str(),
        "",
    ] {
        let (status, body) = app
            .anonymous()
            .post("/api/v1/email/verify", json!({ "token": bad }))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "token {bad:?}: {body}");
        assert_eq!(code(&body), "invalid_token", "token {bad:?}: {body}");
    }
    sink.stop();
}

/// "a user added with a password" gets the verification link; the link verifies it.
async fn a_user_added_with_a_password_gets_a_verification_link(backend: Backend) {
    let (app, sink) = start(backend).await;
    let admin = app.signup("Agency", "ann@agency.example").await;
    add_user(&admin, "kim@agency.example", "manager", Some(PASSWORD)).await;
    let kim = app.login("kim@agency.example", PASSWORD).await;
    assert_eq!(kim.user["email_verified"], false, "{}", kim.user);

    let token = wait_token(&sink, "kim@agency.example", "/verify-email").await;
    let user = verify(&app, &token).await;
    assert_eq!(user["id"], kim.user["id"]);
    let (_, body) = me(&kim).await;
    assert_eq!(body["user"]["email_verified"], true, "{body}");
    sink.stop();
}

/// "the set-password link of a user added without one" verifies the address, taken through
/// the page as a browser would.
async fn the_set_password_link_verifies_the_address(backend: Backend) {
    let (app, sink) = start(backend).await;
    let admin = app.signup("Agency", "ann@agency.example").await;
    add_user(&admin, "new@agency.example", "manager", None).await;
    let token = wait_token(&sink, "new@agency.example", "/set-password").await;

    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("a client");
    let form = browser
        .get(format!("{}/set-password?token={token}", app.base))
        .send()
        .await
        .expect("the page");
    assert_eq!(form.status(), StatusCode::OK);
    let html = form.text().await.expect("a page");
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF field")
        .to_string();
    let done = browser
        .post(format!("{}/set-password", app.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("token", token.as_str()),
            ("password", "long enough 1"),
            ("confirm", "long enough 1"),
        ])
        .send()
        .await
        .expect("the form is posted");
    assert!(
        done.url().as_str().contains("/login?ok=password_set"),
        "{} {}",
        done.status(),
        done.url()
    );

    let new = app.login("new@agency.example", "long enough 1").await;
    assert_eq!(new.user["email_verified"], true, "{}", new.user);
    sink.stop();
}

/// "`POST /email/verify/resend` (signed in) | 202 | 429 `rate_limited`": five an hour; once
/// verified, nothing more is sent.
async fn sending_the_link_again_is_limited_to_five_an_hour(backend: Backend) {
    let (app, sink) = start(backend).await;
    let (status, body) = app
        .anonymous()
        .post("/api/v1/email/verify/resend", json!({}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "signed out: {body}");

    let ann = sign_up(&app, "Agency", "ann@agency.example").await;
    for i in 1..=5 {
        let (status, body) = ann.post("/api/v1/email/verify/resend", json!({})).await;
        assert_eq!(status, StatusCode::ACCEPTED, "resend {i}: {body}");
        assert_eq!(body, json!({}), "resend {i}");
    }
    let sixth = ann
        .request_with_headers(Method::POST, "/api/v1/email/verify/resend", Some(json!({})))
        .await;
    throttled(&sixth, 3600, "the sixth resend");

    // The sign-up's link and five more arrive; the newest link verifies.
    let tokens = wait_tokens(&sink, "ann@agency.example", "/verify-email", 6).await;
    assert_eq!(tokens.len(), 6, "{tokens:?}");
    let mut verified = false;
    for token in tokens.iter().rev() {
        let (status, body) = app
            .anonymous()
            .post("/api/v1/email/verify", json!({ "token": token }))
            .await;
        if status == StatusCode::OK {
            assert_eq!(body["email_verified"], true, "{body}");
            verified = true;
            break;
        }
    }
    assert!(verified, "no e-mailed link verified the address");

    // Verified: asking again is answered 202 and queues nothing.
    assert_eq!(links_queued(&app, "ann@agency.example").await, 6);
    let (status, body) = ann.post("/api/v1/email/verify/resend", json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "verified: {body}");
    assert_eq!(
        links_queued(&app, "ann@agency.example").await,
        6,
        "a verified address got another link"
    );
    sink.stop();
}

// ---------------------------------------------------------------------------------------
// Passwords

/// "`POST /password/forgot` … 202 `{}`, the same for every address, known or not; an
/// active user gets a reset e-mail".
async fn forgot_password_answers_the_same_for_every_address(backend: Backend) {
    let (app, sink) = start(backend).await;
    sign_up(&app, "Agency", "ann@agency.example").await;
    let known = post_anonymous(
        &app,
        "/api/v1/password/forgot",
        json!({"email": "ann@agency.example"}),
    )
    .await;
    let unknown = post_anonymous(
        &app,
        "/api/v1/password/forgot",
        json!({"email": "nobody@nowhere.example"}),
    )
    .await;
    assert_eq!(known.0, StatusCode::ACCEPTED, "{}", known.2);
    assert_eq!(known.2, json!({}));
    assert_eq!(
        (unknown.0, &unknown.2),
        (known.0, &known.2),
        "the answer tells whether the address has a user"
    );

    let token = wait_token(&sink, "ann@agency.example", "/reset-password").await;
    assert_eq!(token.len(), 64);
    assert!(app.mail_delivered(20).await, "the outbox empties");
    assert!(
        mails_to(&sink, "nobody@nowhere.example").is_empty(),
        "mail went to an address with no user"
    );
    sink.stop();
}

/// "`POST /password/reset` … 200 `{}`; every session and token of the user ends; the
/// address counts as verified"; the link works once; a short password is refused.
async fn a_reset_link_sets_the_password_ends_every_session_and_verifies(backend: Backend) {
    let (app, sink) = start(backend).await;
    let first = sign_up(&app, "Agency", "ann@agency.example").await;
    let second = app.login("ann@agency.example", PASSWORD).await;
    let (status, _, _) = post_anonymous(
        &app,
        "/api/v1/password/forgot",
        json!({"email": "ann@agency.example"}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let token = wait_token(&sink, "ann@agency.example", "/reset-password").await;

    let reset = |token: String, password: &'static str| {
        let app = &app;
        async move {
            app.anonymous()
                .post(
                    "/api/v1/password/reset",
                    json!({"token": token, "password": password}),
                )
                .await
        }
    };
    let (status, body) = reset(token.clone(), "short").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(code(&body), "invalid_password", "{body}");
    let (status, body) = reset("abc".into(), "new battery staple").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(code(&body), "invalid_token", "{body}");
    // Both still signed in: nothing was used up.
    assert_eq!(me(&first).await.0, StatusCode::OK);

    let (status, body) = reset(token.clone(), "new battery staple").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({}));
    for (which, client) in [("sign-up", &first), ("log-in", &second)] {
        let (status, body) = me(client).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "the {which} token still works: {body}"
        );
    }
    let (status, _, body) = try_login(&app, "ann@agency.example", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "old password: {body}");
    assert_eq!(code(&body), "invalid_credentials");
    let ann = app.login("ann@agency.example", "new battery staple").await;
    assert_eq!(
        ann.user["email_verified"], true,
        "a reset link proves the mailbox: {}",
        ann.user
    );

    let (status, body) = reset(token, "another one 123").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "second use: {body}");
    assert_eq!(code(&body), "invalid_token", "{body}");
    assert_eq!(
        me(&ann).await.0,
        StatusCode::OK,
        "a refused reuse ends nothing"
    );
    sink.stop();
}

/// Reset requests: five an hour per address, the sixth 429 with `Retry-After`, for a
/// known address and an unknown one alike; another address is unaffected.
async fn forgot_password_is_limited_per_address_known_or_not(backend: Backend) {
    let (app, sink) = start(backend).await;
    sign_up(&app, "Agency", "ann@agency.example").await;
    let mut sixths = Vec::new();
    for email in ["ann@agency.example", "nobody@nowhere.example"] {
        for i in 1..=5 {
            let (status, _, body) =
                post_anonymous(&app, "/api/v1/password/forgot", json!({ "email": email })).await;
            assert_eq!(status, StatusCode::ACCEPTED, "{email} request {i}: {body}");
            assert_eq!(body, json!({}));
        }
        let sixth =
            post_anonymous(&app, "/api/v1/password/forgot", json!({ "email": email })).await;
        throttled(&sixth, 3600, &format!("the sixth request for {email}"));
        sixths.push((sixth.0, code(&sixth.2).to_string()));
    }
    assert_eq!(sixths[0], sixths[1], "the throttle tells a known address");
    let (status, _, body) = post_anonymous(
        &app,
        "/api/v1/password/forgot",
        json!({"email": "other@agency.example"}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "another address: {body}");
    sink.stop();
}

/// "`POST /password` … 204; the user's other sessions and tokens end"; 403
/// `wrong_password`; 400 `invalid_password`.
async fn changing_the_password_keeps_this_session_and_ends_the_others(backend: Backend) {
    let (app, sink) = start(backend).await;
    let ann = sign_up(&app, "Agency", "ann@agency.example").await;
    let other = app.login("ann@agency.example", PASSWORD).await;

    let change = |current: &'static str, new: &'static str| {
        let ann = &ann;
        async move {
            ann.request(
                Method::POST,
                "/api/v1/password",
                Some(json!({"current_password": current, "new_password": new})),
            )
            .await
        }
    };
    let (status, body) = change("wrong horse", "new battery staple").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(code(&body), "wrong_password", "{body}");
    let (status, body) = change(PASSWORD, "short").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(code(&body), "invalid_password", "{body}");
    assert_eq!(
        me(&other).await.0,
        StatusCode::OK,
        "refused changes end nothing"
    );

    let (status, body) = change(PASSWORD, "new battery staple").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(me(&ann).await.0, StatusCode::OK, "the caller's token ended");
    let (status, body) = me(&other).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "another session lives: {body}"
    );

    let (status, _, body) = try_login(&app, "ann@agency.example", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "old password: {body}");
    assert_eq!(code(&body), "invalid_credentials");
    app.login("ann@agency.example", "new battery staple").await;
    let (status, body) = app
        .anonymous()
        .post(
            "/api/v1/password",
            json!({"current_password": "new battery staple", "new_password": "whatever 1234"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "signed out: {body}");
    sink.stop();
}

// ---------------------------------------------------------------------------------------
// Sign-in throttling

/// "after 5 failures in 15 minutes for an address … further attempts get 429
/// `rate_limited` with `Retry-After`, whatever the password"; other addresses go on.
async fn the_sixth_failed_sign_in_is_throttled_even_with_the_right_password(backend: Backend) {
    let app = TestApp::start(backend).await;
    app.signup("Agency", "ann@agency.example").await;
    app.signup("Beta Works", "bob@beta.example").await;
    for i in 1..=5 {
        let (status, _, body) = try_login(&app, "ann@agency.example", "wrong horse").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "failure {i}: {body}");
        assert_eq!(code(&body), "invalid_credentials", "failure {i}");
    }
    let right = try_login(&app, "ann@agency.example", PASSWORD).await;
    throttled(&right, 900, "the right password after five failures");
    assert!(right.2.get("token").is_none(), "a token while throttled");
    let wrong = try_login(&app, "ann@agency.example", "wrong horse").await;
    throttled(&wrong, 900, "a seventh attempt");

    // Another address is not held back.
    let (status, _, body) = try_login(&app, "bob@beta.example", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "another address: {body}");
}

/// "Failed sign-ins are throttled per address (known or not, the same)".
async fn an_unknown_address_is_throttled_like_a_known_one(backend: Backend) {
    let app = TestApp::start(backend).await;
    app.signup("Agency", "ann@agency.example").await;
    let mut answers = Vec::new();
    for email in ["ann@agency.example", "ghost@agency.example"] {
        let mut seen = Vec::new();
        for _ in 1..=5 {
            let (status, _, body) = try_login(&app, email, "wrong horse").await;
            seen.push((status, body));
        }
        let sixth = try_login(&app, email, "wrong horse").await;
        throttled(&sixth, 900, &format!("the sixth attempt for {email}"));
        // Retry-After may differ by a second; the status and code may not.
        seen.push((sixth.0, json!(code(&sixth.2))));
        answers.push(seen);
    }
    for (status, body) in &answers[1][..5] {
        assert_eq!(*status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(code(body), "invalid_credentials", "{body}");
    }
    assert_eq!(
        answers[0], answers[1],
        "the answers tell a known address from an unknown one"
    );
}

// ---------------------------------------------------------------------------------------
// Partner requests and verified addresses

/// "an account's unverified users cannot send partner requests (403 `email_unverified`)";
/// once verified, they can.
async fn an_unverified_admin_cannot_send_partner_requests(backend: Backend) {
    let (app, sink) = start(backend).await;
    let ann = sign_up(&app, "Agency", "ann@agency.example").await;
    let (status, body) = ann
        .post("/api/v1/partners", json!({"email": "bob@beta.example"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(code(&body), "email_unverified", "{body}");
    assert!(
        partners(&ann).await.is_empty(),
        "a refused request is listed"
    );

    let token = wait_token(&sink, "ann@agency.example", "/verify-email").await;
    verify(&app, &token).await;
    sent(&ann, "bob@beta.example").await;
    sink.stop();
}

/// The takeover of issue 18: a request to `ceo@client.example` must not reach whoever signs
/// up with that address until they prove they read its mailbox; then it works as before.
async fn a_request_waits_until_the_address_is_verified(backend: Backend) {
    const CEO: &str = "ceo@client.example";
    let (app, sink) = start(backend).await;
    let a = app.signup("Agency", "ann@agency.example").await;
    add_user(&a, "ada@agency.example", "manager", None).await;
    let id = sent(&a, CEO).await;

    // Someone signs up with the address without reading its mailbox: nothing of A's.
    let ceo = sign_up(&app, "Client Corp", CEO).await;
    assert!(
        partners(&ceo).await.is_empty(),
        "an unverified address sees the request: {:?}",
        partners(&ceo).await
    );
    let (status, body) = ceo.get(&format!("/api/v1/partners/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(code(&body), "not_found");
    let (status, body) = act(&ceo, &id, "accept").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "accepting unverified: {body}"
    );
    assert_eq!(code(&body), "not_found");
    let members = member_emails(&ceo).await;
    for email in ["ann@agency.example", "ada@agency.example"] {
        assert!(
            !members.contains(&email.to_string()),
            "{email}: {members:?}"
        );
    }
    let on_a = listed(&a, &id).await.expect("the sender lists its request");
    assert_eq!(on_a["status"], "pending", "{on_a}");
    assert!(on_a["partner_account"].is_null(), "{on_a}");

    // The owner of the mailbox takes the link from the real e-mail.
    let token = wait_token(&sink, CEO, "/verify-email").await;
    verify(&app, &token).await;
    let on_ceo = listed(&ceo, &id)
        .await
        .expect("the request reaches the verified address");
    assert_eq!(on_ceo["direction"], "received", "{on_ceo}");
    assert_eq!(on_ceo["status"], "pending", "{on_ceo}");
    assert_eq!(on_ceo["email"], CEO);
    assert_eq!(on_ceo["partner_account"]["name"], "Agency", "{on_ceo}");
    let on_a = listed(&a, &id).await.expect("still listed");
    assert_eq!(on_a["status"], "pending", "{on_a}");
    assert!(
        on_a["partner_account"].is_null(),
        "the sender learns the account before acceptance: {on_a}"
    );

    let (status, body) = act(&ceo, &id, "accept").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "accepted", "{body}");
    eventually(
        "A's users appear on the new partner's contacts",
        secs(20),
        || async {
            let members = member_emails(&ceo).await;
            if ["ann@agency.example", "ada@agency.example"]
                .iter()
                .all(|e| members.contains(&e.to_string()))
            {
                Ok(())
            } else {
                Err(members)
            }
        },
    )
    .await;
    let on_a = listed(&a, &id).await.expect("still listed");
    assert_eq!(on_a["status"], "accepted", "{on_a}");
    assert_eq!(on_a["partner_account"]["name"], "Client Corp", "{on_a}");
    sink.stop();
}

/// "An admin who adds a user with that address gets the same": the request waits until the
/// added user verifies, whichever came first.
async fn a_user_added_by_an_admin_gets_waiting_requests_only_after_verifying(backend: Backend) {
    const CEO: &str = "ceo@client.example";
    let (app, sink) = start(backend).await;
    let a = app.signup("Agency", "ann@agency.example").await;
    let b = app.signup("Client Corp", "boss@client.example").await;
    add_user(&b, CEO, "admin", Some(PASSWORD)).await;
    let id = sent(&a, CEO).await;

    assert!(
        listed(&b, &id).await.is_none(),
        "attached through an unverified user"
    );
    let ceo = app.login(CEO, PASSWORD).await;
    assert!(partners(&ceo).await.is_empty());

    let token = wait_token(&sink, CEO, "/verify-email").await;
    verify(&app, &token).await;
    let on_b = listed(&b, &id).await.expect("attached once verified");
    assert_eq!(on_b["direction"], "received", "{on_b}");
    assert_eq!(on_b["status"], "pending", "{on_b}");
    let (status, body) = act(&ceo, &id, "accept").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "accepted", "{body}");
    sink.stop();
}

/// "the rejection e-mail names the invited address, not the account, unless the two were
/// partners before; the sender's audit log does not show that a waiting request attached to
/// an account."
async fn the_sender_learns_nothing_of_the_account_that_rejected(backend: Backend) {
    const ANN: &str = "ann@agency.example";
    let (app, sink) = start(backend).await;
    let a = app.signup("Agency", ANN).await;

    // A request waits for bob's address; bob signs up, verifies (it attaches), rejects.
    let to_bob = sent(&a, "bob@beta.example").await;
    let bob = sign_up(&app, "Beta Works", "bob@beta.example").await;
    let token = wait_token(&sink, "bob@beta.example", "/verify-email").await;
    verify(&app, &token).await;
    let (status, body) = act(&bob, &to_bob, "reject").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "rejected", "{body}");

    // Carol Co was A's partner once; a later request to another of its addresses is
    // rejected: that e-mail may name it.
    let carol = app.signup("Carol Co", "carol@carol.example").await;
    add_user(&carol, "cody@carol.example", "manager", Some(PASSWORD)).await;
    let token = wait_token(&sink, "cody@carol.example", "/verify-email").await;
    verify(&app, &token).await;
    let first = sent(&a, "carol@carol.example").await;
    let (status, body) = act(&carol, &first, "accept").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = act(&a, &first, "delete").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let to_cody = sent(&a, "cody@carol.example").await;
    let (status, body) = act(&carol, &to_cody, "reject").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let rejections = |sink: &SmtpSink| -> Vec<String> {
        mails_to(sink, ANN)
            .iter()
            .filter(|m| m.subject() == "Your partner request was rejected")
            .map(|m| format!("{}\n{}", m.subject(), m.body))
            .collect()
    };
    eventually("two rejection e-mails to the sender", secs(20), || async {
        if rejections(&sink).len() >= 2 {
            Ok(())
        } else {
            Err(mails_to(&sink, ANN))
        }
    })
    .await;
    let got = rejections(&sink);
    assert_eq!(got.len(), 2, "{got:?}");
    let to_bob_mail = got
        .iter()
        .find(|m| m.contains("bob@beta.example"))
        .expect("the rejection names the invited address");
    assert!(
        !to_bob_mail.contains("Beta Works"),
        "the rejection names the account: {to_bob_mail}"
    );
    let to_cody_mail = got
        .iter()
        .find(|m| m.contains("cody@carol.example"))
        .expect("the rejection names the invited address");
    assert!(
        to_cody_mail.contains("Carol Co"),
        "former partners are named: {to_cody_mail}"
    );

    let entries = audit_entries(&a).await;
    let actions: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default(),
                e["relationship_id"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        actions.contains(&("send", to_bob.as_str())),
        "the sender's log has its send: {actions:?}"
    );
    assert!(
        !actions.iter().any(|(action, _)| *action == "attach"),
        "the sender's log shows an attachment: {actions:?}"
    );
    sink.stop();
}

// ---------------------------------------------------------------------------------------
// Hygiene and access

/// "one-time secrets removed from outbox rows once delivered": the verification,
/// set-password and reset links' secrets are only in the mailbox.
async fn delivered_links_leave_no_secret_in_the_outbox(backend: Backend) {
    let (app, sink) = start(backend).await;
    let ann = sign_up(&app, "Agency", "ann@agency.example").await;
    add_user(&ann, "new@agency.example", "manager", None).await;
    let (status, _) = ann
        .post(
            "/api/v1/password/forgot",
            json!({"email": "ann@agency.example"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let secrets = [
        wait_token(&sink, "ann@agency.example", "/verify-email").await,
        wait_token(&sink, "new@agency.example", "/set-password").await,
        wait_token(&sink, "ann@agency.example", "/reset-password").await,
    ];
    assert!(app.mail_delivered(20).await, "the outbox empties");

    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT kind, params FROM outbox \
         WHERE kind IN ('verify_email', 'user_invited', 'password_reset')",
    )
    .fetch_all(&mut *app.state().store.read().await.unwrap())
    .await
    .expect("read the outbox");
    let mut kinds: Vec<&str> = rows.iter().map(|(k, _)| k.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        ["password_reset", "user_invited", "verify_email"],
        "the sent rows are kept (for the retention period)"
    );
    for (kind, params) in &rows {
        for secret in &secrets {
            assert!(
                !params.contains(secret.as_str()),
                "a delivered {kind} row keeps its secret: {params}"
            );
        }
    }
    sink.stop();
}

/// "`GET /users` refused to visitors" (the list holds every colleague's address); an
/// observer still lists them.
async fn visitors_cannot_list_the_users(backend: Backend) {
    let app = TestApp::start(backend).await;
    let admin = app.signup("Agency", "ann@agency.example").await;
    let visitor = app.add_user(&admin, "vic@agency.example", "visitor").await;
    let observer = app
        .add_user(&admin, "olly@agency.example", "observer")
        .await;
    let (status, body) = visitor.get("/api/v1/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(code(&body), "forbidden", "{body}");
    let (status, body) = observer.get("/api/v1/users").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let listed = body.to_string();
    assert!(listed.contains("vic@agency.example"), "{body}");
}

/// A log-in posted with an `X-Forwarded-For` header.
async fn login_via(app: &TestApp, forwarded_for: &str, email: &str) -> StatusCode {
    reqwest::Client::new()
        .post(format!("{}/api/v1/login", app.base))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"email": email, "password": "wrong password"}))
        .send()
        .await
        .expect("request")
        .status()
}

/// 50 failures from one client IP hold every address from it, known or not, whatever the
/// header says; behind a trusted proxy, `X-Forwarded-For` names the client instead.
async fn fifty_failures_from_one_ip_hold_it_and_a_trusted_proxy_names_the_client(backend: Backend) {
    let app = TestApp::start(backend).await;
    app.signup("Agency", "ann@agency.example").await;
    // Ten addresses, five failures each (each address stays under its own limit).
    for i in 0..50 {
        let email = format!("user{}@else.example", i / 5);
        assert_eq!(
            login_via(&app, "203.0.113.9", &email).await,
            StatusCode::UNAUTHORIZED,
            "attempt {i}"
        );
    }
    // The peer (127.0.0.1) is not a trusted proxy: the header changed nothing.
    throttled(
        &try_login(&app, "ann@agency.example", "correct horse").await,
        15 * 60,
        "the 51st attempt from the IP, with the right password",
    );
    assert_eq!(
        login_via(&app, "198.51.100.1", "fresh@else.example").await,
        StatusCode::TOO_MANY_REQUESTS
    );

    // Behind a trusted proxy, each client has its own budget.
    let proxied = TestApp::start_with(backend, |c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    for i in 0..50 {
        let email = format!("user{}@else.example", i / 5);
        assert_eq!(
            login_via(&proxied, "203.0.113.9", &email).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_via(&proxied, "203.0.113.9", "fresh@else.example").await,
        StatusCode::TOO_MANY_REQUESTS,
        "that client is held"
    );
    assert_eq!(
        login_via(&proxied, "198.51.100.1", "fresh@else.example").await,
        StatusCode::UNAUTHORIZED,
        "another client behind the same proxy is not"
    );
}

/// The housekeeping pass deletes delivered mail past the retention, tokens past their end
/// and attempts no throttle counts any more, and nothing else.
async fn housekeeping_deletes_only_what_nothing_needs(backend: Backend) {
    let (app, sink) = start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    wait_token(&sink, "ann@agency.example", "/verify-email").await;
    assert!(app.mail_delivered(10).await);
    let store = &app.state().store;
    let day = 24 * 3600 * 1_000_000_i64;
    let now = coproof_store::now_micros();
    // Age what should go: the delivered mail 31 days, one token past its end, an attempt
    // two hours old; keep fresh ones of each beside them.
    let mut tx = store.begin().await.unwrap();
    sqlx::query("UPDATE outbox SET sent_at = $1 WHERE sent_at IS NOT NULL")
        .bind(now - 31 * day)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("INSERT INTO throttle_attempts (key, at) VALUES ('old', $1), ('new', $2)")
        .bind(now - 2 * day)
        .bind(now)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (status, old) = ann.post("/api/v1/tokens", json!({"name": "old"})).await;
    assert_eq!(status, StatusCode::CREATED, "{old}");
    let mut tx = store.begin().await.unwrap();
    sqlx::query("UPDATE tokens SET expires_at = $1 WHERE id = $2")
        .bind(now - 1)
        .bind(old["id"].as_str().unwrap())
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // Fresh mail: a reset link, delivered now.
    post_anonymous(
        &app,
        "/api/v1/password/forgot",
        json!({"email": "ann@agency.example"}),
    )
    .await;
    wait_token(&sink, "ann@agency.example", "/reset-password").await;
    assert!(app.mail_delivered(10).await);

    coproof_server::housekeeping::Housekeeping::new(store.clone(), 30)
        .run_once()
        .await
        .unwrap();
    let count = |sql: &'static str| async move {
        let mut r = store.read().await.unwrap();
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&mut *r)
            .await
            .unwrap()
    };
    assert_eq!(
        count("SELECT COUNT(*) FROM outbox WHERE kind = 'verify_email'").await,
        0
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM outbox WHERE kind = 'password_reset'").await,
        1
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM throttle_attempts WHERE key = 'old'").await,
        0
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM throttle_attempts WHERE key = 'new'").await,
        1
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM tokens WHERE name = 'old'").await,
        0
    );
    assert_eq!(me(&ann).await.0, StatusCode::OK, "live tokens stay");
}

on_both_backends!(
    housekeeping_deletes_only_what_nothing_needs,
    fifty_failures_from_one_ip_hold_it_and_a_trusted_proxy_names_the_client,
    signing_up_sends_a_link_that_verifies_the_address_once,
    a_user_added_with_a_password_gets_a_verification_link,
    the_set_password_link_verifies_the_address,
    sending_the_link_again_is_limited_to_five_an_hour,
    forgot_password_answers_the_same_for_every_address,
    a_reset_link_sets_the_password_ends_every_session_and_verifies,
    forgot_password_is_limited_per_address_known_or_not,
    changing_the_password_keeps_this_session_and_ends_the_others,
    the_sixth_failed_sign_in_is_throttled_even_with_the_right_password,
    an_unknown_address_is_throttled_like_a_known_one,
    an_unverified_admin_cannot_send_partner_requests,
    a_request_waits_until_the_address_is_verified,
    a_user_added_by_an_admin_gets_waiting_requests_only_after_verifying,
    the_sender_learns_nothing_of_the_account_that_rejected,
    delivered_links_leave_no_secret_in_the_outbox,
    visitors_cannot_list_the_users,
);
