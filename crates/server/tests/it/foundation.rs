//! Sign-up, log-in, `me`, users and profiles, errors, service routes.

use crate::on_both_backends;
use crate::support::{code, Backend, Client, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Asserts an error answer: the status, the code, and the envelope around it.
#[track_caller]
fn refused(answer: (StatusCode, Value), status: StatusCode, expected: &str) {
    let (got, body) = answer;
    assert_eq!(got, status, "status of {body}");
    assert_envelope(&body);
    assert_eq!(code(&body), expected, "code of {body}");
}

/// Every error body is exactly `{"error": {"code", "message"}}`.
#[track_caller]
pub fn assert_envelope(body: &Value) {
    let error = body["error"]
        .as_object()
        .unwrap_or_else(|| panic!("not an error envelope: {body}"));
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
    assert!(
        error["code"].as_str().is_some_and(|c| !c.is_empty()),
        "{body}"
    );
    assert!(error["message"].is_string(), "{body}");
}

fn signup_body(email: &str) -> Value {
    json!({"account_name": "Agency", "name": "Ann", "email": email, "password": "correct horse"})
}

async fn signup_login_me_logout(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "  Ann@Agency.Example ").await;
    assert_eq!(ann.user["profile"], "billing_admin");
    assert_eq!(ann.user["email"], "ann@agency.example");
    assert_eq!(ann.user["active"], true);
    assert_eq!(ann.user["language"], "en");
    assert_eq!(ann.user["account_id"], ann.account["id"]);
    let (status, me) = ann.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["account"]["name"], "Agency");
    assert_eq!(me["user"]["id"], ann.user["id"]);
    assert!(me.get("token").is_none_or(Value::is_null), "{me}");

    let again = app.login("ANN@agency.example", "correct horse").await;
    assert_eq!(again.user["id"], ann.user["id"]);
    assert_eq!(again.account["id"], ann.account["id"]);
    assert_ne!(again.token, ann.token);
    let (status, _) = again.post("/api/v1/logout", json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    refused(
        again.get("/api/v1/me").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    // Logging out twice: the token is already gone.
    refused(
        again.post("/api/v1/logout", json!({})).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    // The first token still works.
    assert_eq!(ann.get("/api/v1/me").await.0, StatusCode::OK);

    // Korean sign-up keeps its language.
    let kim = app.signup_in("에이전시", "kim@agency.example", "ko").await;
    assert_eq!(kim.user["language"], "ko");
    assert_eq!(kim.account["name"], "에이전시");
}

async fn signup_refusals(backend: Backend) {
    let app = TestApp::start(backend).await;
    let anon = app.anonymous();
    let signup = |body: Value| {
        let anon = anon.clone();
        async move { anon.post("/api/v1/signup", body).await }
    };
    app.signup("Agency", "ann@agency.example").await;

    for bad in [
        "",
        "plain",
        "a@b",
        "a b@c.example",
        "'; DROP TABLE users;--",
    ] {
        refused(
            signup(signup_body(bad)).await,
            StatusCode::BAD_REQUEST,
            "invalid_email",
        );
    }
    for short in ["", "1234567", "비밀번호"] {
        let mut body = signup_body("bob@agency.example");
        body["password"] = json!(short);
        refused(
            signup(body).await,
            StatusCode::BAD_REQUEST,
            "invalid_password",
        );
    }
    // Missing fields, wrong types, empty or blank names, an unknown language.
    for field in ["account_name", "name", "email", "password"] {
        let mut body = signup_body("bob@agency.example");
        body.as_object_mut().unwrap().remove(field);
        refused(signup(body).await, StatusCode::BAD_REQUEST, "invalid_input");
        let mut body = signup_body("bob@agency.example");
        body[field] = json!(12345678);
        refused(signup(body).await, StatusCode::BAD_REQUEST, "invalid_input");
        let mut body = signup_body("bob@agency.example");
        body[field] = Value::Null;
        refused(signup(body).await, StatusCode::BAD_REQUEST, "invalid_input");
    }
    for field in ["account_name", "name"] {
        for blank in ["", "   ", "a\u{0}b"] {
            let mut body = signup_body("bob@agency.example");
            body[field] = json!(blank);
            refused(signup(body).await, StatusCode::BAD_REQUEST, "invalid_input");
        }
    }
    let mut body = signup_body("bob@agency.example");
    body["language"] = json!("fr");
    refused(signup(body).await, StatusCode::BAD_REQUEST, "invalid_input");
    for not_an_object in [json!([1, 2]), json!("x"), json!(null), json!(42)] {
        refused(
            signup(not_an_object).await,
            StatusCode::BAD_REQUEST,
            "invalid_input",
        );
    }

    // The address is taken whatever its case and surrounding spaces.
    for taken in [
        "ann@agency.example",
        "ANN@Agency.EXAMPLE",
        "  ann@agency.example\t",
    ] {
        refused(
            signup(signup_body(taken)).await,
            StatusCode::CONFLICT,
            "email_taken",
        );
    }
    // None of the refused sign-ups left a user behind.
    let bob = signup(signup_body("bob@agency.example")).await;
    assert_eq!(bob.0, StatusCode::CREATED, "{}", bob.1);
}

async fn signup_can_be_turned_off(backend: Backend) {
    let app = TestApp::start_with(backend, |c| c.allow_signup = false).await;
    refused(
        app.anonymous()
            .post("/api/v1/signup", signup_body("ann@agency.example"))
            .await,
        StatusCode::FORBIDDEN,
        "signup_disabled",
    );
}

async fn login_refusals_look_alike(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let bob = app.add_user(&ann, "bob@agency.example", "manager").await;
    let (status, _) = ann
        .patch(
            &format!("/api/v1/users/{}", bob.user_id()),
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let anon = app.anonymous();
    let attempts = [
        json!({"email": "nobody@agency.example", "password": "correct horse"}),
        json!({"email": "ann@agency.example", "password": "wrong horse"}),
        json!({"email": "bob@agency.example", "password": "correct horse"}),
        json!({"email": "not an address", "password": "correct horse"}),
        json!({"email": "ann@agency.example", "password": ""}),
    ];
    let mut bodies = Vec::new();
    for attempt in attempts {
        let (status, body) = anon.post("/api/v1/login", attempt).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_envelope(&body);
        assert_eq!(code(&body), "invalid_credentials");
        bodies.push(body);
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "log-in refusals differ: {bodies:?}"
    );
    refused(
        anon.post("/api/v1/login", json!({"email": "ann@agency.example"}))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    );
    refused(
        anon.post("/api/v1/login", json!({"email": 1, "password": 2}))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    );
}

/// Requests with a bad or missing `Authorization` are 401 `unauthenticated`.
async fn bad_tokens_are_unauthenticated(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let token = ann.token.clone().unwrap();
    let http = reqwest::Client::new();
    let me = format!("{}/api/v1/me", app.base);
    let headers: Vec<Option<String>> = vec![
        None,
        Some(String::new()),
        Some("Bearer".into()),
        Some("Bearer ".into()),
        Some(format!("Basic {token}")),
        Some(format!("Bearer {}", "0".repeat(64))),
        Some(format!("Bearer {}", token.to_uppercase().replace('A', "B"))),
        Some(format!("Bearer {}x", token)),
        Some(format!("Bearer {}", &token[..63])),
        Some("Bearer ' OR 1=1 --".into()),
        Some(format!("Bearer {}", "é".repeat(32))),
        Some(format!("Bearer {}", "z".repeat(5000))),
        Some(format!("Bearer{token}")),
    ];
    for header in headers {
        let mut req = http.get(&me);
        if let Some(h) = &header {
            req = req.header("authorization", h.as_bytes());
        }
        let response = req.send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        refused((status, body), StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    // Non-UTF-8 bytes in the header.
    let response = http
        .get(&me)
        .header(
            "authorization",
            reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap(),
        )
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    refused((status, body), StatusCode::UNAUTHORIZED, "unauthenticated");
    // An API token is not a web session, and a garbage cookie signs nobody in.
    for cookie in [
        format!("coproof_session={token}"),
        "coproof_session=".to_string(),
        "coproof_session=%00; other=1".to_string(),
        format!("coproof_session={}", "0".repeat(64)),
        "=; ;;==".to_string(),
    ] {
        let response = http.get(&me).header("cookie", cookie).send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        refused((status, body), StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    // The scheme is case-insensitive; the right token works.
    let response = http
        .get(&me)
        .header("authorization", format!("bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // Every route that needs a user says so the same way.
    let anon = app.anonymous();
    refused(
        anon.get("/api/v1/users").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    refused(
        anon.post("/api/v1/users", json!({})).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    refused(
        anon.patch(&format!("/api/v1/users/{}", ann.user_id()), json!({}))
            .await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    refused(
        anon.post("/api/v1/logout", json!({})).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
}

async fn admins_manage_users(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let (status, created) = ann
        .post(
            "/api/v1/users",
            json!({"email": " Bob@Agency.Example", "name": " Bob ", "profile": "supervisor",
                   "password": "bob's password", "language": "ko"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["email"], "bob@agency.example");
    assert_eq!(created["name"], "Bob");
    assert_eq!(created["profile"], "supervisor");
    assert_eq!(created["active"], true);
    assert_eq!(created["language"], "ko");
    assert_eq!(created["account_id"], ann.account["id"]);
    let bob = app.login("bob@agency.example", "bob's password").await;
    assert_eq!(bob.user["id"], created["id"]);

    // Every profile can be given by a billing admin.
    for profile in ["billing_admin", "admin", "manager", "observer", "visitor"] {
        let (status, body) = ann
            .post(
                "/api/v1/users",
                json!({"email": format!("{profile}@agency.example"), "name": profile,
                       "profile": profile, "password": "correct horse"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["profile"], profile);
        assert_eq!(body["language"], "en");
    }

    // Listing: everyone of the account, paginated.
    let (status, list) = ann.get("/api/v1/users").await;
    assert_eq!(status, StatusCode::OK);
    let users = list["users"].as_array().unwrap();
    assert_eq!(users.len(), 7);
    assert!(list["next_cursor"].is_null());
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/users?limit=3&cursor={c}"),
            None => "/api/v1/users?limit=3".to_string(),
        };
        let (status, page) = ann.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["users"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|u| u["id"].clone()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        users.iter().map(|u| u["id"].clone()).collect::<Vec<_>>()
    );
    for bad in [
        "limit=0",
        "limit=abc",
        "limit=-1",
        "cursor=nope",
        "limit=1e3",
    ] {
        refused(
            ann.get(&format!("/api/v1/users?{bad}")).await,
            StatusCode::BAD_REQUEST,
            "invalid_input",
        );
    }
    let (status, page) = ann.get("/api/v1/users?limit=100000").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    // Another account's users are not listed.
    let other = app.signup("Client", "carol@client.example").await;
    let (_, theirs) = other.get("/api/v1/users").await;
    assert_eq!(theirs["users"].as_array().unwrap().len(), 1);

    // Refusals of POST /users.
    refused(
        ann.post(
            "/api/v1/users",
            json!({"email": "BOB@agency.example ", "name": "Bob 2", "profile": "visitor",
                   "password": "correct horse"}),
        )
        .await,
        StatusCode::CONFLICT,
        "email_taken",
    );
    refused(
        ann.post(
            "/api/v1/users",
            json!({"email": "carol@client.example", "name": "Carol", "profile": "visitor"}),
        )
        .await,
        StatusCode::CONFLICT,
        "email_taken",
    );
    refused(
        ann.post(
            "/api/v1/users",
            json!({"email": "no-at-sign", "name": "X", "profile": "visitor"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_email",
    );
    for body in [
        json!({"email": "x@agency.example", "name": "X", "profile": "owner"}),
        json!({"email": "x@agency.example", "name": "", "profile": "visitor"}),
        json!({"email": "x@agency.example", "profile": "visitor"}),
        json!({"email": "x@agency.example", "name": "X"}),
        json!({"email": "x@agency.example", "name": "X", "profile": 3}),
        json!({"email": "x@agency.example", "name": "X", "profile": "visitor", "language": "de"}),
    ] {
        refused(
            ann.post("/api/v1/users", body).await,
            StatusCode::BAD_REQUEST,
            "invalid_input",
        );
    }
    refused(
        ann.post(
            "/api/v1/users",
            json!({"email": "x@agency.example", "name": "X", "profile": "visitor", "password": "short"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_password",
    );
}

async fn only_admins_manage_users(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let adam = app.add_user(&ann, "adam@agency.example", "admin").await;
    let vic = app.add_user(&ann, "vic@agency.example", "visitor").await;
    for profile in ["supervisor", "manager", "observer", "visitor"] {
        let someone = app
            .add_user(&ann, &format!("{profile}@agency.example"), profile)
            .await;
        refused(
            someone
                .post(
                    "/api/v1/users",
                    json!({"email": format!("new-{profile}@agency.example"), "name": "New",
                           "profile": "visitor", "password": "correct horse"}),
                )
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        for change in [
            json!({"profile": "admin"}),
            json!({"active": false}),
            json!({"name": "Renamed"}),
        ] {
            refused(
                someone
                    .patch(&format!("/api/v1/users/{}", vic.user_id()), change)
                    .await,
                StatusCode::FORBIDDEN,
                "forbidden",
            );
        }
        // Nor raise itself.
        refused(
            someone
                .patch(
                    &format!("/api/v1/users/{}", someone.user_id()),
                    json!({"profile": "admin"}),
                )
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        // Everyone sees the users of its account.
        let (status, list) = someone.get("/api/v1/users").await;
        assert_eq!(status, StatusCode::OK, "{list}");
    }
    // Nothing changed.
    let (_, list) = ann.get("/api/v1/users").await;
    let vic_now = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == vic.user["id"])
        .cloned()
        .unwrap();
    assert_eq!(vic_now["profile"], "visitor");
    assert_eq!(vic_now["active"], true);
    assert_eq!(vic_now["name"], vic.user["name"]);
    assert_eq!(list["users"].as_array().unwrap().len(), 7);

    // An admin manages users, but cannot make or touch a billing admin.
    refused(
        adam.post(
            "/api/v1/users",
            json!({"email": "boss@agency.example", "name": "Boss", "profile": "billing_admin",
                   "password": "correct horse"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    refused(
        adam.patch(
            &format!("/api/v1/users/{}", vic.user_id()),
            json!({"profile": "billing_admin"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    refused(
        adam.patch(
            &format!("/api/v1/users/{}", adam.user_id()),
            json!({"profile": "billing_admin"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    for change in [json!({"profile": "admin"}), json!({"active": false})] {
        refused(
            adam.patch(&format!("/api/v1/users/{}", ann.user_id()), change)
                .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    let (status, body) = adam
        .post(
            "/api/v1/users",
            json!({"email": "new-admin@agency.example", "name": "New admin", "profile": "admin",
                   "password": "correct horse"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = adam
        .patch(
            &format!("/api/v1/users/{}", vic.user_id()),
            json!({"profile": "manager", "name": "Victor"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["profile"], "manager");
    assert_eq!(body["name"], "Victor");
    // A billing admin may make another billing admin.
    let (status, body) = ann
        .patch(
            &format!("/api/v1/users/{}", adam.user_id()),
            json!({"profile": "billing_admin"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["profile"], "billing_admin");
    // Anyone may rename itself and change its language.
    let (status, body) = vic
        .patch(
            &format!("/api/v1/users/{}", vic.user_id()),
            json!({"name": "Vic", "language": "ko"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "Vic");
    assert_eq!(body["language"], "ko");
    assert_eq!(body["profile"], "manager");
}

async fn deactivation_ends_access_at_once(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let bob = app.add_user(&ann, "bob@agency.example", "manager").await;
    let bob_again = app.login("bob@agency.example", "correct horse").await;
    assert_eq!(bob.get("/api/v1/me").await.0, StatusCode::OK);

    let (status, body) = ann
        .patch(
            &format!("/api/v1/users/{}", bob.user_id()),
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["active"], false);
    for token in [&bob, &bob_again] {
        refused(
            token.get("/api/v1/me").await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        );
        refused(
            token.get("/api/v1/users").await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        );
    }
    refused(
        app.anonymous()
            .post(
                "/api/v1/login",
                json!({"email": "bob@agency.example", "password": "correct horse"}),
            )
            .await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
    // Still listed, as inactive.
    let (_, list) = ann.get("/api/v1/users").await;
    assert!(list["users"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["id"] == bob.user["id"] && u["active"] == false));

    // Reactivated: it logs in again, but the old tokens stay dead.
    let (status, body) = ann
        .patch(
            &format!("/api/v1/users/{}", bob.user_id()),
            json!({"active": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(bob.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    let bob_back = app.login("bob@agency.example", "correct horse").await;
    assert_eq!(bob_back.get("/api/v1/me").await.0, StatusCode::OK);
}

async fn users_of_other_accounts_are_not_found(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let carol = app.signup("Client", "carol@client.example").await;
    let dave = app.add_user(&carol, "dave@client.example", "visitor").await;
    for target in [carol.user_id(), dave.user_id()] {
        for change in [
            json!({"active": false}),
            json!({"name": "Hacked"}),
            json!({}),
        ] {
            refused(
                ann.patch(&format!("/api/v1/users/{target}"), change).await,
                StatusCode::NOT_FOUND,
                "not_found",
            );
        }
    }
    // An id that never existed looks the same.
    refused(
        ann.patch(
            &format!("/api/v1/users/{}", "0".repeat(26)),
            json!({"name": "X"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_eq!(
        dave.get("/api/v1/me").await.1["user"]["name"],
        dave.user["name"]
    );
    assert_eq!(carol.get("/api/v1/me").await.0, StatusCode::OK);
}

async fn the_last_admin_stays(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let me = format!("/api/v1/users/{}", ann.user_id());
    for change in [
        json!({"profile": "manager"}),
        json!({"active": false}),
        json!({"profile": "visitor", "active": false}),
    ] {
        refused(
            ann.patch(&me, change).await,
            StatusCode::CONFLICT,
            "last_admin",
        );
    }
    // An inactive admin does not count.
    let adam = app.add_user(&ann, "adam@agency.example", "admin").await;
    let (status, _) = ann
        .patch(
            &format!("/api/v1/users/{}", adam.user_id()),
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    refused(
        ann.patch(&me, json!({"profile": "manager"})).await,
        StatusCode::CONFLICT,
        "last_admin",
    );
    // With another active admin, the billing admin may step down.
    let (status, _) = ann
        .patch(
            &format!("/api/v1/users/{}", adam.user_id()),
            json!({"active": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = ann.patch(&me, json!({"profile": "manager"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["profile"], "manager");
    // Now adam is the last one.
    let adam = app.login("adam@agency.example", "correct horse").await;
    refused(
        adam.patch(
            &format!("/api/v1/users/{}", adam.user_id()),
            json!({"active": false}),
        )
        .await,
        StatusCode::CONFLICT,
        "last_admin",
    );
    // And ann, a manager now, manages nobody.
    refused(
        ann.patch(
            &format!("/api/v1/users/{}", adam.user_id()),
            json!({"active": false}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}

async fn a_user_without_password_gets_a_set_password_mail(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    assert!(app.mail_files().is_empty());
    let (status, body) = ann
        .post(
            "/api/v1/users",
            json!({"email": "bob@agency.example", "name": "Bob", "profile": "observer"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(app.mail_delivered(10).await, "the outbox did not drain");
    let files = app.mail_files();
    assert_eq!(files.len(), 1, "{files:?}");
    let message = crate::mail::Message::parse(&files[0]);
    assert!(
        message.header("to").contains("bob@agency.example"),
        "{message:?}"
    );
    assert_eq!(message.subject(), "Your Coproof account at Agency");
    let link = format!("{}/set-password?token=", app.config.public_url());
    let token = message
        .body
        .split(&link)
        .nth(1)
        .unwrap_or_else(|| panic!("no set-password link in {message:?}"));
    let token: String = token.chars().take_while(char::is_ascii_hexdigit).collect();
    assert_eq!(token.len(), 64, "{message:?}");
    // The token is for setting a password, not for signing in.
    let holder = Client::new(&app.base, Some(token));
    refused(
        holder.get("/api/v1/me").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    // Nobody can log in as bob before the password is set.
    refused(
        app.anonymous()
            .post(
                "/api/v1/login",
                json!({"email": "bob@agency.example", "password": ""}),
            )
            .await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
    // A user with a password gets no mail.
    app.add_user(&ann, "carl@agency.example", "observer").await;
    assert!(app.mail_delivered(10).await);
    assert_eq!(app.mail_files().len(), 1);
}

async fn malformed_requests_get_an_envelope(backend: Backend) {
    let app = TestApp::start_with(backend, |c| c.json_limit = 1024).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let anon = app.anonymous();
    let json = Some("application/json");
    let bodies: Vec<(&[u8], Option<&str>)> = vec![
        (b"", json),
        (b"{", json),
        (b"{\"email\": ", json),
        (b"not json at all", json),
        (b"{\"email\": \"a@b.example\", \"password\": \"x\"", json),
        (b"\xff\xfe\x00", json),
        (b"[]", json),
        (b"null", json),
        (
            b"{\"email\": \"a@b.example\", \"password\": \"correct horse\"}",
            Some("text/plain"),
        ),
        (
            b"email=a@b.example&password=x",
            Some("application/x-www-form-urlencoded"),
        ),
        (
            b"{\"email\": \"a@b.example\", \"password\": \"correct horse\"}",
            None,
        ),
    ];
    for (path, client) in [("/api/v1/login", &anon), ("/api/v1/users", &ann)] {
        for (body, content_type) in &bodies {
            let (status, answer) = client
                .raw(Method::POST, path, body.to_vec(), *content_type)
                .await;
            assert!(
                status.is_client_error(),
                "{path} {body:?} {content_type:?}: {status} {answer}"
            );
            assert_envelope(&answer);
        }
    }
    // Over the limit: 413, for a sign-up, a log-in and a signed-in request alike.
    let big = json!({"email": "a@b.example", "password": "x".repeat(2000)});
    refused(
        anon.post("/api/v1/login", big.clone()).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    let mut big_signup = signup_body("big@agency.example");
    big_signup["name"] = json!("n".repeat(5000));
    refused(
        anon.post("/api/v1/signup", big_signup).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    refused(
        ann.patch(
            &format!("/api/v1/users/{}", ann.user_id()),
            json!({"name": "n".repeat(100_000)}),
        )
        .await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    // Chunked (no Content-Length) and over the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![
        Ok(b"{\"email\": \"a@b.example\", \"password\": \"".to_vec()),
        Ok(vec![b'x'; 3000]),
        Ok(b"\"}".to_vec()),
    ];
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/login", app.base))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    refused(
        (status, body),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    // Just under the limit is fine.
    let (status, _) = ann
        .patch(
            &format!("/api/v1/users/{}", ann.user_id()),
            json!({"name": "n".repeat(150)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Wrong types in PATCH.
    for change in [
        json!({"active": "yes"}),
        json!({"active": 1}),
        json!({"name": 5}),
        json!({"profile": ["admin"]}),
        json!({"name": ""}),
        json!({"profile": "root"}),
    ] {
        refused(
            ann.patch(&format!("/api/v1/users/{}", ann.user_id()), change)
                .await,
            StatusCode::BAD_REQUEST,
            "invalid_input",
        );
    }
    let (_, me) = ann.get("/api/v1/me").await;
    assert_eq!(me["user"]["profile"], "billing_admin");
    assert_eq!(me["user"]["active"], true);
}

async fn odd_ids_and_routes(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let long = "a".repeat(4000);
    let odd = [
        "..%2fx",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        long.as_str(),
        "%ED%95%9C%EA%B8%80",
        "%00",
        "abc%00def",
        "%FF%FE",
        "1%20OR%201%3D1",
        "'%3B%20DROP%20TABLE%20users%3B--",
        "%F0%9F%98%80",
        "0",
        "-1",
        "null",
    ];
    for id in odd {
        let (status, body) = ann
            .patch(&format!("/api/v1/users/{id}"), json!({"name": "X"}))
            .await;
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST,
            "{id}: {status} {body}"
        );
        assert_envelope(&body);
    }
    // Ids that are plain text are not found.
    for id in ["..%2fx", "%ED%95%9C%EA%B8%80", "%00", "0", long.as_str()] {
        refused(
            ann.patch(&format!("/api/v1/users/{id}"), json!({"name": "X"}))
                .await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    // Unknown routes and wrong methods.
    let anon = app.anonymous();
    for path in [
        "/nope",
        "/api/v1/nope",
        "/api/v2/me",
        "/api/v1/users/a/b",
        "/api/v1/",
    ] {
        refused(anon.get(path).await, StatusCode::NOT_FOUND, "not_found");
        refused(ann.get(path).await, StatusCode::NOT_FOUND, "not_found");
    }
    for (method, path) in [
        (Method::GET, "/api/v1/signup"),
        (Method::DELETE, "/api/v1/me"),
        (Method::PUT, "/api/v1/users"),
        (Method::GET, "/api/v1/logout"),
        (Method::DELETE, "/api/v1/users/0123456789abcdefghjkmnpqrs"),
        (Method::POST, "/healthz"),
    ] {
        let (status, body) = ann.request(method.clone(), path, None).await;
        assert_eq!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {body}"
        );
        assert_envelope(&body);
        assert_eq!(code(&body), "method_not_allowed");
    }
}

/// SQL-ish and unusual text is stored and shown verbatim, and harms nothing.
async fn sqlish_text_is_just_text(backend: Backend) {
    let app = TestApp::start(backend).await;
    let account_name = "Robert'); DROP TABLE accounts;--";
    let name = "x' OR '1'='1\" -- ; SELECT * FROM users; /*";
    let email = "o'brien+x'or'1'='1@agency.example";
    let (status, body) = app
        .anonymous()
        .post(
            "/api/v1/signup",
            json!({"account_name": account_name, "name": name, "email": email,
                   "password": "'; DROP TABLE users;--"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["account"]["name"], account_name);
    assert_eq!(body["user"]["name"], name);
    assert_eq!(body["user"]["email"], email);
    let owner = app.login(email, "'; DROP TABLE users;--").await;
    for nasty in [
        "%' OR 1=1 --",
        "\\'; DELETE FROM tokens; --",
        "😀 김민지 <script>alert(1)</script>",
        "$1 $2 ?",
    ] {
        let (status, body) = owner
            .post(
                "/api/v1/users",
                json!({"email": format!("u{}@agency.example", nasty.len()), "name": nasty,
                       "profile": "visitor", "password": "correct horse"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["name"], nasty);
    }
    // A SQL-ish login is just a wrong password.
    refused(
        app.anonymous()
            .post(
                "/api/v1/login",
                json!({"email": email, "password": "' OR '1'='1"}),
            )
            .await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
    // Everything is still there.
    let (status, list) = owner.get("/api/v1/users").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["users"].as_array().unwrap().len(), 5);
    let (_, me) = owner.get("/api/v1/me").await;
    assert_eq!(me["account"]["name"], account_name);
    app.signup("Other", "other@agency.example").await;
}

async fn service_routes(backend: Backend) {
    let app = TestApp::start(backend).await;
    let anon = app.anonymous();
    let http = reqwest::Client::new();
    for path in ["/healthz", "/readyz"] {
        let response = http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    // Some traffic, then the metrics.
    app.signup("Agency", "ann@agency.example").await;
    anon.get("/api/v1/me").await;
    anon.get("/api/v1/nope").await;
    let ann = app.login("ann@agency.example", "correct horse").await;
    ann.post(
        "/api/v1/users",
        json!({"email": "bob@agency.example", "name": "Bob", "profile": "observer"}),
    )
    .await;
    let response = http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain")));
    let text = response.text().await.unwrap();
    let has = |needle: &str| {
        text.lines()
            .any(|l| !l.starts_with('#') && l.contains(needle))
    };
    assert!(has("http_requests_total{"), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("http_requests_total{")
            && l.contains("route=\"/api/v1/signup\"")
            && l.contains("status=\"201\"")
            && l.contains("method=\"POST\"")),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.starts_with("http_requests_total{")
            && l.contains("route=\"/api/v1/me\"")
            && l.contains("status=\"401\"")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("http_request_duration_seconds_bucket{")
                && l.contains("route=\"/api/v1/login\"")),
        "{text}"
    );
    assert!(has("http_request_duration_seconds_count{"), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("coproof_outbox_depth ")),
        "{text}"
    );
    // Paths with ids are counted by their template, not one series per id.
    assert!(
        !text.contains("route=\"/api/v1/nope\""),
        "an unknown path became a label: {text}"
    );

    // The OpenAPI document names every route of api.md's tables implemented so far.
    let (status, doc) = anon.get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths = doc["paths"].as_object().expect("paths");
    let expected: &[(&str, &[&str])] = &[
        ("/api/v1/signup", &["post"]),
        ("/api/v1/login", &["post"]),
        ("/api/v1/logout", &["post"]),
        ("/api/v1/me", &["get"]),
        ("/api/v1/users", &["get", "post"]),
        ("/api/v1/users/{id}", &["patch"]),
        ("/api/v1/partners", &["get", "post"]),
        ("/api/v1/partners/{id}", &["get", "delete"]),
        ("/api/v1/partners/{id}/accept", &["post"]),
        ("/api/v1/partners/{id}/reject", &["post"]),
        ("/api/v1/audit", &["get"]),
        ("/healthz", &["get"]),
        ("/readyz", &["get"]),
        ("/metrics", &["get"]),
        ("/api/v1/openapi.json", &["get"]),
        ("/api/docs", &["get"]),
        ("/api/docs.js", &["get"]),
        ("/api/docs.css", &["get"]),
    ];
    for (path, methods) in expected {
        let item = paths
            .get(*path)
            .unwrap_or_else(|| panic!("{path} missing from the OpenAPI document"));
        for method in *methods {
            assert!(item.get(*method).is_some(), "{method} {path} missing");
        }
    }

    // The interactive page.
    let response = http
        .get(format!("{}/api/docs", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html")));
    let html = response.text().await.unwrap();
    assert!(html.to_ascii_lowercase().contains("<html"), "{html}");
    for asset in ["/api/docs.js", "/api/docs.css"] {
        let response = http
            .get(format!("{}{asset}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{asset}");
    }
}

/// A request in flight when the server is told to stop still gets its answer: a sign-up
/// whose body is still arriving (and then hashes a password) when the stop begins.
async fn shutdown_lets_requests_finish(backend: Backend) {
    let mut app = TestApp::start(backend).await;
    let body = signup_body("ann@agency.example").to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let (send, receive) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    send.send(Ok(first.as_bytes().to_vec())).await.unwrap();
    let request = reqwest::Client::new()
        .post(format!("{}/api/v1/signup", app.base))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(tokio_stream_from(receive)))
        .send();
    let in_flight = tokio::spawn(async move {
        let response = request.await.expect("the answer arrives");
        let status = response.status();
        (
            status,
            response.json::<Value>().await.unwrap_or(Value::Null),
        )
    });
    // Let the request reach the handler, then stop while its body is half sent.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!in_flight.is_finished());
    let rest = rest.as_bytes().to_vec();
    let finish = async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        send.send(Ok(rest)).await.unwrap();
        drop(send);
    };
    let started = std::time::Instant::now();
    tokio::join!(app.stop(), finish);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(300),
        "the stop did not wait for the request"
    );
    let (status, body) = in_flight.await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // It was stored: after a restart, the user logs in.
    app.restart().await;
    app.login("ann@agency.example", "correct horse").await;
}

/// A request that stalls forever does not hold the server up past the grace period.
async fn shutdown_gives_up_on_stalled_requests(backend: Backend) {
    let mut app = TestApp::start_with(backend, |c| c.shutdown_grace_secs = 1).await;
    let (send, receive) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    send.send(Ok(b"{\"email\": ".to_vec())).await.unwrap();
    let request = reqwest::Client::new()
        .post(format!("{}/api/v1/login", app.base))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(tokio_stream_from(receive)))
        .send();
    let stalled = tokio::spawn(request);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    tokio::time::timeout(std::time::Duration::from_secs(10), app.stop())
        .await
        .expect("the server stopped within its grace period");
    let took = started.elapsed();
    assert!(took >= std::time::Duration::from_millis(900), "{took:?}");
    // (In the test process the abandoned connection lingers; `coproof serve` exits.)
    stalled.abort();
}

/// A stream of the chunks sent on `receive`, for a request body that arrives slowly.
fn tokio_stream_from(
    mut receive: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures::stream::poll_fn(move |cx| receive.poll_recv(cx))
}

/// Racing sign-ups with one address: one account, the others `email_taken`, never a 500.
async fn racing_signups_make_one_account(backend: Backend) {
    let app = TestApp::start(backend).await;
    let attempts = (0..6).map(|i| {
        let anon = app.anonymous();
        let email = if i % 2 == 0 {
            "ann@agency.example"
        } else {
            " ANN@agency.example"
        };
        async move { anon.post("/api/v1/signup", signup_body(email)).await }
    });
    let answers = futures::future::join_all(attempts).await;
    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{answers:?}");
    for (status, body) in answers
        .into_iter()
        .filter(|(s, _)| *s != StatusCode::CREATED)
    {
        refused((status, body), StatusCode::CONFLICT, "email_taken");
    }
}

/// Two admins stepping down at the same moment: one of them stays admin.
async fn racing_admins_keep_one(backend: Backend) {
    let app = TestApp::start(backend).await;
    for round in 0..6 {
        let ann = app
            .signup("Agency", &format!("ann{round}@agency.example"))
            .await;
        let adam = app
            .add_user(&ann, &format!("adam{round}@agency.example"), "admin")
            .await;
        let (deactivate_ann, deactivate_adam) = if round % 2 == 0 {
            (json!({"profile": "manager"}), json!({"profile": "visitor"}))
        } else {
            (json!({"active": false}), json!({"active": false}))
        };
        let ann_path = format!("/api/v1/users/{}", ann.user_id());
        let adam_path = format!("/api/v1/users/{}", adam.user_id());
        let ((s1, b1), (s2, b2)) = tokio::join!(
            ann.patch(&ann_path, deactivate_ann),
            adam.patch(&adam_path, deactivate_adam),
        );
        let ok = [s1, s2].iter().filter(|s| **s == StatusCode::OK).count();
        assert_eq!(ok, 1, "round {round}: {s1} {b1} / {s2} {b2}");
        for (status, body) in [(s1, b1), (s2, b2)] {
            if status != StatusCode::OK {
                refused((status, body), StatusCode::CONFLICT, "last_admin");
            }
        }
        // Exactly one active admin is left.
        let admin = if s1 == StatusCode::OK { &adam } else { &ann };
        let (_, list) = admin.get("/api/v1/users").await;
        let admins = list["users"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| {
                u["active"] == true && (u["profile"] == "admin" || u["profile"] == "billing_admin")
            })
            .count();
        assert_eq!(admins, 1, "round {round}: {list}");
    }
}

/// A refusal that says when to come back carries `Retry-After`.
async fn rate_limits_say_when_to_retry(backend: Backend) {
    let app = TestApp::start_with(backend, |c| c.invite_limit_per_hour = 1).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let (status, body) = ann
        .post("/api/v1/partners", json!({"email": "kim@client.example"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/partners", app.base))
        .bearer_auth(ann.token.clone().unwrap())
        .json(&json!({"email": "lee@client.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header in seconds");
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    let body: Value = response.json().await.unwrap();
    refused(
        (StatusCode::TOO_MANY_REQUESTS, body),
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    );
}

on_both_backends!(
    racing_signups_make_one_account,
    racing_admins_keep_one,
    rate_limits_say_when_to_retry,
    signup_login_me_logout,
    signup_refusals,
    signup_can_be_turned_off,
    login_refusals_look_alike,
    bad_tokens_are_unauthenticated,
    admins_manage_users,
    only_admins_manage_users,
    deactivation_ends_access_at_once,
    users_of_other_accounts_are_not_found,
    the_last_admin_stays,
    a_user_without_password_gets_a_set_password_mail,
    malformed_requests_get_an_envelope,
    odd_ids_and_routes,
    sqlish_text_is_just_text,
    service_routes,
    shutdown_lets_requests_finish,
    shutdown_gives_up_on_stalled_requests,
);

/// Runs the built `coproof` binary in `dir` with a clean environment.
fn coproof(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_coproof"));
    command.args(args).current_dir(dir);
    for (name, _) in std::env::vars() {
        if name.starts_with("COPROOF_") {
            command.env_remove(name);
        }
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("coproof runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_commands_set_up_an_install() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("install.db").display());
    let ok = |out: &std::process::Output| {
        assert!(
            out.status.success(),
            "stdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let failed = |out: &std::process::Output| {
        assert!(!out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };

    let out = ok(&coproof(
        dir.path(),
        &["migrate", "--database-url", &db],
        &[],
    ));
    assert!(out.contains("migrations applied"), "{out}");
    // Migrating again is a no-op.
    ok(&coproof(
        dir.path(),
        &["migrate", "--database-url", &db],
        &[],
    ));
    let create = |email: &str, password: &str| {
        coproof(
            dir.path(),
            &[
                "account",
                "create",
                "--database-url",
                &db,
                "--name",
                "Self Hosted",
                "--email",
                email,
                "--user-name",
                "Root",
                "--password",
                password,
                "--language",
                "ko",
            ],
            &[],
        )
    };
    let out = ok(&create(" Root@Example.org", "first password"));
    assert!(out.contains("root@example.org"), "{out}");
    failed(&create("root@example.org", "another password"));
    failed(&create("second@example.org", "short"));
    failed(&create("not an address", "long enough"));

    let set = |email: &str, password: Option<&str>, env: &[(&str, &str)]| {
        let mut args = vec![
            "user",
            "set-password",
            "--database-url",
            &db,
            "--email",
            email,
        ];
        if let Some(p) = password {
            args.extend(["--password", p]);
        }
        coproof(dir.path(), &args, env)
    };
    ok(&set("root@example.org", Some("second password"), &[]));
    // The password from the environment, so it stays out of the process list.
    ok(&set(
        "ROOT@example.org",
        None,
        &[("COPROOF_PASSWORD", "third password")],
    ));
    let err = failed(&set("nobody@example.org", Some("some password"), &[]));
    assert!(err.contains("nobody@example.org"), "{err}");
    failed(&set("root@example.org", Some("short"), &[]));
    failed(&set("root@example.org", None, &[]));
    // Nothing was created outside the given database.
    assert!(!dir.path().join("data").exists(), "a stray ./data folder");

    // The server on that database: sign-up is off, the admin logs in with the last password.
    let app = TestApp::start_with(Backend::Sqlite, |c| {
        c.database_url = Some(db.clone());
        c.allow_signup = false;
    })
    .await;
    refused(
        app.anonymous()
            .post("/api/v1/signup", signup_body("x@example.org"))
            .await,
        StatusCode::FORBIDDEN,
        "signup_disabled",
    );
    for old in ["first password", "second password"] {
        refused(
            app.anonymous()
                .post(
                    "/api/v1/login",
                    json!({"email": "root@example.org", "password": old}),
                )
                .await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        );
    }
    let root = app.login("root@example.org", "third password").await;
    assert_eq!(root.user["profile"], "billing_admin");
    assert_eq!(root.user["name"], "Root");
    assert_eq!(root.user["language"], "ko");
    assert_eq!(root.account["name"], "Self Hosted");
}

#[test]
fn serve_help_documents_every_flag() {
    let dir = tempfile::tempdir().unwrap();
    let out = coproof(dir.path(), &["serve", "--help"], &[]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for (flag, env) in [
        ("--listen", "COPROOF_LISTEN"),
        ("--data-dir", "COPROOF_DATA_DIR"),
        ("--database-url", "COPROOF_DATABASE_URL"),
        ("--smtp-url", "COPROOF_SMTP_URL"),
        ("--mail-from", "COPROOF_MAIL_FROM"),
        ("--public-url", "COPROOF_PUBLIC_URL"),
        ("--invite-limit-per-hour", "COPROOF_INVITE_LIMIT_PER_HOUR"),
        ("--allow-signup", "COPROOF_ALLOW_SIGNUP"),
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
        assert!(help.contains(env), "{env} missing from:\n{help}");
    }
    for default in ["127.0.0.1:8080", "./data", "100"] {
        assert!(help.contains(default), "default {default} missing:\n{help}");
    }
    // Nothing was started or created.
    assert!(!dir.path().join("data").exists());
}

/// `coproof serve` with no configuration: data under `./data`, sign-up and log-in work,
/// and SIGTERM stops it cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_with_no_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::support::smtp::free_port().await;
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_coproof"));
    command.arg("serve").current_dir(dir.path());
    for (name, _) in std::env::vars() {
        if name.starts_with("COPROOF_") {
            command.env_remove(name);
        }
    }
    // Only the port differs from the defaults, so parallel tests do not collide.
    command.env("COPROOF_LISTEN", port.to_string());
    command.stdout(std::process::Stdio::null());
    command.stderr(std::process::Stdio::null());
    let mut child = command.spawn().expect("coproof serve starts");
    let base = format!("http://{port}");
    let anon = Client::new(&base, None);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(format!("{base}/readyz")).await {
            if r.status() == StatusCode::OK {
                break;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "coproof serve never got ready"
        );
        assert!(child.try_wait().unwrap().is_none(), "coproof serve exited");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (status, body) = anon
        .post("/api/v1/signup", signup_body("ann@agency.example"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = anon
        .post(
            "/api/v1/login",
            json!({"email": "ann@agency.example", "password": "correct horse"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ann = Client::new(&base, body["token"].as_str().map(str::to_string));
    let (status, body) = ann
        .post(
            "/api/v1/users",
            json!({"email": "bob@agency.example", "name": "Bob", "profile": "visitor"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let data = dir.path().join("data");
    assert!(data.join("coproof.db").is_file());
    assert!(data.join("files").is_dir());
    // The set-password mail lands as an .eml file.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::fs::read_dir(data.join("mail")).unwrap().count() == 0 {
        assert!(std::time::Instant::now() < deadline, "no .eml file written");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let term = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("coproof serve did not stop on SIGTERM");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");
}
