//! E-mail addresses: parsed once, normalized (trimmed, lower-case), bounded.

use crate::Refusal;
use std::fmt;

/// A well-formed, normalized e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

/// Longest address accepted (RFC 5321 path limit less the angle brackets).
pub const MAX_LEN: usize = 254;
const MAX_LOCAL_LEN: usize = 64;
const MAX_LABEL_LEN: usize = 63;

impl EmailAddress {
    /// Trims surrounding whitespace, lower-cases, and checks the grammar:
    /// a dot-atom local part and a domain of at least two DNS labels.
    pub fn parse(raw: &str) -> Result<Self, Refusal> {
        let address = raw.trim().to_lowercase();
        if address.is_empty() || address.len() > MAX_LEN {
            return Err(Refusal::InvalidEmail);
        }
        let (local, domain) = address.rsplit_once('@').ok_or(Refusal::InvalidEmail)?;
        if !is_dot_atom(local) || local.len() > MAX_LOCAL_LEN || !is_domain(domain) {
            return Err(Refusal::InvalidEmail);
        }
        Ok(EmailAddress(address))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after the `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }
}

fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

fn is_dot_atom(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(is_atext))
}

pub(crate) fn is_domain(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= MAX_LABEL_LEN
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().any(|c| c.is_ascii_alphabetic()))
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lower_cased() {
        let e = EmailAddress::parse("  Kim.Min-Ji@Agency.CO.KR \n").unwrap();
        assert_eq!(e.as_str(), "kim.min-ji@agency.co.kr");
        assert_eq!(e.domain(), "agency.co.kr");
    }

    #[test]
    fn well_formed_addresses_are_taken() {
        for ok in [
            "a@b.co",
            "first.last+tag@example.com",
            "o'brien@x-y.example",
            "x_1@a.b.c.io",
        ] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn malformed_addresses_are_refused() {
        let too_long = format!("{}@example.com", "a".repeat(65));
        let way_too_long = format!("a@{}.com", "b".repeat(260));
        for bad in [
            "",
            " ",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a.@b.com",
            ".a@b.com",
            "a..b@c.com",
            "a@-b.com",
            "a@b-.com",
            "a@b..com",
            "a@b.123",
            "<a@b.com>",
            "a@b.com\0",
            "'; DROP TABLE users;--@x.com",
            "김@example.com",
            too_long.as_str(),
            way_too_long.as_str(),
        ] {
            assert_eq!(
                EmailAddress::parse(bad),
                Err(Refusal::InvalidEmail),
                "{bad:?}"
            );
        }
    }
}
