//! The server under test: `coproof serve` child processes built from this workspace (one,
//! or `--processes N` on one database), each on a free loopback port, sharing one data dir
//! (uploaded files, the webhook key, mail files) as processes behind a load balancer do,
//! stopped when the run ends.

use crate::api::Bases;
use crate::Args;
use anyhow::{bail, Context};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

pub struct Server {
    pub base: Bases,
    pub http: reqwest::Client,
    database_url: Option<String>,
    children: Vec<Child>,
    dir: tempfile::TempDir,
}

/// The `coproof` binary next to this program, (re)built by cargo when run through cargo.
fn server_binary(args: &Args) -> anyhow::Result<PathBuf> {
    if let Some(bin) = &args.server_bin {
        return Ok(bin.clone());
    }
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("the bench binary has a folder")?;
    let bin = dir.join("coproof");
    if let Ok(cargo) = std::env::var("CARGO") {
        let mut build = std::process::Command::new(cargo);
        // Both packages, so that shared dependencies get the features of a workspace build
        // and nothing is rebuilt for the server alone.
        build.args([
            "build",
            "-p",
            "coproof-server",
            "-p",
            "coproof-bench",
            "--bin",
            "coproof",
        ]);
        if dir.ends_with("release") {
            build.arg("--release");
        }
        eprintln!("building the server: {build:?}");
        if !build.status()?.success() {
            bail!("building coproof failed");
        }
    }
    if !bin.exists() {
        bail!(
            "{} not found: run through `cargo run --release -p coproof-bench` or pass --server-bin",
            bin.display()
        );
    }
    Ok(bin)
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

impl Server {
    pub async fn start(args: &Args) -> anyhow::Result<Server> {
        let bin = server_binary(args)?;
        let dir = tempfile::tempdir()?;
        if args.processes > 1 && args.database_url.is_none() {
            bail!("--processes above 1 needs a PostgreSQL --database-url");
        }
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(4 * args.clients)
            .tcp_nodelay(true)
            .build()?;
        let (mut children, mut bases) = (Vec::new(), Vec::new());
        for _ in 0..args.processes.max(1) {
            let port = free_port()?;
            children.push(spawn(&bin, args, dir.path(), port)?);
            let base = format!("http://127.0.0.1:{port}");
            ready(&http, &base).await?;
            bases.push(base);
        }
        Ok(Server {
            base: Bases::new(bases),
            http,
            database_url: args.database_url.clone(),
            children,
            dir,
        })
    }

    /// The database the server uses (SQLite in its data dir unless told otherwise).
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.dir.path().join("coproof.db").display()))
    }

    /// The first server process's id (for its memory use).
    pub fn pid(&self) -> Option<u32> {
        self.children.first().and_then(Child::id)
    }

    /// The data dir the processes share.
    pub fn data_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    pub fn backend(&self) -> &'static str {
        match &self.database_url {
            Some(url) if url.starts_with("postgres") => "postgres",
            _ => "sqlite",
        }
    }

    /// Waits until the server's outbox is empty (mail from building data is out of the way).
    pub async fn quiet(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let text = self
                .http
                .get(format!("{}/metrics", self.base.first()))
                .send()
                .await?
                .text()
                .await?;
            let depth = text
                .lines()
                .find(|l| l.starts_with("coproof_outbox_depth"))
                .and_then(|l| l.split_whitespace().last())
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0);
            if depth == 0.0 {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("the outbox did not drain ({depth} left)");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn stop(mut self) {
        for child in &mut self.children {
            let _ = child.kill().await;
        }
    }
}

/// Starts one `coproof serve` on `port`.
fn spawn(
    bin: &std::path::Path,
    args: &Args,
    dir: &std::path::Path,
    port: u16,
) -> anyhow::Result<Child> {
    let mut cmd = Command::new(bin);
    cmd.arg("serve")
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(dir)
        // The bench sends far more requests per account than people do.
        .args(["--invite-limit-per-hour", "1000000000"])
        // The data builders sign up hundreds of accounts from one address and queue
        // tens of thousands of e-mails in minutes: far past a real server's caps.
        .args(["--signup-limit-per-ip", "1000000000"])
        .args(["--user-add-limit-per-hour", "1000000000"])
        .args(["--share-mail-limit-per-hour", "1000000000"])
        .args(["--mail-limit-per-hour", "1000000000"])
        .args(["--log-format", "json"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    if let Some(url) = &args.database_url {
        cmd.args(["--database-url", url]);
    }
    for replica in &args.database_replica_url {
        cmd.args(["--database-replica-url", replica]);
    }
    cmd.spawn()
        .with_context(|| format!("starting {}", bin.display()))
}

/// Waits until the server at `base` answers `/readyz`.
async fn ready(http: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
            if r.status().is_success() {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            bail!("the server did not become ready at {base}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
