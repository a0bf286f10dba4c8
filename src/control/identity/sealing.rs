//! Secrets kept at rest (AK/SK secret keys) are sealed with
//! XChaCha20-Poly1305 under a key that lives in the data directory
//! (`secret.key`, mode 0600), so a copy of the database alone reveals none.

use std::io::Write;
use std::path::Path;

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

use crate::domain::{ControlError, ControlResult};

const PREFIX: &str = "v1:";

pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl Sealer {
    /// Loads `secret.key` from `dir`, creating it on first start.
    pub fn open(dir: &Path) -> anyhow::Result<Sealer> {
        let path = dir.join("secret.key");
        let key = match std::fs::read(&path) {
            Ok(k) if k.len() == 32 => k,
            Ok(_) => anyhow::bail!("{} is not a 32-byte key", path.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                use std::os::unix::fs::OpenOptionsExt;
                let mut k = vec![0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut k);
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&path)?;
                f.write_all(&k)?;
                f.sync_all()?;
                k
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Sealer::from_key(&key))
    }

    pub fn from_key(key: &[u8]) -> Sealer {
        Sealer {
            cipher: XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(key)),
        }
    }

    pub fn seal(&self, plain: &str) -> ControlResult<String> {
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plain.as_bytes())
            .map_err(|_| ControlError::internal("sealing a secret failed"))?;
        let mut out = nonce.to_vec();
        out.extend(ct);
        Ok(format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(out)
        ))
    }

    pub fn unseal(&self, sealed: &str) -> ControlResult<String> {
        let raw = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .filter(|r| r.len() > 24)
            .ok_or_else(|| ControlError::internal("a sealed secret is malformed"))?;
        let (nonce, ct) = raw.split_at(24);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), ct)
            .map_err(|_| ControlError::internal("a sealed secret does not open with this data directory's key"))?;
        String::from_utf8(plain).map_err(ControlError::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trips_and_hides_the_secret() {
        let s = Sealer::from_key(&[7u8; 32]);
        let sealed = s.seal("my-secret-key").unwrap();
        assert!(!sealed.contains("my-secret-key"));
        assert_ne!(sealed, s.seal("my-secret-key").unwrap(), "fresh nonce each time");
        assert_eq!(s.unseal(&sealed).unwrap(), "my-secret-key");
        assert!(Sealer::from_key(&[8u8; 32]).unseal(&sealed).is_err());
        assert!(s.unseal("garbage").is_err());
    }
}
