//! Contacts (spec/partners.md "Contacts", spec/api.md "Contacts"): every sentence of the
//! spec as a scenario, the page (order, cursor, search, kind, company view), guests,
//! deletion, CSV import and export, and the check under concurrent changes.

use crate::on_both_backends;
use crate::support::{code, eventually, secs, Backend, Client, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A partnership between the accounts of `a` and `b` (`a` sends, `b` accepts); the
/// relationship's id.
async fn partner(a: &Client, b: &Client) -> String {
    let (status, sent) = a
        .post("/api/v1/partners", json!({"email": b.email()}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let id = sent["id"].as_str().unwrap().to_string();
    let (status, body) = b
        .post(&format!("/api/v1/partners/{id}/accept"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

async fn remove_partner(by: &Client, id: &str) {
    let (status, body) = by.delete(&format!("/api/v1/partners/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
}

/// Adds a user without a password (no hashing); its id.
async fn add_user(admin: &Client, email: &str, name: &str) -> String {
    let (status, body) = admin
        .post(
            "/api/v1/users",
            json!({"email": email, "name": name, "profile": "manager"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_string()
}

/// Adds a guest by hand (201 expected); its contact as returned.
async fn add_guest(client: &Client, guest: Value) -> Value {
    let (status, body) = client.post("/api/v1/contacts", guest).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn patch_user(admin: &Client, id: &str, change: Value) {
    let (status, body) = admin.patch(&format!("/api/v1/users/{id}"), change).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Every contact of the caller matching `query` (e.g. `q=ann&kind=member`), page by page.
async fn all_contacts(client: &Client, query: &str) -> Vec<Value> {
    let mut found = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, body) = client
            .get(&format!("/api/v1/contacts?limit=3&{query}&cursor={cursor}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        found.extend(body["contacts"].as_array().unwrap().iter().cloned());
        match body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => return found,
        }
    }
}

fn by_email<'a>(contacts: &'a [Value], email: &str) -> Option<&'a Value> {
    contacts.iter().find(|c| c["email"] == email)
}

fn emails(contacts: &[Value]) -> Vec<String> {
    contacts
        .iter()
        .map(|c| c["email"].as_str().unwrap().to_string())
        .collect()
}

async fn assert_check_clean(app: &TestApp) {
    let summary = coproof_store::contacts::check::check(&app.state().store)
        .await
        .expect("check runs");
    assert!(
        summary.differences.is_empty(),
        "differences: {:#?}",
        summary.differences
    );
}

/// "While S and R are partners, every user of R appears on S's Contacts page as a member
/// (with R's name beside it), and every user of S on R's."
async fn on_acceptance_each_sides_users_appear_on_the_others_page(backend: Backend) {
    let app = TestApp::start(backend).await;
    let s = app.signup("Sender Co", "s@sender.example").await;
    let r = app.signup("Recipient Co", "r@recipient.example").await;
    add_user(&s, "s2@sender.example", "Sam Two").await;
    add_user(&r, "r2@recipient.example", "Rita Two").await;
    assert!(by_email(&all_contacts(&s, "").await, "r2@recipient.example").is_none());
    partner(&s, &r).await;

    let on_s = all_contacts(&s, "").await;
    for email in ["r@recipient.example", "r2@recipient.example"] {
        let c = by_email(&on_s, email).expect("member on the sender's page");
        assert_eq!(c["kind"], "member");
        assert_eq!(c["partnership"], "active");
        assert_eq!(c["account"]["name"], "Recipient Co");
        assert_eq!(c["account"]["id"], r.account_id().as_str());
        assert_eq!(c["company"], "Recipient Co");
        assert_eq!(c["user_id"], c["id"]);
    }
    let on_r = all_contacts(&r, "").await;
    for email in ["s@sender.example", "s2@sender.example"] {
        let c = by_email(&on_r, email).expect("member on the recipient's page");
        assert_eq!(c["kind"], "member");
        assert_eq!(c["account"]["name"], "Sender Co");
    }
    assert_eq!(on_s.len(), 4);
    assert_eq!(on_r.len(), 4);
    assert_check_clean(&app).await;
}

/// Own users are contacts of kind `user`, with the account beside them.
async fn an_accounts_own_users_are_its_contacts(backend: Backend) {
    let app = TestApp::start(backend).await;
    let a = app.signup("Alpha", "ann@alpha.example").await;
    let bob = add_user(&a, "bob@alpha.example", "Bob").await;
    let mine = all_contacts(&a, "").await;
    assert_eq!(emails(&mine), ["ann@alpha.example", "bob@alpha.example"]);
    let b = by_email(&mine, "bob@alpha.example").unwrap();
    assert_eq!(b["kind"], "user");
    assert_eq!(b["user_id"], bob.as_str());
    assert_eq!(b["partnership"], Value::Null);
    assert_eq!(b["account"]["id"], a.account_id().as_str());
    assert_eq!(b["active"], true);
}

/// "This includes users added later: when the partner adds a new user to its account,
/// that user automatically appears on your Contacts page as a member, and the reverse."
async fn users_added_later_appear_as_members_both_ways(backend: Backend) {
    let app = TestApp::start(backend).await;
    let s = app.signup("Sender Co", "s@sender.example").await;
    let r = app.signup("Recipient Co", "r@recipient.example").await;
    partner(&s, &r).await;
    add_user(&r, "late-r@recipient.example", "Late R").await;
    add_user(&s, "late-s@sender.example", "Late S").await;
    let on_s = all_contacts(&s, "").await;
    let c = by_email(&on_s, "late-r@recipient.example").expect("appears on the sender's page");
    assert_eq!(
        (c["kind"].clone(), c["partnership"].clone()),
        (json!("member"), json!("active"))
    );
    let on_r = all_contacts(&r, "").await;
    assert!(by_email(&on_r, "late-s@sender.example").is_some());
    assert_check_clean(&app).await;
}

/// "A user's name and active/inactive state follow while the partnership lasts."
async fn a_users_name_and_active_state_follow_while_partners(backend: Backend) {
    let app = TestApp::start(backend).await;
    let s = app.signup("Sender Co", "s@sender.example").await;
    let r = app.signup("Recipient Co", "r@recipient.example").await;
    let rita = add_user(&r, "rita@recipient.example", "Rita").await;
    partner(&s, &r).await;
    patch_user(&r, &rita, json!({"name": "Rita Renamed", "active": false})).await;
    let c = by_email(&all_contacts(&s, "").await, "rita@recipient.example")
        .unwrap()
        .clone();
    assert_eq!(c["name"], "Rita Renamed");
    assert_eq!(c["active"], false);
    let own = by_email(&all_contacts(&r, "").await, "rita@recipient.example")
        .unwrap()
        .clone();
    assert_eq!(
        (own["name"].clone(), own["active"].clone()),
        (json!("Rita Renamed"), json!(false))
    );
    patch_user(&r, &rita, json!({"active": true})).await;
    let c = by_email(&all_contacts(&s, "").await, "rita@recipient.example")
        .unwrap()
        .clone();
    assert_eq!(c["active"], true);
    assert_check_clean(&app).await;
}

/// "When the partnership ends (either side deletes it), the users already synced stay on
/// both Contacts pages", marked ended.
async fn when_the_partnership_ends_synced_contacts_stay_marked_ended(backend: Backend) {
    let app = TestApp::start(backend).await;
    let s = app.signup("Sender Co", "s@sender.example").await;
    let r = app.signup("Recipient Co", "r@recipient.example").await;
    let t = app.signup("Third Co", "t@third.example").await;
    // Ended by the sender...
    let id = partner(&s, &r).await;
    remove_partner(&s, &id).await;
    // ... and by the recipient.
    let id = partner(&s, &t).await;
    remove_partner(&t, &id).await;
    let on_s = all_contacts(&s, "").await;
    for email in ["r@recipient.example", "t@third.example"] {
        let c = by_email(&on_s, email).expect("stays on the sender's page");
        assert_eq!(c["kind"], "member");
        assert_eq!(c["partnership"], "ended");
    }
    for (other, name) in [(&r, "r"), (&t, "t")] {
        let c = by_email(&all_contacts(other, "").await, "s@sender.example")
            .unwrap_or_else(|| panic!("stays on {name}'s page"))
            .clone();
        assert_eq!(c["partnership"], "ended");
    }
    assert_check_clean(&app).await;
}

/// "... but nothing more is synced: users added afterwards do not appear, and later
/// changes do not follow."
async fn after_the_end_new_users_do_not_appear_and_changes_do_not_follow(backend: Backend) {
    let app = TestApp::start(backend).await;
    let s = app.signup("Sender Co", "s@sender.example").await;
    let r = app.signup("Recipient Co", "r@recipient.example").await;
    let rita = add_user(&r, "rita@recipient.example", "Rita").await;
    let id = partner(&s, &r).await;
    remove_partner(&r, &id).await;
    add_user(&r, "after@recipient.example", "After").await;
    add_user(&s, "after@sender.example", "After S").await;
    patch_user(&r, &rita, json!({"name": "Rita Renamed", "active": false})).await;
    let on_s = all_contacts(&s, "").await;
    assert!(by_email(&on_s, "after@recipient.example").is_none());
    let c = by_email(&on_s, "rita@recipient.example").unwrap();
    assert_eq!(
        (c["name"].clone(), c["active"].clone()),
        (json!("Rita"), json!(true))
    );
    assert!(by_email(&all_contacts(&r, "").await, "after@sender.example").is_none());
    // Her own account's page does follow.
    let own = by_email(&all_contacts(&r, "").await, "rita@recipient.example")
        .unwrap()
        .clone();
    assert_eq!(own["name"], "Rita Renamed");
    assert_check_clean(&app).await;
}

/// "A new partnership between the same two accounts starts syncing again, all users
/// included."
async fn a_new_partnership_syncs_again_everyone_included(backend: Backend) {
    let app = TestApp::start(backend).await;
    let s = app.signup("Sender Co", "s@sender.example").await;
    let r = app.signup("Recipient Co", "r@recipient.example").await;
    let rita = add_user(&r, "rita@recipient.example", "Rita").await;
    let id = partner(&s, &r).await;
    remove_partner(&s, &id).await;
    add_user(&r, "gap@recipient.example", "Gap").await;
    patch_user(&r, &rita, json!({"name": "Rita Renamed"})).await;
    // An ended member deleted by hand comes back too.
    let (status, _) = s.delete(&format!("/api/v1/contacts/{rita}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(by_email(&all_contacts(&s, "").await, "rita@recipient.example").is_none());
    // This time the recipient sends.
    partner(&r, &s).await;
    let on_s = all_contacts(&s, "").await;
    for email in [
        "r@recipient.example",
        "rita@recipient.example",
        "gap@recipient.example",
    ] {
        let c = by_email(&on_s, email).unwrap_or_else(|| panic!("{email} synced again"));
        assert_eq!(c["partnership"], "active");
    }
    assert_eq!(
        by_email(&on_s, "rita@recipient.example").unwrap()["name"],
        "Rita Renamed"
    );
    assert_eq!(on_s.iter().filter(|c| c["kind"] == "member").count(), 3);
    assert_check_clean(&app).await;
}

/// Pages are ordered by name then e-mail and follow the opaque cursor; bad cursors and
/// limits are 400.
async fn pages_follow_name_then_email_with_an_opaque_cursor(backend: Backend) {
    let app = TestApp::start(backend).await;
    let a = app.signup("Alpha", "zed@alpha.example").await;
    for (email, name) in [
        ("b2@alpha.example", "bea"),
        ("b1@alpha.example", "Bea"),
        ("c@alpha.example", "carl"),
        ("a@alpha.example", "Amy"),
        ("k@alpha.example", "김민지"),
        ("d@alpha.example", "Dan"),
    ] {
        add_user(&a, email, name).await;
    }
    let all = all_contacts(&a, "").await;
    assert_eq!(
        emails(&all),
        [
            "zed@alpha.example", // "Admin of Alpha"
            "a@alpha.example",
            "b1@alpha.example",
            "b2@alpha.example",
            "c@alpha.example",
            "d@alpha.example",
            "k@alpha.example",
        ]
    );
    let (status, body) = a.get("/api/v1/contacts?limit=7").await;
    assert_eq!(status, StatusCode::OK);
    let cursor = body["next_cursor"].as_str().unwrap().to_string();
    let (status, body) = a.get(&format!("/api/v1/contacts?cursor={cursor}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["contacts"], json!([]));
    assert_eq!(body["next_cursor"], Value::Null);
    for bad in [
        "cursor=garbage!",
        "cursor=eyJ4IjoxfQ",
        "limit=0",
        "limit=x",
        "kind=friend",
        "view=tree",
    ] {
        let (status, body) = a.get(&format!("/api/v1/contacts?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(code(&body), "invalid_input");
    }
}

/// `q` matches name, e-mail or company, case-insensitively, Korean too; `kind` filters;
/// the company view groups by account or company.
async fn search_kind_and_company_view(backend: Backend) {
    let app = TestApp::start(backend).await;
    let a = app.signup("Alpha", "ann@alpha.example").await;
    let p = app.signup("Partner Inc", "pat@partner.example").await;
    add_user(&p, "minji@partner.example", "김민지").await;
    partner(&a, &p).await;
    add_guest(
        &a,
        json!({"email": "gus@guest.example", "name": "Gus GUEST", "company": "Acme 100%"}),
    )
    .await;
    assert_eq!(
        emails(&all_contacts(&a, "q=GUS").await),
        ["gus@guest.example"]
    );
    assert_eq!(
        emails(&all_contacts(&a, "q=acme%20100%25").await),
        ["gus@guest.example"]
    );
    assert_eq!(
        emails(&all_contacts(&a, "q=100_").await),
        Vec::<String>::new()
    );
    assert_eq!(
        emails(&all_contacts(&a, "q=%EB%AF%BC%EC%A7%80").await), // 민지
        ["minji@partner.example"]
    );
    assert_eq!(all_contacts(&a, "q=PARTNER%20inc").await.len(), 2);
    assert_eq!(
        emails(&all_contacts(&a, "q=PARTNER.EXAMPLE&kind=member").await).len(),
        2
    );
    assert_eq!(
        emails(&all_contacts(&a, "kind=user").await),
        ["ann@alpha.example"]
    );
    assert_eq!(
        emails(&all_contacts(&a, "kind=guest").await),
        ["gus@guest.example"]
    );

    let (status, body) = a.get("/api/v1/contacts?view=company").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["companies"],
        json!([
            {"name": "Acme 100%", "account": null, "count": 1},
            {"name": "Alpha", "account": {"id": a.account_id(), "name": "Alpha"}, "count": 1},
            {"name": "Partner Inc", "account": {"id": p.account_id(), "name": "Partner Inc"},
             "count": 2},
        ])
    );
    let (_, first) = a.get("/api/v1/contacts?view=company&limit=2").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, rest) = a
        .get(&format!(
            "/api/v1/contacts?view=company&limit=2&cursor={cursor}"
        ))
        .await;
    assert_eq!(rest["companies"][0]["name"], "Partner Inc");
    assert_eq!(rest["next_cursor"], Value::Null);
}

/// A search finds exactly the contacts whose name, e-mail or company holds the text,
/// wherever it sits (at the start of the name, further in, in a frozen name, one or two
/// letters, characters that mean something to SQL), page after page; on SQLite the
/// search index and the scan must agree with the list read whole.
async fn search_finds_every_contact_holding_the_text_and_no_other(backend: Backend) {
    let app = TestApp::start(backend).await;
    let a = app.signup("Alpha", "ann@alpha.example").await;
    let p = app.signup("Partner Inc", "pat@partner.example").await;
    let ended = app.signup("Gone Partner", "gil@gone.example").await;
    for (email, name) in [
        ("hugo.a@partner.example", "Hugo Adams"),
        ("hugo.b@partner.example", "Hugo Baker"),
        ("vic@partner.example", "Victor Hugo"),
        ("minji@partner.example", "김민지"),
        ("minjun@partner.example", "민준 박"),
        ("q@partner.example", "Quote \"Q\" 100%_|x"),
    ] {
        add_user(&p, email, name).await;
    }
    add_user(&a, "hugh@alpha.example", "Hugh Grant").await;
    let renamed = add_user(&p, "old@partner.example", "Oldname Person").await;
    let frozen = add_user(&ended, "fro@gone.example", "Frozen Hugo").await;
    partner(&a, &p).await;
    let gone = partner(&a, &ended).await;
    remove_partner(&a, &gone).await;
    // Renamed after the partnership ended: A keeps the old name, and must find it by it.
    patch_user(&ended, &frozen, json!({"name": "Thawed"})).await;
    patch_user(&p, &renamed, json!({"name": "Newname Person"})).await;
    add_guest(
        &a,
        json!({"email": "gus@guest.example", "name": "Gus", "company": "민지 & Hugo Ltd"}),
    )
    .await;

    let everyone = all_contacts(&a, "").await;
    let text = |c: &Value| {
        coproof_core::contact::search_text(
            c["name"].as_str().unwrap(),
            c["email"].as_str().unwrap(),
            c["company"].as_str(),
        )
    };
    for q in [
        "hugo",
        "HUGO",
        "ugo",
        "hu",
        "h",
        "민지",
        "민",
        "지",
        "minj",
        "partner.example",
        "@alpha",
        "inc",
        "\"q\"",
        "100%_",
        "%",
        "_",
        "|x",
        "oldname",
        "newname",
        "frozen",
        "thawed",
        "a@",
        "o a",
        "ltd",
        "nobody-has-this",
    ] {
        let expected: Vec<String> = emails(
            &everyone
                .iter()
                .filter(|c| text(c).contains(&q.to_lowercase()))
                .cloned()
                .collect::<Vec<_>>(),
        );
        let encoded: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
        let found = emails(&all_contacts(&a, &format!("q={encoded}")).await);
        assert_eq!(found, expected, "q={q}");
    }
    assert!(!emails(&all_contacts(&a, "q=frozen").await).is_empty());
    assert!(emails(&all_contacts(&a, "q=oldname").await).is_empty());
    assert_check_clean(&app).await;
}

/// Visitors get 403; manager and up add guests; supervisor and up delete.
async fn profiles_decide_who_sees_adds_and_deletes_contacts(backend: Backend) {
    let app = TestApp::start(backend).await;
    let admin = app.signup("Alpha", "ann@alpha.example").await;
    let visitor = app.add_user(&admin, "v@alpha.example", "visitor").await;
    let observer = app.add_user(&admin, "o@alpha.example", "observer").await;
    let manager = app.add_user(&admin, "m@alpha.example", "manager").await;
    let supervisor = app.add_user(&admin, "s@alpha.example", "supervisor").await;
    for path in ["/api/v1/contacts", "/api/v1/contacts/export"] {
        let (status, body) = visitor.get(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(code(&body), "forbidden");
    }
    assert_eq!(observer.get("/api/v1/contacts").await.0, StatusCode::OK);
    let guest = json!({"email": "g@guest.example", "name": "Guest"});
    assert_eq!(
        observer.post("/api/v1/contacts", guest.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, created) = manager.post("/api/v1/contacts", guest).await;
    assert_eq!(status, StatusCode::CREATED);
    let path = format!("/api/v1/contacts/{}", created["id"].as_str().unwrap());
    assert_eq!(manager.delete(&path).await.0, StatusCode::FORBIDDEN);
    assert_eq!(supervisor.delete(&path).await.0, StatusCode::NO_CONTENT);
    let (status, _) = observer
        .raw(
            Method::POST,
            "/api/v1/contacts/import",
            b"Email,Name\n".to_vec(),
            Some("text/csv"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// Guests are added (201, `contact_exists` for a known address, 400 for bad input) and
/// deleted; own users and members of active partners are `synced_contact`; members of an
/// ended partnership may go; someone else's id is 404.
async fn guests_come_and_go_synced_contacts_stay(backend: Backend) {
    let app = TestApp::start(backend).await;
    let a = app.signup("Alpha", "ann@alpha.example").await;
    let p = app.signup("Partner Inc", "pat@partner.example").await;
    let g = add_guest(
        &a,
        json!({"email": " Gus@Guest.Example ", "name": " Gus ", "company": "Acme",
               "telephone": "+82 2 123", "mobile": "010"}),
    )
    .await;
    assert_eq!(
        (
            g["kind"].clone(),
            g["email"].clone(),
            g["name"].clone(),
            g["user_id"].clone(),
            g["account"].clone(),
            g["partnership"].clone(),
            g["telephone"].clone()
        ),
        (
            json!("guest"),
            json!("gus@guest.example"),
            json!("Gus"),
            Value::Null,
            Value::Null,
            Value::Null,
            json!("+82 2 123")
        )
    );
    for (body, expected) in [
        (
            json!({"email": "gus@guest.example", "name": "Again"}),
            "contact_exists",
        ),
        (
            json!({"email": "ann@alpha.example", "name": "Own user"}),
            "contact_exists",
        ),
        (
            json!({"email": "not-an-address", "name": "X"}),
            "invalid_email",
        ),
        (
            json!({"email": "x@guest.example", "name": "  "}),
            "invalid_input",
        ),
        (json!({"email": "x@guest.example"}), "invalid_input"),
    ] {
        let (status, answer) = a.post("/api/v1/contacts", body.clone()).await;
        assert_eq!(code(&answer), expected, "{body}");
        assert!(status == StatusCode::CONFLICT || status == StatusCode::BAD_REQUEST);
    }
    // Someone else's contact is not found, and so is nonsense.
    for path in [
        format!("/api/v1/contacts/{}", g["id"].as_str().unwrap()),
        "/api/v1/contacts/..%2F".to_string(),
    ] {
        let (status, body) = p.delete(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
    let rel = partner(&a, &p).await;
    let own = a.user_id();
    let member = p.user_id();
    for id in [&own, &member] {
        let (status, body) = a.delete(&format!("/api/v1/contacts/{id}")).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(code(&body), "synced_contact");
    }
    remove_partner(&a, &rel).await;
    assert_eq!(
        a.delete(&format!("/api/v1/contacts/{member}")).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        a.delete(&format!("/api/v1/contacts/{member}")).await.0,
        StatusCode::NOT_FOUND
    );
    let gid = g["id"].as_str().unwrap();
    assert_eq!(
        a.delete(&format!("/api/v1/contacts/{gid}")).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(emails(&all_contacts(&a, "").await), ["ann@alpha.example"]);
    // A deleted guest may be added again.
    add_guest(&a, json!({"email": "gus@guest.example", "name": "Gus"})).await;
    assert_check_clean(&app).await;
}

async fn import(client: &Client, bytes: &[u8]) -> (StatusCode, Value) {
    client
        .raw(
            Method::POST,
            "/api/v1/contacts/import",
            bytes.to_vec(),
            Some("text/csv"),
        )
        .await
}

/// Import reads UTF-8 with a BOM, CRLF line ends, quoted fields (commas, quotes, line
/// breaks inside), Korean, and First Name + Last Name; also as a multipart `file`.
async fn csv_import_reads_odd_encodings(backend: Backend) {
    let app = TestApp::start(backend).await;
    let a = app.signup("Alpha", "ann@alpha.example").await;
    let mut file = b"\xEF\xBB\xBF".to_vec();
    file.extend_from_slice(
        "EMAIL,First Name,Last Name,company,TELEPHONE,Mobile,Ignored\r\n\
         kim@kr.example,민지,김,\"주식회사 \"\"한빛\"\", 서울\",02-123,010-1,x\r\n\
         lee@kr.example,Lee,Ng,,,,\"a note\r\non two lines\"\r\n\
         \r\n\
         bad@kr.example,,,,,,\r\n"
            .as_bytes(),
    );
    let (status, report) = import(&a, &file).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        report,
        json!({"imported": 2, "refused": [
            {"row": 6, "email": "bad@kr.example", "reason": "invalid_input"}]})
    );
    let guests = all_contacts(&a, "kind=guest").await;
    let kim = by_email(&guests, "kim@kr.example").unwrap();
    assert_eq!(kim["name"], "민지 김");
    assert_eq!(kim["company"], "주식회사 \"한빛\", 서울");
    assert_eq!(kim["telephone"], "02-123");
    assert_eq!(kim["mobile"], "010-1");
    assert_eq!(
        by_email(&guests, "lee@kr.example").unwrap()["name"],
        "Lee Ng"
    );

    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"Name,Email\nPark,park@kr.example\n".to_vec())
            .file_name("contacts.csv"),
    );
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/contacts/import", app.base))
        .bearer_auth(a.token.as_deref().unwrap())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["imported"], 1);
}

/// Missing columns and non-UTF-8 files are 400 and import nothing; bad, duplicate and
/// existing rows are refused with their line and reason while the others are imported.
async fn csv_import_refuses_missing_columns_and_reports_bad_rows(backend: Backend) {
    let app = TestApp::start(backend).await;
    let a = app.signup("Alpha", "ann@alpha.example").await;
    for bad in [
        &b"Name,Company\nAnn,X\n"[..],
        b"Email,First Name\na@x.example,Ann\n",
        b"Email,Name\n\xC3\x28bad@x.example,Bad\n",
        b"",
    ] {
        let (status, body) = import(&a, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(code(&body), "invalid_input");
    }
    assert_eq!(all_contacts(&a, "kind=guest").await.len(), 0);
    let (_, _) = a
        .post(
            "/api/v1/contacts",
            json!({"email": "old@x.example", "name": "Old"}),
        )
        .await;
    let (status, report) = import(
        &a,
        b"Email,Name\n\
          new1@x.example,New One\n\
          not-an-address,Broken\n\
          NEW1@x.example,Twice\n\
          old@x.example,Old Again\n\
          ann@alpha.example,Own User\n\
          noname@x.example,\n\
          new2@x.example,New Two\n",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        report,
        json!({"imported": 2, "refused": [
            {"row": 3, "email": "not-an-address", "reason": "invalid_email"},
            {"row": 4, "email": "NEW1@x.example", "reason": "duplicate"},
            {"row": 5, "email": "old@x.example", "reason": "contact_exists"},
            {"row": 6, "email": "ann@alpha.example", "reason": "contact_exists"},
            {"row": 7, "email": "noname@x.example", "reason": "invalid_input"},
        ]})
    );
    assert_eq!(
        emails(&all_contacts(&a, "kind=guest").await),
        ["new1@x.example", "new2@x.example", "old@x.example"]
    );
}

/// Export writes the current filter as CSV; cells that look like formulas are prefixed
/// with `'` and the file reads back.
async fn csv_export_writes_the_filter_and_defuses_formulas(backend: Backend) {
    let app = TestApp::start(backend).await;
    let a = app.signup("Alpha", "ann@alpha.example").await;
    for (email, name, company) in [
        (
            "evil@x.example",
            "=HYPERLINK(\"http://x\")",
            "+cmd|' /C calc'!A0",
        ),
        ("at@x.example", "@SUM(1)", "-1"),
        ("kim@x.example", "김민지", "한빛, \"주\""),
    ] {
        add_guest(
            &a,
            json!({"email": email, "name": name, "company": company}),
        )
        .await;
    }
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/contacts/export?kind=guest", app.base))
        .bearer_auth(a.token.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    assert_eq!(rows.len(), 3, "{text}");
    assert_eq!(
        rows[0][..3],
        [
            "evil@x.example",
            "'=HYPERLINK(\"http://x\")",
            "'+cmd|' /C calc'!A0"
        ]
    );
    assert_eq!(rows[1][..3], ["at@x.example", "'@SUM(1)", "'-1"]);
    assert_eq!(rows[2][..3], ["kim@x.example", "김민지", "한빛, \"주\""]);
    for row in &rows {
        assert!(
            !row.iter()
                .any(|cell| cell.starts_with(['=', '+', '-', '@'])),
            "{row:?}"
        );
    }
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/contacts/export?q=%EB%AF%BC", app.base))
        .bearer_auth(a.token.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
}

/// The check finds a contact that went missing or appeared from nowhere (it can fail).
async fn the_check_reports_lost_and_phantom_contacts(backend: Backend) {
    let app = TestApp::start(backend).await;
    let a = app.signup("Alpha", "ann@alpha.example").await;
    let p = app.signup("Partner Inc", "pat@partner.example").await;
    let q = app.signup("Never Partner", "nev@never.example").await;
    partner(&a, &p).await;
    assert_check_clean(&app).await;
    let store = &app.state().store;
    sqlx::query("DELETE FROM contacts WHERE owner_account_id = $1 AND id = $2")
        .bind(a.account_id())
        .bind(p.user_id())
        .execute(&mut *store.read().await.unwrap())
        .await
        .unwrap();
    // A copy of the user's own row, as a fan-out writes members (its search text is the
    // user's, already in the search index).
    sqlx::query(
        "INSERT INTO contacts (owner_account_id, id, kind, account_id, name, email, company, \
         partnership, active, hidden, name_key, search, created_at, updated_at) \
         SELECT $1, id, 'member', account_id, name, email, company, 'active', active, 0, \
         name_key, search, 0, 0 FROM contacts WHERE owner_account_id = $2 AND id = $3",
    )
    .bind(a.account_id())
    .bind(q.account_id())
    .bind(q.user_id())
    .execute(&mut *store.read().await.unwrap())
    .await
    .unwrap();
    let summary = coproof_store::contacts::check::check(store).await.unwrap();
    let problems: Vec<String> = summary.differences.iter().map(|d| d.to_string()).collect();
    assert_eq!(summary.differences.len(), 2, "{problems:#?}");
    assert!(problems
        .iter()
        .any(|p| p.contains("missing member pat@partner.example")));
    assert!(problems.iter().any(|p| p.contains("must not be there")));
}

/// On SQLite the check also finds a contact whose search text the search index lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_reports_a_contact_missing_from_the_search_index() {
    let app = TestApp::start(Backend::Sqlite).await;
    let a = app.signup("Alpha", "ann@alpha.example").await;
    assert_check_clean(&app).await;
    let store = &app.state().store;
    sqlx::query("DELETE FROM contact_search_texts WHERE id = $1")
        .bind(a.user_id())
        .execute(&mut *store.read().await.unwrap())
        .await
        .unwrap();
    let summary = coproof_store::contacts::check::check(store).await.unwrap();
    let problems: Vec<String> = summary.differences.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        problems,
        [format!(
            "account {} contact {}: not in the search index",
            a.account_id(),
            a.user_id()
        )]
    );
}

/// Users added and renamed while partnerships end and start again, all at once: no
/// contact lost, none appears from nowhere, and ended ones stay frozen.
async fn concurrent_changes_leave_no_lost_or_phantom_contact(backend: Backend) {
    hammer(TestApp::start(backend).await).await;
}

/// The same, with every new user's member rows written after the change by the fan-out
/// worker (as for an agency with many partners).
async fn concurrent_changes_with_member_rows_written_after_the_change(backend: Backend) {
    hammer(TestApp::start_with(backend, |c| c.contacts_sync_limit = 0).await).await;
}

async fn hammer(app: TestApp) {
    let hub = app.signup("Hub", "admin@hub.example").await;
    let mut spokes = Vec::new();
    for i in 0..4 {
        spokes.push(
            app.signup(&format!("Spoke {i}"), &format!("admin@s{i}.example"))
                .await,
        );
    }
    let mut rels = Vec::new();
    for s in &spokes {
        rels.push(partner(&hub, s).await);
    }
    let mut renamable = Vec::new();
    for i in 0..4 {
        renamable.push(add_user(&hub, &format!("r{i}@hub.example"), &format!("R {i}")).await);
    }
    let mut tasks = Vec::new();
    // Additions on both sides.
    for round in 0..6 {
        for (i, s) in spokes.iter().enumerate() {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                add_user(
                    &s,
                    &format!("u{round}@s{i}.example"),
                    &format!("U{round} S{i}"),
                )
                .await;
            }));
        }
        let hub2 = hub.clone();
        tasks.push(tokio::spawn(async move {
            add_user(
                &hub2,
                &format!("h{round}@hub.example"),
                &format!("H {round}"),
            )
            .await;
        }));
    }
    // Renames and (de)activation.
    for round in 0..6 {
        for id in &renamable {
            let (hub, id) = (hub.clone(), id.clone());
            tasks.push(tokio::spawn(async move {
                patch_user(
                    &hub,
                    &id,
                    json!({"name": format!("R round {round}"),
                                              "active": round % 2 == 0}),
                )
                .await;
            }));
        }
    }
    // Partnerships end and (for half of them) start again.
    for (i, (s, rel)) in spokes.iter().zip(rels).enumerate() {
        let (hub, s) = (hub.clone(), s.clone());
        tasks.push(tokio::spawn(async move {
            remove_partner(if i % 2 == 0 { &hub } else { &s }, &rel).await;
            if i < 2 {
                partner(&s, &hub).await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("task finished");
    }
    // As `coproof check contacts` does: member rows still queued are written first.
    coproof_store::contacts::fanout::finish_all(&app.state().store)
        .await
        .expect("queued member rows written");
    assert_check_clean(&app).await;
    // And the pages say what the check says.
    let on_hub = all_contacts(&hub, "kind=member").await;
    let users_per_spoke = 7;
    for (i, _) in spokes.iter().enumerate() {
        let n = on_hub
            .iter()
            .filter(|c| {
                c["email"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("@s{i}.example"))
            })
            .count();
        if i < 2 {
            assert_eq!(n, users_per_spoke, "spoke {i} partners again: everyone");
        } else {
            assert!(n <= users_per_spoke);
        }
    }
}

on_both_backends!(
    on_acceptance_each_sides_users_appear_on_the_others_page,
    an_accounts_own_users_are_its_contacts,
    users_added_later_appear_as_members_both_ways,
    a_users_name_and_active_state_follow_while_partners,
    when_the_partnership_ends_synced_contacts_stay_marked_ended,
    after_the_end_new_users_do_not_appear_and_changes_do_not_follow,
    a_new_partnership_syncs_again_everyone_included,
    pages_follow_name_then_email_with_an_opaque_cursor,
    search_kind_and_company_view,
    search_finds_every_contact_holding_the_text_and_no_other,
    profiles_decide_who_sees_adds_and_deletes_contacts,
    guests_come_and_go_synced_contacts_stay,
    csv_import_reads_odd_encodings,
    csv_import_refuses_missing_columns_and_reports_bad_rows,
    csv_export_writes_the_filter_and_defuses_formulas,
    the_check_reports_lost_and_phantom_contacts,
    concurrent_changes_leave_no_lost_or_phantom_contact,
    concurrent_changes_with_member_rows_written_after_the_change,
    a_user_of_an_account_with_many_partners_reaches_every_partner_soon,
    a_partnership_ending_first_writes_the_member_rows_still_owed,
    member_rows_queued_when_the_server_stopped_are_written_at_start,
    users_queued_together_are_written_together,
    a_chunk_covers_at_most_its_share_of_partners,
);

/// Past `--contacts-sync-limit` partners a new user's member rows are written right
/// after the request, by the worker: on every partner's page within moments.
async fn a_user_of_an_account_with_many_partners_reaches_every_partner_soon(backend: Backend) {
    let app = TestApp::start_with(backend, |c| c.contacts_sync_limit = 1).await;
    let hub = app.signup("Hub", "admin@hub.example").await;
    let mut spokes = Vec::new();
    for i in 0..3 {
        let s = app
            .signup(&format!("Spoke {i}"), &format!("admin@s{i}.example"))
            .await;
        partner(&hub, &s).await;
        spokes.push(s);
    }
    add_user(&hub, "new@hub.example", "New Person").await;
    for s in &spokes {
        let c = eventually(format!("on {}'s page", s.email()), secs(20), || async {
            by_email(&all_contacts(s, "q=new%40hub").await, "new@hub.example").cloned()
        })
        .await;
        assert_eq!(c["kind"], "member");
        assert_eq!(c["partnership"], "active");
    }
    let pending = coproof_store::contacts::fanout::pending(&app.state().store)
        .await
        .unwrap();
    assert_eq!(pending, 0, "the job is gone once done");
    assert_check_clean(&app).await;
}

/// Store-level, with no worker running: a user's member rows are still queued when the
/// partnership with one of the partners ends. The end writes them first, so the user
/// stays on that partner's page, marked ended, like everyone synced before the end.
async fn a_partnership_ending_first_writes_the_member_rows_still_owed(backend: Backend) {
    use coproof_core::partner::Action;
    use coproof_store::{contacts::fanout, partners, users};
    let mut app = TestApp::start(backend).await;
    let hub = app.signup("Hub", "admin@hub.example").await;
    let one = app.signup("One", "admin@one.example").await;
    let two = app.signup("Two", "admin@two.example").await;
    let rel_one = partner(&hub, &one).await;
    partner(&hub, &two).await;
    app.stop().await;
    let store = store_queuing_member_rows(&app).await;
    let new = add_manager(&store, &hub, "late@hub.example", "Late").await;
    assert_eq!(
        fanout::pending(&store).await.unwrap(),
        1,
        "queued, not written"
    );
    let admin = users::get_in_account(&store, &hub.account_id(), &hub.user_id())
        .await
        .unwrap();
    partners::act(&store, &admin, &rel_one, Action::Delete)
        .await
        .unwrap();
    assert_eq!(
        fanout::pending(&store).await.unwrap(),
        0,
        "the end wrote them"
    );
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT owner_account_id, partnership FROM contacts WHERE id = $1 AND kind = 'member' \
         ORDER BY owner_account_id",
    )
    .bind(&new.id)
    .fetch_all(&mut *store.read().await.unwrap())
    .await
    .unwrap();
    let mut expected = vec![
        (one.account_id(), "ended".to_string()),
        (two.account_id(), "active".to_string()),
    ];
    expected.sort();
    assert_eq!(rows, expected);
    let summary = coproof_store::contacts::check::check(&store).await.unwrap();
    assert!(summary.differences.is_empty(), "{:?}", summary.differences);
    store.close().await;
}

/// Jobs survive a stop: the worker of the next start writes them.
async fn member_rows_queued_when_the_server_stopped_are_written_at_start(backend: Backend) {
    use coproof_store::contacts::fanout;
    let mut app = TestApp::start(backend).await;
    let hub = app.signup("Hub", "admin@hub.example").await;
    let spoke = app.signup("Spoke", "admin@spoke.example").await;
    partner(&hub, &spoke).await;
    app.stop().await;
    let store = store_queuing_member_rows(&app).await;
    add_manager(&store, &hub, "queued@hub.example", "Queued").await;
    assert_eq!(fanout::pending(&store).await.unwrap(), 1);
    store.close().await;
    app.restart().await;
    let spoke = spoke.via(&app.base);
    eventually("the queued user written at start", secs(20), || async {
        by_email(
            &all_contacts(&spoke, "q=queued").await,
            "queued@hub.example",
        )
        .is_some()
    })
    .await;
    assert_check_clean(&app).await;
}

/// Store-level, with no worker running: users added one after the other to an account
/// past the limit are queued one job each, and one chunk writes them all (they share the
/// pages the chunk changes); nothing is written twice or left out.
async fn users_queued_together_are_written_together(backend: Backend) {
    use coproof_store::contacts::fanout;
    let mut app = TestApp::start(backend).await;
    let hub = app.signup("Hub", "admin@hub.example").await;
    let mut spokes = Vec::new();
    for i in 0..3 {
        let spoke = app
            .signup(&format!("Spoke {i}"), &format!("admin@spoke{i}.example"))
            .await;
        partner(&hub, &spoke).await;
        spokes.push(spoke.account_id());
    }
    app.stop().await;
    let store = store_queuing_member_rows(&app).await;
    let mut added = Vec::new();
    for i in 0..3 {
        let user = add_manager(
            &store,
            &hub,
            &format!("q{i}@hub.example"),
            &format!("Queued {i}"),
        )
        .await;
        added.push(user.id);
    }
    assert_eq!(fanout::pending(&store).await.unwrap(), 3, "one job each");
    assert!(fanout::step(&store).await.unwrap(), "a chunk was written");
    assert_eq!(
        fanout::pending(&store).await.unwrap(),
        0,
        "one chunk wrote all three"
    );
    assert!(!fanout::step(&store).await.unwrap(), "nothing left");
    for id in &added {
        let owners: Vec<String> = sqlx::query_scalar(
            "SELECT owner_account_id FROM contacts WHERE id = $1 AND kind = 'member' \
             ORDER BY owner_account_id",
        )
        .bind(id)
        .fetch_all(&mut *store.read().await.unwrap())
        .await
        .unwrap();
        let mut expected = spokes.clone();
        expected.sort();
        assert_eq!(owners, expected, "on every spoke's page, once");
    }
    let summary = coproof_store::contacts::check::check(&store).await.unwrap();
    assert!(summary.differences.is_empty(), "{:?}", summary.differences);
    store.close().await;
}

/// Store-level, with no worker running: one user's member rows on 100 partners are written
/// 80 partners to a chunk at most (each partner is another page of every index), then the
/// rest.
async fn a_chunk_covers_at_most_its_share_of_partners(backend: Backend) {
    use coproof_store::{contacts::fanout, ids};
    let mut app = TestApp::start(backend).await;
    let hub = app.signup("Hub", "admin@hub.example").await;
    app.stop().await;
    let store = store_queuing_member_rows(&app).await;
    // 100 partner accounts, written straight into the tables (no users of their own).
    let mut tx = store.begin().await.unwrap();
    for i in 0..100 {
        let id = ids::new_id();
        sqlx::query("INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, 0)")
            .bind(&id)
            .bind(format!("Partner {i}"))
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO relationships (id, sender_account_id, sender_user_id, email, \
               recipient_account_id, sender_view, recipient_view, accepted_once, created_at, \
               updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'accepted', 'accepted', 1, 0, 0)",
        )
        .bind(ids::new_id())
        .bind(hub.account_id())
        .bind(hub.user_id())
        .bind(format!("admin@partner{i}.example"))
        .bind(&id)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let user = add_manager(&store, &hub, "new@hub.example", "New").await;
    let rows = || {
        let (store, id) = (store.clone(), user.id.clone());
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM contacts WHERE id = $1 AND kind = 'member'",
            )
            .bind(id)
            .fetch_one(&mut *store.read().await.unwrap())
            .await
            .unwrap()
        }
    };
    assert!(fanout::step(&store).await.unwrap());
    assert_eq!(rows().await, fanout::PARTNERS_PER_CHUNK, "one chunk");
    assert_eq!(
        fanout::pending(&store).await.unwrap(),
        1,
        "the rest still owed"
    );
    fanout::finish_all(&store).await.unwrap();
    assert_eq!(rows().await, 100, "on every partner's page, once");
    assert_eq!(fanout::pending(&store).await.unwrap(), 0);
    store.close().await;
}

/// The stopped `app`'s database, opened at the store level with every new user's member
/// rows queued for the fan-out worker (which does not run here).
async fn store_queuing_member_rows(app: &TestApp) -> coproof_store::Store {
    let mut options = coproof_store::StoreOptions::new(app.config.database_url());
    options.sync_fanout_limit = 0;
    coproof_store::Store::open(&options).await.unwrap()
}

/// A manager added to `hub`'s account by its admin at the store level (invited, no password).
async fn add_manager(
    store: &coproof_store::Store,
    hub: &Client,
    email: &str,
    name: &str,
) -> coproof_store::model::User {
    use coproof_store::users;
    let admin = users::get_in_account(store, &hub.account_id(), &hub.user_id())
        .await
        .unwrap();
    coproof_store::team::add(
        store,
        &admin,
        &coproof_store::model::NewUser {
            email: coproof_core::EmailAddress::parse(email).unwrap(),
            name: name.to_string(),
            profile: coproof_core::Profile::Manager,
            language: coproof_core::Language::En,
            password_hash: None,
            email_verified: false,
        },
    )
    .await
    .unwrap()
}

/// PostgreSQL counts a search's candidates among the searching account's contacts only:
/// 400 texts of another account holding the word do not turn a rare word of this one into
/// a scan (the per-owner index, `contacts_search_owner_tails`), and the earlier indexes over
/// every account's texts are gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_counts_search_candidates_per_account() {
    use coproof_core::contact::Search;
    use coproof_store::contacts::search::{plan_postgres, Plan, MOST_CANDIDATES};
    if crate::support::require_postgres().is_none() {
        return;
    }
    let app = TestApp::start(Backend::Postgres).await;
    let a = app.signup("Alpha", "ann@alpha.example").await;
    let b = app.signup("Beta", "bea@beta.example").await;
    let mut csv = String::from("email,name\n");
    for n in 0..400 {
        csv.push_str(&format!("g{n}@beta.example,Guest{n} Zebrafinch\n"));
    }
    const { assert!(400 > MOST_CANDIDATES) };
    let (status, report) = import(&b, csv.as_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    add_guest(
        &a,
        json!({"email": "al@guest.example", "name": "Al Zebrafinch"}),
    )
    .await;

    let store = &app.state().store;
    let search = Search::parse("zebrafinch").unwrap().unwrap();
    let plan = |account: String| {
        let search = search.clone();
        async move {
            plan_postgres(&mut store.read().await.unwrap(), &account, &search)
                .await
                .unwrap()
        }
    };
    assert!(
        matches!(
            plan(a.account_id()).await,
            Plan::Index {
                inside: Some(_),
                ..
            }
        ),
        "one candidate of Alpha's own"
    );
    assert_eq!(
        plan(b.account_id()).await,
        Plan::Scan,
        "Beta's 400 are many"
    );
    let found = emails(&all_contacts(&a, "q=zebrafinch").await);
    assert_eq!(found, ["al@guest.example"]);
    assert_eq!(all_contacts(&b, "q=zebrafinch").await.len(), 400);

    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes WHERE tablename = 'contacts' \
         AND indexname LIKE 'contacts_search%' ORDER BY 1",
    )
    .fetch_all(&mut *store.read().await.unwrap())
    .await
    .unwrap();
    assert_eq!(indexes, ["contacts_search_owner_tails"]);
}
