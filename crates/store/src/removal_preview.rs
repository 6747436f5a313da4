//! What removing a partner would leave and what it would stop (`spec/api.md`, "Partner
//! connections": `GET /partners/{id}/removal-preview`), for the "remove partner"
//! confirmation. A read: it changes nothing.
//!
//! Removing a partner changes no share (`spec/partners.md`, "Sharing"), marks each side's
//! synced member rows `ended` (they stay, frozen) and stops new shares. So the preview lists
//! the shares both ways (they stay), the members synced into each other's Contacts (they stop
//! following changes), and the open proofs owned by either account with an approver of the
//! other one (their decisions still count after the removal).
//!
//! Each list is one set-based query bounded by [`LISTED`] rows, its total counted by a
//! window (`COUNT(*) OVER ()`) in the same statement; the same SQL on both backends.

use crate::model::{Account, Seen, User};
use crate::{col, partners, Store, StoreError, StoreResult};
use coproof_core::partner::View;
use coproof_core::sharing::{overall_status, Decision, ItemKind, ProofRole};
use coproof_core::Refusal;
use sqlx::any::AnyRow;
use std::sync::LazyLock;

/// At most this many entries of each list.
pub const LISTED: i64 = 50;

/// A total and up to [`LISTED`] of its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<T> {
    pub count: i64,
    pub items: Vec<T>,
}

/// Which of the two accounts something belongs to, seen from the caller's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    Ours,
    Theirs,
}

impl Whose {
    pub fn as_str(self) -> &'static str {
        match self {
            Whose::Ours => "ours",
            Whose::Theirs => "theirs",
        }
    }
}

/// Whom a share gives an item to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedWith {
    /// `user` or `account`.
    pub kind: &'static str,
    pub id: String,
    pub name: String,
}

/// One share of an item of one account with the other account or one of its users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedItem {
    pub share_id: String,
    pub item_type: ItemKind,
    pub item_id: String,
    pub item_name: String,
    pub shared_with: SharedWith,
}

/// A user of one account synced into the other's Contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: String,
    pub name: String,
    pub email: String,
    /// `Theirs`: a partner user on our Contacts; `Ours`: one of ours on theirs.
    pub side: Whose,
}

/// An open proof of either account with at least one approver of the other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenProof {
    pub id: String,
    pub name: String,
    /// The account that owns the proof.
    pub owner: Whose,
    /// The names of its approvers from the other account.
    pub approvers: Vec<String>,
}

/// The removal preview of one active partnership, from the caller's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovalPreview {
    pub relationship: Seen,
    pub partner: Account,
    /// Our items shared with the partner account or its users.
    pub shares_out: Listed<SharedItem>,
    /// The partner's items shared with our account or our users.
    pub shares_in: Listed<SharedItem>,
    pub members_that_stop_syncing: Listed<Member>,
    pub open_proofs_with_partner_approvers: Listed<OpenProof>,
}

/// The roles whose decisions make a proof's status, as an SQL list.
fn approver_roles() -> String {
    sql_list(
        ProofRole::ALL
            .into_iter()
            .filter(|r| r.approves())
            .map(ProofRole::as_str),
    )
}

/// The decisions that keep a proof open: the overall status is the worst approver decision,
/// so a proof is open (`pending` or `changes_required`) exactly when one of its approvers'
/// decisions, alone, would make it so. An approver without a decision row is `pending`.
fn open_decisions() -> String {
    sql_list(
        Decision::ALL
            .into_iter()
            .filter(|d| {
                matches!(
                    overall_status([*d]),
                    Decision::Pending | Decision::ChangesRequired
                )
            })
            .map(Decision::as_str),
    )
}

fn sql_list<'a>(words: impl Iterator<Item = &'a str>) -> String {
    words
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Shares of items owned by account `$1` given to account `$2` or to one of its users.
static SHARES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT s.id, s.item_type, s.item_id, \
           COALESCE(fo.name, fi.name, p.name, '') AS item_name, \
           CASE WHEN s.user_id IS NULL THEN 'account' ELSE 'user' END AS target_kind, \
           COALESCE(s.user_id, s.account_id, '') AS target_id, \
           COALESCE(tu.name, ta.name, '') AS target_name, \
           COUNT(*) OVER () AS total \
         FROM ( \
           SELECT id, item_type, item_id, user_id, account_id FROM shares WHERE account_id = $2 \
           UNION ALL \
           SELECT s.id, s.item_type, s.item_id, s.user_id, s.account_id \
           FROM users u JOIN shares s ON s.user_id = u.id WHERE u.account_id = $2 \
         ) s \
         LEFT JOIN users tu ON tu.id = s.user_id \
         LEFT JOIN accounts ta ON ta.id = s.account_id \
         LEFT JOIN folders fo ON s.item_type = 'folder' AND fo.id = s.item_id \
         LEFT JOIN files fi ON s.item_type = 'file' AND fi.id = s.item_id \
         LEFT JOIN proofs p ON s.item_type = 'proof' AND p.id = s.item_id \
         WHERE COALESCE(fo.account_id, fi.account_id, p.account_id) = $1 \
         ORDER BY item_name, s.id LIMIT {LISTED}"
    )
});

/// Member rows of either account's Contacts for the users of the other (`$1` ours, `$2`
/// theirs) that follow changes now.
static MEMBERS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT c.id, c.name, c.email, \
           CASE WHEN c.owner_account_id = $1 THEN 'theirs' ELSE 'ours' END AS side, \
           COUNT(*) OVER () AS total \
         FROM contacts c \
         WHERE c.kind = 'member' AND c.partnership = 'active' AND ( \
           (c.owner_account_id = $1 AND c.account_id = $2) OR \
           (c.owner_account_id = $2 AND c.account_id = $1)) \
         ORDER BY side DESC, c.name_key, c.email, c.id LIMIT {LISTED}"
    )
});

/// Open proofs of either account (`$1`, `$2`) with an approver of the other: one row per
/// (listed proof, approver of the other account).
static OPEN_PROOFS: LazyLock<String> = LazyLock::new(|| {
    let roles = approver_roles();
    let open = open_decisions();
    format!(
        "WITH crossing AS ( \
           SELECT p.id, p.name, p.account_id, p.version, u.id AS user_id, u.name AS user_name \
           FROM users u \
           JOIN shares s ON s.user_id = u.id AND s.item_type = 'proof' AND s.role IN ({roles}) \
           JOIN proofs p ON p.id = s.item_id \
           WHERE u.account_id IN ($1, $2) AND p.account_id IN ($1, $2) \
             AND p.account_id <> u.account_id \
         ), open_proofs AS ( \
           SELECT DISTINCT c.id, c.name, c.account_id FROM crossing c \
           WHERE EXISTS (SELECT 1 FROM shares s \
             LEFT JOIN reviewer_decisions d ON d.proof_id = s.item_id \
               AND d.version = c.version AND d.user_id = s.user_id \
             WHERE s.item_type = 'proof' AND s.item_id = c.id AND s.user_id IS NOT NULL \
               AND s.role IN ({roles}) AND COALESCE(d.decision, 'pending') IN ({open})) \
         ), listed AS ( \
           SELECT id, name, account_id, COUNT(*) OVER () AS total FROM open_proofs \
           ORDER BY name, id LIMIT {LISTED} \
         ) \
         SELECT l.id, l.name, l.account_id, l.total, c.user_name \
         FROM listed l JOIN crossing c ON c.id = l.id \
         ORDER BY l.name, l.id, c.user_name, c.user_id"
    )
});

/// The removal preview of relationship `id` as the actor's account sees it: admins only
/// (`forbidden`); not found unless it is an accepted partnership visible to the account.
pub async fn get(store: &Store, actor: &User, id: &str) -> StoreResult<RemovalPreview> {
    let relationship = partners::get(store, actor, id).await?;
    let partner = match (&relationship.status, &relationship.partner_account) {
        (View::Accepted, Some(partner)) => partner.clone(),
        _ => return Err(Refusal::NotFound.into()),
    };
    let ours = actor.account_id.as_str();
    let theirs = partner.id.as_str();
    let mut conn = store.read().await?;

    let shares_out = shares(&mut conn, ours, theirs).await?;
    let shares_in = shares(&mut conn, theirs, ours).await?;

    let rows = sqlx::query(&MEMBERS)
        .bind(ours)
        .bind(theirs)
        .fetch_all(&mut *conn)
        .await?;
    let members_that_stop_syncing = Listed {
        count: total(&rows)?,
        items: rows
            .iter()
            .map(|row| {
                Ok(Member {
                    user_id: col(row, "id")?,
                    name: col(row, "name")?,
                    email: col(row, "email")?,
                    side: if col::<String>(row, "side")? == "theirs" {
                        Whose::Theirs
                    } else {
                        Whose::Ours
                    },
                })
            })
            .collect::<StoreResult<_>>()?,
    };

    let rows = sqlx::query(&OPEN_PROOFS)
        .bind(ours)
        .bind(theirs)
        .fetch_all(&mut *conn)
        .await?;
    let mut proofs: Vec<OpenProof> = Vec::new();
    for row in &rows {
        let id: String = col(row, "id")?;
        if proofs.last().is_none_or(|p| p.id != id) {
            let owner: String = col(row, "account_id")?;
            proofs.push(OpenProof {
                id,
                name: col(row, "name")?,
                owner: if owner == ours {
                    Whose::Ours
                } else {
                    Whose::Theirs
                },
                approvers: Vec::new(),
            });
        }
        if let Some(proof) = proofs.last_mut() {
            proof
                .approvers
                .push(col::<Option<String>>(row, "user_name")?.unwrap_or_default());
        }
    }
    let open_proofs_with_partner_approvers = Listed {
        count: total(&rows)?,
        items: proofs,
    };

    Ok(RemovalPreview {
        relationship,
        partner,
        shares_out,
        shares_in,
        members_that_stop_syncing,
        open_proofs_with_partner_approvers,
    })
}

/// The window total carried by every row; 0 without rows.
fn total(rows: &[AnyRow]) -> StoreResult<i64> {
    rows.first().map_or(Ok(0), |row| col(row, "total"))
}

pub(crate) async fn shares(
    conn: &mut sqlx::AnyConnection,
    owner: &str,
    target: &str,
) -> StoreResult<Listed<SharedItem>> {
    let rows = sqlx::query(&SHARES)
        .bind(owner)
        .bind(target)
        .fetch_all(&mut *conn)
        .await?;
    let items = rows
        .iter()
        .map(|row| {
            let kind: String = col(row, "item_type")?;
            Ok(SharedItem {
                share_id: col(row, "id")?,
                item_type: ItemKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("item type {kind:?}")))?,
                item_id: col(row, "item_id")?,
                item_name: col(row, "item_name")?,
                shared_with: SharedWith {
                    kind: if col::<String>(row, "target_kind")? == "user" {
                        "user"
                    } else {
                        "account"
                    },
                    id: col(row, "target_id")?,
                    name: col(row, "target_name")?,
                },
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok(Listed {
        count: total(&rows)?,
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_follow_the_core_rules() {
        assert_eq!(approver_roles(), "'approver', 'reviewer_approver'");
        assert_eq!(open_decisions(), "'pending', 'changes_required'");
    }
}
