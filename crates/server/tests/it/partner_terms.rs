//! Terms per partnership and direction (`PUT /partners/{id}/terms`): they cap the proof
//! role and the download of originals inside the one access function, and scope which of
//! the account's users reach the partner's Contacts (and `coproof check contacts`) — on
//! both databases.

use crate::on_both_backends;
use crate::support::items::{file, id};
use crate::support::partners::{act, make_partners, sent};
use crate::support::{code, Backend, Client, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn terms(max: &str, download: bool, visible: Value) -> Value {
    json!({"max_proof_role": max, "download": download, "visible_users": visible})
}

async fn put_terms(client: &Client, rel: &str, body: Value) -> Value {
    let (status, got) = client
        .put(&format!("/api/v1/partners/{rel}/terms"), body)
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    got
}

async fn the_terms_read_save_and_refuse_bad_input(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let amy = app.add_user(&ann, "amy@agency.example", "manager").await;
    let kim = app.signup("Client", "kim@client.example").await;
    let rel = make_partners(&ann, &kim).await;
    let path = format!("/api/v1/partners/{rel}/terms");

    let (status, got) = ann.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, terms("reviewer_approver", true, json!("all")));
    let saved = put_terms(
        &ann,
        &rel,
        terms("approver", false, json!([amy.user_id(), amy.user_id()])),
    )
    .await;
    assert_eq!(saved, terms("approver", false, json!([amy.user_id()])));
    assert_eq!(ann.get(&path).await.1, saved);
    // Each side sets its own: Kim's terms for Agency are untouched.
    assert_eq!(
        kim.get(&path).await.1,
        terms("reviewer_approver", true, json!("all"))
    );

    for bad in [
        terms("author", true, json!("all")),
        terms("moderator", true, json!("all")),
        terms("boss", true, json!("all")),
        terms("reviewer", true, json!("some")),
        terms("reviewer", true, json!([1, 2])),
        terms("reviewer", true, json!([kim.user_id()])),
        terms("reviewer", true, json!(["nobody"])),
        terms("reviewer", true, json!(["\u{0}"])),
        terms("reviewer", true, json!(["x".repeat(5000)])),
        json!({"max_proof_role": "reviewer", "download": "yes", "visible_users": "all"}),
        json!({"max_proof_role": "reviewer"}),
    ] {
        let (status, body) = ann.put(&path, bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(code(&body), "invalid_input", "{bad}");
    }
    assert_eq!(ann.get(&path).await.1, saved, "nothing changed");

    // Admins only; an active partnership of the caller's account only.
    let (status, _) = amy.get(&path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = amy.put(&path, terms("reviewer", true, json!("all"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let bob = app.signup("Other", "bob@other.example").await;
    let pending = sent(&ann, &bob.email()).await;
    for (who, p) in [
        (&bob, path.clone()),
        (&ann, format!("/api/v1/partners/{pending}/terms")),
        (&bob, format!("/api/v1/partners/{pending}/terms")),
        (&ann, "/api/v1/partners/nope/terms".to_string()),
    ] {
        let (status, body) = who.get(&p).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::NOT_FOUND, "not_found"),
            "{p}"
        );
        let (status, _) = who.put(&p, terms("reviewer", true, json!("all"))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{p}");
    }
}

async fn status_of(client: &Client, method: Method, path: &str, body: Value) -> StatusCode {
    match method {
        Method::GET => client.raw(Method::GET, path, vec![], None).await.0,
        _ => client.post(path, body).await.0,
    }
}

async fn terms_cap_each_right_of_the_partners_users(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let oli = app.add_user(&ann, "oli@agency.example", "observer").await;
    let kim = app.signup("Client", "kim@client.example").await;
    let lee = app.add_user(&kim, "lee@client.example", "observer").await;
    let rel = make_partners(&ann, &kim).await;
    let art = file(&app, &ann, "poster.pdf", None).await;
    let (status, proof) = ann
        .post(
            "/api/v1/proofs",
            json!({"name": "Poster", "file_id": art, "reviewers": [
                {"user_id": lee.user_id(), "role": "reviewer_approver"},
                {"user_id": oli.user_id(), "role": "reviewer_approver"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{proof}");
    let proof = id(&proof);
    let (status, _) = ann
        .post(
            &format!("/api/v1/files/{art}/shares"),
            json!({"user_id": lee.user_id()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let comment = format!("/api/v1/proofs/{proof}/comments");
    let decide = format!("/api/v1/proofs/{proof}/decision");
    let download = format!("/api/v1/proofs/{proof}/content");
    let shown = format!("/api/v1/proofs/{proof}/content?inline=1");
    let file_download = format!("/api/v1/files/{art}/content");
    let check = |who: &'static str| {
        let (client, comment, decide, download, shown, file_download) = (
            if who == "lee" {
                lee.clone()
            } else {
                oli.clone()
            },
            comment.clone(),
            decide.clone(),
            download.clone(),
            shown.clone(),
            file_download.clone(),
        );
        async move {
            [
                status_of(&client, Method::POST, &comment, json!({"body": "Hm"})).await,
                status_of(
                    &client,
                    Method::POST,
                    &decide,
                    json!({"decision": "approved"}),
                )
                .await,
                status_of(&client, Method::GET, &download, Value::Null).await,
                status_of(&client, Method::GET, &shown, Value::Null).await,
                status_of(&client, Method::GET, &file_download, Value::Null).await,
            ]
            .map(|s| s.as_u16())
        }
    };
    // No terms: everything the share gives.
    assert_eq!(check("lee").await, [201, 200, 200, 200, 200]);

    // Capped at approver, no download: no comment, still a decision; viewing, not taking.
    put_terms(&ann, &rel, terms("approver", false, json!("all"))).await;
    assert_eq!(check("lee").await, [403, 200, 403, 200, 403]);
    // Capped at reviewer: an approver-reviewer keeps commenting, loses deciding.
    put_terms(&ann, &rel, terms("reviewer", true, json!("all"))).await;
    assert_eq!(check("lee").await, [201, 403, 200, 200, 200]);
    put_terms(&ann, &rel, terms("read_only", true, json!("all"))).await;
    assert_eq!(check("lee").await, [403, 403, 200, 200, 200]);
    // Terms bind the partner's users only, never the owning account's (an observer: the
    // file itself was not shared with Oli).
    assert_eq!(check("oli").await, [201, 200, 200, 200, 404]);
    // Kim's terms for Agency do not bear on Agency's items.
    put_terms(&kim, &rel, terms("read_only", false, json!("all"))).await;
    put_terms(&ann, &rel, terms("reviewer_approver", true, json!("all"))).await;
    assert_eq!(check("lee").await, [201, 200, 200, 200, 200]);
    // Terms outlive the partnership, like the shares they cap.
    put_terms(&ann, &rel, terms("read_only", false, json!("all"))).await;
    let (status, _) = act(&ann, &rel, "delete").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(check("lee").await, [403, 403, 403, 200, 403]);
}

/// (email, partnership) of the member rows of `client`'s Contacts.
async fn members(client: &Client) -> Vec<(String, String)> {
    let (status, body) = client.get("/api/v1/contacts?kind=member&limit=200").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut rows: Vec<(String, String)> = body["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["email"].as_str().unwrap().to_string(),
                c["partnership"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    rows.sort();
    rows
}

fn rows(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(e, p)| (e.to_string(), p.to_string()))
        .collect()
}

async fn consistent(app: &TestApp) {
    let store = &app.state().store;
    coproof_store::contacts::fanout::finish_all(store)
        .await
        .unwrap();
    let summary = coproof_store::contacts::check::check(store).await.unwrap();
    assert!(summary.differences.is_empty(), "{:?}", summary.differences);
}

async fn visible_users_scope_the_partners_contacts(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let amy = app.add_user(&ann, "amy@agency.example", "manager").await;
    app.add_user(&ann, "bob@agency.example", "manager").await;
    let kim = app.signup("Client", "kim@client.example").await;
    let rel = make_partners(&ann, &kim).await;
    assert_eq!(members(&kim).await.len(), 3);

    // Only Amy: the others leave Kim's page as ended; Agency still sees Kim.
    put_terms(
        &ann,
        &rel,
        terms("reviewer_approver", true, json!([amy.user_id()])),
    )
    .await;
    assert_eq!(
        members(&kim).await,
        rows(&[
            ("amy@agency.example", "active"),
            ("ann@agency.example", "ended"),
            ("bob@agency.example", "ended"),
        ])
    );
    assert_eq!(
        members(&ann).await,
        rows(&[("kim@client.example", "active")])
    );
    consistent(&app).await;
    // A user added later is not in the chosen list: it does not reach Kim.
    app.add_user(&ann, "cid@agency.example", "manager").await;
    assert_eq!(members(&kim).await.len(), 3);
    consistent(&app).await;

    // The partnership ends and starts again: the terms still hold.
    act(&ann, &rel, "delete").await;
    let rel = make_partners(&kim, &ann).await;
    assert_eq!(
        members(&kim).await,
        rows(&[
            ("amy@agency.example", "active"),
            ("ann@agency.example", "ended"),
            ("bob@agency.example", "ended"),
        ])
    );
    consistent(&app).await;

    // All again: everyone is back, the later user too.
    put_terms(&ann, &rel, terms("reviewer_approver", true, json!("all"))).await;
    assert_eq!(
        members(&kim).await,
        rows(&[
            ("amy@agency.example", "active"),
            ("ann@agency.example", "active"),
            ("bob@agency.example", "active"),
            ("cid@agency.example", "active"),
        ])
    );
    consistent(&app).await;
    let between = coproof_store::contacts::check::check_pair(
        &app.state().store,
        &ann.account_id(),
        &kim.account_id(),
    )
    .await
    .unwrap();
    assert!(between.is_empty(), "{between:?}");
}

/// The check is not blind to terms: a hidden user's row left active is a difference.
async fn the_check_finds_a_hidden_user_left_on_the_page(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let amy = app.add_user(&ann, "amy@agency.example", "manager").await;
    let kim = app.signup("Client", "kim@client.example").await;
    let rel = make_partners(&ann, &kim).await;
    put_terms(
        &ann,
        &rel,
        terms("reviewer_approver", true, json!([amy.user_id()])),
    )
    .await;
    consistent(&app).await;
    sqlx::query("UPDATE contacts SET partnership = 'active' WHERE owner_account_id = $1")
        .bind(kim.account_id())
        .execute(&mut *app.state().store.read().await.unwrap())
        .await
        .unwrap();
    let pair = coproof_store::contacts::check::check_pair(
        &app.state().store,
        &ann.account_id(),
        &kim.account_id(),
    )
    .await
    .unwrap();
    assert_eq!(pair.len(), 1, "{pair:?}");
    assert!(pair[0].problem.contains("partnership"), "{pair:?}");
}

on_both_backends!(
    the_terms_read_save_and_refuse_bad_input,
    terms_cap_each_right_of_the_partners_users,
    visible_users_scope_the_partners_contacts,
    the_check_finds_a_hidden_user_left_on_the_page,
);
