//! End-to-end: the pages as people use them, in headless Chromium (Debian's `chromium` and
//! `chromium-driver`) driven over WebDriver. Two browsers, one per account, walk the
//! product document: send a partner invitation, see it arrive, reject and ignore one, let a
//! second administrator accept another, delete from each side, remove the partnership, and
//! read the Korean pages; verify addresses from the e-mailed links, reset a forgotten
//! password and turn on two-factor sign-in. A screenshot of each step is kept under
//! `target/e2e/`.
//!
//! Skipped with a notice when Chromium or chromedriver is not installed; failed instead
//! under CI (`CI` set), see `it/support/prerequisites.rs`.

use coproof_server::{App, Config};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

// The `it` harness's waiting and prerequisite helpers, shared file by file (the rest of
// that harness is not needed here).
#[allow(dead_code)]
#[path = "it/support/eventually.rs"]
mod eventually;
#[allow(dead_code)]
#[path = "it/support/prerequisites.rs"]
mod prerequisites;

use eventually::eventually;

const CHROMIUM: &str = "/usr/bin/chromium";
const DRIVER: &str = "/usr/bin/chromedriver";
const WAIT: Duration = Duration::from_secs(15);

/// A 1×1 PNG picture, for the upload.
const PNG: &[u8] = &[
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0,
    0, 0, 31, 21, 196, 137, 0, 0, 0, 13, 73, 68, 65, 84, 120, 218, 99, 100, 96, 248, 95, 15, 0, 2,
    135, 1, 128, 235, 71, 186, 146, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130,
];

/// A chromedriver process, ended when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn start_driver() -> Driver {
    let port = free_port();
    let child = Command::new(DRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    eventually("chromedriver listens", WAIT, || async {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
    })
    .await;
    driver
}

/// A fresh headless browser with its own profile folder.
async fn browser(driver: &Driver, profile: &Path) -> Client {
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=en-US",
                format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    let caps = caps.as_object().cloned().expect("an object");
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a browser session")
}

fn shots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e");
    std::fs::create_dir_all(&dir).expect("target/e2e");
    dir
}

/// One person at one browser.
struct Person {
    c: Client,
    base: String,
    who: &'static str,
}

impl Person {
    async fn go(&self, path: &str) {
        self.c
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("navigate");
    }

    async fn shot(&self, step: &str) {
        let png = self.c.screenshot().await.expect("screenshot");
        std::fs::write(shots_dir().join(format!("{step}-{}.png", self.who)), png)
            .expect("save screenshot");
    }

    async fn find(&self, css: &str) -> Element {
        eventually(format!("{}: a {css}", self.who), WAIT, || async {
            self.c.find(Locator::Css(css)).await.ok()
        })
        .await
    }

    async fn fill(&self, css: &str, value: &str) {
        let e = self.find(css).await;
        e.clear().await.expect("clear");
        e.send_keys(value).await.expect("type");
    }

    /// Clicks the first `css`; found again if a live page swapped it meanwhile.
    async fn click(&self, css: &str) {
        eventually(format!("{}: click a {css}", self.who), WAIT, || async {
            self.c
                .find(Locator::Css(css))
                .await
                .ok()?
                .click()
                .await
                .ok()
        })
        .await;
    }

    /// The page's visible text (empty while a navigation replaces the page).
    async fn body(&self) -> String {
        match self.c.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits until the page text contains `text`.
    async fn sees(&self, text: &str) {
        eventually(
            format!("{}: the page shows {text:?}", self.who),
            WAIT,
            || async {
                let body = self.body().await;
                if body.contains(text) {
                    Ok(())
                } else {
                    Err(body)
                }
            },
        )
        .await
    }

    async fn flash_error(&self) -> String {
        eventually(format!("{}: an error shown", self.who), WAIT, || async {
            match self.c.find(Locator::Css(".flash.error")).await {
                Ok(e) => e.text().await.ok(),
                Err(_) => None,
            }
        })
        .await
    }

    /// The Partners tab row for an invited address, if shown.
    async fn row(&self, email: &str) -> Option<Element> {
        // A live page may swap its rows while they are read: then none is found this time.
        for row in self
            .c
            .find_all(Locator::Css("tr.relationship"))
            .await
            .ok()?
        {
            let cell = row.find(Locator::Css("td.email")).await.ok()?;
            if cell.text().await.ok()? == email {
                return Some(row);
            }
        }
        None
    }

    async fn row_status(&self, email: &str) -> Option<(String, String, String)> {
        let row = self.row(email).await?;
        let status = row
            .attr("data-status")
            .await
            .expect("attr")
            .unwrap_or_default();
        let label = row
            .find(Locator::Css(".status"))
            .await
            .expect("status")
            .text()
            .await
            .expect("text");
        let partner = row
            .find(Locator::Css(".partner-account"))
            .await
            .expect("partner")
            .text()
            .await
            .expect("text");
        Some((status, label, partner))
    }

    /// Clicks `css` in the row of `email`; found again if a live page swapped it meanwhile.
    async fn in_row(&self, email: &str, css: &str) {
        eventually(
            format!("{}: click {css} of {email}", self.who),
            WAIT,
            || async {
                let row = self.row(email).await?;
                row.find(Locator::Css(css)).await.ok()?.click().await.ok()
            },
        )
        .await;
    }

    /// Opens the down-arrow menu of a row and picks Delete.
    async fn delete_row(&self, email: &str) {
        self.in_row(email, "details.menu summary").await;
        self.in_row(email, "details.menu button.delete").await;
    }

    /// A Contacts row by e-mail: its kind, and its partner cell's text.
    async fn contact(&self, email: &str) -> Option<(String, String)> {
        let row = self
            .c
            .find(Locator::Css(&format!("tr.contact[data-email='{email}']")))
            .await
            .ok()?;
        let kind = row.attr("data-kind").await.ok()??;
        let cells = row.find_all(Locator::Css("td")).await.ok()?;
        let partner = cells.get(4)?.text().await.ok()?;
        Some((kind, partner))
    }

    async fn signup(&self, account: &str, name: &str, email: &str) {
        self.go("/signup").await;
        self.fill("#account_name", account).await;
        self.fill("#name", name).await;
        self.fill("#email", email).await;
        self.fill("#password", "correct horse battery").await;
        self.click("form button[type=submit]").await;
        self.sees(&format!("Signed in as {name}")).await;
    }

    async fn login(&self, email: &str, password: &str) {
        self.go("/login").await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.click("main form button[type=submit]").await;
    }

    /// Opens the newest link to `path` e-mailed to `to` (read from the `.eml` files the
    /// server writes without an SMTP server), as its reader would.
    async fn open_mailed_link(&self, mail_dir: &Path, to: &str, path: &str) {
        let link = eventually(
            format!("{}: a {path} mail to {to}", self.who),
            WAIT,
            || async { mailed_link(mail_dir, to, path) },
        )
        .await;
        self.go(&link).await;
    }

    /// Confirms `to`'s address with the link of its verification e-mail.
    async fn verify_from_mail(&self, mail_dir: &Path, to: &str) {
        self.open_mailed_link(mail_dir, to, "/verify-email").await;
        self.click("form[action='/verify-email'] button[type=submit]")
            .await;
        self.sees("Your e-mail address is confirmed.").await;
    }

    async fn send_invitation(&self, email: &str) {
        self.go("/settings/account/partners").await;
        self.click("details.send-invitation summary").await;
        self.fill("#invite-email", email).await;
        self.click("#send-invitation").await;
    }
}

/// The path and query of the newest link to `path` in a mail to `to`, if one was written.
fn mailed_link(mail_dir: &Path, to: &str, path: &str) -> Option<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(mail_dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files.iter().rev().find_map(|file| {
        let raw = std::fs::read_to_string(file).ok()?;
        // Undo quoted-printable's soft line breaks and its escaped "=" (the link's only
        // escaped character: a token is plain hex).
        let text = raw
            .replace("=\r\n", "")
            .replace("=\n", "")
            .replace("=3D", "=");
        let to_line = text
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("to:"))?;
        if !to_line.contains(to) {
            return None;
        }
        let start = text.find(&format!("{path}?token="))?;
        let token: String = text[start + path.len() + 7..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect();
        (token.len() == 64).then(|| format!("{path}?token={token}"))
    })
}

fn words_outside(text: &str, allowed: &[&str]) -> Vec<String> {
    let mut rest = text.to_string();
    for a in allowed {
        rest = rest.replace(a, " ");
    }
    rest.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 2)
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partners_walkthrough_in_two_browsers() {
    // Skipped without them, failed under CI.
    if !prerequisites::require_browser(CHROMIUM, DRIVER) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::with_data_dir(dir.path());
    config.listen = "127.0.0.1:0".parse().expect("address");
    config.database_url = Some(format!("sqlite://{}", dir.path().join("e2e.db").display()));
    let running = App::build(config).await.expect("app builds").spawn();
    let base = format!("http://{}", running.addr);

    let driver = start_driver().await;
    let mut clients = Vec::new();
    for name in ["profile-a", "profile-b", "profile-c"] {
        clients.push(browser(&driver, &dir.path().join(name)).await);
    }
    let people = clients.clone();
    // The walk runs in its own task so that the browsers are closed even when it fails.
    let outcome = tokio::spawn(walkthrough(base, dir.path().join("mail"), people)).await;
    for client in clients {
        let _ = client.close().await;
    }
    drop(driver);
    running.stop().await.expect("server stops");
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}

async fn walkthrough(base: String, mail: PathBuf, mut clients: Vec<Client>) {
    let person = |c: Client, who: &'static str| Person {
        c,
        base: base.clone(),
        who,
    };
    let observer = person(clients.pop().expect("third browser"), "ben");
    let b = person(clients.pop().expect("second browser"), "beta");
    let a = person(clients.pop().expect("first browser"), "alpha");

    // Two organizations sign up through the page; each first user is a Billing Administrator.
    // Until they open the link e-mailed to them, a banner asks them to, and partner
    // requests to and from their addresses wait.
    a.signup("Alpha Agency", "Ann Alpha", "ann@alpha.test")
        .await;
    a.sees("Check your mailbox").await;
    a.shot("01-signed-up").await;
    a.verify_from_mail(&mail, "ann@alpha.test").await;
    a.shot("01b-verified").await;
    b.signup("Beta Brands", "Bob Beta", "bob@beta.test").await;
    b.verify_from_mail(&mail, "bob@beta.test").await;

    // Beta adds a second administrator and a manager on the Users tab.
    b.go("/settings/account/users").await;
    for (name, email, profile) in [
        ("Bea Beta", "bea@beta.test", "admin"),
        ("Ben Beta", "ben@beta.test", "manager"),
    ] {
        b.click("details.add-user summary").await;
        b.fill("#new-name", name).await;
        b.fill("#new-email", email).await;
        b.find("#new-profile")
            .await
            .select_by_value(profile)
            .await
            .expect("select profile");
        b.fill("#new-password", "password-of-bea").await;
        b.click("#add-user").await;
        b.sees("The user was added.").await;
        b.sees(email).await;
    }
    b.shot("02-users-tab").await;

    // A non-admin gets a clear 403 page on Settings.
    observer.login("ben@beta.test", "password-of-bea").await;
    observer.sees("Signed in as Ben Beta").await;
    observer.verify_from_mail(&mail, "ben@beta.test").await;
    observer.go("/settings/account/partners").await;
    observer
        .sees("Only an Administrator or a Billing Administrator")
        .await;
    observer.shot("03-forbidden").await;

    // Alpha: Send new partner invitation > Send invitation box > Send.
    a.send_invitation("ben@beta.test").await;
    a.sees("The partner invitation was sent.").await;
    let (status, label, partner) = a.row_status("ben@beta.test").await.expect("row");
    assert_eq!(
        (status.as_str(), label.as_str(), partner.as_str()),
        ("pending", "Pending", "—")
    );
    a.shot("04-invitation-sent").await;

    // Beta sees it arrive, from Alpha, with Accept and Reject and ignore; rejects it.
    b.go("/settings/account/partners").await;
    let (status, _, partner) = b.row_status("ben@beta.test").await.expect("row arrived");
    assert_eq!(
        (status.as_str(), partner.as_str()),
        ("pending", "Alpha Agency")
    );
    b.sees("Ann Alpha").await;
    b.shot("05-invitation-arrived").await;
    b.in_row("ben@beta.test", "button.reject").await;
    b.sees("The partner request was rejected.").await;
    assert_eq!(
        b.row_status("ben@beta.test").await.expect("row").0,
        "rejected"
    );
    b.shot("06-rejected").await;

    // Alpha sees Rejected, and may not send to the same person again.
    a.go("/settings/account/partners").await;
    assert_eq!(
        a.row_status("ben@beta.test").await.expect("row").1,
        "Rejected"
    );
    a.send_invitation("ben@beta.test").await;
    assert!(a.flash_error().await.contains("was rejected"));
    // Its own user is refused with its own message.
    a.send_invitation("ann@alpha.test").await;
    assert!(a.flash_error().await.contains("your own account"));
    a.shot("07-rejection-block").await;

    // Alpha invites Bob, by keyboard only: Enter opens the box, Enter in the field sends.
    // Bea (the second admin of Beta, not the invited person) accepts, in Korean.
    a.go("/settings/account/partners").await;
    a.find("details.send-invitation summary")
        .await
        .send_keys(&Key::Enter.to_string())
        .await
        .expect("keys");
    a.find("details.send-invitation[open]").await;
    a.find("#invite-email")
        .await
        .send_keys(&format!("bob@beta.test{}", Key::Enter))
        .await
        .expect("keys");
    a.sees("The partner invitation was sent.").await;
    b.go("/").await;
    b.click("form[action='/logout'] button").await;
    b.login("bea@beta.test", "password-of-bea").await;
    b.sees("Signed in as Bea Beta").await;
    b.verify_from_mail(&mail, "bea@beta.test").await;
    b.go("/settings/account/partners?lang=ko").await;
    for word in [
        "새 파트너 초대 보내기",
        "대기 중",
        "거부됨",
        "수락",
        "거부 및 무시",
        "파트너",
        "계정 설정",
    ] {
        b.sees(word).await;
    }
    b.click("details.send-invitation summary").await;
    b.sees("초대 보내기").await;
    b.sees("보내기").await;
    b.shot("08-korean-partners-tab").await;
    // Alpha watches its Partners tab meanwhile: a live page (server-sent events), so Bea's
    // answer shows there without a reload (the marker set now survives only if none).
    a.go("/settings/account/partners").await;
    a.c.execute("window.coproofMarker = 'no reload'; return true;", vec![])
        .await
        .expect("script runs");
    b.in_row("bob@beta.test", "button.accept").await;
    b.sees("파트너 요청을 수락했습니다").await;
    let (status, label, partner) = b.row_status("bob@beta.test").await.expect("row");
    assert_eq!(
        (status.as_str(), label.as_str(), partner.as_str()),
        ("accepted", "수락됨", "Alpha Agency")
    );
    b.shot("09-accepted-korean").await;
    let shown = eventually("Alpha's tab shows Beta's answer live", WAIT, || async {
        let row =
            a.c.execute(
                "for (const r of document.querySelectorAll('tr.relationship')) { \
                   const e = r.querySelector('td.email'); \
                   if (e && e.textContent.trim() === 'bob@beta.test') { \
                     const p = r.querySelector('.partner-account'); \
                     return [r.dataset.status, p ? p.textContent.trim() : '']; } } \
                 return null;",
                vec![],
            )
            .await
            .ok()?;
        (row[0] == "accepted").then_some(row)
    })
    .await;
    assert_eq!(shown[1], "Beta Brands");
    let marker =
        a.c.execute("return window.coproofMarker || null;", vec![])
            .await
            .expect("script runs");
    assert_eq!(marker, json!("no reload"), "the page was reloaded");
    a.shot("09b-alpha-live").await;

    // The language is Bea's setting now: the next page is Korean without ?lang.
    b.go("/").await;
    b.sees("Bea Beta(으)로 로그인했습니다").await;

    // Alpha sees the partnership, and now learns Beta's name.
    a.go("/settings/account/partners").await;
    let (status, _, partner) = a.row_status("bob@beta.test").await.expect("row");
    assert_eq!(
        (status.as_str(), partner.as_str()),
        ("accepted", "Beta Brands")
    );
    a.send_invitation("bea@beta.test").await;
    assert!(a.flash_error().await.contains("already a partner"));
    a.shot("10-partners-alpha").await;

    // Partners see each other's users on Contacts, marked with the account and active.
    a.go("/contacts").await;
    for name in ["Bob Beta", "Bea Beta", "Ben Beta", "Ann Alpha"] {
        a.sees(name).await;
    }
    let member = a.contact("bea@beta.test").await.expect("Bea is a contact");
    assert_eq!(member.0, "member");
    assert!(
        member.1.contains("Beta Brands") && member.1.contains("Partnership active"),
        "{member:?}"
    );
    a.shot("10a-contacts-alpha").await;
    a.click("a.company-view").await;
    a.find("table.companies").await;
    a.sees("Beta Brands").await;
    a.sees("Partner account").await;
    a.shot("10a-contacts-by-company").await;
    b.go("/contacts").await;
    b.sees("Ann Alpha").await;
    b.sees("Alpha Agency").await;
    b.shot("10b-contacts-beta-korean").await;

    // Alpha makes a folder, uploads a picture into it, makes a proof of it, and shares
    // the folder with Beta's account and the proof with Bea as reviewer and approver.
    let picture = shots_dir().join("artwork.png");
    std::fs::write(&picture, PNG).expect("write picture");
    let picture = std::fs::canonicalize(&picture).expect("picture path");
    a.go("/").await;
    a.fill("#new-folder-name", "Spring campaign").await;
    a.click("form[action='/folders'] button").await;
    a.sees("The folder is created.").await;
    a.find("#upload-file")
        .await
        .send_keys(&picture.display().to_string())
        .await
        .expect("pick file");
    a.click("form[enctype='multipart/form-data'] button").await;
    a.sees("The file is uploaded.").await;
    a.sees("image/png").await;
    a.find("img.proof-image").await;
    a.fill("#new-proof-name", "Spring poster").await;
    a.click("form.new-proof button").await;
    a.sees("The proof is made.").await;
    let proof_page = a.c.current_url().await.expect("url").path().to_string();
    a.click("details.share-dialog summary").await;
    a.fill("#share-to", "bea@beta.test").await;
    a.find("#share-role")
        .await
        .select_by_value("reviewer_approver")
        .await
        .expect("select role");
    a.click("details.share-dialog form button").await;
    a.sees("Shared.").await;
    a.shot("10c-proof-shared").await;
    a.go("/").await;
    a.click("a[href^='/folders/']").await;
    a.sees("Spring campaign").await;
    a.click("details.share-dialog summary").await;
    a.fill("#share-to", "Beta Brands").await;
    a.click("details.share-dialog form button").await;
    a.sees("Shared.").await;
    a.shot("10d-folder-shared").await;

    // Bea finds both under Shared with me (in Korean), sees the picture and decides.
    b.go("/shared-with-me").await;
    b.sees("Spring campaign").await;
    b.sees("Spring poster").await;
    b.shot("10e-shared-with-me-korean").await;
    b.go(&proof_page).await;
    b.find("img.proof-image").await;
    b.sees("검토자 및 승인자").await;
    b.click("button[value='approved']").await;
    b.sees("결정이 저장되었습니다").await;
    b.sees("승인됨").await;
    b.fill("#comment-body", "로고를 조금 더 크게 해 주세요")
        .await;
    b.click("form[action$='/comments'] button").await;
    b.sees("댓글이 추가되었습니다").await;
    b.shot("10f-proof-decided-korean").await;
    // The Korean proof page and Shared with me: no English left.
    for page in [proof_page.as_str(), "/shared-with-me", "/contacts"] {
        b.go(page).await;
        b.sees("로그아웃").await;
        let body = b.body().await;
        let english = words_outside(
            &body,
            &[
                "Coproof",
                "English",
                "UTC",
                "Spring poster",
                "Spring campaign",
                "Bea Beta",
                "Bob Beta",
                "Ben Beta",
                "Ann Alpha",
                "Alpha Agency",
                "Beta Brands",
                "ann@alpha.test",
                "bob@beta.test",
                "bea@beta.test",
                "ben@beta.test",
                // The file format's name, the same in Korean.
                "CSV",
            ],
        );
        assert!(
            english.is_empty(),
            "English left on Korean {page}: {english:?}\n{body}"
        );
    }
    a.go(&proof_page).await;
    a.sees("Approved").await;
    a.sees("로고를 조금 더 크게 해 주세요").await;
    a.shot("10g-proof-alpha").await;

    // Delete the rejected request from each side: first Beta (gone there, still Rejected
    // for Alpha), then Alpha (gone for both).
    b.go("/settings/account/partners").await;
    b.delete_row("ben@beta.test").await;
    b.sees("삭제했습니다").await;
    assert!(b.row("ben@beta.test").await.is_none());
    a.go("/settings/account/partners").await;
    assert_eq!(
        a.row_status("ben@beta.test").await.expect("row").0,
        "rejected"
    );
    a.delete_row("ben@beta.test").await;
    a.sees("Deleted.").await;
    assert!(a.row("ben@beta.test").await.is_none());
    a.shot("11-deleted-both-sides").await;

    // Remove the partnership from the recipient's side: gone for Beta, Rejected for Alpha.
    b.go("/settings/account/partners").await;
    b.delete_row("bob@beta.test").await;
    b.sees("삭제했습니다").await;
    assert!(b.row("bob@beta.test").await.is_none());
    b.shot("12-partnership-removed-beta").await;
    a.go("/settings/account/partners").await;
    assert_eq!(
        a.row_status("bob@beta.test").await.expect("row").0,
        "rejected"
    );
    a.shot("13-partnership-removed-alpha").await;

    // What was synced stays, marked ended; the shares outlive the partnership.
    a.go("/contacts").await;
    let member = a.contact("bea@beta.test").await.expect("Bea stays");
    assert!(member.1.contains("Partnership ended"), "{member:?}");
    b.go("/shared-with-me").await;
    b.sees("Spring campaign").await;
    b.go(&proof_page).await;
    b.find("img.proof-image").await;
    a.go(&proof_page).await;
    a.click("details.share-dialog summary").await;
    a.sees("Partnership ended").await;
    a.shot("13a-shares-outlive-the-partnership").await;

    // Alpha reads its Partners tab in Korean: the document's words, no English left.
    a.go("/settings/account/partners?lang=ko").await;
    for word in [
        "설정",
        "계정 설정",
        "파트너",
        "새 파트너 초대 보내기",
        "거부됨",
        "보낸 사람",
    ] {
        a.sees(word).await;
    }
    a.click("details.send-invitation summary").await;
    a.click("tr.relationship details.menu summary").await;
    a.sees("삭제").await;
    let body = a.body().await;
    let english = words_outside(
        &body,
        &[
            "Coproof",
            "English",
            "UTC",
            "Ann Alpha",
            "Beta Brands",
            "Alpha Agency",
            "bob@beta.test",
            "ann@alpha.test",
        ],
    );
    assert!(
        english.is_empty(),
        "English left on a Korean page: {english:?}\n{body}"
    );
    a.shot("14-korean-alpha").await;

    // The same page on a phone-sized window still shows every control.
    a.c.set_window_size(390, 844).await.expect("resize");
    a.go("/settings/account/partners?lang=en").await;
    a.click("details.send-invitation summary").await;
    a.find("#send-invitation").await;
    a.shot("15-phone").await;

    // Ben forgot his password: the log-in page's link, the e-mailed reset link, a new one.
    observer.go("/").await;
    observer.click("form[action='/logout'] button").await;
    observer.go("/login").await;
    observer.click("a[href='/forgot-password']").await;
    observer.fill("#email", "ben@beta.test").await;
    observer.click("main form button[type=submit]").await;
    observer
        .sees("a link to set a new password is on its way")
        .await;
    observer.shot("16-forgot").await;
    observer
        .open_mailed_link(&mail, "ben@beta.test", "/reset-password")
        .await;
    observer.fill("#password", "a brand new password").await;
    observer.fill("#confirm", "a brand new password").await;
    observer.click("main form button[type=submit]").await;
    observer.sees("Your new password is set").await;
    observer.login("ben@beta.test", "password-of-bea").await;
    observer
        .sees("The e-mail address or the password is wrong.")
        .await;
    observer
        .login("ben@beta.test", "a brand new password")
        .await;
    observer.sees("Signed in as Ben Beta").await;

    // His profile, in Korean: the address is confirmed.
    observer.go("/settings/profile?lang=ko").await;
    observer.sees("내 프로필").await;
    observer.sees("확인됨").await;
    observer.shot("17-profile-korean").await;

    // He turns on two-factor sign-in: the QR code and its key, a first code from his
    // authenticator app (here an RFC 6238 implementation apart from the server's), then
    // the recovery codes, once.
    observer.go("/settings/profile?lang=en").await;
    observer
        .fill("#start-password", "a brand new password")
        .await;
    observer
        .click("form[action='/settings/profile/two-factor'] button")
        .await;
    observer.find("img.qr").await;
    let key = observer
        .find("code.totp-secret")
        .await
        .text()
        .await
        .expect("the key");
    let app = authenticator(&key);
    let now = unix_now();
    observer.fill("#confirm-code", &app.generate(now)).await;
    observer
        .click("form[action='/settings/profile/two-factor/confirm'] button")
        .await;
    observer.sees("Your recovery codes").await;
    assert_eq!(
        observer
            .c
            .find_all(Locator::Css("ul.recovery-codes li"))
            .await
            .expect("codes")
            .len(),
        10
    );
    observer.shot("18-two-factor-on").await;

    // Signing in now takes a code too.
    observer.click("form[action='/logout'] button").await;
    observer
        .login("ben@beta.test", "a brand new password")
        .await;
    observer
        .sees("enter your password again with the code")
        .await;
    observer.fill("#password", "a brand new password").await;
    observer.fill("#code", &app.generate(now + 30)).await;
    observer.click("main form button[type=submit]").await;
    observer.sees("Signed in as Ben Beta").await;
    observer.shot("19-signed-in-with-a-code").await;
}

/// An authenticator app holding `key` (base32).
fn authenticator(key: &str) -> totp_rs::TOTP {
    let secret = totp_rs::Secret::Encoded(key.trim().to_string())
        .to_bytes()
        .expect("a base32 key");
    totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 0, 30, secret)
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}
