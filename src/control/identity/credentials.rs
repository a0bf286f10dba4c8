//! AK/SK credentials: permanent access keys of users, their secret keys
//! sealed at rest.

use std::collections::HashSet;

use chrono::Utc;

use super::{check_description, invalid, not_found, Actor, Admin, WRITES};
use crate::control::identity::access_key_id;
use crate::control::identity::{random_secret, Identity};
use crate::domain::ControlResult;
use crate::domain::Credential;

/// Huawei allows two permanent access keys per user.
pub const MAX_ACCESS_KEYS_PER_USER: usize = 2;

/// Seals an AK/SK secret key for storage, with the data directory's key.
/// The plain secret is shown once, in the create response, and never logged.
pub fn seal_secret(identity: &Identity, plain: &str) -> ControlResult<String> {
    identity.seal(plain)
}

impl Admin<'_> {
    /// The owner of an access key, if it exists (for the self-service rule).
    pub async fn credential_owner(&self, access: &str) -> ControlResult<Option<String>> {
        Ok(self.store().get_credential(access).await?.map(|c| c.user_id))
    }

    pub async fn get_credential(&self, actor: &Actor, access: &str) -> ControlResult<Credential> {
        let cred = self.store().get_credential(access).await?;
        if let Some(c) = cred {
            if let Some(u) = self.store().get_user(&c.user_id).await? {
                if actor.sees(&u.domain_id) {
                    return Ok(c);
                }
            }
        }
        Err(not_found("credential", access))
    }

    /// Creates a permanent access key; returns it with the plain secret,
    /// which is shown once and stored sealed.
    pub async fn create_credential(
        &self,
        actor: &Actor,
        user_id: &str,
        description: &str,
    ) -> ControlResult<(Credential, String)> {
        check_description("credential.description", description)?;
        let user = self.get_user(actor, user_id).await?;
        let _w = WRITES.lock().await;
        let existing = self.store().list_credentials(Some(&user.id)).await?;
        if existing.len() >= MAX_ACCESS_KEYS_PER_USER {
            return Err(invalid(format!(
                "The number of access keys of user {user_id} has reached the maximum allowed limit ({MAX_ACCESS_KEYS_PER_USER})."
            )));
        }
        let secret = random_secret(30);
        let cred = Credential {
            access: access_key_id(),
            user_id: user.id.clone(),
            secret_sealed: seal_secret(self.identity, &secret)?,
            status: "active".into(),
            description: description.to_string(),
            created: Utc::now(),
        };
        self.store().put_credential(&cred).await?;
        tracing::info!(user = %user.id, access_key = %cred.access, "access key created");
        Ok((cred, secret))
    }

    /// Access keys of one user, or (`user_id` None) of the whole account.
    pub async fn list_credentials(&self, actor: &Actor, user_id: Option<&str>) -> ControlResult<Vec<Credential>> {
        match user_id {
            Some(u) => {
                let user = self.get_user(actor, u).await?;
                self.store().list_credentials(Some(&user.id)).await
            }
            None => {
                let users: HashSet<String> = self
                    .store()
                    .list_users(&actor.domain_id)
                    .await?
                    .into_iter()
                    .map(|u| u.id)
                    .collect();
                let all = self.store().list_credentials(None).await?;
                Ok(all.into_iter().filter(|c| users.contains(&c.user_id)).collect())
            }
        }
    }

    pub async fn update_credential(
        &self,
        actor: &Actor,
        access: &str,
        status: Option<&str>,
        description: Option<&str>,
    ) -> ControlResult<Credential> {
        if let Some(s) = status {
            if !matches!(s, "active" | "inactive") {
                return Err(invalid(format!(
                    "Invalid input for field 'credential.status': must be \"active\" or \"inactive\", got {s:?}."
                )));
            }
        }
        if let Some(d) = description {
            check_description("credential.description", d)?;
        }
        let _w = WRITES.lock().await;
        let mut cred = self.get_credential(actor, access).await?;
        if let Some(s) = status {
            cred.status = s.to_string();
        }
        if let Some(d) = description {
            cred.description = d.to_string();
        }
        self.store().put_credential(&cred).await?;
        tracing::info!(access_key = %cred.access, status = %cred.status, "access key updated");
        Ok(cred)
    }

    pub async fn delete_credential(&self, actor: &Actor, access: &str) -> ControlResult<()> {
        let cred = self.get_credential(actor, access).await?;
        self.store().delete_credential(&cred.access).await?;
        tracing::info!(access_key = %cred.access, "access key deleted");
        Ok(())
    }
}
