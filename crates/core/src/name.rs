//! Names of people, accounts and items: trimmed, non-empty, bounded, no control characters.

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
    Ok(name.to_string())
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
}
