//! Terms (issue 21): a partner that shows a chosen list of 100 of its 2,000 users and caps
//! what it shares (at most approver, no download). Two figures at 32 clients, each measured
//! first without terms and then under them, same data, same run: the partner's Contacts
//! first page (`GET /api/v1/contacts?limit=50`) and the access check of a proof 10 folders
//! below a folder shared with the partner (`GET /api/v1/proofs/{id}`), with one client too.
//! Target: under terms within 20 % of without.

use super::access_check::{folder, proof, upload};
use crate::api::Api;
use crate::data::{self, parallel};
use crate::load::drive;
use crate::server::Server;
use crate::{Args, Scale};
use anyhow::{bail, Context};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;

const USERS: usize = 2_000;
const VISIBLE: usize = 100;
const DEPTH: usize = 10;
const CLIENTS: usize = 32;

/// Drives `GET path` as `who`, `total` times over `clients`.
async fn read(who: &Arc<Api>, path: &str, clients: usize, total: usize) -> anyhow::Result<Value> {
    let (who, path) = (who.clone(), Arc::new(path.to_string()));
    let run = drive(clients, total, move |_, _| {
        let (who, path) = (who.clone(), path.clone());
        async move {
            let (status, body) = who.call(Method::GET, &path, None).await?;
            if status != StatusCode::OK {
                bail!("GET {path}: {status} {body}");
            }
            Ok(())
        }
    })
    .await?;
    let mut figures = run.summary("rps");
    figures["clients"] = json!(clients);
    Ok(figures)
}

/// The three figures of one round.
async fn round(reader: &Arc<Api>, proof: &str, total: usize) -> anyhow::Result<Value> {
    let contacts = read(reader, "/api/v1/contacts?limit=50", CLIENTS, total).await?;
    let path = format!("/api/v1/proofs/{proof}");
    let one_client = read(reader, &path, 1, total / 10).await?;
    let access = read(reader, &path, CLIENTS, total).await?;
    Ok(
        json!({"contacts_first_page": contacts, "access_check": access,
              "access_check_one_client": one_client}),
    )
}

pub async fn run(server: &Server, args: &Args) -> anyhow::Result<Value> {
    let total = match args.scale {
        Scale::Small => 5_000,
        Scale::Full => 20_000,
    };
    let owner = Arc::new(data::accounts(server, "Terms owner", 1).await?.remove(0));
    let reader = Arc::new(data::accounts(server, "Terms reader", 1).await?.remove(0));
    eprintln!("adding {USERS} users to the partner that sets terms");
    let o = owner.clone();
    let ids = parallel(USERS - 1, 32, move |u| {
        let owner = o.clone();
        async move {
            let user = owner
                .add_user(&format!("user{u}@terms-owner.bench"), "manager")
                .await?;
            user["id"].as_str().map(str::to_string).context("user id")
        }
    })
    .await?;
    data::vouch_for_everyone(server).await?;
    let rel = owner
        .expect(
            Method::POST,
            "/api/v1/partners",
            Some(&json!({"email": "admin@terms-reader-0.bench"})),
            StatusCode::CREATED,
        )
        .await?;
    let rel = rel["id"].as_str().context("relationship id")?.to_string();
    reader
        .expect(
            Method::POST,
            &format!("/api/v1/partners/{rel}/accept"),
            Some(&json!({})),
            StatusCode::OK,
        )
        .await?;
    let reader_account = reader
        .expect(Method::GET, "/api/v1/me", None, StatusCode::OK)
        .await?["account"]["id"]
        .as_str()
        .context("reader account")?
        .to_string();
    let top = folder(&owner, "Shared under terms", None).await?;
    owner
        .expect(
            Method::POST,
            &format!("/api/v1/folders/{top}/shares"),
            Some(&json!({"account_id": reader_account})),
            StatusCode::CREATED,
        )
        .await?;
    let mut parent = top;
    for level in 1..=DEPTH {
        parent = folder(&owner, &format!("Level {level}"), Some(&parent)).await?;
    }
    let file = upload(&owner, &parent).await?;
    let target = proof(&owner, &file, &parent, "Proof under terms").await?;
    server.quiet().await?;

    eprintln!("reading without terms");
    let without = round(&reader, &target, total).await?;
    owner
        .expect(
            Method::PUT,
            &format!("/api/v1/partners/{rel}/terms"),
            Some(&json!({"max_proof_role": "approver", "download": false,
                         "visible_users": ids[..VISIBLE]})),
            StatusCode::OK,
        )
        .await?;
    server.quiet().await?;
    eprintln!("reading under terms ({VISIBLE} of {USERS} users visible)");
    let under = round(&reader, &target, total).await?;
    let ratio = |figure: &str, field: &str| {
        let (a, b) = (
            without[figure][field].as_f64(),
            under[figure][field].as_f64(),
        );
        match (a, b) {
            (Some(a), Some(b)) if a > 0.0 => json!((b / a * 1000.0).round() / 1000.0),
            _ => Value::Null,
        }
    };
    Ok(json!({
        "users": USERS,
        "visible": VISIBLE,
        "without_terms": without,
        "under_terms": under,
        "under_over_without": {
            "contacts_first_page_rps": ratio("contacts_first_page", "rps"),
            "contacts_first_page_p99": ratio("contacts_first_page", "p99_ms"),
            "access_check_rps": ratio("access_check", "rps"),
            "access_check_p99": ratio("access_check", "p99_ms"),
            "access_check_one_client_p50": ratio("access_check_one_client", "p50_ms"),
        },
    }))
}
