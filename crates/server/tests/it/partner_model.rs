//! Model-based test of partner relationships: proptest generates random sequences of send /
//! accept / reject / delete / add-user / sign-up by random actors (admins, non-admins,
//! users of third accounts); each runs against the real app over HTTP and against the small
//! reference model below, written from `spec/partners.md` (not from `coproof_core`). After
//! every step the status and error code must be the model's, and the Partners lists of the
//! accounts involved must equal the model's.
//!
//! `COPROOF_MODEL_STEPS` (default 10000) sets the steps per backend, `COPROOF_MODEL_SEED`
//! (a number) replays a run; the seed and the minimal failing sequence are printed on failure.

use crate::on_both_backends;
use crate::support::{code, Backend, Client, TestApp};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Requests one account may send per hour in this test (small, so the limit is reached).
const LIMIT: u32 = 12;
const STEPS_PER_CASE: usize = 200;
/// Addresses with no user at the start of a case.
const POOL: usize = 10;

// ---------------------------------------------------------------- operations

#[derive(Debug, Clone, Copy)]
enum Who {
    BillingAdmin,
    Admin,
    NonAdmin,
}

#[derive(Debug, Clone, Copy)]
enum Style {
    Plain,
    Upper,
    Spaced,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Accept,
    Reject,
    Delete,
}

#[derive(Debug, Clone, Copy)]
enum Op {
    /// `to` indexes the case's addresses (pool, then the first users); `None` is malformed.
    Send {
        account: usize,
        who: Who,
        to: Option<usize>,
        style: Style,
    },
    /// `side`: 0–1 the sender's account, 2–3 the recipient's, 4 the account `other`.
    /// `rel` indexes the relationships created so far (those still visible to someone when
    /// `live`); `None` is an id that never existed.
    Act {
        rel: Option<usize>,
        live: bool,
        side: u8,
        other: usize,
        who: Who,
        action: Action,
    },
    AddUser {
        account: usize,
        who: Who,
        address: usize,
        profile: usize,
    },
    SignUp {
        address: usize,
    },
}

const PROFILES: [&str; 4] = ["manager", "admin", "observer", "billing_admin"];

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        4 => Just(Who::BillingAdmin),
        4 => Just(Who::Admin),
        1 => Just(Who::NonAdmin),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let style = prop_oneof![
        3 => Just(Style::Plain),
        1 => Just(Style::Upper),
        1 => Just(Style::Spaced)
    ];
    let action = prop_oneof![
        Just(Action::Accept),
        Just(Action::Reject),
        Just(Action::Delete)
    ];
    prop_oneof![
        36 => (0..8usize, who(), prop::option::weighted(0.97, 0..64usize), style).prop_map(
            |(account, who, to, style)| Op::Send { account, who, to, style }
        ),
        50 => (
            prop::option::weighted(0.97, 0..1000usize),
            prop::bool::weighted(0.8),
            0..5u8,
            0..8usize,
            who(),
            action
        )
            .prop_map(|(rel, live, side, other, who, action)| Op::Act {
                rel,
                live,
                side,
                other,
                who,
                action
            }),
        9 => (0..8usize, who(), 0..POOL, 0..PROFILES.len()).prop_map(
            |(account, who, address, profile)| Op::AddUser { account, who, address, profile }
        ),
        3 => (0..POOL).prop_map(|address| Op::SignUp { address }),
    ]
}

// ---------------------------------------------------------------- the reference model

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum V {
    Pending,
    Accepted,
    Rejected,
    None,
}

impl V {
    fn name(self) -> &'static str {
        match self {
            V::Pending => "pending",
            V::Accepted => "accepted",
            V::Rejected => "rejected",
            V::None => "none",
        }
    }
}

#[derive(Debug, Clone)]
struct Rel {
    id: String,
    sender: usize,
    inviter: Value,
    email: String,
    recipient: Option<usize>,
    s: V,
    r: V,
    accepted_once: bool,
}

struct Account {
    id: String,
    name: String,
    billing_admin: Client,
    admin: Option<Client>,
    non_admin: Option<Client>,
}

impl Account {
    /// The acting client and whether it is an admin; an account without such a user acts
    /// through its billing admin.
    fn actor(&self, who: Who) -> (&Client, bool) {
        match who {
            Who::BillingAdmin => (&self.billing_admin, true),
            Who::Admin => (self.admin.as_ref().unwrap_or(&self.billing_admin), true),
            Who::NonAdmin => match &self.non_admin {
                Some(c) => (c, false),
                None => (&self.billing_admin, true),
            },
        }
    }

    fn account_json(&self) -> Value {
        json!({"id": self.id, "name": self.name})
    }
}

/// An expected refusal: status and code.
type Refused = (u16, &'static str);

struct Model {
    accounts: Vec<Account>,
    /// The account of every user's address.
    owner: HashMap<String, usize>,
    rels: Vec<Rel>,
    sent: Vec<u32>,
    /// The case's addresses: the pool (no user at first), then the first users'.
    addresses: Vec<String>,
}

impl Model {
    fn partners(&self, a: usize, b: usize) -> bool {
        self.rels.iter().any(|r| {
            r.s == V::Accepted
                && r.r == V::Accepted
                && ((r.sender == a && r.recipient == Some(b))
                    || (r.sender == b && r.recipient == Some(a)))
        })
    }

    /// The send rules of the spec, in order; rule 2 (admins only) is checked first, as
    /// every partner route is for admins only.
    fn predict_send(
        &self,
        account: usize,
        admin: bool,
        email: Option<&str>,
    ) -> Result<(), Refused> {
        if !admin {
            return Err((403, "forbidden"));
        }
        let Some(email) = email else {
            return Err((400, "invalid_email"));
        };
        let owner = self.owner.get(email).copied();
        if owner == Some(account) {
            return Err((422, "own_account"));
        }
        if owner.is_some_and(|o| self.partners(account, o)) {
            return Err((409, "already_partners"));
        }
        let to_email = || {
            self.rels
                .iter()
                .filter(move |r| r.sender == account && r.email == email)
        };
        if to_email().any(|r| r.s == V::Pending && r.r == V::Pending) {
            return Err((409, "already_invited"));
        }
        if to_email().any(|r| r.s == V::Rejected || r.r == V::Rejected) {
            return Err((409, "rejected_invitation"));
        }
        if let Some(o) = owner {
            let incoming = self.rels.iter().any(|r| {
                r.sender == o
                    && r.recipient == Some(account)
                    && r.s == V::Pending
                    && r.r == V::Pending
            });
            if incoming {
                return Err((409, "incoming_request_pending"));
            }
        }
        if self.sent[account] >= LIMIT {
            return Err((429, "rate_limited"));
        }
        Ok(())
    }

    /// The side `account` acts on, or not found.
    fn side(&self, rel: &Rel, account: usize) -> Option<bool> {
        if rel.sender == account && rel.s != V::None {
            Some(true)
        } else if rel.recipient == Some(account) && rel.r != V::None {
            Some(false)
        } else {
            None
        }
    }

    /// The transition table of the spec: the new (sender, recipient) views.
    fn predict_act(
        &self,
        account: usize,
        admin: bool,
        rel: Option<usize>,
        action: Action,
    ) -> Result<(V, V), Refused> {
        use V::{Accepted as A, None as N, Pending as P, Rejected as R};
        if !admin {
            return Err((403, "forbidden"));
        }
        let rel = rel.map(|i| &self.rels[i]).ok_or((404, "not_found"))?;
        let by_sender = self.side(rel, account).ok_or((404, "not_found"))?;
        match (rel.s, rel.r, action, by_sender) {
            (P, P, Action::Accept, false) => Ok((A, A)),
            (P, P, Action::Reject, false) => Ok((R, R)),
            (P, P, Action::Delete, true) => Ok((N, N)),
            (P, P, Action::Delete, false) => Ok((R, N)),
            (A, A, Action::Delete, true) => Ok((N, N)),
            (A, A, Action::Delete, false) => Ok((R, N)),
            (R, x, Action::Delete, true) => Ok((N, x)),
            (x, R, Action::Delete, false) => Ok((x, N)),
            _ => Err((409, "invalid_state")),
        }
    }

    fn apply_act(&mut self, i: usize, views: (V, V)) {
        let accepted = views == (V::Accepted, V::Accepted);
        let rel = &mut self.rels[i];
        (rel.s, rel.r) = views;
        if accepted {
            rel.accepted_once = true;
            let (a, b) = (rel.sender, rel.recipient);
            for (j, other) in self.rels.iter_mut().enumerate() {
                let between = (other.sender == a && other.recipient == b)
                    || (Some(other.sender) == b && other.recipient == Some(a));
                if j != i && between && other.s == V::Pending && other.r == V::Pending {
                    (other.s, other.r) = (V::None, V::None);
                }
            }
        }
    }

    /// A user with `email` now exists in `account`: waiting requests attach to it, are
    /// dropped when it is the sender, resolved when the two are partners already.
    fn attach(&mut self, email: &str, account: usize) {
        self.owner.insert(email.to_string(), account);
        for i in 0..self.rels.len() {
            let rel = &self.rels[i];
            if rel.email != email || rel.recipient.is_some() || rel.s == V::None {
                continue;
            }
            if rel.sender == account {
                let rel = &mut self.rels[i];
                (rel.s, rel.r) = (V::None, V::None);
                continue;
            }
            let partners = self.partners(rel.sender, account);
            let rel = &mut self.rels[i];
            rel.recipient = Some(account);
            if partners {
                (rel.s, rel.r) = (V::None, V::None);
            }
        }
    }

    /// What `account`'s Partners tab shows, sorted by id.
    fn list(&self, account: usize) -> Vec<Value> {
        let mut seen: Vec<Value> = self
            .rels
            .iter()
            .filter_map(|rel| {
                let by_sender = self.side(rel, account)?;
                let (direction, status, partner) = if by_sender {
                    let partner = match (rel.accepted_once, rel.recipient) {
                        (true, Some(r)) => self.accounts[r].account_json(),
                        _ => Value::Null,
                    };
                    ("sent", rel.s, partner)
                } else {
                    ("received", rel.r, self.accounts[rel.sender].account_json())
                };
                Some(
                    json!({"id": rel.id, "direction": direction, "status": status.name(),
                    "email": rel.email, "partner_account": partner, "invited_by": rel.inviter}),
                )
            })
            .collect();
        seen.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        seen
    }
}

/// A relationship as the API shows it, without its times, for comparison with the model.
fn comparable(v: &Value) -> Value {
    json!({"id": v["id"], "direction": v["direction"], "status": v["status"],
        "email": v["email"], "partner_account": v["partner_account"],
        "invited_by": v["invited_by"]})
}

// ---------------------------------------------------------------- running a case

macro_rules! check {
    ($cond:expr, $($fmt:tt)*) => {
        if !$cond {
            return Err(TestCaseError::fail(format!($($fmt)*)));
        }
    };
}

/// How often each kind of operation got each answer, over the whole run.
static OUTCOMES: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());

fn expect_status(
    step: usize,
    op: &Op,
    got: StatusCode,
    body: &Value,
    want: Result<u16, Refused>,
) -> Result<(), TestCaseError> {
    let kind = match op {
        Op::Send { .. } => "send".to_string(),
        Op::Act { action, .. } => format!("{action:?}").to_lowercase(),
        Op::AddUser { .. } => "add-user".to_string(),
        Op::SignUp { .. } => "sign-up".to_string(),
    };
    let key = match want {
        Ok(status) => format!("{kind} {status}"),
        Err((status, code)) => format!("{kind} {status} {code}"),
    };
    if let Ok(mut outcomes) = OUTCOMES.lock() {
        *outcomes.entry(key).or_default() += 1;
    }
    match want {
        Ok(status) => check!(
            got.as_u16() == status,
            "step {step} {op:?}: expected {status}, got {got} {body}"
        ),
        Err((status, want_code)) => check!(
            got.as_u16() == status && code(body) == want_code,
            "step {step} {op:?}: expected {status} {want_code}, got {got} {body}"
        ),
    }
    Ok(())
}

static CASE: AtomicUsize = AtomicUsize::new(0);

async fn new_account(app: &TestApp, name: &str, email: &str, extra: Option<&str>) -> Account {
    let billing_admin = app.signup(name, email).await;
    let (admin, non_admin) = match extra {
        Some(domain) => (
            Some(
                app.add_user(&billing_admin, &format!("adm@{domain}"), "admin")
                    .await,
            ),
            Some(
                app.add_user(&billing_admin, &format!("obs@{domain}"), "observer")
                    .await,
            ),
        ),
        None => (None, None),
    };
    Account {
        id: billing_admin.account_id(),
        name: name.to_string(),
        billing_admin,
        admin,
        non_admin,
    }
}

async fn run_case(app: &TestApp, ops: &[Op]) -> Result<(), TestCaseError> {
    let case = CASE.fetch_add(1, Ordering::SeqCst);
    let d = |k: &str| format!("{k}.c{case}.test");
    // A and B have an admin and a non-admin besides the billing admin; C is a third account.
    let accounts = vec![
        new_account(
            app,
            &format!("Alpha {case}"),
            &format!("ba@{}", d("a")),
            Some(&d("a")),
        )
        .await,
        new_account(
            app,
            &format!("Beta {case}"),
            &format!("ba@{}", d("b")),
            Some(&d("b")),
        )
        .await,
        new_account(
            app,
            &format!("Gamma {case}"),
            &format!("ba@{}", d("c")),
            None,
        )
        .await,
    ];
    let mut addresses: Vec<String> = (0..POOL).map(|k| format!("p{k}@{}", d("pool"))).collect();
    let mut owner = HashMap::new();
    for (i, a) in accounts.iter().enumerate() {
        for c in [
            Some(&a.billing_admin),
            a.admin.as_ref(),
            a.non_admin.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            addresses.push(c.email());
            owner.insert(c.email(), i);
        }
    }
    let n_accounts = accounts.len();
    let mut m = Model {
        accounts,
        owner,
        rels: Vec::new(),
        sent: vec![0; n_accounts],
        addresses,
    };
    let anonymous = app.anonymous();

    for (step, op) in ops.iter().enumerate() {
        let mut touched: BTreeSet<usize> = BTreeSet::new();
        match *op {
            Op::Send {
                account,
                who,
                to,
                style,
            } => {
                let account = account % m.accounts.len();
                let (client, admin) = m.accounts[account].actor(who);
                let email = to.map(|k| m.addresses[k % m.addresses.len()].clone());
                let raw = match (&email, style) {
                    (None, _) => "not an address@".to_string(),
                    (Some(e), Style::Plain) => e.clone(),
                    (Some(e), Style::Upper) => e.to_uppercase(),
                    (Some(e), Style::Spaced) => format!("  {e}\t"),
                };
                let want = m.predict_send(account, admin, email.as_deref());
                let (status, body) = client.post("/api/v1/partners", json!({"email": raw})).await;
                expect_status(step, op, status, &body, want.map(|()| 201))?;
                touched.insert(account);
                if let (Ok(()), Some(email)) = (want, email) {
                    let inviter = json!({"id": client.user_id(), "name": client.user["name"],
                        "email": client.email()});
                    let recipient = m.owner.get(&email).copied();
                    let rel = Rel {
                        id: body["id"].as_str().unwrap_or_default().to_string(),
                        sender: account,
                        inviter,
                        email,
                        recipient,
                        s: V::Pending,
                        r: V::Pending,
                        accepted_once: false,
                    };
                    let expected = json!({"id": rel.id, "direction": "sent", "status": "pending",
                        "email": rel.email, "partner_account": null, "invited_by": rel.inviter});
                    check!(
                        comparable(&body) == expected,
                        "step {step} {op:?}: answer {body}, expected {expected}"
                    );
                    touched.extend(recipient);
                    m.sent[account] += 1;
                    m.rels.push(rel);
                }
            }
            Op::Act {
                rel,
                live,
                side,
                other,
                who,
                action,
            } => {
                let visible: Vec<usize> = (0..m.rels.len())
                    .filter(|i| (m.rels[*i].s, m.rels[*i].r) != (V::None, V::None))
                    .collect();
                let index = match rel {
                    Some(i) if live && !visible.is_empty() => Some(visible[i % visible.len()]),
                    Some(i) if !m.rels.is_empty() => Some(i % m.rels.len()),
                    _ => None,
                };
                let account = match index.map(|i| &m.rels[i]) {
                    Some(r) if side <= 1 => r.sender,
                    Some(r) if side <= 3 => r.recipient.unwrap_or(r.sender),
                    _ => other % m.accounts.len(),
                };
                let (client, admin) = m.accounts[account].actor(who);
                let id = match index {
                    Some(i) => m.rels[i].id.clone(),
                    None => "0000000000zzzzzzzzzzzzzzzz".to_string(),
                };
                let want = m.predict_act(account, admin, index, action);
                let (status, body) = match action {
                    Action::Delete => client.delete(&format!("/api/v1/partners/{id}")).await,
                    Action::Accept => {
                        client
                            .post(&format!("/api/v1/partners/{id}/accept"), json!({}))
                            .await
                    }
                    Action::Reject => {
                        client
                            .post(&format!("/api/v1/partners/{id}/reject"), json!({}))
                            .await
                    }
                };
                let success = if action == Action::Delete { 204 } else { 200 };
                expect_status(step, op, status, &body, want.map(|_| success))?;
                touched.insert(account);
                if let (Ok(views), Some(i)) = (want, index) {
                    touched.insert(m.rels[i].sender);
                    touched.extend(m.rels[i].recipient);
                    m.apply_act(i, views);
                    if action != Action::Delete {
                        let expected = m.list(account).into_iter().find(|x| x["id"] == id.as_str());
                        check!(
                            Some(comparable(&body)) == expected,
                            "step {step} {op:?}: answer {body}, expected {expected:?}"
                        );
                    }
                }
            }
            Op::AddUser {
                account,
                who,
                address,
                profile,
            } => {
                let account = account % m.accounts.len();
                let (client, admin) = m.accounts[account].actor(who);
                let email = m.addresses[address].clone();
                let profile = PROFILES[profile];
                // Who really acts: an account without an admin acts through its billing admin.
                let by_plain_admin =
                    matches!(who, Who::Admin) && m.accounts[account].admin.is_some();
                let want = if !admin || (profile == "billing_admin" && by_plain_admin) {
                    Err((403, "forbidden"))
                } else if m.owner.contains_key(&email) {
                    Err((409, "email_taken"))
                } else {
                    Ok(201)
                };
                let (status, body) = client
                    .post(
                        "/api/v1/users",
                        json!({"email": email, "name": format!("N {email}"), "profile": profile}),
                    )
                    .await;
                expect_status(step, op, status, &body, want)?;
                if want.is_ok() {
                    // The model's "a user with the address exists" is a verified user.
                    app.vouch(body["id"].as_str().unwrap_or_default()).await;
                    touched.insert(account);
                    touched.extend(m.rels.iter().filter(|r| r.email == email).map(|r| r.sender));
                    m.attach(&email, account);
                }
            }
            Op::SignUp { address } => {
                let email = m.addresses[address].clone();
                let name = format!("Signed {case}-{step}");
                let want = if m.owner.contains_key(&email) {
                    Err((409, "email_taken"))
                } else {
                    Ok(201)
                };
                let (status, body) = anonymous
                    .post(
                        "/api/v1/signup",
                        json!({"account_name": name, "name": "Founder", "email": email,
                            "password": "correct horse"}),
                    )
                    .await;
                expect_status(step, op, status, &body, want)?;
                if want.is_ok() {
                    let client = Client::signed_in(&app.base, &body);
                    app.vouch(&client.user_id()).await;
                    let index = m.accounts.len();
                    m.accounts.push(Account {
                        id: client.account_id(),
                        name,
                        billing_admin: client,
                        admin: None,
                        non_admin: None,
                    });
                    m.sent.push(0);
                    touched.insert(index);
                    touched.extend(m.rels.iter().filter(|r| r.email == email).map(|r| r.sender));
                    m.attach(&email, index);
                }
            }
        }
        // Every account now and then, and at the end of the case.
        if step % 25 == 24 || step + 1 == ops.len() {
            touched.extend(0..m.accounts.len());
        }
        for account in touched {
            let (status, body) = m.accounts[account]
                .billing_admin
                .get("/api/v1/partners?limit=200")
                .await;
            check!(
                status == StatusCode::OK,
                "step {step}: listing: {status} {body}"
            );
            let mut got: Vec<Value> = body["relationships"]
                .as_array()
                .map(|l| l.iter().map(comparable).collect())
                .unwrap_or_default();
            got.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
            let want = m.list(account);
            check!(
                got == want,
                "step {step} {op:?}: the list of account {account} ({}) is\n{}\nthe model says\n{}",
                m.accounts[account].name,
                serde_json::to_string_pretty(&got).unwrap_or_default(),
                serde_json::to_string_pretty(&want).unwrap_or_default()
            );
        }
    }
    Ok(())
}

async fn partners_follow_the_model(backend: Backend) {
    let steps: usize = std::env::var("COPROOF_MODEL_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let seed: u64 = std::env::var("COPROOF_MODEL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::random::<u64>() >> 1);
    let cases = steps.div_ceil(STEPS_PER_CASE).max(1) as u32;
    let per_case = STEPS_PER_CASE.min(steps.max(1));
    eprintln!(
        "partner model on {backend:?}: {cases} cases of {per_case} steps, COPROOF_MODEL_SEED={seed}"
    );
    let app = Arc::new(TestApp::start_with(backend, |c| c.invite_limit_per_hour = LIMIT).await);
    let handle = tokio::runtime::Handle::current();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut bytes = [0u8; 32];
        for (i, b) in seed.to_le_bytes().iter().cycle().take(32).enumerate() {
            bytes[i] = b.wrapping_add(i as u8);
        }
        let config = Config {
            cases,
            failure_persistence: None,
            max_shrink_iters: 200,
            max_shrink_time: 90_000,
            ..Config::default()
        };
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
        let total = Arc::new(AtomicUsize::new(0));
        let counted = total.clone();
        let result = runner.run(&prop::collection::vec(op(), per_case), move |ops| {
            counted.fetch_add(ops.len(), Ordering::SeqCst);
            handle.block_on(run_case(&app, &ops))
        });
        (result, total.load(Ordering::SeqCst))
    })
    .await
    .expect("the model runner finishes");
    match outcome {
        (Ok(()), total) => {
            assert!(total >= steps, "ran only {total} steps");
            eprintln!("partner model on {backend:?}: {total} steps passed");
            if let Ok(outcomes) = OUTCOMES.lock() {
                for (outcome, n) in outcomes.iter() {
                    eprintln!("  {n:>6}  {outcome}");
                }
            }
        }
        (Err(TestError::Fail(reason, ops)), _) => {
            let listed: Vec<String> = ops
                .iter()
                .enumerate()
                .map(|(i, op)| format!("  step {i}: {op:?}"))
                .collect();
            panic!(
                "the app differs from the model (COPROOF_MODEL_SEED={seed}): {reason}\n\
                 smallest failing sequence found ({} ops; a case stops at its first failing \
                 step):\n{}",
                ops.len(),
                listed.join("\n")
            )
        }
        (Err(e), _) => panic!("model run aborted (COPROOF_MODEL_SEED={seed}): {e}"),
    }
}

on_both_backends!(partners_follow_the_model);
