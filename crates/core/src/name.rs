//! Names of people, accounts and items: trimmed, non-empty, bounded, no control characters
//! and no invisible format characters (bidi overrides and isolates, zero-width characters,
//! soft hyphens…): a folder named `\u{202E}gpj.exe` must not show as `exe.jpg`.

use crate::Refusal;

/// Longest name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// Trims `raw` and checks it; `field` names the field in the refusal.
pub fn parse_name(field: &str, raw: &str) -> Result<String, Refusal> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(Refusal::InvalidInput(format!("{field} must not be empty")));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Refusal::InvalidInput(format!(
            "{field} must be at most {MAX_NAME_CHARS} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Refusal::InvalidInput(format!(
            "{field} must not contain control characters"
        )));
    }
    if name.chars().any(is_invisible) {
        return Err(Refusal::InvalidInput(format!(
            "{field} must not contain invisible or direction-changing characters"
        )));
    }
    Ok(name.to_string())
}

/// Unicode's format characters (general category Cf): they change how text around them is
/// shown (direction overrides and isolates, joiners, zero-width spaces, soft hyphens,
/// tags) without being seen themselves.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(parse_name("name", "  김민지 ").unwrap(), "김민지");
        assert!(parse_name("name", "   ").is_err());
        assert!(parse_name("name", "a\u{0}b").is_err());
        assert!(parse_name("name", &"x".repeat(201)).is_err());
        assert!(parse_name("name", &"가".repeat(200)).is_ok());
    }

    #[test]
    fn invisible_and_direction_changing_characters_are_refused() {
        for bad in [
            "\u{202E}gpj.exe",
            "a\u{200B}b",
            "a\u{200D}b",
            "\u{2066}x\u{2069}",
            "soft\u{00AD}hyphen",
            "bom\u{FEFF}",
            "tag\u{E0041}",
            "\u{061C}arabic mark",
        ] {
            let refused = parse_name("name", bad).unwrap_err();
            assert_eq!(refused.code(), "invalid_input", "{bad:?}");
        }
        for good in [
            "김민지",
            "José Müller",
            "O'Brien & Co.",
            "محمد",
            "日本語",
            "a\u{00A0}b",
        ] {
            assert!(parse_name("name", good).is_ok(), "{good:?}");
        }
    }
}
