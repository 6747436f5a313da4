//! The Contacts data set, written straight into the server's database in big
//! transactions of multi-row INSERTs (the API would take hours at this size):
//! an agency with its own users and partner accounts of 25 users each, two large
//! accounts for `accept_large`, and filler accounts up to the totals. Synced contacts are
//! derived with the same set-based statements the server uses. Built once per run.

use crate::api::Api;
use crate::server::Server;
use crate::{Args, Scale};
use coproof_store::{ids, tokens, Backend, Store, StoreOptions};
use std::time::Instant;
use tokio::sync::OnceCell;

pub struct Sizes {
    pub agency_users: usize,
    pub partners: usize,
    pub users_per_partner: usize,
    pub large_users: usize,
    pub filler_accounts: usize,
    pub filler_users: usize,
}

impl Sizes {
    pub fn of(scale: Scale) -> Sizes {
        match scale {
            // 10,000 accounts and 250,000 users in all.
            Scale::Full => Sizes {
                agency_users: 1_000,
                partners: 2_000,
                users_per_partner: 25,
                large_users: 20_000,
                filler_accounts: 10_000 - 1 - 2_000 - 2,
                filler_users: 250_000 - 1_000 - 2_000 * 25 - 2 * 20_000,
            },
            Scale::Small => Sizes {
                agency_users: 100,
                partners: 100,
                users_per_partner: 25,
                large_users: 2_000,
                filler_accounts: 200,
                filler_users: 2_000,
            },
        }
    }
}

pub struct Data {
    pub store: Store,
    pub agency_id: String,
    /// The agency's admin, as the store knows it (for store-level figures).
    pub agency_admin: coproof_store::model::User,
    pub agency: Api,
    /// Admins of some partner accounts (to look at their pages).
    pub partner_admins: Vec<Api>,
    pub partner_ids: Vec<String>,
    /// The admins of the two large accounts, and the second one's address.
    pub large: (Api, Api, String),
    pub large_ids: (String, String),
    pub build_seconds: f64,
}

static DATA: OnceCell<Data> = OnceCell::const_new();

/// The data set, built on first use.
pub async fn get(server: &Server, args: &Args) -> anyhow::Result<&'static Data> {
    DATA.get_or_try_init(|| build(server, args)).await
}

const FIRST: &[&str] = &[
    "Ann", "Bob", "Chloé", "Dan", "Eva", "Finn", "Gia", "Hugo", "Ines", "Jon", "Kim", "Lea", "Max",
    "Nia", "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tea", "민지", "서연", "지호", "하준",
];
const LAST: &[&str] = &[
    "Adams", "Baker", "Costa", "Dubois", "Evans", "Fischer", "García", "Hansen", "Ito", "Jensen",
    "Kowalski", "Lopez", "Müller", "Novak", "Olsen", "Park", "Rossi", "Silva", "Tanaka", "Weber",
    "김", "이", "박", "최",
];

fn person(n: usize) -> String {
    format!(
        "{} {}",
        FIRST[n % FIRST.len()],
        LAST[(n / FIRST.len() + n * 7) % LAST.len()]
    )
}

/// Rows waiting to be written as one multi-row INSERT.
struct Batch {
    head: &'static str,
    rows: Vec<String>,
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

impl Batch {
    fn new(head: &'static str) -> Batch {
        Batch {
            head,
            rows: Vec::new(),
        }
    }

    fn push(&mut self, row: String) {
        self.rows.push(row);
    }

    fn full(&self) -> bool {
        self.rows.len() >= 1000
    }

    async fn flush(&mut self, tx: &mut coproof_store::Tx) -> anyhow::Result<()> {
        if !self.rows.is_empty() {
            let sql = format!("{} VALUES {}", self.head, self.rows.join(","));
            sqlx::query(&sql).execute(&mut **tx).await?;
            self.rows.clear();
        }
        Ok(())
    }
}

struct Writer {
    accounts: Batch,
    users: Batch,
    now: i64,
    n: usize,
}

impl Writer {
    async fn account(&mut self, tx: &mut coproof_store::Tx, name: &str) -> anyhow::Result<String> {
        let id = ids::new_id();
        let row = format!("({}, {}, {})", quote(&id), quote(name), self.now);
        self.accounts.push(row);
        if self.accounts.full() {
            self.accounts.flush(tx).await?;
        }
        Ok(id)
    }

    async fn user(
        &mut self,
        tx: &mut coproof_store::Tx,
        account: &str,
        email: &str,
        profile: &str,
    ) -> anyhow::Result<String> {
        let id = ids::new_id();
        self.n += 1;
        let row = format!(
            "({}, {}, {}, {}, {}, 1, 'en', NULL, 1, {}, {})",
            quote(&id),
            quote(account),
            quote(email),
            quote(&person(self.n)),
            quote(profile),
            self.now,
            self.now
        );
        self.users.push(row);
        if self.users.full() {
            // Users refer to their accounts: those go first.
            self.accounts.flush(tx).await?;
            self.users.flush(tx).await?;
        }
        Ok(id)
    }
}

async fn build(server: &Server, args: &Args) -> anyhow::Result<Data> {
    let started = Instant::now();
    let sizes = Sizes::of(args.scale);
    let anonymous = Api::anonymous(&server.http, &server.base);
    let agency = anonymous.signup("Agency", "admin@agency.bench").await?;
    let (_, me) = agency
        .call(reqwest::Method::GET, "/api/v1/me", None)
        .await?;
    let agency_id = me["account"]["id"].as_str().unwrap_or_default().to_string();
    let store = Store::connect(&StoreOptions::new(server.database_url())).await?;
    let now = coproof_store::now_micros();
    let mut tx = store.begin().await?;
    let mut w = Writer {
        accounts: Batch::new("INSERT INTO accounts (id, name, created_at)"),
        users: Batch::new(
            "INSERT INTO users (id, account_id, email, name, profile, active, language, \
             password_hash, email_verified, created_at, updated_at)",
        ),
        now,
        n: 0,
    };
    for u in 0..sizes.agency_users {
        w.user(
            &mut tx,
            &agency_id,
            &format!("staff{u}@agency.bench"),
            "manager",
        )
        .await?;
    }
    let mut partner_ids = Vec::new();
    let mut partner_admin_ids = Vec::new();
    let mut rels = Batch::new(
        "INSERT INTO relationships (id, sender_account_id, sender_user_id, email, \
         recipient_account_id, sender_view, recipient_view, accepted_once, created_at, updated_at)",
    );
    // Every bench address counts as verified (the operator vouches; see
    // `data::vouch_for_everyone`): the bulk rows say so, and so does the agency's admin.
    sqlx::query("UPDATE users SET email_verified = 1 WHERE email = $1")
        .bind("admin@agency.bench")
        .execute(&mut *tx)
        .await?;
    let agency_admin: String = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind("admin@agency.bench")
        .fetch_one(&mut *tx)
        .await?;
    for p in 0..sizes.partners {
        let id = w.account(&mut tx, &format!("Partner {p}")).await?;
        let admin_email = format!("admin@partner{p}.bench");
        partner_admin_ids.push(w.user(&mut tx, &id, &admin_email, "admin").await?);
        for u in 1..sizes.users_per_partner {
            w.user(&mut tx, &id, &format!("u{u}@partner{p}.bench"), "manager")
                .await?;
        }
        let row = format!(
            "({}, {}, {}, {}, {}, 'accepted', 'accepted', 1, {now}, {now})",
            quote(&ids::new_id()),
            quote(&agency_id),
            quote(&agency_admin),
            quote(&admin_email),
            quote(&id)
        );
        rels.push(row);
        partner_ids.push(id);
    }
    let mut large_ids = Vec::new();
    let mut large_admin_ids = Vec::new();
    for l in 0..2 {
        let id = w.account(&mut tx, &format!("Large {l}")).await?;
        large_admin_ids.push(
            w.user(&mut tx, &id, &format!("admin@large{l}.bench"), "admin")
                .await?,
        );
        for u in 1..sizes.large_users {
            w.user(&mut tx, &id, &format!("u{u}@large{l}.bench"), "manager")
                .await?;
        }
        large_ids.push(id);
    }
    let per_filler = sizes.filler_users / sizes.filler_accounts.max(1);
    for f in 0..sizes.filler_accounts {
        let id = w.account(&mut tx, &format!("Filler {f}")).await?;
        for u in 0..per_filler {
            w.user(&mut tx, &id, &format!("u{u}@filler{f}.bench"), "manager")
                .await?;
        }
    }
    w.accounts.flush(&mut tx).await?;
    w.users.flush(&mut tx).await?;
    rels.flush(&mut tx).await?;
    // Contacts, as the server's sync statements make them. SQL `lower()` gives the same
    // keys as the server here: the bench's only non-ASCII letters are already lower-case.
    sqlx::query(
        "INSERT INTO contacts (owner_account_id, id, kind, account_id, name, email, company, \
         telephone, mobile, partnership, active, hidden, name_key, search, created_at, updated_at) \
         SELECT u.account_id, u.id, 'user', u.account_id, u.name, u.email, a.name, NULL, NULL, \
           NULL, 1, 0, lower(u.name), lower(u.name) || '|' || u.email || '|' || lower(a.name), \
           $1, $1 \
         FROM users u JOIN accounts a ON a.id = u.account_id WHERE u.created_at = $1",
    )
    .bind(now)
    .execute(&mut *tx)
    .await?;
    for (owner, source) in [
        ("r.recipient_account_id", "r.sender_account_id"),
        ("r.sender_account_id", "r.recipient_account_id"),
    ] {
        sqlx::query(&format!(
            "INSERT INTO contacts (owner_account_id, id, kind, account_id, name, email, company, \
             telephone, mobile, partnership, active, hidden, name_key, search, created_at, \
             updated_at) \
             SELECT {owner}, c.id, 'member', c.account_id, c.name, c.email, c.company, NULL, \
               NULL, 'active', c.active, 0, c.name_key, c.search, $1, $1 \
             FROM relationships r JOIN contacts c ON c.owner_account_id = {source} \
               AND c.kind = 'user' \
             WHERE r.created_at = $1"
        ))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    // Statistics for the planners; on PostgreSQL also the visibility map, so that index-only
    // scans read no table pages: what autovacuum gives a database that was not just filled
    // by one bulk load a moment ago.
    let settle = match store.backend() {
        coproof_store::Backend::Sqlite => "ANALYZE",
        coproof_store::Backend::Postgres => "VACUUM ANALYZE",
    };
    sqlx::query(settle)
        .execute(&mut *store.read().await?)
        .await?;
    let api = |token: String| Api {
        http: server.http.clone(),
        base: server.base.clone(),
        token: Some(token),
    };
    let mut partner_admins = Vec::new();
    for id in partner_admin_ids.iter().take(50) {
        partner_admins.push(api(tokens::issue(&store, id, tokens::Kind::Api).await?));
    }
    let large = (
        api(tokens::issue(&store, &large_admin_ids[0], tokens::Kind::Api).await?),
        api(tokens::issue(&store, &large_admin_ids[1], tokens::Kind::Api).await?),
        "admin@large1.bench".to_string(),
    );
    if store.backend() == Backend::Sqlite {
        // The bulk load's WAL (1.5 GB) copied back before anything is measured, not by
        // the server's checkpointer during the first measurement.
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&mut *store.read().await?)
            .await?;
        if busy != 0 {
            eprintln!("the data set's WAL could not be copied back before measuring");
        }
    }
    let build_seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "contacts data set built in {build_seconds:.1} s ({} users)",
        w.n + 1
    );
    let agency_admin = coproof_store::users::find_by_email(
        &store,
        &coproof_core::EmailAddress::parse("admin@agency.bench")?,
    )
    .await?
    .ok_or_else(|| anyhow::anyhow!("the agency's admin is missing"))?;
    Ok(Data {
        store,
        agency_id,
        agency_admin,
        agency,
        partner_admins,
        partner_ids,
        large,
        large_ids: (large_ids[0].clone(), large_ids[1].clone()),
        build_seconds,
    })
}
