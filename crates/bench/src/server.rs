//! The server under test: a `coproof serve` child process built from this workspace, on a
//! free loopback port, with its own data dir, stopped when the run ends.

use crate::Args;
use anyhow::{bail, Context};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

pub struct Server {
    pub base: String,
    pub http: reqwest::Client,
    database_url: Option<String>,
    child: Child,
    _dir: tempfile::TempDir,
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
        let port = free_port()?;
        let mut cmd = Command::new(&bin);
        cmd.arg("serve")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(dir.path())
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
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(4 * args.clients)
            .tcp_nodelay(true)
            .build()?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            if Instant::now() > deadline {
                bail!("the server did not become ready at {base}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Server {
            base,
            http,
            database_url: args.database_url.clone(),
            child,
            _dir: dir,
        })
    }

    /// The database the server uses (SQLite in its data dir unless told otherwise).
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!("sqlite://{}", self._dir.path().join("coproof.db").display())
        })
    }

    /// The server's process id (for its memory use).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
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
                .get(format!("{}/metrics", self.base))
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
        let _ = self.child.kill().await;
    }
}
