//! The JSON objects of `spec/api.md`, built from the store's types.

use coproof_core::partner::{Side, View};
use coproof_store::{contacts, model};
use serde::Serialize;
use utoipa::ToSchema;

/// RFC 3339 UTC with milliseconds, from microseconds since the epoch.
pub fn timestamp(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Account {
    pub id: String,
    pub name: String,
}

impl From<&model::Account> for Account {
    fn from(a: &model::Account) -> Account {
        Account {
            id: a.id.clone(),
            name: a.name.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    /// `billing_admin`, `admin`, `supervisor`, `manager`, `observer` or `visitor`.
    pub profile: String,
    pub active: bool,
    pub account_id: String,
    /// `en` or `ko`.
    pub language: String,
    /// The user has proved that it reads this address (`spec/api.md`, "Identity").
    pub email_verified: bool,
    /// Signing in needs a TOTP or recovery code too.
    pub two_factor: bool,
}

impl From<&model::User> for User {
    fn from(u: &model::User) -> User {
        User {
            id: u.id.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            profile: u.profile.as_str().to_string(),
            active: u.active,
            account_id: u.account_id.clone(),
            language: u.language.as_str().to_string(),
            email_verified: u.email_verified,
            two_factor: u.two_factor,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Inviter {
    pub id: String,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Relationship {
    pub id: String,
    /// `sent` or `received`.
    pub direction: String,
    /// `pending`, `accepted`, `rejected`, or `expired` (the sender's view of a request
    /// nobody answered in time).
    pub status: String,
    /// The invited address.
    pub email: String,
    /// The other side's account; for the sender `null` until the request was accepted.
    pub partner_account: Option<Account>,
    pub invited_by: Inviter,
    pub created_at: String,
    pub updated_at: String,
}

pub fn direction(side: Side) -> &'static str {
    match side {
        Side::Sender => "sent",
        Side::Recipient => "received",
    }
}

impl From<&model::Seen> for Relationship {
    fn from(s: &model::Seen) -> Relationship {
        Relationship {
            id: s.id.clone(),
            direction: direction(s.direction).to_string(),
            status: s.status.as_str().to_string(),
            email: s.email.clone(),
            partner_account: s.partner_account.as_ref().map(Account::from),
            invited_by: Inviter {
                id: s.invited_by.id.clone(),
                name: s.invited_by.name.clone(),
                email: s.invited_by.email.clone(),
            },
            created_at: timestamp(s.created_at),
            updated_at: timestamp(s.updated_at),
        }
    }
}

/// `{user, account}`, and a token where one was just issued.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub user: User,
    pub account: Account,
}

/// Both views of a relationship, as in the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct ViewsDto {
    pub sender: String,
    pub recipient: String,
}

impl From<coproof_core::partner::Views> for ViewsDto {
    fn from(v: coproof_core::partner::Views) -> ViewsDto {
        ViewsDto {
            sender: v.sender.as_str().to_string(),
            recipient: v.recipient.as_str().to_string(),
        }
    }
}

/// Parses a `status` filter.
pub fn parse_status(raw: &str) -> Option<View> {
    match raw {
        "pending" => Some(View::Pending),
        "accepted" => Some(View::Accepted),
        "rejected" => Some(View::Rejected),
        "expired" => Some(View::Expired),
        _ => None,
    }
}

/// A contact: one of your users, a member of a partner account, or a guest.
#[derive(Debug, Serialize, ToSchema)]
pub struct Contact {
    /// For users and members, the user's id.
    pub id: String,
    pub user_id: Option<String>,
    pub name: String,
    pub email: String,
    pub company: Option<String>,
    /// The contact's account (your own, or a partner's); null for guests.
    pub account: Option<Account>,
    /// `user`, `member` or `guest`.
    pub kind: String,
    /// For members: `active` while the partnership lasts, then `ended`.
    pub partnership: Option<String>,
    pub active: bool,
    pub telephone: Option<String>,
    pub mobile: Option<String>,
}

impl From<&contacts::Contact> for Contact {
    fn from(c: &contacts::Contact) -> Contact {
        Contact {
            id: c.id.clone(),
            user_id: c.user_id().map(str::to_string),
            name: c.name.clone(),
            email: c.email.clone(),
            company: c.company.clone(),
            account: c.account_id.as_ref().map(|id| Account {
                id: id.clone(),
                name: c.company.clone().unwrap_or_default(),
            }),
            kind: c.kind.as_str().to_string(),
            partnership: c.partnership.map(|p| p.as_str().to_string()),
            active: c.active,
            telephone: c.telephone.clone(),
            mobile: c.mobile.clone(),
        }
    }
}

/// Whom a share gives an item to.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharedWith {
    /// `user` or `account`.
    pub kind: String,
    pub id: String,
    pub name: String,
}

/// One share between the two accounts of a partnership.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewShare {
    pub share_id: String,
    /// `folder`, `file` or `proof`.
    pub item_type: String,
    pub item_id: String,
    pub item_name: String,
    pub shared_with: SharedWith,
}

/// The shares one way: their total, and the first 50 by item name.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewShares {
    pub count: i64,
    pub items: Vec<PreviewShare>,
}

/// A user of one account synced into the other's Contacts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewMember {
    pub user_id: String,
    pub name: String,
    pub email: String,
    /// `theirs`: a partner user on this account's Contacts; `ours`: a user of this
    /// account on the partner's.
    pub side: String,
}

/// The members that stop following changes (their rows stay, as `ended`): total, and the
/// first 50 (theirs first, by name).
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewMembers {
    pub count: i64,
    pub members: Vec<PreviewMember>,
}

/// An open proof (overall status `pending` or `changes_required`) of either account with
/// approvers from the other.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewProof {
    pub id: String,
    pub name: String,
    /// The owning account: `ours` or `theirs`.
    pub owner: String,
    /// The names of its approvers from the other account.
    pub approvers: Vec<String>,
}

/// Open proofs whose partner approvers' decisions still count after the removal: total,
/// and the first 50 by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewProofs {
    pub count: i64,
    pub proofs: Vec<PreviewProof>,
}

/// `GET /partners/{id}/removal-preview`: what removing this partner keeps (shares both
/// ways, contacts as `ended`) and what it stops.
#[derive(Debug, Serialize, ToSchema)]
pub struct RemovalPreview {
    pub partner_account: Account,
    /// This account's items shared with the partner account or its users (they stay).
    pub shares_out: PreviewShares,
    /// The partner's items shared with this account or its users (they stay).
    pub shares_in: PreviewShares,
    pub members_that_stop_syncing: PreviewMembers,
    pub open_proofs_with_partner_approvers: PreviewProofs,
}

fn preview_shares(
    listed: &coproof_store::removal_preview::Listed<coproof_store::removal_preview::SharedItem>,
) -> PreviewShares {
    PreviewShares {
        count: listed.count,
        items: listed
            .items
            .iter()
            .map(|s| PreviewShare {
                share_id: s.share_id.clone(),
                item_type: s.item_type.as_str().to_string(),
                item_id: s.item_id.clone(),
                item_name: s.item_name.clone(),
                shared_with: SharedWith {
                    kind: s.shared_with.kind.to_string(),
                    id: s.shared_with.id.clone(),
                    name: s.shared_with.name.clone(),
                },
            })
            .collect(),
    }
}

impl From<&coproof_store::removal_preview::RemovalPreview> for RemovalPreview {
    fn from(p: &coproof_store::removal_preview::RemovalPreview) -> RemovalPreview {
        RemovalPreview {
            partner_account: Account::from(&p.partner),
            shares_out: preview_shares(&p.shares_out),
            shares_in: preview_shares(&p.shares_in),
            members_that_stop_syncing: PreviewMembers {
                count: p.members_that_stop_syncing.count,
                members: p
                    .members_that_stop_syncing
                    .items
                    .iter()
                    .map(|m| PreviewMember {
                        user_id: m.user_id.clone(),
                        name: m.name.clone(),
                        email: m.email.clone(),
                        side: m.side.as_str().to_string(),
                    })
                    .collect(),
            },
            open_proofs_with_partner_approvers: PreviewProofs {
                count: p.open_proofs_with_partner_approvers.count,
                proofs: p
                    .open_proofs_with_partner_approvers
                    .items
                    .iter()
                    .map(|o| PreviewProof {
                        id: o.id.clone(),
                        name: o.name.clone(),
                        owner: o.owner.as_str().to_string(),
                        approvers: o.approvers.clone(),
                    })
                    .collect(),
            },
        }
    }
}
