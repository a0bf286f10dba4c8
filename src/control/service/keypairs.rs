//! Key pairs (Nova's `os-keypairs`, which Huawei's ECS SDK calls too): a
//! user's public SSH keys by name. A key made here is an Ed25519 pair whose
//! private half is returned once and never kept; an imported key is checked
//! to be an OpenSSH public key. The fingerprint is Nova's: MD5 of the key's
//! blob as colon-separated hex.

use base64::Engine;
use chrono::Utc;
use md5::{Digest, Md5};

use super::Service;
use crate::catalog::OpId;
use crate::domain::{Caller, ControlError, ControlResult, KeyPair};

/// Most key pairs a user keeps (Nova's `key_pairs` quota).
pub const MAX_KEYPAIRS: usize = 100;

/// A key pair to make or import.
#[derive(Debug, Clone, Default)]
pub struct NewKeyPair {
    pub name: String,
    /// `ssh` (default) or `x509`.
    pub key_type: Option<String>,
    /// Import this key; make one when absent.
    pub public_key: Option<String>,
}

/// A key pair as made: with the private key when ecsd generated it.
#[derive(Debug, Clone)]
pub struct MadeKeyPair {
    pub keypair: KeyPair,
    pub private_key: Option<String>,
}

fn invalid_key() -> ControlError {
    ControlError::bad_request("Keypair data is invalid: failed to generate fingerprint")
}

/// Nova's fingerprint of an OpenSSH public key line (`type base64 [comment]`).
fn fingerprint(public_key: &str) -> ControlResult<String> {
    let mut parts = public_key.split_whitespace();
    let (Some(kind), Some(blob)) = (parts.next(), parts.next()) else {
        return Err(invalid_key());
    };
    let raw = base64::engine::general_purpose::STANDARD
        .decode(blob)
        .map_err(|_| invalid_key())?;
    // The blob starts with its own type name, length-prefixed.
    let named = raw
        .get(..4)
        .map(|n| u32::from_be_bytes([n[0], n[1], n[2], n[3]]) as usize)
        .and_then(|n| raw.get(4..4 + n))
        .ok_or_else(invalid_key)?;
    if named != kind.as_bytes() || !kind.starts_with("ssh-") && !kind.starts_with("ecdsa-") {
        return Err(invalid_key());
    }
    let digest = Md5::digest(&raw);
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":"))
}

fn check_name(name: &str) -> ControlResult<()> {
    let ok = !name.trim().is_empty()
        && name.chars().count() <= 255
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' ' | '.' | '@'));
    if !ok {
        return Err(ControlError::bad_request(
            "Keypair data is invalid: Keypair name contains unsafe characters",
        ));
    }
    Ok(())
}

fn not_found(name: &str, user_id: &str) -> ControlError {
    ControlError::NotFound {
        code: "Ecs.0005",
        message: format!("Keypair {name} not found for user {user_id}"),
    }
}

impl Service {
    pub async fn create_keypair(&self, caller: &Caller, new: NewKeyPair) -> ControlResult<MadeKeyPair> {
        self.authorize(caller, OpId::NovaKeypairCreate, None).await?;
        check_name(&new.name)?;
        let key_type = match new.key_type.as_deref() {
            None | Some("ssh") => "ssh".to_string(),
            Some("x509") => return Err(ControlError::bad_request("x509 key pairs are not supported; use ssh.")),
            Some(other) => return Err(ControlError::bad_request(format!("Invalid keypair type {other}."))),
        };
        if self.store.list_keypairs(&caller.user_id).await?.len() >= MAX_KEYPAIRS {
            return Err(ControlError::Forbidden {
                missing: vec![format!("key_pairs quota ({MAX_KEYPAIRS} per user)")],
            });
        }
        let (public_key, private_key) = match new.public_key {
            Some(k) => (k.trim().to_string(), None),
            None => {
                let private = ssh_key::PrivateKey::random(&mut rand::rngs::OsRng, ssh_key::Algorithm::Ed25519)
                    .map_err(ControlError::internal)?;
                let public = private.public_key().to_openssh().map_err(ControlError::internal)?;
                let pem = private
                    .to_openssh(ssh_key::LineEnding::LF)
                    .map_err(ControlError::internal)?;
                (format!("{public} Generated-by-ecsd"), Some(pem.to_string()))
            }
        };
        let keypair = KeyPair {
            user_id: caller.user_id.clone(),
            name: new.name.clone(),
            key_type,
            fingerprint: fingerprint(&public_key)?,
            public_key,
            created: Utc::now(),
        };
        if !self.store.insert_keypair(&keypair).await? {
            return Err(ControlError::Conflict {
                code: "Ecs.0005",
                message: format!("Key pair '{}' already exists.", new.name),
            });
        }
        Ok(MadeKeyPair { keypair, private_key })
    }

    pub async fn keypairs(&self, caller: &Caller) -> ControlResult<Vec<KeyPair>> {
        self.authorize(caller, OpId::NovaKeypairList, None).await?;
        self.store.list_keypairs(&caller.user_id).await
    }

    pub async fn keypair(&self, caller: &Caller, name: &str) -> ControlResult<KeyPair> {
        self.authorize(caller, OpId::NovaKeypairShow, None).await?;
        self.store
            .get_keypair(&caller.user_id, name)
            .await?
            .ok_or_else(|| not_found(name, &caller.user_id))
    }

    pub async fn delete_keypair(&self, caller: &Caller, name: &str) -> ControlResult<()> {
        self.authorize(caller, OpId::NovaKeypairDelete, None).await?;
        if !self.store.delete_keypair(&caller.user_id, name).await? {
            return Err(not_found(name, &caller.user_id));
        }
        Ok(())
    }

    /// A server create's `key_name` must be one of the caller's key pairs.
    pub(super) async fn check_key_name(&self, caller: &Caller, name: &str) -> ControlResult<()> {
        match self.store.get_keypair(&caller.user_id, name).await? {
            Some(_) => Ok(()),
            None => Err(ControlError::bad_request_code("Ecs.0005", "Invalid key_name provided.")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_follow_nova() {
        // A well-known public key and its MD5 fingerprint (ssh-keygen -l -E md5).
        let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGE2bHvCvlB7r06tgUZdmy2z2rq+r0zbP0mbfZ0i5y3F test";
        let fp = fingerprint(key).unwrap();
        assert_eq!(fp.len(), 47);
        assert_eq!(fp.matches(':').count(), 15);
        assert!(fingerprint("ssh-rsa not-base64!").is_err());
        assert!(fingerprint("nonsense").is_err());
        // The blob names another type than the line: refused.
        assert!(fingerprint("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIGE2bHvCvlB7r06tgUZdmy2z2rq+r0zbP0mbfZ0i5y3F").is_err());
    }
}
