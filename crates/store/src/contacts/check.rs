//! `coproof check contacts`: recomputes what every account's synced contacts must be
//! from users, partnerships and their history, and lists every difference.
//!
//! What must be, for an account O:
//! - every user of O, as a `user` row with the user's current name and active state;
//! - for every account P that was ever a partner of O (a relationship between them was
//!   accepted at least once):
//!   - while they are partners: every user of P that P's terms for O show, `active`, with
//!     current name and state; a user P's terms hide may be absent, or there as `ended`
//!     (it was shown before the terms changed);
//!   - once ended (at the time E of the last audit entry that took the pair out of
//!     (accepted, accepted)): every user of P created by E, marked `ended`, possibly
//!     hidden (deleted by hand); when the user has not changed since E its name and state
//!     must still be the current ones; no user of P created after E;
//! - nothing else synced (no member of an account never partnered, no stray kind);
//! - on SQLite, every contact's search text in the search index (`search`).
//!
//! User changes and partner actions are serialized per account (see `sync`), so a
//! user's `created_at`/`updated_at` and the audit time E are in commit order.

use super::search;
use crate::partnership::ACTIVE;
use crate::{col, Backend, Store, StoreResult};
use coproof_core::contact::{name_key, search_text};
use std::collections::{BTreeMap, HashMap};

/// One difference between what is and what must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub account_id: String,
    pub contact_id: String,
    /// The account whose user the contact is (or must be), if any.
    pub of_account: Option<String>,
    pub problem: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "account {} contact {}: {}",
            self.account_id, self.contact_id, self.problem
        )
    }
}

/// What the check went through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub accounts: u64,
    pub contacts: u64,
    pub differences: Vec<Difference>,
}

#[derive(Debug, Clone)]
struct Actual {
    kind: String,
    account_id: Option<String>,
    name: String,
    email: String,
    company: Option<String>,
    partnership: Option<String>,
    active: bool,
    hidden: bool,
    name_key: String,
    search: String,
}

#[derive(Debug, Clone)]
struct UserFacts {
    id: String,
    name: String,
    email: String,
    active: bool,
    created_at: i64,
    updated_at: i64,
}

/// What one row must be: kind, account, company, partnership, whether hidden is allowed,
/// and the values to compare (None: not knowable, the row was frozen before a change).
struct Expected<'a> {
    kind: &'static str,
    account_id: &'a str,
    company: &'a str,
    partnership: Option<&'static str>,
    may_be_hidden: bool,
    user: &'a UserFacts,
    compare_values: bool,
    /// The row may be missing (a user the partner's terms hide).
    optional: bool,
}

/// Checks every account.
pub async fn check(store: &Store) -> StoreResult<Summary> {
    let accounts: Vec<(String, String)> =
        sqlx::query_as("SELECT id, name FROM accounts ORDER BY id")
            .fetch_all(&mut *store.read().await?)
            .await?;
    let names: HashMap<String, String> = accounts.iter().cloned().collect();
    let mut summary = Summary::default();
    let mut users_cache: HashMap<String, std::sync::Arc<Vec<UserFacts>>> = HashMap::new();
    for (account_id, _) in &accounts {
        summary.accounts += 1;
        check_account(store, account_id, &names, &mut users_cache, &mut summary).await?;
        if users_cache.len() > 64 {
            users_cache.clear();
        }
    }
    Ok(summary)
}

/// Checks what accounts `a` and `b` hold of each other (the members each shows of the
/// other): the differences of [`check`] that concern the pair.
pub async fn check_pair(store: &Store, a: &str, b: &str) -> StoreResult<Vec<Difference>> {
    let names: HashMap<String, String> =
        sqlx::query_as("SELECT id, name FROM accounts WHERE id = $1 OR id = $2")
            .bind(a)
            .bind(b)
            .fetch_all(&mut *store.read().await?)
            .await?
            .into_iter()
            .collect();
    let mut summary = Summary::default();
    let mut cache = HashMap::new();
    for owner in [a, b] {
        check_account(store, owner, &names, &mut cache, &mut summary).await?;
    }
    Ok(summary
        .differences
        .into_iter()
        .filter(|d| {
            let other = if d.account_id == a { b } else { a };
            d.of_account.as_deref() == Some(other)
        })
        .collect())
}

async fn users_of(
    store: &Store,
    account_id: &str,
    cache: &mut HashMap<String, std::sync::Arc<Vec<UserFacts>>>,
) -> StoreResult<std::sync::Arc<Vec<UserFacts>>> {
    if let Some(found) = cache.get(account_id) {
        return Ok(found.clone());
    }
    let rows = sqlx::query(
        "SELECT id, name, email, active, created_at, updated_at FROM users WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_all(&mut *store.read().await?)
    .await?;
    let users = rows
        .iter()
        .map(|row| {
            Ok(UserFacts {
                id: col(row, "id")?,
                name: col(row, "name")?,
                email: col(row, "email")?,
                active: col::<i64>(row, "active")? != 0,
                created_at: col(row, "created_at")?,
                updated_at: col(row, "updated_at")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let users = std::sync::Arc::new(users);
    cache.insert(account_id.to_string(), users.clone());
    Ok(users)
}

async fn check_account(
    store: &Store,
    owner: &str,
    names: &HashMap<String, String>,
    cache: &mut HashMap<String, std::sync::Arc<Vec<UserFacts>>>,
    summary: &mut Summary,
) -> StoreResult<()> {
    let rows = sqlx::query(
        "SELECT id, kind, account_id, name, email, company, partnership, active, hidden, \
         name_key, search FROM contacts WHERE owner_account_id = $1",
    )
    .bind(owner)
    .fetch_all(&mut *store.read().await?)
    .await?;
    if store.backend() == Backend::Sqlite {
        for id in search::missing(&mut *store.read().await?, owner).await? {
            summary.differences.push(Difference {
                account_id: owner.to_string(),
                contact_id: id,
                of_account: None,
                problem: "not in the search index".into(),
            });
        }
    }
    let mut actual: BTreeMap<String, Actual> = BTreeMap::new();
    for row in &rows {
        summary.contacts += 1;
        let a = Actual {
            kind: col(row, "kind")?,
            account_id: col(row, "account_id")?,
            name: col(row, "name")?,
            email: col(row, "email")?,
            company: col(row, "company")?,
            partnership: col(row, "partnership")?,
            active: col::<i64>(row, "active")? != 0,
            hidden: col::<i64>(row, "hidden")? != 0,
            name_key: col(row, "name_key")?,
            search: col(row, "search")?,
        };
        let id: String = col(row, "id")?;
        let mut differ = |problem: String| {
            summary.differences.push(Difference {
                account_id: owner.to_string(),
                contact_id: id.clone(),
                of_account: a.account_id.clone(),
                problem,
            })
        };
        if a.name_key != name_key(&a.name)
            || a.search != search_text(&a.name, &a.email, a.company.as_deref())
        {
            differ("sort or search key does not match the name".into());
        }
        if a.kind == "guest" {
            if a.account_id.is_some() || a.partnership.is_some() || a.hidden {
                differ("a guest with synced fields".into());
            }
            continue;
        }
        actual.insert(id, a);
    }

    let mut expected: Vec<Expected> = Vec::new();
    let own_name = names.get(owner).map(String::as_str).unwrap_or_default();
    let own_users = users_of(store, owner, cache).await?;
    for user in own_users.iter() {
        expected.push(Expected {
            kind: "user",
            account_id: owner,
            company: own_name,
            partnership: None,
            may_be_hidden: false,
            user,
            compare_values: true,
            optional: false,
        });
    }

    // Every account ever partnered, whether partners now, and when it last ended.
    let pairs: Vec<(String, i64)> = sqlx::query_as(&format!(
        "SELECT q.partner_id, MAX(q.active_now) FROM ( \
           SELECT recipient_account_id AS partner_id, \
             CASE WHEN {ACTIVE} THEN 1 ELSE 0 END AS active_now \
           FROM relationships WHERE sender_account_id = $1 AND accepted_once = 1 \
             AND recipient_account_id IS NOT NULL \
           UNION ALL \
           SELECT sender_account_id, CASE WHEN {ACTIVE} THEN 1 ELSE 0 END \
           FROM relationships WHERE recipient_account_id = $1 AND accepted_once = 1) q \
         GROUP BY q.partner_id",
    ))
    .bind(owner)
    .fetch_all(&mut *store.read().await?)
    .await?;
    let mut partner_users = Vec::new();
    for (partner, active_now) in &pairs {
        let ended_at = if *active_now > 0 {
            None
        } else {
            let at: Option<i64> = sqlx::query_scalar(
                "SELECT MAX(at) FROM audit_log WHERE \
                 ((sender_account_id = $1 AND recipient_account_id = $2) OR \
                  (sender_account_id = $2 AND recipient_account_id = $1)) \
                 AND sender_view_before = 'accepted' AND recipient_view_before = 'accepted' \
                 AND NOT (sender_view_after = 'accepted' AND recipient_view_after = 'accepted')",
            )
            .bind(owner)
            .bind(partner)
            .fetch_one(&mut *store.read().await?)
            .await?;
            // No record of the end (data older than the audit log): trust every user.
            Some(at.unwrap_or(i64::MAX))
        };
        let mut conn = store.read().await?;
        let terms = crate::partner_terms::of(&mut conn, partner, owner).await?;
        drop(conn);
        partner_users.push((
            partner.clone(),
            ended_at,
            users_of(store, partner, cache).await?,
            terms,
        ));
    }
    for (partner, ended_at, users, terms) in &partner_users {
        let company = names.get(partner).map(String::as_str).unwrap_or_default();
        for user in users.iter() {
            let shown = terms.shows(&user.id);
            match ended_at {
                None if shown => expected.push(Expected {
                    kind: "member",
                    account_id: partner,
                    company,
                    partnership: Some("active"),
                    may_be_hidden: false,
                    user,
                    compare_values: true,
                    optional: false,
                }),
                None => expected.push(Expected {
                    kind: "member",
                    account_id: partner,
                    company,
                    partnership: Some("ended"),
                    may_be_hidden: true,
                    user,
                    compare_values: false,
                    optional: true,
                }),
                Some(end) if user.created_at <= *end => expected.push(Expected {
                    kind: "member",
                    account_id: partner,
                    company,
                    partnership: Some("ended"),
                    may_be_hidden: true,
                    user,
                    compare_values: user.updated_at <= *end,
                    optional: !shown,
                }),
                Some(_) => {}
            }
        }
    }

    for e in &expected {
        let mut differ = |problem: String| {
            summary.differences.push(Difference {
                account_id: owner.to_string(),
                contact_id: e.user.id.clone(),
                of_account: Some(e.account_id.to_string()),
                problem,
            })
        };
        let Some(a) = actual.remove(&e.user.id) else {
            if !e.optional {
                differ(format!("missing {} {}", e.kind, e.user.email));
            }
            continue;
        };
        if a.kind != e.kind || a.account_id.as_deref() != Some(e.account_id) {
            differ(format!(
                "is {} of {:?}, must be {} of {}",
                a.kind, a.account_id, e.kind, e.account_id
            ));
        }
        if a.partnership.as_deref() != e.partnership {
            differ(format!(
                "partnership {:?}, must be {:?}",
                a.partnership, e.partnership
            ));
        }
        if a.hidden && !e.may_be_hidden {
            differ("deleted although synced".into());
        }
        if a.email != e.user.email || a.company.as_deref() != Some(e.company) {
            differ("e-mail or company differs from the user's".into());
        }
        if e.compare_values && (a.name != e.user.name || a.active != e.user.active) {
            differ(format!(
                "name {:?} active {}, must be {:?} active {}",
                a.name, a.active, e.user.name, e.user.active
            ));
        }
    }
    for (id, a) in actual {
        summary.differences.push(Difference {
            account_id: owner.to_string(),
            contact_id: id,
            of_account: a.account_id.clone(),
            problem: format!("{} {} must not be there", a.kind, a.email),
        });
    }
    Ok(())
}
