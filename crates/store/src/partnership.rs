//! "These two accounts are partners now", the one way every query asks it: a relationship
//! row between them that both sides see as accepted (`coproof_core::partner`, the state
//! table). The partial indexes of migration `20261201000002_partnership_indexes.sql` carry the
//! same condition (a test holds them together), so these queries use them.

use crate::StoreResult;

/// The condition on a `relationships` row (columns unqualified) that makes it an active
/// partnership.
pub(crate) const ACTIVE: &str = "sender_view = 'accepted' AND recipient_view = 'accepted'";

/// [`ACTIVE`] for the row aliased `r`.
pub(crate) const ACTIVE_R: &str = "r.sender_view = 'accepted' AND r.recipient_view = 'accepted'";

/// The ids of the accounts that are active partners of the account bound at `$n`
/// (`account` is the placeholder, e.g. `"$1"`), as one column named `partner_id`.
pub(crate) fn partners_of(account: &str) -> String {
    format!(
        "SELECT recipient_account_id AS partner_id FROM relationships \
         WHERE sender_account_id = {account} AND {ACTIVE} \
         UNION SELECT sender_account_id FROM relationships \
         WHERE recipient_account_id = {account} AND {ACTIVE}"
    )
}

/// Whether `a` and `b` are active partners, as `executor` sees the database (inside a
/// transaction, or on a reader).
pub(crate) async fn exists<'e, E>(executor: E, a: &str, b: &str) -> StoreResult<bool>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM relationships WHERE {ACTIVE} AND ( \
         (sender_account_id = $1 AND recipient_account_id = $2) OR \
         (sender_account_id = $2 AND recipient_account_id = $1))"
    ))
    .bind(a)
    .bind(b)
    .fetch_one(executor)
    .await?;
    Ok(n > 0)
}

/// SQL: user `user` of account `account` is one that account `partner` may see on its
/// Contacts under `account`'s terms (no terms, or terms showing all, or the user listed).
/// The arguments are SQL expressions.
pub(crate) fn visible(account: &str, partner: &str, user: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM partner_terms t WHERE t.account_id = {account} \
           AND t.partner_account_id = {partner} AND t.visible_all = 0 \
           AND NOT EXISTS (SELECT 1 FROM partner_visible_users v \
             WHERE v.account_id = t.account_id AND v.partner_account_id = t.partner_account_id \
             AND v.user_id = {user}))"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use coproof_core::partner::View;

    #[test]
    fn the_condition_is_the_state_tables_accepted_on_both_sides() {
        let accepted = View::Accepted.as_str();
        assert_eq!(
            ACTIVE,
            format!("sender_view = '{accepted}' AND recipient_view = '{accepted}'")
        );
        assert_eq!(
            ACTIVE_R,
            format!("r.sender_view = '{accepted}' AND r.recipient_view = '{accepted}'")
        );
    }

    #[test]
    fn the_migration_indexes_the_same_condition() {
        let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect::<String>();
        let squeezed: String = migrations.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(squeezed.contains(&format!("WHERE {ACTIVE}")), "{ACTIVE}");
    }
}
