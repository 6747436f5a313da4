//! Opaque ids: 26 characters of Crockford base32, time-ordered (48 bits of milliseconds,
//! then 80 random bits), so that ordering by id is ordering by creation. Within one
//! process ids are strictly increasing: an id made in the same millisecond as the one
//! before (or after the clock stepped back) is that one plus one, so two events of one
//! millisecond are still listed in the order they happened.

use rand::RngCore;
use std::sync::Mutex;

/// The last id this process made, as a number.
static LAST: Mutex<u128> = Mutex::new(0);

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A new id.
pub fn new_id() -> String {
    let millis = chrono::Utc::now().timestamp_millis().max(0) as u128;
    let mut random = [0u8; 10];
    rand::thread_rng().fill_bytes(&mut random);
    let mut value: u128 = millis << 80;
    for (i, byte) in random.iter().enumerate() {
        value |= (*byte as u128) << (8 * (9 - i));
    }
    let value = next_after(&mut LAST.lock().unwrap_or_else(|e| e.into_inner()), value);
    let mut out = [0u8; 26];
    for (i, slot) in out.iter_mut().enumerate() {
        let shift = 5 * (25 - i);
        *slot = ALPHABET[((value >> shift) & 0x1f) as usize];
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `fresh` if it is later than `last`, else `last + 1`; either becomes the new `last`.
fn next_after(last: &mut u128, fresh: u128) -> u128 {
    let next = if fresh > *last { fresh } else { *last + 1 };
    *last = next;
    next
}

/// Whether `s` could be an id; anything else is "not found" without a query.
pub fn looks_like_id(s: &str) -> bool {
    s.len() == 26 && s.bytes().all(|b| ALPHABET.contains(&b))
}

/// A random secret of 256 bits, hex-encoded (tokens, set-password links).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The SHA-256 of a secret, as stored.
pub fn hash_secret(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_well_formed_and_ordered() {
        let a = new_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_id();
        assert!(looks_like_id(&a) && looks_like_id(&b));
        assert!(a < b);
        assert!(!looks_like_id("../etc/passwd"));
        assert!(!looks_like_id("1 OR 1=1"));
    }

    #[test]
    fn ids_of_one_millisecond_follow_the_order_they_were_made_in() {
        let ids: Vec<String> = (0..10_000).map(|_| new_id()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        let mut last = 5u128 << 80 | 900;
        assert_eq!(next_after(&mut last, 5u128 << 80 | 100), 5u128 << 80 | 901);
        assert_eq!(next_after(&mut last, 4u128 << 80), 5u128 << 80 | 902);
        assert_eq!(next_after(&mut last, 6u128 << 80), 6u128 << 80);
        assert_eq!(last, 6u128 << 80);
    }

    #[test]
    fn secrets_are_256_bits_and_hashed() {
        let s = new_secret();
        assert_eq!(s.len(), 64);
        assert_ne!(hash_secret(&s), s);
        assert_eq!(hash_secret(&s), hash_secret(&s));
    }
}
