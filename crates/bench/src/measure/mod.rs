//! The measurements, one module each. A measurement builds the data it needs, drives the
//! server and answers a JSON object of figures; `main` files it under its name in
//! `results`. Add a module and a line in [`ALL`] for a new one.

mod access_check;
mod contacts;
mod healthz;
mod partner_cycle;
mod partner_send;
mod terms;

use crate::server::Server;
use crate::Args;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;

pub type Figures<'a> = Pin<Box<dyn Future<Output = anyhow::Result<Value>> + Send + 'a>>;

pub struct Measurement {
    pub name: &'static str,
    pub run: for<'a> fn(&'a Server, &'a Args) -> Figures<'a>,
}

pub const ALL: &[Measurement] = &[
    Measurement {
        name: "healthz",
        run: |s, a| Box::pin(healthz::run(s, a)),
    },
    Measurement {
        name: "partner_send",
        run: |s, a| Box::pin(partner_send::run(s, a)),
    },
    Measurement {
        name: "partner_cycle",
        run: |s, a| Box::pin(partner_cycle::run(s, a)),
    },
    Measurement {
        name: "access_check",
        run: |s, a| Box::pin(access_check::run(s, a)),
    },
    Measurement {
        name: "terms",
        run: |s, a| Box::pin(terms::run(s, a)),
    },
    Measurement {
        name: "contacts_raw_sql",
        run: |s, a| Box::pin(contacts::raw_sql(s, a)),
    },
    Measurement {
        name: "contacts_first_page",
        run: |s, a| Box::pin(contacts::first_page(s, a)),
    },
    Measurement {
        name: "contacts_deep_page",
        run: |s, a| Box::pin(contacts::deep_page(s, a)),
    },
    Measurement {
        name: "contacts_search",
        run: |s, a| Box::pin(contacts::search(s, a)),
    },
    Measurement {
        name: "user_join_fanout",
        run: |s, a| Box::pin(contacts::user_join_fanout(s, a)),
    },
    Measurement {
        name: "accept_large",
        run: |s, a| Box::pin(contacts::accept_large(s, a)),
    },
    // Last: memory after everything above.
    Measurement {
        name: "server_peak_rss_mb",
        run: |s, a| Box::pin(contacts::peak_rss(s, a)),
    },
    Measurement {
        name: "server_private_rss_mb",
        run: |s, a| Box::pin(contacts::private_rss(s, a)),
    },
];
