//! The access rule: ONE function deciding every read and write of folders, files, proofs,
//! their comments and their shares, from the actor, the item, and the shares on the item
//! and on the folders above it. The store gathers these facts; this decides.
//!
//! - Supervisors and admins see and edit every item of their own account.
//! - Managers see and edit the items they created (and everything inside folders they
//!   created), and see what is shared with them.
//! - Observers and visitors see only what is shared with them.
//! - A share on a folder (to a person, or to an account: every user of it, present and
//!   future) gives read-only access to the folder and everything inside it.
//! - A person share on a file gives view and download; on a proof, the role given.
//! - A trashed folder and everything inside it is invisible to everyone here (admins see
//!   the trash through its own list).
//! - The terms the owning account set for the actor's account (a partner) cap what its
//!   shares give: a proof role at most `max_proof_role` (the rights of both roles, never
//!   more than the share's), and no download of originals without `download`.
//! - Anything invisible is `NotFound`; `Forbidden` only for what the actor can see but
//!   may not do.

use crate::sharing::{ItemKind, ProofRole};
use crate::terms::Terms;
use crate::{Profile, Refusal};

/// Who asks.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub user_id: &'a str,
    pub account_id: &'a str,
    pub profile: Profile,
}

/// To whom a share gives access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grantee {
    User(String),
    Account(String),
}

/// A share that bears on an item: on the item itself, or on a folder above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub to: Grantee,
    /// On a folder above the item (not the item itself).
    pub inherited: bool,
    /// The proof role, for a share on the proof itself.
    pub role: Option<ProofRole>,
}

/// What the store knows about an item, for deciding access.
#[derive(Debug, Clone)]
pub struct Item<'a> {
    pub kind: ItemKind,
    /// The owning account.
    pub account_id: &'a str,
    /// The actor created the item or a folder above it.
    pub created_by_actor: bool,
    /// The item or a folder above it is in the trash.
    pub trashed: bool,
    /// Shares on the item and on the folders above it (others' are ignored here).
    pub grants: &'a [Grant],
    /// The terms the owning account set for the actor's account, if it set any.
    pub terms: Option<&'a Terms>,
}

/// What one may do to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// See it, its contents, its metadata; read a proof's comments.
    View,
    /// Download a file's or a proof's original bytes.
    Download,
    /// Rename, move, trash; add items inside a folder; new proof versions.
    Edit,
    /// List, add and remove its shares (and a proof's reviewers).
    Share,
    /// Comment on a proof.
    Comment,
    /// Make a decision on a proof.
    Decide,
    /// Resolve comments on a proof.
    Resolve,
}

/// Everything an actor may do to one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rights {
    pub view: bool,
    pub download: bool,
    pub edit: bool,
    pub share: bool,
    pub comment: bool,
    pub decide: bool,
    pub resolve: bool,
}

impl Rights {
    const NONE: Rights = Rights {
        view: false,
        download: false,
        edit: false,
        share: false,
        comment: false,
        decide: false,
        resolve: false,
    };

    /// Full control on the owner's side: all but deciding, which needs an approver role.
    const MANAGE: Rights = Rights {
        view: true,
        download: true,
        edit: true,
        share: true,
        comment: true,
        decide: false,
        resolve: true,
    };

    const READ: Rights = Rights {
        view: true,
        download: true,
        ..Rights::NONE
    };

    fn union(self, o: Rights) -> Rights {
        Rights {
            view: self.view || o.view,
            download: self.download || o.download,
            edit: self.edit || o.edit,
            share: self.share || o.share,
            comment: self.comment || o.comment,
            decide: self.decide || o.decide,
            resolve: self.resolve || o.resolve,
        }
    }

    fn intersection(self, o: Rights) -> Rights {
        Rights {
            view: self.view && o.view,
            download: self.download && o.download,
            edit: self.edit && o.edit,
            share: self.share && o.share,
            comment: self.comment && o.comment,
            decide: self.decide && o.decide,
            resolve: self.resolve && o.resolve,
        }
    }

    pub fn allows(self, op: Operation) -> bool {
        match op {
            Operation::View => self.view,
            Operation::Download => self.download,
            Operation::Edit => self.edit,
            Operation::Share => self.share,
            Operation::Comment => self.comment,
            Operation::Decide => self.decide,
            Operation::Resolve => self.resolve,
        }
    }
}

/// What a proof role allows. `author` and `moderator` count only for users of the owning
/// account (they are never given to others; this is the second lock on that door).
fn role_rights(role: ProofRole, own_account: bool) -> Rights {
    let role = if role.owner_account_only() && !own_account {
        ProofRole::ReadOnly
    } else {
        role
    };
    let (comment, decide, resolve, share, edit) = match role {
        ProofRole::ReadOnly => (false, false, false, false, false),
        ProofRole::Reviewer => (true, false, false, false, false),
        ProofRole::Approver => (false, true, false, false, false),
        ProofRole::ReviewerApprover => (true, true, false, false, false),
        ProofRole::Moderator => (true, false, true, true, false),
        ProofRole::Author => (true, false, true, true, true),
    };
    Rights {
        view: true,
        download: true,
        edit,
        share,
        comment,
        decide,
        resolve,
    }
}

/// Everything `actor` may do to `item`.
pub fn rights(actor: &Actor<'_>, item: &Item<'_>) -> Rights {
    if item.trashed {
        return Rights::NONE;
    }
    let own_account = actor.account_id == item.account_id;
    let mut rights = Rights::NONE;
    if own_account
        && (actor.profile.sees_all_items()
            || (actor.profile.creates_items() && item.created_by_actor))
    {
        rights = Rights::MANAGE;
    }
    for grant in item.grants {
        let names_actor = match &grant.to {
            Grantee::User(id) => id == actor.user_id,
            Grantee::Account(id) => id == actor.account_id,
        };
        if !names_actor {
            continue;
        }
        let given = match (item.kind, grant.inherited, grant.role) {
            (ItemKind::Proof, false, Some(role)) => match item.terms.filter(|_| !own_account) {
                Some(terms) => capped(role, terms.max_proof_role),
                None => role_rights(role, own_account),
            },
            _ => Rights::READ,
        };
        rights = rights.union(given);
    }
    if let Some(terms) = item.terms.filter(|_| !own_account) {
        rights.download &= terms.download;
    }
    rights
}

/// What a partner's user gets from `role` under a cap of `max`: the rights of both the
/// role and the lower of the two, so a cap only ever takes rights away (an approver capped
/// at reviewer may view, not comment).
fn capped(role: ProofRole, max: ProofRole) -> Rights {
    let lower = if role.rank() <= max.rank() { role } else { max };
    role_rights(role, false).intersection(role_rights(lower, false))
}

/// The one check: `Ok` when `actor` may do `op` to `item`; `NotFound` when the item is
/// invisible to the actor; `Forbidden` when it is visible but `op` is not allowed.
pub fn check(actor: &Actor<'_>, item: &Item<'_>, op: Operation) -> Result<Rights, Refusal> {
    let rights = rights(actor, item);
    if !rights.view {
        Err(Refusal::NotFound)
    } else if !rights.allows(op) {
        Err(Refusal::Forbidden)
    } else {
        Ok(rights)
    }
}

/// Whether `actor` may create items at the top of its own account's tree (no folder).
pub fn check_create_at_top(actor: &Actor<'_>) -> Result<(), Refusal> {
    if actor.profile.creates_items() {
        Ok(())
    } else {
        Err(Refusal::Forbidden)
    }
}

#[cfg(test)]
mod tests;
