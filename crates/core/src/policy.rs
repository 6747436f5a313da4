//! An account's partner policy (`spec/api.md`, "Partner connections"): who may send it
//! partner requests, which domains are blocked, which are accepted at once, and how long
//! a request stays pending. [`PartnerPolicy::arrival`] decides what becomes of a request
//! when it reaches the account; the store records what it answers.

use crate::email::is_domain;
use crate::Refusal;

/// Who may send the account partner requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Incoming {
    #[default]
    Anyone,
    /// Only senders whose address is in `allowed_domains` (or in `auto_accept_domains`).
    ListedDomains,
    Nobody,
}

impl Incoming {
    pub fn as_str(self) -> &'static str {
        match self {
            Incoming::Anyone => "anyone",
            Incoming::ListedDomains => "listed_domains",
            Incoming::Nobody => "nobody",
        }
    }

    pub fn parse(s: &str) -> Option<Incoming> {
        [Incoming::Anyone, Incoming::ListedDomains, Incoming::Nobody]
            .into_iter()
            .find(|i| i.as_str() == s)
    }
}

/// What becomes of a request that reaches an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Waits for an admin to answer, as every request did before policies.
    Pending,
    /// Kept from the recipient's admins; the sender sees a request nobody answers.
    Withheld,
    /// Accepted at once, by the policy.
    AutoAccepted,
}

/// The default and the bounds of `request_lifetime_days`.
pub const DEFAULT_LIFETIME_DAYS: u32 = 30;
pub const MAX_LIFETIME_DAYS: u32 = 365;
/// Domains per list.
pub const MAX_DOMAINS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerPolicy {
    pub incoming: Incoming,
    pub allowed_domains: Vec<String>,
    pub blocked_domains: Vec<String>,
    pub auto_accept_domains: Vec<String>,
    pub request_lifetime_days: u32,
}

impl Default for PartnerPolicy {
    fn default() -> PartnerPolicy {
        PartnerPolicy {
            incoming: Incoming::Anyone,
            allowed_domains: Vec::new(),
            blocked_domains: Vec::new(),
            auto_accept_domains: Vec::new(),
            request_lifetime_days: DEFAULT_LIFETIME_DAYS,
        }
    }
}

impl PartnerPolicy {
    /// Checks a policy as an admin typed it: every domain well formed (a leading `@` is
    /// dropped, case folded, duplicates removed, sorted), at most [`MAX_DOMAINS`] a list,
    /// a lifetime of 1 to [`MAX_LIFETIME_DAYS`] days.
    pub fn new(
        incoming: Incoming,
        allowed_domains: &[String],
        blocked_domains: &[String],
        auto_accept_domains: &[String],
        request_lifetime_days: i64,
    ) -> Result<PartnerPolicy, Refusal> {
        let lifetime = u32::try_from(request_lifetime_days)
            .ok()
            .filter(|d| (1..=MAX_LIFETIME_DAYS).contains(d))
            .ok_or_else(|| {
                Refusal::InvalidInput(format!(
                    "request_lifetime_days must be 1 to {MAX_LIFETIME_DAYS}."
                ))
            })?;
        Ok(PartnerPolicy {
            incoming,
            allowed_domains: domains("allowed_domains", allowed_domains)?,
            blocked_domains: domains("blocked_domains", blocked_domains)?,
            auto_accept_domains: domains("auto_accept_domains", auto_accept_domains)?,
            request_lifetime_days: lifetime,
        })
    }

    /// What becomes of a request from a sender whose (verified) address is at
    /// `sender_domain`. In this order: a blocked domain is withheld; `nobody` withholds
    /// everything; an auto-accept domain is accepted at once (being listed there lets it
    /// in under `listed_domains` too); under `listed_domains` an unlisted domain is
    /// withheld; the rest waits for an admin. A listed domain covers its subdomains.
    pub fn arrival(&self, sender_domain: &str) -> Arrival {
        let sender_domain = sender_domain.to_ascii_lowercase();
        let listed = |list: &[String]| list.iter().any(|d| covers(d, &sender_domain));
        if listed(&self.blocked_domains) || self.incoming == Incoming::Nobody {
            Arrival::Withheld
        } else if listed(&self.auto_accept_domains) {
            Arrival::AutoAccepted
        } else if self.incoming == Incoming::ListedDomains && !listed(&self.allowed_domains) {
            Arrival::Withheld
        } else {
            Arrival::Pending
        }
    }

    /// How long a request to this account stays pending, in microseconds.
    pub fn lifetime_micros(&self) -> i64 {
        i64::from(self.request_lifetime_days) * 86_400 * 1_000_000
    }
}

/// `listed` is `domain` or one of its parents.
fn covers(listed: &str, domain: &str) -> bool {
    domain == listed
        || domain
            .strip_suffix(listed)
            .is_some_and(|head| head.ends_with('.'))
}

fn domains(field: &str, raw: &[String]) -> Result<Vec<String>, Refusal> {
    if raw.len() > MAX_DOMAINS {
        return Err(Refusal::InvalidInput(format!(
            "{field}: at most {MAX_DOMAINS} domains."
        )));
    }
    let mut out = Vec::with_capacity(raw.len());
    for d in raw {
        let d = d.trim().trim_start_matches('@').to_ascii_lowercase();
        if d.len() > 253 || !is_domain(&d) {
            return Err(Refusal::InvalidInput(format!(
                "{field}: {:?} is not a domain name.",
                truncated(&d)
            )));
        }
        out.push(d);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn truncated(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod tests;
