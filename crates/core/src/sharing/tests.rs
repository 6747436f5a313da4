//! The overall-status order and the new-share rules, row by row.

use super::*;
use Decision::*;

#[test]
fn overall_status_is_the_worst_decision_among_approvers() {
    let rows: &[(&[Decision], Decision)] = &[
        (&[], Pending),
        (&[Approved], Approved),
        (&[Approved, ApprovedWithChanges], ApprovedWithChanges),
        (&[ApprovedWithChanges, Pending], Pending),
        (&[Pending, ChangesRequired, Approved], ChangesRequired),
        (&[ChangesRequired, Pending], ChangesRequired),
        (&[NotRelevant], NotRelevant),
        (&[NotRelevant, NotRelevant], NotRelevant),
        (&[NotRelevant, Approved], Approved),
        (
            &[Approved, NotRelevant, ApprovedWithChanges],
            ApprovedWithChanges,
        ),
        (&[NotRelevant, Pending], Pending),
    ];
    for (decisions, expected) in rows {
        assert_eq!(
            overall_status(decisions.iter().copied()),
            *expected,
            "decisions {decisions:?}"
        );
    }
}

#[test]
fn names_round_trip() {
    for d in Decision::ALL {
        assert_eq!(Decision::parse(d.as_str()), Some(d));
    }
    for r in ProofRole::ALL {
        assert_eq!(ProofRole::parse(r.as_str()), Ok(r));
    }
    for k in ItemKind::ALL {
        assert_eq!(ItemKind::parse(k.as_str()), Some(k));
    }
    assert_eq!(ProofRole::parse("owner"), Err(Refusal::InvalidRole));
    assert_eq!(Decision::parse("maybe"), None);
    assert_eq!(ItemKind::Proof.page("x"), "/proofs/x");
}

#[test]
fn new_shares_follow_the_spec() {
    use ItemKind::*;
    let own = "acc-own";
    let other = "acc-other";
    type Row = (
        ItemKind,
        &'static str,
        Option<&'static str>,
        bool,
        Result<Option<ProofRole>, Refusal>,
    );
    let rows: &[Row] = &[
        // kind, target account, role, partners now → result
        (Folder, own, None, false, Ok(None)),
        (Folder, other, None, true, Ok(None)),
        (Folder, other, None, false, Err(Refusal::NotPartner)),
        (
            Folder,
            other,
            Some("reviewer"),
            true,
            Err(Refusal::InvalidRole),
        ),
        (File, other, None, true, Ok(None)),
        (File, other, None, false, Err(Refusal::NotPartner)),
        (File, own, Some("author"), false, Err(Refusal::InvalidRole)),
        (Proof, own, None, false, Err(Refusal::InvalidRole)),
        (Proof, own, Some("boss"), false, Err(Refusal::InvalidRole)),
        (
            Proof,
            own,
            Some("author"),
            false,
            Ok(Some(ProofRole::Author)),
        ),
        (
            Proof,
            own,
            Some("moderator"),
            false,
            Ok(Some(ProofRole::Moderator)),
        ),
        (
            Proof,
            other,
            Some("author"),
            true,
            Err(Refusal::InvalidRole),
        ),
        (
            Proof,
            other,
            Some("moderator"),
            true,
            Err(Refusal::InvalidRole),
        ),
        (
            Proof,
            other,
            Some("approver"),
            true,
            Ok(Some(ProofRole::Approver)),
        ),
        (
            Proof,
            other,
            Some("reviewer_approver"),
            true,
            Ok(Some(ProofRole::ReviewerApprover)),
        ),
        (
            Proof,
            other,
            Some("read_only"),
            true,
            Ok(Some(ProofRole::ReadOnly)),
        ),
        (
            Proof,
            other,
            Some("reviewer"),
            false,
            Err(Refusal::NotPartner),
        ),
    ];
    for (kind, target, role, partners, expected) in rows {
        assert_eq!(
            check_share(*kind, own, target, *role, *partners),
            *expected,
            "{kind:?} to {target} role {role:?} partners {partners}"
        );
    }
}
