//! Folders and files through the API.

use super::{Client, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Uploads `bytes` as a file named `name` (into `folder` when given).
pub async fn upload(
    app: &TestApp,
    client: &Client,
    name: &str,
    bytes: Vec<u8>,
    folder: Option<&str>,
) -> (StatusCode, Value) {
    let mut form = reqwest::multipart::Form::new();
    if let Some(folder) = folder {
        form = form.text("folder_id", folder.to_string());
    }
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str("text/plain")
        .unwrap();
    form = form.part("file", part);
    let mut req = reqwest::Client::new()
        .post(format!("{}/api/v1/files", app.base))
        .multipart(form);
    if let Some(token) = &client.token {
        req = req.bearer_auth(token);
    }
    let response = req.send().await.expect("upload reaches the server");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_string()
}

/// Creates a folder as `client`, asserting success.
pub async fn folder(client: &Client, name: &str, parent: Option<&str>) -> String {
    let (status, body) = client
        .post(
            "/api/v1/folders",
            json!({"name": name, "parent_id": parent}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    id(&body)
}

/// Uploads a small file as `client`, asserting success.
pub async fn file(app: &TestApp, client: &Client, name: &str, folder: Option<&str>) -> String {
    let (status, body) = upload(app, client, name, b"%PDF-1.4 proof".to_vec(), folder).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    id(&body)
}
