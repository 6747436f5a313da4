//! Password rules (the hashing itself is the server's, off the async threads).

use crate::Refusal;

pub const MIN_CHARS: usize = 8;
pub const MAX_CHARS: usize = 1024;

pub fn check_password(password: &str) -> Result<(), Refusal> {
    let n = password.chars().count();
    if (MIN_CHARS..=MAX_CHARS).contains(&n) {
        Ok(())
    } else {
        Err(Refusal::InvalidPassword)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_shorter_than_eight_are_refused() {
        assert_eq!(check_password("1234567"), Err(Refusal::InvalidPassword));
        assert!(check_password("12345678").is_ok());
        assert!(check_password("비밀번호비밀번호").is_ok());
        assert!(check_password(&"x".repeat(1025)).is_err());
    }
}
