//! The spec's transition table, row by row, and every refusal.

use super::*;
use Action::*;
use Effect::*;
use Side::*;
use View::{Accepted as A, Expired as X, None as N, Pending as P, Rejected as R};

const ADMIN: Profile = Profile::Admin;

fn go(s: View, r: View, action: Action, side: Side) -> Result<Outcome, Refusal> {
    transition(Views::new(s, r), action, side, ADMIN)
}

fn views(s: View, r: View) -> Views {
    Views::new(s, r)
}

#[test]
fn row_1_recipient_accepts_pending() {
    let out = go(P, P, Accept, Recipient).unwrap();
    assert_eq!(out.views, views(A, A));
    assert_eq!(
        out.effects,
        vec![StartSync, MailAccepted, ResolveOtherPending]
    );
}

#[test]
fn row_2_recipient_rejects_and_ignores_pending() {
    let out = go(P, P, Reject, Recipient).unwrap();
    assert_eq!(out.views, views(R, R));
    assert_eq!(out.effects, vec![MailRejected]);
}

#[test]
fn row_3_sender_deletes_pending_and_it_is_gone_for_both() {
    let out = go(P, P, Delete, Sender).unwrap();
    assert_eq!(out.views, views(N, N));
    assert!(out.views.is_gone());
    assert!(out.effects.is_empty());
}

#[test]
fn row_4_recipient_deletes_pending_and_sender_sees_rejected() {
    let out = go(P, P, Delete, Recipient).unwrap();
    assert_eq!(out.views, views(R, N));
    assert!(out.effects.is_empty());
}

#[test]
fn row_5_sender_removes_partner_and_it_is_gone_for_both() {
    let out = go(A, A, Delete, Sender).unwrap();
    assert_eq!(out.views, views(N, N));
    assert_eq!(out.effects, vec![StopSync]);
}

#[test]
fn row_6_recipient_removes_partner_and_sender_sees_rejected() {
    let out = go(A, A, Delete, Recipient).unwrap();
    assert_eq!(out.views, views(R, N));
    assert_eq!(out.effects, vec![StopSync]);
}

#[test]
fn row_7_sender_deletes_a_rejected_view_and_the_recipient_view_stays() {
    for x in [R, N] {
        let out = go(R, x, Delete, Sender).unwrap();
        assert_eq!(out.views, views(N, x));
        assert!(out.effects.is_empty());
    }
}

#[test]
fn row_8_recipient_deletes_a_rejected_view_and_the_sender_view_stays() {
    for x in [R, N] {
        let out = go(x, R, Delete, Recipient).unwrap();
        assert_eq!(out.views, views(x, N));
        assert!(out.effects.is_empty());
    }
}

#[test]
fn the_sender_may_not_accept_or_reject() {
    for action in [Accept, Reject] {
        assert_eq!(go(P, P, action, Sender), Err(Refusal::InvalidState));
    }
}

#[test]
fn accepting_or_rejecting_anything_not_pending_is_invalid() {
    for (s, r) in [(A, A), (R, R), (N, R)] {
        for action in [Accept, Reject] {
            assert_eq!(
                go(s, r, action, Recipient),
                Err(Refusal::InvalidState),
                "{s:?} {r:?}"
            );
        }
    }
}

#[test]
fn acting_where_your_view_is_none_is_not_found() {
    for action in [Accept, Reject, Delete] {
        assert_eq!(go(N, R, action, Sender), Err(Refusal::NotFound));
        assert_eq!(go(R, N, action, Recipient), Err(Refusal::NotFound));
        assert_eq!(go(N, N, action, Sender), Err(Refusal::NotFound));
        assert_eq!(go(N, N, action, Recipient), Err(Refusal::NotFound));
    }
}

#[test]
fn non_admins_are_forbidden_everything() {
    for profile in Profile::ALL.into_iter().filter(|p| !p.is_admin()) {
        for action in [Accept, Reject, Delete] {
            for side in [Sender, Recipient] {
                assert_eq!(
                    transition(Views::NEW, action, side, profile),
                    Err(Refusal::Forbidden)
                );
            }
        }
    }
}

#[test]
fn billing_admins_act_like_admins() {
    let out = transition(Views::NEW, Accept, Recipient, Profile::BillingAdmin).unwrap();
    assert_eq!(out.views, views(A, A));
}

/// Every combination either follows a row of the table or is refused; nothing else moves.
#[test]
fn every_combination_outside_the_table_changes_nothing() {
    let all = [P, A, R, X, N];
    let mut allowed = 0;
    for s in all {
        for r in all {
            for action in [Accept, Reject, Delete] {
                for side in [Sender, Recipient] {
                    if go(s, r, action, side).is_ok() {
                        allowed += 1;
                    }
                }
            }
        }
    }
    // Rows 1–6 once each; the sender deleting a withheld request; row 7 for a rejected or
    // expired sender view and each of the five values of x; row 8 for each value of x.
    assert_eq!(allowed, 6 + 1 + 2 * 5 + 5);
}

fn facts() -> SendFacts {
    SendFacts {
        sender_is_admin: true,
        sender_is_verified: true,
        ..SendFacts::default()
    }
}

#[test]
fn send_rule_2_only_admins_send() {
    let f = SendFacts {
        sender_is_admin: false,
        ..facts()
    };
    assert_eq!(check_send(&f, 100), Err(Refusal::Forbidden));
}

#[test]
fn only_users_with_a_verified_address_send() {
    let f = SendFacts {
        sender_is_verified: false,
        ..facts()
    };
    assert_eq!(check_send(&f, 100), Err(Refusal::EmailUnverified));
    let f = SendFacts {
        sender_is_admin: false,
        sender_is_verified: false,
        ..facts()
    };
    assert_eq!(
        check_send(&f, 100),
        Err(Refusal::Forbidden),
        "the profile first"
    );
}

#[test]
fn send_rule_3_not_to_your_own_account() {
    let f = SendFacts {
        address_is_own_user: true,
        ..facts()
    };
    assert_eq!(check_send(&f, 100), Err(Refusal::OwnAccount));
}

#[test]
fn send_rule_4_not_to_an_account_already_partner() {
    let f = SendFacts {
        already_partners: true,
        ..facts()
    };
    assert_eq!(check_send(&f, 100), Err(Refusal::AlreadyPartners));
}

#[test]
fn send_rule_5_not_twice_while_pending() {
    let f = SendFacts {
        existing_to_address: vec![Views::NEW],
        ..facts()
    };
    assert_eq!(check_send(&f, 100), Err(Refusal::AlreadyInvited));
}

#[test]
fn send_rule_6_the_rejection_block_lifts_only_when_both_sides_deleted() {
    for v in [views(R, R), views(R, N), views(N, R)] {
        let f = SendFacts {
            existing_to_address: vec![v],
            ..facts()
        };
        assert_eq!(
            check_send(&f, 100),
            Err(Refusal::RejectedInvitation),
            "{v:?}"
        );
    }
    let f = SendFacts {
        existing_to_address: vec![views(N, N)],
        ..facts()
    };
    assert_eq!(check_send(&f, 100), Ok(()));
}

#[test]
fn send_rule_7_not_while_their_request_to_you_is_pending() {
    let f = SendFacts {
        incoming: vec![Views::NEW],
        ..facts()
    };
    assert_eq!(check_send(&f, 100), Err(Refusal::IncomingRequestPending));
}

#[test]
fn send_rule_8_at_most_the_limit_per_hour() {
    let f = SendFacts {
        sent_last_hour: 99,
        ..facts()
    };
    assert_eq!(check_send(&f, 100), Ok(()));
    let f = SendFacts {
        sent_last_hour: 100,
        retry_after_secs: 42,
        ..facts()
    };
    assert_eq!(
        check_send(&f, 100),
        Err(Refusal::RateLimited {
            retry_after_secs: 42
        })
    );
}

#[test]
fn a_clean_request_is_allowed() {
    assert_eq!(check_send(&facts(), 100), Ok(()));
}

#[test]
fn only_admins_manage_partners() {
    for profile in Profile::ALL {
        assert_eq!(
            check_manage(profile).is_ok(),
            profile.is_admin(),
            "{profile:?}"
        );
    }
}

#[test]
fn an_incoming_request_blocks_only_while_pending() {
    let incoming = |views: Views| SendFacts {
        incoming: vec![views],
        ..facts()
    };
    assert_eq!(
        check_send(&incoming(Views::NEW), 100),
        Err(Refusal::IncomingRequestPending)
    );
    for views in [Views::new(R, N), Views::new(N, R), Views::new(A, A)] {
        assert_eq!(check_send(&incoming(views), 100), Ok(()), "{views:?}");
    }
}

#[test]
fn views_listed_by_the_store_parse_as_pairs() {
    assert_eq!(Views::parse_pair("pending:pending"), Some(Views::NEW));
    assert_eq!(Views::parse_pair("rejected:none"), Some(Views::new(R, N)));
    for bad in [
        "",
        "pending",
        "pending:",
        "maybe:pending",
        "pending:pending:x",
    ] {
        assert_eq!(Views::parse_pair(bad), None, "{bad:?}");
    }
}

#[test]
fn the_sender_deletes_a_withheld_request_and_it_is_gone_for_both() {
    let out = go(P, N, Delete, Sender).unwrap();
    assert_eq!(out.views, views(N, N));
    assert!(out.effects.is_empty());
}

#[test]
fn the_recipient_cannot_reach_a_withheld_request() {
    for action in [Accept, Reject, Delete] {
        assert_eq!(
            transition(Views::WITHHELD, action, Recipient, ADMIN),
            Err(Refusal::NotFound)
        );
    }
}

#[test]
fn a_request_nobody_answered_expires_for_the_sender_and_leaves_the_recipient() {
    for before in [Views::NEW, Views::WITHHELD] {
        let out = expire(before).unwrap();
        assert_eq!(out.views, views(X, N), "{before:?}");
        assert_eq!(out.effects, vec![MailExpired]);
    }
}

#[test]
fn only_a_request_the_sender_waits_on_expires() {
    for (s, r) in [(A, A), (R, R), (R, N), (N, R), (X, N), (N, N)] {
        assert_eq!(
            expire(views(s, r)),
            Err(Refusal::InvalidState),
            "{s:?} {r:?}"
        );
    }
}

#[test]
fn an_expired_request_can_only_be_deleted_by_its_sender() {
    let out = go(X, N, Delete, Sender).unwrap();
    assert_eq!(out.views, views(N, N));
    for action in [Accept, Reject] {
        assert_eq!(go(X, N, action, Sender), Err(Refusal::InvalidState));
    }
    for action in [Accept, Reject, Delete] {
        assert_eq!(go(X, N, action, Recipient), Err(Refusal::NotFound));
    }
}

#[test]
fn the_policy_accepts_like_row_1_with_nobody_acting() {
    let out = accept_by_policy(Views::NEW).unwrap();
    assert_eq!(out, go(P, P, Accept, Recipient).unwrap());
    assert_eq!(accept_by_policy(Views::WITHHELD), Err(Refusal::NotFound));
}

#[test]
fn send_rule_5_counts_a_withheld_request_like_any_pending_one() {
    let f = SendFacts {
        existing_to_address: vec![Views::WITHHELD],
        ..facts()
    };
    assert_eq!(check_send(&f, 100), Err(Refusal::AlreadyInvited));
}

#[test]
fn an_expired_request_blocks_nothing() {
    let f = SendFacts {
        existing_to_address: vec![views(X, N)],
        incoming: vec![views(X, N)],
        ..facts()
    };
    assert_eq!(check_send(&f, 100), Ok(()));
}

#[test]
fn a_request_withheld_from_us_does_not_block_our_own() {
    let f = SendFacts {
        incoming: vec![Views::WITHHELD],
        ..facts()
    };
    assert_eq!(check_send(&f, 100), Ok(()));
}

#[test]
fn expired_is_a_view_name() {
    assert_eq!(View::parse("expired"), Some(X));
    assert_eq!(Views::parse_pair("expired:none"), Some(views(X, N)));
}
