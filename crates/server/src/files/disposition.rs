//! `Content-Disposition` (`attachment`, or `inline` for what a page shows) with the file's
//! original name: an ASCII fallback in
//! `filename` and the exact UTF-8 name in `filename*` (RFC 6266, RFC 5987), so Korean
//! names arrive intact.

/// The header value for downloading a file named `name`.
pub fn attachment(name: &str) -> String {
    value("attachment", name)
}

/// The header value for showing a file named `name` in the page (a picture, a PDF).
pub fn inline(name: &str) -> String {
    value("inline", name)
}

/// Whether a file of this (sniffed) content type may be shown in a page: raster images
/// and PDF; never anything a browser would run as a document of this site (HTML, SVG).
pub fn shows_in_page(content_type: &str) -> bool {
    matches!(
        content_type,
        "application/pdf" | "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    )
}

fn value(kind: &str, name: &str) -> String {
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
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pictures_and_pdf_show_in_a_page() {
        assert!(shows_in_page("application/pdf"));
        assert!(shows_in_page("image/png"));
        assert!(!shows_in_page("image/svg+xml"));
        assert!(!shows_in_page("text/html"));
        assert!(inline("a b.pdf").starts_with("inline; filename=\"a b.pdf\""));
    }

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
