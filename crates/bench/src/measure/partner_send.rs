//! `POST /api/v1/partners`: one sending account per client, sending to addresses of
//! users of other accounts and to addresses with no user yet (half each), every request
//! new (201). Target: p99 < 15 ms at 50 concurrent clients on SQLite.

use crate::data;
use crate::load::drive;
use crate::server::Server;
use crate::{Args, Scale};
use anyhow::bail;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;

pub async fn run(server: &Server, args: &Args) -> anyhow::Result<Value> {
    let (recipients, users_each, total) = match args.scale {
        Scale::Small => (20, 25, 5_000),
        Scale::Full => (200, 50, 25_000),
    };
    eprintln!("building {recipients} recipient accounts with {users_each} users each");
    let admins = data::accounts(server, "Recipient", recipients).await?;
    let known = Arc::new(data::users(&admins, "r", users_each).await?);
    let senders = Arc::new(data::accounts(server, "Sender", args.clients).await?);
    data::vouch_for_everyone(server).await?;
    server.quiet().await?;
    eprintln!("sending {total} partner requests");
    let run = drive(args.clients, total, move |worker, n| {
        let (senders, known) = (senders.clone(), known.clone());
        async move {
            let email = if n % 2 == 0 {
                format!("w{worker}-{n}@nowhere.bench")
            } else {
                // Each sender walks the users from its own offset: never the same one twice.
                known[(worker * 97 + n / 2) % known.len()].clone()
            };
            let (status, body) = senders[worker]
                .call(
                    Method::POST,
                    "/api/v1/partners",
                    Some(&json!({ "email": email })),
                )
                .await?;
            if status != StatusCode::CREATED {
                bail!("sending to {email}: {status} {body}");
            }
            Ok(())
        }
    })
    .await?;
    Ok(run.summary("rps"))
}
