//! Several writes sent to the database as one round trip.
//!
//! On SQLite every statement is a hop to the single writer connection's thread and back,
//! and the writer is held for the whole transaction, so the hops of a hot transaction
//! decide how many of them fit in a second. A [`Batch`] joins its statements into one
//! multi-statement query there (SQLite binds `$N` by absolute position, so each
//! statement's placeholders are renumbered after the ones before it).
//!
//! PostgreSQL's extended protocol takes one statement per query, so there the batch is one
//! statement: `WITH w0 AS (first), w1 AS (second) … last`, each data-modifying statement a
//! part of the query, placeholders renumbered the same way; the live-page changes the
//! transaction announced so far ride along as a final `SELECT pg_notify(…)` (`live.rs`),
//! which saves the commit a round trip of its own. The parts of one statement run on one
//! snapshot: **the statements of a batch must not read what another of them writes**
//! (inserts of independent rows, as every batch here is). Foreign keys are checked at the
//! end of the statement, so a row and another that refers to it may share a batch.

use crate::{StoreResult, Tx};

/// One bound value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    MaybeText(Option<String>),
    Int(i64),
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Value {
        Value::MaybeText(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

/// One statement with its parameters (`$1` … `$N`, numbered from 1 within it).
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: &'static str,
    pub params: Vec<Value>,
}

impl Statement {
    pub fn new(sql: &'static str, params: Vec<Value>) -> Statement {
        Statement { sql, params }
    }

    /// Runs this one statement inside `tx`.
    pub async fn execute(self, tx: &mut Tx) -> StoreResult<()> {
        let mut batch = Batch::default();
        batch.push(self);
        batch.execute(tx).await
    }
}

/// Statements to run in order inside one transaction.
#[derive(Debug, Default)]
pub struct Batch {
    statements: Vec<Statement>,
}

impl Batch {
    pub fn push(&mut self, statement: Statement) {
        self.statements.push(statement);
    }

    /// Runs every statement, in order, inside `tx`.
    pub async fn execute(self, tx: &mut Tx) -> StoreResult<()> {
        if self.statements.is_empty() {
            return Ok(());
        }
        if tx.backend_name() == "SQLite" {
            let (sql, params) = self.joined();
            bind_all(sqlx::query(&sql), params)
                .execute(&mut **tx)
                .await?;
        } else {
            let changes = std::mem::take(&mut tx.after_commit().changes);
            let (sql, params) = self.chained(&changes);
            bind_all(sqlx::query(&sql), params)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// The statements as one PostgreSQL statement, with the notice of `changes` last.
    fn chained(self, changes: &[crate::live::Change]) -> (String, Vec<Value>) {
        let mut parts = Vec::with_capacity(self.statements.len() + 1);
        let mut params = Vec::new();
        for statement in self.statements {
            parts.push(renumber(statement.sql, params.len()));
            params.extend(statement.params);
        }
        if let Some((sql, notice)) = crate::live::notice(changes, params.len()) {
            parts.push(sql);
            params.extend(notice.into_iter().map(Value::Text));
        }
        let last = parts.pop().unwrap_or_default();
        if parts.is_empty() {
            return (last, params);
        }
        let with: Vec<String> = parts
            .iter()
            .enumerate()
            .map(|(i, part)| format!("w{i} AS ({part})"))
            .collect();
        (format!("WITH {} {last}", with.join(", ")), params)
    }

    /// The statements as one query, placeholders renumbered to follow on.
    fn joined(self) -> (String, Vec<Value>) {
        let mut sql = String::new();
        let mut params = Vec::new();
        for statement in self.statements {
            sql.push_str(&renumber(statement.sql, params.len()));
            sql.push_str(";\n");
            params.extend(statement.params);
        }
        (sql, params)
    }
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind_all(mut query: Query<'_>, params: Vec<Value>) -> Query<'_> {
    for value in params {
        query = match value {
            Value::Text(v) => query.bind(v),
            Value::MaybeText(v) => query.bind(v),
            Value::Int(v) => query.bind(v),
        };
    }
    query
}

/// `$first, $first+1, …`: `count` placeholders, for an `IN (…)` list.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `$1` → `$(1 + offset)`, for every placeholder of `sql` (our SQL has no `$` elsewhere).
pub(crate) fn renumber(sql: &str, offset: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        let mut digits = String::new();
        while let Some(&(_, d)) = chars.peek() {
            if !d.is_ascii_digit() {
                break;
            }
            digits.push(d);
            chars.next();
        }
        match digits.parse::<usize>() {
            Ok(n) => out.push_str(&(n + offset).to_string()),
            Err(_) => out.push_str(&digits),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_an_in_list_from_the_first() {
        assert_eq!(placeholders(2, 3), "$2, $3, $4");
        assert_eq!(placeholders(5, 1), "$5");
    }

    #[test]
    fn placeholders_follow_on_from_the_statements_before() {
        assert_eq!(renumber("VALUES ($1, $2, $10)", 3), "VALUES ($4, $5, $13)");
        assert_eq!(renumber("x = $1 AND y = $1", 0), "x = $1 AND y = $1");
        assert_eq!(renumber("no params", 5), "no params");
    }

    #[test]
    fn on_postgresql_a_batch_is_one_statement_with_the_notice_last() {
        let batch = || {
            let mut batch = Batch::default();
            batch.push(Statement::new(
                "INSERT INTO a VALUES ($1)",
                vec!["x".into()],
            ));
            batch.push(Statement::new("UPDATE b SET c = $1", vec![2.into()]));
            batch
        };
        let (sql, params) = batch().chained(&[]);
        assert_eq!(
            sql,
            "WITH w0 AS (INSERT INTO a VALUES ($1)) UPDATE b SET c = $2"
        );
        assert_eq!(params, vec![Value::from("x"), Value::Int(2)]);
        let (sql, params) = batch().chained(&[crate::live::Change::partners("acc")]);
        assert_eq!(
            sql,
            "WITH w0 AS (INSERT INTO a VALUES ($1)), w1 AS (UPDATE b SET c = $2) \
             SELECT pg_notify($3, $4)"
        );
        assert_eq!(
            params[2..],
            [
                Value::from(crate::live::CHANNEL),
                Value::from("acc partners")
            ]
        );
        let mut one = Batch::default();
        one.push(Statement::new("DELETE FROM a WHERE x = $1", vec![1.into()]));
        assert_eq!(one.chained(&[]).0, "DELETE FROM a WHERE x = $1");
    }

    #[test]
    fn a_batch_joins_statements_and_parameters_in_order() {
        let mut batch = Batch::default();
        batch.push(Statement::new(
            "INSERT INTO a VALUES ($1, $2)",
            vec!["x".into(), 1.into()],
        ));
        batch.push(Statement::new("UPDATE b SET c = $1", vec![None.into()]));
        let (sql, params) = batch.joined();
        assert_eq!(
            sql,
            "INSERT INTO a VALUES ($1, $2);\nUPDATE b SET c = $3;\n"
        );
        assert_eq!(
            params,
            vec![Value::from("x"), Value::Int(1), Value::MaybeText(None)]
        );
    }
}
