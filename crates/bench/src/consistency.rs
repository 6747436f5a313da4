//! After a run on several processes (`--processes`): did every scenario stay correct? The
//! contacts check of `coproof check contacts` finds no difference, and each e-mail went out
//! once: every queued message is sent, none was claimed twice, and the mail folder the
//! processes share holds one file per message.

use crate::server::Server;
use anyhow::bail;
use coproof_store::{Store, StoreOptions};
use serde_json::{json, Value};

pub async fn check(server: &Server) -> anyhow::Result<Value> {
    server.quiet().await?;
    let store = Store::connect(&StoreOptions::new(server.database_url())).await?;
    let summary = coproof_store::contacts::check::check(&store).await?;
    let (queued, sent, twice): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), \
           COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0), \
           COALESCE(SUM(CASE WHEN attempts > 1 THEN 1 ELSE 0 END), 0) FROM outbox",
    )
    .fetch_one(&mut *store.read().await?)
    .await?;
    store.close().await;
    let files = std::fs::read_dir(server.data_dir().join("mail"))
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .count()
        })
        .unwrap_or(0);
    let figures = json!({
        "accounts": summary.accounts,
        "contacts": summary.contacts,
        "contacts_differences": summary.differences.len(),
        "mail_queued": queued,
        "mail_sent": sent,
        "mail_claimed_more_than_once": twice,
        "mail_files": files,
    });
    if !summary.differences.is_empty() || queued != sent || twice != 0 || files as i64 != sent {
        bail!("the run left the data inconsistent: {figures}");
    }
    Ok(figures)
}
