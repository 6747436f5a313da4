//! The JSON shapes of partner connections (`spec/api.md`, "Partner connections"): the
//! consent preview, the history, the policy and the terms.

use crate::http::dto::{timestamp, Account};
use coproof_core::policy::PartnerPolicy;
use coproof_core::terms::{Terms, VisibleUsers};
use coproof_store::{partner_history, partner_preview};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewSender {
    pub name: String,
    pub email: String,
    pub email_verified: bool,
}

/// What a partnership's terms allow the partner's users.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TermsBody {
    /// The highest proof role the partner's users may get on what is shared with them.
    pub max_proof_role: String,
    /// Whether they may download originals.
    pub download: bool,
    /// `"all"`, or the ids of the users the partner sees.
    #[schema(value_type = Object)]
    pub visible_users: serde_json::Value,
}

impl TermsBody {
    /// The terms as typed: `visible_users` is `"all"` or a list of user ids.
    pub fn to_terms(&self) -> Result<Terms, coproof_core::Refusal> {
        let bad = || {
            coproof_core::Refusal::InvalidInput(
                "visible_users must be \"all\" or a list of user ids.".into(),
            )
        };
        let visible = match &self.visible_users {
            serde_json::Value::String(s) if s == "all" => None,
            serde_json::Value::Array(ids) => Some(
                ids.iter()
                    .map(|v| v.as_str().map(str::to_string).ok_or_else(bad))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            _ => return Err(bad()),
        };
        Terms::new(&self.max_proof_role, self.download, visible)
    }
}

impl From<&Terms> for TermsBody {
    fn from(t: &Terms) -> TermsBody {
        TermsBody {
            max_proof_role: t.max_proof_role.as_str().to_string(),
            download: t.download,
            visible_users: match &t.visible_users {
                VisibleUsers::All => serde_json::Value::from("all"),
                VisibleUsers::Only(ids) => serde_json::Value::from(ids.clone()),
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentPreview {
    pub sender_account: Account,
    pub sender: PreviewSender,
    /// Active users of the sender's account, whom your users would see on Contacts.
    pub users_you_will_see: i64,
    /// Active users of your account, whom the sender's users would see.
    pub users_they_will_see: i64,
    pub terms_offered: TermsBody,
}

impl From<&partner_preview::Preview> for ConsentPreview {
    fn from(p: &partner_preview::Preview) -> ConsentPreview {
        ConsentPreview {
            sender_account: Account::from(&p.sender_account),
            sender: PreviewSender {
                name: p.sender.name.clone(),
                email: p.sender.email.clone(),
                email_verified: p.sender.email_verified,
            },
            users_you_will_see: p.users_you_will_see,
            users_they_will_see: p.users_they_will_see,
            terms_offered: TermsBody::from(&p.terms_offered),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryActor {
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEvent {
    pub at: String,
    /// `requested`, `received`, `accepted`, `rejected`, `deleted`, `withdrawn`, `removed`,
    /// `resolved`, `dropped` or `expired`.
    pub action: String,
    /// Who made the change: `ours`, `theirs` or `system` (a policy, the clock, an address
    /// joining an account).
    pub side: String,
    /// The user who acted, when your account may know the name.
    pub actor: Option<HistoryActor>,
    /// Why, when no user answered: `auto_accepted_by_policy`, `another_request_accepted`,
    /// `already_partners`, `address_joined_your_account`, `no_answer_in_time`.
    pub reason: Option<String>,
}

impl From<&partner_history::Event> for HistoryEvent {
    fn from(e: &partner_history::Event) -> HistoryEvent {
        HistoryEvent {
            at: timestamp(e.at),
            action: e.action.to_string(),
            side: e.side.as_str().to_string(),
            actor: e.actor_name.clone().map(|name| HistoryActor { name }),
            reason: e.reason.map(str::to_string),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct History {
    pub events: Vec<HistoryEvent>,
}

/// An account's partner policy.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PolicyBody {
    /// Who may send your account partner requests: `anyone`, `listed_domains`, `nobody`.
    pub incoming: String,
    /// Under `listed_domains`, the domains whose users may (a domain covers its subdomains).
    pub allowed_domains: Vec<String>,
    /// Requests from these domains are kept from your admins; the sender sees a request
    /// nobody answers.
    pub blocked_domains: Vec<String>,
    /// Requests from these domains are accepted at once.
    pub auto_accept_domains: Vec<String>,
    /// Days a request waits for an answer before it expires (1 to 365).
    pub request_lifetime_days: i64,
}

impl From<&PartnerPolicy> for PolicyBody {
    fn from(p: &PartnerPolicy) -> PolicyBody {
        PolicyBody {
            incoming: p.incoming.as_str().to_string(),
            allowed_domains: p.allowed_domains.clone(),
            blocked_domains: p.blocked_domains.clone(),
            auto_accept_domains: p.auto_accept_domains.clone(),
            request_lifetime_days: i64::from(p.request_lifetime_days),
        }
    }
}
