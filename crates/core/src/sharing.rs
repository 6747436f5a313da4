//! What can be shared and how: item kinds, proof roles, decisions, the proof's overall
//! status, and the rules a new share must pass (`spec/partners.md` "Sharing").

use crate::Refusal;

/// The three kinds of item that live in an account's folder tree and can be shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    Folder,
    File,
    Proof,
}

impl ItemKind {
    pub const ALL: [ItemKind; 3] = [ItemKind::Folder, ItemKind::File, ItemKind::Proof];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Folder => "folder",
            ItemKind::File => "file",
            ItemKind::Proof => "proof",
        }
    }

    pub fn parse(s: &str) -> Option<ItemKind> {
        ItemKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The path of the item's page, as linked from e-mails (`/folders/{id}` …).
    pub fn page(self, id: &str) -> String {
        format!("/{}s/{id}", self.as_str())
    }
}

/// A person's role on a proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProofRole {
    ReadOnly,
    Reviewer,
    Approver,
    ReviewerApprover,
    Author,
    Moderator,
}

impl ProofRole {
    pub const ALL: [ProofRole; 6] = [
        ProofRole::ReadOnly,
        ProofRole::Reviewer,
        ProofRole::Approver,
        ProofRole::ReviewerApprover,
        ProofRole::Author,
        ProofRole::Moderator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProofRole::ReadOnly => "read_only",
            ProofRole::Reviewer => "reviewer",
            ProofRole::Approver => "approver",
            ProofRole::ReviewerApprover => "reviewer_approver",
            ProofRole::Author => "author",
            ProofRole::Moderator => "moderator",
        }
    }

    /// Unknown roles are `invalid_role`.
    pub fn parse(s: &str) -> Result<ProofRole, Refusal> {
        ProofRole::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or(Refusal::InvalidRole)
    }

    /// Approvers make decisions; their decisions make the proof's status.
    pub fn approves(self) -> bool {
        matches!(self, ProofRole::Approver | ProofRole::ReviewerApprover)
    }

    /// Its place in [`ProofRole::ALL`], lowest first: how terms compare roles.
    pub fn rank(self) -> usize {
        ProofRole::ALL
            .iter()
            .position(|r| *r == self)
            .unwrap_or_default()
    }

    /// Roles given only to users of the proof's owning account.
    pub fn owner_account_only(self) -> bool {
        matches!(self, ProofRole::Author | ProofRole::Moderator)
    }
}

/// An approver's decision on one version of a proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    Pending,
    Approved,
    ApprovedWithChanges,
    ChangesRequired,
    NotRelevant,
}

impl Decision {
    pub const ALL: [Decision; 5] = [
        Decision::Pending,
        Decision::Approved,
        Decision::ApprovedWithChanges,
        Decision::ChangesRequired,
        Decision::NotRelevant,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Pending => "pending",
            Decision::Approved => "approved",
            Decision::ApprovedWithChanges => "approved_with_changes",
            Decision::ChangesRequired => "changes_required",
            Decision::NotRelevant => "not_relevant",
        }
    }

    pub fn parse(s: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// Position in the spec's order, worst first; `None` for `not_relevant` (left out).
    fn badness_rank(self) -> Option<u8> {
        match self {
            Decision::ChangesRequired => Some(0),
            Decision::Pending => Some(1),
            Decision::ApprovedWithChanges => Some(2),
            Decision::Approved => Some(3),
            Decision::NotRelevant => None,
        }
    }
}

/// The proof's overall status from its approvers' decisions: the worst one, worst first
/// `changes_required`, `pending`, `approved_with_changes`, `approved`; `not_relevant`
/// decisions are left out; all `not_relevant` → `not_relevant`; no approvers → `pending`.
pub fn overall_status(approver_decisions: impl IntoIterator<Item = Decision>) -> Decision {
    let mut any = false;
    let mut worst: Option<Decision> = None;
    for decision in approver_decisions {
        any = true;
        if let Some(rank) = decision.badness_rank() {
            if worst
                .and_then(Decision::badness_rank)
                .is_none_or(|w| rank < w)
            {
                worst = Some(decision);
            }
        }
    }
    match (any, worst) {
        (false, _) => Decision::Pending,
        (true, None) => Decision::NotRelevant,
        (true, Some(w)) => w,
    }
}

/// Checks a new share of an item of `kind` owned by `owner_account`, given to a user or
/// account of `target_account` with `role` (`None` when the request gave no role).
/// `target_is_partner`: the two accounts are active partners right now.
///
/// Folders and files take no role; proofs need one. The target must be the owning
/// account or an active partner (`not_partner`); `author` and `moderator` only for users
/// of the owning account (`invalid_role`).
pub fn check_share(
    kind: ItemKind,
    owner_account: &str,
    target_account: &str,
    role: Option<&str>,
    target_is_partner: bool,
) -> Result<Option<ProofRole>, Refusal> {
    let role = match (kind, role) {
        (ItemKind::Proof, Some(r)) => Some(ProofRole::parse(r)?),
        (ItemKind::Proof, None) => return Err(Refusal::InvalidRole),
        (_, Some(_)) => return Err(Refusal::InvalidRole),
        (_, None) => None,
    };
    let own = owner_account == target_account;
    if !own && !target_is_partner {
        return Err(Refusal::NotPartner);
    }
    if !own && role.is_some_and(ProofRole::owner_account_only) {
        return Err(Refusal::InvalidRole);
    }
    Ok(role)
}

#[cfg(test)]
mod tests;
