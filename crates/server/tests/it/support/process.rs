//! `coproof` as a process of its own, for the tests of the binary and of what must survive a
//! `kill -9`: a clean environment, and `serve` waited for until it answers.

use super::{eventually, secs};
use reqwest::StatusCode;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The built `coproof` binary without the test's own `COPROOF_*` and `AWS_*` variables.
pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_coproof"));
    for (name, _) in std::env::vars() {
        if name.starts_with("COPROOF_") || name.starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    command
}

/// Starts `coproof serve --data-dir data --listen <a free port>` followed by `args`, with
/// `envs` set and its output discarded; waits until it answers. Returns the process and
/// its base URL.
pub async fn serve(data: &Path, args: &[&str], envs: &[(&str, String)]) -> (Child, String) {
    let port = super::smtp::free_port().await;
    let mut command = command();
    command
        .args(["serve", "--data-dir", data.to_str().unwrap()])
        .args(["--listen", &port.to_string()])
        .args(args)
        .envs(envs.iter().map(|(name, value)| (name, value)))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = command.spawn().expect("coproof serve starts");
    let base = format!("http://{port}");
    ready(&mut child, &base).await;
    (child, base)
}

/// Waits until the `coproof serve` of `child` at `base` is ready (it fails if it exits).
pub async fn ready(child: &mut Child, base: &str) {
    eventually("coproof serve gets ready", secs(30), || {
        let exited = child.try_wait().unwrap();
        let readyz = format!("{base}/readyz");
        async move {
            assert!(exited.is_none(), "coproof serve exited: {exited:?}");
            reqwest::get(readyz)
                .await
                .is_ok_and(|r| r.status() == StatusCode::OK)
        }
    })
    .await
}
