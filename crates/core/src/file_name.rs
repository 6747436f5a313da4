//! Names of uploaded files and of folders. A name is metadata only: no name from a client
//! ever reaches the file system (files are stored under their new id).

use crate::name::parse_name;
use crate::Refusal;

/// The display name of an uploaded file from the name the client sent.
///
/// Browsers and tools may send a whole path (`C:\Users\kim\a.pdf`, `../../a.pdf`,
/// `/etc/passwd`): only the last part is kept. Control characters (NUL included) are
/// refused, as are names with nothing left (`..`, `/`, empty).
pub fn parse_file_name(raw: &str) -> Result<String, Refusal> {
    if raw.chars().any(char::is_control) {
        return Err(Refusal::InvalidInput(
            "the file name must not contain control characters".into(),
        ));
    }
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name = parse_name("file name", last)?;
    if name == "." || name == ".." {
        return Err(Refusal::InvalidInput("the file name is not a name".into()));
    }
    Ok(name)
}

/// A folder's name: a name (trimmed, non-empty, no control characters) without `/` or `\`
/// and other than `.` and `..`, so that paths shown to people are unambiguous.
pub fn parse_folder_name(raw: &str) -> Result<String, Refusal> {
    let name = parse_name("name", raw)?;
    if name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(Refusal::InvalidInput(
            "a folder name must not contain / or \\ nor be . or ..".into(),
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_only_their_last_part() {
        let rows: &[(&str, Option<&str>)] = &[
            ("report.pdf", Some("report.pdf")),
            ("../../etc/passwd", Some("passwd")),
            ("/etc/passwd", Some("passwd")),
            ("C:\\Users\\kim\\시안 1.png", Some("시안 1.png")),
            ("  최종 시안.pdf  ", Some("최종 시안.pdf")),
            ("a\u{0}b.pdf", None),
            ("a\nb.pdf", None),
            ("..", None),
            ("../", None),
            ("/", None),
            ("", None),
            (".", None),
            ("dir/..", None),
        ];
        for (raw, expected) in rows {
            assert_eq!(
                parse_file_name(raw).ok().as_deref(),
                *expected,
                "file name {raw:?}"
            );
        }
    }

    #[test]
    fn folder_names_have_no_separators() {
        assert_eq!(parse_folder_name(" 시안 ").unwrap(), "시안");
        for bad in ["../x", "/abs", "a\\b", "..", ".", "a\u{0}", "  "] {
            assert!(parse_folder_name(bad).is_err(), "{bad:?}");
        }
    }
}
