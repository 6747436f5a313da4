//! The access rule, row by row: actor × item × shares × operation → allowed, forbidden or
//! not found.

use super::*;
use crate::sharing::ItemKind::{self, *};
use crate::sharing::ProofRole::{self, *};
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
