//! `Content-Disposition: attachment` with the file's original name: an ASCII fallback in
//! `filename` and the exact UTF-8 name in `filename*` (RFC 6266, RFC 5987), so Korean
//! names arrive intact.

/// The header value for downloading a file named `name`.
pub fn attachment(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%' | ';') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::with_capacity(name.len() * 3);
    for byte in name.bytes() {
        let attr_char = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            );
        if attr_char {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn korean_names_survive_in_filename_star() {
        assert_eq!(
            attachment("시안.pdf"),
            "attachment; filename=\"__.pdf\"; filename*=UTF-8''%EC%8B%9C%EC%95%88.pdf"
        );
    }

    #[test]
    fn quotes_and_separators_cannot_break_the_header() {
        let v = attachment("a\"b;c d%.txt");
        assert_eq!(
            v,
            "attachment; filename=\"a_b_c d_.txt\"; filename*=UTF-8''a%22b%3Bc%20d%25.txt"
        );
    }
}
