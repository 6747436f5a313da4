//! Contacts by hand: adding a guest, importing many from a file, deleting a guest or a
//! member of an ended partnership.

use super::{Contact, CONTACT_COLUMNS};
use crate::model::User;
use crate::{ids, now_micros, Store, StoreResult, Tx};
use coproof_core::contact::{self, name_key, search_text, Kind};
use coproof_core::{name::parse_name, EmailAddress, Refusal};
use std::collections::HashSet;

/// A guest as typed or read from a file, not yet checked.
#[derive(Debug, Clone, Default)]
pub struct GuestInput {
    pub email: String,
    pub name: String,
    pub company: Option<String>,
    pub telephone: Option<String>,
    pub mobile: Option<String>,
}

/// A guest, checked.
#[derive(Debug, Clone)]
struct Guest {
    email: EmailAddress,
    name: String,
    company: Option<String>,
    telephone: Option<String>,
    mobile: Option<String>,
}

fn optional(field: &str, raw: Option<&str>) -> Result<Option<String>, Refusal> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) => parse_name(field, value).map(Some),
    }
}

impl GuestInput {
    fn check(&self) -> Result<Guest, Refusal> {
        Ok(Guest {
            email: EmailAddress::parse(&self.email)?,
            name: parse_name("name", &self.name)?,
            company: optional("company", self.company.as_deref())?,
            telephone: optional("telephone", self.telephone.as_deref())?,
            mobile: optional("mobile", self.mobile.as_deref())?,
        })
    }
}

/// Whether `account_id` already has a contact with this address (a guest, or a user or
/// member synced from an account).
async fn exists(tx: &mut Tx, account_id: &str, email: &str) -> StoreResult<bool> {
    let guests: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM contacts WHERE owner_account_id = $1 AND email = $2 \
         AND kind = 'guest'",
    )
    .bind(account_id)
    .bind(email)
    .fetch_one(&mut **tx)
    .await?;
    let synced: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users u JOIN contacts c ON c.owner_account_id = $1 AND c.id = u.id \
         WHERE u.email = $2 AND c.hidden = 0",
    )
    .bind(account_id)
    .bind(email)
    .fetch_one(&mut **tx)
    .await?;
    Ok(guests + synced > 0)
}

async fn insert(tx: &mut Tx, account_id: &str, guest: &Guest) -> StoreResult<String> {
    let id = ids::new_id();
    let email = guest.email.as_str();
    sqlx::query(
        "INSERT INTO contacts (owner_account_id, id, kind, account_id, name, email, company, \
         telephone, mobile, partnership, active, hidden, name_key, search, created_at, updated_at) \
         VALUES ($1, $2, 'guest', NULL, $3, $4, $5, $6, $7, NULL, 1, 0, $8, $9, $10, $10)",
    )
    .bind(account_id)
    .bind(&id)
    .bind(&guest.name)
    .bind(email)
    .bind(guest.company.clone())
    .bind(guest.telephone.clone())
    .bind(guest.mobile.clone())
    .bind(name_key(&guest.name))
    .bind(search_text(&guest.name, email, guest.company.as_deref()))
    .bind(now_micros())
    .execute(&mut **tx)
    .await
    .map_err(|e| {
        let e = crate::StoreError::from(e);
        if e.is_unique_violation() {
            Refusal::ContactExists.into()
        } else {
            e
        }
    })?;
    Ok(id)
}

/// A manager (or higher) adds a guest to its account's contacts.
pub async fn add(store: &Store, actor: &User, input: &GuestInput) -> StoreResult<Contact> {
    if !actor.profile.adds_contacts() {
        return Err(Refusal::Forbidden.into());
    }
    let guest = input.check()?;
    let mut tx = store.begin().await?;
    if exists(&mut tx, &actor.account_id, guest.email.as_str()).await? {
        return Err(Refusal::ContactExists.into());
    }
    let id = insert(&mut tx, &actor.account_id, &guest).await?;
    let row = sqlx::query(&format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts c WHERE c.owner_account_id = $1 AND c.id = $2"
    ))
    .bind(&actor.account_id)
    .bind(&id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Contact::from_row(&row)
}

/// One row of an import that was not taken, and why (an error code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The row's line in the file (the header is line 1).
    pub row: u64,
    pub email: String,
    pub reason: &'static str,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub imported: u64,
    pub refused: Vec<Refused>,
}

/// Imports guests: every acceptable row in one transaction (all or nothing); each other
/// row is listed with its reason (`invalid_email`, `invalid_input`, `duplicate` in the
/// file, `contact_exists`).
pub async fn import(
    store: &Store,
    actor: &User,
    rows: &[(u64, GuestInput)],
) -> StoreResult<ImportReport> {
    if !actor.profile.adds_contacts() {
        return Err(Refusal::Forbidden.into());
    }
    let mut report = ImportReport::default();
    let mut seen = HashSet::new();
    let mut tx = store.begin().await?;
    for (row, input) in rows {
        let refuse = |reason| Refused {
            row: *row,
            email: input.email.trim().to_string(),
            reason,
        };
        let guest = match input.check() {
            Ok(g) => g,
            Err(refusal) => {
                report.refused.push(refuse(refusal.code()));
                continue;
            }
        };
        if !seen.insert(guest.email.as_str().to_string()) {
            report.refused.push(refuse("duplicate"));
            continue;
        }
        if exists(&mut tx, &actor.account_id, guest.email.as_str()).await? {
            report.refused.push(refuse(Refusal::ContactExists.code()));
            continue;
        }
        insert(&mut tx, &actor.account_id, &guest).await?;
        report.imported += 1;
    }
    tx.commit().await?;
    Ok(report)
}

/// A supervisor (or higher) deletes a guest, or a member of an ended partnership (kept
/// hidden, so that a new partnership brings it back). Users of the account and members of
/// active partners are synced and stay.
pub async fn delete(store: &Store, actor: &User, id: &str) -> StoreResult<()> {
    if !actor.profile.deletes_contacts() {
        return Err(Refusal::Forbidden.into());
    }
    if !ids::looks_like_id(id) {
        return Err(Refusal::NotFound.into());
    }
    let mut tx = store.begin().await?;
    let row = sqlx::query(&format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts c WHERE c.owner_account_id = $1 AND c.id = $2 \
         AND c.hidden = 0{}",
        store.for_update()
    ))
    .bind(&actor.account_id)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Refusal::NotFound)?;
    let found = Contact::from_row(&row)?;
    contact::check_delete(found.kind, found.partnership)?;
    let sql = if found.kind == Kind::Guest {
        "DELETE FROM contacts WHERE owner_account_id = $1 AND id = $2"
    } else {
        "UPDATE contacts SET hidden = 1 WHERE owner_account_id = $1 AND id = $2"
    };
    sqlx::query(sql)
        .bind(&actor.account_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
