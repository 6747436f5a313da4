//! Integration tests: the real app on port 0, each test with its own fresh database, every
//! scenario on SQLite and (when `COPROOF_TEST_POSTGRES` names a server) on PostgreSQL.

#[allow(dead_code)] // a harness: not every helper is used by every scenario yet
mod support;

mod foundation;
mod web;
