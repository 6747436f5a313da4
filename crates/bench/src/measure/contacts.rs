//! Contacts at agency scale (issue 4): the page straight from the database (the floor),
//! the first page, a deep page and searches over HTTP at 32 clients, a user joining the
//! agency (fan-out to every partner), a large acceptance, and the server's peak memory.

use crate::api::Api;
use crate::contacts_data::{self, Data};
use crate::load::drive;
use crate::server::Server;
use crate::{Args, Scale};
use anyhow::{bail, Context};
use coproof_store::contacts::{self, Filter};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The figure of concurrency for reading the page.
const CLIENTS: usize = 32;

fn reads(args: &Args) -> usize {
    match args.scale {
        Scale::Small => 5_000,
        Scale::Full => 20_000,
    }
}

async fn page(api: &Api, path: &str) -> anyhow::Result<Value> {
    api.expect(Method::GET, path, None, StatusCode::OK).await
}

/// Drives GET `paths[n % len]` as the agency admin.
async fn read_load(data: &'static Data, total: usize, paths: Vec<String>) -> anyhow::Result<Value> {
    let paths = Arc::new(paths);
    let run = drive(CLIENTS, total, move |w, n| {
        let paths = paths.clone();
        async move {
            let path = &paths[(w * 7919 + n) % paths.len()];
            if !data.agency.page_has_contacts(path).await? {
                bail!("{path} answered no contacts");
            }
            Ok(())
        }
    })
    .await?;
    let mut figures = run.summary("rps");
    figures["clients"] = json!(CLIENTS);
    Ok(figures)
}

pub async fn raw_sql(server: &Server, args: &Args) -> anyhow::Result<Value> {
    let data = contacts_data::get(server, args).await?;
    let mut latencies = Vec::new();
    let total = 2_000;
    let started = Instant::now();
    for _ in 0..total {
        let t = Instant::now();
        let found = contacts::list(
            &data.store,
            &data.agency_admin,
            &Filter::default(),
            None,
            50,
        )
        .await?;
        latencies.push(t.elapsed());
        if found.len() != 50 {
            bail!("the first page has {} contacts", found.len());
        }
    }
    let run = crate::load::Run {
        latencies,
        wall: started.elapsed(),
    };
    let mut figures = run.summary("pages_per_s");
    figures["note"] = json!("the first page of 50 through the store, one at a time, no HTTP");
    figures["contacts_of_agency"] = json!(agency_count(data).await?);
    figures["data_build_seconds"] = json!(data.build_seconds);
    Ok(figures)
}

async fn agency_count(data: &Data) -> anyhow::Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM contacts WHERE owner_account_id = $1")
            .bind(&data.agency_id)
            .fetch_one(&mut *data.store.read().await?)
            .await?,
    )
}

pub async fn first_page(server: &Server, args: &Args) -> anyhow::Result<Value> {
    let data = contacts_data::get(server, args).await?;
    read_load(data, reads(args), vec!["/api/v1/contacts?limit=50".into()]).await
}

pub async fn deep_page(server: &Server, args: &Args) -> anyhow::Result<Value> {
    let data = contacts_data::get(server, args).await?;
    // Walk to the back half of the list by cursor, keeping cursors along the way.
    let total = agency_count(data).await? as usize;
    let mut cursors = Vec::new();
    let mut cursor = String::new();
    let mut seen = 0;
    while seen < total * 3 / 4 {
        let body = page(
            &data.agency,
            &format!("/api/v1/contacts?limit=200&cursor={cursor}"),
        )
        .await?;
        seen += body["contacts"].as_array().map_or(0, Vec::len);
        match body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
        if seen >= total / 2 {
            cursors.push(format!("/api/v1/contacts?limit=50&cursor={cursor}"));
        }
    }
    if cursors.is_empty() {
        bail!("no deep cursor found");
    }
    let mut figures = read_load(data, reads(args), cursors).await?;
    figures["depth"] = json!(format!("rows {}..{} of {total}", total / 2, total * 3 / 4));
    Ok(figures)
}

pub async fn search(server: &Server, args: &Args) -> anyhow::Result<Value> {
    let data = contacts_data::get(server, args).await?;
    // A first name, a last name, a Korean name, the start of partner companies ("partner
    // 17": Partner 17, 170–179 and 1700–1799, 2,775 members), a domain fragment (25
    // matches) and a full address.
    let terms = [
        "hugo",
        "GARCÍA",
        "%EB%AF%BC%EC%A7%80",
        "partner%2017",
        "partner3.bench",
        "u7%40partner5.bench",
    ];
    let paths = terms
        .iter()
        .map(|q| format!("/api/v1/contacts?limit=50&q={q}"))
        .collect();
    let mut figures = read_load(data, reads(args), paths).await?;
    figures["terms"] = json!(terms);
    Ok(figures)
}

/// A user added to the agency: the request, and how soon it is on every partner's page.
pub async fn user_join_fanout(server: &Server, args: &Args) -> anyhow::Result<Value> {
    let data = contacts_data::get(server, args).await?;
    let total = match args.scale {
        Scale::Small => 100,
        Scale::Full => 200,
    };
    let mut latencies = Vec::new();
    let mut visible = Vec::new();
    let started = Instant::now();
    for n in 0..total {
        let email = format!("joiner{n}@agency.bench");
        let t = Instant::now();
        let user = data.agency.add_user(&email, "manager").await?;
        latencies.push(t.elapsed());
        // Every 10th: wait until the database holds it for all partners and the sampled
        // partners' pages show it over HTTP. The pages are asked only once every row is
        // there: 50 searches per look would take a core from the server being measured.
        if n % 10 == 0 {
            let id = user["id"].as_str().unwrap_or_default().to_string();
            loop {
                let rows: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM contacts WHERE id = $1 AND kind = 'member'",
                )
                .bind(&id)
                .fetch_one(&mut *data.store.read().await?)
                .await?;
                if rows as usize == data.partner_ids.len()
                    && on_every_page(&data.partner_admins, &email).await?
                {
                    break;
                }
                if t.elapsed() > Duration::from_secs(30) {
                    bail!("{email} not visible after 30 s ({rows} partner rows)");
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            visible.push(t.elapsed());
        }
    }
    let run = crate::load::Run {
        latencies,
        wall: started.elapsed(),
    };
    let mut figures = run.summary("users_per_s");
    let summary = figures.clone();
    figures["request_p50_ms"] = summary["p50_ms"].clone();
    figures["request_p99_ms"] = summary["p99_ms"].clone();
    visible.sort_unstable();
    figures["visible_ms"] = json!(visible.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0));
    figures["partners"] = json!(data.partner_ids.len());
    figures["note"] = json!(format!(
        "one client, sequential; visible_ms = worst of {} checks: request sent until every \
         partner holds its row and then {} sampled partner pages (HTTP search) show the user",
        visible.len(),
        data.partner_admins.len()
    ));
    Ok(figures)
}

/// Whether a search for `email` finds it on the Contacts page of every one of `admins`.
async fn on_every_page(admins: &[Api], email: &str) -> anyhow::Result<bool> {
    let path = format!("/api/v1/contacts?q={}", email.replace('@', "%40"));
    for admin in admins {
        let body = page(admin, &path).await?;
        if body["contacts"].as_array().is_none_or(|c| c.is_empty()) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Two accounts of many users become partners: from the accept request until both pages
/// hold every member.
pub async fn accept_large(server: &Server, args: &Args) -> anyhow::Result<Value> {
    let data = contacts_data::get(server, args).await?;
    let (a, b, b_email) = &data.large;
    let rel = a
        .expect(
            Method::POST,
            "/api/v1/partners",
            Some(&json!({ "email": b_email })),
            StatusCode::CREATED,
        )
        .await?;
    let id = rel["id"].as_str().context("relationship id")?;
    let t = Instant::now();
    b.expect(
        Method::POST,
        &format!("/api/v1/partners/{id}/accept"),
        Some(&json!({})),
        StatusCode::OK,
    )
    .await?;
    let accept_ms = t.elapsed().as_secs_f64() * 1000.0;
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE account_id = $1")
        .bind(&data.large_ids.0)
        .fetch_one(&mut *data.store.read().await?)
        .await?;
    for (api, other) in [(a, &data.large_ids.1), (b, &data.large_ids.0)] {
        loop {
            let owner = if other == &data.large_ids.0 {
                &data.large_ids.1
            } else {
                &data.large_ids.0
            };
            let rows: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM contacts WHERE owner_account_id = $1 AND account_id = $2 \
                 AND partnership = 'active'",
            )
            .bind(owner)
            .bind(other)
            .fetch_one(&mut *data.store.read().await?)
            .await?;
            let body = page(api, "/api/v1/contacts?kind=member&limit=1").await?;
            if rows == users && body["contacts"].as_array().is_some_and(|c| !c.is_empty()) {
                break;
            }
            if t.elapsed() > Duration::from_secs(60) {
                bail!("members not all there after 60 s ({rows} of {users})");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    Ok(json!({
        "visible_ms": (t.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
        "accept_request_ms": (accept_ms * 1000.0).round() / 1000.0,
        "users_per_side": users,
    }))
}

/// The server's peak resident memory so far (VmHWM), in MB. It counts the pages of the
/// database file the server has read through its memory map: they belong to the operating
/// system's file cache and are shared, see `private_rss`.
pub async fn peak_rss(server: &Server, _args: &Args) -> anyhow::Result<Value> {
    status_mb(server, "VmHWM:")
}

/// The server's own memory now (RssAnon: heap and stacks, no file pages), in MB.
pub async fn private_rss(server: &Server, _args: &Args) -> anyhow::Result<Value> {
    status_mb(server, "RssAnon:")
}

fn status_mb(server: &Server, field: &str) -> anyhow::Result<Value> {
    let pid = server.pid().context("server pid")?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("{field} in /proc/{pid}/status"))?;
    Ok(json!((kb / 1024.0 * 10.0).round() / 10.0))
}
