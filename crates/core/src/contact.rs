//! Contacts: the kinds of contact, who may delete which, the lower-cased keys the Contacts
//! page sorts and searches on, and making exported cells safe for spreadsheets.

use crate::Refusal;

/// What a contact is to the account that holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A user of the account itself.
    User,
    /// A user of a partner (or former partner) account.
    Member,
    /// Added by hand; no login here.
    Guest,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::User, Kind::Member, Kind::Guest];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Member => "member",
            Kind::Guest => "guest",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Whether the partnership a member came from still lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Partnership {
    Active,
    Ended,
}

impl Partnership {
    pub fn as_str(self) -> &'static str {
        match self {
            Partnership::Active => "active",
            Partnership::Ended => "ended",
        }
    }

    pub fn parse(s: &str) -> Option<Partnership> {
        match s {
            "active" => Some(Partnership::Active),
            "ended" => Some(Partnership::Ended),
            _ => None,
        }
    }
}

/// Whether a contact may be deleted by hand: guests and members of an ended partnership
/// may; a user of the account, or a member of an active partner, is synced and may not.
pub fn check_delete(kind: Kind, partnership: Option<Partnership>) -> Result<(), Refusal> {
    match (kind, partnership) {
        (Kind::Guest, _) | (Kind::Member, Some(Partnership::Ended)) => Ok(()),
        _ => Err(Refusal::SyncedContact),
    }
}

/// The key the Contacts page sorts by: the name, lower-cased (Hangul has no case and
/// stays as it is).
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// The text `q` is looked for in: name, e-mail and company, lower-cased, separated by `|`.
pub fn search_text(name: &str, email: &str, company: Option<&str>) -> String {
    format!(
        "{}|{}|{}",
        name.to_lowercase(),
        email.to_lowercase(),
        company.unwrap_or_default().to_lowercase()
    )
}

/// Longest search accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// What the Contacts page looks for: `q` trimmed and lower-cased, matched anywhere in a
/// contact's [`search_text`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search(String);

impl Search {
    /// `None` when `q` is blank (no filter).
    pub fn parse(q: &str) -> Result<Option<Search>, Refusal> {
        let q = q.trim();
        if q.is_empty() {
            return Ok(None);
        }
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(Refusal::InvalidInput(format!(
                "q must be at most {MAX_QUERY_CHARS} characters"
            )));
        }
        Ok(Some(Search(q.to_lowercase())))
    }

    /// The lower-cased text looked for.
    pub fn text(&self) -> &str {
        &self.0
    }

    /// The name keys `[from, to)` (compared byte by byte, as UTF-8) of every contact whose
    /// search text *starts* with the text: the part before the first `|` must then start
    /// the name key. `None` when that part is empty (only an empty name could match).
    pub fn name_key_range(&self) -> Option<(String, String)> {
        let head = self.0.split('|').next().unwrap_or_default();
        Some((head.to_string(), prefix_end(head)?))
    }
}

/// The least string greater than every string starting with `prefix` (UTF-8 byte order is
/// code point order): its last character that can grow, grown by one; `None` when none can.
pub fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// A cell as written to an exported CSV file: one that a spreadsheet would take for a
/// formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading
/// `'` so it is shown as text and never run.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guests_and_ended_members_may_be_deleted_synced_contacts_may_not() {
        assert_eq!(check_delete(Kind::Guest, None), Ok(()));
        assert_eq!(check_delete(Kind::Member, Some(Partnership::Ended)), Ok(()));
        assert_eq!(
            check_delete(Kind::Member, Some(Partnership::Active)),
            Err(Refusal::SyncedContact)
        );
        assert_eq!(check_delete(Kind::User, None), Err(Refusal::SyncedContact));
    }

    #[test]
    fn keys_are_lower_cased_and_korean_stays() {
        assert_eq!(name_key("Émile ZOLA"), "émile zola");
        assert_eq!(name_key("김민지"), "김민지");
        assert_eq!(
            search_text("Ann", "ann@x.example", Some("ACME")),
            "ann|ann@x.example|acme"
        );
        assert_eq!(search_text("Ann", "a@x", None), "ann|a@x|");
    }

    #[test]
    fn searches_are_trimmed_lower_cased_and_bounded() {
        assert_eq!(Search::parse("  ").unwrap(), None);
        assert_eq!(Search::parse(" AnN ").unwrap().unwrap().text(), "ann");
        assert_eq!(Search::parse("ÉMILE").unwrap().unwrap().text(), "émile");
        assert!(Search::parse(&"x".repeat(200)).unwrap().is_some());
        assert!(Search::parse(&"x".repeat(201)).is_err());
    }

    fn search(q: &str) -> Search {
        Search::parse(q).unwrap().unwrap()
    }

    #[test]
    fn name_key_ranges_hold_every_name_the_search_text_starts_with() {
        let range = |q: &str| search(q).name_key_range();
        assert_eq!(range("Hugo"), Some(("hugo".into(), "hugp".into())));
        assert_eq!(range("민지"), Some(("민지".into(), "민직".into())));
        // Past the name: only the name part bounds it.
        assert_eq!(range("ann|ann@x"), Some(("ann".into(), "ano".into())));
        assert_eq!(range("|x"), None);
        // The last character cannot grow: the one before it does.
        assert_eq!(
            range("a\u{10FFFF}"),
            Some(("a\u{10FFFF}".into(), "b".into()))
        );
        // Before a surrogate code point comes the first one after them.
        assert_eq!(
            range("\u{D7FF}"),
            Some(("\u{D7FF}".into(), "\u{E000}".into()))
        );
        for (name, q) in [
            ("hugo adams", "hugo"),
            ("hugo", "hugo"),
            ("민지 김", "민지 "),
        ] {
            let (from, to) = range(q).unwrap();
            assert!(from.as_str() <= name && name < to.as_str(), "{name} in {q}");
        }
        let (from, to) = range("hugo").unwrap();
        for name in ["hug", "hugp", "hugp adams", "hufo"] {
            assert!(!(from.as_str() <= name && name < to.as_str()), "{name}");
        }
    }

    #[test]
    fn formula_looking_cells_are_exported_as_text() {
        for cell in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(spreadsheet_safe(cell), format!("'{cell}"));
        }
        assert_eq!(spreadsheet_safe("Ann"), "Ann");
        assert_eq!(spreadsheet_safe(""), "");
        assert_eq!(spreadsheet_safe("a=b"), "a=b");
    }
}
