//! The `Range` request header (RFC 9110 §14): one byte range, or the whole file.

/// What to send for a request's `Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranged {
    /// 200 with every byte (no header, another unit, several ranges, or bad syntax).
    Whole,
    /// 206 with bytes `start..=end`.
    Part { start: u64, end: u64 },
    /// 416: no byte of the range exists.
    Unsatisfiable,
}

/// Decides from the header value and the file's size.
pub fn parse(header: Option<&str>, size: u64) -> Ranged {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Ranged::Whole;
    };
    if spec.contains(',') {
        return Ranged::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ranged::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (first.is_empty(), last.is_empty()) {
        // `-n`: the last n bytes.
        (true, false) => match number(last) {
            None => Ranged::Whole,
            Some(0) => Ranged::Unsatisfiable,
            Some(_) if size == 0 => Ranged::Unsatisfiable,
            Some(n) => Ranged::Part {
                start: size.saturating_sub(n),
                end: size - 1,
            },
        },
        // `a-`: from a to the end.
        (false, true) => match number(first) {
            None => Ranged::Whole,
            Some(a) if a >= size => Ranged::Unsatisfiable,
            Some(a) => Ranged::Part {
                start: a,
                end: size - 1,
            },
        },
        // `a-b`.
        (false, false) => match (number(first), number(last)) {
            (Some(a), Some(b)) if a <= b => {
                if a >= size {
                    Ranged::Unsatisfiable
                } else {
                    Ranged::Part {
                        start: a,
                        end: b.min(size - 1),
                    }
                }
            }
            _ => Ranged::Whole,
        },
        (true, true) => Ranged::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ranged::*;

    #[test]
    fn ranges_row_by_row() {
        let rows: &[(Option<&str>, u64, Ranged)] = &[
            (None, 10, Whole),
            (Some("bytes=0-3"), 10, Part { start: 0, end: 3 }),
            (Some("bytes=4-"), 10, Part { start: 4, end: 9 }),
            (Some("bytes=-3"), 10, Part { start: 7, end: 9 }),
            (Some("bytes=-30"), 10, Part { start: 0, end: 9 }),
            (Some("bytes=5-100"), 10, Part { start: 5, end: 9 }),
            (Some("bytes=10-"), 10, Unsatisfiable),
            (Some("bytes=10-12"), 10, Unsatisfiable),
            (Some("bytes=-0"), 10, Unsatisfiable),
            (Some("bytes=0-"), 0, Unsatisfiable),
            (Some("bytes=-5"), 0, Unsatisfiable),
            (Some("bytes=3-1"), 10, Whole),
            (Some("bytes=0-1,4-5"), 10, Whole),
            (Some("items=0-1"), 10, Whole),
            (Some("bytes=x-1"), 10, Whole),
            (Some("bytes=-"), 10, Whole),
            (Some("bytes=+1-2"), 10, Whole),
        ];
        for (header, size, expected) in rows {
            assert_eq!(parse(*header, *size), *expected, "{header:?} of {size}");
        }
    }
}
