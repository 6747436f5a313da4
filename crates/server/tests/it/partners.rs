//! Partner relationships end to end through the API: every row of the spec's transition
//! table, every send rule with its code, addresses with no user yet, resolution on accept,
//! list filters and pagination, and the audit log.

use crate::on_both_backends;
use crate::support::partners::{act, audit_actions, audit_entries, partners, send, sent};
use crate::support::{code, Backend, Client, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Expects `action` to succeed (200 with the status, or 204 for delete).
async fn ok(client: &Client, id: &str, action: &str) {
    let (status, body) = act(client, id, action).await;
    match action {
        "delete" => assert_eq!(status, StatusCode::NO_CONTENT, "delete {id}: {body}"),
        "accept" => {
            assert_eq!(status, StatusCode::OK, "accept {id}: {body}");
            assert_eq!(body["status"], "accepted");
            assert_eq!(body["direction"], "received");
        }
        _ => {
            assert_eq!(status, StatusCode::OK, "reject {id}: {body}");
            assert_eq!(body["status"], "rejected");
            assert_eq!(body["direction"], "received");
        }
    }
}

/// Expects `action` to be refused with `status` and `code`.
async fn refused(client: &Client, id: &str, action: &str, status: StatusCode, expected: &str) {
    let (got, body) = act(client, id, action).await;
    assert_eq!(got, status, "{action} {id}: {body}");
    assert_eq!(code(&body), expected, "{action} {id}: {body}");
}

/// What one side should see of a relationship.
pub struct Expect<'a> {
    pub status: Option<&'a str>,
    /// The partner account's name, when it should be shown.
    pub partner: Option<&'a Client>,
}

/// Checks the relationship `id` on both sides: on `sender`'s list as `sent` and on
/// `recipient`'s as `received` (or absent, and 404 by id, where the status is `None`).
#[allow(clippy::too_many_arguments)]
async fn both_sides(
    id: &str,
    email: &str,
    inviter: &Client,
    sender: &Client,
    s: Expect<'_>,
    recipient: &Client,
    r: Expect<'_>,
) {
    for (client, direction, expect) in [(sender, "sent", s), (recipient, "received", r)] {
        let list = partners(client).await;
        let found = list.iter().find(|x| x["id"] == id);
        let (status, by_id) = client.get(&format!("/api/v1/partners/{id}")).await;
        match expect.status {
            None => {
                assert!(
                    found.is_none(),
                    "{direction}: {id} should be gone: {list:?}"
                );
                assert_eq!(status, StatusCode::NOT_FOUND, "{by_id}");
                assert_eq!(code(&by_id), "not_found");
            }
            Some(want) => {
                let found = found.unwrap_or_else(|| panic!("{direction}: {id} missing: {list:?}"));
                assert_eq!(status, StatusCode::OK);
                assert_eq!(&by_id, found, "GET by id equals the list entry");
                assert_eq!(found["direction"], direction, "{found}");
                assert_eq!(found["status"], want, "{direction}: {found}");
                assert_eq!(found["email"], email);
                assert_eq!(found["invited_by"]["id"], inviter.user["id"]);
                assert_eq!(found["invited_by"]["email"], inviter.user["email"]);
                assert_eq!(found["invited_by"]["name"], inviter.user["name"]);
                match expect.partner {
                    None => assert!(found["partner_account"].is_null(), "{found}"),
                    Some(p) => assert_eq!(found["partner_account"], p.account, "{found}"),
                }
                for key in ["created_at", "updated_at"] {
                    let t = found[key].as_str().expect("a timestamp");
                    assert!(
                        chrono::DateTime::parse_from_rfc3339(t).is_ok() && t.ends_with('Z'),
                        "{t}"
                    );
                }
            }
        }
    }
}

fn sees(status: &str) -> Expect<'_> {
    Expect {
        status: Some(status),
        partner: None,
    }
}

fn sees_named<'a>(status: &'a str, partner: &'a Client) -> Expect<'a> {
    Expect {
        status: Some(status),
        partner: Some(partner),
    }
}

const GONE: Expect<'static> = Expect {
    status: None,
    partner: None,
};

/// Two accounts: S (billing admin `s`, admin `s2`, manager `s_manager`) and R (billing admin
/// `r`, admin `r2`, manager `e`, whose address is the one invited), and a third account T.
pub struct World {
    pub s: Client,
    pub s2: Client,
    pub s_manager: Client,
    pub r: Client,
    pub r2: Client,
    pub e: Client,
    pub t: Client,
}

impl World {
    pub async fn new(app: &TestApp) -> World {
        let s = app.signup("Sender Studio", "sam@sender.test").await;
        let s2 = app.add_user(&s, "sue@sender.test", "admin").await;
        let s_manager = app.add_user(&s, "max@sender.test", "manager").await;
        let r = app.signup("Recipient Print", "rita@recipient.test").await;
        let r2 = app.add_user(&r, "rob@recipient.test", "admin").await;
        let e = app.add_user(&r, "eve@recipient.test", "manager").await;
        let t = app.signup("Third Party", "tom@third.test").await;
        World {
            s,
            s2,
            s_manager,
            r,
            r2,
            e,
            t,
        }
    }
}

const E: &str = "eve@recipient.test";

async fn every_row_of_the_transition_table(backend: Backend) {
    let app = TestApp::start(backend).await;
    let w = World::new(&app).await;
    let (s, r) = (&w.s, &w.r);

    // (pending, pending) --accept by R--> (accepted, accepted); then remove by S: (none, none).
    let id = sent(s, " Eve@Recipient.TEST ").await;
    both_sides(&id, E, s, s, sees("pending"), r, sees_named("pending", s)).await;
    refused(s, &id, "accept", StatusCode::CONFLICT, "invalid_state").await;
    refused(&w.s2, &id, "reject", StatusCode::CONFLICT, "invalid_state").await;
    refused(&w.e, &id, "accept", StatusCode::FORBIDDEN, "forbidden").await;
    refused(&w.t, &id, "accept", StatusCode::NOT_FOUND, "not_found").await;
    refused(&w.t, &id, "delete", StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(
        w.t.get(&format!("/api/v1/partners/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    // Any admin of R may accept, not only the invited person (who is a manager here).
    ok(&w.r2, &id, "accept").await;
    both_sides(
        &id,
        E,
        s,
        s,
        sees_named("accepted", r),
        r,
        sees_named("accepted", s),
    )
    .await;
    refused(r, &id, "accept", StatusCode::CONFLICT, "invalid_state").await;
    refused(r, &id, "reject", StatusCode::CONFLICT, "invalid_state").await;
    refused(s, &id, "reject", StatusCode::CONFLICT, "invalid_state").await;
    ok(&w.s2, &id, "delete").await;
    both_sides(&id, E, s, s, GONE, r, GONE).await;
    refused(r, &id, "accept", StatusCode::NOT_FOUND, "not_found").await;
    refused(r, &id, "delete", StatusCode::NOT_FOUND, "not_found").await;
    refused(s, &id, "delete", StatusCode::NOT_FOUND, "not_found").await;

    // (pending, pending) --reject by R--> (rejected, rejected); S deletes: (none, rejected);
    // R deletes: (none, none), and only then may S send again.
    let id = sent(&w.s2, E).await;
    ok(r, &id, "reject").await;
    both_sides(
        &id,
        E,
        &w.s2,
        s,
        sees("rejected"),
        r,
        sees_named("rejected", s),
    )
    .await;
    refused(r, &id, "accept", StatusCode::CONFLICT, "invalid_state").await;
    refused(r, &id, "reject", StatusCode::CONFLICT, "invalid_state").await;
    assert_eq!(code(&send(s, E).await.1), "rejected_invitation");
    ok(s, &id, "delete").await;
    both_sides(&id, E, &w.s2, s, GONE, r, sees_named("rejected", s)).await;
    assert_eq!(code(&send(s, E).await.1), "rejected_invitation");
    ok(&w.r2, &id, "delete").await;
    both_sides(&id, E, &w.s2, s, GONE, r, GONE).await;

    // (pending, pending) --delete by R--> (rejected, none); S deletes: (none, none).
    let id = sent(s, E).await;
    ok(r, &id, "delete").await;
    both_sides(&id, E, s, s, sees("rejected"), r, GONE).await;
    assert_eq!(code(&send(s, E).await.1), "rejected_invitation");
    refused(s, &id, "accept", StatusCode::CONFLICT, "invalid_state").await;
    ok(s, &id, "delete").await;
    both_sides(&id, E, s, s, GONE, r, GONE).await;

    // (pending, pending) --delete by S--> (none, none).
    let id = sent(s, E).await;
    ok(s, &id, "delete").await;
    both_sides(&id, E, s, s, GONE, r, GONE).await;

    // (accepted, accepted) --remove by R--> (rejected, none): the sender still sees the
    // partner's name (it was accepted once); the block applies until S deletes too.
    let id = sent(s, E).await;
    ok(r, &id, "accept").await;
    ok(&w.r2, &id, "delete").await;
    both_sides(&id, E, s, s, sees_named("rejected", r), r, GONE).await;
    let (status, body) = send(s, E).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "rejected_invitation")
    );
    ok(s, &id, "delete").await;
    both_sides(&id, E, s, s, GONE, r, GONE).await;

    // (rejected, rejected) --delete by R--> (rejected, none) --delete by S--> (none, none).
    let id = sent(s, E).await;
    ok(r, &id, "reject").await;
    ok(r, &id, "delete").await;
    both_sides(&id, E, s, s, sees("rejected"), r, GONE).await;
    ok(s, &id, "delete").await;
    both_sides(&id, E, s, s, GONE, r, GONE).await;
    // After all that, a new request may be sent.
    sent(s, E).await;
}

async fn unknown_and_malformed_ids_are_not_found(backend: Backend) {
    let app = TestApp::start(backend).await;
    let s = app.signup("Sender Studio", "sam@sender.test").await;
    for id in ["nope", "01arz3ndektsv4rrffq69g5fav", "%20", "a'b"] {
        for action in ["accept", "reject", "delete"] {
            refused(&s, id, action, StatusCode::NOT_FOUND, "not_found").await;
        }
        assert_eq!(
            s.get(&format!("/api/v1/partners/{id}")).await.0,
            StatusCode::NOT_FOUND
        );
    }
}

async fn every_send_rule_has_its_code(backend: Backend) {
    let app = TestApp::start(backend).await;
    let w = World::new(&app).await;
    let (s, r) = (&w.s, &w.r);

    // 1. Not an e-mail address.
    for bad in ["not an email", "a@b", "", "  ", "x@@y.test"] {
        let (status, body) = send(s, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}: {body}");
        assert_eq!(code(&body), "invalid_email");
    }
    // 2. Not an admin: forbidden, also for the list, one relationship and the audit log.
    let (status, body) = send(&w.s_manager, E).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"));
    for path in ["/api/v1/partners", "/api/v1/audit"] {
        let (status, body) = w.s_manager.get(path).await;
        assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"));
    }
    // 3. A user of S itself, however the address is written.
    for own in ["max@sender.test", " SUE@Sender.Test", "sam@sender.test"] {
        let (status, body) = send(s, own).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "own_account"),
            "{own}"
        );
    }
    // 5. Already pending to E (E matched case-insensitively, trimmed).
    let first = sent(s, E).await;
    let (status, body) = send(&w.s2, "  EVE@recipient.test").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "already_invited")
    );
    // Requests to different users of the same account are allowed, each its own.
    let to_rob = sent(s, "rob@recipient.test").await;
    assert_ne!(first, to_rob);
    // 7. R cannot send to S while a request from S to R is pending; it should accept.
    let (status, body) = send(r, "sue@sender.test").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "incoming_request_pending")
    );
    // 6. Rejected: blocked until both sides deleted; another user of R is still allowed.
    ok(r, &to_rob, "reject").await;
    assert_eq!(
        code(&send(s, "rob@recipient.test").await.1),
        "rejected_invitation"
    );
    let to_rita = sent(s, "rita@recipient.test").await;
    // 4. Partners (either direction) once one request is accepted; the other pending one
    // was resolved into it.
    ok(r, &to_rita, "accept").await;
    let s_list = partners(s).await;
    assert!(s_list.iter().all(|x| x["id"] != first), "{s_list:?}");
    let (status, body) = send(s, E).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "already_partners")
    );
    let (status, body) = send(r, "sam@sender.test").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "already_partners")
    );
    // Once the partnership ends, rule 6 shows again for rob's rejected request, until
    // both sides deleted it.
    ok(s, &to_rita, "delete").await;
    assert_eq!(
        code(&send(s, "rob@recipient.test").await.1),
        "rejected_invitation"
    );
    ok(s, &to_rob, "delete").await;
    assert_eq!(
        code(&send(s, "rob@recipient.test").await.1),
        "rejected_invitation"
    );
    ok(r, &to_rob, "delete").await;
    sent(s, "rob@recipient.test").await;
    // 7 for an incoming request that R sent first.
    let t = &w.t;
    let from_t = sent(t, "sue@sender.test").await;
    let (status, body) = send(s, "tom@third.test").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "incoming_request_pending")
    );
    ok(s, &from_t, "accept").await;
    assert_eq!(code(&send(s, "tom@third.test").await.1), "already_partners");
}

async fn the_rate_limit_answers_429_with_retry_after(backend: Backend) {
    let app = TestApp::start_with(backend, |c| c.invite_limit_per_hour = 3).await;
    let s = app.signup("Sender Studio", "sam@sender.test").await;
    let other = app.signup("Other", "olga@other.test").await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(sent(&s, &format!("n{i}@nowhere.test")).await);
    }
    // Refused sends do not count; deleted requests still do.
    assert_eq!(code(&send(&s, "bad").await.1), "invalid_email");
    ok(&s, &ids[0], "delete").await;
    let (status, headers, body) = s
        .request_with_headers(
            Method::POST,
            "/api/v1/partners",
            Some(json!({"email": "n9@nowhere.test"})),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(code(&body), "rate_limited");
    let retry: u64 = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header in seconds");
    assert!((3500..=3600).contains(&retry), "retry after {retry}");
    // The limit is per sending account.
    sent(&other, "n0@nowhere.test").await;
    // The rate limit comes after the other rules: an own-account address is still 422.
    assert_eq!(code(&send(&s, "sam@sender.test").await.1), "own_account");
}

async fn requests_wait_for_an_address_with_no_user(backend: Backend) {
    let app = TestApp::start(backend).await;
    let w = World::new(&app).await;
    let (s, r) = (&w.s, &w.r);

    // Same answer for a known and an unknown address: only id, email and times differ.
    let (st_known, known) = send(s, E).await;
    let (st_new, unknown) = send(s, "Nina@NewCo.test").await;
    assert_eq!(
        (st_known, st_new),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    let shape = |v: &Value| {
        let mut v = v.clone();
        for key in ["id", "email", "created_at", "updated_at"] {
            v[key] = Value::Null;
        }
        v
    };
    assert_eq!(shape(&known), shape(&unknown));
    assert_eq!(unknown["email"], "nina@newco.test");
    let to_nina = unknown["id"].as_str().unwrap().to_string();

    // Sign-up with that address: the request attaches to the new account.
    let n = app.signup("New Co", "NINA@newco.test").await;
    both_sides(
        &to_nina,
        "nina@newco.test",
        s,
        s,
        sees("pending"),
        &n,
        sees_named("pending", s),
    )
    .await;
    ok(&n, &to_nina, "accept").await;
    both_sides(
        &to_nina,
        "nina@newco.test",
        s,
        s,
        sees_named("accepted", &n),
        &n,
        sees_named("accepted", s),
    )
    .await;

    // A user added later to an existing account: the request attaches to that account once
    // the address is verified (here the operator vouches; `identity_flows` takes the link).
    let to_later = sent(&w.s2, "later@recipient.test").await;
    assert!(partners(r).await.iter().all(|x| x["id"] != to_later));
    let (status, body) = r
        .post(
            "/api/v1/users",
            json!({"email": "Later@Recipient.test", "name": "Lee Later", "profile": "observer"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(
        partners(r).await.iter().all(|x| x["id"] != to_later),
        "an unverified address attaches nothing"
    );
    app.vouch(body["id"].as_str().unwrap()).await;
    both_sides(
        &to_later,
        "later@recipient.test",
        &w.s2,
        s,
        sees("pending"),
        r,
        sees_named("pending", s),
    )
    .await;

    // The address joins the sender's own account: the request is dropped.
    let to_mine = sent(s, "mine@sender.test").await;
    let (status, mia) = s
        .post(
            "/api/v1/users",
            json!({"email": "mine@sender.test", "name": "Mia Mine", "profile": "visitor"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(partners(s).await.iter().any(|x| x["id"] == to_mine));
    app.vouch(mia["id"].as_str().unwrap()).await;
    assert!(partners(s).await.iter().all(|x| x["id"] != to_mine));
    assert_eq!(
        s.get(&format!("/api/v1/partners/{to_mine}")).await.0,
        StatusCode::NOT_FOUND
    );

    // The address joins an account that is already a partner: resolved into the partnership.
    let to_nora = sent(s, "nora@newco.test").await;
    let (status, nora) = n
        .post(
            "/api/v1/users",
            json!({"email": "nora@newco.test", "name": "Nora", "profile": "manager"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    app.vouch(nora["id"].as_str().unwrap()).await;
    both_sides(&to_nora, "nora@newco.test", s, s, GONE, &n, GONE).await;

    let audit = audit_actions(s).await;
    assert!(
        audit.contains(&("drop".into(), to_mine.clone())),
        "{audit:?}"
    );
    // The sender does not see the moment its request attached to an account; the
    // recipient does.
    assert!(
        !audit.contains(&("attach".into(), to_later.clone())),
        "{audit:?}"
    );
    assert!(
        audit_actions(r)
            .await
            .contains(&("attach".into(), to_later.clone())),
        "the recipient's log"
    );
    assert!(
        audit.contains(&("resolve".into(), to_nora.clone())),
        "{audit:?}"
    );
}

async fn accepting_resolves_other_pending_requests_both_ways(backend: Backend) {
    let app = TestApp::start(backend).await;
    let w = World::new(&app).await;
    let (s, r) = (&w.s, &w.r);
    // R → S pending; S cannot answer with a request of its own to a known R address, but
    // its requests to addresses not yet in R attach later: pending both ways.
    let from_r = sent(r, "sue@sender.test").await;
    let to_u = sent(s, "u@recipient.test").await;
    let to_v = sent(&w.s2, "v@recipient.test").await;
    for email in ["u@recipient.test", "v@recipient.test"] {
        let (status, added) = r
            .post(
                "/api/v1/users",
                json!({"email": email, "name": "New user", "profile": "manager"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        app.vouch(added["id"].as_str().unwrap()).await;
    }
    // A request from a third account to R is not touched.
    let from_t = sent(&w.t, E).await;
    assert_eq!(partners(s).await.len(), 3);
    assert_eq!(partners(r).await.len(), 4);

    ok(&w.s2, &from_r, "accept").await;
    let s_list = partners(s).await;
    let r_list = partners(r).await;
    assert_eq!(s_list.len(), 1, "{s_list:?}");
    assert_eq!(s_list[0]["id"], from_r);
    assert_eq!(s_list[0]["status"], "accepted");
    let r_ids: Vec<&Value> = r_list.iter().map(|x| &x["id"]).collect();
    assert_eq!(r_ids.len(), 2, "{r_list:?}");
    assert!(r_ids.contains(&&json!(from_r)) && r_ids.contains(&&json!(from_t)));
    for id in [&to_u, &to_v] {
        both_sides(id, "x", s, s, GONE, r, GONE).await;
    }
    let resolved: Vec<String> = audit_actions(r)
        .await
        .into_iter()
        .filter(|(a, _)| a == "resolve")
        .map(|(_, id)| id)
        .collect();
    assert_eq!(resolved.len(), 2);
    assert!(resolved.contains(&to_u) && resolved.contains(&to_v));
}

async fn the_list_filters_and_pages(backend: Backend) {
    let app = TestApp::start(backend).await;
    let w = World::new(&app).await;
    let (s, r) = (&w.s, &w.r);
    let mut sent_ids = Vec::new();
    for i in 0..7 {
        sent_ids.push(sent(s, &format!("p{i}@far.test")).await);
    }
    let to_e = sent(s, E).await;
    let to_rob = sent(s, "rob@recipient.test").await;
    ok(r, &to_rob, "reject").await;
    let from_t = sent(&w.t, "sam@sender.test").await;
    ok(s, &from_t, "accept").await;

    let all = partners(s).await;
    assert_eq!(all.len(), 10);
    // Newest first.
    let ids: Vec<String> = all
        .iter()
        .map(|x| x["id"].as_str().unwrap().into())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(ids, sorted);
    // Ids are time-ordered to the millisecond (random within one), so creation times follow
    // the id order up to a few milliseconds.
    let created: Vec<chrono::DateTime<chrono::FixedOffset>> = all
        .iter()
        .map(|x| chrono::DateTime::parse_from_rfc3339(x["created_at"].as_str().unwrap()).unwrap())
        .collect();
    assert!(
        created
            .windows(2)
            .all(|w| w[0] + chrono::Duration::milliseconds(50) >= w[1]),
        "{created:?}"
    );

    let count = |q: &'static str| async move {
        let (status, body) = s.get(&format!("/api/v1/partners?{q}")).await;
        assert_eq!(status, StatusCode::OK, "{q}: {body}");
        body["relationships"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(count("status=pending").await.len(), 8);
    assert_eq!(count("status=rejected").await.len(), 1);
    assert_eq!(count("status=accepted").await.len(), 1);
    assert_eq!(count("direction=sent").await.len(), 9);
    let received = count("direction=received").await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["id"], from_t);
    assert_eq!(count("direction=sent&status=accepted").await.len(), 0);
    assert_eq!(count("direction=received&status=accepted").await.len(), 1);
    assert_eq!(
        count("direction=sent&status=rejected").await[0]["id"],
        to_rob
    );
    assert!(count("status=pending")
        .await
        .iter()
        .any(|x| x["id"] == to_e));
    for bad in [
        "status=none",
        "status=ACCEPTED",
        "direction=both",
        "limit=0",
        "limit=x",
        "cursor=zz",
    ] {
        let (status, body) = s.get(&format!("/api/v1/partners?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(code(&body), "invalid_input");
    }

    // Pages of 3 (and with a filter), following next_cursor, give the same list.
    for (filter, expected) in [
        ("", all.clone()),
        ("&status=pending", count("status=pending").await),
    ] {
        let mut paged = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let q = match &cursor {
                None => format!("/api/v1/partners?limit=3{filter}"),
                Some(c) => format!("/api/v1/partners?limit=3{filter}&cursor={c}"),
            };
            let (status, body) = s.get(&q).await;
            assert_eq!(status, StatusCode::OK);
            let page = body["relationships"].as_array().cloned().unwrap();
            assert!(page.len() <= 3);
            paged.extend(page);
            pages += 1;
            match body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
            assert!(pages < 10, "pagination does not end");
        }
        assert_eq!(paged, expected, "paged{filter}");
    }
    // The recipient's own view of the list is independent.
    let r_all = partners(r).await;
    assert_eq!(r_all.len(), 2, "{r_all:?}");
}

async fn the_audit_log_records_every_change(backend: Backend) {
    let app = TestApp::start(backend).await;
    let w = World::new(&app).await;
    let (s, r) = (&w.s, &w.r);
    let a = sent(s, E).await;
    let b = sent(s, "rob@recipient.test").await;
    ok(&w.r2, &a, "accept").await; // b is resolved
    ok(s, &a, "delete").await;
    let c = sent(&w.s2, E).await;
    ok(r, &c, "reject").await;

    // The partner entries (the log also holds the users' security events).
    let partner_entries = |log: Vec<Value>| -> Vec<Value> {
        log.into_iter()
            .filter(|e| e["relationship_id"].is_string())
            .collect()
    };
    let s_log = partner_entries(audit_entries(s).await);
    let r_log = partner_entries(audit_entries(r).await);
    let actions = |log: &[Value]| -> Vec<(String, String)> {
        log.iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap().to_string(),
                    e["relationship_id"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let expected: Vec<(String, String)> = [
        ("reject", &c),
        ("send", &c),
        ("delete", &a),
        ("resolve", &b),
        ("accept", &a),
        ("send", &b),
        ("send", &a),
    ]
    .iter()
    .map(|(x, id)| (x.to_string(), id.to_string()))
    .collect();
    // Newest first, by id. Ids are time-ordered to the millisecond only (and the accept and
    // its resolution share one transaction), so the entries are compared as a set, and
    // their order as the order of the requests where those are milliseconds apart.
    for log in [&s_log, &r_log] {
        let ids: Vec<&str> = log.iter().map(|e| e["id"].as_str().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
        let mut got = actions(log);
        let mut want = expected.clone();
        got.sort();
        want.sort();
        assert_eq!(got, want);
        let at = |action: &str, id: &str| -> chrono::DateTime<chrono::FixedOffset> {
            let e = log
                .iter()
                .find(|e| e["action"] == action && e["relationship_id"] == id)
                .unwrap();
            chrono::DateTime::parse_from_rfc3339(e["at"].as_str().unwrap()).unwrap()
        };
        let steps = [
            ("send", &a),
            ("accept", &a),
            ("delete", &a),
            ("send", &c),
            ("reject", &c),
        ];
        for w in steps.windows(2) {
            assert!(
                at(w[0].0, w[0].1) <= at(w[1].0, w[1].1),
                "{:?} before {:?}",
                w[0],
                w[1]
            );
        }
    }

    let accept = s_log.iter().find(|e| e["action"] == "accept").unwrap();
    assert_eq!(accept["actor"], "partner_account");
    assert!(accept["actor_user_id"].is_null(), "{accept}");
    assert_eq!(accept["direction"], "sent");
    assert_eq!(
        accept["before"],
        json!({"sender": "pending", "recipient": "pending"})
    );
    assert_eq!(
        accept["after"],
        json!({"sender": "accepted", "recipient": "accepted"})
    );
    let accept_r = r_log.iter().find(|e| e["action"] == "accept").unwrap();
    assert_eq!(accept_r["actor"], "own_account");
    assert_eq!(accept_r["actor_user_id"], w.r2.user["id"]);
    assert_eq!(accept_r["direction"], "received");
    let delete = s_log.iter().find(|e| e["action"] == "delete").unwrap();
    assert_eq!(delete["actor_user_id"], s.user["id"]);
    assert_eq!(
        delete["after"],
        json!({"sender": "none", "recipient": "none"})
    );
    let resolve = s_log.iter().find(|e| e["action"] == "resolve").unwrap();
    assert_eq!(
        resolve["after"],
        json!({"sender": "none", "recipient": "none"})
    );
    for e in &s_log {
        let at = e["at"].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok() && at.ends_with('Z'));
    }
    // A third account sees none of it.
    assert!(audit_entries(&w.t).await.is_empty());
    // Pagination of the audit log.
    let (status, body) = s.get("/api/v1/audit?limit=2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["entries"].as_array().unwrap().len(), 2);
    assert!(body["next_cursor"].is_string());
}

on_both_backends!(
    every_row_of_the_transition_table,
    unknown_and_malformed_ids_are_not_found,
    every_send_rule_has_its_code,
    the_rate_limit_answers_429_with_retry_after,
    requests_wait_for_an_address_with_no_user,
    accepting_resolves_other_pending_requests_both_ways,
    the_list_filters_and_pages,
    the_audit_log_records_every_change,
);
