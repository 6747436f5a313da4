//! Web sessions and form protection: the `coproof_session` cookie, the language cookie of
//! a browser's `?lang=` choice, and CSRF tokens derived with HMAC-SHA-256.

use crate::http::extract::SESSION_COOKIE;
use axum::http::header;
use axum::http::request::Parts;
use coproof_core::Language;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A random value that anonymous forms (log-in, sign-up, set-password) are tied to.
pub const FORM_COOKIE: &str = "coproof_form";
/// The language chosen with `?lang=` in this browser (a page read never changes the
/// signed-in user's own language; a new session and a saved profile clear it).
pub const LANG_COOKIE: &str = "coproof_lang";

/// The value of cookie `name`, if the request carries it.
pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_string())
}

/// The language the browser asks for (`Accept-Language`), English when none fits.
pub fn browser_language(parts: &Parts) -> Language {
    Language::from_accept_language(
        parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default(),
    )
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, and Secure behind https.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The session cookie for a freshly issued session secret (30 days, as the token).
pub fn session_cookie(secret: &str, secure: bool) -> String {
    set_cookie(SESSION_COOKIE, secret, 30 * 24 * 3600, secure)
}

/// A cookie that removes the session.
pub fn clear_session_cookie(secure: bool) -> String {
    set_cookie(SESSION_COOKIE, "", 0, secure)
}

type HmacSha256 = Hmac<Sha256>;

fn mac(seed: &str) -> HmacSha256 {
    // HMAC accepts keys of any length; the error arm cannot happen.
    let mut mac = HmacSha256::new_from_slice(seed.as_bytes())
        .unwrap_or_else(|_| HmacSha256::new_from_slice(b"-").expect("fixed key"));
    mac.update(b"coproof csrf v1");
    mac
}

/// The CSRF token of every form rendered for the holder of `seed` (the session secret, or
/// the form cookie before sign-in).
pub fn csrf_token(seed: &str) -> String {
    hex::encode(mac(seed).finalize().into_bytes())
}

/// Whether `token` is the CSRF token of `seed` (compared in constant time).
pub fn csrf_ok(seed: &str, token: &str) -> bool {
    match hex::decode(token) {
        Ok(bytes) => mac(seed).verify_slice(&bytes).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_only_fits_its_own_seed() {
        let token = csrf_token("seed-a");
        assert!(csrf_ok("seed-a", &token));
        assert!(!csrf_ok("seed-b", &token));
        assert!(!csrf_ok("seed-a", "not hex"));
        assert!(!csrf_ok("seed-a", ""));
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure_behind_https() {
        let c = session_cookie("abc", true);
        assert!(c.starts_with("coproof_session=abc;"));
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"));
        assert!(!session_cookie("abc", false).contains("Secure"));
    }
}
