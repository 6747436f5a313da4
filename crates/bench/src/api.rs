//! A small JSON API client: one signed-in user (or none) of the server under test.

use anyhow::{bail, Context};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The addresses of the server's processes (`--processes`): each request goes to the next,
/// as a round-robin load balancer would send it.
#[derive(Clone)]
pub struct Bases {
    list: Arc<[String]>,
    next: Arc<AtomicUsize>,
}

impl Bases {
    pub fn new(list: Vec<String>) -> Bases {
        Bases {
            list: list.into(),
            next: Arc::default(),
        }
    }

    /// The address for the next request.
    pub fn pick(&self) -> &str {
        &self.list[self.next.fetch_add(1, Ordering::Relaxed) % self.list.len()]
    }

    /// The first process's address (for what any process answers alike).
    pub fn first(&self) -> &str {
        &self.list[0]
    }

    pub fn all(&self) -> &[String] {
        &self.list
    }
}

#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: Bases,
    pub token: Option<String>,
}

impl Api {
    pub fn anonymous(http: &reqwest::Client, base: &Bases) -> Api {
        Api {
            http: http.clone(),
            base: base.clone(),
            token: None,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base.pick(), path));
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let response = req.send().await.context("request")?;
        let status = response.status();
        let bytes = response.bytes().await.context("response body")?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    /// GETs a page of contacts: whether it holds any. The check of a load run, kept to the
    /// start of the answer because the client shares the machine's two cores with the
    /// server it measures (parsing each 15 KB page, even into nothing, took a quarter of
    /// the client's time). The tests check what the pages hold.
    pub async fn page_has_contacts(&self, path: &str) -> anyhow::Result<bool> {
        let mut req = self.http.get(format!("{}{}", self.base.pick(), path));
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        let response = req.send().await.context("request")?;
        let status = response.status();
        let bytes = response.bytes().await.context("response body")?;
        if status != StatusCode::OK || !bytes.starts_with(br#"{"contacts":["#) {
            bail!(
                "GET {path}: expected 200 and a page of contacts, got {status} {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        Ok(bytes.starts_with(br#"{"contacts":[{"#))
    }

    /// Calls and insists on `expected`; the answer's body.
    pub async fn expect(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        expected: StatusCode,
    ) -> anyhow::Result<Value> {
        let (status, answer) = self.call(method.clone(), path, body).await?;
        if status != expected {
            bail!("{method} {path}: expected {expected}, got {status} {answer}");
        }
        Ok(answer)
    }

    /// Signs up a new account; the returned client is its billing admin.
    pub async fn signup(&self, account_name: &str, email: &str) -> anyhow::Result<Api> {
        let body = serde_json::json!({"account_name": account_name, "name": format!("Admin {account_name}"),
            "email": email, "password": "bench password"});
        let session = self
            .expect(
                Method::POST,
                "/api/v1/signup",
                Some(&body),
                StatusCode::CREATED,
            )
            .await?;
        Ok(Api {
            http: self.http.clone(),
            base: self.base.clone(),
            token: session["token"].as_str().map(str::to_string),
        })
    }

    /// Adds a user without a password (no log-in needed for an invitee).
    pub async fn add_user(&self, email: &str, profile: &str) -> anyhow::Result<Value> {
        let body = serde_json::json!({"email": email, "name": format!("User {email}"), "profile": profile});
        self.expect(
            Method::POST,
            "/api/v1/users",
            Some(&body),
            StatusCode::CREATED,
        )
        .await
    }
}
