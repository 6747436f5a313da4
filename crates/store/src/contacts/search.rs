//! Finding an account's contacts by text without reading all of them: each database's own
//! trigram index.
//!
//! The plain way, [`Plan::Scan`], reads the account's contacts in name order and keeps
//! those whose search text holds the text, until the page is full: quick when matches are
//! many and spread over the list, a read of the whole list when they are few, or when they
//! all sit late in name order (a first name shared by many: "민지" sorts after every Latin
//! name).
//!
//! PostgreSQL takes the same plan with its own engine ([`plan_postgres`]): the search is a
//! `LIKE '%text%'`, the name key range finds the matches at the start, and a `pg_trgm` GIN
//! index over each search text less its first character, kept per owner
//! ([`ensure_postgres`]), names the owner's candidates further in. `pg_trgm` needs three
//! characters to narrow anything: shorter texts scan, where SQLite's two-character path
//! finds them through its index's terms.
//!
//! On SQLite a match either *starts* the search text — then the name key starts with the
//! text ([`Search::name_key_range`]), one short range of the page index — or lies in the
//! rest of it, which an FTS5 trigram index finds: it holds every distinct (contact id,
//! search text) any account has, less the text's first character (so that a first name
//! found at the start of thousands of names is not a candidate there too). The two halves
//! are read and merged in name order ([`Plan::Index`]). When the trigram index names more
//! candidates than [`MOST_CANDIDATES`], or the text is one character long, matches are many
//! and the scan finds a page soon.
//!
//! Triggers on `contacts` keep the index in the transaction of every change, whatever
//! wrote it (a member row's text is its user's, there already). A text no contact has
//! any more stays behind (a rename): harmless, a candidate is kept only when its text is
//! still the contact's. Every candidate is checked again with the same substring test as
//! the scan, so both plans find exactly the same contacts.

use crate::{Backend, Store, StoreResult};
use coproof_core::contact::{prefix_end, Search};
use sqlx::{AnyConnection, Executor};

/// Most contacts the trigram index may name before the scan is the quicker way.
pub const MOST_CANDIDATES: i64 = 300;

/// Most distinct trigrams a two-character text may start before it counts as common.
const MOST_TERMS: i64 = 64;

/// The index's tables (SQLite only; created if missing).
const TABLES: &str = "
CREATE TABLE IF NOT EXISTS contact_search_texts (
    n       INTEGER PRIMARY KEY,
    id      TEXT NOT NULL,
    search  TEXT NOT NULL,
    UNIQUE (id, search)
);
CREATE VIRTUAL TABLE IF NOT EXISTS contact_search_tails USING fts5 (
    tail, content = '', tokenize = 'trigram case_sensitive 1'
);
CREATE VIRTUAL TABLE IF NOT EXISTS contact_search_terms
    USING fts5vocab (contact_search_tails, 'row');
";

/// The triggers that keep the index, put right on every start. They use `INSERT … WHERE
/// NOT EXISTS`, not `INSERT OR IGNORE`: in a trigger the statement that fired it decides
/// what a conflict does, and an upsert on `contacts` would fail on a text the index already
/// holds. A member row is inserted as a copy of its user's row on the user's own account,
/// whose text the index already holds: no trigger for it (a fan-out writes thousands). Its
/// text changes only through `contact_search_changed`.
const TRIGGERS: &str = "
DROP TRIGGER IF EXISTS contact_search_added;
CREATE TRIGGER IF NOT EXISTS contact_search_text_added
AFTER INSERT ON contact_search_texts BEGIN
    INSERT INTO contact_search_tails (rowid, tail) VALUES (new.n, substr(new.search, 2) || '|');
END;
CREATE TRIGGER IF NOT EXISTS contact_search_added_unless_member AFTER INSERT ON contacts
WHEN new.kind <> 'member' BEGIN
    INSERT INTO contact_search_texts (id, search) SELECT new.id, new.search
    WHERE NOT EXISTS (SELECT 1 FROM contact_search_texts WHERE id = new.id AND search = new.search);
END;
CREATE TRIGGER IF NOT EXISTS contact_search_changed AFTER UPDATE OF search ON contacts BEGIN
    INSERT INTO contact_search_texts (id, search) SELECT new.id, new.search
    WHERE NOT EXISTS (SELECT 1 FROM contact_search_texts WHERE id = new.id AND search = new.search);
END;
";

/// Creates the index if it is missing, filled from the contacts there are, and puts its
/// triggers right (SQLite).
pub(crate) async fn ensure(conn: &mut AnyConnection) -> StoreResult<()> {
    let exists: Option<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'contact_search_texts'",
    )
    .fetch_optional(&mut *conn)
    .await?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    if exists.is_none() {
        tx.execute(TABLES).await?;
        tx.execute(
            "INSERT OR IGNORE INTO contact_search_texts (id, search) SELECT id, search FROM contacts",
        )
        .await?;
        // One segment from the start rather than the large ones a fill leaves (see
        // `merge_step`).
        tx.execute("INSERT INTO contact_search_tails (contact_search_tails) VALUES ('optimize')")
            .await?;
    }
    tx.execute(TRIGGERS).await?;
    tx.commit().await?;
    Ok(())
}

/// The extensions and the index of PostgreSQL's search, made if missing on every start.
/// The index is kept per owner (`btree_gin` puts the account beside the trigrams): one
/// account's candidates are found without reading the long lists of trigrams that nearly
/// every text of every account holds ("par", "com"). The indexes of earlier versions,
/// over every account's texts at once, are dropped.
const POSTGRES_INDEX: [&str; 5] = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    "CREATE INDEX IF NOT EXISTS contacts_search_owner_tails ON contacts \
     USING gin (owner_account_id, (substr(search, 2)) gin_trgm_ops)",
    "DROP INDEX IF EXISTS contacts_search_tails",
    "DROP INDEX IF EXISTS contacts_search_trigrams",
];

/// A key for the advisory lock under which processes starting together make the index.
const POSTGRES_INDEX_LOCK: i64 = 0x636f_7072_6f6f_6601;

/// Makes PostgreSQL's trigram index if it is missing. `pg_trgm` and `btree_gin` are
/// trusted extensions (the database's owner may create them); where the index cannot be
/// made, searches still work, by reading the account's contacts, and the server says so
/// once in its log.
pub(crate) async fn ensure_postgres(conn: &mut AnyConnection) -> StoreResult<()> {
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(POSTGRES_INDEX_LOCK)
        .execute(&mut *conn)
        .await?;
    let mut made = Ok(());
    for statement in POSTGRES_INDEX {
        made = conn.execute(statement).await.map(drop);
        if made.is_err() {
            break;
        }
    }
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(POSTGRES_INDEX_LOCK)
        .execute(&mut *conn)
        .await?;
    if let Err(e) = made {
        tracing::warn!(
            "contacts search has no index and reads each account's contacts \
             (CREATE EXTENSION pg_trgm and btree_gin as a superuser to give it one): {e}"
        );
    }
    Ok(())
}

/// The `LIKE` pattern of contacts whose search text holds `text` (`\` is PostgreSQL's
/// escape character).
pub(crate) fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// How a search is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// The account's contacts in name order, each checked.
    Scan,
    /// The name key range of matches at the start, merged with the texts the trigram index
    /// names for matches further in (at most [`MOST_CANDIDATES`]; `None` when it names
    /// none): on SQLite a JSON array of `contact_search_texts.n`, on PostgreSQL the `LIKE`
    /// pattern its index answers.
    Index {
        from: String,
        to: String,
        inside: Option<String>,
    },
}

/// How to read `search` on SQLite (see the module's documentation). It runs before the
/// page's query, outside a transaction: a contact renamed between the two can be missing
/// from that one page (its new text was not yet a candidate). Each query returns
/// one row (the list aggregated in SQL): sqlx hands rows over one by one between threads,
/// and 300 rowids that way cost more than the search.
pub async fn plan(conn: &mut AnyConnection, search: &Search) -> StoreResult<Plan> {
    let text = search.text();
    let Some((from, to)) = search.name_key_range() else {
        return Ok(Plan::Scan);
    };
    let expression = match text.chars().count() {
        0 | 1 => return Ok(Plan::Scan),
        // Too short for a trigram: every trigram that starts with it.
        2 => {
            let Some(end) = prefix_end(text) else {
                return Ok(Plan::Scan);
            };
            let (terms, expression): (i64, Option<String>) = sqlx::query_as(
                "SELECT count(*), group_concat('\"' || replace(term, '\"', '\"\"') || '\"', ' OR ') \
                 FROM (SELECT term FROM contact_search_terms \
                 WHERE term >= $1 AND term < $2 LIMIT $3)",
            )
            .bind(text)
            .bind(&end)
            .bind(MOST_TERMS + 1)
            .fetch_one(&mut *conn)
            .await?;
            match expression {
                _ if terms > MOST_TERMS => return Ok(Plan::Scan),
                None => {
                    return Ok(Plan::Index {
                        from,
                        to,
                        inside: None,
                    })
                }
                Some(expression) => expression,
            }
        }
        _ => phrase(text),
    };
    let (candidates, inside): (i64, String) = sqlx::query_as(
        "SELECT count(*), json_group_array(rowid) FROM (SELECT rowid FROM contact_search_tails \
         WHERE contact_search_tails MATCH $1 LIMIT $2)",
    )
    .bind(&expression)
    .bind(MOST_CANDIDATES + 1)
    .fetch_one(&mut *conn)
    .await?;
    Ok(narrowed(from, to, candidates, inside))
}

/// How to read `search` in the contacts of `owner` on PostgreSQL: as [`plan`] on SQLite,
/// the name key range for matches at the start and the tail index for candidates further
/// in, unless the text is too short for a trigram or the index names more than
/// [`MOST_CANDIDATES`] of the owner's contacts (then the matches are many and the scan
/// finds a page soon).
pub async fn plan_postgres(
    conn: &mut AnyConnection,
    owner: &str,
    search: &Search,
) -> StoreResult<Plan> {
    let Some((from, to)) = search.name_key_range() else {
        return Ok(Plan::Scan);
    };
    if search.text().chars().count() < 3 {
        return Ok(Plan::Scan);
    }
    let pattern = like_pattern(search.text());
    let candidates: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT 1 FROM contacts \
         WHERE owner_account_id = $1 AND substr(search, 2) LIKE $2 LIMIT $3) x",
    )
    .bind(owner)
    .bind(&pattern)
    .bind(MOST_CANDIDATES + 1)
    // Planned for this pattern (see `Filter::bind`).
    .persistent(false)
    .fetch_one(&mut *conn)
    .await?;
    Ok(narrowed(from, to, candidates, pattern))
}

/// The plan once the tail index has named `candidates` texts (`inside` reads them): the
/// name key range `from..to` merged with them, or a scan when they are more than
/// [`MOST_CANDIDATES`].
fn narrowed(from: String, to: String, candidates: i64, inside: String) -> Plan {
    if candidates > MOST_CANDIDATES {
        Plan::Scan
    } else {
        Plan::Index {
            from,
            to,
            inside: (candidates > 0).then_some(inside),
        }
    }
}

/// Pages of the index merged by one step of [`merge_step`].
const MERGE_PAGES: i64 = 64;

/// Leaf pages from which a segment of the index counts as large.
const LARGE_SEGMENT_PAGES: i64 = 64;

/// One short step of merging the trigram index's large segments into one (SQLite; nothing
/// on PostgreSQL). Returns whether there was anything to merge.
///
/// FTS5 writes what each transaction adds as a new small segment and merges small ones by
/// itself; a search then seeks each segment, which costs little for small ones. Large ones
/// come from adding many texts at once (the index built for an existing database, a CSV
/// import, an account renamed): several of them each hold most trigrams, and a search that
/// must merge their long lists ran three times slower on the bench's data than with one.
pub async fn merge_step(store: &Store) -> StoreResult<bool> {
    if store.backend() != Backend::Sqlite || large_segments(store).await? < 2 {
        return Ok(false);
    }
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO contact_search_tails (contact_search_tails, rank) VALUES ('merge', $1)",
    )
    .bind(-MERGE_PAGES)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Segments of the index with at least [`LARGE_SEGMENT_PAGES`] leaf pages (`%_idx` holds
/// a row per leaf page that starts a term).
async fn large_segments(store: &Store) -> StoreResult<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM (SELECT segid FROM contact_search_tails_idx \
         GROUP BY segid HAVING count(*) >= $1)",
    )
    .bind(LARGE_SEGMENT_PAGES)
    .fetch_one(&mut *store.read().await?)
    .await?;
    Ok(n)
}

/// An FTS5 string: the text as it is, in double quotes (as the two-character query quotes
/// each term in SQL).
fn phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// `account_id`'s contacts whose search text the index does not hold (the check's: there
/// must be none).
pub(crate) async fn missing(
    conn: &mut AnyConnection,
    account_id: &str,
) -> StoreResult<Vec<String>> {
    let ids: Vec<(String,)> = sqlx::query_as(
        "SELECT c.id FROM contacts c WHERE c.owner_account_id = $1 AND NOT EXISTS \
         (SELECT 1 FROM contact_search_texts t WHERE t.id = c.id AND t.search = c.search)",
    )
    .bind(account_id)
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

#[cfg(test)]
mod tests {
    use super::{merge_step, phrase, plan, Plan, MOST_CANDIDATES};
    use crate::Store;
    use coproof_core::contact::{search_text, Search};

    #[test]
    fn like_patterns_match_the_text_as_it_is() {
        assert_eq!(super::like_pattern("hugo"), "%hugo%");
        assert_eq!(super::like_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }

    #[test]
    fn phrases_quote_the_text_as_it_is() {
        assert_eq!(phrase("hugo"), "\"hugo\"");
        assert_eq!(phrase("a \"b\" OR c*"), "\"a \"\"b\"\" OR c*\"");
    }

    /// A store whose account `a` holds `names` as guests (`n@x.example`, company "Co"),
    /// added `per_transaction` at a time.
    async fn store_with(names: &[String], per_transaction: usize) -> (Store, std::path::PathBuf) {
        let (store, path) = crate::store_on_temp_file("search").await;
        let mut tx = store.begin().await.unwrap();
        sqlx::query("INSERT INTO accounts (id, name, created_at) VALUES ('a', 'A', 0)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        for (chunk_at, chunk) in names.chunks(per_transaction).enumerate() {
            let mut tx = store.begin().await.unwrap();
            for (i, name) in chunk.iter().enumerate() {
                let email = format!("{}@x.example", chunk_at * per_transaction + i);
                sqlx::query(
                    "INSERT INTO contacts (owner_account_id, id, kind, name, email, company, \
                     name_key, search, created_at, updated_at) \
                     VALUES ('a', $1, 'guest', $2, $3, 'Co', $4, $5, 0, 0)",
                )
                .bind(&email)
                .bind(name)
                .bind(&email)
                .bind(name.to_lowercase())
                .bind(search_text(name, &email, Some("Co")))
                .execute(&mut *tx)
                .await
                .unwrap();
            }
            tx.commit().await.unwrap();
        }
        (store, path)
    }

    async fn plan_of(store: &Store, q: &str) -> Plan {
        let search = Search::parse(q).unwrap().unwrap();
        plan(&mut store.read().await.unwrap(), &search)
            .await
            .unwrap()
    }

    /// How many candidates the index names, `None` for a scan.
    fn inside(plan: &Plan) -> Option<usize> {
        match plan {
            Plan::Scan => None,
            Plan::Index { inside: None, .. } => Some(0),
            Plan::Index {
                inside: Some(json), ..
            } => Some(serde_json::from_str::<Vec<i64>>(json).unwrap().len()),
        }
    }

    /// Matches at the start of names are read as a range, not as candidates; rare ones
    /// further in are candidates; common ones and single letters are scanned.
    #[tokio::test]
    async fn the_index_is_used_where_it_narrows_the_search() {
        let mut names: Vec<String> = (0..400).map(|n| format!("Hugo Number{n}")).collect();
        names.push("Victor Hugo".into());
        names.push("김민지".into());
        names.push("민지 박".into());
        let (store, path) = store_with(&names, 500).await;
        // "hugo" starts 400 names (a range) and is inside one (a candidate).
        assert_eq!(inside(&plan_of(&store, "Hugo").await), Some(1));
        assert_eq!(inside(&plan_of(&store, "민지").await), Some(1));
        assert_eq!(inside(&plan_of(&store, "victor").await), Some(0));
        assert_eq!(inside(&plan_of(&store, "number7").await), Some(11));
        // Inside every name: more candidates than the index is worth.
        const { assert!(400 > MOST_CANDIDATES) };
        assert_eq!(plan_of(&store, "umber").await, Plan::Scan);
        assert_eq!(plan_of(&store, "x.example").await, Plan::Scan);
        assert_eq!(plan_of(&store, "h").await, Plan::Scan);
        // A text whose start is `|`: only an empty name could start with it.
        assert_eq!(plan_of(&store, "|co").await, Plan::Scan);
        store.close().await;
        let _ = std::fs::remove_file(path);
    }

    /// Texts added in large batches leave large segments; the worker's steps merge them
    /// into one, and searches find the same before and after.
    #[tokio::test]
    async fn large_segments_are_merged_step_by_step() {
        let names: Vec<String> = (0..30_000).map(|n| format!("Person {n} Hugo")).collect();
        let (store, path) = store_with(&names, 10_000).await;
        let segments = || async {
            let (n,): (i64,) =
                sqlx::query_as("SELECT count(DISTINCT segid) FROM contact_search_tails_idx")
                    .fetch_one(&mut *store.read().await.unwrap())
                    .await
                    .unwrap();
            n
        };
        assert!(segments().await > 1);
        let before = plan_of(&store, "n 123").await;
        let mut steps = 0;
        while merge_step(&store).await.unwrap() {
            steps += 1;
            assert!(steps < 1_000, "the merge does not end");
        }
        assert!(steps > 0);
        assert_eq!(segments().await, 1);
        assert_eq!(plan_of(&store, "n 123").await, before);
        assert_eq!(inside(&before), Some(111));
        store.close().await;
        let _ = std::fs::remove_file(path);
    }
}
