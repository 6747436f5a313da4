//! The policy's decision, row by row, and what an admin may type.

use super::*;
use Arrival::*;

fn policy(incoming: Incoming, allowed: &[&str], blocked: &[&str], auto: &[&str]) -> PartnerPolicy {
    let list = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    PartnerPolicy::new(incoming, &list(allowed), &list(blocked), &list(auto), 30).unwrap()
}

#[test]
fn the_default_lets_everyone_ask_and_waits_for_an_admin() {
    let p = PartnerPolicy::default();
    assert_eq!(p.arrival("agency.example"), Pending);
    assert_eq!(p.request_lifetime_days, 30);
    assert_eq!(p.incoming, Incoming::Anyone);
}

/// (incoming, allowed, blocked, auto-accept, sender's domain, arrival)
type Row = (
    Incoming,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
    &'static str,
    Arrival,
);

#[test]
fn each_row_of_the_decision() {
    use Incoming::*;
    let rows: &[Row] = &[
        (Anyone, &[], &[], &[], "a.example", Pending),
        (Anyone, &[], &["a.example"], &[], "a.example", Withheld),
        (Anyone, &[], &[], &["a.example"], "a.example", AutoAccepted),
        (
            Anyone,
            &[],
            &["a.example"],
            &["a.example"],
            "a.example",
            Withheld,
        ),
        (
            ListedDomains,
            &["a.example"],
            &[],
            &[],
            "a.example",
            Pending,
        ),
        (
            ListedDomains,
            &["a.example"],
            &[],
            &[],
            "b.example",
            Withheld,
        ),
        (
            ListedDomains,
            &[],
            &[],
            &["b.example"],
            "b.example",
            AutoAccepted,
        ),
        (
            ListedDomains,
            &["a.example"],
            &["a.example"],
            &[],
            "a.example",
            Withheld,
        ),
        (
            Nobody,
            &["a.example"],
            &[],
            &["a.example"],
            "a.example",
            Withheld,
        ),
        (Nobody, &[], &[], &[], "a.example", Withheld),
    ];
    for (incoming, allowed, blocked, auto, domain, want) in rows {
        let p = policy(*incoming, allowed, blocked, auto);
        assert_eq!(
            p.arrival(domain),
            *want,
            "{incoming:?} {allowed:?} {blocked:?} {auto:?} {domain}"
        );
    }
}

#[test]
fn a_listed_domain_covers_its_subdomains_and_nothing_else() {
    let p = policy(Incoming::Anyone, &[], &["evil.example"], &[]);
    assert_eq!(p.arrival("evil.example"), Withheld);
    assert_eq!(p.arrival("mail.evil.example"), Withheld);
    assert_eq!(p.arrival("EVIL.example"), Withheld);
    assert_eq!(p.arrival("notevil.example"), Pending);
    assert_eq!(p.arrival("evil.example.org"), Pending);
}

#[test]
fn domains_are_folded_deduplicated_and_checked() {
    let p = PartnerPolicy::new(
        Incoming::ListedDomains,
        &[
            " @B.example ".into(),
            "a.example".into(),
            "b.example".into(),
        ],
        &[],
        &[],
        7,
    )
    .unwrap();
    assert_eq!(p.allowed_domains, vec!["a.example", "b.example"]);
    assert_eq!(p.lifetime_micros(), 7 * 86_400 * 1_000_000);
    for bad in [
        "",
        "localhost",
        "a..example",
        "-a.example",
        "a b.example",
        "ä.example",
        "@",
    ] {
        let r = PartnerPolicy::new(Incoming::Anyone, &[], &[bad.into()], &[], 30);
        assert!(matches!(r, Err(Refusal::InvalidInput(_))), "{bad:?}");
    }
    let too_many: Vec<String> = (0..=MAX_DOMAINS).map(|i| format!("d{i}.example")).collect();
    assert!(PartnerPolicy::new(Incoming::Anyone, &too_many, &[], &[], 30).is_err());
}

#[test]
fn the_lifetime_is_one_day_to_a_year() {
    for days in [1, 30, 365] {
        assert!(
            PartnerPolicy::new(Incoming::Anyone, &[], &[], &[], days).is_ok(),
            "{days}"
        );
    }
    for days in [0, -1, 366, i64::MAX] {
        assert!(
            PartnerPolicy::new(Incoming::Anyone, &[], &[], &[], days).is_err(),
            "{days}"
        );
    }
}

#[test]
fn incoming_names_round_trip() {
    for i in [Incoming::Anyone, Incoming::ListedDomains, Incoming::Nobody] {
        assert_eq!(Incoming::parse(i.as_str()), Some(i));
    }
    assert_eq!(Incoming::parse("everyone"), None);
}
