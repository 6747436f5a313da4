//! Partner connections: each account's policy (who may send it requests, blocked and
//! auto-accepted domains, how long a request waits), request expiry on a clock the test
//! moves, the consent preview and a relationship's history — through the API, on both
//! databases. A refusal by policy never shows to the sender.

use crate::on_both_backends;
use crate::support::partners::{act, audit_actions, partners, send, sent};
use crate::support::{code, Backend, Client, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

const DAY: i64 = 86_400 * 1_000_000;

async fn set_policy(client: &Client, policy: Value) -> Value {
    let (status, body) = client.put("/api/v1/partner-policy", policy).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn policy(incoming: &str, allowed: &[&str], blocked: &[&str], auto: &[&str], days: i64) -> Value {
    json!({"incoming": incoming, "allowed_domains": allowed, "blocked_domains": blocked,
           "auto_accept_domains": auto, "request_lifetime_days": days})
}

async fn get(client: &Client, path: &str) -> (StatusCode, Value) {
    client.get(path).await
}

/// Mail of `kind` queued to `to`.
async fn mails(app: &TestApp, kind: &str, to: &str) -> usize {
    app.outbox()
        .await
        .iter()
        .filter(|m| m.kind == kind && m.recipient == to)
        .count()
}

async fn the_policy_reads_saves_and_refuses_bad_input(backend: Backend) {
    let app = TestApp::start(backend).await;
    let kim = app.signup("Client", "kim@client.example").await;
    let lee = app.add_user(&kim, "lee@client.example", "manager").await;

    let (status, body) = get(&kim, "/api/v1/partner-policy").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, policy("anyone", &[], &[], &[], 30));

    let saved = set_policy(
        &kim,
        policy(
            "listed_domains",
            &[" @Agency.Example", "b.example", "b.example"],
            &[],
            &[],
            7,
        ),
    )
    .await;
    assert_eq!(
        saved,
        policy(
            "listed_domains",
            &["agency.example", "b.example"],
            &[],
            &[],
            7
        )
    );
    assert_eq!(get(&kim, "/api/v1/partner-policy").await.1, saved);

    for bad in [
        policy("everyone", &[], &[], &[], 30),
        policy("anyone", &["not a domain"], &[], &[], 30),
        policy("anyone", &[], &["localhost"], &[], 30),
        policy("anyone", &[], &[], &["a..example"], 30),
        policy("anyone", &[], &[], &[], 0),
        policy("anyone", &[], &[], &[], 366),
        json!({"incoming": "anyone"}),
        json!({"incoming": "anyone", "allowed_domains": "a.example", "blocked_domains": [],
               "auto_accept_domains": [], "request_lifetime_days": 30}),
        json!({"incoming": "anyone", "allowed_domains": [], "blocked_domains": [],
               "auto_accept_domains": [], "request_lifetime_days": "30"}),
    ] {
        let (status, body) = kim.put("/api/v1/partner-policy", bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(code(&body), "invalid_input", "{bad}");
    }
    let too_many: Vec<String> = (0..201).map(|i| format!("d{i}.example")).collect();
    let (status, _) = kim
        .put(
            "/api/v1/partner-policy",
            json!({"incoming": "anyone", "allowed_domains": too_many, "blocked_domains": [],
                   "auto_accept_domains": [], "request_lifetime_days": 30}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        get(&kim, "/api/v1/partner-policy").await.1,
        saved,
        "nothing changed"
    );

    // Not an admin: neither reads nor writes it.
    let (status, body) = get(&lee, "/api/v1/partner-policy").await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"));
    let (status, body) = lee
        .put(
            "/api/v1/partner-policy",
            policy("nobody", &[], &[], &[], 30),
        )
        .await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"));
    assert_eq!(get(&kim, "/api/v1/partner-policy").await.1, saved);
}

/// What the sender sees of its request: everything but ids and times.
fn as_sender_sees(rel: &Value) -> Value {
    json!({"direction": rel["direction"], "status": rel["status"],
           "partner_account": rel["partner_account"], "email": rel["email"]})
}

async fn a_refused_request_looks_pending_and_never_reaches_the_recipient(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let kim = app.signup("Client", "kim@client.example").await;
    // An account with no policy: what every sender sees of a request nobody answers.
    let bob = app.signup("Other", "bob@other.example").await;
    let normal = sent(&ann, &bob.email()).await;
    let normal = as_sender_sees(&get(&ann, &format!("/api/v1/partners/{normal}")).await.1);

    let refusing = [
        policy("anyone", &[], &["agency.example"], &[], 30),
        policy(
            "anyone",
            &[],
            &["elsewhere.example", "agency.example"],
            &[],
            30,
        ),
        policy("nobody", &[], &[], &[], 30),
        policy("listed_domains", &["elsewhere.example"], &[], &[], 30),
        // Blocked beats auto-accept.
        policy("anyone", &[], &["agency.example"], &["agency.example"], 30),
    ];
    for p in refusing {
        set_policy(&kim, p.clone()).await;
        let id = sent(&ann, &kim.email()).await;
        let (status, seen) = get(&ann, &format!("/api/v1/partners/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        let mut want = normal.clone();
        want["email"] = json!(kim.email());
        assert_eq!(as_sender_sees(&seen), want, "{p}");
        // Sending again is refused exactly as for a pending request.
        let (status, body) = send(&ann, &kim.email()).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::CONFLICT, "already_invited"),
            "{p}"
        );
        // The recipient sees nothing, can do nothing, and was told nothing.
        assert!(partners(&kim).await.is_empty(), "{p}");
        for path in ["", "/preview", "/history"] {
            let (status, _) = get(&kim, &format!("/api/v1/partners/{id}{path}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{p} {path}");
        }
        for action in ["accept", "reject", "delete"] {
            let (status, _) = act(&kim, &id, action).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{p} {action}");
        }
        assert!(
            audit_actions(&kim).await.iter().all(|(_, rel)| *rel != id),
            "{p}"
        );
        assert_eq!(
            mails(&app, "partner_invitation", &kim.email()).await,
            0,
            "{p}"
        );
        // The sender may withdraw it.
        let (status, _) = act(&ann, &id, "delete").await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{p}");
    }

    // A policy that lets the sender in: an ordinary request.
    set_policy(
        &kim,
        policy("listed_domains", &["agency.example"], &[], &[], 30),
    )
    .await;
    let id = sent(&ann, &kim.email()).await;
    assert_eq!(partners(&kim).await.len(), 1);
    assert_eq!(mails(&app, "partner_invitation", &kim.email()).await, 1);
    let (status, _) = act(&ann, &id, "delete").await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // A request withheld from Kim does not block Kim's own request to Ann, and accepting
    // that one resolves it.
    set_policy(&kim, policy("nobody", &[], &[], &[], 30)).await;
    let withheld = sent(&ann, &kim.email()).await;
    let theirs = sent(&kim, &ann.email()).await;
    let (status, body) = act(&ann, &theirs, "accept").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = get(&ann, &format!("/api/v1/partners/{withheld}")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "resolved into the partnership"
    );
}

async fn a_request_to_an_address_that_joins_later_meets_the_policy(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let kim = app.signup("Client", "kim@client.example").await;
    set_policy(&kim, policy("anyone", &[], &["agency.example"], &[], 30)).await;
    let id = sent(&ann, "new@client.example").await;
    app.add_user(&kim, "new@client.example", "admin").await;
    assert!(partners(&kim).await.is_empty());
    let (status, seen) = get(&ann, &format!("/api/v1/partners/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen["status"], "pending");
    assert_eq!(seen["partner_account"], Value::Null);
}

async fn an_unanswered_request_expires_on_the_policys_clock(backend: Backend) {
    let app = TestApp::start(backend).await;
    let store = &app.state().store;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let kim = app.signup("Client", "kim@client.example").await;
    set_policy(&kim, policy("anyone", &[], &[], &[], 3)).await;
    let id = sent(&ann, &kim.email()).await;
    // A request to an address nobody has yet waits the default 30 days.
    let waiting = sent(&ann, "later@nowhere.example").await;

    store.move_clock(2 * DAY);
    assert_eq!(
        coproof_store::partners::expire_overdue(store)
            .await
            .unwrap(),
        0
    );
    assert_eq!(partners(&kim).await.len(), 1, "still pending on day 2");

    // Past day 3: reads show it expired before the sweep writes it.
    store.move_clock(2 * DAY);
    let (status, seen) = get(&ann, &format!("/api/v1/partners/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen["status"], "expired");
    let (status, _) = get(&kim, &format!("/api/v1/partners/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(partners(&kim).await.is_empty());
    let (status, body) = ann.get("/api/v1/partners?status=expired").await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = body["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![id.as_str()]);

    // The sweep writes it, once, and e-mails the sender.
    assert_eq!(
        coproof_store::partners::expire_overdue(store)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        coproof_store::partners::expire_overdue(store)
            .await
            .unwrap(),
        0
    );
    assert_eq!(mails(&app, "partner_expired", &ann.email()).await, 1);
    assert!(audit_actions(&ann)
        .await
        .iter()
        .any(|(action, rel)| action == "expire" && *rel == id));
    let (status, seen) = get(&ann, &format!("/api/v1/partners/{waiting}")).await;
    assert_eq!(
        (status, seen["status"].as_str()),
        (StatusCode::OK, Some("pending"))
    );

    // It blocks nothing: the sender may send again; the recipient cannot answer it.
    for action in ["accept", "reject"] {
        let (status, _) = act(&kim, &id, action).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{action}");
        let (status, body) = act(&ann, &id, action).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::CONFLICT, "invalid_state")
        );
    }
    let again = sent(&ann, &kim.email()).await;
    let (status, _) = act(&ann, &id, "delete").await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Answering a request past its time that the sweep has not reached: it expires first,
    // for good, and the answer finds nothing.
    store.move_clock(4 * DAY);
    let (status, _) = act(&kim, &again, "accept").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(mails(&app, "partner_expired", &ann.email()).await, 2);
    let (_, seen) = get(&ann, &format!("/api/v1/partners/{again}")).await;
    assert_eq!(seen["status"], "expired");
    let events = history(&ann, &again).await;
    assert_eq!(
        events
            .last()
            .map(|e| (e["action"].clone(), e["reason"].clone())),
        Some((json!("expired"), json!("no_answer_in_time")))
    );
}

async fn history(client: &Client, id: &str) -> Vec<Value> {
    let (status, body) = get(client, &format!("/api/v1/partners/{id}/history")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["events"].as_array().cloned().unwrap_or_default()
}

/// (action, side, actor name, reason) of each event.
fn told(events: &[Value]) -> Vec<(String, String, Option<String>, Option<String>)> {
    events
        .iter()
        .map(|e| {
            let s = |v: &Value| v.as_str().map(str::to_string);
            (
                s(&e["action"]).unwrap_or_default(),
                s(&e["side"]).unwrap_or_default(),
                s(&e["actor"]["name"]),
                s(&e["reason"]),
            )
        })
        .collect()
}

fn event(
    action: &str,
    side: &str,
    actor: Option<&str>,
    reason: Option<&str>,
) -> (String, String, Option<String>, Option<String>) {
    (
        action.into(),
        side.into(),
        actor.map(str::to_string),
        reason.map(str::to_string),
    )
}

async fn a_listed_domain_is_accepted_at_once_and_history_says_why(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let kim = app.signup("Client", "kim@client.example").await;
    set_policy(&kim, policy("anyone", &[], &[], &["agency.example"], 30)).await;
    let (status, rel) = send(&ann, &kim.email()).await;
    assert_eq!(status, StatusCode::CREATED, "{rel}");
    assert_eq!(rel["status"], "accepted");
    assert_eq!(rel["partner_account"]["id"], kim.account_id().as_str());
    let id = rel["id"].as_str().unwrap();
    // Contacts sync at once, both ways.
    let (_, contacts) = ann.get("/api/v1/contacts?kind=member").await;
    assert_eq!(contacts["contacts"][0]["email"], kim.email().as_str());
    let (_, contacts) = kim.get("/api/v1/contacts?kind=member").await;
    assert_eq!(contacts["contacts"][0]["email"], ann.email().as_str());
    assert_eq!(mails(&app, "partner_accepted", &ann.email()).await, 1);
    assert_eq!(mails(&app, "partner_invitation", &kim.email()).await, 0);
    let ann_name = "Admin of Agency";
    assert_eq!(
        told(&history(&kim, id).await),
        vec![
            event("received", "theirs", None, None),
            event("accepted", "system", None, Some("auto_accepted_by_policy")),
        ]
    );
    assert_eq!(
        told(&history(&ann, id).await),
        vec![
            event("requested", "ours", Some(ann_name), None),
            event("accepted", "system", None, Some("auto_accepted_by_policy")),
        ]
    );
}

async fn history_tells_each_side_what_it_may_know(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let kim = app.signup("Client", "kim@client.example").await;
    let lee = app.add_user(&kim, "lee@client.example", "observer").await;
    let (ann_name, kim_name) = ("Admin of Agency", "Admin of Client");

    // Sent, accepted, removed by the sender.
    let id = sent(&ann, &kim.email()).await;
    act(&kim, &id, "accept").await;
    act(&ann, &id, "delete").await;
    assert_eq!(
        told(&history(&ann, &id).await),
        vec![
            event("requested", "ours", Some(ann_name), None),
            event("accepted", "theirs", Some(kim_name), None),
            event("removed", "ours", Some(ann_name), None),
        ]
    );
    assert_eq!(
        told(&history(&kim, &id).await),
        vec![
            event("received", "theirs", None, None),
            event("accepted", "ours", Some(kim_name), None),
            event("removed", "theirs", None, None),
        ]
    );
    // Gone from both tabs, the former partnership's history stays readable.
    assert!(partners(&ann).await.is_empty());

    // The recipient deletes a pending request: to the sender it is rejected, by nobody named.
    let id = sent(&ann, &kim.email()).await;
    act(&kim, &id, "delete").await;
    assert_eq!(
        told(&history(&ann, &id).await),
        vec![
            event("requested", "ours", Some(ann_name), None),
            event("rejected", "theirs", None, None),
        ]
    );
    // Gone from Kim's tab, its history stays Kim's to read.
    assert_eq!(
        told(&history(&kim, &id).await),
        vec![
            event("received", "theirs", None, None),
            event("deleted", "ours", Some(kim_name), None),
        ]
    );
    act(&ann, &id, "delete").await;

    // Two requests to two users of one account: accepting one resolves the other.
    let to_kim = sent(&ann, &kim.email()).await;
    let to_lee = sent(&ann, &lee.email()).await;
    let (status, body) = act(&lee, &to_lee, "accept").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    act(&kim, &to_kim, "accept").await;
    assert_eq!(
        told(&history(&ann, &to_lee).await),
        vec![
            event("requested", "ours", Some(ann_name), None),
            event("resolved", "theirs", None, Some("another_request_accepted")),
        ]
    );

    // Admins only; someone else's relationship and garbage are not found.
    let (status, _) = get(&lee, &format!("/api/v1/partners/{id}/history")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let bob = app.signup("Other", "bob@other.example").await;
    for path in [
        format!("/api/v1/partners/{id}/history"),
        "/api/v1/partners/nope/history".to_string(),
        "/api/v1/partners/%00/history".to_string(),
    ] {
        let (status, body) = get(&bob, &path).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::NOT_FOUND, "not_found"),
            "{path}"
        );
    }
}

async fn the_consent_preview_shows_who_asks_and_who_sees_whom(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    app.add_user(&ann, "amy@agency.example", "manager").await;
    let gone = app.add_user(&ann, "old@agency.example", "manager").await;
    let (status, _) = ann
        .patch(
            &format!("/api/v1/users/{}", gone.user_id()),
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let kim = app.signup("Client", "kim@client.example").await;
    let lee = app.add_user(&kim, "lee@client.example", "observer").await;
    let id = sent(&ann, &kim.email()).await;

    let (status, preview) = get(&kim, &format!("/api/v1/partners/{id}/preview")).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(
        preview,
        json!({
            "sender_account": {"id": ann.account_id(), "name": "Agency"},
            "sender": {"name": "Admin of Agency", "email": "ann@agency.example",
                       "email_verified": true},
            "users_you_will_see": 2,
            "users_they_will_see": 2,
            "terms_offered": {"max_proof_role": "reviewer_approver", "download": true,
                              "visible_users": "all"},
        })
    );
    // Only the recipient's admins, only while pending.
    let (status, _) = get(&lee, &format!("/api/v1/partners/{id}/preview")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get(&ann, &format!("/api/v1/partners/{id}/preview")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the sender");
    act(&kim, &id, "accept").await;
    let (status, _) = get(&kim, &format!("/api/v1/partners/{id}/preview")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no longer pending");
    let (status, _) = get(&kim, "/api/v1/partners/0000/preview").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

on_both_backends!(
    the_policy_reads_saves_and_refuses_bad_input,
    a_refused_request_looks_pending_and_never_reaches_the_recipient,
    a_request_to_an_address_that_joins_later_meets_the_policy,
    an_unanswered_request_expires_on_the_policys_clock,
    a_listed_domain_is_accepted_at_once_and_history_says_why,
    history_tells_each_side_what_it_may_know,
    the_consent_preview_shows_who_asks_and_who_sees_whom,
);
