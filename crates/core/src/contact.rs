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

/// A `LIKE … ESCAPE '\'` pattern matching `q` anywhere, case-insensitively; `None` when
/// `q` is blank (no filter).
pub fn search_pattern(q: &str) -> Result<Option<String>, Refusal> {
    let q = q.trim();
    if q.is_empty() {
        return Ok(None);
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(Refusal::InvalidInput(format!(
            "q must be at most {MAX_QUERY_CHARS} characters"
        )));
    }
    let mut pattern = String::with_capacity(q.len() + 2);
    pattern.push('%');
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Ok(Some(pattern))
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
    fn search_patterns_escape_like_wildcards() {
        assert_eq!(search_pattern("  ").unwrap(), None);
        assert_eq!(search_pattern("AnN").unwrap().as_deref(), Some("%ann%"));
        assert_eq!(
            search_pattern("50%_a\\b").unwrap().as_deref(),
            Some("%50\\%\\_a\\\\b%")
        );
        assert_eq!(search_pattern("민지").unwrap().as_deref(), Some("%민지%"));
        assert!(search_pattern(&"x".repeat(201)).is_err());
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
