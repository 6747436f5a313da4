//! Sign-up, log-in, `me`, log-out, and the users of an account with their profiles.

use crate::on_both_backends;
use crate::support::envelope::{assert_envelope, refused, signup_body};
use crate::support::message::Message;
use crate::support::{code, Backend, Client, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

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
        // Everyone but a visitor lists the users of its account (the list holds every
        // colleague's e-mail address).
        let (status, list) = someone.get("/api/v1/users").await;
        if someone.user["profile"] == "visitor" {
            assert_eq!(status, StatusCode::FORBIDDEN, "{list}");
            assert_eq!(code(&list), "forbidden");
        } else {
            assert_eq!(status, StatusCode::OK, "{list}");
        }
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
    let (status, body) = ann
        .post(
            "/api/v1/users",
            json!({"email": "bob@agency.example", "name": "Bob", "profile": "observer"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(app.mail_delivered(10).await, "the outbox did not drain");
    let to = |who: &str| -> Vec<Message> {
        app.mail_files()
            .iter()
            .map(|f| Message::parse(f))
            .filter(|m| m.header("to").contains(who))
            .collect()
    };
    let to_bob = to("bob@agency.example");
    assert_eq!(to_bob.len(), 1, "{to_bob:?}");
    let message = to_bob[0].clone();
    assert!(
        message.header("to").contains("bob@agency.example"),
        "{message:?}"
    );
    assert_eq!(message.subject(), "Your Coproof account at Agency");
    let link = format!("{}/set-password?token=", app.base);
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
    // A user with a password gets no set-password mail, only the link that verifies it.
    app.add_user(&ann, "carl@agency.example", "observer").await;
    assert!(app.mail_delivered(10).await);
    let to_carl = to("carl@agency.example");
    assert_eq!(to_carl.len(), 1, "{to_carl:?}");
    assert!(to_carl[0].body.contains("/verify-email?token="));
    assert_eq!(to("bob@agency.example").len(), 1);
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

on_both_backends!(
    racing_signups_make_one_account,
    racing_admins_keep_one,
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
);
