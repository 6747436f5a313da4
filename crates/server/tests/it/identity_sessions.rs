//! Identity end to end, second part (`spec/api.md`, "Identity"): the caller's sessions and
//! personal tokens, two-factor sign-in with TOTP and recovery codes (the codes computed by
//! an authenticator apart from the server's, `totp_rs`), and the security events in the
//! account's audit log, on the API and on the audit page and its CSV export.

use crate::on_both_backends;
use crate::support::partners::{audit_entries, sent};
use crate::support::{code, eventually, Backend, Client, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

const PASSWORD: &str = "correct horse";
/// The TOTP step, in seconds.
const STEP: u64 = 30;
/// A code of the step before is only used this many seconds or more before it leaves the
/// server's window (requests can be slow on a busy machine: password hashing is queued).
const MARGIN: u64 = 10;
/// Longer than any wait for the TOTP clock: a step and then some.
const STEP_WAIT: Duration = Duration::from_secs(STEP + 5);

// ---------------------------------------------------------------------------------------
// Helpers

/// Seconds since the epoch, the TOTP clock.
fn now_secs() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).expect("after 1970")
}

/// The current time, at least [`MARGIN`] seconds before the end of its TOTP step (waiting
/// for the next step when it is closer): a code of the step before `now` is still accepted
/// for that long.
async fn settled_now() -> u64 {
    eventually(
        "the clock is early enough in a TOTP step",
        STEP_WAIT,
        || async {
            let now = now_secs();
            (now % STEP < STEP - MARGIN).then_some(now)
        },
    )
    .await
}

/// An authenticator app: the codes of a base32 secret, each step used at most once and in
/// increasing order (the server refuses a step not later than the last one it accepted).
struct Authenticator {
    totp: totp_rs::TOTP,
    /// The last step whose code was handed out to be used.
    last_step: i64,
}

impl Authenticator {
    fn new(secret: &str) -> Authenticator {
        let bytes = totp_rs::Secret::Encoded(secret.to_string())
            .to_bytes()
            .unwrap_or_else(|e| panic!("the secret {secret:?} is not base32: {e:?}"));
        Authenticator {
            totp: totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 0, STEP, bytes),
            last_step: -1,
        }
    }

    /// The code of the step that holds `secs`.
    fn code_at(&self, secs: u64) -> String {
        self.totp.generate(secs)
    }

    /// The earliest step after the last one used that the server accepts now and still will
    /// a few seconds later: the step before (unless it is about to leave the window), this
    /// one, the next one. Waits for the clock when those are used up.
    async fn next_step(&self) -> i64 {
        eventually("an unused TOTP step", STEP_WAIT * 3, || async {
            let now = now_secs();
            let step = (now / STEP) as i64;
            let mut candidates = Vec::new();
            if now % STEP < STEP - MARGIN {
                candidates.push(step - 1);
            }
            candidates.extend([step, step + 1]);
            candidates.into_iter().find(|s| *s > self.last_step)
        })
        .await
    }

    /// A code the server accepts, with its step, not marked used: see [`Self::mark_used`].
    async fn peek_code(&self) -> (i64, String) {
        let step = self.next_step().await;
        (step, self.code_at(step as u64 * STEP))
    }

    /// Marks a peeked code's step used.
    fn mark_used(&mut self, step: i64) {
        self.last_step = self.last_step.max(step);
    }

    /// A code the server accepts; its step counts as used from now on.
    async fn next_code(&mut self) -> String {
        let step = self.next_step().await;
        self.last_step = step;
        self.code_at(step as u64 * STEP)
    }

    /// A six-digit code that is not the code of any step near now.
    fn wrong_code(&self) -> String {
        let now = now_secs();
        let near: Vec<String> = (0..=8)
            .map(|i| self.code_at(now + i * STEP - 4 * STEP))
            .collect();
        (0..10)
            .map(|d| d.to_string().repeat(6))
            .find(|c| !near.contains(c))
            .expect("a code that is not valid")
    }
}

/// A sign-in attempt through the API, with or without a code.
async fn try_login(
    app: &TestApp,
    email: &str,
    password: &str,
    code: Option<&str>,
) -> (StatusCode, Value) {
    let mut body = json!({"email": email, "password": password});
    if let Some(c) = code {
        body["code"] = json!(c);
    }
    app.anonymous().post("/api/v1/login", body).await
}

/// Signs in with a code; the signed-in client.
async fn login_with_code(app: &TestApp, email: &str, code: &str) -> Client {
    let (status, body) = try_login(app, email, PASSWORD, Some(code)).await;
    assert_eq!(status, StatusCode::OK, "log-in with code {code:?}: {body}");
    Client::signed_in(&app.base, &body)
}

/// Expects a refusal with `status` and error `code`.
fn refused(answer: &(StatusCode, Value), status: StatusCode, error: &str, what: &str) {
    assert_eq!(answer.0, status, "{what}: {}", answer.1);
    assert_eq!(code(&answer.1), error, "{what}: {}", answer.1);
    assert!(
        answer.1.get("token").is_none(),
        "{what}: a token: {}",
        answer.1
    );
}

/// `GET /me` of `client`: its status.
async fn me_status(client: &Client) -> StatusCode {
    client.get("/api/v1/me").await.0
}

/// The caller's `GET /sessions` list.
async fn sessions(client: &Client) -> Vec<Value> {
    let (status, body) = client.get("/api/v1/sessions").await;
    assert_eq!(status, StatusCode::OK, "listing sessions: {body}");
    body["sessions"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("a sessions list: {body}"))
}

fn ids_of(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|s| s["id"].as_str().expect("an id").to_string())
        .collect()
}

/// The id of the session that signs `client`'s requests (the one listed as current).
async fn current_session_id(client: &Client) -> String {
    let list = sessions(client).await;
    let current: Vec<&Value> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1, "exactly one current session: {list:?}");
    current[0]["id"].as_str().expect("an id").to_string()
}

/// Creates a personal token; the answer.
async fn create_token(client: &Client, body: Value) -> Value {
    let (status, created) = client.post("/api/v1/tokens", body.clone()).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "creating a token {body}: {created}"
    );
    created
}

/// A client signed in with a personal token (as `owner`).
fn token_client(app: &TestApp, owner: &Client, created: &Value) -> Client {
    let mut client = Client::new(&app.base, created["token"].as_str().map(str::to_string));
    client.user = owner.user.clone();
    client.account = owner.account.clone();
    client
}

fn parse_time(value: &Value) -> chrono::DateTime<chrono::Utc> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("a timestamp: {value}"));
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text:?} is not RFC 3339: {e}"))
        .with_timezone(&chrono::Utc)
}

/// Whether `at` is `days` from now, give or take ten minutes.
fn about_days_from_now(at: &Value, days: i64) -> bool {
    let expected = chrono::Utc::now() + chrono::Duration::days(days);
    (parse_time(at) - expected).num_seconds().abs() < 600
}

/// Offers two-factor to `client` (with the right password); the secret.
async fn offer(client: &Client) -> String {
    let (status, body) = client
        .post("/api/v1/two-factor", json!({ "password": PASSWORD }))
        .await;
    assert_eq!(status, StatusCode::OK, "offering two-factor: {body}");
    body["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("a secret: {body}"))
        .to_string()
}

/// Turns two-factor on for `client`: its authenticator and the recovery codes.
async fn turn_on(client: &Client) -> (Authenticator, Vec<String>) {
    let secret = offer(client).await;
    let mut auth = Authenticator::new(&secret);
    let code = auth.next_code().await;
    let (status, body) = client
        .post("/api/v1/two-factor/confirm", json!({ "code": code }))
        .await;
    assert_eq!(status, StatusCode::OK, "confirming two-factor: {body}");
    let codes: Vec<String> = body["recovery_codes"]
        .as_array()
        .unwrap_or_else(|| panic!("recovery codes: {body}"))
        .iter()
        .map(|c| c.as_str().expect("a code").to_string())
        .collect();
    (auth, codes)
}

/// `DELETE /two-factor` with a password and a code.
async fn turn_off(client: &Client, password: &str, code: &str) -> (StatusCode, Value) {
    client
        .request(
            Method::DELETE,
            "/api/v1/two-factor",
            Some(json!({"password": password, "code": code})),
        )
        .await
}

/// `GET /me`'s `user.two_factor` of `client`.
async fn two_factor_of(client: &Client) -> Value {
    let (status, body) = client.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["user"]["two_factor"].clone()
}

/// A cookie-keeping browser signed in through the log-in page.
struct Browser {
    base: String,
    http: reqwest::Client,
}

impl Browser {
    async fn signed_in(app: &TestApp, email: &str) -> Browser {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("a client");
        let page = http
            .get(format!("{}/login", app.base))
            .send()
            .await
            .expect("the log-in page")
            .text()
            .await
            .expect("a page");
        let csrf = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a CSRF field on the log-in page")
            .to_string();
        let done = http
            .post(format!("{}/login", app.base))
            .form(&[
                ("email", email),
                ("password", PASSWORD),
                ("csrf", csrf.as_str()),
            ])
            .send()
            .await
            .expect("the form is posted");
        assert!(
            done.status().is_success() && done.url().path() != "/login",
            "signing in on the page as {email}: {} {}",
            done.status(),
            done.url()
        );
        Browser {
            base: app.base.clone(),
            http,
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("a response")
    }
}

/// A page of `GET /audit?{query}` as `client`.
async fn audit_page(client: &Client, query: &str) -> (StatusCode, Value) {
    client.get(&format!("/api/v1/audit?{query}")).await
}

/// Every entry of the log with `query` (e.g. `action=login&limit=2`), following cursors.
async fn audit_paged(client: &Client, query: &str) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let q = match &cursor {
            None => query.to_string(),
            Some(c) => format!("{query}&cursor={c}"),
        };
        let (status, body) = audit_page(client, &q).await;
        assert_eq!(status, StatusCode::OK, "audit {q}: {body}");
        entries.extend(body["entries"].as_array().cloned().unwrap_or_default());
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return entries,
        }
    }
    panic!("paging {query} never ended");
}

fn actions_of(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The entries with `action`, newest first.
fn with_action<'a>(entries: &'a [Value], action: &str) -> Vec<&'a Value> {
    entries.iter().filter(|e| e["action"] == action).collect()
}

// ---------------------------------------------------------------------------------------
// Sessions

/// "`GET /sessions` … the caller's own": log-ins are `session`s, a personal token is a
/// `token` with its name, newest first, and exactly the one making the request is current.
async fn sessions_lists_the_callers_own_log_ins_and_tokens_newest_first_with_one_current(
    backend: Backend,
) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let kim = app.add_user(&ann, "kim@agency.example", "admin").await;
    let other = app.signup("Beta Works", "bob@beta.example").await;
    let second = app.login("ann@agency.example", PASSWORD).await;
    let created = create_token(&second, json!({"name": "CI deploys"})).await;
    let by_token = token_client(&app, &ann, &created);

    let (status, body) = app.anonymous().get("/api/v1/sessions").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "signed out: {body}");

    let listed = sessions(&second).await;
    assert_eq!(listed.len(), 3, "sign-up, log-in and token: {listed:?}");
    for s in &listed {
        for field in [
            "id",
            "kind",
            "created_at",
            "last_used_at",
            "expires_at",
            "current",
        ] {
            assert!(
                s.get(field).is_some_and(|v| !v.is_null()),
                "{field} missing: {s}"
            );
        }
        assert!(s.get("name").is_some(), "name (null or not) missing: {s}");
        let (created_at, used, expires) = (
            parse_time(&s["created_at"]),
            parse_time(&s["last_used_at"]),
            parse_time(&s["expires_at"]),
        );
        assert!(created_at <= used, "used before it was made: {s}");
        assert!(
            expires > chrono::Utc::now(),
            "a listed one has expired: {s}"
        );
    }
    // Newest first: the token, then the second log-in (the caller), then the sign-up.
    assert_eq!(listed[0]["id"], created["id"], "{listed:?}");
    assert_eq!(listed[0]["kind"], "token", "{listed:?}");
    assert_eq!(listed[0]["name"], "CI deploys", "{listed:?}");
    assert_eq!(listed[0]["expires_at"], created["expires_at"], "{listed:?}");
    for s in &listed[1..] {
        assert_eq!(s["kind"], "session", "{s}");
        assert!(s["name"].is_null(), "a log-in has no name: {s}");
    }
    let currents: Vec<bool> = listed.iter().map(|s| s["current"] == true).collect();
    assert_eq!(currents, [false, true, false], "{listed:?}");
    let mut times: Vec<_> = listed
        .iter()
        .map(|s| parse_time(&s["created_at"]))
        .collect();
    let listed_times = times.clone();
    times.sort_by(|a, b| b.cmp(a));
    assert_eq!(listed_times, times, "not newest first: {listed:?}");

    // The same three from the sign-up's and the token's side, each current there.
    let ids = ids_of(&listed);
    for (client, current) in [(&ann, 2), (&by_token, 0)] {
        let seen = sessions(client).await;
        assert_eq!(ids_of(&seen), ids, "{seen:?}");
        let currents: Vec<usize> = seen
            .iter()
            .enumerate()
            .filter(|(_, s)| s["current"] == true)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(currents, [current], "{seen:?}");
    }

    // A colleague's and another account's sessions are theirs alone.
    for client in [&kim, &other] {
        let theirs = ids_of(&sessions(client).await);
        assert_eq!(theirs.len(), 1, "{theirs:?}");
        assert!(!ids.contains(&theirs[0]), "{theirs:?} in {ids:?}");
    }
}

/// "`DELETE /sessions/{id}` … 204: that one ends": its bearer is refused, the others go on;
/// the same id again is 404.
async fn ending_a_session_stops_its_bearer_and_no_other(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let second = app.login("ann@agency.example", PASSWORD).await;
    let created = create_token(&ann, json!({"name": "script"})).await;
    let by_token = token_client(&app, &ann, &created);
    let second_id = current_session_id(&second).await;
    let token_id = created["id"].as_str().expect("an id").to_string();

    let (status, body) = ann.delete(&format!("/api/v1/sessions/{second_id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        me_status(&second).await,
        StatusCode::UNAUTHORIZED,
        "the ended log-in"
    );
    assert_eq!(me_status(&ann).await, StatusCode::OK, "the caller");
    assert_eq!(me_status(&by_token).await, StatusCode::OK, "the token");

    let (status, body) = ann.delete(&format!("/api/v1/sessions/{token_id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        me_status(&by_token).await,
        StatusCode::UNAUTHORIZED,
        "the ended token"
    );
    assert_eq!(me_status(&ann).await, StatusCode::OK, "the caller");

    let left = sessions(&ann).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["current"], true, "{left:?}");

    for gone in [&second_id, &token_id] {
        let answer = ann.delete(&format!("/api/v1/sessions/{gone}")).await;
        refused(
            &answer,
            StatusCode::NOT_FOUND,
            "not_found",
            "ending it again",
        );
    }

    // The caller may end its own session by id too.
    let own = current_session_id(&ann).await;
    let (status, body) = ann.delete(&format!("/api/v1/sessions/{own}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        me_status(&ann).await,
        StatusCode::UNAUTHORIZED,
        "its own, ended"
    );
}

/// "`DELETE /sessions/{id}` … 404": a colleague's, another account's, an unknown and a
/// malformed id are all not found, and nothing ends.
async fn ending_someone_elses_or_an_unknown_session_is_not_found(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let kim = app.add_user(&ann, "kim@agency.example", "manager").await;
    let bob = app.signup("Beta Works", "bob@beta.example").await;
    let bobs_token = create_token(&bob, json!({"name": "bob's"})).await;
    let by_bobs_token = token_client(&app, &bob, &bobs_token);
    let kims = current_session_id(&kim).await;
    let bobs = current_session_id(&bob).await;
    let bobs_token_id = bobs_token["id"].as_str().expect("an id").to_string();

    let unknown = "0".repeat(26);
    for (what, id) in [
        ("a colleague's session", kims.as_str()),
        ("another account's session", bobs.as_str()),
        ("another account's token", bobs_token_id.as_str()),
        ("an unknown id", unknown.as_str()),
        ("a malformed id", "not-a-session"),
    ] {
        let answer = ann.delete(&format!("/api/v1/sessions/{id}")).await;
        refused(&answer, StatusCode::NOT_FOUND, "not_found", what);
    }
    // An admin, and still not another user's: the colleague ends nothing of ann's either.
    let anns = current_session_id(&ann).await;
    let answer = kim.delete(&format!("/api/v1/sessions/{anns}")).await;
    refused(
        &answer,
        StatusCode::NOT_FOUND,
        "not_found",
        "a manager ending the admin's",
    );

    for (what, client) in [
        ("ann", &ann),
        ("kim", &kim),
        ("bob", &bob),
        ("bob's token", &by_bobs_token),
    ] {
        assert_eq!(
            me_status(client).await,
            StatusCode::OK,
            "{what} was signed out"
        );
    }
    assert_eq!(sessions(&bob).await.len(), 2);
}

/// "`DELETE /sessions` … every one but the caller's ends": log-ins, personal tokens and the
/// pages' session alike; other users keep theirs.
async fn ending_every_other_session_keeps_only_the_callers(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let kim = app.add_user(&ann, "kim@agency.example", "manager").await;
    let second = app.login("ann@agency.example", PASSWORD).await;
    let third = app.login("ann@agency.example", PASSWORD).await;
    let created = create_token(&third, json!({"name": "nightly"})).await;
    let by_token = token_client(&app, &ann, &created);
    let browser = Browser::signed_in(&app, "ann@agency.example").await;
    let page = browser.get("/settings/account/audit").await;
    assert_eq!(
        page.status(),
        StatusCode::OK,
        "the page before: {}",
        page.url()
    );
    assert_eq!(page.url().path(), "/settings/account/audit");

    let listed = sessions(&second).await;
    assert_eq!(
        listed.len(),
        5,
        "three log-ins, a token, a page session: {listed:?}"
    );
    let second_id = current_session_id(&second).await;

    let (status, body) = second.delete("/api/v1/sessions").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for (what, client) in [
        ("sign-up", &ann),
        ("third log-in", &third),
        ("token", &by_token),
    ] {
        assert_eq!(
            me_status(client).await,
            StatusCode::UNAUTHORIZED,
            "the {what} lives"
        );
    }
    let page = browser.get("/settings/account/audit").await;
    assert_eq!(
        page.url().path(),
        "/login",
        "the page session lives: {} {}",
        page.status(),
        page.url()
    );
    assert_eq!(
        me_status(&second).await,
        StatusCode::OK,
        "the caller's ended"
    );
    let left = sessions(&second).await;
    assert_eq!(ids_of(&left), [second_id], "{left:?}");
    assert_eq!(left[0]["current"], true);
    assert_eq!(
        me_status(&kim).await,
        StatusCode::OK,
        "a colleague was signed out"
    );

    // With nothing else left it is still 204.
    let (status, body) = second.delete("/api/v1/sessions").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(me_status(&second).await, StatusCode::OK);
}

// ---------------------------------------------------------------------------------------
// Personal tokens

/// "`POST /tokens` `{name, expires_in_days?}` | 201 `{id, name, token, expires_at}`": the
/// token signs requests as its user; 90 days unless asked otherwise (1 to 365).
async fn a_personal_token_signs_in_as_its_user_for_90_days_by_default(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let (status, body) = app
        .anonymous()
        .post("/api/v1/tokens", json!({"name": "CI"}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "signed out: {body}");

    let created = create_token(&ann, json!({"name": "CI"})).await;
    assert_eq!(created["name"], "CI", "{created}");
    assert_eq!(created["id"].as_str().map(str::len), Some(26), "{created}");
    let secret = created["token"].as_str().expect("the token");
    assert!(secret.len() >= 32, "a short secret: {created}");
    assert!(
        about_days_from_now(&created["expires_at"], 90),
        "90 days by default: {created}"
    );
    let by_token = token_client(&app, &ann, &created);
    let (status, body) = by_token.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["id"], ann.user["id"], "{body}");
    // It works for anything the user may do, e.g. listing the users.
    let (status, body) = by_token.get("/api/v1/users").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    for days in [1, 365] {
        let created = create_token(
            &ann,
            json!({"name": format!("{days} days"), "expires_in_days": days}),
        )
        .await;
        assert!(
            about_days_from_now(&created["expires_at"], days),
            "{days} days: {created}"
        );
        assert_eq!(
            me_status(&token_client(&app, &ann, &created)).await,
            StatusCode::OK
        );
    }
    let tokens: Vec<(Value, Value)> = sessions(&ann)
        .await
        .into_iter()
        .filter(|s| s["kind"] == "token")
        .map(|s| (s["name"].clone(), s["expires_at"].clone()))
        .collect();
    let names: Vec<&Value> = tokens.iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [&json!("365 days"), &json!("1 days"), &json!("CI")],
        "{tokens:?}"
    );
}

/// "`POST /tokens` … 400 `invalid_input`": a lifetime outside 1 to 365 days, an empty or
/// missing name; nothing is created.
async fn a_token_lifetime_outside_1_to_365_days_or_an_empty_name_is_invalid_input(
    backend: Backend,
) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    for body in [
        json!({"name": "zero", "expires_in_days": 0}),
        json!({"name": "too long", "expires_in_days": 366}),
        json!({"name": "far too long", "expires_in_days": 100000}),
        json!({"name": "negative", "expires_in_days": -1}),
        json!({"name": "", "expires_in_days": 30}),
        json!({"name": "   "}),
        json!({"name": ""}),
        json!({"expires_in_days": 30}),
    ] {
        let answer = ann.post("/api/v1/tokens", body.clone()).await;
        refused(
            &answer,
            StatusCode::BAD_REQUEST,
            "invalid_input",
            &body.to_string(),
        );
    }
    let listed = sessions(&ann).await;
    assert!(
        listed.iter().all(|s| s["kind"] == "session"),
        "a refused token was made: {listed:?}"
    );
}

/// "the token is shown this once": the database holds no secret as given out, neither a
/// personal token's nor a log-in's.
async fn a_token_is_stored_only_as_a_hash(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let created = create_token(&ann, json!({"name": "CI"})).await;
    let secrets = [
        created["token"].as_str().expect("a token").to_string(),
        ann.token.clone().expect("a sign-up token"),
    ];
    let mut r = app.state().store.read().await.unwrap();
    let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tokens WHERE user_id = $1")
        .bind(ann.user_id())
        .fetch_one(&mut *r)
        .await
        .expect("count the tokens");
    assert!(held >= 2, "the tokens are kept somewhere else: {held}");
    for secret in &secrets {
        let found: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM tokens WHERE hash = $1 OR id = $1")
                .bind(secret)
                .fetch_one(&mut *r)
                .await
                .expect("count the tokens");
        assert_eq!(found, 0, "a secret is stored as given out");
    }
    drop(r);
    assert_eq!(
        me_status(&token_client(&app, &ann, &created)).await,
        StatusCode::OK
    );
}

/// "`POST /password` … the user's other sessions and tokens end" (personal tokens too), and
/// "a deactivated user … its tokens stop working at once".
async fn a_password_change_or_deactivation_ends_personal_tokens(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let created = create_token(&ann, json!({"name": "CI"})).await;
    let by_token = token_client(&app, &ann, &created);
    let (status, body) = ann
        .post(
            "/api/v1/password",
            json!({"current_password": PASSWORD, "new_password": "new battery staple"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        me_status(&by_token).await,
        StatusCode::UNAUTHORIZED,
        "after the change"
    );
    assert_eq!(me_status(&ann).await, StatusCode::OK);

    let kim = app.add_user(&ann, "kim@agency.example", "manager").await;
    let kims = create_token(&kim, json!({"name": "kim's"})).await;
    let by_kims = token_client(&app, &kim, &kims);
    assert_eq!(me_status(&by_kims).await, StatusCode::OK);
    let (status, body) = ann
        .patch(
            &format!("/api/v1/users/{}", kim.user_id()),
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        me_status(&by_kims).await,
        StatusCode::UNAUTHORIZED,
        "deactivated"
    );
}

// ---------------------------------------------------------------------------------------
// Two-factor sign-in

/// "`POST /two-factor` `{password}` | 200 `{secret, otpauth_url}` … not yet on | 403
/// `wrong_password`, 409 `two_factor_on`"; "`POST /two-factor/confirm` `{code}` | 200
/// `{recovery_codes: [10 strings]}`; two-factor is on | 400 `invalid_code`".
async fn two_factor_turns_on_with_the_password_and_a_code_of_the_offered_secret(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let answer = ann
        .post("/api/v1/two-factor", json!({"password": "wrong horse"}))
        .await;
    refused(
        &answer,
        StatusCode::FORBIDDEN,
        "wrong_password",
        "a wrong password",
    );
    let (status, body) = app
        .anonymous()
        .post("/api/v1/two-factor", json!({ "password": PASSWORD }))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "signed out: {body}");

    let (status, body) = ann
        .post("/api/v1/two-factor", json!({ "password": PASSWORD }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let secret = body["secret"].as_str().expect("a secret").to_string();
    assert!(
        secret.len() >= 16
            && secret
                .chars()
                .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c) || c == '='),
        "not base32: {secret}"
    );
    let url = body["otpauth_url"].as_str().expect("an otpauth URL");
    assert!(url.starts_with("otpauth://totp/"), "{url}");
    assert!(url.contains(&format!("secret={secret}")), "{url}");
    // Offered, not on: signing in needs no code yet.
    assert_eq!(two_factor_of(&ann).await, false);
    app.login("ann@agency.example", PASSWORD).await;

    let mut auth = Authenticator::new(&secret);
    let answer = ann
        .post(
            "/api/v1/two-factor/confirm",
            json!({"code": auth.wrong_code()}),
        )
        .await;
    refused(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_code",
        "a wrong code",
    );
    assert_eq!(two_factor_of(&ann).await, false, "on after a wrong code");

    let (status, body) = ann
        .post(
            "/api/v1/two-factor/confirm",
            json!({"code": auth.next_code().await}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let codes: Vec<&str> = body["recovery_codes"]
        .as_array()
        .expect("recovery codes")
        .iter()
        .map(|c| c.as_str().expect("a string"))
        .collect();
    assert_eq!(codes.len(), 10, "{body}");
    let mut distinct = codes.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 10, "repeated recovery codes: {codes:?}");
    assert!(codes.iter().all(|c| c.len() >= 8), "{codes:?}");
    assert_eq!(two_factor_of(&ann).await, true);

    let answer = ann
        .post("/api/v1/two-factor", json!({ "password": PASSWORD }))
        .await;
    refused(
        &answer,
        StatusCode::CONFLICT,
        "two_factor_on",
        "offering again",
    );
    let answer = try_login(&app, "ann@agency.example", PASSWORD, None).await;
    refused(
        &answer,
        StatusCode::UNAUTHORIZED,
        "two_factor_required",
        "no code",
    );
}

/// "401 `two_factor_required` (right password, no code); 401 `invalid_code`"; "A TOTP code
/// … works once": the same code again is refused, a later one works; a wrong password is
/// `invalid_credentials` whatever the code, and uses no code up.
async fn with_two_factor_on_signing_in_takes_a_code_that_works_once(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let (mut auth, _) = turn_on(&ann).await;
    const ANN: &str = "ann@agency.example";

    let answer = try_login(&app, ANN, PASSWORD, None).await;
    refused(
        &answer,
        StatusCode::UNAUTHORIZED,
        "two_factor_required",
        "no code",
    );
    let answer = try_login(&app, ANN, PASSWORD, Some("")).await;
    refused(
        &answer,
        StatusCode::UNAUTHORIZED,
        "two_factor_required",
        "an empty code",
    );
    let answer = try_login(&app, ANN, PASSWORD, Some(&auth.wrong_code())).await;
    refused(
        &answer,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
        "a wrong code",
    );

    let (step, code) = auth.peek_code().await;
    let answer = try_login(&app, ANN, "wrong horse", Some(&code)).await;
    refused(
        &answer,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "a wrong password with a right code",
    );
    // That code was not used up.
    auth.mark_used(step);
    let signed_in = login_with_code(&app, ANN, &code).await;
    assert_eq!(signed_in.user["id"], ann.user["id"]);
    assert_eq!(signed_in.user["two_factor"], true, "{}", signed_in.user);
    assert_eq!(me_status(&signed_in).await, StatusCode::OK);

    let answer = try_login(&app, ANN, PASSWORD, Some(&code)).await;
    refused(
        &answer,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
        "the same code again",
    );

    let later = auth.next_code().await;
    login_with_code(&app, ANN, &later).await;
}

/// "codes of the step before and after are accepted"; two steps away they are not, nor is a
/// step earlier than one already used.
async fn codes_of_the_step_before_and_after_are_accepted(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let secret = offer(&ann).await;
    let auth = Authenticator::new(&secret);

    let now = now_secs();
    for (what, secs) in [
        ("two steps before", now - 2 * STEP),
        ("three steps after", now + 3 * STEP),
    ] {
        let answer = ann
            .post(
                "/api/v1/two-factor/confirm",
                json!({"code": auth.code_at(secs)}),
            )
            .await;
        refused(&answer, StatusCode::BAD_REQUEST, "invalid_code", what);
    }
    assert_eq!(two_factor_of(&ann).await, false);

    let now = settled_now().await;
    let (status, body) = ann
        .post(
            "/api/v1/two-factor/confirm",
            json!({"code": auth.code_at(now - STEP)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "the step before: {body}");
    assert_eq!(two_factor_of(&ann).await, true);

    let now = now_secs();
    login_with_code(&app, "ann@agency.example", &auth.code_at(now + STEP)).await;
    // The step after is used: this step's code, though in the window, comes too late.
    let answer = try_login(
        &app,
        "ann@agency.example",
        PASSWORD,
        Some(&auth.code_at(now)),
    )
    .await;
    refused(
        &answer,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
        "a step earlier than one used",
    );
}

/// "A TOTP code or recovery code works once": each recovery code signs in once, typed in
/// any case, with or without its dash.
async fn a_recovery_code_works_once_in_any_case_with_or_without_its_dash(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let (_, codes) = turn_on(&ann).await;
    const ANN: &str = "ann@agency.example";

    login_with_code(&app, ANN, &codes[0]).await;
    let answer = try_login(&app, ANN, PASSWORD, Some(&codes[0])).await;
    refused(
        &answer,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
        "a used recovery code",
    );

    let upper = codes[1].to_uppercase();
    let undashed = codes[2].replace('-', "");
    let both = codes[3].replace('-', "").to_uppercase();
    for typed in [&upper, &undashed, &both] {
        login_with_code(&app, ANN, typed).await;
    }
    // Used in another form, used all the same.
    let answer = try_login(&app, ANN, PASSWORD, Some(&codes[1])).await;
    refused(
        &answer,
        StatusCode::UNAUTHORIZED,
        "invalid_code",
        "a recovery code used in upper case, again as given",
    );
    // The rest are untouched.
    login_with_code(&app, ANN, &codes[9]).await;
}

/// "`DELETE /two-factor` `{password, code}` | 204 | 403 `wrong_password`, 400
/// `invalid_code`": after it, the password alone signs in; it can be turned on again.
async fn two_factor_turns_off_with_the_password_and_a_code(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let (mut auth, _) = turn_on(&ann).await;

    let (step, code) = auth.peek_code().await;
    let answer = turn_off(&ann, "wrong horse", &code).await;
    refused(
        &answer,
        StatusCode::FORBIDDEN,
        "wrong_password",
        "a wrong password",
    );
    let answer = turn_off(&ann, PASSWORD, &auth.wrong_code()).await;
    refused(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_code",
        "a wrong code",
    );
    assert_eq!(two_factor_of(&ann).await, true, "off after a refusal");
    let answer = try_login(&app, "ann@agency.example", PASSWORD, None).await;
    refused(
        &answer,
        StatusCode::UNAUTHORIZED,
        "two_factor_required",
        "still on",
    );

    // The code offered with the wrong password was not used up.
    auth.mark_used(step);
    let (status, body) = turn_off(&ann, PASSWORD, &code).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(two_factor_of(&ann).await, false);
    let again = app.login("ann@agency.example", PASSWORD).await;
    assert_eq!(again.user["two_factor"], false, "{}", again.user);

    // And on again, with a new secret.
    let (status, body) = ann
        .post("/api/v1/two-factor", json!({ "password": PASSWORD }))
        .await;
    assert_eq!(status, StatusCode::OK, "offering again: {body}");
}

/// "Admins see `two_factor` per user in `GET /users`".
async fn admins_see_who_has_two_factor_on_in_the_user_list(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let kim = app.add_user(&ann, "kim@agency.example", "manager").await;
    app.add_user(&ann, "lou@agency.example", "manager").await;
    turn_on(&kim).await;

    let (status, body) = ann.get("/api/v1/users?limit=200").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut seen: Vec<(String, Value)> = body["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| {
            (
                u["email"].as_str().unwrap_or_default().to_string(),
                u["two_factor"].clone(),
            )
        })
        .collect();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        seen,
        [
            ("ann@agency.example".to_string(), json!(false)),
            ("kim@agency.example".to_string(), json!(true)),
            ("lou@agency.example".to_string(), json!(false)),
        ],
        "{body}"
    );
}

// ---------------------------------------------------------------------------------------
// Security events in the audit log

/// "Security events join the audit log": each with its actor, the client's IP and what it is
/// about; a changed user's before and after; newest first; another account's never.
async fn security_events_are_in_the_accounts_audit_log(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let ann_id = ann.user_id();
    let kim = app.add_user(&ann, "kim@agency.example", "manager").await;
    let kim_id = kim.user_id();
    let (status, body) = ann
        .patch(
            &format!("/api/v1/users/{kim_id}"),
            json!({"profile": "observer"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let created = create_token(&ann, json!({"name": "CI"})).await;
    let second = app.login("ann@agency.example", PASSWORD).await;
    let second_id = current_session_id(&second).await;
    let (status, body) = ann.delete(&format!("/api/v1/sessions/{second_id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = kim.post("/api/v1/logout", json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (mut auth, _) = turn_on(&ann).await;
    let (status, body) = turn_off(&ann, PASSWORD, &auth.next_code().await).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = ann
        .post(
            "/api/v1/password",
            json!({"current_password": PASSWORD, "new_password": "new battery staple"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // Another account's events stay in its own log.
    let bob = app.signup("Beta Works", "bob@beta.example").await;
    app.login("bob@beta.example", PASSWORD).await;
    let answer = try_login(&app, "bob@beta.example", "wrong horse", None).await;
    refused(
        &answer,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "bob",
    );
    create_token(&bob, json!({"name": "bob's"})).await;

    let entries = audit_entries(&ann).await;
    let actions = actions_of(&entries);
    let one = |action: &str| -> &Value {
        let found = with_action(&entries, action);
        assert_eq!(found.len(), 1, "one {action} entry: {actions:?}");
        found[0]
    };
    for e in &entries {
        assert_eq!(e["ip"], "127.0.0.1", "{e}");
        assert!(e["id"].is_string() && e["at"].is_string(), "{e}");
    }

    let added = one("user_added");
    assert_eq!(added["actor_user_id"], ann_id.as_str(), "{added}");
    assert_eq!(added["subject"], kim_id.as_str(), "{added}");
    let changed = one("user_changed");
    assert_eq!(changed["actor_user_id"], ann_id.as_str(), "{changed}");
    assert_eq!(changed["subject"], kim_id.as_str(), "{changed}");
    assert_eq!(changed["before"]["profile"], "manager", "{changed}");
    assert_eq!(changed["after"]["profile"], "observer", "{changed}");
    let token = one("token_created");
    assert_eq!(token["actor_user_id"], ann_id.as_str(), "{token}");
    assert_eq!(token["subject"], created["id"], "{token}");
    let ended = one("session_ended");
    assert_eq!(ended["actor_user_id"], ann_id.as_str(), "{ended}");
    assert_eq!(ended["subject"], second_id.as_str(), "{ended}");
    let logout = one("logout");
    assert_eq!(logout["actor_user_id"], kim_id.as_str(), "{logout}");
    for action in ["two_factor_on", "two_factor_off", "password_changed"] {
        let e = one(action);
        assert_eq!(e["actor_user_id"], ann_id.as_str(), "{e}");
    }
    let logins = with_action(&entries, "login");
    let by = |id: &str| logins.iter().filter(|e| e["actor_user_id"] == id).count();
    assert!(by(&kim_id) >= 1, "kim's log-in: {actions:?}");
    assert!(by(&ann_id) >= 1, "ann's log-in: {actions:?}");

    // Newest first, in the order they happened.
    let at = |action: &str| actions.iter().position(|a| a == action).expect("listed");
    let order = [
        "password_changed",
        "two_factor_off",
        "two_factor_on",
        "logout",
        "session_ended",
        "token_created",
        "user_changed",
        "user_added",
    ];
    for pair in order.windows(2) {
        assert!(
            at(pair[0]) < at(pair[1]),
            "{} before {}: {actions:?}",
            pair[0],
            pair[1]
        );
    }

    let bob_id = bob.user_id();
    for e in &entries {
        assert_ne!(
            e["actor_user_id"],
            bob_id.as_str(),
            "bob's event in ann's log: {e}"
        );
        assert_ne!(
            e["subject"],
            bob_id.as_str(),
            "bob's event in ann's log: {e}"
        );
    }
    let bobs = actions_of(&audit_entries(&bob).await);
    assert!(bobs.contains(&"login_failed".to_string()), "{bobs:?}");
    assert!(bobs.contains(&"token_created".to_string()), "{bobs:?}");
    assert!(!bobs.contains(&"user_added".to_string()), "{bobs:?}");
}

/// "`login_failed`": a wrong password for a known address is in that user's account's log,
/// by no user of it; an unknown address leaves nothing in anyone's.
async fn a_failed_sign_in_is_logged_for_the_addresss_account_with_no_actor(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let kim = app.add_user(&ann, "kim@agency.example", "manager").await;
    let bob = app.signup("Beta Works", "bob@beta.example").await;
    for (email, password) in [
        ("kim@agency.example", "wrong horse"),
        ("KIM@agency.example", "wrong again"),
        ("ghost@agency.example", PASSWORD),
    ] {
        let answer = try_login(&app, email, password, None).await;
        refused(
            &answer,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            email,
        );
    }

    let entries = audit_entries(&ann).await;
    let failed = with_action(&entries, "login_failed");
    assert_eq!(failed.len(), 2, "{:?}", actions_of(&entries));
    for e in failed {
        assert!(e["actor_user_id"].is_null(), "an actor for a failure: {e}");
        assert_eq!(e["subject"], kim.user_id().as_str(), "{e}");
        assert_eq!(e["ip"], "127.0.0.1", "{e}");
    }
    let bobs = audit_entries(&bob).await;
    assert!(
        with_action(&bobs, "login_failed").is_empty(),
        "another account's failure in bob's log: {bobs:?}"
    );
}

/// "`GET /audit?action=`" keeps one action; an action the log does not record is 400
/// `invalid_input`; only admins read the log.
async fn the_audit_log_filters_by_action_and_is_for_admins(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let kim = app.add_user(&ann, "kim@agency.example", "manager").await;
    let boss = app.add_user(&ann, "boss@agency.example", "admin").await;
    app.login("kim@agency.example", PASSWORD).await;
    create_token(&ann, json!({"name": "CI"})).await;
    sent(&ann, "bob@beta.example").await;

    let all = audit_entries(&ann).await;
    for action in ["login", "user_added", "token_created", "send"] {
        let filtered = audit_paged(&ann, &format!("action={action}&limit=200")).await;
        let expected: Vec<&Value> = with_action(&all, action);
        assert!(!expected.is_empty(), "no {action}: {:?}", actions_of(&all));
        assert_eq!(
            filtered.iter().collect::<Vec<_>>(),
            expected,
            "?action={action}"
        );
    }
    assert_eq!(with_action(&all, "user_added").len(), 2);

    for bad in ["bogus", "login,logout"] {
        let answer = audit_page(&ann, &format!("action={bad}")).await;
        refused(&answer, StatusCode::BAD_REQUEST, "invalid_input", bad);
    }

    let (status, body) = kim.get("/api/v1/audit").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a manager reads the log: {body}"
    );
    let (status, body) = kim.get("/api/v1/audit?action=login").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a manager reads the log: {body}"
    );
    let (status, body) = app.anonymous().get("/api/v1/audit").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "signed out: {body}");
    let theirs = audit_entries(&boss).await;
    assert_eq!(
        ids_of(&theirs),
        ids_of(&all),
        "another admin sees the same log"
    );
}

/// Paging the log with `limit=2` gives every entry once, in the order of one big page:
/// security events and partner entries interleaved.
async fn paging_the_audit_log_gives_every_entry_once(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let kim = app.add_user(&ann, "kim@agency.example", "manager").await;
    let to_bob = sent(&ann, "bob@beta.example").await;
    create_token(&ann, json!({"name": "CI"})).await;
    let answer = try_login(&app, "kim@agency.example", "wrong horse", None).await;
    refused(
        &answer,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "kim",
    );
    sent(&ann, "carol@carol.example").await;
    let (status, body) = ann
        .patch(
            &format!("/api/v1/users/{}", kim.user_id()),
            json!({"name": "Kim K"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.login("ann@agency.example", PASSWORD).await;
    sent(&ann, "dan@dan.example").await;

    let (status, big) = audit_page(&ann, "limit=200").await;
    assert_eq!(status, StatusCode::OK, "{big}");
    assert!(big["next_cursor"].is_null(), "{big}");
    let all = big["entries"].as_array().cloned().expect("entries");
    assert!(all.len() >= 9, "{:?}", actions_of(&all));
    let paged = audit_paged(&ann, "limit=2").await;
    assert_eq!(ids_of(&paged), ids_of(&all), "paging with limit=2");
    let mut distinct = ids_of(&paged);
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), paged.len(), "an entry twice");
    let paged = audit_paged(&ann, "limit=1&action=send").await;
    assert_eq!(paged.len(), 3, "{paged:?}");
    assert_eq!(
        ids_of(&paged),
        ids_of(
            &with_action(&all, "send")
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
        )
    );

    // A partner entry keeps its shape among the security events.
    let send = paged
        .iter()
        .find(|e| e["relationship_id"] == to_bob.as_str())
        .expect("the first send");
    assert_eq!(send["direction"], "sent", "{send}");
    assert!(send["after"].is_object(), "{send}");
    assert!(send.get("before").is_some(), "{send}");
}

/// The audit page and "`GET /settings/account/audit.csv`": the same log for admins, a CSV
/// line per entry under an `id,at,action` header; 403 for anyone else.
async fn the_audit_page_and_its_csv_export_are_for_admins(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let kim = app.add_user(&ann, "kim@agency.example", "manager").await;
    let (status, body) = ann
        .patch(
            &format!("/api/v1/users/{}", kim.user_id()),
            json!({"name": "Kim, \"K\""}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    create_token(&ann, json!({"name": "CI"})).await;
    let answer = try_login(&app, "kim@agency.example", "wrong horse", None).await;
    refused(
        &answer,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "kim",
    );
    sent(&ann, "bob@beta.example").await;

    let browser = Browser::signed_in(&app, "ann@agency.example").await;
    let page = browser.get("/settings/account/audit").await;
    assert_eq!(page.status(), StatusCode::OK, "{}", page.url());
    let html = page.text().await.expect("a page");
    assert!(html.contains("127.0.0.1"), "no IP on the page");
    assert!(
        html.contains(&kim.user_id()),
        "the changed user is not named on the page"
    );

    let csv = browser.get("/settings/account/audit.csv").await;
    assert_eq!(csv.status(), StatusCode::OK, "{}", csv.url());
    let content_type = csv
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let text = csv.text().await.expect("a body");
    assert!(text.starts_with("id,at,action"), "{text}");
    let entries = audit_entries(&ann).await;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().expect("a header").clone();
    assert_eq!(&header[0], "id");
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .map(|r| r.expect("a well-formed CSV line"))
        .collect();
    let csv_ids: Vec<String> = rows.iter().map(|r| r[0].to_string()).collect();
    assert_eq!(csv_ids, ids_of(&entries), "the CSV is not the log:\n{text}");
    let csv_actions: Vec<String> = rows.iter().map(|r| r[2].to_string()).collect();
    assert_eq!(csv_actions, actions_of(&entries));
    assert_eq!(
        text.lines().count(),
        entries.len() + 1,
        "a line per entry:\n{text}"
    );

    let manager = Browser::signed_in(&app, "kim@agency.example").await;
    for path in ["/settings/account/audit", "/settings/account/audit.csv"] {
        let refused = manager.get(path).await;
        assert_eq!(
            refused.status(),
            StatusCode::FORBIDDEN,
            "a manager on {path}"
        );
        let body = refused.text().await.unwrap_or_default();
        assert!(
            !body.contains("127.0.0.1"),
            "{path} shows the log to a manager"
        );
    }
}

on_both_backends!(
    sessions_lists_the_callers_own_log_ins_and_tokens_newest_first_with_one_current,
    ending_a_session_stops_its_bearer_and_no_other,
    ending_someone_elses_or_an_unknown_session_is_not_found,
    ending_every_other_session_keeps_only_the_callers,
    a_personal_token_signs_in_as_its_user_for_90_days_by_default,
    a_token_lifetime_outside_1_to_365_days_or_an_empty_name_is_invalid_input,
    a_token_is_stored_only_as_a_hash,
    a_password_change_or_deactivation_ends_personal_tokens,
    two_factor_turns_on_with_the_password_and_a_code_of_the_offered_secret,
    with_two_factor_on_signing_in_takes_a_code_that_works_once,
    codes_of_the_step_before_and_after_are_accepted,
    a_recovery_code_works_once_in_any_case_with_or_without_its_dash,
    two_factor_turns_off_with_the_password_and_a_code,
    admins_see_who_has_two_factor_on_in_the_user_list,
    security_events_are_in_the_accounts_audit_log,
    a_failed_sign_in_is_logged_for_the_addresss_account_with_no_actor,
    the_audit_log_filters_by_action_and_is_for_admins,
    paging_the_audit_log_gives_every_entry_once,
    the_audit_page_and_its_csv_export_are_for_admins,
);
