//! Read replicas against a real streaming replica (`.ci/replica`): `GET`s read from it
//! once it has what their session wrote; a session's own writes are read back at once
//! even while the replica lags; a replica that falls behind more than the lag allowed, or
//! is not there at all, is skipped without the user noticing.
//!
//! The tests pause the replica's replay (`pg_wal_replay_pause()`), which holds it back for
//! every database on it: they take turns.

use crate::support::items::folder;
use crate::support::prerequisites::require_replica;
use crate::support::{eventually, require_postgres, secs, Backend, Client, TestApp};
use futures::FutureExt;
use reqwest::StatusCode;
use sqlx::Connection;
use std::panic::AssertUnwindSafe;

/// How far behind the replica may be in these tests: a loaded machine (the whole suite
/// creating databases beside these tests) keeps a replica a second or two behind.
const MAX_LAG_MS: u64 = 3_000;

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// An app on a fresh PostgreSQL database with the replica of `replica_server` as its read
/// replica; `None` when the servers are not there (skipped; failed under CI).
async fn app_with_replica() -> Option<(TestApp, String)> {
    require_postgres()?;
    let replica_server = require_replica()?;
    let app = TestApp::start_with(Backend::Postgres, |config| {
        let url = config.database_url();
        let database = url.rsplit('/').next().unwrap_or_default().to_string();
        config.database_replica_urls = vec![format!("{replica_server}/{database}")];
        config.database_replica_max_lag_ms = MAX_LAG_MS;
    })
    .await;
    Some((app, replica_server))
}

/// Runs `on` against the replica server's `postgres` database.
async fn on_replica(replica_server: &str, sql: &str) {
    let mut conn = sqlx::PgConnection::connect(&format!("{replica_server}/postgres"))
        .await
        .expect("connect to the replica");
    sqlx::query(sql)
        .execute(&mut conn)
        .await
        .expect("replica statement");
}

/// How far the replica has replayed against the primary's position, for a failure message.
async fn positions(app: &TestApp, replica_server: &str) -> String {
    let ask = |url: String, sql: &'static str| async move {
        match sqlx::PgConnection::connect(&url).await {
            Ok(mut conn) => sqlx::query_scalar::<_, Option<String>>(sql)
                .fetch_one(&mut conn)
                .await
                .map_or_else(|e| e.to_string(), |v| v.unwrap_or_default()),
            Err(e) => e.to_string(),
        }
    };
    let primary = ask(
        app.config.database_url(),
        "SELECT pg_current_wal_lsn()::text",
    )
    .await;
    let replica = ask(
        format!("{replica_server}/postgres"),
        "SELECT pg_last_wal_replay_lsn()::text || ', last replayed commit ' \
         || coalesce((now() - pg_last_xact_replay_timestamp())::text, '?') || ' ago'",
    )
    .await;
    format!("primary at {primary}; replica at {replica}")
}

/// A folder `id` as `client` sees it, and whether the read went to the replica.
async fn read(app: &TestApp, client: &Client, id: &str) -> (StatusCode, bool) {
    let before = app.state().store.replica_reads();
    let (status, _) = client.get(&format!("/api/v1/folders/{id}")).await;
    (status, app.state().store.replica_reads() > before)
}

/// Waits (`what`) until `client` reads folder `id` from the replica; the failure names
/// both servers' WAL positions.
async fn replica_serves(
    what: &str,
    app: &TestApp,
    replica_server: &str,
    client: &Client,
    id: &str,
) {
    eventually(what, secs(60), || async {
        match read(app, client, id).await {
            (StatusCode::OK, true) => Ok(()),
            seen => Err(format!(
                "{seen:?}, {}",
                positions(app, replica_server).await
            )),
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_go_to_a_caught_up_replica_and_each_session_reads_its_own_writes() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some((app, replica_server)) = app_with_replica().await else {
        return;
    };
    let ann = app.signup("Agency", "ann@agency.test").await;
    let other_session = app.login("ann@agency.test", "correct horse").await;

    // Caught up: once the replica has the folder, reads of both sessions are its.
    let one = folder(&ann, "One", None).await;
    replica_serves(
        "the replica serves the folder",
        &app,
        &replica_server,
        &other_session,
        &one,
    )
    .await;
    replica_serves(
        "the writer reads from the replica too",
        &app,
        &replica_server,
        &ann,
        &one,
    )
    .await;

    // Lagging: the replica stops replaying; the writer still reads its new folder (from
    // the primary), another session reads the replica's older state while the lag is
    // allowed, and the primary's once the replica is too far behind.
    let paused = std::time::Instant::now();
    on_replica(&replica_server, "SELECT pg_wal_replay_pause()").await;
    let lagging = AssertUnwindSafe(async {
        let two = folder(&ann, "Two", None).await;
        assert_eq!(
            read(&app, &ann, &two).await,
            (StatusCode::OK, false),
            "the writer reads its write from the primary"
        );
        let (status, on_replica) = read(&app, &other_session, &two).await;
        if paused.elapsed().as_millis() < u128::from(MAX_LAG_MS) / 2 {
            assert_eq!(
                (status, on_replica),
                (StatusCode::NOT_FOUND, true),
                "another session reads the lagging replica"
            );
        }
        eventually("a replica too far behind is skipped", secs(20), || async {
            read(&app, &other_session, &two).await == (StatusCode::OK, false)
        })
        .await;
        // Skipped once it had replayed nothing for about the lag allowed (it stopped a
        // sample or two before the pause was asked for).
        assert!(paused.elapsed().as_millis() >= u128::from(MAX_LAG_MS) * 3 / 4);
        assert_eq!(read(&app, &ann, &one).await, (StatusCode::OK, false));
    })
    .catch_unwind()
    .await;
    on_replica(&replica_server, "SELECT pg_wal_replay_resume()").await;
    if let Err(panic) = lagging {
        std::panic::resume_unwind(panic);
    }
    // Caught up again, it serves reads again.
    replica_serves(
        "the replica serves reads again",
        &app,
        &replica_server,
        &other_session,
        &one,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_that_is_not_there_is_skipped() {
    if require_postgres().is_none() {
        return;
    }
    let app = TestApp::start_with(Backend::Postgres, |config| {
        // Nothing listens on port 1.
        config.database_replica_urls = vec!["postgres://postgres@127.0.0.1:1/none".into()];
    })
    .await;
    let ann = app.signup("Agency", "ann@agency.test").await;
    let one = folder(&ann, "One", None).await;
    for _ in 0..5 {
        assert_eq!(read(&app, &ann, &one).await, (StatusCode::OK, false));
    }
    let (status, body) = ann.get("/api/v1/contacts").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.state().store.replica_reads(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_need_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = coproof_server::Config::with_data_dir(dir.path());
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.database_replica_urls = vec!["postgres://postgres@127.0.0.1:5433/x".into()];
    let refused = coproof_server::App::build(config)
        .await
        .err()
        .expect("refused");
    assert!(refused.to_string().contains("PostgreSQL"), "{refused}");
}
