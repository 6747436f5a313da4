//! What a test needs from the machine (a PostgreSQL server, an S3 server, Chromium and
//! chromedriver), and the one decision about a missing one: on a developer's machine the
//! test says "skipped" and passes; under CI (`CI` set and not empty) it fails, so that a CI
//! job that lost its database, bucket or browser cannot pass without running the tests.
//!
//! Also included by the `e2e` test binary (`#[path]`): it needs nothing but std.

/// Whether this run is a CI job: `CI` is set and not empty (GitHub Actions, GitLab CI and
/// most others set `CI=true`).
pub fn under_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// A test cannot run because `missing`: panics under CI, else says "skipped" on stderr.
/// `how` tells how to provide it.
#[track_caller]
pub fn missing(missing: &str, how: &str) {
    if let Some(failure) = verdict(under_ci(), missing, how) {
        panic!("{failure}");
    }
    eprintln!("skipped: {missing} ({how})");
}

/// The failure message under CI, `None` where a skip is allowed.
fn verdict(ci: bool, missing: &str, how: &str) -> Option<String> {
    ci.then(|| format!("{missing} and CI is set: the test cannot be skipped ({how})"))
}

/// The PostgreSQL server for tests, e.g. `postgres://postgres@127.0.0.1:5432`, from
/// `COPROOF_TEST_POSTGRES`.
pub fn postgres_server() -> Option<String> {
    std::env::var("COPROOF_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim_end_matches('/').to_string())
}

/// The PostgreSQL server for a PostgreSQL test; `None` (after "skipped") when
/// `COPROOF_TEST_POSTGRES` is not set, which fails the test under CI.
#[track_caller]
pub fn require_postgres() -> Option<String> {
    let server = postgres_server();
    if server.is_none() {
        missing(
            "COPROOF_TEST_POSTGRES is not set",
            "set it to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432, \
             to run the PostgreSQL scenarios",
        );
    }
    server
}

/// The streaming replica of [`postgres_server`] for the read-replica tests, e.g.
/// `postgres://postgres@127.0.0.1:5433` (`.ci/replica` starts it), from
/// `COPROOF_TEST_POSTGRES_REPLICA`; `None` (after "skipped") when not set, which fails the
/// test under CI.
#[track_caller]
pub fn require_replica() -> Option<String> {
    let server = std::env::var("COPROOF_TEST_POSTGRES_REPLICA")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim_end_matches('/').to_string());
    if server.is_none() {
        missing(
            "COPROOF_TEST_POSTGRES_REPLICA is not set",
            "start a replica with `bash .ci/replica` and set it to \
             postgres://postgres@127.0.0.1:5433 to run the read-replica tests",
        );
    }
    server
}

/// The S3-compatible server for the object-storage tests, e.g. `http://127.0.0.1:9000`
/// (`.ci/s3` starts Moto there), from `COPROOF_TEST_S3`.
pub fn s3_server() -> Option<String> {
    std::env::var("COPROOF_TEST_S3")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().trim_end_matches('/').to_string())
}

/// The S3 server for an object-storage test; `None` (after "skipped") when
/// `COPROOF_TEST_S3` is not set, which fails the test under CI, as does a server that does
/// not take a connection.
#[track_caller]
pub fn require_s3() -> Option<String> {
    let how = "start Moto with `bash .ci/s3` and set it to http://127.0.0.1:9000 \
               to run the object-storage tests";
    let Some(server) = s3_server() else {
        missing("COPROOF_TEST_S3 is not set", how);
        return None;
    };
    if !answers(&server) {
        missing(&format!("the S3 server {server} does not answer"), how);
        return None;
    }
    Some(server)
}

/// Whether something takes a TCP connection at `url`'s host and port (`http://host:port`).
fn answers(url: &str) -> bool {
    use std::net::ToSocketAddrs;
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    let authority = if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    authority.to_socket_addrs().is_ok_and(|mut addrs| {
        addrs.any(|addr| {
            std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(2)).is_ok()
        })
    })
}

/// Whether the browser tests can run: `chromium` and `chromedriver` exist; when not, says
/// "skipped", or fails the test under CI.
#[track_caller]
pub fn require_browser(chromium: &str, driver: &str) -> bool {
    let absent: Vec<&str> = [chromium, driver]
        .into_iter()
        .filter(|p| !std::path::Path::new(p).exists())
        .collect();
    if absent.is_empty() {
        return true;
    }
    missing(
        &format!("{} not installed", absent.join(" and ")),
        "apt-get install chromium chromium-driver",
    );
    false
}

#[cfg(test)]
mod tests {
    use super::verdict;

    #[test]
    fn a_missing_prerequisite_fails_only_under_ci() {
        assert_eq!(verdict(false, "no database", "set it"), None);
        let failure = verdict(true, "no database", "set it").expect("a failure under CI");
        assert!(
            failure.contains("no database") && failure.contains("CI"),
            "{failure}"
        );
    }
}
