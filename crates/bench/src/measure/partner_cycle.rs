//! A whole partnership per cycle: the sender sends, the recipient's admin accepts, the
//! sender removes the partner (both views `none`, so the next cycle may start). One pair
//! of accounts per client.

use crate::data;
use crate::load::drive;
use crate::server::Server;
use crate::{Args, Scale};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;

pub async fn run(server: &Server, args: &Args) -> anyhow::Result<Value> {
    let total = match args.scale {
        Scale::Small => 1_000,
        Scale::Full => 5_000,
    };
    let senders = Arc::new(data::accounts(server, "Cycler", args.clients).await?);
    let partners = Arc::new(data::accounts(server, "Partner", args.clients).await?);
    let invitees = Arc::new(data::users(&partners, "p", 1).await?);
    data::vouch_for_everyone(server).await?;
    server.quiet().await?;
    eprintln!("running {total} send-accept-delete cycles");
    let run = drive(args.clients, total, move |w, _| {
        let (senders, partners, invitees) = (senders.clone(), partners.clone(), invitees.clone());
        async move {
            let rel = senders[w]
                .expect(
                    Method::POST,
                    "/api/v1/partners",
                    Some(&json!({ "email": invitees[w] })),
                    StatusCode::CREATED,
                )
                .await?;
            let id = rel["id"].as_str().unwrap_or_default();
            partners[w]
                .expect(
                    Method::POST,
                    &format!("/api/v1/partners/{id}/accept"),
                    Some(&json!({})),
                    StatusCode::OK,
                )
                .await?;
            senders[w]
                .expect(
                    Method::DELETE,
                    &format!("/api/v1/partners/{id}"),
                    None,
                    StatusCode::NO_CONTENT,
                )
                .await?;
            Ok(())
        }
    })
    .await?;
    let mut figures = run.summary("cycles_per_s");
    figures["requests_per_cycle"] = json!(3);
    Ok(figures)
}
