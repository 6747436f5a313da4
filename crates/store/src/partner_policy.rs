//! Each account's partner policy (`coproof_core::policy`): read where a request arrives,
//! changed by the account's admins. An account that never changed it has no row and the
//! defaults.

use crate::model::User;
use crate::{col, now_micros, Store, StoreError, StoreResult};
use coproof_core::partner;
use coproof_core::policy::{Incoming, PartnerPolicy};

/// The columns [`from_columns`] reads, aliased `policy_*` so a query can join them in.
pub(crate) const POLICY_COLUMNS: &str = "p.incoming AS policy_incoming, \
     p.allowed_domains AS policy_allowed, p.blocked_domains AS policy_blocked, \
     p.auto_accept_domains AS policy_auto_accept, p.request_lifetime_days AS policy_lifetime";

/// The policy in a row that LEFT JOINed `partner_policies p` with [`POLICY_COLUMNS`]; the
/// defaults where the join found none.
pub(crate) fn from_columns(row: &sqlx::any::AnyRow) -> StoreResult<PartnerPolicy> {
    let Some(incoming) = col::<Option<String>>(row, "policy_incoming")? else {
        return Ok(PartnerPolicy::default());
    };
    let list = |name: &str| -> StoreResult<Vec<String>> {
        Ok(col::<String>(row, name)?
            .split(' ')
            .filter(|d| !d.is_empty())
            .map(str::to_string)
            .collect())
    };
    let corrupt = |what: String| StoreError::Corrupt(format!("partner policy: {what}"));
    Ok(PartnerPolicy {
        incoming: Incoming::parse(&incoming).ok_or_else(|| corrupt(incoming.clone()))?,
        allowed_domains: list("policy_allowed")?,
        blocked_domains: list("policy_blocked")?,
        auto_accept_domains: list("policy_auto_accept")?,
        request_lifetime_days: u32::try_from(col::<i64>(row, "policy_lifetime")?)
            .map_err(|e| corrupt(e.to_string()))?,
    })
}

/// The policy of `account_id`.
pub(crate) async fn of<'e, E>(executor: E, account_id: &str) -> StoreResult<PartnerPolicy>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(&format!(
        "SELECT {POLICY_COLUMNS} FROM (SELECT 1 AS one) base \
         LEFT JOIN partner_policies p ON p.account_id = $1"
    ))
    .bind(account_id)
    .fetch_one(executor)
    .await?;
    from_columns(&row)
}

/// The actor's account's policy (admins only, like the rest of the Partners tab).
pub async fn get(store: &Store, actor: &User) -> StoreResult<PartnerPolicy> {
    partner::check_manage(actor.profile)?;
    of(&mut *store.read().await?, &actor.account_id).await
}

/// Replaces the actor's account's policy. It applies to requests that arrive from now on
/// (and to the expiry of those); requests already waiting keep what they were given.
pub async fn put(store: &Store, actor: &User, policy: PartnerPolicy) -> StoreResult<PartnerPolicy> {
    partner::check_manage(actor.profile)?;
    let (s, account) = (store.clone(), actor.account_id.clone());
    store
        .write(move || {
            let (s, account, policy) = (s.clone(), account.clone(), policy.clone());
            async move {
                let mut tx = s.begin().await?;
                sqlx::query(
                    "INSERT INTO partner_policies (account_id, incoming, allowed_domains, \
                     blocked_domains, auto_accept_domains, request_lifetime_days, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (account_id) DO UPDATE SET incoming = excluded.incoming, \
                     allowed_domains = excluded.allowed_domains, \
                     blocked_domains = excluded.blocked_domains, \
                     auto_accept_domains = excluded.auto_accept_domains, \
                     request_lifetime_days = excluded.request_lifetime_days, \
                     updated_at = excluded.updated_at",
                )
                .bind(&account)
                .bind(policy.incoming.as_str())
                .bind(policy.allowed_domains.join(" "))
                .bind(policy.blocked_domains.join(" "))
                .bind(policy.auto_accept_domains.join(" "))
                .bind(i64::from(policy.request_lifetime_days))
                .bind(now_micros())
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(policy)
            }
        })
        .await
}
