//! Users: creation, changes (a new password or disabling revokes the
//! user's tokens), self-service password change, deletion, and the groups a
//! user belongs to.

use chrono::Utc;

use super::{
    check_email, check_name_and_description, check_password, duplicate_in_domain, invalid, load_sorted_by_name,
    unique_in_domain, visible, Actor, Admin, WRITES,
};
use crate::control::identity::{hash_password, verify_password};
use crate::domain::{hex_id, ControlError, ControlResult};
use crate::domain::{Group, Project, User};

/// Filters of `GET /v3/users`.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub domain_id: Option<String>,
    pub name: Option<String>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub name: String,
    pub domain_id: Option<String>,
    pub password: Option<String>,
    pub enabled: bool,
    pub description: String,
    pub email: Option<String>,
    pub default_project_id: Option<String>,
}

/// A change to a user; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub name: Option<String>,
    pub password: Option<String>,
    pub enabled: Option<bool>,
    pub description: Option<String>,
    pub email: Option<Option<String>>,
    pub default_project_id: Option<Option<String>>,
}

async fn hash_blocking(password: String) -> ControlResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(ControlError::internal)?
}

impl Admin<'_> {
    pub async fn get_user(&self, actor: &Actor, id: &str) -> ControlResult<User> {
        visible(actor, id, self.store().get_user(id).await?)
    }

    pub async fn is_domain_owner(&self, user: &User) -> ControlResult<bool> {
        self.is_owner(&user.id).await
    }

    pub async fn list_users(&self, actor: &Actor, f: &UserFilter) -> ControlResult<Vec<User>> {
        let Some(domain) = actor.listed_account(f.domain_id.as_deref()) else {
            return Ok(Vec::new());
        };
        let users = self.store().list_users(domain).await?;
        Ok(users
            .into_iter()
            .filter(|u| f.name.as_deref().is_none_or(|n| u.name == n))
            .filter(|u| f.enabled.is_none_or(|e| u.enabled == e))
            .collect())
    }

    pub async fn create_user(&self, actor: &Actor, new: NewUser) -> ControlResult<User> {
        check_name_and_description("user", Some(&new.name), Some(&new.description))?;
        if let Some(p) = &new.password {
            check_password("user.password", p)?;
        }
        if let Some(e) = &new.email {
            check_email("user.email", e)?;
        }
        let domain_id = self.target_domain(actor, new.domain_id.as_deref()).await?;
        if let Some(p) = &new.default_project_id {
            self.project_in_domain(actor, p, &domain_id).await?;
        }
        let password_hash = match new.password {
            Some(p) => hash_blocking(p).await?,
            // No password: the user cannot log in with one (AK/SK only).
            None => String::new(),
        };
        let _w = WRITES.lock().await;
        if self.store().find_user(&domain_id, &new.name).await?.is_some() {
            return Err(duplicate_in_domain("user", &new.name, &domain_id));
        }
        let user = User {
            id: hex_id(),
            name: new.name,
            domain_id,
            password_hash,
            enabled: new.enabled,
            account_admin: false,
            created: Utc::now(),
            description: new.description,
            email: new.email,
            default_project_id: new.default_project_id,
        };
        self.store()
            .put_user(&user)
            .await
            .map_err(|e| unique_in_domain(e, "user"))?;
        drop(_w);
        self.changed();
        Ok(user)
    }

    async fn project_in_domain(&self, actor: &Actor, project_id: &str, domain_id: &str) -> ControlResult<Project> {
        let p = self.get_project(actor, project_id).await?;
        if p.domain_id != domain_id {
            return Err(invalid(format!(
                "Invalid input for field 'default_project_id': project {project_id} is not in domain {domain_id}."
            )));
        }
        Ok(p)
    }

    /// Updates a user. A new password, or disabling, revokes its tokens.
    pub async fn update_user(&self, actor: &Actor, id: &str, patch: UserPatch) -> ControlResult<User> {
        let mut user = self.get_user(actor, id).await?;
        check_name_and_description("user", patch.name.as_deref(), patch.description.as_deref())?;
        if let Some(p) = &patch.password {
            check_password("user.password", p)?;
        }
        if let Some(Some(e)) = &patch.email {
            check_email("user.email", e)?;
        }
        if let Some(Some(p)) = &patch.default_project_id {
            self.project_in_domain(actor, p, &user.domain_id).await?;
        }
        if patch.enabled == Some(false) && self.is_owner(&user.id).await? {
            return Err(invalid("The account administrator cannot be disabled."));
        }
        let new_hash = match patch.password.clone() {
            Some(p) => Some(hash_blocking(p).await?),
            None => None,
        };
        let _w = WRITES.lock().await;
        // Re-read under the lock so that concurrent changes are not lost.
        user = self.get_user(actor, id).await?;
        if let Some(n) = &patch.name {
            if n != &user.name && self.store().find_user(&user.domain_id, n).await?.is_some() {
                return Err(duplicate_in_domain("user", n, &user.domain_id));
            }
        }
        let was_enabled = user.enabled;
        if let Some(n) = patch.name {
            user.name = n;
        }
        if let Some(d) = patch.description {
            user.description = d;
        }
        if let Some(e) = patch.enabled {
            user.enabled = e;
        }
        if let Some(e) = patch.email {
            user.email = e;
        }
        if let Some(p) = patch.default_project_id {
            user.default_project_id = p;
        }
        let password_changed = new_hash.is_some();
        if let Some(h) = new_hash {
            user.password_hash = h;
        }
        self.store()
            .put_user(&user)
            .await
            .map_err(|e| unique_in_domain(e, "user"))?;
        drop(_w);
        if password_changed || (was_enabled && !user.enabled) {
            self.identity.revoke_user_tokens(&user.id).await?;
        } else {
            self.identity.refresh_cached_user(&user);
        }
        self.changed();
        Ok(user)
    }

    /// Self-service password change: the original password must match.
    /// Revokes every token of the user.
    pub async fn change_password(&self, actor: &Actor, id: &str, original: &str, new: &str) -> ControlResult<()> {
        let user = self.get_user(actor, id).await?;
        check_password("user.password", new)?;
        let (orig, hash) = (original.to_string(), user.password_hash.clone());
        let ok = tokio::task::spawn_blocking(move || verify_password(&orig, &hash))
            .await
            .map_err(ControlError::internal)?;
        if !ok {
            return Err(ControlError::Unauthenticated {
                message: "Invalid authentication: the original password is incorrect.".into(),
            });
        }
        if original == new {
            return Err(invalid("The new password must be different from the old password."));
        }
        self.update_user(
            actor,
            id,
            UserPatch {
                password: Some(new.to_string()),
                ..UserPatch::default()
            },
        )
        .await
        .map(|_| ())
    }

    /// Deletes a user with its memberships, grants, credentials and tokens.
    pub async fn delete_user(&self, actor: &Actor, id: &str) -> ControlResult<()> {
        let user = self.get_user(actor, id).await?;
        if self.is_owner(&user.id).await? {
            return Err(invalid("The account administrator cannot be deleted."));
        }
        self.store().delete_user(&user.id).await?;
        self.revoke_then_changed(&[&user.id]).await
    }

    pub async fn groups_of_user(&self, actor: &Actor, id: &str) -> ControlResult<Vec<Group>> {
        let user = self.get_user(actor, id).await?;
        let store = self.store();
        load_sorted_by_name(store.groups_of(&user.id).await?, |gid| async move {
            store.get_group(&gid).await
        })
        .await
    }
}
