//! Integration tests: the real app on port 0, each test with its own fresh database, every
//! scenario on SQLite and (when `COPROOF_TEST_POSTGRES` names a server) on PostgreSQL.

#[allow(dead_code)] // a harness: not every helper is used by every scenario yet
mod support;

mod access_matrix;
mod bad_input;
mod cli;
mod contacts;
mod foundation;
mod hardening;
mod identities;
mod identity_flows;
mod identity_sessions;
mod mail;
mod object_storage;
mod partner_mail;
mod partner_model;
mod partner_policy;
mod partner_races;
mod partner_terms;
mod partners;
mod removal_preview;
mod replicas;
mod service;
mod sharing;
mod web;
mod webhooks;
