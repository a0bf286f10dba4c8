//! Groups and their membership. A member who leaves a group, or the
//! members of a deleted group that held grants, lose their tokens.

use chrono::Utc;

use super::{
    check_name_and_description, duplicate_in_domain, invalid, load_sorted_by_name, not_found_with, unique_in_domain,
    visible, Actor, Admin, WRITES,
};
use crate::domain::{hex_id, ControlResult};
use crate::domain::{Group, User};

impl Admin<'_> {
    pub async fn get_group(&self, actor: &Actor, id: &str) -> ControlResult<Group> {
        visible(actor, id, self.store().get_group(id).await?)
    }

    pub async fn list_groups(
        &self,
        actor: &Actor,
        domain_id: Option<&str>,
        name: Option<&str>,
    ) -> ControlResult<Vec<Group>> {
        let Some(domain) = actor.listed_account(domain_id) else {
            return Ok(Vec::new());
        };
        let groups = self.store().list_groups(domain).await?;
        Ok(groups
            .into_iter()
            .filter(|g| name.is_none_or(|n| g.name == n))
            .collect())
    }

    pub async fn create_group(
        &self,
        actor: &Actor,
        name: &str,
        domain_id: Option<&str>,
        description: &str,
    ) -> ControlResult<Group> {
        check_name_and_description("group", Some(name), Some(description))?;
        let domain_id = self.target_domain(actor, domain_id).await?;
        let _w = WRITES.lock().await;
        if self.group_named(&domain_id, name).await?.is_some() {
            return Err(duplicate_in_domain("group", name, &domain_id));
        }
        let group = Group {
            id: hex_id(),
            name: name.to_string(),
            domain_id,
            description: description.to_string(),
            created: Utc::now(),
        };
        self.store()
            .put_group(&group)
            .await
            .map_err(|e| unique_in_domain(e, "group"))?;
        drop(_w);
        self.changed();
        Ok(group)
    }

    async fn group_named(&self, domain_id: &str, name: &str) -> ControlResult<Option<Group>> {
        Ok(self
            .store()
            .list_groups(domain_id)
            .await?
            .into_iter()
            .find(|g| g.name == name))
    }

    pub async fn update_group(
        &self,
        actor: &Actor,
        id: &str,
        name: Option<&str>,
        description: Option<&str>,
    ) -> ControlResult<Group> {
        check_name_and_description("group", name, description)?;
        let _w = WRITES.lock().await;
        let mut group = self.get_group(actor, id).await?;
        if let Some(n) = name {
            if n != group.name && self.group_named(&group.domain_id, n).await?.is_some() {
                return Err(duplicate_in_domain("group", n, &group.domain_id));
            }
            group.name = n.to_string();
        }
        if let Some(d) = description {
            group.description = d.to_string();
        }
        self.store()
            .put_group(&group)
            .await
            .map_err(|e| unique_in_domain(e, "group"))?;
        drop(_w);
        self.changed();
        Ok(group)
    }

    /// Deletes a group with its memberships and grants; members lose the
    /// group's grants, so their tokens are revoked when it had any.
    pub async fn delete_group(&self, actor: &Actor, id: &str) -> ControlResult<()> {
        let group = self.get_group(actor, id).await?;
        let had_grants = !self
            .store()
            .grants_of(std::slice::from_ref(&group.id))
            .await?
            .is_empty();
        let members = self.store().members_of(&group.id).await?;
        self.store().delete_group(&group.id).await?;
        let revoked: &[String] = if had_grants { &members } else { &[] };
        self.revoke_then_changed(revoked).await
    }

    pub async fn group_users(&self, actor: &Actor, id: &str) -> ControlResult<Vec<User>> {
        let group = self.get_group(actor, id).await?;
        let store = self.store();
        load_sorted_by_name(store.members_of(&group.id).await?, |uid| async move {
            store.get_user(&uid).await
        })
        .await
    }

    async fn group_and_user(&self, actor: &Actor, group_id: &str, user_id: &str) -> ControlResult<(Group, User)> {
        let group = self.get_group(actor, group_id).await?;
        let user = self.get_user(actor, user_id).await?;
        if group.domain_id != user.domain_id {
            return Err(invalid(format!(
                "User {user_id} and group {group_id} belong to different accounts."
            )));
        }
        Ok((group, user))
    }

    pub async fn add_member(&self, actor: &Actor, group_id: &str, user_id: &str) -> ControlResult<()> {
        let (group, user) = self.group_and_user(actor, group_id, user_id).await?;
        self.store().add_member(&group.id, &user.id).await?;
        self.changed();
        Ok(())
    }

    pub async fn is_member(&self, actor: &Actor, group_id: &str, user_id: &str) -> ControlResult<bool> {
        let (group, user) = self.group_and_user(actor, group_id, user_id).await?;
        Ok(self.store().members_of(&group.id).await?.contains(&user.id))
    }

    /// Removes a user from a group; its tokens are revoked.
    pub async fn remove_member(&self, actor: &Actor, group_id: &str, user_id: &str) -> ControlResult<()> {
        let (group, user) = self.group_and_user(actor, group_id, user_id).await?;
        if !self.store().remove_member(&group.id, &user.id).await? {
            return Err(not_found_with(format!(
                "Could not find membership: user {user_id} is not a member of group {group_id}."
            )));
        }
        self.revoke_then_changed(&[&user.id]).await
    }
}
