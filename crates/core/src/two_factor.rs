//! Two-factor sign-in: TOTP codes (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps) and
//! single-use recovery codes (`spec/api.md`, "Identity"). A code works once: it is taken
//! for the current step or the one before or after, and only for a step later than the
//! last one used.

use totp_rs::{Algorithm, Secret, TOTP};

/// Seconds per step.
pub const STEP_SECS: u64 = 30;
/// Digits of a code.
pub const DIGITS: usize = 6;
/// Recovery codes given when two-factor is turned on.
pub const RECOVERY_CODES: usize = 10;

fn totp(secret: Vec<u8>, digits: usize) -> TOTP {
    TOTP::new_unchecked(Algorithm::SHA1, digits, 0, STEP_SECS, secret)
}

/// A new secret from 160 random bits (the caller draws them), base32 as authenticator
/// apps take it.
pub fn encode_secret(random: [u8; 20]) -> String {
    Secret::Raw(random.to_vec()).to_encoded().to_string()
}

/// The bytes of a base32 secret, if it is one.
fn decode_secret(base32: &str) -> Option<Vec<u8>> {
    Secret::Encoded(base32.to_string()).to_bytes().ok()
}

/// The `otpauth://` address an authenticator app reads from the QR code.
pub fn otpauth_url(secret: &str, issuer: &str, account: &str) -> String {
    let escape = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        escape(issuer),
        escape(account),
        escape(issuer)
    )
}

/// The step `code` belongs to, if it is the code of the step of `now_secs` or of the one
/// before or after it, and that step is later than `last_used_step`.
pub fn accepted_step(secret: &str, code: &str, now_secs: u64, last_used_step: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(decode_secret(secret)?, DIGITS);
    let now_step = (now_secs / STEP_SECS) as i64;
    [now_step - 1, now_step, now_step + 1]
        .into_iter()
        .filter(|step| *step > last_used_step && *step >= 0)
        .find(|step| {
            let at = (*step as u64) * STEP_SECS;
            constant_time_eq(totp.generate(at).as_bytes(), code.as_bytes())
        })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A recovery code as typed (any case, with or without dashes and spaces), in the one form
/// that is hashed and compared.
pub fn normalize_recovery_code(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A recovery code for people to read: 10 characters in two groups, from 50 random bits.
pub fn format_recovery_code(random: u64) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let chars: String = (0..10)
        .map(|i| ALPHABET[((random >> (5 * i)) & 0x1f) as usize] as char)
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 seed, 8 digits.
    #[test]
    fn the_rfc_6238_test_vectors() {
        let t = totp(b"12345678901234567890".to_vec(), 8);
        for (time, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(t.generate(time), code, "at {time}");
        }
    }

    fn secret() -> String {
        encode_secret(*b"12345678901234567890")
    }

    fn code_at(time: u64) -> String {
        totp(b"12345678901234567890".to_vec(), DIGITS).generate(time)
    }

    #[test]
    fn a_code_of_this_step_or_the_next_or_previous_is_taken() {
        let now = 1_111_111_111;
        let step = (now / STEP_SECS) as i64;
        assert_eq!(accepted_step(&secret(), &code_at(now), now, 0), Some(step));
        assert_eq!(
            accepted_step(&secret(), &code_at(now - 30), now, 0),
            Some(step - 1)
        );
        assert_eq!(
            accepted_step(&secret(), &code_at(now + 30), now, 0),
            Some(step + 1)
        );
        assert_eq!(accepted_step(&secret(), &code_at(now - 90), now, 0), None);
    }

    #[test]
    fn a_code_works_once() {
        let now = 1_111_111_111;
        let step = accepted_step(&secret(), &code_at(now), now, 0).expect("first use");
        assert_eq!(accepted_step(&secret(), &code_at(now), now, step), None);
        assert_eq!(
            accepted_step(&secret(), &code_at(now - 30), now, step),
            None,
            "nor an older one"
        );
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in ["", "12345", "1234567", "abcdef", "12 345"] {
            assert_eq!(accepted_step(&secret(), bad, 59, 0), None, "{bad:?}");
        }
        assert_eq!(accepted_step("not base32!", "123456", 59, 0), None);
    }

    #[test]
    fn recovery_codes_compare_in_one_form() {
        let code = format_recovery_code(0x3ff_ffff_ffff);
        assert_eq!(code.len(), 11);
        assert_eq!(
            normalize_recovery_code(&code.to_uppercase()),
            normalize_recovery_code(&code)
        );
        assert_eq!(normalize_recovery_code(" ab-CD 12 "), "abcd12");
    }

    #[test]
    fn the_otpauth_url_names_the_account() {
        let url = otpauth_url("JBSWY3DPEHPK3PXP", "Coproof", "ann@alpha.test");
        assert!(url.starts_with("otpauth://totp/Coproof:ann@alpha.test?secret=JBSWY3DPEHPK3PXP"));
        assert!(url.contains("digits=6&period=30"));
    }
}
