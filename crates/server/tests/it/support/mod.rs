//! The test harness: start the app on a fresh database, talk to it over HTTP.

pub mod envelope;
pub mod eventually;
pub mod items;
pub mod message;
pub mod partners;
pub mod prerequisites;
pub mod process;
pub mod slow_request;
pub mod smtp;

pub use eventually::{eventually, secs, within};
pub use prerequisites::{postgres_server, require_postgres};

use coproof_server::app::Running;
use coproof_server::{App, Config};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Which database a scenario runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each listed scenario (`async fn(Backend)`) as a test on SQLite and on PostgreSQL
/// (see [`require_postgres`] for a missing server).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    // Skipped without a server, failed under CI.
                    if $crate::support::require_postgres().is_none() {
                        return;
                    }
                    super::$name($crate::support::Backend::Postgres).await
                }
            )*
        }
    };
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh database URL for one test (a new SQLite file, or a new PostgreSQL database).
pub async fn fresh_database(backend: Backend, dir: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.join("test.db").display()),
        Backend::Postgres => {
            use sqlx::Connection;
            let server = postgres_server().expect("COPROOF_TEST_POSTGRES is set");
            let name = format!(
                "coproof_t_{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst),
                chrono::Utc::now().timestamp_micros() % 1_000_000_000
            );
            let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
                .await
                .expect("connect to the test PostgreSQL server");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await
                .expect("create a test database");
            format!("{server}/{name}")
        }
    }
}

/// The app under test.
pub struct TestApp {
    pub backend: Backend,
    pub config: Config,
    pub base: String,
    running: Option<Running>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn start(backend: Backend) -> TestApp {
        TestApp::start_with(backend, |_| {}).await
    }

    /// Starts with a configuration changed by `adjust` (data dir and database are fresh).
    pub async fn start_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
        TestApp::launch(backend, None, adjust).await
    }

    /// Starts with files' bytes kept in `files` (an S3 bucket: `object_storage.rs`).
    pub async fn start_on_files(
        backend: Backend,
        files: coproof_server::files::FileStore,
        adjust: impl FnOnce(&mut Config),
    ) -> TestApp {
        TestApp::launch(backend, Some(files), adjust).await
    }

    async fn launch(
        backend: Backend,
        files: Option<coproof_server::files::FileStore>,
        adjust: impl FnOnce(&mut Config),
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::with_data_dir(dir.path());
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.database_url = Some(fresh_database(backend, dir.path()).await);
        config.db_connections = 8;
        // Scenarios sign up many accounts from 127.0.0.1 and make mail fast; the caps have
        // their own scenarios (`hardening.rs`), which set them low.
        config.signup_limit_per_ip = 1_000_000;
        config.user_add_limit_per_hour = 1_000_000;
        config.share_mail_limit_per_hour = 1_000_000;
        config.mail_limit_per_hour = 1_000_000;
        adjust(&mut config);
        let mut app = App::build(config.clone()).await.expect("app builds");
        if let Some(files) = files {
            app = app.with_file_store(files);
        }
        let running = app.spawn();
        TestApp {
            backend,
            base: format!("http://{}", running.addr),
            config,
            running: Some(running),
            _dir: dir,
        }
    }

    /// A second app on `other`'s database (its own data dir, port and pools), as a second
    /// server process behind a load balancer would be.
    pub async fn start_sharing(other: &TestApp) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = other.config.clone();
        config.data_dir = dir.path().to_path_buf();
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.database_url = Some(other.config.database_url());
        let running = App::build(config.clone())
            .await
            .expect("second app builds")
            .spawn();
        TestApp {
            backend: other.backend,
            base: format!("http://{}", running.addr),
            config,
            running: Some(running),
            _dir: dir,
        }
    }

    /// Stops the server and starts it again on the same data (the port changes).
    pub async fn restart(&mut self) {
        self.stop().await;
        let mut config = self.config.clone();
        config.listen = "127.0.0.1:0".parse().unwrap();
        let running = App::build(config).await.expect("app rebuilds").spawn();
        self.base = format!("http://{}", running.addr);
        self.running = Some(running);
    }

    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("clean stop");
        }
    }

    pub fn state(&self) -> &coproof_server::state::AppState {
        &self.running.as_ref().expect("running").state
    }

    /// A client with no credentials.
    pub fn anonymous(&self) -> Client {
        Client::new(&self.base, None)
    }

    /// Signs up a new account; the client is its billing admin.
    pub async fn signup(&self, account_name: &str, email: &str) -> Client {
        self.signup_in(account_name, email, "en").await
    }

    pub async fn signup_in(&self, account_name: &str, email: &str, language: &str) -> Client {
        let (status, body) = self
            .anonymous()
            .post(
                "/api/v1/signup",
                json!({"account_name": account_name, "name": format!("Admin of {account_name}"),
                       "email": email, "password": "correct horse", "language": language}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "sign-up failed: {body}");
        let client = Client::signed_in(&self.base, &body);
        self.vouch(&client.user_id()).await;
        client
    }

    /// Marks a user's address verified as the operator's `coproof user verify` does: the
    /// scenarios that are not about verification start from verified admins. The identity
    /// scenarios take the e-mailed links instead.
    pub async fn vouch(&self, user_id: &str) {
        coproof_store::identity::vouch(&self.state().store, user_id)
            .await
            .expect("the address is verified");
    }

    /// `admin` adds a user with a password and the given profile, vouches for its address
    /// (see [`TestApp::vouch`]) and logs it in.
    pub async fn add_user(&self, admin: &Client, email: &str, profile: &str) -> Client {
        let (status, body) = admin
            .post(
                "/api/v1/users",
                json!({"email": email, "name": format!("User {email}"), "profile": profile,
                       "password": "correct horse"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "adding a user failed: {body}");
        self.vouch(body["id"].as_str().expect("the user's id"))
            .await;
        self.login(email, "correct horse").await
    }

    pub async fn login(&self, email: &str, password: &str) -> Client {
        let (status, body) = self
            .anonymous()
            .post(
                "/api/v1/login",
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "log-in failed: {body}");
        Client::signed_in(&self.base, &body)
    }

    /// The `.eml` files written so far (when no SMTP server is configured).
    pub fn mail_files(&self) -> Vec<String> {
        let mut found: Vec<_> = std::fs::read_dir(self.config.mail_dir())
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        found
    }

    /// Waits until the outbox is empty (every queued message delivered), up to `secs`.
    pub async fn mail_delivered(&self, secs: u64) -> bool {
        within(std::time::Duration::from_secs(secs), || async {
            coproof_store::outbox::depth(&self.state().store)
                .await
                .is_ok_and(|depth| depth == 0)
        })
        .await
        .is_ok()
    }

    /// The outbox, oldest first: every message queued, sent or not.
    pub async fn outbox(&self) -> Vec<OutboxRow> {
        sqlx::query_as::<_, OutboxRow>(
            "SELECT id, kind, recipient, attempts, sent_at, last_error, claimed_until \
             FROM outbox ORDER BY created_at, id",
        )
        .fetch_all(&mut *self.state().store.read().await.expect("a read connection"))
        .await
        .expect("the outbox reads")
    }

    /// Waits until every message queued so far is sent, each claimed for delivery exactly
    /// once; the outbox then. A worker delivers a message only after claiming it (each
    /// claim counts an attempt) and a sent message is never claimed again, so from then on
    /// no delivery of these messages can still be on its way: what the mail server holds
    /// is final, and no fixed wait for a late duplicate is needed. For mail queued while
    /// the mail server was up (a failed attempt would count too).
    pub async fn mail_sent_once(&self) -> Vec<OutboxRow> {
        let rows = eventually("the outbox is delivered", secs(30), || async {
            let rows = self.outbox().await;
            if rows.iter().all(|r| r.sent_at.is_some()) {
                Ok(rows)
            } else {
                Err(rows)
            }
        })
        .await;
        let twice: Vec<_> = rows.iter().filter(|r| r.attempts != 1).collect();
        assert!(twice.is_empty(), "claimed more than once: {twice:?}");
        rows
    }
}

/// A row of the outbox, as the tests look at it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    /// Claims for delivery (a failed delivery counts, a claim given back untried does not).
    pub attempts: i64,
    pub sent_at: Option<i64>,
    pub last_error: Option<String>,
    /// Until when the claim holds (microseconds since the epoch; 0 when unclaimed).
    pub claimed_until: i64,
}

/// An HTTP client, signed in or not.
#[derive(Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    pub token: Option<String>,
    /// `user` and `account` of the sign-in answer.
    pub user: Value,
    pub account: Value,
}

impl Client {
    pub fn new(base: &str, token: Option<String>) -> Client {
        Client {
            base: base.to_string(),
            http: reqwest::Client::new(),
            token,
            user: Value::Null,
            account: Value::Null,
        }
    }

    /// The same user, talking to another server (e.g. a second app on the same database).
    pub fn via(&self, base: &str) -> Client {
        Client {
            base: base.to_string(),
            ..self.clone()
        }
    }

    /// A client signed in with a sign-up or log-in answer `{token, user, account}`.
    pub fn signed_in(base: &str, session: &Value) -> Client {
        let mut client = Client::new(base, session["token"].as_str().map(str::to_string));
        client.user = session["user"].clone();
        client.account = session["account"].clone();
        client
    }

    pub fn user_id(&self) -> String {
        self.user["id"].as_str().unwrap_or_default().to_string()
    }

    pub fn account_id(&self) -> String {
        self.account["id"].as_str().unwrap_or_default().to_string()
    }

    pub fn email(&self) -> String {
        self.user["email"].as_str().unwrap_or_default().to_string()
    }

    /// Sends a request; the answer's status and JSON body (`Null` when not JSON).
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let response = req.send().await.expect("request reaches the server");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Like [`Client::request`], with the response headers too.
    pub async fn request_with_headers(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let response = req.send().await.expect("request reaches the server");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }

    /// A raw request: the body as given, with or without a content type.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        body: Vec<u8>,
        content_type: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .body(body);
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let response = req.send().await.expect("request reaches the server");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.request(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.request(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.request(Method::PATCH, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.request(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.request(Method::DELETE, path, None).await
    }
}

/// The error code of an error body.
pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<no error code>")
}
