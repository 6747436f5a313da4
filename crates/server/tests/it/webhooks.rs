//! Signed webhooks: endpoints through the API and the page, deliveries to a loopback
//! receiver that checks every signature with its own implementation of the Standard
//! Webhooks scheme, retries while the receiver is down (once per event id), deliveries
//! that outlive a `kill -9`, the address rules, and who may do what.

use crate::on_both_backends;
use crate::support::items::{file, folder, id};
use crate::support::partners::make_partners;
use crate::support::{code, eventually, process, secs, Backend, Client, TestApp};
use axum::body::Bytes;
use axum::http::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
    /// The status the receiver answered with.
    answered: u16,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    fn event(&self) -> String {
        self.json()["type"].as_str().unwrap_or_default().to_string()
    }
}

/// A webhook receiver on 127.0.0.1 that records every request and answers with the
/// status it is told (200 unless set).
#[derive(Clone)]
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    async fn start() -> Receiver {
        let got = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(200));
        let (g, s) = (got.clone(), status.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let (g, s) = (g.clone(), s.clone());
                async move {
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string()
                    };
                    let answered = s.load(Ordering::SeqCst);
                    g.lock().unwrap().push(Received {
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp"),
                        signature: header("webhook-signature"),
                        body: body.to_vec(),
                        answered,
                    });
                    axum::http::StatusCode::from_u16(answered).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            url: format!("http://{addr}/hook"),
            got,
            status,
        }
    }

    fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// The requests answered 2xx.
    fn accepted(&self) -> Vec<Received> {
        self.got()
            .into_iter()
            .filter(|r| (200..300).contains(&r.answered))
            .collect()
    }
}

/// The Standard Webhooks check, written here apart from the server's signer: the
/// secret's base64 part is the HMAC-SHA256 key of `"{id}.{timestamp}.{body}"`, and the
/// header holds one or more space-separated `v1,<base64>` signatures.
fn verify(secret: &str, r: &Received) -> bool {
    use base64::Engine;
    use hmac::Mac;
    let b64 = base64::engine::general_purpose::STANDARD;
    let Some(key) = secret
        .strip_prefix("whsec_")
        .and_then(|k| b64.decode(k).ok())
    else {
        return false;
    };
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.", r.id, r.timestamp).as_bytes());
    mac.update(&r.body);
    let expected = b64.encode(mac.finalize().into_bytes());
    let fresh = r
        .timestamp
        .parse::<i64>()
        .is_ok_and(|t| (chrono::Utc::now().timestamp() - t).abs() < 300);
    fresh
        && r.signature
            .split(' ')
            .any(|s| s.strip_prefix("v1,") == Some(expected.as_str()))
}

async fn start(backend: Backend) -> TestApp {
    TestApp::start_with(backend, |c| {
        c.webhooks_allow_private = true;
        c.webhooks_retry_max_secs = 1;
    })
    .await
}

/// Registers `url` for `events` as `admin`; the endpoint's id and secret.
async fn register(admin: &Client, url: &str, events: &[&str]) -> (String, String) {
    let (status, body) = admin
        .post("/api/v1/webhooks", json!({"url": url, "events": events}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let secret = body["secret"].as_str().expect("a secret").to_string();
    (id(&body), secret)
}

async fn deliveries(admin: &Client, endpoint: &str) -> Vec<Value> {
    let (status, body) = admin
        .get(&format!("/api/v1/webhooks/{endpoint}/deliveries"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["deliveries"].as_array().cloned().unwrap_or_default()
}

fn events_of(got: &[Received]) -> Vec<String> {
    let mut events: Vec<String> = got.iter().map(Received::event).collect();
    events.sort();
    events
}

/// Share, decision and comment events reach the endpoints of the accounts they concern,
/// and only those, each signed; the delivery log says what happened; the test event goes
/// to one endpoint only.
async fn events_reach_the_right_accounts_signed(backend: Backend) {
    let app = start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let kim = app.signup("Client", "kim@client.example").await;
    let sam = app.signup("Elsewhere", "sam@else.example").await;
    make_partners(&ann, &kim).await;
    let lee = app.add_user(&kim, "lee@client.example", "manager").await;
    let (agency_rx, client_rx, else_rx) = (
        Receiver::start().await,
        Receiver::start().await,
        Receiver::start().await,
    );
    let all = [
        "share.created",
        "share.removed",
        "proof.decided",
        "proof.commented",
        "partner.requested",
    ];
    let (agency_hook, agency_secret) = register(&ann, &agency_rx.url, &all).await;
    let (client_hook, client_secret) =
        register(&kim, &client_rx.url, &["share.created", "proof.decided"]).await;
    let (_, else_secret) = register(&sam, &else_rx.url, &all).await;
    assert_ne!(agency_secret, client_secret);
    assert_ne!(client_secret, else_secret);

    // A folder shared with Client's account, then the share removed.
    let top = folder(&ann, "Top", None).await;
    let (status, share) = ann
        .post(
            &format!("/api/v1/folders/{top}/shares"),
            json!({"account_id": kim.account_id()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{share}");
    let (status, _) = ann.delete(&format!("/api/v1/shares/{}", id(&share))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // A proof with Client's user as approver: a share, a decision, a comment.
    let art = file(&app, &ann, "art.pdf", Some(&top)).await;
    let (status, proof) = ann
        .post(
            "/api/v1/proofs",
            json!({"name": "Art", "file_id": art,
                   "reviewers": [{"user_id": lee.user_id(), "role": "approver"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{proof}");
    let proof = id(&proof);
    let (status, body) = lee
        .post(
            &format!("/api/v1/proofs/{proof}/decision"),
            json!({"decision": "approved"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = ann
        .post(
            &format!("/api/v1/proofs/{proof}/comments"),
            json!({"body": "Looks good"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let agency = eventually("Agency's five events", secs(30), || async {
        let got = agency_rx.accepted();
        (got.len() >= 5).then_some(got)
    })
    .await;
    let client = eventually("Client's two events", secs(30), || async {
        let got = client_rx.accepted();
        (got.len() >= 3).then_some(got)
    })
    .await;
    assert_eq!(
        events_of(&agency),
        [
            "proof.commented",
            "proof.decided",
            "share.created",
            "share.created",
            "share.removed"
        ]
    );
    // Client wants share.created and proof.decided: the folder share and the proof
    // share to its user, and its user's decision.
    assert_eq!(
        events_of(&client),
        ["proof.decided", "share.created", "share.created"]
    );
    for r in &agency {
        assert!(verify(&agency_secret, r), "a bad signature: {r:?}");
        assert!(!verify(&client_secret, r));
    }
    for r in &client {
        assert!(verify(&client_secret, r), "a bad signature: {r:?}");
    }
    let decided = client
        .iter()
        .find(|r| r.event() == "proof.decided")
        .unwrap()
        .json();
    assert_eq!(decided["data"]["proof"]["id"], proof.as_str());
    assert_eq!(decided["data"]["decision"], "approved");
    assert_eq!(decided["data"]["by"]["id"], lee.user_id().as_str());
    assert!(decided["timestamp"].as_str().unwrap().ends_with('Z'));
    // The same event has one id on every endpoint it went to.
    let shared_ids = |got: &[Received]| -> BTreeSet<String> {
        got.iter()
            .filter(|r| r.event() == "share.created")
            .map(|r| r.id.clone())
            .collect()
    };
    assert_eq!(shared_ids(&agency), shared_ids(&client));

    // The log says delivered, with the ids the receiver saw (the worker notes the answer
    // just after the receiver has the event: wait for that).
    let log = eventually("five deliveries logged", secs(30), || async {
        let log = deliveries(&ann, &agency_hook).await;
        let done = log.len() == 5 && log.iter().all(|d| d["status"] == "delivered");
        done.then_some(log)
    })
    .await;
    for d in &log {
        assert_eq!(d["attempts"], 1);
        assert_eq!(d["last_status_code"], 200);
        assert!(agency.iter().any(|r| r.id == d["id"].as_str().unwrap()));
    }

    // The test event: to Client's endpoint only.
    let (status, body) = kim
        .post(&format!("/api/v1/webhooks/{client_hook}/test"), json!({}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let test_id = body["id"].as_str().unwrap().to_string();
    let test = eventually("the test event", secs(30), || async {
        client_rx.accepted().into_iter().find(|r| r.id == test_id)
    })
    .await;
    assert_eq!(test.event(), "webhook.test");
    assert!(verify(&client_secret, &test));
    // Nothing ever went to the unrelated account, nor more to the others.
    assert!(else_rx.got().is_empty(), "{:?}", else_rx.got());
    assert_eq!(agency_rx.got().len(), 5);
    assert_eq!(client_rx.got().len(), 4);
}

/// While the receiver answers 503 every event is retried under the same id; once it is
/// back, each is delivered, and accepted once.
async fn a_receiver_that_is_down_gets_each_event_later_once(backend: Backend) {
    let app = start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let bob = app.add_user(&ann, "bob@agency.example", "manager").await;
    let rx = Receiver::start().await;
    rx.answer(503);
    let (hook, secret) = register(&ann, &rx.url, &["share.created"]).await;
    let count = 3;
    for n in 0..count {
        let f = folder(&ann, &format!("F{n}"), None).await;
        let (status, body) = ann
            .post(
                &format!("/api/v1/folders/{f}/shares"),
                json!({"user_id": bob.user_id()}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // Every event tried at least twice, each time with its own id.
    eventually("every event retried", secs(30), || async {
        let log = deliveries(&ann, &hook).await;
        log.len() == count
            && log.iter().all(|d| {
                d["status"] == "pending"
                    && d["attempts"].as_i64() >= Some(2)
                    && d["last_status_code"] == 503
            })
    })
    .await;
    let refused: BTreeSet<String> = rx.got().iter().map(|r| r.id.clone()).collect();
    assert_eq!(refused.len(), count);
    rx.answer(200);
    eventually("every event delivered", secs(30), || async {
        let log = deliveries(&ann, &hook).await;
        log.iter().all(|d| d["status"] == "delivered")
    })
    .await;
    let accepted = rx.accepted();
    let ids: BTreeSet<String> = accepted.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids, refused, "the same ids as the refused attempts");
    assert_eq!(accepted.len(), count, "each event accepted once");
    for r in rx.got() {
        assert!(verify(&secret, &r), "every attempt is signed: {r:?}");
    }
    // Nothing is sent again after its delivery: a later event arrives alone.
    let f = folder(&ann, "Later", None).await;
    let (status, _) = ann
        .post(
            &format!("/api/v1/folders/{f}/shares"),
            json!({"user_id": bob.user_id()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    eventually("the later event", secs(30), || async {
        rx.accepted().len() == count + 1
    })
    .await;
    assert_eq!(
        rx.got().iter().filter(|r| r.answered == 200).count(),
        count + 1
    );
}

/// An endpoint registered while private addresses were allowed, on a server that no
/// longer allows them: the delivery is refused before anything is sent, recorded failed
/// with the reason.
async fn a_private_address_is_refused_again_at_delivery(backend: Backend) {
    let mut app = start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let rx = Receiver::start().await;
    let (hook, _) = register(&ann, &rx.url, &["share.created"]).await;
    app.config.webhooks_allow_private = false;
    app.restart().await;
    let ann = ann.via(&app.base);
    let bob = app.add_user(&ann, "bob@agency.example", "manager").await;
    let f = folder(&ann, "F", None).await;
    let (status, _) = ann
        .post(
            &format!("/api/v1/folders/{f}/shares"),
            json!({"user_id": bob.user_id()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let failed = eventually("the delivery refused", secs(30), || async {
        let log = deliveries(&ann, &hook).await;
        log.into_iter().find(|d| d["status"] == "failed")
    })
    .await;
    assert!(
        failed["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("refused")),
        "{failed}"
    );
    assert_eq!(failed["last_status_code"], Value::Null);
    assert!(rx.got().is_empty(), "nothing was sent: {:?}", rx.got());
}

/// Who may do what, and what is refused before anything is stored.
async fn endpoints_are_for_admins_of_their_account(backend: Backend) {
    let app = TestApp::start(backend).await; // private addresses refused
    let ann = app.signup("Agency", "ann@agency.example").await;
    let max = app.add_user(&ann, "max@agency.example", "manager").await;
    let sam = app.signup("Elsewhere", "sam@else.example").await;

    let long = format!("https://hooks.example.com/{}", "a".repeat(2100));
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest",
        "http://100.64.0.1/hook",
        "http://[fd00::1]/hook",
        "http://0.0.0.0/hook",
        "http://2130706433/hook",
        "ftp://hooks.example.com/x",
        "not a url",
        "https://user:pw@hooks.example.com/x",
        &long,
    ] {
        let (status, body) = ann
            .post(
                "/api/v1/webhooks",
                json!({"url": url, "events": ["share.created"]}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {body}");
        assert_eq!(code(&body), "invalid_url", "{url}: {body}");
    }
    for events in [
        json!(["share.created", "share.exploded"]),
        json!([]),
        json!("share.created"),
    ] {
        let (status, body) = ann
            .post(
                "/api/v1/webhooks",
                json!({"url": "http://93.184.216.34/hook", "events": events}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{events}: {body}");
        assert_eq!(code(&body), "invalid_input", "{events}: {body}");
    }
    let (_, body) = ann.get("/api/v1/webhooks").await;
    assert_eq!(body, json!({"webhooks": []}), "nothing was stored");

    // A public address (a literal: nothing is resolved, and no event is ever sent: the
    // endpoint is deleted before anything happens to the account).
    let (status, body) = ann
        .post(
            "/api/v1/webhooks",
            json!({"url": "http://93.184.216.34/hook", "events": ["partner.expired", "partner.expired"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let hook = id(&body);
    assert_eq!(body["events"], json!(["partner.expired"]));
    let secret = body["secret"].as_str().unwrap();
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_"))
        .expect("base64");
    assert_eq!(key.len(), 32);
    let (status, body) = ann.get("/api/v1/webhooks").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["webhooks"][0]["id"], hook.as_str());
    assert!(body["webhooks"][0].get("secret").is_none(), "{body}");

    // A manager of the account: 403 everywhere.
    for (status, body) in [
        max.get("/api/v1/webhooks").await,
        max.post(
            "/api/v1/webhooks",
            json!({"url": "http://93.184.216.34/", "events": ["share.created"]}),
        )
        .await,
        max.get(&format!("/api/v1/webhooks/{hook}/deliveries"))
            .await,
        max.post(&format!("/api/v1/webhooks/{hook}/test"), json!({}))
            .await,
        max.delete(&format!("/api/v1/webhooks/{hook}")).await,
    ] {
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(code(&body), "forbidden");
    }
    // Another account's admin: 404, as if it did not exist.
    for (status, body) in [
        sam.get(&format!("/api/v1/webhooks/{hook}/deliveries"))
            .await,
        sam.post(&format!("/api/v1/webhooks/{hook}/test"), json!({}))
            .await,
        sam.delete(&format!("/api/v1/webhooks/{hook}")).await,
        ann.delete("/api/v1/webhooks/nonsense").await,
    ] {
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(code(&body), "not_found");
    }
    let (_, body) = sam.get("/api/v1/webhooks").await;
    assert_eq!(body, json!({"webhooks": []}));

    let (status, _) = ann.delete(&format!("/api/v1/webhooks/{hook}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, body) = ann.get("/api/v1/webhooks").await;
    assert_eq!(body, json!({"webhooks": []}));
    let (status, _) = ann
        .get(&format!("/api/v1/webhooks/{hook}/deliveries"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The Webhooks tab: add an endpoint (the secret shown once), send a test event, read
/// the log, delete; in Korean too; other profiles get the 403 page.
async fn the_webhooks_tab_adds_tests_and_deletes(backend: Backend) {
    let app = start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    app.add_user(&ann, "max@agency.example", "manager").await;
    let rx = Receiver::start().await;
    let mut b = Page::signed_in(&app, "ann@agency.example").await;
    let shown = b.get("/settings/account/webhooks").await;
    assert_eq!(shown.0, StatusCode::OK);
    assert!(shown.1.contains("href=\"/settings/account/webhooks\""));
    // A refused URL: 400, the form kept.
    let shown = b
        .post(
            "/settings/account/webhooks",
            &[
                ("url", "http://example.invalid:99999/"),
                ("event.share.created", "1"),
            ],
        )
        .await;
    assert_eq!(shown.0, StatusCode::BAD_REQUEST, "{}", shown.1);
    assert!(shown.1.contains("cannot be used"), "{}", shown.1);
    let shown = b
        .post(
            "/settings/account/webhooks",
            &[
                ("url", &rx.url),
                ("event.share.created", "1"),
                ("event.proof.decided", "1"),
            ],
        )
        .await;
    assert_eq!(shown.0, StatusCode::OK, "{}", shown.1);
    let secret = shown
        .1
        .split("id=\"webhook-secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the secret on the page")
        .to_string();
    assert!(secret.starts_with("whsec_"));
    let (_, list) = ann.get("/api/v1/webhooks").await;
    let hook = list["webhooks"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        list["webhooks"][0]["events"],
        json!(["share.created", "proof.decided"])
    );
    // The secret is not shown again.
    let shown = b.get("/settings/account/webhooks").await;
    assert!(!shown.1.contains(&secret));
    let shown = b
        .post(&format!("/settings/account/webhooks/{hook}/test"), &[])
        .await;
    assert_eq!(shown.0, StatusCode::OK);
    let test = eventually("the test event", secs(30), || async {
        rx.accepted().into_iter().next()
    })
    .await;
    assert_eq!(test.event(), "webhook.test");
    assert!(verify(&secret, &test));
    let shown = eventually("the log shows it delivered", secs(30), || {
        let mut b = b.clone();
        let hook = hook.clone();
        async move {
            let shown = b.get(&format!("/settings/account/webhooks/{hook}")).await;
            shown
                .1
                .contains("data-status=\"delivered\"")
                .then_some(shown)
        }
    })
    .await;
    assert!(shown.1.contains(&test.id));
    let shown = b
        .post(&format!("/settings/account/webhooks/{hook}/delete"), &[])
        .await;
    assert_eq!(shown.0, StatusCode::OK);
    assert!(shown.1.contains("The endpoint was deleted."));
    let (_, list) = ann.get("/api/v1/webhooks").await;
    assert_eq!(list, json!({"webhooks": []}));

    // In Korean, for a Korean admin.
    let han = app.signup_in("Hangul", "han@ko.example", "ko").await;
    register(&han, &rx.url, &["share.created"]).await;
    let mut ko = Page::signed_in(&app, "han@ko.example").await;
    let shown = ko.get("/settings/account/webhooks").await;
    assert_eq!(shown.0, StatusCode::OK);
    assert!(shown.1.contains("테스트 이벤트 보내기"), "{}", shown.1);

    let mut max = Page::signed_in(&app, "max@agency.example").await;
    let shown = max.get("/settings/account/webhooks").await;
    assert_eq!(shown.0, StatusCode::FORBIDDEN);
}

/// A cookie-keeping visitor that follows redirects and posts forms with the last page's
/// CSRF token.
#[derive(Clone)]
struct Page {
    base: String,
    http: reqwest::Client,
    csrf: String,
}

impl Page {
    async fn signed_in(app: &TestApp, email: &str) -> Page {
        let mut page = Page {
            base: app.base.clone(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .unwrap(),
            csrf: String::new(),
        };
        page.get("/login").await;
        page.post("/login", &[("email", email), ("password", "correct horse")])
            .await;
        page
    }

    async fn shown(&mut self, response: reqwest::Response) -> (StatusCode, String) {
        let status = response.status();
        let body = response.text().await.unwrap();
        if let Some(token) = body
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
        {
            self.csrf = token.to_string();
        }
        (status, body)
    }

    async fn get(&mut self, path: &str) -> (StatusCode, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        self.shown(response).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        let csrf = self.csrf.clone();
        form.push(("csrf", &csrf));
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        self.shown(response).await
    }
}

// ---- kill -9 ----

/// Starts `coproof serve` as a process on `data` (and the database at `url`), webhooks to
/// loopback allowed, retries every second; waits until it answers.
async fn serve(data: &std::path::Path, url: &str) -> (std::process::Child, String) {
    let args = [
        "--database-url",
        url,
        "--webhooks-allow-private",
        "--webhooks-retry-max-secs",
        "1",
    ];
    process::serve(data, &args, &[]).await
}

/// `kill -9` after the changes were acknowledged and while their deliveries wait for the
/// receiver (it answers 503): after a restart on the same data, every event is delivered,
/// under the id it first had, accepted once each.
async fn deliveries_outlive_a_kill(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let url = crate::support::fresh_database(backend, &data).await;
    let (mut child, base) = serve(&data, &url).await;
    let anon = Client::new(&base, None);
    let (status, body) = anon
        .post(
            "/api/v1/signup",
            json!({"account_name": "Agency", "name": "Ann", "email": "ann@agency.example",
                   "password": "correct horse"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let ann = Client::signed_in(&base, &body);
    let (status, bob) = ann
        .post(
            "/api/v1/users",
            json!({"email": "bob@agency.example", "name": "Bob", "profile": "manager",
                   "password": "correct horse"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{bob}");
    let rx = Receiver::start().await;
    rx.answer(503);
    let (hook, secret) = register(&ann, &rx.url, &["share.created"]).await;
    let count = 5;
    for n in 0..count {
        let f = folder(&ann, &format!("F{n}"), None).await;
        let (status, body) = ann
            .post(
                &format!("/api/v1/folders/{f}/shares"),
                json!({"user_id": id(&bob)}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    eventually("an attempt refused by the receiver", secs(30), || async {
        !rx.got().is_empty()
    })
    .await;
    child.kill().unwrap();
    child.wait().unwrap();
    let before: BTreeSet<String> = rx.got().iter().map(|r| r.id.clone()).collect();

    rx.answer(200);
    let (mut child, base) = serve(&data, &url).await;
    let ann = ann.via(&base);
    let delivered = eventually(
        "every event delivered after the restart",
        secs(60),
        || async {
            let log = deliveries(&ann, &hook).await;
            (log.len() == count && log.iter().all(|d| d["status"] == "delivered")).then_some(log)
        },
    )
    .await;
    let _ = child.kill();
    let _ = child.wait();
    let accepted = rx.accepted();
    let ids: BTreeSet<String> = accepted.iter().map(|r| r.id.clone()).collect();
    let logged: BTreeSet<String> = delivered
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, logged, "every event, under its one id");
    assert!(
        before.is_subset(&ids),
        "the ids tried before the kill are kept"
    );
    assert_eq!(accepted.len(), count, "each accepted once");
    for r in rx.got() {
        assert!(
            verify(&secret, &r),
            "signed with the same key after the restart"
        );
    }
}

/// Partner events reach each side with what it may know: the sender hears of its own
/// request, the recipient of what reaches it (never of a request its policy withheld, nor
/// of its expiry); who acted is named to its own side, and to both once partners.
async fn partner_events_reach_each_side_with_what_it_may_know(backend: Backend) {
    let app = start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let kim = app.signup("Client", "kim@client.example").await;
    let (agency_rx, client_rx) = (Receiver::start().await, Receiver::start().await);
    let partner_events = [
        "partner.requested",
        "partner.accepted",
        "partner.rejected",
        "partner.removed",
        "partner.expired",
    ];
    let (_, agency_secret) = register(&ann, &agency_rx.url, &partner_events).await;
    let (_, client_secret) = register(&kim, &client_rx.url, &partner_events).await;

    let rel = crate::support::partners::sent(&ann, &kim.email()).await;
    let (status, _) = kim
        .post(&format!("/api/v1/partners/{rel}/accept"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = ann.delete(&format!("/api/v1/partners/{rel}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Kim's policy now withholds everything; the request then expires.
    let (status, _) = kim
        .put(
            "/api/v1/partner-policy",
            json!({"incoming": "nobody", "allowed_domains": [], "blocked_domains": [],
                   "auto_accept_domains": [], "request_lifetime_days": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let withheld = crate::support::partners::sent(&ann, &kim.email()).await;
    let store = &app.state().store;
    store.move_clock(2 * 86_400 * 1_000_000);
    assert_eq!(
        coproof_store::partners::expire_overdue(store)
            .await
            .unwrap(),
        1
    );

    let agency = eventually("Agency's five partner events", secs(30), || async {
        let got = agency_rx.accepted();
        (got.len() >= 5).then_some(got)
    })
    .await;
    let client = eventually("Client's three partner events", secs(30), || async {
        let got = client_rx.accepted();
        (got.len() >= 3).then_some(got)
    })
    .await;
    let summary = |got: &[Received]| -> Vec<(String, String, String, Value)> {
        let mut seen: Vec<_> = got
            .iter()
            .map(|r| {
                let body = r.json();
                let d = &body["data"];
                (
                    d["relationship"]["id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    body["type"].as_str().unwrap_or_default().to_string(),
                    d["relationship"]["status"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    d["by"]["name"].clone(),
                )
            })
            .collect();
        // By relationship, then in the order things happen to one.
        seen.sort_by_key(|(rel, event, ..)| {
            (rel.clone(), partner_events.iter().position(|e| e == event))
        });
        seen
    };
    let row = |rel: &str, event: &str, status: &str, by: Value| {
        (rel.to_string(), event.to_string(), status.to_string(), by)
    };
    let (ann_name, kim_name) = (json!("Admin of Agency"), json!("Admin of Client"));
    let mut want_agency = vec![
        row(&rel, "partner.requested", "pending", ann_name.clone()),
        row(&rel, "partner.accepted", "accepted", kim_name.clone()),
        row(&rel, "partner.removed", "none", ann_name.clone()),
        row(&withheld, "partner.requested", "pending", ann_name.clone()),
        row(&withheld, "partner.expired", "expired", Value::Null),
    ];
    want_agency.sort_by_key(|(rel, event, ..)| {
        (rel.clone(), partner_events.iter().position(|e| e == event))
    });
    assert_eq!(summary(&agency), want_agency);
    assert_eq!(
        summary(&client),
        vec![
            // The recipient sees who invited it, as on its Partners tab.
            row(&rel, "partner.requested", "pending", ann_name.clone()),
            row(&rel, "partner.accepted", "accepted", kim_name.clone()),
            row(&rel, "partner.removed", "none", Value::Null),
        ]
    );
    for r in &agency {
        assert!(verify(&agency_secret, r), "a bad signature: {r:?}");
    }
    for r in &client {
        assert!(verify(&client_secret, r), "a bad signature: {r:?}");
    }
    // Partner ids as each side may know them: the recipient always knows the sender.
    let first = client
        .iter()
        .find(|r| r.event() == "partner.requested")
        .unwrap();
    assert_eq!(
        first.json()["data"]["relationship"]["partner_account"]["id"],
        ann.account_id().as_str()
    );
    let sent = agency
        .iter()
        .find(|r| r.event() == "partner.requested")
        .unwrap();
    assert_eq!(
        sent.json()["data"]["relationship"]["partner_account"],
        Value::Null
    );
}

on_both_backends!(
    partner_events_reach_each_side_with_what_it_may_know,
    events_reach_the_right_accounts_signed,
    a_receiver_that_is_down_gets_each_event_later_once,
    a_private_address_is_refused_again_at_delivery,
    endpoints_are_for_admins_of_their_account,
    the_webhooks_tab_adds_tests_and_deletes,
    deliveries_outlive_a_kill,
);
