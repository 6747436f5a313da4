//! `coproof-bench`: builds data, starts a real `coproof serve` child process on a free
//! loopback port with its own data dir, drives it with concurrent HTTP clients and writes
//! the figures as JSON: `{"scale", "backend", "machine", "results": {name: {...}}}`.
//!
//! `cargo run --release -p coproof-bench -- --scale small|full [--database-url URL] --json PATH`

mod api;
mod consistency;
mod contacts_data;
mod data;
mod load;
mod machine;
mod measure;
mod server;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use serde_json::{json, Map, Value};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scale {
    Small,
    Full,
}

#[derive(Debug, Parser)]
#[command(
    name = "coproof-bench",
    about = "Measure a real coproof server over HTTP"
)]
pub struct Args {
    /// How much data and how many requests.
    #[arg(long, value_enum, default_value = "small")]
    pub scale: Scale,
    /// Database for the server (default: SQLite in a fresh temp dir). A PostgreSQL URL
    /// should name an empty database.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Where to write the results.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Concurrent clients.
    #[arg(long, default_value_t = 50)]
    pub clients: usize,
    /// The `coproof` binary (default: the one next to this program, built if missing).
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
    /// Only these measurements (comma-separated names); default all.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// `coproof serve` processes on the one database (PostgreSQL), requests spread over
    /// them in turn.
    #[arg(long, default_value_t = 1)]
    pub processes: usize,
    /// Read replicas for the server (PostgreSQL; repeatable).
    #[arg(long)]
    pub database_replica_url: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let server = server::Server::start(&args).await?;
    eprintln!(
        "coproof serve at {} on {}",
        server.base.all().join(", "),
        server.backend()
    );
    let mut results = Map::new();
    for m in measure::ALL {
        if !args.only.is_empty() && !args.only.iter().any(|o| o == m.name) {
            continue;
        }
        eprintln!("== {}", m.name);
        let value = (m.run)(&server, &args)
            .await
            .with_context(|| format!("measurement {}", m.name))?;
        eprintln!("{}: {value}", m.name);
        results.insert(m.name.to_string(), value);
    }
    if args.processes > 1 {
        eprintln!("== consistency");
        let value = consistency::check(&server).await?;
        eprintln!("consistency: {value}");
        results.insert("consistency".to_string(), value);
    }
    let report = json!({
        "scale": match args.scale { Scale::Small => "small", Scale::Full => "full" },
        "backend": server.backend(),
        "clients": args.clients,
        "processes": args.processes.max(1),
        "replicas": args.database_replica_url.len(),
        "machine": machine::describe(),
        "results": Value::Object(results),
    });
    let text = serde_json::to_string_pretty(&report)?;
    match &args.json {
        Some(path) => {
            std::fs::write(path, format!("{text}\n"))
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("results written to {}", path.display());
        }
        None => println!("{text}"),
    }
    server.stop().await;
    Ok(())
}
