//! A small MIME reader for the tests that look inside mail (`.eml` files and what the SMTP
//! sink received): headers unfolded, encoded words and bodies decoded.

use base64::Engine;

/// A message as a reader sees it: headers unfolded, subject and body decoded.
#[derive(Debug, Clone)]
pub struct Message {
    /// Lower-cased names, raw values.
    pub headers: Vec<(String, String)>,
    /// The body after its Content-Transfer-Encoding is undone.
    pub body: String,
}

impl Message {
    /// Parses an `.eml` file (or SMTP data with the dot-stuffing undone).
    pub fn parse(raw: &str) -> Message {
        let raw = raw.replace("\r\n", "\n");
        let (head, body) = raw.split_once("\n\n").unwrap_or((raw.as_str(), ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some(last) = headers.last_mut() {
                    last.1.push_str(line);
                }
            } else if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
            }
        }
        let mut message = Message {
            headers,
            body: String::new(),
        };
        let encoding = message
            .header("content-transfer-encoding")
            .to_ascii_lowercase();
        message.body = match encoding.trim() {
            "base64" => {
                let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .expect("a base64 body");
                String::from_utf8(bytes).expect("a UTF-8 body")
            }
            "quoted-printable" => {
                String::from_utf8(quoted_printable(body, false)).expect("a UTF-8 body")
            }
            _ => body.to_string(),
        };
        message
    }

    /// SMTP DATA as the sink kept it: lines starting with a dot were doubled.
    pub fn from_smtp(data: &str) -> Message {
        let unstuffed: Vec<&str> = data
            .split('\n')
            .map(|line| line.strip_prefix('.').unwrap_or(line))
            .collect();
        Message::parse(&unstuffed.join("\n"))
    }

    /// The raw value of a header ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The subject with RFC 2047 encoded words decoded.
    pub fn subject(&self) -> String {
        decode_words(self.header("subject"))
    }
}

/// Undoes quoted-printable; `underscores` is the Q encoding of headers.
fn quoted_printable(text: &str, underscores: bool) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'=');
                        i += 1;
                    }
                }
            }
            b'_' if underscores => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Decodes `=?charset?B|Q?text?=` words; white space between two encoded words goes.
fn decode_words(value: &str) -> String {
    let mut out: Vec<u8> = Vec::new();
    let mut pending_space: Vec<u8> = Vec::new();
    let mut last_was_word = false;
    for token in value.split_inclusive([' ', '\t']) {
        let word = token.trim_end_matches([' ', '\t']);
        let space = &token[word.len()..];
        let decoded = word
            .strip_prefix("=?")
            .and_then(|w| w.strip_suffix("?="))
            .and_then(|w| {
                let mut parts = w.splitn(3, '?');
                let _charset = parts.next()?;
                let kind = parts.next()?.to_ascii_uppercase();
                let text = parts.next()?;
                match kind.as_str() {
                    "B" => base64::engine::general_purpose::STANDARD.decode(text).ok(),
                    "Q" => Some(quoted_printable(text, true)),
                    _ => None,
                }
            });
        match decoded {
            Some(bytes) => {
                if !last_was_word {
                    out.append(&mut pending_space);
                }
                pending_space.clear();
                out.extend(bytes);
                last_was_word = true;
            }
            None => {
                out.append(&mut pending_space);
                out.extend(word.as_bytes());
                last_was_word = false;
            }
        }
        pending_space.extend(space.as_bytes());
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_words_and_bodies_decode() {
        assert_eq!(
            decode_words("=?utf-8?b?7JWI64WV?= =?utf-8?b?7ZWY7IS47JqU?="),
            "안녕하세요"
        );
        assert_eq!(
            decode_words("Hello =?utf-8?q?w=C3=B6rld_x?= !"),
            "Hello wörld x !"
        );
        assert_eq!(decode_words("plain subject"), "plain subject");
        let m = Message::parse(
            "Subject: x\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Db=\r\nc\r\n",
        );
        assert_eq!(m.body, "a=bc\n");
    }
}
