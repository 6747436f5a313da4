//! Guards against misuse from a browser and the network: CSRF on the JSON API for
//! cookie-signed requests, `/metrics` behind its token, HSTS behind https, and downloads
//! that run no script.

use crate::on_both_backends;
use crate::support::envelope::signup_body;
use crate::support::items::{folder, upload};
use crate::support::{code, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A browser signed in through the log-in page: its cookie jar and the page's CSRF token.
async fn browser(app: &TestApp, email: &str) -> (reqwest::Client, String) {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let csrf_of = |page: &str| -> String {
        page.split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a CSRF field")
            .to_string()
    };
    let page = http
        .get(format!("{}/login", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let home = http
        .post(format!("{}/login", app.base))
        .form(&[
            ("email", email),
            ("password", "correct horse"),
            ("csrf", &csrf_of(&page)),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("Signed in as"), "{home}");
    (http, csrf_of(&home))
}

async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A cross-site page can make a browser send its cookie with a form post or a `text/plain`
/// fetch: such requests to the API are refused, and nothing is written. JSON from our own
/// origin, or with the page's token, goes through; bearer tokens need neither.
async fn cookie_signed_api_writes_need_json_from_our_pages(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let (http, csrf) = browser(&app, "ann@agency.example").await;
    let url = format!("{}/api/v1/partners", app.base);
    let body = r#"{"email": "kim@client.example"}"#;
    let refused = [
        http.post(&url)
            .header("content-type", "text/plain")
            .body(body),
        http.post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("email=kim@client.example"),
        http.post(&url)
            .header("content-type", "application/json")
            .header("origin", "https://evil.example")
            .body(body),
        http.post(&url)
            .header("content-type", "application/json")
            .body(body),
        http.post(&url)
            .header("content-type", "text/plain")
            .header("origin", app.base.as_str())
            .body(body),
        http.post(&url)
            .header("content-type", "application/json")
            .header("x-csrf-token", "00".repeat(32))
            .body(body),
    ];
    for request in refused {
        let (status, body) = answer(request.send().await.unwrap()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(code(&body), "csrf", "{body}");
    }
    let (_, list) = ann.get("/api/v1/partners").await;
    assert_eq!(list["relationships"], json!([]), "nothing was sent");

    // Reading with the cookie needs nothing more.
    let (status, _) = answer(http.get(&url).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    // JSON from our own origin, or with the page's token: accepted.
    let (status, body) = answer(
        http.post(&url)
            .header("content-type", "application/json")
            .header("origin", app.base.as_str())
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = answer(
        http.post(&url)
            .header("content-type", "application/json; charset=utf-8")
            .header("x-csrf-token", csrf.as_str())
            .body(r#"{"email": "lee@client.example"}"#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // A bearer token is not a browser's: no Origin, no token, any content type.
    let (status, body) = answer(
        reqwest::Client::new()
            .post(&url)
            .bearer_auth(ann.token.clone().unwrap_or_default())
            .header("content-type", "text/plain")
            .body(r#"{"email": "max@client.example"}"#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The pages' own forms still work with the cookie.
    let page = http
        .get(format!("{}/settings/account/partners", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("kim@client.example"), "{page}");
}

/// `/metrics` answers only with its token when one is set.
async fn metrics_need_their_token_when_one_is_set(backend: Backend) {
    let app =
        TestApp::start_with(backend, |c| c.metrics_token = Some("metrics-secret".into())).await;
    let http = reqwest::Client::new();
    let url = format!("{}/metrics", app.base);
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("Bearer metrics-secre"),
        Some("metrics-secret"),
    ] {
        let mut request = http.get(&url);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let (status, body) = answer(request.send().await.unwrap()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(code(&body), "unauthenticated");
    }
    let response = http
        .get(&url)
        .header("authorization", "Bearer metrics-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("http_requests_total"));
    // Without a token set, it is open (behind the operator's own network rules).
    let open = TestApp::start(backend).await;
    let response = http
        .get(format!("{}/metrics", open.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// HSTS when the public URL is https, not otherwise; downloads are sandboxed.
async fn https_sites_say_so_and_downloads_run_no_script(backend: Backend) {
    let https = TestApp::start_with(backend, |c| {
        c.public_url = Some("https://proof.example".into());
    })
    .await;
    let response = reqwest::get(format!("{}/healthz", https.base))
        .await
        .unwrap();
    assert_eq!(
        response
            .headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        Some("max-age=31536000")
    );
    let plain = TestApp::start(backend).await;
    let response = reqwest::get(format!("{}/healthz", plain.base))
        .await
        .unwrap();
    assert!(response
        .headers()
        .get("strict-transport-security")
        .is_none());

    let ann = plain.signup("Agency", "ann@agency.example").await;
    let page = b"<html><script>alert(document.cookie)</script></html>".to_vec();
    let (status, file) = upload(&plain, &ann, "page.html", page, None).await;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    let response = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/files/{}/content",
            plain.base,
            file["id"].as_str().unwrap()
        ))
        .bearer_auth(ann.token.clone().unwrap_or_default())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let policy = response
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(policy.split(';').any(|d| d.trim() == "sandbox"), "{policy}");
}

/// Expects 429 `rate_limited` with a positive `Retry-After`.
async fn limited(response: (StatusCode, reqwest::header::HeaderMap, Value), what: &str) {
    let (status, headers, body) = response;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{what}: {body}");
    assert_eq!(code(&body), "rate_limited", "{what}: {body}");
    let retry: u64 = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{what}: no Retry-After"));
    assert!(retry > 0, "{what}");
}

async fn outbox_count(app: &TestApp, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE kind = $1")
        .bind(kind)
        .fetch_one(&mut *app.state().store.read().await.unwrap())
        .await
        .unwrap()
}

/// Sign-ups per client IP and users added per account are capped per hour; the request
/// past a cap is 429 with `Retry-After` and writes nothing.
async fn sign_ups_per_ip_and_users_per_account_are_capped(backend: Backend) {
    let app = TestApp::start_with(backend, |c| {
        c.signup_limit_per_ip = 2;
        c.user_add_limit_per_hour = 2;
    })
    .await;
    let ann = app.signup("One", "ann@one.example").await;
    app.signup("Two", "bob@two.example").await;
    let third = app
        .anonymous()
        .request_with_headers(
            reqwest::Method::POST,
            "/api/v1/signup",
            Some(signup_body("cat@three.example")),
        )
        .await;
    limited(third, "the third sign-up from the IP").await;
    let (status, _) = app
        .anonymous()
        .post(
            "/api/v1/login",
            json!({"email": "cat@three.example", "password": "correct horse"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no account was made");

    for i in 0..2 {
        let (status, body) = ann
            .post(
                "/api/v1/users",
                json!({"email": format!("u{i}@one.example"), "name": "U", "profile": "manager"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let past = ann
        .request_with_headers(
            reqwest::Method::POST,
            "/api/v1/users",
            Some(json!({"email": "u2@one.example", "name": "U", "profile": "manager"})),
        )
        .await;
    limited(past, "the third user in the hour").await;
    let (_, users) = ann.get("/api/v1/users").await;
    assert_eq!(users["users"].as_array().map(Vec::len), Some(3), "{users}");
}

/// Share notifications per account are capped per hour, and the same share is e-mailed at
/// most once a day (shared, removed and shared again: one e-mail).
async fn share_mails_are_capped_and_sent_once_a_day(backend: Backend) {
    let app = TestApp::start_with(backend, |c| c.share_mail_limit_per_hour = 2).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let bob = app.add_user(&ann, "bob@agency.example", "manager").await;
    let cat = app.add_user(&ann, "cat@agency.example", "manager").await;
    let dan = app.add_user(&ann, "dan@agency.example", "manager").await;
    let folder = folder(&ann, "Work", None).await;
    let path = format!("/api/v1/folders/{folder}/shares");
    let (status, share) = ann.post(&path, json!({"user_id": bob.user_id()})).await;
    assert_eq!(status, StatusCode::CREATED, "{share}");
    let (status, _) = ann
        .delete(&format!("/api/v1/shares/{}", share["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, again) = ann.post(&path, json!({"user_id": bob.user_id()})).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(
        outbox_count(&app, "item_shared").await,
        1,
        "bob is told once"
    );

    let (status, body) = ann.post(&path, json!({"user_id": cat.user_id()})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let past = ann
        .request_with_headers(
            reqwest::Method::POST,
            &path,
            Some(json!({"user_id": dan.user_id()})),
        )
        .await;
    limited(past, "the third share e-mail in the hour").await;
    let (_, shares) = ann.get(&path).await;
    let to_dan = shares["shares"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["user_id"] == dan.user_id().as_str());
    assert!(!to_dan, "the refused share was not made: {shares}");
    assert_eq!(outbox_count(&app, "item_shared").await, 2);
}

/// The server-wide ceiling: past it, whatever would queue mail is 429, and nothing of it
/// was written.
async fn the_server_wide_mail_ceiling_holds(backend: Backend) {
    let app = TestApp::start_with(backend, |c| c.mail_limit_per_hour = 3).await;
    // The sign-up's verification link is the first of the three.
    let ann = app.signup("Agency", "ann@agency.example").await;
    for n in 0..2 {
        let (status, body) = ann
            .post(
                "/api/v1/partners",
                json!({"email": format!("p{n}@else.example")}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let past = ann
        .request_with_headers(
            reqwest::Method::POST,
            "/api/v1/partners",
            Some(json!({"email": "p2@else.example"})),
        )
        .await;
    limited(past, "the fourth e-mail of the hour").await;
    let (_, list) = ann.get("/api/v1/partners").await;
    assert_eq!(list["relationships"].as_array().map(Vec::len), Some(2));
    assert_eq!(outbox_count(&app, "partner_invitation").await, 2);
}

/// Files in the store's folder (the bytes of every upload, by key).
fn stored_files(app: &TestApp) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| {
                if e.path().is_dir() {
                    count(&e.path())
                } else {
                    1
                }
            })
            .sum()
    }
    count(&app.config.files_dir())
}

/// An account's storage quota: the upload that would cross it is refused before its bytes
/// stay (413 `quota_exceeded`), emptying the trash gives the room back, and the Settings
/// page shows the usage.
async fn the_storage_quota_holds_and_the_trash_gives_room_back(backend: Backend) {
    let app = TestApp::start_with(backend, |c| c.account_quota_bytes = Some(100)).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let folder = folder(&ann, "Old", None).await;
    let (status, body) = upload(&app, &ann, "a.pdf", vec![b'a'; 60], Some(&folder)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let before = stored_files(&app);
    let (status, body) = upload(&app, &ann, "b.pdf", vec![b'b'; 50], None).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(code(&body), "quota_exceeded");
    assert_eq!(stored_files(&app), before, "nothing of it stayed");
    let (http, _) = browser(&app, "ann@agency.example").await;
    let page = http
        .get(format!("{}/settings/account/users", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Files take 60 B of 100 B"), "{page}");

    // Into the trash the folder goes; the room comes back only when it is emptied.
    let (status, _) = ann.delete(&format!("/api/v1/folders/{folder}")).await;
    assert!(status.is_success());
    let (status, _) = upload(&app, &ann, "b.pdf", vec![b'b'; 50], None).await;
    assert_eq!(
        status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "the trash still counts"
    );
    let (status, _) = ann.delete("/api/v1/trash").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = upload(&app, &ann, "b.pdf", vec![b'b'; 50], None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// An upload form may not repeat fields without end.
async fn upload_forms_have_few_fields(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let mut form = reqwest::multipart::Form::new();
    for i in 0..20 {
        form = form.text(format!("junk{i}"), "x");
    }
    form = form.part(
        "file",
        reqwest::multipart::Part::bytes(b"%PDF-1.4".to_vec()).file_name("a.pdf"),
    );
    let (status, body) = answer(
        reqwest::Client::new()
            .post(format!("{}/api/v1/files", app.base))
            .bearer_auth(ann.token.clone().unwrap_or_default())
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(code(&body), "invalid_input");
    assert_eq!(stored_files(&app), 0);
}

/// Opens a raw connection and sends the head of a POST with a 1,000-byte body, and 10
/// bytes of it.
async fn half_a_body(app: &TestApp) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let addr = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            b"POST /api/v1/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
              content-length: 1000\r\n\r\n{\"email\": ",
        )
        .await
        .unwrap();
    stream
}

/// Reads until the server closes the connection (or 20 s pass): what it sent, if anything.
async fn until_closed(stream: &mut tokio::net::TcpStream) -> (bool, String) {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let closed = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    (closed, String::from_utf8_lossy(&got).into_owned())
}

/// A client that sends half a body and waits is cut off, and its place freed, while other
/// requests flow; a request that trickles its body past the whole-request timeout gets 408.
async fn stalled_and_slow_clients_are_cut_off(backend: Backend) {
    let app = TestApp::start_with(backend, |c| {
        c.idle_timeout_secs = 1;
        c.request_timeout_secs = 2;
        c.max_connections = 3;
    })
    .await;
    // Two stalled clients hold two of the three places.
    let mut stalled = vec![half_a_body(&app).await, half_a_body(&app).await];
    for _ in 0..5 {
        let response = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "others keep flowing");
    }
    for stream in &mut stalled {
        let (closed, _) = until_closed(stream).await;
        assert!(closed, "a stalled client is cut off");
    }
    // The places are free again: three at once work.
    let http = reqwest::Client::new();
    let calls = (0..3).map(|_| http.get(format!("{}/healthz", app.base)).send());
    for response in futures::future::join_all(calls).await {
        assert_eq!(response.unwrap().status(), StatusCode::OK);
    }

    // A body trickled a byte at a time never goes idle, but the request ends at 2 s.
    // (Pacing, not a wait for an event: a byte every 100 ms keeps the connection busy with
    // 900 ms to spare before the 1-s idle timeout; for 10 s, well past the 2-s request
    // timeout, however slowly the machine runs.)
    use tokio::io::AsyncWriteExt;
    let mut slow = half_a_body(&app).await;
    let (mut reader, mut writer) = slow.split();
    let trickle = async {
        for _ in 0..100 {
            if writer.write_all(b" ").await.is_err() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    let read = async {
        use tokio::io::AsyncReadExt;
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        while let Ok(n) = reader.read(&mut buf).await {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            if String::from_utf8_lossy(&got).contains("\r\n\r\n") {
                break;
            }
        }
        String::from_utf8_lossy(&got).into_owned()
    };
    let (_, answer) = tokio::join!(trickle, read);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

/// A request head trickled a byte at a time (never idle) is cut off at the header timeout;
/// a normal request on a kept-alive connection afterwards is unaffected.
async fn trickled_headers_are_cut_off(backend: Backend) {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::start_with(backend, |c| {
        c.idle_timeout_secs = 30;
        c.header_timeout_secs = 1;
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    // A byte every 100 ms: the head takes 6 s at least (a lower bound: a loaded machine only
    // makes it slower), past the 1-s header timeout and far from the 30-s idle one.
    let mut cut = false;
    for byte in head {
        if stream.write_all(&[*byte]).await.is_err() {
            cut = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    if !cut {
        let (closed, _) = until_closed(&mut stream).await;
        cut = closed;
    }
    assert!(
        cut,
        "the trickled head was cut off (the idle timeout is 30 s)"
    );
    // Two requests on one kept-alive connection, each head quick: both answered. The pause
    // between them outlasts the header timeout (a lower bound: load only lengthens it), so
    // a head timer running from the connection's start would cut the second one off.
    let http = reqwest::Client::new();
    for _ in 0..2 {
        let response = http
            .get(format!("{}/healthz", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    }
}

on_both_backends!(
    trickled_headers_are_cut_off,
    stalled_and_slow_clients_are_cut_off,
    the_storage_quota_holds_and_the_trash_gives_room_back,
    upload_forms_have_few_fields,
    sign_ups_per_ip_and_users_per_account_are_capped,
    share_mails_are_capped_and_sent_once_a_day,
    the_server_wide_mail_ceiling_holds,
    cookie_signed_api_writes_need_json_from_our_pages,
    metrics_need_their_token_when_one_is_set,
    https_sites_say_so_and_downloads_run_no_script,
);
