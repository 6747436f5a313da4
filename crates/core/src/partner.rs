//! Partner relationships: the transition table and the send rules of `spec/partners.md`.
//!
//! A relationship is one partner request, seen from two sides. Each side has its own
//! [`View`]. [`transition`] is the spec's table in code; [`check_send`] is the list of
//! reasons a request may not be sent. Both are pure: the store gathers the facts inside a
//! transaction, asks these functions, and writes what they answer.

use crate::{Profile, Refusal};

/// One side's view of a relationship.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    Pending,
    Accepted,
    Rejected,
    /// The sender's view of a request nobody answered in time (the recipient policy's
    /// `request_lifetime_days`). It blocks nothing.
    Expired,
    /// Gone from that side's Partners tab.
    None,
}

impl View {
    pub fn as_str(self) -> &'static str {
        match self {
            View::Pending => "pending",
            View::Accepted => "accepted",
            View::Rejected => "rejected",
            View::Expired => "expired",
            View::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<View> {
        match s {
            "pending" => Some(View::Pending),
            "accepted" => Some(View::Accepted),
            "rejected" => Some(View::Rejected),
            "expired" => Some(View::Expired),
            "none" => Some(View::None),
            _ => None,
        }
    }
}

/// The two views of a relationship: the sender account's and the recipient account's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Views {
    pub sender: View,
    pub recipient: View,
}

impl Views {
    pub const fn new(sender: View, recipient: View) -> Views {
        Views { sender, recipient }
    }

    /// `sender:recipient`, e.g. `pending:pending` (how the store lists views it gathers).
    pub fn parse_pair(s: &str) -> Option<Views> {
        let (sender, recipient) = s.split_once(':')?;
        Some(Views::new(View::parse(sender)?, View::parse(recipient)?))
    }

    /// A new request: pending on both sides.
    pub const NEW: Views = Views::new(View::Pending, View::Pending);

    /// A new request the recipient's policy keeps from its admins: the sender sees it
    /// pending, exactly like one nobody answers; the recipient does not see it.
    pub const WITHHELD: Views = Views::new(View::Pending, View::None);

    /// Gone for both accounts (kept only in the audit log).
    pub fn is_gone(self) -> bool {
        self.sender == View::None && self.recipient == View::None
    }

    /// An active partnership.
    pub fn is_partnership(self) -> bool {
        self.sender == View::Accepted && self.recipient == View::Accepted
    }

    pub fn is_pending(self) -> bool {
        self.sender == View::Pending && self.recipient == View::Pending
    }

    /// The sender waits for an answer (send rule 5 counts these, withheld or not).
    pub fn awaits_answer(self) -> bool {
        self.sender == View::Pending
    }

    /// The rejection block of send rule 6: either view is `rejected`.
    pub fn blocks_resend(self) -> bool {
        self.sender == View::Rejected || self.recipient == View::Rejected
    }

    pub fn of(self, side: Side) -> View {
        match side {
            Side::Sender => self.sender,
            Side::Recipient => self.recipient,
        }
    }
}

/// Which account acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Sender,
    Recipient,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Accept,
    /// "Reject and ignore".
    Reject,
    /// "Delete" on a request, or "remove partner" on a partnership.
    Delete,
}

/// What a transition sets off besides the new views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Contacts sync starts both ways.
    StartSync,
    /// Contacts sync stops; nothing already synced or shared is removed.
    StopSync,
    /// Every other pending request between the two accounts, either direction, is
    /// resolved into this one (both views become `none`).
    ResolveOtherPending,
    /// E-mail to the sending user: accepted.
    MailAccepted,
    /// E-mail to the sending user: rejected.
    MailRejected,
    /// E-mail to the sending user: nobody answered in time.
    MailExpired,
}

/// The result of an allowed transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub views: Views,
    pub effects: Vec<Effect>,
}

/// The spec's transition table. `side` is the acting account's side, `profile` the acting
/// user's profile.
///
/// Refusals, in this order: a non-admin is `Forbidden`; a relationship whose view on the
/// acting side is `none` is `NotFound`; anything else outside the table is `InvalidState`.
pub fn transition(
    views: Views,
    action: Action,
    side: Side,
    profile: Profile,
) -> Result<Outcome, Refusal> {
    if !profile.is_admin() {
        return Err(Refusal::Forbidden);
    }
    table(views, action, side)
}

/// The recipient's policy accepts a request the moment it arrives (its sender's domain is
/// in `auto_accept_domains`): row 1, with no user acting.
pub fn accept_by_policy(views: Views) -> Result<Outcome, Refusal> {
    table(views, Action::Accept, Side::Recipient)
}

/// A request nobody answered within the recipient policy's lifetime: the sender sees it
/// `expired` (and is e-mailed), the recipient no longer sees it. Only a request the sender
/// still waits on expires (a withheld one too); anything else is `InvalidState`.
pub fn expire(views: Views) -> Result<Outcome, Refusal> {
    if !views.awaits_answer() {
        return Err(Refusal::InvalidState);
    }
    Ok(Outcome {
        views: Views::new(View::Expired, View::None),
        effects: vec![Effect::MailExpired],
    })
}

fn table(views: Views, action: Action, side: Side) -> Result<Outcome, Refusal> {
    use Action::*;
    use Effect::*;
    use Side::*;
    use View::{Accepted as A, Expired as X, None as N, Pending as P, Rejected as R};

    if views.of(side) == N {
        return Err(Refusal::NotFound);
    }
    let (sender, recipient, effects): (View, View, Vec<Effect>) =
        match (views.sender, views.recipient, action, side) {
            (P, P, Accept, Recipient) => (A, A, vec![StartSync, MailAccepted, ResolveOtherPending]),
            (P, P, Reject, Recipient) => (R, R, vec![MailRejected]),
            (P, P | N, Delete, Sender) => (N, N, vec![]),
            (P, P, Delete, Recipient) => (R, N, vec![]),
            (A, A, Delete, Sender) => (N, N, vec![StopSync]),
            (A, A, Delete, Recipient) => (R, N, vec![StopSync]),
            (R | X, x, Delete, Sender) => (N, x, vec![]),
            (x, R, Delete, Recipient) => (x, N, vec![]),
            _ => return Err(Refusal::InvalidState),
        };
    Ok(Outcome {
        views: Views::new(sender, recipient),
        effects,
    })
}

/// Only admins see the Partners tab and act on it (`spec/partners.md`, "Who may send
/// what", rule 2, which holds for accepting, rejecting and deleting as well).
pub fn check_manage(profile: Profile) -> Result<(), Refusal> {
    if profile.is_admin() {
        Ok(())
    } else {
        Err(Refusal::Forbidden)
    }
}

/// What the store knows about a proposed request from account S to address E, gathered in
/// the sending transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendFacts {
    /// The sending user is an admin of S.
    pub sender_is_admin: bool,
    /// The sending user has proved that it reads its mailbox (`spec/api.md`, "Identity").
    pub sender_is_verified: bool,
    /// E is the address of a user of S.
    pub address_is_own_user: bool,
    /// S and E's account have an accepted relationship, either direction.
    pub already_partners: bool,
    /// The views of every relationship from S to E that still exists for someone.
    pub existing_to_address: Vec<Views>,
    /// The views of every relationship from E's account to S that still exists for someone
    /// (rule 7 asks for a pending one).
    pub incoming: Vec<Views>,
    /// Requests S created in the last hour.
    pub sent_last_hour: u32,
    /// Seconds until the oldest of those leaves the hour window.
    pub retry_after_secs: u64,
}

/// Send rules 2–8 (rule 1, the address grammar, is [`crate::EmailAddress::parse`]).
pub fn check_send(facts: &SendFacts, limit_per_hour: u32) -> Result<(), Refusal> {
    if !facts.sender_is_admin {
        return Err(Refusal::Forbidden);
    }
    if !facts.sender_is_verified {
        return Err(Refusal::EmailUnverified);
    }
    if facts.address_is_own_user {
        return Err(Refusal::OwnAccount);
    }
    if facts.already_partners {
        return Err(Refusal::AlreadyPartners);
    }
    if facts.existing_to_address.iter().any(|v| v.awaits_answer()) {
        return Err(Refusal::AlreadyInvited);
    }
    if facts.existing_to_address.iter().any(|v| v.blocks_resend()) {
        return Err(Refusal::RejectedInvitation);
    }
    if facts.incoming.iter().any(|v| v.is_pending()) {
        return Err(Refusal::IncomingRequestPending);
    }
    if facts.sent_last_hour >= limit_per_hour {
        return Err(Refusal::RateLimited {
            retry_after_secs: facts.retry_after_secs.max(1),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
