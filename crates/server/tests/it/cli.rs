//! The `coproof` binary itself: the admin commands, `serve --help`, and `serve` with no
//! configuration stopped by SIGTERM.

use crate::support::envelope::{refused, signup_body};
use crate::support::{
    eventually, process, require_postgres, secs, within, Backend, Client, TestApp,
};
use reqwest::StatusCode;
use serde_json::json;

/// Runs the built `coproof` binary in `dir` with a clean environment.
fn coproof(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = process::command();
    command.args(args).current_dir(dir);
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
        ("--trusted-proxies", "COPROOF_TRUSTED_PROXIES"),
        ("--outbox-retention-days", "COPROOF_OUTBOX_RETENTION_DAYS"),
        ("--metrics-token", "COPROOF_METRICS_TOKEN"),
        ("--hash-queue", "COPROOF_HASH_QUEUE"),
        ("--webhooks-allow-private", "COPROOF_WEBHOOKS_ALLOW_PRIVATE"),
        ("--webhooks-key-file", "COPROOF_WEBHOOKS_KEY_FILE"),
        (
            "--webhooks-retry-max-secs",
            "COPROOF_WEBHOOKS_RETRY_MAX_SECS",
        ),
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
    let mut command = process::command();
    command.arg("serve").current_dir(dir.path());
    // Only the port differs from the defaults, so parallel tests do not collide.
    command.env("COPROOF_LISTEN", port.to_string());
    command.stdout(std::process::Stdio::null());
    command.stderr(std::process::Stdio::null());
    let mut child = command.spawn().expect("coproof serve starts");
    let base = format!("http://{port}");
    let anon = Client::new(&base, None);
    process::ready(&mut child, &base).await;
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
    eventually("an .eml file written", secs(20), || async {
        std::fs::read_dir(data.join("mail")).unwrap().count() > 0
    })
    .await;

    let term = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let stopped = within(secs(20), || {
        let status = child.try_wait().unwrap();
        async move { status }
    })
    .await;
    let Ok(status) = stopped else {
        let _ = child.kill();
        panic!("coproof serve did not stop on SIGTERM");
    };
    assert!(status.success(), "{status:?}");
}

/// `coproof backup` while requests keep writing: the copy opens, passes the contacts check,
/// and holds every request acknowledged before the backup began, and the files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_writes_is_whole() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let app = TestApp::start(Backend::Sqlite).await;
    let ann = app.signup("Agency", "ann@agency.example").await;
    let (status, file) =
        crate::support::items::upload(&app, &ann, "a.pdf", b"%PDF-1.4 a".to_vec(), None).await;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    // A stream of partner requests, each recorded once acknowledged.
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (ann, acknowledged, stop) = (ann.clone(), acknowledged.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) && n < 90 {
                let (status, body) = ann
                    .post(
                        "/api/v1/partners",
                        json!({"email": format!("p{n}@else.example")}),
                    )
                    .await;
                assert_eq!(status, StatusCode::CREATED, "{body}");
                acknowledged
                    .lock()
                    .unwrap()
                    .push(body["id"].as_str().unwrap().to_string());
                n += 1;
            }
        })
    };
    eventually("10 partner requests acknowledged", secs(30), || async {
        acknowledged.lock().unwrap().len() >= 10
    })
    .await;
    let before: Vec<String> = acknowledged.lock().unwrap().clone();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("backup");
    let db = app.config.database_url();
    let files = app.config.files_dir();
    let out = coproof(
        dir.path(),
        &[
            "backup",
            "--database-url",
            &db,
            "--file-store",
            files.to_str().unwrap(),
            target.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success(), "{out:?}");
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();
    // A second backup to the same place is refused.
    let again = coproof(
        dir.path(),
        &["backup", "--database-url", &db, target.to_str().unwrap()],
        &[],
    );
    assert!(!again.status.success());

    let copy = format!("sqlite://{}", target.join("coproof.db").display());
    let check = coproof(
        dir.path(),
        &["check", "contacts", "--database-url", &copy],
        &[],
    );
    assert!(check.status.success(), "{check:?}");
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&copy).await.unwrap();
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM relationships")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    for id in &before {
        assert!(
            ids.contains(id),
            "{id}, acknowledged before the backup, is missing"
        );
    }
    let key: String = sqlx::query_scalar("SELECT storage_key FROM files")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let copied: Vec<_> = walk(&target.join("files"));
    assert!(
        copied.iter().any(|p| p.contains(&key)),
        "the file {key} is in the copy: {copied:?}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.path().is_dir() {
            found.extend(walk(&entry.path()));
        } else {
            found.push(entry.path().display().to_string());
        }
    }
    found
}

/// Makes account Agency with its billing admin ann@agency.example ("correct horse").
fn agency_with_ann(dir: &std::path::Path, url: &str) {
    let made = coproof(
        dir,
        &[
            "account",
            "create",
            "--database-url",
            url,
            "--name",
            "Agency",
            "--email",
            "ann@agency.example",
            "--user-name",
            "Ann",
        ],
        &[("COPROOF_PASSWORD", "correct horse")],
    );
    assert!(made.status.success(), "{made:?}");
}

/// A mail server that accepts connections and never answers (deliveries to it hang): its
/// address, and the task holding the connections (abort it to close them).
async fn hanging_mail_server() -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let hanging = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = hanging.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = hanging.accept().await {
            open.push(socket);
        }
    });
    (addr, held)
}

/// Starts `coproof serve` on `data` with mail to `smtp`; waits until it answers.
async fn serve(data: &std::path::Path, smtp: &str) -> (std::process::Child, String) {
    serve_on(data, None, smtp).await
}

/// [`serve`] on the database at `url` when given.
async fn serve_on(
    data: &std::path::Path,
    url: Option<&str>,
    smtp: &str,
) -> (std::process::Child, String) {
    let mut args = vec!["--smtp-url", smtp, "--mail-retry-max-secs", "1"];
    args.extend(url.map(|u| ["--database-url", u]).into_iter().flatten());
    process::serve(data, &args, &[]).await
}

/// A message of the outbox as the lease tests see it.
#[derive(Debug, sqlx::FromRow)]
struct Lease {
    id: String,
    claimed_by: Option<String>,
    /// The end of its claim's lease (microseconds since the epoch).
    claimed_until: i64,
    sent_at: Option<i64>,
}

/// The outbox of the database at `url`, read over a connection of its own.
async fn leases(url: &str) -> Vec<Lease> {
    use sqlx::Connection;
    const SQL: &str = "SELECT id, claimed_by, claimed_until, sent_at FROM outbox ORDER BY id";
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_as(SQL).fetch_all(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_as(SQL).fetch_all(&mut conn).await.unwrap()
    }
}

/// Waits until the worker of the server on `url` holds claims on unsent messages; those.
/// (Read while the worker lives, each lease end is at most what it will be when the
/// worker dies: the heartbeat only pushes it further.)
async fn held_claims(url: &str) -> Vec<Lease> {
    eventually("the worker holds a claim", secs(30), || async {
        let held: Vec<Lease> = leases(url)
            .await
            .into_iter()
            .filter(|l| l.claimed_by.is_some() && l.sent_at.is_none())
            .collect();
        (!held.is_empty()).then_some(held)
    })
    .await
}

/// Waits until every message is marked sent, then asserts that each of `held` was sent
/// before its lease ran out: its claim was freed (or taken over), not waited out. A bound
/// from the database, two minutes away, not a wall-clock bound a loaded machine can break.
async fn sent_before_the_leases_ran_out(url: &str, held: &[Lease]) {
    let all = eventually("every message marked sent", secs(60), || async {
        let all = leases(url).await;
        all.iter().all(|l| l.sent_at.is_some()).then_some(all)
    })
    .await;
    for claim in held {
        let sent_at = all
            .iter()
            .find(|l| l.id == claim.id)
            .and_then(|l| l.sent_at)
            .expect("sent");
        assert!(
            sent_at < claim.claimed_until,
            "{} was sent {} ms after its lease ran out: the dead process's claim was waited out",
            claim.id,
            (sent_at - claim.claimed_until) / 1000
        );
    }
}

/// `kill -9` while the mail worker holds claimed invitations (its mail server hangs): after
/// a restart, every acknowledged invitation is delivered, once, and the claimed ones before
/// the dead process's two-minute lease would have run out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_claimed_by_a_killed_server_goes_out_promptly_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = format!("sqlite://{}", data.join("coproof.db").display());
    std::fs::create_dir_all(&data).unwrap();
    agency_with_ann(dir.path(), &db);
    let (smtp_addr, held) = hanging_mail_server().await;
    let smtp = format!("smtp://{smtp_addr}");
    let (mut child, base) = serve(&data, &smtp).await;
    let ann = Client::new(&base, None)
        .post(
            "/api/v1/login",
            json!({"email": "ann@agency.example", "password": "correct horse"}),
        )
        .await;
    assert_eq!(ann.0, StatusCode::OK, "{}", ann.1);
    let ann = Client::signed_in(&base, &ann.1);
    let count = 20;
    for n in 0..count {
        let (status, body) = ann
            .post(
                "/api/v1/partners",
                json!({"email": format!("p{n}@else.example")}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // Wait until the worker holds a claim, then kill it without warning.
    let claims = held_claims(&db).await;
    child.kill().unwrap();
    child.wait().unwrap();
    held.abort();

    // The mail server works now, on the same address; coproof starts again.
    let _ = held.await;
    let sink = crate::support::smtp::SmtpSink::start(smtp_addr).await;
    let (mut child, _) = serve(&data, &smtp).await;
    sent_before_the_leases_ran_out(&db, &claims).await;
    let _ = child.kill();
    let _ = child.wait();
    let got = sink.received();
    let mut invited: Vec<String> = got.iter().flat_map(|r| r.to.clone()).collect();
    invited.sort();
    invited.dedup();
    assert_eq!(
        invited.len(),
        count,
        "every invitation, once each: {invited:?}"
    );
}

/// PostgreSQL, two server processes: the one holding claimed invitations is killed (its
/// mail server hangs); the other delivers them once the dead one's heartbeat has gone
/// silent, before the dead one's two-minute lease would have run out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_takes_over_the_mail_of_a_killed_one() {
    if require_postgres().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = crate::support::fresh_database(Backend::Postgres, dir.path()).await;
    agency_with_ann(dir.path(), &url);
    let (hanging_addr, held) = hanging_mail_server().await;
    let (data_a, data_b) = (dir.path().join("a"), dir.path().join("b"));
    let (mut a, base) = serve_on(&data_a, Some(&url), &format!("smtp://{hanging_addr}")).await;
    let login = Client::new(&base, None)
        .post(
            "/api/v1/login",
            json!({"email": "ann@agency.example", "password": "correct horse"}),
        )
        .await;
    assert_eq!(login.0, StatusCode::OK, "{}", login.1);
    let ann = Client::signed_in(&base, &login.1);
    let count = 20;
    for n in 0..count {
        let (status, body) = ann
            .post(
                "/api/v1/partners",
                json!({"email": format!("p{n}@else.example")}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // A's claims, read while A lives (B cannot take them from a live worker).
    let claims = held_claims(&url).await;
    let sink = crate::support::smtp::SmtpSink::start(crate::support::smtp::free_port().await).await;
    let (mut b, _) = serve_on(&data_b, Some(&url), &sink.url()).await;
    a.kill().unwrap();
    a.wait().unwrap();
    let killed = std::time::Instant::now();
    sent_before_the_leases_ran_out(&url, &claims).await;
    let took = killed.elapsed();
    let _ = b.kill();
    let _ = b.wait();
    held.abort();
    let got = sink.received();
    let mut invited: Vec<String> = got.iter().flat_map(|r| r.to.clone()).collect();
    invited.sort();
    invited.dedup();
    assert_eq!(invited.len(), count, "every invitation: {invited:?}");
    eprintln!("PostgreSQL: {count} invitations delivered {took:?} after the kill");
}
