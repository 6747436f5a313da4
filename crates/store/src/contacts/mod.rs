//! Contacts of an account: its own users, users of partner and former partner accounts
//! (members) and guests added by hand, one row each in `contacts`.
//!
//! Fan-out on write: [`sync`] keeps the rows right inside the transaction of every change
//! to users and partnerships, so reading a page is one keyset range of one index.
//! [`guests`] adds, imports and deletes by hand; [`check`] recomputes everything from
//! users and partnerships and reports any difference.

pub mod check;
pub mod fanout;
pub mod guests;
pub mod search;
pub mod sync;

use crate::model::User;
use crate::{col, Backend, Store, StoreError, StoreResult};
use coproof_core::contact::{Kind, Partnership, Search};
use coproof_core::Refusal;
use search::Plan;
use sqlx::any::AnyRow;
use sqlx::Row;

/// One contact as its account sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// For synced contacts (users and members) the user's id; for guests their own.
    pub id: String,
    pub kind: Kind,
    /// The contact's account (own or partner); `None` for guests.
    pub account_id: Option<String>,
    pub name: String,
    pub email: String,
    /// For synced contacts the name of their account.
    pub company: Option<String>,
    pub telephone: Option<String>,
    pub mobile: Option<String>,
    /// For members only.
    pub partnership: Option<Partnership>,
    pub active: bool,
    /// Where the page after this contact starts.
    pub name_key: String,
}

impl Contact {
    /// The user behind a synced contact.
    pub fn user_id(&self) -> Option<&str> {
        (self.kind != Kind::Guest).then_some(self.id.as_str())
    }

    pub(crate) fn from_row(row: &AnyRow) -> StoreResult<Contact> {
        Contact::from_columns((
            col(row, "id")?,
            col(row, "kind")?,
            col(row, "account_id")?,
            col(row, "name")?,
            col(row, "email")?,
            col(row, "company")?,
            col(row, "telephone")?,
            col(row, "mobile")?,
            col(row, "partnership")?,
            col(row, "active")?,
            col(row, "name_key")?,
        ))
    }

    fn from_columns(columns: Columns) -> StoreResult<Contact> {
        let (
            id,
            kind,
            account_id,
            name,
            email,
            company,
            telephone,
            mobile,
            partnership,
            active,
            name_key,
        ) = columns;
        Ok(Contact {
            id,
            kind: Kind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("kind {kind:?}")))?,
            account_id,
            name,
            email,
            company,
            telephone,
            mobile,
            partnership: match partnership {
                None => None,
                Some(p) => Some(
                    Partnership::parse(&p)
                        .ok_or_else(|| StoreError::Corrupt(format!("partnership {p:?}")))?,
                ),
            },
            active: active != 0,
            name_key,
        })
    }
}

/// The values of [`CONTACT_COLUMNS`], in order.
type Columns = (
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    String,
);

/// On SQLite a page is read as one row: a JSON array of the contacts' [`CONTACT_COLUMNS`]
/// arrays, in page order. sqlx hands each row from the connection's thread to the task on
/// its own (a wake-up and a conversion per row), which cost more than the query; the
/// JSON is built and parsed in a fraction of that.
const PAGE_AS_JSON: &str = "SELECT json_group_array(json_array(id, kind, account_id, name, \
     email, company, telephone, mobile, partnership, active, name_key) \
     ORDER BY name_key, email, id) FROM";

pub(crate) const CONTACT_COLUMNS: &str = "c.id, c.kind, c.account_id, c.name, c.email, \
     c.company, c.telephone, c.mobile, c.partnership, c.active, c.name_key";

/// The columns a new contact row is written with.
pub(crate) const INSERT_COLUMNS: &str =
    "owner_account_id, id, kind, account_id, name, email, company, \
     telephone, mobile, partnership, active, hidden, name_key, search, created_at, updated_at";

/// Where a page starts: strictly after this contact in (name key, e-mail, id) order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct After {
    pub name_key: String,
    pub email: String,
    pub id: String,
}

impl After {
    pub fn of(contact: &Contact) -> After {
        After {
            name_key: contact.name_key.clone(),
            email: contact.email.clone(),
            id: contact.id.clone(),
        }
    }
}

/// Filters of the Contacts page.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kind: Option<Kind>,
    /// Text looked for in name, e-mail and company.
    pub search: Option<Search>,
}

impl Filter {
    /// The SQL conditions after the owner, numbering placeholders from `next`.
    ///
    /// The text is found with `instr` on SQLite: the search text and the text looked for
    /// are both lower-cased, so a plain substring is the match, with nothing to escape (a
    /// `LIKE` with a bound pattern would make SQLite prepare the statement again for every
    /// new pattern; its trigram index is used through [`search::plan`] instead). On
    /// PostgreSQL it is a `LIKE '%…%'`, which the planner may answer from the `pg_trgm`
    /// index (`search::ensure_postgres`) or by reading the account's contacts in order,
    /// whichever its statistics say is cheaper; [`search::like_pattern`] escapes the text.
    fn conditions(&self, backend: Backend, next: &mut usize) -> String {
        let mut sql = String::new();
        if self.kind.is_some() {
            sql.push_str(&format!(" AND c.kind = ${next}"));
            *next += 1;
        }
        if self.search.is_some() {
            sql.push_str(&match backend {
                Backend::Sqlite => format!(" AND instr(c.search, ${next}) > 0"),
                Backend::Postgres => format!(" AND c.search LIKE ${next}"),
            });
            *next += 1;
        }
        sql
    }

    fn bind<'q>(
        &'q self,
        backend: Backend,
        mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        if let Some(kind) = self.kind {
            query = query.bind(kind.as_str());
        }
        if let Some(search) = &self.search {
            query = match backend {
                Backend::Sqlite => query.bind(search.text()),
                // Planned for each pattern: a statement prepared once may be given a plan
                // for any pattern, which reads the account's contacts in order even for a
                // rare text the trigram index would name at once.
                Backend::Postgres => query
                    .bind(search::like_pattern(search.text()))
                    .persistent(false),
            };
        }
        query
    }
}

/// Everyone but a visitor sees its account's contacts (`Profile::sees_contacts`).
fn may_see(viewer: &User) -> StoreResult<&str> {
    if viewer.profile.sees_contacts() {
        Ok(&viewer.account_id)
    } else {
        Err(Refusal::Forbidden.into())
    }
}

/// A page of the viewer's account's contacts ordered by name then e-mail, after `after`.
pub async fn list(
    store: &Store,
    viewer: &User,
    filter: &Filter,
    after: Option<&After>,
    limit: u32,
) -> StoreResult<Vec<Contact>> {
    let account_id = may_see(viewer)?;
    let mut conn = store.read().await?;
    let plan = match (&filter.search, store.backend()) {
        (Some(search), Backend::Sqlite) => search::plan(&mut conn, search).await?,
        (Some(search), Backend::Postgres) => {
            search::plan_postgres(&mut conn, account_id, search).await?
        }
        (None, _) => Plan::Scan,
    };
    let mut next = 2;
    let mut conditions = filter.conditions(store.backend(), &mut next);
    if after.is_some() {
        conditions.push_str(&format!(
            " AND (c.name_key, c.email, c.id) > (${}, ${}, ${})",
            next,
            next + 1,
            next + 2
        ));
        next += 3;
    }
    let limit_at = next;
    let order = "ORDER BY c.name_key, c.email, c.id";
    let sql = match &plan {
        // PostgreSQL checks a search on the page index's own copy of the text and reads
        // only the page's rows (an index scan would read every row it checks).
        Plan::Scan if filter.search.is_some() && store.backend() == Backend::Postgres => {
            format!(
                "SELECT {CONTACT_COLUMNS} FROM contacts c JOIN (SELECT c.id FROM contacts c \
                 WHERE c.owner_account_id = $1 AND c.hidden = 0{conditions} {order} \
                 LIMIT ${limit_at}) page ON c.id = page.id WHERE c.owner_account_id = $1 {order}"
            )
        }
        Plan::Scan => format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts c \
             WHERE c.owner_account_id = $1 AND c.hidden = 0{conditions} {order} LIMIT ${limit_at}"
        ),
        // The matches at the start of the text (a range of name keys), then those the
        // trigram index names further in (candidates whose text is still the contact's).
        Plan::Index { inside, .. } => {
            let (from, to, inside_at) = (limit_at + 1, limit_at + 2, limit_at + 3);
            let starting = format!(
                "SELECT {CONTACT_COLUMNS} FROM contacts c \
                 WHERE c.owner_account_id = $1 AND c.hidden = 0{conditions} \
                 AND c.name_key >= ${from} AND c.name_key < ${to} {order} LIMIT ${limit_at}"
            );
            match (inside, store.backend()) {
                (None, _) => starting,
                (Some(_), Backend::Sqlite) => format!(
                    "SELECT * FROM ({starting}) s UNION SELECT {CONTACT_COLUMNS} \
                     FROM json_each(${inside_at}) j CROSS JOIN contact_search_texts t \
                     CROSS JOIN contacts c \
                     WHERE t.n = j.value AND c.owner_account_id = $1 AND c.id = t.id \
                     AND c.search = t.search AND c.hidden = 0{conditions} \
                     ORDER BY name_key, email, id LIMIT ${limit_at}"
                ),
                (Some(_), Backend::Postgres) => format!(
                    "SELECT * FROM ({starting}) s UNION SELECT {CONTACT_COLUMNS} \
                     FROM contacts c WHERE substr(c.search, 2) LIKE ${inside_at} \
                     AND c.owner_account_id = $1 AND c.hidden = 0{conditions} \
                     ORDER BY name_key, email, id LIMIT ${limit_at}"
                ),
            }
        }
    };
    let sql = match store.backend() {
        Backend::Sqlite => format!("{PAGE_AS_JSON} ({sql})"),
        Backend::Postgres => sql,
    };
    let mut query = filter.bind(store.backend(), sqlx::query(&sql).bind(account_id));
    if let Some(a) = after {
        query = query.bind(&a.name_key).bind(&a.email).bind(&a.id);
    }
    query = query.bind(i64::from(limit));
    if let Plan::Index { from, to, inside } = &plan {
        query = query.bind(from).bind(to);
        if let Some(inside) = inside {
            query = query.bind(inside);
        }
    }
    match store.backend() {
        Backend::Sqlite => {
            let page: String = query.fetch_one(&mut *conn).await?.try_get(0)?;
            let columns: Vec<Columns> = serde_json::from_str(&page)
                .map_err(|e| StoreError::Corrupt(format!("a page of contacts: {e}")))?;
            columns.into_iter().map(Contact::from_columns).collect()
        }
        Backend::Postgres => {
            let rows = query.fetch_all(&mut *conn).await?;
            rows.iter().map(Contact::from_row).collect()
        }
    }
}

/// One company on the company view: the contacts of one partner (or own) account, or the
/// guests who gave the same company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    pub name: Option<String>,
    pub account_id: Option<String>,
    pub count: i64,
}

/// Where a page of companies starts: strictly after this (company, account id).
pub type CompanyAfter = (String, String);

/// The viewer's account's contacts grouped by company (synced contacts by their account),
/// in company order, after `after`.
pub async fn companies(
    store: &Store,
    viewer: &User,
    filter: &Filter,
    after: Option<&CompanyAfter>,
    limit: u32,
) -> StoreResult<Vec<Company>> {
    let account_id = may_see(viewer)?;
    let mut next = 2;
    let conditions = filter.conditions(store.backend(), &mut next);
    let after_sql = if after.is_some() {
        let s = format!(
            " WHERE (g.company_key, g.account_key) > (${}, ${})",
            next,
            next + 1
        );
        next += 2;
        s
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT g.company, g.account_id, g.n FROM ( \
           SELECT MIN(c.company) AS company, MIN(c.account_id) AS account_id, COUNT(*) AS n, \
             COALESCE(c.company, '') AS company_key, COALESCE(c.account_id, '') AS account_key \
           FROM contacts c WHERE c.owner_account_id = $1 AND c.hidden = 0{conditions} \
           GROUP BY COALESCE(c.company, ''), COALESCE(c.account_id, '')) g{after_sql} \
         ORDER BY g.company_key, g.account_key LIMIT ${next}"
    );
    let mut query = filter.bind(store.backend(), sqlx::query(&sql).bind(account_id));
    if let Some((company, account)) = after {
        query = query.bind(company.as_str()).bind(account.as_str());
    }
    let rows = query
        .bind(i64::from(limit))
        .fetch_all(&mut *store.read().await?)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Company {
                name: col(row, "company")?,
                account_id: col(row, "account_id")?,
                count: col(row, "n")?,
            })
        })
        .collect()
}
