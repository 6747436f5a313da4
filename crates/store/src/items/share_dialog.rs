//! What the pages' share dialog needs: who may be picked (the account's own users,
//! members of active partners, and active partner accounts by name) and turning what was
//! typed (an e-mail address or a partner account's name) into a share target. Whether the
//! share is allowed is still decided by `shares::create`.

use super::shares::Target;
use crate::model::User;
use crate::{partnership, Store, StoreResult};
use coproof_core::{EmailAddress, Refusal};

/// Names for the dialog's suggestions.
const MOST: i64 = 200;

/// The active partner accounts of `account_id`: (id, name), by name.
async fn partner_accounts(store: &Store, account_id: &str) -> StoreResult<Vec<(String, String)>> {
    Ok(sqlx::query_as(&format!(
        "SELECT a.id, a.name FROM accounts a WHERE a.id IN ({}) ORDER BY a.name, a.id",
        partnership::partners_of("$1")
    ))
    .bind(account_id)
    .fetch_all(&mut *store.read().await?)
    .await?)
}

/// Suggestions: partner account names, then e-mail addresses of people who may be picked.
pub async fn suggestions(store: &Store, actor: &User) -> StoreResult<Vec<String>> {
    let mut names: Vec<String> = partner_accounts(store, &actor.account_id)
        .await?
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    let emails: Vec<String> = sqlx::query_scalar(
        "SELECT c.email FROM contacts c WHERE c.owner_account_id = $1 AND c.hidden = 0 \
         AND c.active = 1 AND (c.kind = 'user' OR (c.kind = 'member' AND c.partnership = 'active')) \
         ORDER BY c.name_key, c.email LIMIT $2",
    )
    .bind(&actor.account_id)
    .bind(MOST)
    .fetch_all(&mut *store.read().await?)
    .await?;
    names.extend(emails);
    Ok(names)
}

/// What was typed in the dialog: an address of the actor's own user or of a member of an
/// active partner, or the name of an active partner account (letter case aside).
/// Anything else is `not_partner`, as for the API.
pub async fn target(store: &Store, actor: &User, typed: &str) -> StoreResult<Target> {
    let typed = typed.trim();
    if typed.contains('@') {
        let email = EmailAddress::parse(typed)?;
        let id: Option<String> = sqlx::query_scalar(
            "SELECT c.id FROM contacts c WHERE c.owner_account_id = $1 AND c.email = $2 \
             AND (c.kind = 'user' OR (c.kind = 'member' AND c.partnership = 'active')) LIMIT 1",
        )
        .bind(&actor.account_id)
        .bind(email.as_str())
        .fetch_optional(&mut *store.read().await?)
        .await?;
        return id.map(Target::User).ok_or(Refusal::NotPartner.into());
    }
    let wanted = typed.to_lowercase();
    partner_accounts(store, &actor.account_id)
        .await?
        .into_iter()
        .find(|(_, name)| name.to_lowercase() == wanted)
        .map(|(id, _)| Target::Account(id))
        .ok_or(Refusal::NotPartner.into())
}
