//! Races: many rounds of simultaneous accept / reject / delete by different admins of both
//! sides. Every answer is a success, 404 or 409 (never a 5xx); competing answers from one
//! side have exactly one winner; the outcome is the outcome of some serial order of the
//! requests; both lists and the audit log agree. On PostgreSQL also across three servers
//! sharing one database: two in this process and a `coproof serve` child process.

use crate::support::partners::{audit_actions, partners, sent};
use crate::support::smtp::free_port;
use crate::support::{code, eventually, require_postgres, secs, Backend, Client, TestApp};
use reqwest::StatusCode;
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Sender,
    Recipient,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    Accept,
    Reject,
    Delete,
}

/// The views of one relationship, as (sender, recipient); "none" where gone.
type Views = (&'static str, &'static str);

/// The spec's table: the answer's status and the new views.
fn table(v: Views, side: Side, act: Act) -> Result<Views, u16> {
    use Act::*;
    use Side::*;
    let mine = if side == Sender { v.0 } else { v.1 };
    if mine == "none" {
        return Err(404);
    }
    match (v.0, v.1, act, side) {
        ("pending", "pending", Accept, Recipient) => Ok(("accepted", "accepted")),
        ("pending", "pending", Reject, Recipient) => Ok(("rejected", "rejected")),
        ("pending", "pending", Delete, Sender) => Ok(("none", "none")),
        ("pending", "pending", Delete, Recipient) => Ok(("rejected", "none")),
        ("accepted", "accepted", Delete, Sender) => Ok(("none", "none")),
        ("accepted", "accepted", Delete, Recipient) => Ok(("rejected", "none")),
        ("rejected", x, Delete, Sender) => Ok(("none", x)),
        (x, "rejected", Delete, Recipient) => Ok((x, "none")),
        _ => Err(409),
    }
}

fn success(act: Act) -> u16 {
    if act == Act::Delete {
        204
    } else {
        200
    }
}

/// Whether some serial order of `ops` from `start` gives exactly the `observed` statuses
/// and the `end` views.
fn serializable(start: Views, ops: &[(Side, Act)], observed: &[u16], end: Views) -> bool {
    fn go(
        views: Views,
        ops: &[(Side, Act)],
        observed: &[u16],
        done: &mut Vec<bool>,
        end: Views,
    ) -> bool {
        if done.iter().all(|d| *d) {
            return views == end;
        }
        for i in 0..ops.len() {
            if done[i] {
                continue;
            }
            let (side, act) = ops[i];
            let (status, next) = match table(views, side, act) {
                Ok(next) => (success(act), next),
                Err(status) => (status, views),
            };
            if status != observed[i] {
                continue;
            }
            done[i] = true;
            if go(next, ops, observed, done, end) {
                return true;
            }
            done[i] = false;
        }
        false
    }
    go(start, ops, observed, &mut vec![false; ops.len()], end)
}

async fn fire(client: &Client, id: &str, act: Act) -> u16 {
    let client = client.clone();
    let id = id.to_string();
    let (status, body) = match act {
        Act::Delete => client.delete(&format!("/api/v1/partners/{id}")).await,
        Act::Accept => {
            client
                .post(&format!("/api/v1/partners/{id}/accept"), json!({}))
                .await
        }
        Act::Reject => {
            client
                .post(&format!("/api/v1/partners/{id}/reject"), json!({}))
                .await
        }
    };
    let status = status.as_u16();
    assert!(
        matches!(status, 200 | 204 | 404 | 409),
        "{act:?} {id}: {status} {body}"
    );
    if status == 409 {
        assert_eq!(code(&body), "invalid_state", "{body}");
    }
    if status == 404 {
        assert_eq!(code(&body), "not_found", "{body}");
    }
    status
}

/// Runs `ops` on `id` at the same time; the statuses in the order of `ops`.
async fn all_at_once(id: &str, ops: &[(Client, Act)]) -> Vec<u16> {
    let tasks: Vec<_> = ops
        .iter()
        .map(|(client, act)| {
            let (client, id, act) = (client.clone(), id.to_string(), *act);
            tokio::spawn(async move { fire(&client, &id, act).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("request task"));
    }
    statuses
}

/// The relationship's status on `client`'s list, or "none".
async fn view_of(client: &Client, id: &str) -> &'static str {
    let list = partners(client).await;
    match list.iter().find(|x| x["id"] == id) {
        None => "none",
        Some(x) => match x["status"].as_str() {
            Some("pending") => "pending",
            Some("accepted") => "accepted",
            Some("rejected") => "rejected",
            other => panic!("unexpected status {other:?}"),
        },
    }
}

/// Admins of both sides, possibly each talking to a different server.
struct Sides {
    s: [Client; 2],
    r: [Client; 2],
}

/// Deletes `id` from both sides until it is gone (404s are fine).
async fn clear(sides: &Sides, id: &str) {
    fire(&sides.s[0], id, Act::Delete).await;
    fire(&sides.r[0], id, Act::Delete).await;
    assert_eq!(view_of(&sides.s[0], id).await, "none");
    assert_eq!(view_of(&sides.r[0], id).await, "none");
}

async fn rounds(sides: &Sides, invitees: &[String; 2], rounds: usize) {
    let (s, r) = (&sides.s, &sides.r);
    for round in 0..rounds {
        let kind = round % 6;
        if kind == 1 {
            // Two pending requests to two users of R, accepted at once by two admins:
            // one partnership; the other request was resolved into it (404).
            let a = sent(&s[round % 2], &invitees[0]).await;
            let b = sent(&s[(round + 1) % 2], &invitees[1]).await;
            let (ta, tb) = (r[0].clone(), r[1].clone());
            let (ia, ib) = (a.clone(), b.clone());
            let one = tokio::spawn(async move { fire(&ta, &ia, Act::Accept).await });
            let two = tokio::spawn(async move { fire(&tb, &ib, Act::Accept).await });
            let got = [one.await.unwrap(), two.await.unwrap()];
            let mut sorted = got;
            sorted.sort_unstable();
            assert_eq!(sorted, [200, 404], "round {round}: {got:?}");
            let (winner, loser) = if got[0] == 200 { (&a, &b) } else { (&b, &a) };
            assert_eq!(view_of(&s[0], winner).await, "accepted");
            assert_eq!(view_of(&r[0], winner).await, "accepted");
            assert_eq!(view_of(&s[1], loser).await, "none");
            assert_eq!(view_of(&r[1], loser).await, "none");
            let log = audit_actions(&s[0]).await;
            let count = |action: &str, id: &str| {
                log.iter()
                    .filter(|(x, rel)| x == action && rel == id)
                    .count()
            };
            assert_eq!(
                (
                    count("accept", winner),
                    count("resolve", loser),
                    count("accept", loser)
                ),
                (1, 1, 0),
                "round {round}"
            );
            clear(sides, winner).await;
            continue;
        }
        let id = sent(&s[round % 2], &invitees[round % 2]).await;
        let mut start: Views = ("pending", "pending");
        if kind == 4 {
            assert_eq!(fire(&r[0], &id, Act::Accept).await, 200);
            start = ("accepted", "accepted");
        }
        if kind == 5 {
            assert_eq!(fire(&r[1], &id, Act::Reject).await, 200);
            start = ("rejected", "rejected");
        }
        use Act::*;
        let ops: Vec<(Side, Act, &Client)> = match kind {
            // Accept and reject by two admins of R, twice each.
            0 => vec![
                (Side::Recipient, Accept, &r[0]),
                (Side::Recipient, Reject, &r[1]),
                (Side::Recipient, Accept, &r[1]),
                (Side::Recipient, Reject, &r[0]),
            ],
            // Delete by two admins of S, and answers from R at the same time.
            2 => vec![
                (Side::Sender, Delete, &s[0]),
                (Side::Sender, Delete, &s[1]),
                (Side::Recipient, Accept, &r[0]),
                (Side::Recipient, Reject, &r[1]),
            ],
            // Delete by two admins of R, an accept, and a delete by S.
            3 => vec![
                (Side::Recipient, Delete, &r[0]),
                (Side::Recipient, Delete, &r[1]),
                (Side::Recipient, Accept, &r[1]),
                (Side::Sender, Delete, &s[0]),
            ],
            // Remove a partner from both sides at once, twice each.
            4 => vec![
                (Side::Sender, Delete, &s[0]),
                (Side::Sender, Delete, &s[1]),
                (Side::Recipient, Delete, &r[0]),
                (Side::Recipient, Delete, &r[1]),
            ],
            // Rejected: both sides delete, twice each, and a late accept.
            _ => vec![
                (Side::Sender, Delete, &s[1]),
                (Side::Recipient, Delete, &r[0]),
                (Side::Recipient, Delete, &r[1]),
                (Side::Sender, Delete, &s[0]),
                (Side::Recipient, Accept, &r[0]),
            ],
        };
        let requests: Vec<(Client, Act)> = ops.iter().map(|(_, a, c)| ((*c).clone(), *a)).collect();
        let got = all_at_once(&id, &requests).await;
        let end: Views = (view_of(&s[0], &id).await, view_of(&r[0], &id).await);
        assert_eq!(end.0, view_of(&s[1], &id).await);
        assert_eq!(end.1, view_of(&r[1], &id).await);
        let plan: Vec<(Side, Act)> = ops.iter().map(|(side, act, _)| (*side, *act)).collect();
        assert!(
            serializable(start, &plan, &got, end),
            "round {round} (kind {kind}): {plan:?} from {start:?} answered {got:?}, ending {end:?}: \
             no serial order gives that"
        );
        // The same action from one side has at most one winner, and a side exactly one where
        // every serial order has one: the sender's deletes (kinds 2–5), the recipient's
        // answers to a pending request (kind 0) and its deletes of a rejected one (kind 5).
        let exactly = |side: Side| match side {
            Side::Sender => kind >= 2,
            Side::Recipient => kind == 0 || kind == 5,
        };
        for side in [Side::Sender, Side::Recipient] {
            let winners = plan
                .iter()
                .zip(&got)
                .filter(|((sd, _), st)| *sd == side && (**st == 200 || **st == 204))
                .count();
            if exactly(side) {
                assert_eq!(winners, 1, "round {round} (kind {kind}) {side:?}: {got:?}");
            }
            // The same action twice from one side never wins twice.
            for act in [Act::Accept, Act::Reject, Act::Delete] {
                let same = plan
                    .iter()
                    .zip(&got)
                    .filter(|((sd, a), st)| {
                        *sd == side && *a == act && (**st == 200 || **st == 204)
                    })
                    .count();
                assert!(
                    same <= 1,
                    "round {round} (kind {kind}) {side:?} {act:?}: {got:?}"
                );
            }
        }
        // The audit log has one entry per winner, besides the send (and the setup step).
        let log = audit_actions(&s[0]).await;
        let entries = log.iter().filter(|(_, rel)| *rel == id).count();
        let winners = got.iter().filter(|st| **st == 200 || **st == 204).count();
        let setup = usize::from(kind == 4 || kind == 5);
        assert_eq!(entries, 1 + setup + winners, "round {round}: {log:?}");
        clear(sides, &id).await;
    }
}

/// Two accounts with two admins each; two invitees in R (users with no password).
async fn setup(app: &TestApp) -> (Sides, [String; 2]) {
    let s0 = app.signup("Sender Studio", "sam@sender.test").await;
    let s1 = app.add_user(&s0, "sue@sender.test", "admin").await;
    let r0 = app.signup("Recipient Print", "rita@recipient.test").await;
    let r1 = app.add_user(&r0, "rob@recipient.test", "admin").await;
    let invitees = [
        "ivy@recipient.test".to_string(),
        "ian@recipient.test".to_string(),
    ];
    for email in &invitees {
        let (status, invitee) = r0
            .post(
                "/api/v1/users",
                json!({"email": email, "name": "Invitee", "profile": "observer"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        app.vouch(invitee["id"].as_str().unwrap()).await;
    }
    (
        Sides {
            s: [s0, s1],
            r: [r0, r1],
        },
        invitees,
    )
}

async fn simultaneous_answers_have_one_winner(backend: Backend) {
    let app = TestApp::start(backend).await;
    let (sides, invitees) = setup(&app).await;
    rounds(&sides, &invitees, 60).await;
}

crate::on_both_backends!(simultaneous_answers_have_one_winner);

/// A `coproof serve` child process on an existing database.
struct ServerProcess {
    child: tokio::process::Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl ServerProcess {
    async fn start(database_url: &str) -> ServerProcess {
        let dir = tempfile::tempdir().expect("temp dir");
        let addr = free_port().await;
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_coproof"))
            .arg("serve")
            .args(["--listen", &addr.to_string()])
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--database-url", database_url])
            .env("RUST_LOG", "warn")
            .kill_on_drop(true)
            .spawn()
            .expect("start coproof serve");
        let base = format!("http://{addr}");
        let http = reqwest::Client::new();
        // (`kill_on_drop`: a server that never came up is ended by the panic.)
        eventually(
            format!("coproof serve comes up on {base}"),
            secs(30),
            || async {
                http.get(format!("{base}/healthz"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            },
        )
        .await;
        ServerProcess {
            child,
            base,
            _dir: dir,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn races_across_servers_sharing_one_postgres_database() {
    if require_postgres().is_none() {
        return;
    }
    let first = TestApp::start(Backend::Postgres).await;
    let second = TestApp::start_sharing(&first).await;
    let mut third = ServerProcess::start(&first.config.database_url()).await;
    let (sides, invitees) = setup(&first).await;
    // Each admin talks to a different server.
    let spread = Sides {
        s: [sides.s[0].via(&second.base), sides.s[1].via(&third.base)],
        r: [sides.r[0].via(&third.base), sides.r[1].via(&first.base)],
    };
    rounds(&spread, &invitees, 60).await;
    let _ = third.child.kill().await;
}
