//! The content type of an upload, from its first bytes (never from the client's claim).

/// The sniffed type, or `application/octet-stream` when the bytes say nothing known.
pub fn content_type(head: &[u8]) -> &'static str {
    infer::get(head).map_or("application/octet-stream", |kind| kind.mime_type())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_signatures_are_recognized() {
        assert_eq!(content_type(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(content_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
        assert_eq!(content_type(b"\xff\xd8\xff\xe0\0\x10JFIF\0"), "image/jpeg");
        assert_eq!(content_type(b"GIF89a"), "image/gif");
        assert_eq!(content_type(b"hello"), "application/octet-stream");
        assert_eq!(content_type(b""), "application/octet-stream");
    }
}
