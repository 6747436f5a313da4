//! Building data through the API: accounts (sign-up), their users, in parallel.

use crate::api::Api;
use crate::server::Server;
use coproof_store::{Store, StoreOptions};
use std::future::Future;
use std::sync::Arc;

/// Runs `f(i)` for i in 0..n, `concurrency` at a time, keeping the order of results.
pub async fn parallel<T, F, Fut>(n: usize, concurrency: usize, f: F) -> anyhow::Result<Vec<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<T>> + Send,
{
    let f = Arc::new(f);
    let limit = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let (f, limit) = (f.clone(), limit.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await?;
            f(i).await
        }));
    }
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await??);
    }
    Ok(out)
}

/// `n` new accounts named `{prefix} {i}`, each as its billing admin.
pub async fn accounts(server: &Server, prefix: &str, n: usize) -> anyhow::Result<Vec<Api>> {
    let anonymous = Api::anonymous(&server.http, &server.base);
    let prefix = prefix.to_string();
    parallel(n, 8, move |i| {
        let (anonymous, prefix) = (anonymous.clone(), prefix.clone());
        async move {
            let slug = prefix.to_lowercase().replace(' ', "-");
            anonymous
                .signup(&format!("{prefix} {i}"), &format!("admin@{slug}-{i}.bench"))
                .await
        }
    })
    .await
}

/// Adds `per_account` users (no password) to each account; every address, in order.
pub async fn users(
    admins: &[Api],
    prefix: &str,
    per_account: usize,
) -> anyhow::Result<Vec<String>> {
    let admins = Arc::new(admins.to_vec());
    let prefix = prefix.to_string();
    let count = admins.len() * per_account;
    parallel(count, 32, move |k| {
        let (admins, prefix) = (admins.clone(), prefix.clone());
        async move {
            let (a, u) = (k / per_account, k % per_account);
            let email = format!("{prefix}{u}@acct{a}.{prefix}.bench");
            admins[a].add_user(&email, "manager").await?;
            Ok(email)
        }
    })
    .await
}

/// Marks every address verified, as the operator's `coproof user verify` does: partner
/// requests only attach to verified addresses and only verified admins send them, and the
/// benchmark does not read its own e-mail. Call after building, before any partner
/// request; then waits out the server's identity cache so no request sees the old state.
pub async fn vouch_for_everyone(server: &Server) -> anyhow::Result<()> {
    let store = Store::connect(&StoreOptions::new(server.database_url())).await?;
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE users SET email_verified = 1 WHERE email_verified = 0")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    store.close().await;
    tokio::time::sleep(coproof_store::identities::TTL + std::time::Duration::from_millis(100))
        .await;
    Ok(())
}
