//! The web pages over plain HTTP: security headers, CSRF, language choice, sign-in, the
//! set-password link, and every refusal of the Partners tab as a translated message.

use crate::on_both_backends;
use crate::support::{Backend, TestApp};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;

/// A cookie-keeping visitor that follows redirects, like a browser without JavaScript.
struct Browser {
    base: String,
    /// The app's database, for vouching for the addresses of page sign-ups.
    store: coproof_store::Store,
    http: reqwest::Client,
    /// The CSRF token of the last page shown.
    csrf: String,
}

struct Shown {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
    url: String,
}

impl Browser {
    fn new(app: &TestApp, accept_language: &str) -> Browser {
        let mut headers = HeaderMap::new();
        headers.insert(
            "accept-language",
            accept_language.parse().expect("header value"),
        );
        Browser {
            base: app.base.clone(),
            store: app.state().store.clone(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .default_headers(headers)
                .build()
                .expect("client"),
            csrf: String::new(),
        }
    }

    async fn shown(&mut self, response: reqwest::Response) -> Shown {
        let status = response.status();
        let headers = response.headers().clone();
        let url = response.url().to_string();
        let body = response.text().await.expect("body");
        if let Some(token) = body
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
        {
            self.csrf = token.to_string();
        }
        Shown {
            status,
            headers,
            body,
            url,
        }
    }

    async fn get(&mut self, path: &str) -> Shown {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request");
        self.shown(response).await
    }

    /// Posts a form with the CSRF token of the last page.
    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Shown {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        let csrf = self.csrf.clone();
        form.push(("csrf", &csrf));
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .form(&form)
            .send()
            .await
            .expect("request");
        self.shown(response).await
    }

    /// Signs up through the page; the address is then vouched for (as `TestApp::signup`
    /// does), and the home page shown again without the "check your mailbox" banner.
    async fn signup(&mut self, account: &str, name: &str, email: &str, language: &str) -> Shown {
        let shown = self.signup_unverified(account, name, email, language).await;
        if shown.status != StatusCode::OK || !shown.url.ends_with("/?ok=signed_up") {
            return shown;
        }
        let address = coproof_core::EmailAddress::parse(email).expect("an address");
        let user = coproof_store::users::find_by_email(&self.store, &address)
            .await
            .expect("read")
            .expect("the new user");
        coproof_store::identity::vouch(&self.store, &user.id)
            .await
            .expect("vouched");
        self.get("/?ok=signed_up").await
    }

    async fn signup_unverified(
        &mut self,
        account: &str,
        name: &str,
        email: &str,
        language: &str,
    ) -> Shown {
        self.get("/signup").await;
        self.post(
            "/signup",
            &[
                ("account_name", account),
                ("name", name),
                ("email", email),
                ("password", "correct horse"),
                ("language", language),
            ],
        )
        .await
    }
}

/// Words of ASCII letters in the visible text of a page, outside `allowed`.
fn english_words(html: &str, allowed: &[&str]) -> Vec<String> {
    let mut text = String::new();
    let mut in_tag = false;
    for ch in html.split("</head>").nth(1).unwrap_or(html).chars() {
        match ch {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    for a in allowed {
        text = text.replace(a, " ");
    }
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 2)
        .map(str::to_string)
        .collect()
}

async fn pages_have_security_headers_and_forms_need_csrf(backend: Backend) {
    let app = TestApp::start(backend).await;
    let mut b = Browser::new(&app, "en");
    let page = b.get("/login").await;
    assert_eq!(page.status, StatusCode::OK);
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert_eq!(page.headers["referrer-policy"], "same-origin");
    assert!(page.body.contains("<meta name=\"viewport\""));
    assert!(page.body.contains("<label for=\"email\">"));
    // A browser asking for a missing page gets the 404 page; API clients the JSON error.
    let missing = b
        .http
        .get(format!("{}/no-such-page", b.base))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.headers().contains_key("content-security-policy"));
    assert!(missing
        .text()
        .await
        .unwrap()
        .contains("Not found: it does not exist"));
    let (status, body) = app.anonymous().get("/no-such-page").await;
    assert_eq!(
        (status, crate::support::code(&body)),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let css = b.get("/static/app.css").await;
    assert!(css.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));

    // A form without the token, or with another visitor's token, is refused.
    app.signup("Alpha", "ann@alpha.test").await;
    let good = b.csrf.clone();
    b.csrf = String::new();
    let refused = b
        .post(
            "/login",
            &[("email", "ann@alpha.test"), ("password", "correct horse")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("This form has expired"));
    let mut other = Browser::new(&app, "en");
    other.get("/login").await;
    other.csrf = good.clone();
    let refused = other
        .post(
            "/login",
            &[("email", "ann@alpha.test"), ("password", "correct horse")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // With its own token the same form signs in, and the token changes with the session.
    b.csrf = good.clone();
    let home = b
        .post(
            "/login",
            &[("email", "ann@alpha.test"), ("password", "correct horse")],
        )
        .await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.body.contains("Signed in as Admin of Alpha"),
        "{}",
        home.body
    );
    assert_ne!(b.csrf, good);
    // Log-out ends the session.
    b.post("/logout", &[]).await;
    let after = b.get("/settings/account/partners").await;
    assert!(after.url.ends_with("/login"), "{}", after.url);
}

async fn language_comes_from_the_browser_then_the_switch_then_the_user(backend: Backend) {
    let app = TestApp::start(backend).await;
    app.signup("Alpha", "ann@alpha.test").await;
    let mut b = Browser::new(&app, "ko-KR,ko;q=0.9,en;q=0.5");
    let login = b.get("/login").await;
    assert!(login.body.contains("<html lang=\"ko\">"));
    let failed = b
        .post(
            "/login",
            &[("email", "ann@alpha.test"), ("password", "wrong password")],
        )
        .await;
    assert_eq!(failed.status, StatusCode::UNAUTHORIZED);
    assert!(failed
        .body
        .contains("전자 메일 주소 또는 암호가 올바르지 않습니다."));
    assert!(failed.body.contains("value=\"ann@alpha.test\""));
    // ?lang=en switches, and a cookie remembers it.
    assert!(b
        .get("/login?lang=en")
        .await
        .body
        .contains("<html lang=\"en\">"));
    let again = b.get("/login").await;
    assert!(again.body.contains("<html lang=\"en\">"));
    let failed = b
        .post(
            "/login",
            &[("email", "ann@alpha.test"), ("password", "wrong password")],
        )
        .await;
    assert!(failed
        .body
        .contains("The e-mail address or the password is wrong."));
    // Signed in, the user's own language (English at sign-up) wins over the choice made
    // before signing in; ?lang=ko switches this browser only (reading a page never writes).
    b.post(
        "/login",
        &[("email", "ann@alpha.test"), ("password", "correct horse")],
    )
    .await;
    assert!(b.get("/").await.body.contains("<html lang=\"en\">"));
    assert!(b.get("/?lang=ko").await.body.contains("<html lang=\"ko\">"));
    assert!(b.get("/").await.body.contains("<html lang=\"ko\">"));
    let mut fresh = Browser::new(&app, "en");
    fresh.get("/login").await;
    fresh
        .post(
            "/login",
            &[("email", "ann@alpha.test"), ("password", "correct horse")],
        )
        .await;
    let home = fresh.get("/").await;
    assert!(
        home.body.contains("<html lang=\"en\">"),
        "a ?lang= link does not change the user's language"
    );
    // The profile form (a POST) changes it: in this browser and in the next one.
    b.get("/settings/profile").await;
    let saved = b
        .post("/settings/profile", &[("name", "Ann"), ("language", "ko")])
        .await;
    assert!(saved.body.contains("<html lang=\"ko\">"), "{}", saved.body);
    let home = fresh.get("/").await;
    assert!(
        home.body.contains("<html lang=\"ko\">"),
        "language kept on the user"
    );
    // Saving the profile drops this browser's ?lang= choice: the saved language shows.
    b.get("/?lang=en").await;
    b.get("/settings/profile").await;
    b.post("/settings/profile", &[("name", "Ann"), ("language", "ko")])
        .await;
    assert!(b.get("/").await.body.contains("<html lang=\"ko\">"));
}

async fn set_password_link_works_once(backend: Backend) {
    let app = TestApp::start(backend).await;
    let admin = app.signup("Alpha", "ann@alpha.test").await;
    let (status, _) = admin
        .post(
            "/api/v1/users",
            serde_json::json!({"email": "new@alpha.test", "name": "New", "profile": "manager"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(app.mail_delivered(10).await);
    let mail = app
        .mail_files()
        .into_iter()
        .find(|m| m.contains("new@alpha.test"))
        .expect("the invitation e-mail");
    // Quoted-printable bodies wrap long lines with a soft break.
    let mail = mail
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let token: String = mail
        .split("set-password?token=")
        .nth(1)
        .expect("a link")
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64, "{mail}");
    let mut b = Browser::new(&app, "en");
    let form = b.get(&format!("/set-password?token={token}")).await;
    assert_eq!(form.status, StatusCode::OK);
    let mismatch = b
        .post(
            "/set-password",
            &[
                ("token", &token),
                ("password", "long enough 1"),
                ("confirm", "long enough 2"),
            ],
        )
        .await;
    assert!(mismatch
        .body
        .contains("The two passwords are not the same."));
    let done = b
        .post(
            "/set-password",
            &[
                ("token", &token),
                ("password", "long enough 1"),
                ("confirm", "long enough 1"),
            ],
        )
        .await;
    assert!(done.url.contains("/login?ok=password_set"), "{}", done.url);
    assert!(done.body.contains("Your password is set."));
    let reused = b
        .post(
            "/set-password",
            &[
                ("token", &token),
                ("password", "long enough 3"),
                ("confirm", "long enough 3"),
            ],
        )
        .await;
    assert_eq!(reused.status, StatusCode::NOT_FOUND);
    assert!(reused
        .body
        .contains("This link has expired or was already used."));
    let home = b
        .post(
            "/login",
            &[("email", "new@alpha.test"), ("password", "long enough 1")],
        )
        .await;
    assert!(home.body.contains("Signed in as New"));
}

/// Sends from the Partners tab and returns the page shown after the redirect.
async fn send(b: &mut Browser, email: &str) -> Shown {
    b.get("/settings/account/partners").await;
    b.post("/settings/account/partners", &[("email", email)])
        .await
}

async fn every_partner_refusal_is_a_translated_message(backend: Backend) {
    let app = TestApp::start_with(backend, |c| c.invite_limit_per_hour = 6).await;
    let mut a = Browser::new(&app, "en");
    a.signup("Alpha", "Ann", "ann@alpha.test", "en").await;
    let mut b = Browser::new(&app, "ko");
    let home = b.signup("Beta", "Bob", "bob@beta.test", "ko").await;
    assert!(home.body.contains("Bob(으)로 로그인했습니다"));
    let beta = app.login("bob@beta.test", "correct horse").await;
    app.add_user(&beta, "ben@beta.test", "manager").await;
    app.add_user(&beta, "bea@beta.test", "observer").await;

    let cases: &[(&str, &str)] = &[
        ("not an address", "That is not a valid e-mail address."),
        (
            "ann@alpha.test",
            "This address belongs to a user of your own account.",
        ),
    ];
    for (email, message) in cases {
        let page = send(&mut a, email).await;
        assert!(page.body.contains(message), "{email}: {}", page.body);
        assert!(page
            .body
            .contains("<details class=\"send-invitation\" open>"));
    }
    let sent = send(&mut a, "bob@beta.test").await;
    assert!(sent.body.contains("The partner invitation was sent."));
    let page = send(&mut a, "BOB@beta.test ").await;
    assert!(page
        .body
        .contains("A partner request to this address is already pending."));

    // Beta may not send back while Alpha's request waits: accept that one instead.
    b.get("/settings/account/partners").await;
    let page = b
        .post("/settings/account/partners", &[("email", "ann@alpha.test")])
        .await;
    assert!(page
        .body
        .contains("이 조직이 이미 내 계정에 파트너 요청을 보냈습니다."));

    // The sender cannot accept its own request; ids it cannot see are not found.
    let id = rel_id(
        &a.get("/settings/account/partners").await.body,
        "bob@beta.test",
    );
    let page = a
        .post(&format!("/settings/account/partners/{id}/accept"), &[])
        .await;
    assert!(page
        .body
        .contains("This request can no longer be answered that way"));
    let page = a
        .post(
            "/settings/account/partners/0000000000000000000000000/delete",
            &[],
        )
        .await;
    assert!(page.body.contains("Not found"), "{}", page.body);

    // Beta rejects; Alpha is blocked from sending to the same person again.
    let page = b
        .post(&format!("/settings/account/partners/{id}/reject"), &[])
        .await;
    assert!(page.body.contains("파트너 요청을 거부했습니다."));
    assert!(page.body.contains("거부됨"));
    let page = send(&mut a, "bob@beta.test").await;
    assert!(page
        .body
        .contains("A partner request to this address was rejected."));

    // Another user of the same account may be invited; once accepted, no more requests.
    send(&mut a, "ben@beta.test").await;
    let tab = b.get("/settings/account/partners").await;
    let ben = rel_id(&tab.body, "ben@beta.test");
    let page = b
        .post(&format!("/settings/account/partners/{ben}/accept"), &[])
        .await;
    assert!(page.body.contains("수락됨"));
    let page = b
        .post(&format!("/settings/account/partners/{ben}/accept"), &[])
        .await;
    assert!(page
        .body
        .contains("이 요청에는 더 이상 이 작업을 할 수 없습니다."));
    let page = send(&mut a, "bea@beta.test").await;
    assert!(page
        .body
        .contains("Your account is already a partner of this organization."));

    // The hourly limit (6 here) is a message too.
    let mut last = String::new();
    for n in 0..6 {
        last = send(&mut a, &format!("someone{n}@gamma.test")).await.body;
    }
    assert!(
        last.contains("Too many partner requests in the last hour."),
        "{last}"
    );

    // A non-admin sees a clear 403 page, in its language.
    let mut observer = Browser::new(&app, "ko");
    observer.get("/login").await;
    observer
        .post(
            "/login",
            &[("email", "bea@beta.test"), ("password", "correct horse")],
        )
        .await;
    let page = observer.get("/settings/account/partners").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page
        .body
        .contains("Only an Administrator or a Billing Administrator can do it."));
    let page = observer.get("/settings/account/partners?lang=ko").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page
        .body
        .contains("관리자 또는 청구 관리자만 할 수 있습니다."));
    let page = observer.get("/settings/account/users").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    // Beta's Korean pages hold no English words besides names, addresses and dates.
    for path in ["/", "/settings/account/users", "/settings/account/partners"] {
        let page = b.get(path).await;
        let left = english_words(
            &page.body,
            &[
                "Coproof",
                "English",
                "UTC",
                "Alpha",
                "Beta",
                "Ann",
                "Bob",
                "User",
                "alpha.test",
                "beta.test",
                "ann@",
                "bob@",
                "ben@",
                "bea@",
            ],
        );
        assert!(left.is_empty(), "{path}: English left: {left:?}");
    }
}

async fn users_tab_adds_changes_and_deactivates(backend: Backend) {
    let app = TestApp::start(backend).await;
    let mut a = Browser::new(&app, "en");
    let home = a
        .signup("<b>Alpha</b>", "Ann", "ann@alpha.test", "en")
        .await;
    assert!(
        home.body.contains("&#60;b&#62;Alpha&#60;/b&#62;"),
        "names are escaped: {}",
        home.body
    );
    assert!(!home.body.contains("<b>Alpha</b>"));
    a.get("/settings/account/users").await;
    let added = a
        .post(
            "/settings/account/users",
            &[
                ("name", "Bea"),
                ("email", "bea@alpha.test"),
                ("profile", "admin"),
                ("language", "ko"),
                ("password", "correct horse"),
            ],
        )
        .await;
    assert!(added.body.contains("The user was added."));
    let bea = user_id(&added.body, "bea@alpha.test");
    for (email, message) in [
        (
            "bea@alpha.test",
            "A user with this e-mail address already exists.",
        ),
        ("nope", "That is not a valid e-mail address."),
    ] {
        let page = a
            .post(
                "/settings/account/users",
                &[("name", "X"), ("email", email), ("profile", "manager")],
            )
            .await;
        assert!(page.body.contains(message), "{email}");
    }
    let changed = a
        .post(
            &format!("/settings/account/users/{bea}"),
            &[("profile", "manager")],
        )
        .await;
    assert!(changed.body.contains("The user was changed."));
    assert!(changed.body.contains("<option value=\"manager\" selected>"));
    // The only admin cannot deactivate itself.
    let ann = user_id(&changed.body, "ann@alpha.test");
    let refused = a
        .post(
            &format!("/settings/account/users/{ann}"),
            &[("active", "0")],
        )
        .await;
    assert!(refused
        .body
        .contains("The account must keep at least one active administrator."));
    // A deactivated user cannot log in.
    a.post(
        &format!("/settings/account/users/{bea}"),
        &[("active", "0")],
    )
    .await;
    let mut b = Browser::new(&app, "en");
    b.get("/login").await;
    let failed = b
        .post(
            "/login",
            &[("email", "bea@alpha.test"), ("password", "correct horse")],
        )
        .await;
    assert_eq!(failed.status, StatusCode::UNAUTHORIZED);
    let page = a
        .post(
            &format!("/settings/account/users/{bea}"),
            &[("active", "1")],
        )
        .await;
    assert!(page.body.contains("The user was changed."));
    let home = b
        .post(
            "/login",
            &[("email", "bea@alpha.test"), ("password", "correct horse")],
        )
        .await;
    assert!(
        home.body.contains("Bea(으)로 로그인했습니다"),
        "Bea reads Korean"
    );
}

fn user_id(body: &str, email: &str) -> String {
    body.split("<tr id=\"user-")
        .skip(1)
        .find(|row| row.contains(&format!("data-email=\"{email}\"")))
        .and_then(|row| row.split('"').next())
        .unwrap_or_else(|| panic!("no row for {email}"))
        .to_string()
}

/// The id of the Partners-tab row for an invited address.
fn rel_id(body: &str, email: &str) -> String {
    body.split("<tr id=\"rel-")
        .skip(1)
        .find(|row| row.contains(&format!("class=\"email\">{email}<")))
        .and_then(|row| row.split('"').next())
        .unwrap_or_else(|| panic!("no row for {email}"))
        .to_string()
}

/// The id and the HTML of the Contacts row for an address.
fn contact_row(body: &str, email: &str) -> Option<(String, String)> {
    body.split("<tr id=\"contact-")
        .skip(1)
        .find(|row| row.contains(&format!("data-email=\"{email}\"")))
        .map(|row| {
            let row = row.split("</tr>").next().unwrap_or(row);
            let id = row.split('"').next().unwrap_or_default().to_string();
            (id, row.to_string())
        })
}

async fn contacts_page_lists_adds_and_deletes(backend: Backend) {
    let app = TestApp::start(backend).await;
    let mut a = Browser::new(&app, "en");
    a.signup("Alpha", "Ann", "ann@alpha.test", "en").await;
    let mut b = Browser::new(&app, "ko");
    b.signup("Beta", "Bob", "bob@beta.test", "ko").await;
    send(&mut a, "bob@beta.test").await;
    let tab = b.get("/settings/account/partners").await;
    let rel = rel_id(&tab.body, "bob@beta.test");
    b.post(&format!("/settings/account/partners/{rel}/accept"), &[])
        .await;

    // A partner's user is a member of an active partnership, and cannot be deleted.
    let page = a.get("/contacts").await;
    assert_eq!(page.status, StatusCode::OK);
    let (_, row) = contact_row(&page.body, "bob@beta.test").expect("Bob is a contact");
    assert!(row.contains("Partnership active"), "{row}");
    assert!(row.contains("class=\"partner-account\">Beta<"), "{row}");
    assert!(!row.contains("/delete"), "{row}");
    let (_, own) = contact_row(&page.body, "ann@alpha.test").expect("Ann is a contact");
    assert!(own.contains("data-kind=\"user\""));
    // Beta reads it in Korean.
    let page = b.get("/contacts").await;
    let (_, row) = contact_row(&page.body, "ann@alpha.test").expect("Ann at Beta");
    assert!(row.contains("파트너십 유지 중"), "{row}");

    // Once the partnership is deleted, the member shows as ended and may be deleted.
    let tab = a.get("/settings/account/partners").await;
    let rel = rel_id(&tab.body, "bob@beta.test");
    a.post(&format!("/settings/account/partners/{rel}/delete"), &[])
        .await;
    let page = a.get("/contacts").await;
    let (bob, row) = contact_row(&page.body, "bob@beta.test").expect("Bob stays");
    assert!(row.contains("Partnership ended"), "{row}");
    assert!(row.contains("/delete"), "{row}");

    // Add a guest; the same address twice is refused; search and kind filter find it.
    let added = a
        .post(
            "/contacts",
            &[
                ("name", "Gail Guest"),
                ("email", "gail@guest.test"),
                ("company", "Guesthouse"),
            ],
        )
        .await;
    assert!(
        added.body.contains("The guest was added."),
        "{}",
        added.body
    );
    let (gail, row) = contact_row(&added.body, "gail@guest.test").expect("Gail listed");
    assert!(row.contains("Guesthouse") && row.contains("data-kind=\"guest\""));
    let again = a
        .post(
            "/contacts",
            &[("name", "Gail"), ("email", "GAIL@guest.test")],
        )
        .await;
    assert!(again
        .body
        .contains("A contact with this e-mail address already exists."));
    let found = a.get("/contacts?q=guesth&kind=guest").await;
    assert!(contact_row(&found.body, "gail@guest.test").is_some());
    assert!(contact_row(&found.body, "ann@alpha.test").is_none());

    // Import: one new guest, one already there.
    let csv = "Email,Name\nhal@guest.test,Hal\ngail@guest.test,Gail\n";
    let report = a.post("/contacts/import", &[("csv", csv)]).await;
    assert!(
        report.body.contains("class=\"imported-count\">1<"),
        "{}",
        report.body
    );
    assert!(report.body.contains("<tr class=\"refused\"><td>3</td>"));

    // Delete the guest and the former member; a user of the account cannot be deleted.
    let page = a.post(&format!("/contacts/{gail}/delete"), &[]).await;
    assert!(page.body.contains("The contact was deleted."));
    assert!(contact_row(&page.body, "gail@guest.test").is_none());
    let page = a.post(&format!("/contacts/{bob}/delete"), &[]).await;
    assert!(contact_row(&page.body, "bob@beta.test").is_none());
    let (ann, _) = contact_row(&page.body, "ann@alpha.test").expect("Ann");
    let page = a.post(&format!("/contacts/{ann}/delete"), &[]).await;
    assert!(page
        .body
        .contains("Users of your account and members of active partners"));

    // Visitors get the translated 403 page.
    let alpha = app.login("ann@alpha.test", "correct horse").await;
    app.add_user(&alpha, "vic@alpha.test", "visitor").await;
    let mut v = Browser::new(&app, "ko");
    v.get("/login").await;
    v.post(
        "/login",
        &[("email", "vic@alpha.test"), ("password", "correct horse")],
    )
    .await;
    let page = v.get("/contacts").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!page.body.contains("ann@alpha.test"));
    assert!(page.body.contains("lang=\"ko\""), "{}", page.body);
    // The message says who may see the page, not that only administrators may.
    assert!(
        page.body
            .contains("The Contacts page is for every profile but Visitor."),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Only an Administrator"));
}

/// "Remove partner" on an accepted row leads to the confirmation page, which counts what
/// stays and what stops and whose form removes the partner; the shares stay.
async fn remove_partner_confirmation_page(backend: Backend) {
    use crate::support::items::{file, folder, id};
    use crate::support::partners::make_partners;
    use serde_json::json;
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let kim = app.signup("Client", "kim@client.example").await;
    let rel = make_partners(&ann, &kim).await;
    let top = folder(&ann, "Campaign", None).await;
    let (status, _) = ann
        .post(
            &format!("/api/v1/folders/{top}/shares"),
            json!({"account_id": kim.account_id()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let art = file(&app, &ann, "poster.pdf", Some(&top)).await;
    let (status, proof) = ann
        .post(
            "/api/v1/proofs",
            json!({"name": "Poster", "file_id": art,
                   "reviewers": [{"user_id": kim.user_id(), "role": "approver"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{proof}");
    let proof = id(&proof);

    let mut b = signed_in_browser(&app, "ann@agency.example").await;
    let tab = b.get("/settings/account/partners").await;
    let link = format!("/settings/account/partners/{rel}/remove");
    assert!(
        tab.body.contains(&format!("href=\"{link}\"")),
        "{}",
        tab.body
    );
    let page = b.get(&link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for expected in [
        "id=\"shares-out-count\">2<",
        "id=\"shares-in-count\">0<",
        "id=\"members-count\">2<",
        "id=\"proofs-count\">1<",
        "Campaign",
        "Poster",
        "Contacts stay on both sides, marked as ended.",
        &format!("action=\"/settings/account/partners/{rel}/delete\""),
    ] {
        assert!(page.body.contains(expected), "{expected}: {}", page.body);
    }
    // Unknown or malformed ids, and another action than "remove": not found.
    for path in [
        "/settings/account/partners/01aaaaaaaaaaaaaaaaaaaaaaaa/remove".to_string(),
        "/settings/account/partners/nope/remove".to_string(),
        format!("/settings/account/partners/{rel}/accept"),
    ] {
        assert_eq!(b.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    // The partner's admin sees the same partnership from its side.
    let mut k = signed_in_browser(&app, "kim@client.example").await;
    let page = k.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("id=\"shares-in-count\">2<"),
        "{}",
        page.body
    );

    // The page's form removes the partner; the shares stay.
    b.get(&link).await;
    let done = b
        .post(&format!("/settings/account/partners/{rel}/delete"), &[])
        .await;
    assert!(done.url.ends_with("?ok=deleted"), "{}", done.url);
    assert_eq!(b.get(&link).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        kim.get(&format!("/api/v1/folders/{top}")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        kim.get(&format!("/api/v1/proofs/{proof}")).await.0,
        StatusCode::OK
    );
}

/// The partner policy form saves what it shows and refuses bad input; a received request's
/// "Review" page shows who asks and answers it; the history page tells what happened and
/// whether the two accounts' contacts agree.
async fn partner_policy_review_and_history_pages(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let kim = app.signup("Client", "kim@client.example").await;
    app.add_user(&kim, "lee@client.example", "manager").await;

    let mut k = signed_in_browser(&app, "kim@client.example").await;
    let tab = k.get("/settings/account/partners").await;
    assert!(tab
        .body
        .contains("href=\"/settings/account/partners/policy\""));
    let page = k.get("/settings/account/partners/policy").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("value=\"anyone\" checked"),
        "{}",
        page.body
    );
    assert!(page.body.contains("value=\"30\""));
    let saved = k
        .post(
            "/settings/account/partners/policy",
            &[
                ("incoming", "listed_domains"),
                ("allowed_domains", "Agency.example\r\nb.example, c.example"),
                ("blocked_domains", ""),
                ("auto_accept_domains", ""),
                ("request_lifetime_days", "7"),
            ],
        )
        .await;
    assert!(saved.url.ends_with("?ok=policy_saved"), "{}", saved.url);
    assert!(saved.body.contains("The partner policy is saved."));
    assert!(saved.body.contains("value=\"listed_domains\" checked"));
    assert!(
        saved.body.contains("agency.example\nb.example\nc.example"),
        "{}",
        saved.body
    );
    for bad in [
        [("incoming", "anyone"), ("request_lifetime_days", "0")],
        [("incoming", "sometimes"), ("request_lifetime_days", "30")],
        [("incoming", "anyone"), ("request_lifetime_days", "many")],
    ] {
        let refused = k.post("/settings/account/partners/policy", &bad).await;
        assert!(
            refused.url.ends_with("?error=invalid_input"),
            "{}",
            refused.url
        );
    }
    let (_, policy) = kim.get("/api/v1/partner-policy").await;
    assert_eq!(policy["request_lifetime_days"], 7, "unchanged: {policy}");
    // Not for a manager.
    let mut l = signed_in_browser(&app, "lee@client.example").await;
    let page = l.get("/settings/account/partners/policy").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    // A received request: Review shows who asks, and its form accepts.
    let rel = crate::support::partners::sent(&ann, &kim.email()).await;
    let tab = k.get("/settings/account/partners").await;
    let review = format!("/settings/account/partners/{rel}/review");
    assert!(
        tab.body.contains(&format!("href=\"{review}\"")),
        "{}",
        tab.body
    );
    let page = k.get(&review).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for expected in [
        "Admin of Agency",
        "ann@agency.example",
        "id=\"sender-verified\"",
        "Your users will see 1 of their users on Contacts.",
        "Their users will see 2 of your users on Contacts.",
        "Originals may be downloaded.",
        &format!("action=\"/settings/account/partners/{rel}/accept\""),
    ] {
        assert!(page.body.contains(expected), "{expected}: {}", page.body);
    }
    let done = k
        .post(&format!("/settings/account/partners/{rel}/accept"), &[])
        .await;
    assert!(done.url.ends_with("?ok=accepted"), "{}", done.url);
    assert_eq!(k.get(&review).await.status, StatusCode::NOT_FOUND);

    // The history page: what happened, what lies between, and that the check agrees.
    let page = k.get(&format!("/settings/account/partners/{rel}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for expected in [
        "data-action=\"received\"",
        "data-action=\"accepted\"",
        "Admin of Client accepted.",
        "Their users on your Contacts: 1",
        "Your users on their Contacts: 2",
        "id=\"pair-consistent\"",
    ] {
        assert!(page.body.contains(expected), "{expected}: {}", page.body);
    }
    for path in [
        "/settings/account/partners/01aaaaaaaaaaaaaaaaaaaaaaaa".to_string(),
        "/settings/account/partners/nope".to_string(),
        format!("/settings/account/partners/{rel}/sideways"),
    ] {
        assert_eq!(k.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    // The terms form: only Lee, capped at reviewer, no download.
    let (_, lee) = kim.get("/api/v1/users").await;
    let lee_id = lee["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "lee@client.example")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(page.body.contains("id=\"save-terms\""), "{}", page.body);
    let lee_field = format!("user-{lee_id}");
    let saved = k
        .post(
            &format!("/settings/account/partners/{rel}/terms"),
            &[
                ("max_proof_role", "reviewer"),
                ("visible", "chosen"),
                (lee_field.as_str(), "1"),
            ],
        )
        .await;
    assert!(saved.url.ends_with("?ok=terms_saved"), "{}", saved.url);
    let (_, terms) = kim.get(&format!("/api/v1/partners/{rel}/terms")).await;
    assert_eq!(
        terms,
        serde_json::json!({"max_proof_role": "reviewer", "download": false,
                           "visible_users": [lee_id]})
    );
    assert!(
        saved.body.contains("<option value=\"reviewer\" selected>"),
        "{}",
        saved.body
    );
    let refused = k
        .post(
            &format!("/settings/account/partners/{rel}/terms"),
            &[("max_proof_role", "author"), ("visible", "all")],
        )
        .await;
    assert!(
        refused.url.ends_with("?error=invalid_input"),
        "{}",
        refused.url
    );
}

/// A live stream (`GET /live`) as a page's script reads it.
struct LiveStream(reqwest::Response, String);

impl LiveStream {
    async fn open(b: &Browser, topics: &str) -> LiveStream {
        let response = b
            .http
            .get(format!("{}/live?topics={topics}", b.base))
            .send()
            .await
            .expect("the stream opens");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"],
            "text/event-stream",
            "an event stream"
        );
        LiveStream(response, String::new())
    }

    /// The topic of the next `changed` event, or `None` after 10 s without one.
    async fn next(&mut self) -> Option<String> {
        self.next_within(10).await
    }

    async fn next_within(&mut self, secs: u64) -> Option<String> {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            if let Some(end) = self.1.find("\n\n") {
                let event: String = self.1.drain(..end + 2).collect();
                if event.lines().any(|l| l == "event: changed") {
                    return event
                        .lines()
                        .find_map(|l| l.strip_prefix("data: "))
                        .map(str::to_string);
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.0.chunk())
                .await
                .ok()?;
            let chunk = chunk.ok()??;
            self.1.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

/// Live pages: the Partners and Contacts pages of an account hear of what changes for it,
/// once committed, from this server or (PostgreSQL) another one on the same database; a
/// request withheld by policy makes no sound; the pages carry the script and their topic.
async fn live_pages_hear_what_changes_for_their_account(backend: Backend) {
    use crate::support::partners::sent;
    use serde_json::json;
    let app = TestApp::start(backend).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let kim = app.signup("Client", "kim@client.example").await;
    let bob = app.signup("Blocked", "bob@blocked.example").await;
    let (status, _) = kim
        .put(
            "/api/v1/partner-policy",
            json!({"incoming": "anyone", "allowed_domains": [],
                   "blocked_domains": ["blocked.example"], "auto_accept_domains": [],
                   "request_lifetime_days": 30}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // On PostgreSQL, Ann's page is served by a second server process.
    let second = match backend {
        Backend::Postgres => Some(TestApp::start_sharing(&app).await),
        Backend::Sqlite => None,
    };
    let ann_app = second.as_ref().unwrap_or(&app);
    let mut a = signed_in_browser(ann_app, "ann@agency.example").await;
    let page = a.get("/settings/account/partners").await;
    assert!(
        page.body.contains("data-live=\"partners\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("src=\"/static/live.js\""));
    let script = a.get("/static/live.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(script.body.contains("EventSource"));
    let mut ann_live = LiveStream::open(&a, "partners,contacts").await;
    let k = signed_in_browser(&app, "kim@client.example").await;
    let mut kim_live = LiveStream::open(&k, "partners,contacts,proof:nope").await;

    // Bob's request is withheld from Kim: nothing reaches Kim's page. Kim then adds a user
    // (her Contacts change): that is the first thing Kim's stream hears.
    sent(&bob, &kim.email()).await;
    app.add_user(&kim, "lee@client.example", "observer").await;
    assert_eq!(kim_live.next().await.as_deref(), Some("contacts"));

    // Ann sends, Kim accepts: both Partners pages, then both Contacts pages (sync starts).
    let rel = sent(&ann, &kim.email()).await;
    assert_eq!(ann_live.next().await.as_deref(), Some("partners"));
    assert_eq!(kim_live.next().await.as_deref(), Some("partners"));
    let (status, _) = kim
        .post(&format!("/api/v1/partners/{rel}/accept"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut heard = vec![ann_live.next().await, ann_live.next().await];
    heard.sort();
    assert_eq!(
        heard,
        vec![Some("contacts".into()), Some("partners".into())]
    );

    // Someone else's change is not heard: Bob's account adds a user, then Ann's does.
    app.add_user(&bob, "bea@blocked.example", "observer").await;
    app.add_user(&ann, "amy@agency.example", "observer").await;
    assert_eq!(ann_live.next().await.as_deref(), Some("contacts"));

    // Topics one may not follow are dropped: a visitor's stream hears no Contacts.
    let visitor = app.add_user(&ann, "vic@agency.example", "visitor").await;
    drop(visitor);
    let v = signed_in_browser(&app, "vic@agency.example").await;
    let mut vic_live = LiveStream::open(&v, "contacts,partners").await;
    app.add_user(&ann, "ada@agency.example", "observer").await;
    // (Ann's stream hears that change: it is on the bus that Vic's stream reads too.)
    assert_eq!(ann_live.next().await.as_deref(), Some("contacts"));
    assert_eq!(vic_live.next_within(1).await, None);
    // Signed out, no stream: the log-in page instead.
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/live?topics=partners", app.base))
        .send()
        .await
        .unwrap();
    assert!(
        anonymous.status().is_redirection(),
        "{}",
        anonymous.status()
    );
}

on_both_backends!(
    pages_have_security_headers_and_forms_need_csrf,
    live_pages_hear_what_changes_for_their_account,
    remove_partner_confirmation_page,
    partner_policy_review_and_history_pages,
    language_comes_from_the_browser_then_the_switch_then_the_user,
    set_password_link_works_once,
    every_partner_refusal_is_a_translated_message,
    users_tab_adds_changes_and_deactivates,
    contacts_page_lists_adds_and_deletes,
    shared_items_folder_and_proof_pages,
    pages_add_folders_files_and_proofs,
    contacts_page_company_view,
    proof_page_threads_resolves_and_takes_new_versions,
    folders_are_renamed_trashed_restored_and_emptied_from_the_pages,
    the_banner_asks_for_the_mailed_link_until_it_is_used,
    a_forgotten_password_is_reset_from_the_pages,
    the_profile_page_changes_the_password_and_ends_other_sessions,
    two_factor_is_set_up_and_used_from_the_pages,
);

/// An authenticator app holding `key` (base32): RFC 6238 apart from the server's code.
fn authenticator(key: &str) -> totp_rs::TOTP {
    let secret = totp_rs::Secret::Encoded(key.to_string())
        .to_bytes()
        .expect("a base32 key");
    totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 0, 30, secret)
}

/// The profile page offers two-factor with a QR code and its key; the first code turns it
/// on and shows ten recovery codes once; the log-in page then asks for a code; a token
/// made on the page works once shown; sessions are listed and ended.
async fn two_factor_is_set_up_and_used_from_the_pages(backend: Backend) {
    let app = TestApp::start(backend).await;
    app.signup("Alpha", "ann@alpha.test").await;
    let mut b = signed_in_browser(&app, "ann@alpha.test").await;
    b.get("/settings/profile").await;
    let offered = b
        .post(
            "/settings/profile/two-factor",
            &[("password", "correct horse")],
        )
        .await;
    assert!(
        offered.body.contains("src=\"data:image/svg+xml;base64,"),
        "{}",
        offered.body
    );
    let key = offered
        .body
        .split("class=\"totp-secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the key")
        .to_string();
    let app_codes = authenticator(&key);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let wrong = b
        .post(
            "/settings/profile/two-factor/confirm",
            &[("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    let on = b
        .post(
            "/settings/profile/two-factor/confirm",
            &[("code", &app_codes.generate(now))],
        )
        .await;
    assert_eq!(on.body.matches("<li><code>").count(), 10, "{}", on.body);
    let recovery = on
        .body
        .split("<li><code>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("a recovery code")
        .to_string();
    assert!(b
        .get("/settings/profile")
        .await
        .body
        .contains("data-two-factor=\"true\""));
    let users = b.get("/settings/account/users").await;
    assert!(users.body.contains("two-factor on"), "{}", users.body);

    // A token made on the page is shown once and works as a bearer token.
    let made = b
        .post("/settings/profile/tokens", &[("name", "CI"), ("days", "7")])
        .await;
    let token = made
        .body
        .split("class=\"new-token\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the token shown once")
        .to_string();
    let bearer = crate::support::Client::new(&app.base, Some(token));
    assert_eq!(bearer.get("/api/v1/me").await.0, StatusCode::OK);
    assert!(!b.get("/settings/profile").await.body.contains("new-token"));

    // The log-in page asks for a code; a recovery code works once.
    let mut other = Browser::new(&app, "en");
    other.get("/login").await;
    let asked = other
        .post(
            "/login",
            &[("email", "ann@alpha.test"), ("password", "correct horse")],
        )
        .await;
    assert!(asked.body.contains("id=\"code\""), "{}", asked.body);
    let signed = other
        .post(
            "/login",
            &[
                ("email", "ann@alpha.test"),
                ("password", "correct horse"),
                ("code", &recovery.to_uppercase()),
            ],
        )
        .await;
    assert!(signed.body.contains("Signed in as"), "{}", signed.body);
    let mut third = Browser::new(&app, "en");
    third.get("/login").await;
    let again = third
        .post(
            "/login",
            &[
                ("email", "ann@alpha.test"),
                ("password", "correct horse"),
                ("code", &recovery),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{}", again.body);

    // The first browser ends every other session: the second is signed out.
    let profile = b.get("/settings/profile").await;
    assert!(profile.body.matches("class=\"session\"").count() >= 3);
    b.post("/settings/profile/sessions/end-others", &[]).await;
    assert!(!other.get("/").await.body.contains("Signed in as"));
    assert_eq!(bearer.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);

    // Turning it off takes the password and a code.
    let off = b
        .post(
            "/settings/profile/two-factor/off",
            &[
                ("password", "correct horse"),
                ("code", &app_codes.generate(now + 30)),
            ],
        )
        .await;
    assert!(
        off.body.contains("Two-factor sign-in is off."),
        "{}",
        off.body
    );
}

/// The newest link to `path` in the `.eml` mail to `to`.
fn mailed_token(app: &TestApp, to: &str, path: &str) -> String {
    app.mail_files()
        .iter()
        .rev()
        .map(|f| crate::support::message::Message::parse(f))
        .filter(|m| m.header("to").contains(to))
        .find_map(|m| {
            let rest = m.body.split(&format!("{path}?token=")).nth(1)?.to_string();
            Some(
                rest.chars()
                    .take_while(char::is_ascii_hexdigit)
                    .collect::<String>(),
            )
        })
        .unwrap_or_else(|| panic!("no {path} link to {to}"))
}

/// A page sign-up shows "check your mailbox" on every page, refuses partner requests with
/// a clear message, sends the link again on request, and the link's page confirms.
async fn the_banner_asks_for_the_mailed_link_until_it_is_used(backend: Backend) {
    let app = TestApp::start(backend).await;
    let mut b = Browser::new(&app, "en");
    let home = b
        .signup_unverified("Alpha", "Ann", "ann@alpha.test", "en")
        .await;
    assert!(home.body.contains("Check your mailbox"), "{}", home.body);
    let page = send(&mut b, "kim@client.test").await;
    assert!(
        page.body.contains("Confirm your e-mail address first"),
        "{}",
        page.body
    );
    let home = b.post("/verify-email/resend", &[]).await;
    assert!(
        home.body.contains("We sent the e-mail again."),
        "{}",
        home.body
    );
    assert!(app.mail_delivered(10).await);
    let token = mailed_token(&app, "ann@alpha.test", "/verify-email");
    assert_eq!(token.len(), 64);
    // Opening the link changes nothing by itself (mail scanners follow links).
    let page = b.get(&format!("/verify-email?token={token}")).await;
    assert!(page.body.contains("Confirm my address"), "{}", page.body);
    assert!(page.body.contains("Check your mailbox"));
    let home = b.post("/verify-email", &[("token", &token)]).await;
    assert!(
        home.body.contains("Your e-mail address is confirmed."),
        "{}",
        home.body
    );
    assert!(!home.body.contains("Check your mailbox"));
    // Used once; a second use is a clear error page, in Korean too.
    b.get(&format!("/verify-email?token={token}&lang=ko")).await;
    let again = b.post("/verify-email", &[("token", &token)]).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.body.contains("이미 사용되었거나"), "{}", again.body);
    let page = send(&mut b, "kim@client.test").await;
    assert!(
        !page.body.contains("이메일 주소를 확인하십시오"),
        "{}",
        page.body
    );
}

/// Forgot → the e-mailed link → a new password; the old one stops working.
async fn a_forgotten_password_is_reset_from_the_pages(backend: Backend) {
    let app = TestApp::start(backend).await;
    app.signup("Alpha", "ann@alpha.test").await;
    let mut b = Browser::new(&app, "en");
    let login = b.get("/login").await;
    assert!(login.body.contains("href=\"/forgot-password\""));
    b.get("/forgot-password").await;
    for email in ["ann@alpha.test", "nobody@alpha.test"] {
        let shown = b.post("/forgot-password", &[("email", email)]).await;
        assert_eq!(shown.status, StatusCode::OK);
        assert!(
            shown
                .body
                .contains("a link to set a new password is on its way"),
            "{email}: the same answer: {}",
            shown.body
        );
    }
    assert!(app.mail_delivered(10).await);
    let token = mailed_token(&app, "ann@alpha.test", "/reset-password");
    let page = b.get(&format!("/reset-password?token={token}")).await;
    assert!(
        page.body.contains("action=\"/reset-password\""),
        "{}",
        page.body
    );
    let mismatch = b
        .post(
            "/reset-password",
            &[
                ("token", &token),
                ("password", "new password 1"),
                ("confirm", "other"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, StatusCode::BAD_REQUEST);
    let done = b
        .post(
            "/reset-password",
            &[
                ("token", &token),
                ("password", "new password 1"),
                ("confirm", "new password 1"),
            ],
        )
        .await;
    assert!(
        done.body.contains("Your new password is set"),
        "{}",
        done.body
    );
    let old = app
        .anonymous()
        .post(
            "/api/v1/login",
            serde_json::json!({"email": "ann@alpha.test", "password": "correct horse"}),
        )
        .await;
    assert_eq!(old.0, StatusCode::UNAUTHORIZED);
    app.login("ann@alpha.test", "new password 1").await;
}

/// The profile page: name and language, and a new password that ends the other sessions.
async fn the_profile_page_changes_the_password_and_ends_other_sessions(backend: Backend) {
    let app = TestApp::start(backend).await;
    let api = app.signup("Alpha", "ann@alpha.test").await;
    let mut b = signed_in_browser(&app, "ann@alpha.test").await;
    let page = b.get("/settings/profile").await;
    assert!(page.body.contains("verified"), "{}", page.body);
    let saved = b
        .post(
            "/settings/profile",
            &[("name", "Ann Lee"), ("language", "ko")],
        )
        .await;
    assert!(
        saved.body.contains("프로필이 저장되었습니다"),
        "{}",
        saved.body
    );
    let wrong = b
        .post(
            "/settings/profile/password",
            &[
                ("current", "nope"),
                ("password", "another one"),
                ("confirm", "another one"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(
        wrong.body.contains("현재 암호가 올바르지 않습니다"),
        "{}",
        wrong.body
    );
    let changed = b
        .post(
            "/settings/profile/password",
            &[
                ("current", "correct horse"),
                ("password", "another one"),
                ("confirm", "another one"),
            ],
        )
        .await;
    assert!(
        changed.body.contains("암호가 변경되었습니다"),
        "{}",
        changed.body
    );
    // This browser stays signed in; the API token from sign-up has ended.
    assert!(b.get("/").await.body.contains("Ann Lee"));
    assert_eq!(api.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
}

/// A folder page's Rename and Move to trash, the admins' Trash page (Restore, Empty
/// trash: the files' bytes go too), and who may not.
async fn folders_are_renamed_trashed_restored_and_emptied_from_the_pages(backend: Backend) {
    use crate::support::items::upload;
    let app = TestApp::start(backend).await;
    let owner = app.signup("Agency", "ann@agency.test").await;
    let mut ann = signed_in_browser(&app, "ann@agency.test").await;
    ann.get("/").await;
    let made = ann
        .post("/folders", &[("name", "Old name"), ("parent_id", "")])
        .await;
    let folder_id = id_in(&made.url, "/folders/");
    let page = format!("/folders/{folder_id}");
    let (status, file) = upload(
        &app,
        &owner,
        "a.pdf",
        b"%PDF-1.4 a".to_vec(),
        Some(&folder_id),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    let file_id = file["id"].as_str().unwrap().to_string();

    let shown = ann.get(&page).await;
    assert!(shown.body.contains(&format!("action=\"{page}/rename\"")));
    let renamed = ann
        .post(&format!("{page}/rename"), &[("name", "New name")])
        .await;
    assert!(renamed.url.ends_with("?ok=renamed"), "{}", renamed.url);
    assert!(
        renamed.body.contains("<h1>New name</h1>"),
        "{}",
        renamed.body
    );
    let bad = ann.post(&format!("{page}/rename"), &[("name", " ")]).await;
    assert!(bad.url.ends_with("?error=invalid_input"), "{}", bad.url);

    // Into the trash: gone with what is inside, listed on the Trash page.
    let trashed = ann.post(&format!("{page}/trash"), &[]).await;
    assert!(trashed.url.ends_with("/?ok=trashed"), "{}", trashed.url);
    assert_eq!(ann.get(&page).await.status, StatusCode::NOT_FOUND);
    let (status, _) = owner.get(&format!("/api/v1/files/{file_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let trash = ann.get("/trash").await;
    assert!(trash.body.contains("New name"), "{}", trash.body);

    // Restore: back with its file.
    let restored = ann.post(&format!("/trash/{folder_id}/restore"), &[]).await;
    assert!(
        restored.url.ends_with(&format!("{page}?ok=restored")),
        "{}",
        restored.url
    );
    assert!(restored.body.contains("a.pdf"));
    let (status, _) = owner.get(&format!("/api/v1/files/{file_id}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = owner
        .post(
            &format!("/api/v1/trash/{folder_id}/restore"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not in the trash any more");

    // A manager gets the 403 page on Trash.
    app.add_user(&owner, "max@agency.test", "manager").await;
    let mut max = signed_in_browser(&app, "max@agency.test").await;
    let refused = max.get("/trash").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("Only an Administrator"));

    // Trash again and empty for good: the folder, the file and its bytes are gone.
    ann.get(&page).await;
    ann.post(&format!("{page}/trash"), &[]).await;
    let before = files_under(&app.config.data_dir);
    ann.get("/trash").await;
    let emptied = ann.post("/trash/empty", &[]).await;
    assert!(
        emptied.url.ends_with("/trash?ok=trash_emptied"),
        "{}",
        emptied.url
    );
    assert!(
        emptied.body.contains("The trash is empty."),
        "{}",
        emptied.body
    );
    assert_eq!(
        files_under(&app.config.data_dir),
        before - 1,
        "the bytes are removed"
    );
    let (status, _) = owner
        .post(
            &format!("/api/v1/trash/{folder_id}/restore"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = owner.get(&format!("/api/v1/files/{file_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn signed_in_browser(app: &TestApp, email: &str) -> Browser {
    let mut b = Browser::new(app, "en");
    b.get("/login").await;
    b.post("/login", &[("email", email), ("password", "correct horse")])
        .await;
    b
}

/// The proof page's comment threads (a reply under its comment), resolving and
/// reopening (owner side only), and a new version uploaded from the page (decisions start
/// again; refused before any byte for a reviewer).
async fn proof_page_threads_resolves_and_takes_new_versions(backend: Backend) {
    use crate::support::items::upload;
    use crate::support::partners::make_partners;
    use serde_json::json;
    let app = TestApp::start(backend).await;
    let owner = app.signup("Agency", "ann@agency.test").await;
    let client = app.signup("Client Co", "kim@client.test").await;
    make_partners(&owner, &client).await;
    let (_, file) = upload(&app, &owner, "v1.pdf", b"%PDF-1.4 one".to_vec(), None).await;
    let (status, proof) = owner
        .post(
            "/api/v1/proofs",
            json!({"name": "Leaflet", "file_id": file["id"],
                   "reviewers": [{"user_id": client.user_id(), "role": "reviewer_approver"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{proof}");
    let proof_id = proof["id"].as_str().unwrap().to_string();
    let page = format!("/proofs/{proof_id}");

    let mut kim = signed_in_browser(&app, "kim@client.test").await;
    kim.get(&page).await;
    kim.post(
        &format!("{page}/comments"),
        &[("body", "Bigger logo, please")],
    )
    .await;
    let (_, listed) = owner
        .get(&format!("/api/v1/proofs/{proof_id}/comments"))
        .await;
    let first = listed["comments"][0]["id"].as_str().unwrap().to_string();
    let mut ann = signed_in_browser(&app, "ann@agency.test").await;
    ann.get(&page).await;
    let replied = ann
        .post(
            &format!("{page}/comments"),
            &[("body", "Done in version 2"), ("parent_id", &first)],
        )
        .await;
    assert!(replied.url.ends_with("?ok=commented"), "{}", replied.url);
    let at_comment = replied.body.find("Bigger logo, please").unwrap();
    let at_reply = replied.body.find("Done in version 2").unwrap();
    assert!(at_comment < at_reply, "the reply follows its comment");
    assert!(replied.body.contains("class=\"comment reply\""));
    let (_, listed) = owner
        .get(&format!("/api/v1/proofs/{proof_id}/comments"))
        .await;
    assert_eq!(
        listed["comments"][1]["parent_id"],
        first.as_str(),
        "{listed}"
    );

    // Resolve and reopen: the owner side has the button; the reviewer neither sees it nor
    // may post it.
    assert!(replied.body.contains(&format!("/comments/{first}/resolve")));
    let kim_page = kim.get(&page).await;
    assert!(!kim_page.body.contains("/resolve"), "{}", kim_page.body);
    let refused = kim
        .post(
            &format!("{page}/comments/{first}/resolve"),
            &[("resolved", "1")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    ann.get(&page).await;
    let resolved = ann
        .post(
            &format!("{page}/comments/{first}/resolve"),
            &[("resolved", "1")],
        )
        .await;
    assert!(resolved.url.ends_with("?ok=resolved"), "{}", resolved.url);
    let (_, listed) = owner
        .get(&format!("/api/v1/proofs/{proof_id}/comments"))
        .await;
    assert_eq!(listed["comments"][0]["resolved"], true, "{listed}");
    let reopened = ann
        .post(
            &format!("{page}/comments/{first}/resolve"),
            &[("resolved", "0")],
        )
        .await;
    assert!(reopened.url.ends_with("?ok=reopened"), "{}", reopened.url);

    // Kim approves; Ann uploads version 2 from the page; decisions start again.
    kim.get(&page).await;
    kim.post(&format!("{page}/decision"), &[("decision", "approved")])
        .await;
    let form = ann.get(&page).await;
    assert!(form.body.contains(&format!("action=\"{page}/versions\"")));
    let csrf = ann.csrf.clone();
    let sent = page_upload(
        &ann,
        &format!("{page}/versions"),
        Some(&csrf),
        "",
        "v2.pdf",
        b"%PDF-1.4 two".to_vec(),
    )
    .await;
    let after = ann.shown(sent).await;
    assert!(after.url.ends_with("?ok=version_added"), "{}", after.url);
    let (_, now) = owner.get(&format!("/api/v1/proofs/{proof_id}")).await;
    assert_eq!(now["version"], 2, "{now}");
    assert_eq!(now["status"], "pending");
    assert_ne!(now["file_id"], file["id"]);
    // The reviewer has no version form and is refused before anything is stored.
    let kim_page = kim.get(&page).await;
    assert!(!kim_page.body.contains("/versions"));
    let before = files_under(&app.config.data_dir);
    let csrf = kim.csrf.clone();
    let refused = page_upload(
        &kim,
        &format!("{page}/versions"),
        Some(&csrf),
        "",
        "v3.pdf",
        b"%PDF-1.4 three".to_vec(),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(before, files_under(&app.config.data_dir));
    let (_, now) = owner.get(&format!("/api/v1/proofs/{proof_id}")).await;
    assert_eq!(now["version"], 2);
}

/// A multipart upload from a page: the CSRF field first (when given), then the file.
async fn page_upload(
    b: &Browser,
    action: &str,
    csrf: Option<&str>,
    folder: &str,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new();
    if let Some(token) = csrf {
        form = form.text("csrf", token.to_string());
    }
    form = form.text("folder_id", folder.to_string()).part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    b.http
        .post(format!("{}{action}", b.base))
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

/// The pages' Add forms: a folder at the top and one inside it, an upload into it
/// (CSRF-checked before any byte is stored), a proof made of the file; a PDF shown in the
/// page and other types only downloaded; an observer sees no Add forms and is refused.
async fn pages_add_folders_files_and_proofs(backend: Backend) {
    let app = TestApp::start(backend).await;
    let owner = app.signup("Agency", "ann@agency.test").await;
    let mut ann = signed_in_browser(&app, "ann@agency.test").await;
    let home = ann.get("/").await;
    assert!(
        home.body.contains("id=\"new-folder-name\""),
        "{}",
        home.body
    );
    let made = ann
        .post("/folders", &[("name", "Spring"), ("parent_id", "")])
        .await;
    assert!(made.url.ends_with("?ok=folder_created"), "{}", made.url);
    assert!(made.body.contains("The folder is created."));
    let folder_id = id_in(&made.url, "/folders/");
    let inner = ann
        .post("/folders", &[("name", "Drafts"), ("parent_id", &folder_id)])
        .await;
    assert!(inner.url.ends_with("?ok=folder_created"), "{}", inner.url);
    let (_, listed) = owner.get(&format!("/api/v1/folders/{folder_id}")).await;
    assert_eq!(listed["folders"][0]["name"], "Drafts", "{listed}");
    // A bad name goes back with its message; nothing is made.
    let bad = ann
        .post("/folders", &[("name", "  "), ("parent_id", &folder_id)])
        .await;
    assert!(
        bad.url
            .ends_with(&format!("/folders/{folder_id}?error=invalid_input")),
        "{}",
        bad.url
    );
    // The upload form of the folder page: a PDF goes into the folder.
    let page = ann.get(&format!("/folders/{folder_id}")).await;
    assert!(page
        .body
        .contains(&format!("action=\"/files?folder={folder_id}\"")));
    let pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".to_vec();
    let csrf = ann.csrf.clone();
    let sent = page_upload(
        &ann,
        &format!("/files?folder={folder_id}"),
        Some(&csrf),
        &folder_id,
        "시안.pdf",
        pdf.clone(),
    )
    .await;
    let file_page = ann.shown(sent).await;
    assert!(file_page.url.ends_with("?ok=uploaded"), "{}", file_page.url);
    assert!(file_page.body.contains("application/pdf"));
    let file_id = id_in(&file_page.url, "/files/");
    assert!(file_page.body.contains(&format!(
        "<iframe src=\"/api/v1/files/{file_id}/content?inline=1\""
    )));
    let (_, file) = owner.get(&format!("/api/v1/files/{file_id}")).await;
    assert_eq!(file["folder_id"], folder_id.as_str(), "{file}");
    assert_eq!(file["name"], "시안.pdf");
    // Shown in the page when asked inline; a download otherwise.
    let inline = ann
        .http
        .get(format!(
            "{}/api/v1/files/{file_id}/content?inline=1",
            app.base
        ))
        .send()
        .await
        .unwrap();
    let disposition = inline.headers()["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("inline;"), "{disposition}");
    assert_eq!(inline.headers()["x-content-type-options"], "nosniff");
    let download = ann
        .http
        .get(format!("{}/api/v1/files/{file_id}/content", app.base))
        .send()
        .await
        .unwrap();
    let disposition = download.headers()["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    // A form without the page's token stores nothing.
    let before = files_under(&app.config.data_dir);
    let forged = page_upload(&ann, "/files", None, &folder_id, "x.pdf", pdf.clone()).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let forged = page_upload(&ann, "/files", Some("wrong"), &folder_id, "x.pdf", pdf).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let after = files_under(&app.config.data_dir);
    assert_eq!(before, after, "nothing stored by a forged upload");
    let (_, listed) = owner.get(&format!("/api/v1/folders/{folder_id}")).await;
    assert_eq!(listed["files"].as_array().unwrap().len(), 1, "{listed}");
    // A text file is never shown inline, whatever is asked.
    ann.get("/").await;
    let csrf = ann.csrf.clone();
    let sent = page_upload(
        &ann,
        "/files",
        Some(&csrf),
        "",
        "notes.txt",
        b"hello".to_vec(),
    )
    .await;
    let text_page = ann.shown(sent).await;
    assert!(text_page.url.ends_with("?ok=uploaded"), "{}", text_page.url);
    let text_id = id_in(&text_page.url, "/files/");
    let text = ann
        .http
        .get(format!(
            "{}/api/v1/files/{text_id}/content?inline=1",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert!(text.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    // Make a proof of the PDF: it lands where the file is.
    ann.get(&format!("/files/{file_id}")).await;
    let proof_page = ann
        .post(
            &format!("/files/{file_id}/proof"),
            &[("name", "Spring poster")],
        )
        .await;
    assert!(
        proof_page.url.ends_with("?ok=proof_created"),
        "{}",
        proof_page.url
    );
    assert!(proof_page.body.contains("Spring poster"));
    let proof_id = id_in(&proof_page.url, "/proofs/");
    let (_, proof) = owner.get(&format!("/api/v1/proofs/{proof_id}")).await;
    assert_eq!(proof["folder_id"], folder_id.as_str(), "{proof}");
    assert_eq!(proof["file_id"], file_id.as_str());

    // An observer sees no Add forms, and its posts are refused.
    app.add_user(&owner, "obi@agency.test", "observer").await;
    let mut obi = signed_in_browser(&app, "obi@agency.test").await;
    let home = obi.get("/").await;
    assert!(!home.body.contains("new-folder-name"), "{}", home.body);
    let refused = obi
        .post("/folders", &[("name", "Mine"), ("parent_id", "")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!ann.get("/").await.body.contains("Mine"));
}

/// The id after `prefix` in a page's address (`…/folders/ID?ok=…` → `ID`).
fn id_in(url: &str, prefix: &str) -> String {
    url.split(prefix)
        .nth(1)
        .and_then(|rest| rest.split('?').next())
        .unwrap_or_else(|| panic!("no {prefix} id in {url}"))
        .to_string()
}

/// Files (not folders) anywhere under `dir`, the database's included.
fn files_under(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() {
                        files_under(&path)
                    } else {
                        usize::from(!path.to_string_lossy().contains(".db"))
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// The Contacts page's company view: partner accounts and typed companies with their
/// counts, each linking to its people.
async fn contacts_page_company_view(backend: Backend) {
    use crate::support::partners::make_partners;
    let app = TestApp::start(backend).await;
    let owner = app.signup("Agency", "ann@agency.test").await;
    let client = app.signup("Client Co", "kim@client.test").await;
    app.add_user(&client, "lee@client.test", "manager").await;
    make_partners(&owner, &client).await;
    let (status, body) = owner
        .post(
            "/api/v1/contacts",
            serde_json::json!({"email": "joe@print.test", "name": "Joe", "company": "Print Shop"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mut ann = signed_in_browser(&app, "ann@agency.test").await;
    let page = ann.get("/contacts?view=company").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("class=\"rows companies\""),
        "{}",
        page.body
    );
    let row = |name: &str| {
        page.body
            .split("<tr class=\"company\">")
            .find(|r| r.contains(&format!(">{name}</a>")))
            .map(|r| r.split("</tr>").next().unwrap_or_default().to_string())
    };
    let client_row = row("Client Co").expect("the partner account");
    assert!(client_row.contains("Partner account"), "{client_row}");
    assert!(client_row.contains("class=\"count\">2<"), "{client_row}");
    let shop = row("Print Shop").expect("a typed company");
    assert!(
        shop.contains(">Company<") && shop.contains("class=\"count\">1<"),
        "{shop}"
    );
    assert!(
        !page.body.contains("kim@client.test"),
        "people are not listed in this view"
    );
    let people = ann.get("/contacts?q=Client+Co").await;
    assert!(people.body.contains("kim@client.test") && people.body.contains("lee@client.test"));
    let korean = ann.get("/contacts?view=company&lang=ko").await;
    assert!(korean.body.contains("파트너 계정") && korean.body.contains("회사별"));
}

/// A partner's reviewer-approver finds a proof under Shared with me, opens the folder and
/// the proof (the image shown in the page), decides and comments from the page; a viewer
/// without the role sees no decision buttons; another account gets the 404 page; the
/// Korean page has no English left.
async fn shared_items_folder_and_proof_pages(backend: Backend) {
    use crate::support::items::upload;
    use crate::support::partners::make_partners;
    use serde_json::json;
    let app = TestApp::start(backend).await;
    let owner = app.signup("Agency", "ann@agency.test").await;
    let client = app.signup("Client Co", "kim@client.test").await;
    make_partners(&owner, &client).await;
    let (status, folder) = owner
        .post("/api/v1/folders", json!({"name": "Spring campaign"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{folder}");
    let folder_id = folder["id"].as_str().unwrap();
    // A 1×1 PNG.
    let png: Vec<u8> = vec![
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0,
        0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0a, 0x49, 0x44,
        0x41, 0x54, 0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0,
        0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];
    let (status, file) = upload(&app, &owner, "poster.png", png, Some(folder_id)).await;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    let (status, proof) = owner
        .post(
            "/api/v1/proofs",
            json!({"name": "Poster", "file_id": file["id"], "folder_id": folder_id,
                   "reviewers": [{"user_id": client.user_id(), "role": "reviewer_approver"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{proof}");
    let proof_id = proof["id"].as_str().unwrap().to_string();
    let (status, body) = owner
        .post(
            &format!("/api/v1/folders/{folder_id}/shares"),
            json!({"account_id": client.account_id()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Home lists the top of one's own account as one may see it: the admin everything,
    // a manager nothing it neither created nor got shared.
    let mut ann = signed_in_browser(&app, "ann@agency.test").await;
    let home = ann.get("/").await;
    assert!(
        home.body
            .contains(&format!("href=\"/folders/{folder_id}\"")),
        "{}",
        home.body
    );
    app.add_user(&owner, "max@agency.test", "manager").await;
    let mut max = signed_in_browser(&app, "max@agency.test").await;
    let home = max.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(!home.body.contains(folder_id), "{}", home.body);
    assert!(home.body.contains("Nothing here yet."));

    let mut kim = signed_in_browser(&app, "kim@client.test").await;
    let shared = kim.get("/shared-with-me").await;
    assert_eq!(shared.status, StatusCode::OK);
    assert!(
        shared
            .body
            .contains(&format!("href=\"/folders/{folder_id}\"")),
        "{}",
        shared.body
    );
    assert!(shared
        .body
        .contains(&format!("href=\"/proofs/{proof_id}\"")));
    assert!(shared.body.contains("Agency"), "the owner account is named");

    let folder_page = kim.get(&format!("/folders/{folder_id}")).await;
    assert_eq!(folder_page.status, StatusCode::OK);
    assert!(folder_page.body.contains("Spring campaign"));
    assert!(folder_page.body.contains("poster.png"));
    assert!(folder_page.body.contains("Poster"));

    let page = kim.get(&format!("/proofs/{proof_id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!(
        "<img src=\"/api/v1/proofs/{proof_id}/content?inline=1\""
    )));
    assert!(page.body.contains("Reviewer and approver"));
    assert!(page.body.contains("name=\"decision\" value=\"approved\""));
    // The image itself, with the page's session.
    let image = kim
        .http
        .get(format!("{}/api/v1/proofs/{proof_id}/content", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(image.status(), StatusCode::OK);

    let after = kim
        .post(
            &format!("/proofs/{proof_id}/decision"),
            &[("decision", "changes_required")],
        )
        .await;
    assert!(after.url.ends_with("?ok=decided"), "{}", after.url);
    assert!(after.body.contains("Your decision is saved."));
    assert!(
        after
            .body
            .contains("class=\"proof-status\">Changes required<"),
        "{}",
        after.body
    );
    let after = kim
        .post(
            &format!("/proofs/{proof_id}/comments"),
            &[("body", "Logo too small")],
        )
        .await;
    assert!(after.url.ends_with("?ok=commented"), "{}", after.url);
    assert!(after.body.contains("Logo too small"));
    let empty = kim
        .post(&format!("/proofs/{proof_id}/comments"), &[("body", "   ")])
        .await;
    assert!(empty.url.ends_with("?error=invalid_input"), "{}", empty.url);
    // A forged decision without the page's token changes nothing.
    let forged = kim
        .http
        .post(format!("{}/proofs/{proof_id}/decision", app.base))
        .form(&[("decision", "approved")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let (_, proof) = owner.get(&format!("/api/v1/proofs/{proof_id}")).await;
    assert_eq!(proof["status"], "changes_required");

    // A user of the partner without a proof role: the proof through the folder share,
    // read-only, no decision buttons, no comment form.
    let viewer = app.add_user(&client, "lee@client.test", "manager").await;
    let mut lee = Browser::new(&app, "ko");
    lee.get("/login").await;
    lee.post(
        "/login",
        &[
            ("email", viewer.email().as_str()),
            ("password", "correct horse"),
        ],
    )
    .await;
    // Lee's own language is English; the switch makes it Korean.
    let page = lee.get(&format!("/proofs/{proof_id}?lang=ko")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("name=\"decision\""));
    assert!(!page.body.contains("name=\"body\""));
    assert!(page.body.contains("변경 필요"));
    let stray = english_words(
        &page.body,
        &[
            "Coproof",
            "Poster",
            "Logo too small",
            "Admin of Client Co",
            "User lee@client.test",
            "English",
            "UTC",
        ],
    );
    assert!(
        stray.is_empty(),
        "English left in the Korean page: {stray:?}"
    );

    // Someone else: not found, and nothing listed.
    let mut eve = Browser::new(&app, "en");
    eve.signup("Elsewhere", "Eve", "eve@else.test", "en").await;
    assert_eq!(
        eve.get(&format!("/proofs/{proof_id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        eve.get(&format!("/folders/{folder_id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let shared = eve.get("/shared-with-me").await;
    assert!(!shared.body.contains(&proof_id));

    // The owner's share dialog: suggestions, a person by address with a role, a partner
    // account by name, and a clear refusal for anyone else.
    let page = ann.get(&format!("/proofs/{proof_id}")).await;
    assert!(
        page.body.contains("<option value=\"Client Co\">"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<option value=\"lee@client.test\">"));
    let after = ann
        .post(
            &format!("/proofs/{proof_id}/share"),
            &[("to", "lee@client.test"), ("role", "approver")],
        )
        .await;
    assert!(after.url.ends_with("?ok=shared"), "{}", after.url);
    let page = lee.get(&format!("/proofs/{proof_id}")).await;
    assert!(
        page.body.contains("name=\"decision\""),
        "Lee is an approver now"
    );
    // The owner sees the share in the dialog's list and stops it: Lee is back to what the
    // folder share gives (no decision buttons) on the very next request.
    let page = ann.get(&format!("/proofs/{proof_id}")).await;
    assert!(
        page.body
            .contains("User lee@client.test &#60;lee@client.test&#62;"),
        "{}",
        page.body
    );
    // Lee's row is after Kim's (the reviewer the proof was made with).
    let share_id = page
        .body
        .split("User lee@client.test &#60;")
        .nth(1)
        .and_then(|rest| rest.split("action=\"/shares/").nth(1))
        .and_then(|rest| rest.split('/').next())
        .expect("a share listed with a delete form")
        .to_string();
    let after = ann
        .post(
            &format!("/shares/{share_id}/delete"),
            &[("back", &format!("/proofs/{proof_id}"))],
        )
        .await;
    assert!(
        after
            .url
            .ends_with(&format!("/proofs/{proof_id}?ok=share_deleted")),
        "{}",
        after.url
    );
    let page = lee.get(&format!("/proofs/{proof_id}")).await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "still visible through the folder"
    );
    assert!(!page.body.contains("name=\"decision\""));
    // A delete form cannot send anyone off-site.
    let after = ann
        .post(
            "/shares/01aaaaaaaaaaaaaaaaaaaaaaaa/delete",
            &[("back", "https://evil.test/")],
        )
        .await;
    assert_eq!(after.status, StatusCode::NOT_FOUND);
    assert!(!after.url.contains("evil"));
    let after = ann
        .post(
            &format!("/folders/{folder_id}/share"),
            &[("to", "client co")],
        )
        .await;
    assert!(after.url.ends_with("?ok=shared"), "{}", after.url);
    let after = ann
        .post(
            &format!("/folders/{folder_id}/share"),
            &[("to", "eve@else.test")],
        )
        .await;
    assert!(after.url.ends_with("?error=not_partner"), "{}", after.url);
    assert!(after.body.contains("Only your own users"), "{}", after.body);
    // The file page: the picture, the download, and (for the owner) the dialog.
    let file_id = file["id"].as_str().unwrap();
    let page = ann.get(&format!("/files/{file_id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!(
        "<img src=\"/api/v1/files/{file_id}/content?inline=1\""
    )));
    assert!(page.body.contains("image/png"));
    assert!(page.body.contains("share-dialog"));
    let page = kim.get(&format!("/files/{file_id}")).await;
    assert_eq!(page.status, StatusCode::OK, "through the folder share");
    assert!(!page.body.contains("share-dialog"));
    assert_eq!(
        eve.get(&format!("/files/{file_id}")).await.status,
        StatusCode::NOT_FOUND
    );
    // Kim (no share right on the folder) gets no dialog.
    let page = kim.get(&format!("/folders/{folder_id}")).await;
    assert!(!page.body.contains("share-dialog"));
}
