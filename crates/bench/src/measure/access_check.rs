//! Access to a proof 10 folders below a folder shared with a partner account, read by a
//! user of that partner: `GET /api/v1/proofs/{id}` (the access rule walks the folder path,
//! the shares on every folder above, then loads the proof). Target: p99 ≤ 5 ms at 32
//! concurrent clients with 100,000 items (folders and proofs) in the database.

use crate::api::Api;
use crate::data::{self, parallel};
use crate::load::drive;
use crate::server::Server;
use crate::{Args, Scale};
use anyhow::{bail, Context};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;

/// Levels of folders from the shared top folder down to the proof's folder.
const DEPTH: usize = 10;

pub(super) async fn folder(
    owner: &Api,
    name: &str,
    parent: Option<&str>,
) -> anyhow::Result<String> {
    let body = owner
        .expect(
            Method::POST,
            "/api/v1/folders",
            Some(&json!({"name": name, "parent_id": parent})),
            StatusCode::CREATED,
        )
        .await?;
    body["id"].as_str().map(str::to_string).context("folder id")
}

pub(super) async fn upload(owner: &Api, folder: &str) -> anyhow::Result<String> {
    let form = reqwest::multipart::Form::new()
        .text("folder_id", folder.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.4 bench".to_vec()).file_name("bench.pdf"),
        );
    let mut req = owner
        .http
        .post(format!("{}/api/v1/files", owner.base.pick()))
        .multipart(form);
    if let Some(token) = &owner.token {
        req = req.bearer_auth(token);
    }
    let response = req.send().await?;
    if response.status() != StatusCode::CREATED {
        bail!("upload: {} {}", response.status(), response.text().await?);
    }
    let body: Value = response.json().await?;
    body["id"].as_str().map(str::to_string).context("file id")
}

pub(super) async fn proof(
    owner: &Api,
    file: &str,
    folder: &str,
    name: &str,
) -> anyhow::Result<String> {
    let body = owner
        .expect(
            Method::POST,
            "/api/v1/proofs",
            Some(&json!({"name": name, "file_id": file, "folder_id": folder})),
            StatusCode::CREATED,
        )
        .await?;
    body["id"].as_str().map(str::to_string).context("proof id")
}

pub async fn run(server: &Server, args: &Args) -> anyhow::Result<Value> {
    let (items, total) = match args.scale {
        Scale::Small => (10_000, 5_000),
        Scale::Full => (100_000, 20_000),
    };
    let clients = 32;
    let mut admins = data::accounts(server, "Owner", 1).await?;
    let mut partners = data::accounts(server, "Reader", 1).await?;
    data::vouch_for_everyone(server).await?;
    let (owner, reader) = (Arc::new(admins.remove(0)), Arc::new(partners.remove(0)));
    let rel = owner
        .expect(
            Method::POST,
            "/api/v1/partners",
            Some(&json!({"email": "admin@reader-0.bench"})),
            StatusCode::CREATED,
        )
        .await?;
    let rel = rel["id"].as_str().context("relationship id")?;
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

    // The measured chain: a shared top folder, 10 levels, a proof at the bottom.
    let top = folder(&owner, "Shared top", None).await?;
    owner
        .expect(
            Method::POST,
            &format!("/api/v1/folders/{top}/shares"),
            Some(&json!({"account_id": reader_account})),
            StatusCode::CREATED,
        )
        .await?;
    let mut parent = top.clone();
    for level in 1..=DEPTH {
        parent = folder(&owner, &format!("Level {level}"), Some(&parent)).await?;
    }
    let file = upload(&owner, &parent).await?;
    let target = proof(&owner, &file, &parent, "Deep proof").await?;

    // Filler: chains of 10 folders with a proof at the bottom (11 items per chain), every
    // tenth chain's top shared with the reader's account too, so its shares are many.
    let chains = items / (DEPTH + 1);
    eprintln!(
        "building {chains} chains of {DEPTH} folders and a proof ({} items)",
        chains * (DEPTH + 1)
    );
    let (o, f, acct) = (owner.clone(), file.clone(), reader_account.clone());
    parallel(chains, 16, move |c| {
        let (owner, file, acct) = (o.clone(), f.clone(), acct.clone());
        async move {
            let top = folder(&owner, &format!("Chain {c}"), None).await?;
            if c % 10 == 0 {
                owner
                    .expect(
                        Method::POST,
                        &format!("/api/v1/folders/{top}/shares"),
                        Some(&json!({"account_id": acct})),
                        StatusCode::CREATED,
                    )
                    .await?;
            }
            let mut parent = top;
            for level in 1..DEPTH {
                parent = folder(&owner, &format!("C{c} L{level}"), Some(&parent)).await?;
            }
            proof(&owner, &file, &parent, &format!("Proof {c}")).await?;
            anyhow::Ok(())
        }
    })
    .await?;
    server.quiet().await?;

    let path = Arc::new(format!("/api/v1/proofs/{target}"));
    let read = |clients: usize, total: usize| {
        let (reader, path) = (reader.clone(), path.clone());
        eprintln!("reading the deep proof {total} times with {clients} clients");
        drive(clients, total, move |_, _| {
            let (reader, path) = (reader.clone(), path.clone());
            async move {
                let (status, body) = reader.call(Method::GET, &path, None).await?;
                if status != StatusCode::OK {
                    bail!("GET {path}: {status} {body}");
                }
                Ok(())
            }
        })
    };
    // One client first: the cost of one check with no queueing.
    let single = read(1, total / 10).await?;
    let run = read(clients, total).await?;
    let mut figures = run.summary("rps");
    figures["items"] = json!(chains * (DEPTH + 1) + DEPTH + 2);
    figures["depth"] = json!(DEPTH);
    figures["clients"] = json!(clients);
    figures["one_client"] = single.summary("rps");
    Ok(figures)
}
