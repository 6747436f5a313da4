//! The server key. An endpoint's signing key must be known to the server to sign, so it
//! cannot be stored hashed; instead nothing secret is stored in the database: the key is
//! HMAC-SHA256(server key, "coproof-webhook-v1" ‖ endpoint id ‖ salt), the salt a random
//! value of the endpoint's row. The server key is 32 random bytes (base64) in a file,
//! `<data-dir>/webhooks.key` (created on first start, mode 0600) or `--webhooks-key-file`:
//! several processes on one PostgreSQL database must be given the same file. A copy of
//! the database alone signs nothing; losing the key file changes every endpoint's secret.

use anyhow::Context;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::io::Write;
use std::path::Path;

/// The server's webhook key. Its `Debug` shows nothing of it.
#[derive(Clone)]
pub struct ServerKey([u8; 32]);

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(…)")
    }
}

impl ServerKey {
    pub fn from_bytes(bytes: [u8; 32]) -> ServerKey {
        ServerKey(bytes)
    }

    /// Reads the key file, or creates it (0600) with a new random key when there is none.
    /// Two processes starting at once on one data directory end up with the same key: the
    /// file appears whole or not at all (written aside, then linked into place).
    pub fn load_or_create(path: &Path) -> anyhow::Result<ServerKey> {
        match std::fs::read_to_string(path) {
            Ok(text) => return ServerKey::parse(&text).with_context(|| path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        }
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        let aside = path.with_extension(format!("new-{}", std::process::id()));
        {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options
                .open(&aside)
                .with_context(|| format!("creating {}", aside.display()))?;
            writeln!(file, "{}", STANDARD.encode(key))?;
            file.sync_all()?;
        }
        let linked = std::fs::hard_link(&aside, path);
        let _ = std::fs::remove_file(&aside);
        match linked {
            Ok(()) => {
                tracing::info!(file = %path.display(), "created the webhook signing key");
                Ok(ServerKey(key))
            }
            // Another process made it first: use that one.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                ServerKey::load_or_create(path)
            }
            Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
        }
    }

    fn parse(text: &str) -> anyhow::Result<ServerKey> {
        let bytes = STANDARD
            .decode(text.trim())
            .context("the webhook key file must hold base64")?;
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            anyhow::anyhow!("the webhook key must be 32 bytes, not {}", bytes.len())
        })?;
        Ok(ServerKey(key))
    }

    /// The signing key of endpoint `id` with `salt`.
    pub fn endpoint_key(&self, id: &str, salt: &str) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("any key length");
        mac.update(b"coproof-webhook-v1\0");
        mac.update(id.as_bytes());
        mac.update(b"\0");
        mac.update(salt.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The secret the endpoint's owner is shown once: `whsec_<base64 key>`.
    pub fn secret(&self, id: &str, salt: &str) -> String {
        super::sign::secret(&self.endpoint_key(id, salt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_made_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("webhooks.key");
        let made = ServerKey::load_or_create(&path).unwrap();
        let read = ServerKey::load_or_create(&path).unwrap();
        assert_eq!(made.0, read.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_ne!(made.endpoint_key("a", "s"), made.endpoint_key("b", "s"));
        assert_ne!(made.endpoint_key("a", "s"), made.endpoint_key("a", "t"));
        assert!(made.secret("a", "s").starts_with("whsec_"));
        assert_eq!(format!("{made:?}"), "ServerKey(…)");
    }
}
