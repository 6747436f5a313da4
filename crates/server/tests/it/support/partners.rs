//! Partner requests through the API: send, act on, list, and read the audit log.

use super::Client;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The Partners list of `client`'s account (every page, limit 200).
pub async fn partners(client: &Client) -> Vec<Value> {
    let (status, body) = client.get("/api/v1/partners?limit=200").await;
    assert_eq!(status, StatusCode::OK, "listing partners: {body}");
    body["relationships"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

pub async fn send(client: &Client, email: &str) -> (StatusCode, Value) {
    client
        .post("/api/v1/partners", json!({ "email": email }))
        .await
}

/// Sends and expects 201; the new relationship's id.
pub async fn sent(client: &Client, email: &str) -> String {
    let (status, body) = send(client, email).await;
    assert_eq!(status, StatusCode::CREATED, "sending to {email}: {body}");
    body["id"].as_str().expect("an id").to_string()
}

pub async fn act(client: &Client, id: &str, action: &str) -> (StatusCode, Value) {
    match action {
        "delete" => client.delete(&format!("/api/v1/partners/{id}")).await,
        _ => {
            client
                .post(&format!("/api/v1/partners/{id}/{action}"), json!({}))
                .await
        }
    }
}

/// `a`'s admin sends a partner request to `b`'s admin, who accepts. The relationship id.
pub async fn make_partners(a: &Client, b: &Client) -> String {
    let (status, rel) = a
        .post("/api/v1/partners", json!({"email": b.email()}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rel}");
    let id = rel["id"].as_str().unwrap().to_string();
    let (status, body) = b
        .post(&format!("/api/v1/partners/{id}/accept"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

/// (action, relationship id) of every audit entry of `client`'s account, newest first,
/// following every page.
pub async fn audit_actions(client: &Client) -> Vec<(String, String)> {
    audit_entries(client)
        .await
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_string(),
                e["relationship_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

pub async fn audit_entries(client: &Client) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            None => "/api/v1/audit?limit=200".to_string(),
            Some(c) => format!("/api/v1/audit?limit=200&cursor={c}"),
        };
        let (status, body) = client.get(&q).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        entries.extend(body["entries"].as_array().cloned().unwrap_or_default());
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return entries,
        }
    }
}
