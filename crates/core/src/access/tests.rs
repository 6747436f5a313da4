//! The access rule, row by row: actor × item × shares × operation → allowed, forbidden or
//! not found.

use super::*;
use crate::sharing::ItemKind::{self, *};
use crate::sharing::ProofRole::{self, *};
use crate::terms::Terms;
use Operation::*;
use Profile::*;

const OWN: &str = "acc-own";
const PARTNER: &str = "acc-partner";

/// How an actor stands to the item.
#[derive(Debug, Clone, Copy)]
enum Who {
    /// A user of the owning account with this profile, who did not create the item.
    Own(Profile),
    /// A user of the owning account with this profile who created the item (or a folder above).
    Creator(Profile),
    /// A user of another account with this profile.
    Partner(Profile),
}

/// Shares bearing on the item.
#[derive(Debug, Clone, Copy)]
enum Shared {
    Nothing,
    /// To the actor, on the item itself (with a role for proofs).
    ToMe(Option<ProofRole>),
    /// To someone else, on the item itself.
    ToSomeoneElse,
    /// To the actor's account, on a folder above the item.
    AccountAbove,
    /// To the actor's account, on the item itself (a folder).
    AccountHere,
    /// To another account, on a folder above.
    OtherAccountAbove,
    /// To the actor, on a folder above the item.
    MeAbove,
}

enum Expect {
    Yes,
    Forbidden,
    NotFound,
}
use Expect::*;

fn run(who: Who, kind: ItemKind, shared: Shared, trashed: bool, op: Operation) -> Expect {
    let (profile, account, creator) = match who {
        Who::Own(p) => (p, OWN, false),
        Who::Creator(p) => (p, OWN, true),
        Who::Partner(p) => (p, PARTNER, false),
    };
    let me = "user-me";
    let grant = |to, inherited, role| Grant {
        to,
        inherited,
        role,
    };
    let grants: Vec<Grant> = match shared {
        Shared::Nothing => vec![],
        Shared::ToMe(role) => vec![grant(Grantee::User(me.into()), false, role)],
        Shared::ToSomeoneElse => vec![grant(Grantee::User("user-else".into()), false, None)],
        Shared::AccountAbove => vec![grant(Grantee::Account(account.into()), true, None)],
        Shared::AccountHere => vec![grant(Grantee::Account(account.into()), false, None)],
        Shared::OtherAccountAbove => {
            vec![grant(Grantee::Account("acc-third".into()), true, None)]
        }
        Shared::MeAbove => vec![grant(Grantee::User(me.into()), true, None)],
    };
    let actor = Actor {
        user_id: me,
        account_id: account,
        profile,
    };
    let item = Item {
        kind,
        account_id: OWN,
        created_by_actor: creator,
        trashed,
        grants: &grants,
        terms: None,
    };
    match check(&actor, &item, op) {
        Ok(_) => Yes,
        Err(Refusal::Forbidden) => Forbidden,
        Err(Refusal::NotFound) => NotFound,
        Err(other) => panic!("unexpected refusal {other:?}"),
    }
}

#[test]
fn the_access_table() {
    use Shared::*;
    use Who::*;
    #[rustfmt::skip]
    let rows: &[(Who, ItemKind, Shared, bool, Operation, Expect)] = &[
        // Supervisors and admins: everything of their own account.
        (Own(BillingAdmin), Folder, Nothing, false, Edit, Yes),
        (Own(Admin), File, Nothing, false, View, Yes),
        (Own(Admin), Proof, Nothing, false, Share, Yes),
        (Own(Supervisor), Folder, Nothing, false, Edit, Yes),
        (Own(Supervisor), Proof, Nothing, false, Comment, Yes),
        (Own(Supervisor), Proof, Nothing, false, Resolve, Yes),
        // ... but a decision needs an approver role, even for them.
        (Own(Admin), Proof, Nothing, false, Decide, Forbidden),
        (Own(Admin), Proof, ToMe(Some(Approver)), false, Decide, Yes),
        // Managers: their own items, and inside folders they made.
        (Creator(Manager), Folder, Nothing, false, Edit, Yes),
        (Creator(Manager), File, Nothing, false, Share, Yes),
        (Own(Manager), Folder, Nothing, false, View, NotFound),
        (Own(Manager), File, ToSomeoneElse, false, View, NotFound),
        (Own(Manager), File, ToMe(None), false, View, Yes),
        (Own(Manager), File, ToMe(None), false, Edit, Forbidden),
        (Own(Manager), Folder, AccountAbove, false, View, Yes),
        (Own(Manager), Folder, AccountAbove, false, Edit, Forbidden),
        // Observers and visitors: only what is shared with them, even what they made
        // (a demoted manager).
        (Creator(Observer), Folder, Nothing, false, View, NotFound),
        (Own(Observer), Folder, Nothing, false, View, NotFound),
        (Own(Observer), Proof, ToMe(Some(Reviewer)), false, Comment, Yes),
        (Own(Observer), Proof, ToMe(Some(Reviewer)), false, Decide, Forbidden),
        (Own(Visitor), Proof, ToMe(Some(ReadOnly)), false, View, Yes),
        (Own(Visitor), Proof, ToMe(Some(ReadOnly)), false, Comment, Forbidden),
        (Own(Visitor), File, Nothing, false, View, NotFound),
        // A folder shared with an account: every user of it reads the folder and all inside.
        (Partner(Admin), Folder, AccountHere, false, View, Yes),
        (Partner(Visitor), Folder, AccountHere, false, View, Yes),
        (Partner(Admin), Folder, AccountHere, false, Edit, Forbidden),
        (Partner(Admin), Folder, AccountHere, false, Share, Forbidden),
        (Partner(Manager), File, AccountAbove, false, View, Yes),
        (Partner(Manager), File, AccountAbove, false, Edit, Forbidden),
        (Partner(Observer), Proof, AccountAbove, false, View, Yes),
        (Partner(Observer), Proof, AccountAbove, false, Comment, Forbidden),
        (Partner(Observer), Proof, AccountAbove, false, Decide, Forbidden),
        (Partner(Admin), Proof, OtherAccountAbove, false, View, NotFound),
        // Partners' admins see nothing of ours that is not shared.
        (Partner(Admin), Folder, Nothing, false, View, NotFound),
        (Partner(BillingAdmin), Proof, Nothing, false, Edit, NotFound),
        // A person share on a folder: read-only, inherited.
        (Partner(Manager), Folder, ToMe(None), false, View, Yes),
        (Partner(Manager), Folder, ToMe(None), false, Edit, Forbidden),
        (Partner(Manager), Proof, MeAbove, false, View, Yes),
        (Partner(Manager), Proof, MeAbove, false, Comment, Forbidden),
        // A person share on a file: view and download, nothing else.
        (Partner(Observer), File, ToMe(None), false, View, Yes),
        (Partner(Observer), File, ToMe(None), false, Share, Forbidden),
        // Proof roles.
        (Partner(Observer), Proof, ToMe(Some(ReadOnly)), false, Comment, Forbidden),
        (Partner(Observer), Proof, ToMe(Some(Reviewer)), false, Comment, Yes),
        (Partner(Observer), Proof, ToMe(Some(Reviewer)), false, Decide, Forbidden),
        (Partner(Observer), Proof, ToMe(Some(Approver)), false, Decide, Yes),
        (Partner(Observer), Proof, ToMe(Some(Approver)), false, Comment, Forbidden),
        (Partner(Observer), Proof, ToMe(Some(ReviewerApprover)), false, Decide, Yes),
        (Partner(Observer), Proof, ToMe(Some(ReviewerApprover)), false, Comment, Yes),
        (Partner(Observer), Proof, ToMe(Some(ReviewerApprover)), false, Resolve, Forbidden),
        (Own(Observer), Proof, ToMe(Some(Moderator)), false, Resolve, Yes),
        (Own(Observer), Proof, ToMe(Some(Moderator)), false, Share, Yes),
        (Own(Observer), Proof, ToMe(Some(Moderator)), false, Edit, Forbidden),
        (Own(Observer), Proof, ToMe(Some(Author)), false, Edit, Yes),
        (Own(Observer), Proof, ToMe(Some(Author)), false, Decide, Forbidden),
        // Author and moderator never work outside the owning account.
        (Partner(Admin), Proof, ToMe(Some(Author)), false, View, Yes),
        (Partner(Admin), Proof, ToMe(Some(Author)), false, Edit, Forbidden),
        (Partner(Admin), Proof, ToMe(Some(Moderator)), false, Resolve, Forbidden),
        // The trash hides everything, from everyone.
        (Own(Admin), Folder, Nothing, true, View, NotFound),
        (Creator(Manager), File, Nothing, true, View, NotFound),
        (Partner(Manager), Proof, AccountAbove, true, View, NotFound),
    ];
    for (i, (who, kind, shared, trashed, op, expected)) in rows.iter().enumerate() {
        let got = run(*who, *kind, *shared, *trashed, *op);
        let same = matches!(
            (&got, expected),
            (Yes, Yes) | (Forbidden, Forbidden) | (NotFound, NotFound)
        );
        assert!(
            same,
            "row {i}: {who:?} {kind:?} {shared:?} trashed={trashed} {op:?}: expected {}, got {}",
            name(expected),
            name(&got)
        );
    }
}

fn name(e: &Expect) -> &'static str {
    match e {
        Yes => "allowed",
        Forbidden => "forbidden",
        NotFound => "not found",
    }
}

#[test]
fn only_managers_and_up_create_at_the_top() {
    for p in Profile::ALL {
        let actor = Actor {
            user_id: "u",
            account_id: OWN,
            profile: p,
        };
        assert_eq!(check_create_at_top(&actor).is_ok(), p <= Manager, "{p:?}");
    }
}

/// The rights a partner's user gets from a share of a proof with `role` to it, under terms
/// with `max` and `download` (or none); and an own user's under the same terms.
fn under_terms(role: ProofRole, terms: Option<&Terms>, partner: bool) -> Rights {
    let grants = [Grant {
        to: Grantee::User("user-me".into()),
        inherited: false,
        role: Some(role),
    }];
    let actor = Actor {
        user_id: "user-me",
        account_id: if partner { PARTNER } else { OWN },
        profile: Observer,
    };
    rights(
        &actor,
        &Item {
            kind: Proof,
            account_id: OWN,
            created_by_actor: false,
            trashed: false,
            grants: &grants,
            terms,
        },
    )
}

fn terms(max: ProofRole, download: bool) -> Terms {
    Terms {
        max_proof_role: max,
        download,
        ..Terms::default()
    }
}

/// (view, comment, decide) of some rights.
fn vcd(r: Rights) -> (bool, bool, bool) {
    (r.view, r.comment, r.decide)
}

#[test]
fn terms_cap_the_proof_role_row_by_row() {
    // (share's role, max_proof_role) → (view, comment, decide)
    #[rustfmt::skip]
    let rows: &[(ProofRole, ProofRole, (bool, bool, bool))] = &[
        (ReviewerApprover, ReviewerApprover, (true, true, true)),
        (ReviewerApprover, Approver,         (true, false, true)),
        (ReviewerApprover, Reviewer,         (true, true, false)),
        (ReviewerApprover, ReadOnly,         (true, false, false)),
        (Approver,         Reviewer,         (true, false, false)),
        (Approver,         ReviewerApprover, (true, false, true)),
        (Reviewer,         Approver,         (true, true, false)),
        (Reviewer,         ReadOnly,         (true, false, false)),
        (ReadOnly,         ReviewerApprover, (true, false, false)),
    ];
    for (role, max, want) in rows {
        let got = under_terms(*role, Some(&terms(*max, true)), true);
        assert_eq!(vcd(got), *want, "{role:?} capped at {max:?}");
    }
}

#[test]
fn terms_never_add_a_right() {
    for role in ProofRole::ALL {
        let free = under_terms(role, None, true);
        for max in ProofRole::ALL {
            for download in [true, false] {
                let capped = under_terms(role, Some(&terms(max, download)), true);
                assert_eq!(capped.intersection(free), capped, "{role:?} at {max:?}");
            }
        }
    }
}

#[test]
fn the_default_terms_cap_nothing() {
    for role in ProofRole::ALL {
        assert_eq!(
            under_terms(role, Some(&Terms::default()), true),
            under_terms(role, None, true),
            "{role:?}"
        );
    }
}

#[test]
fn without_download_a_partner_views_but_does_not_download() {
    let t = terms(ReviewerApprover, false);
    let r = under_terms(Reviewer, Some(&t), true);
    assert!(r.view && r.comment && !r.download);
    let actor = Actor {
        user_id: "user-me",
        account_id: PARTNER,
        profile: Observer,
    };
    let grants = [Grant {
        to: Grantee::Account(PARTNER.into()),
        inherited: true,
        role: None,
    }];
    let item = Item {
        kind: File,
        account_id: OWN,
        created_by_actor: false,
        trashed: false,
        grants: &grants,
        terms: Some(&t),
    };
    assert!(check(&actor, &item, View).is_ok());
    assert_eq!(check(&actor, &item, Download), Err(Refusal::Forbidden));
    let free = Item {
        terms: None,
        ..item
    };
    assert!(check(&actor, &free, Download).is_ok());
}

#[test]
fn terms_do_not_bind_the_owning_accounts_users() {
    let t = terms(ReadOnly, false);
    assert_eq!(
        under_terms(Approver, Some(&t), false),
        under_terms(Approver, None, false)
    );
}
