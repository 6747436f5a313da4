//! `GET /healthz`: the cost of the HTTP stack alone.

use crate::load::drive;
use crate::server::Server;
use crate::{Args, Scale};
use anyhow::bail;
use serde_json::Value;

pub async fn run(server: &Server, args: &Args) -> anyhow::Result<Value> {
    let total = match args.scale {
        Scale::Small => 20_000,
        Scale::Full => 100_000,
    };
    let (http, url) = (
        server.http.clone(),
        format!("{}/healthz", server.base.first()),
    );
    let run = drive(args.clients, total, move |_, _| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let r = http.get(&url).send().await?;
            if !r.status().is_success() {
                bail!("healthz answered {}", r.status());
            }
            r.bytes().await?;
            Ok(())
        }
    })
    .await?;
    Ok(run.summary("rps"))
}
