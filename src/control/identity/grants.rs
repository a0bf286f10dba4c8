//! Grants of roles to users and groups on projects, accounts or all
//! projects of an account, and the role assignments that list them. The
//! holders of a grant lose their tokens when it is added or removed.

use chrono::Utc;

use super::{invalid, not_found, not_found_with, Actor, Admin, RoleRef, WRITES};
use crate::domain::ControlResult;
use crate::domain::{ActorKind, Grant, GrantScope};
use crate::iam::find_system_role;

/// The scope and receiver of a grant.
#[derive(Debug, Clone)]
pub struct GrantTarget {
    pub scope: GrantScope,
    /// Project id for [`GrantScope::Project`], domain id otherwise.
    pub scope_id: String,
    pub actor: ActorKind,
    pub actor_id: String,
}

impl GrantTarget {
    /// What messages call the scope: a project, or a domain (also for all
    /// its projects).
    fn scope_noun(&self) -> &'static str {
        if self.scope == GrantScope::Project {
            "project"
        } else {
            "domain"
        }
    }
}

/// Filters of `GET /v3/role_assignments`.
#[derive(Debug, Clone, Default)]
pub struct AssignmentFilter {
    pub user_id: Option<String>,
    pub group_id: Option<String>,
    pub project_id: Option<String>,
    pub domain_id: Option<String>,
    pub role_id: Option<String>,
    /// Only `inherited_to_projects` grants.
    pub inherited: bool,
}

impl Admin<'_> {
    /// Every grant of an account: on its projects, on itself and on all its
    /// projects.
    pub(super) async fn grants_in_account(&self, domain_id: &str) -> ControlResult<Vec<Grant>> {
        let mut out = self.store().grants_on(domain_id).await?;
        for p in self.store().list_projects(domain_id).await? {
            out.extend(self.store().grants_on(&p.id).await?);
        }
        out.retain(|g| g.domain_id == domain_id);
        Ok(out)
    }

    /// Checks the scope, the receiver and the role of a grant; returns the
    /// account it belongs to and the role.
    async fn resolve_grant(&self, actor: &Actor, t: &GrantTarget, role_id: &str) -> ControlResult<(String, RoleRef)> {
        let (domain_id, actor_domain) = self.grant_accounts(actor, t).await?;
        if actor_domain != domain_id {
            return Err(invalid(format!(
                "The {} {} belongs to another account than the {} {}.",
                t.actor.as_str(),
                t.actor_id,
                t.scope_noun(),
                t.scope_id
            )));
        }
        let role = self.get_role(actor, role_id).await?;
        if role.domain_id().is_some_and(|d| d != domain_id) {
            return Err(not_found("role", role_id));
        }
        Ok((domain_id, role))
    }

    /// The accounts of a grant's scope and of its receiver; both must be
    /// visible to the caller.
    async fn grant_accounts(&self, actor: &Actor, t: &GrantTarget) -> ControlResult<(String, String)> {
        let scope_domain = match t.scope {
            GrantScope::Project => self.get_project(actor, &t.scope_id).await?.domain_id,
            GrantScope::Domain | GrantScope::AllProjects => self.get_domain(actor, &t.scope_id).await?.id,
        };
        let actor_domain = match t.actor {
            ActorKind::User => self.get_user(actor, &t.actor_id).await?.domain_id,
            ActorKind::Group => self.get_group(actor, &t.actor_id).await?.domain_id,
        };
        Ok((scope_domain, actor_domain))
    }

    /// Huawei's placement rule (see the module documentation).
    fn check_placement(role: &RoleRef, scope: GrantScope) -> ControlResult<()> {
        if role.catalog() == "BASE" {
            return Ok(());
        }
        match (role.role_type(), scope) {
            ("AX", GrantScope::Project | GrantScope::AllProjects) => Err(invalid(format!(
                "The policy '{}' is for global services (type AX): grant it on the account (domain), not on projects.",
                role.display_name()
            ))),
            ("XA", GrantScope::Domain) => Err(invalid(format!(
                "The policy '{}' is for project-level services (type XA): grant it on projects or on all projects, not on the account.",
                role.display_name()
            ))),
            _ => Ok(()),
        }
    }

    fn grant_of(t: &GrantTarget, role_id: &str, domain_id: &str) -> Grant {
        Grant {
            scope: t.scope,
            scope_id: t.scope_id.clone(),
            actor: t.actor,
            actor_id: t.actor_id.clone(),
            role_id: role_id.to_string(),
            domain_id: domain_id.to_string(),
            created: Utc::now(),
        }
    }
    /// The users who hold a grant to a receiver: the user, or every member
    /// of the group.
    pub(super) async fn holders(&self, kind: ActorKind, id: &str) -> ControlResult<Vec<String>> {
        match kind {
            ActorKind::User => Ok(vec![id.to_string()]),
            ActorKind::Group => self.store().members_of(id).await,
        }
    }

    /// Keeps [`User::account_admin`] in step with a grant of Keystone's
    /// `admin` role to a user on its own domain.
    async fn sync_account_admin(&self, t: &GrantTarget, role: &RoleRef, granted: bool) -> ControlResult<()> {
        if !(role.is_keystone_admin() && t.scope == GrantScope::Domain && t.actor == ActorKind::User) {
            return Ok(());
        }
        let Some(mut user) = self.store().get_user(&t.actor_id).await? else {
            return Ok(());
        };
        if user.domain_id != t.scope_id || user.account_admin == granted {
            return Ok(());
        }
        if !granted && self.is_owner(&user.id).await? {
            return Ok(());
        }
        user.account_admin = granted;
        self.store().put_user(&user).await?;
        self.identity.refresh_cached_user(&user);
        tracing::info!(user = %user.id, account_admin = granted, "account administrator status changed");
        Ok(())
    }

    /// Grants a role; idempotent. The holders' tokens are revoked when the
    /// grant is new.
    pub async fn grant(&self, actor: &Actor, t: &GrantTarget, role_id: &str) -> ControlResult<()> {
        let (domain_id, role) = self.resolve_grant(actor, t, role_id).await?;
        Self::check_placement(&role, t.scope)?;
        let g = Self::grant_of(t, role.id(), &domain_id);
        let _w = WRITES.lock().await;
        let added = self.store().put_grant(&g).await?;
        self.sync_account_admin(t, &role, true).await?;
        drop(_w);
        let holders = if added {
            self.holders(t.actor, &t.actor_id).await?
        } else {
            Vec::new()
        };
        self.revoke_then_changed(&holders).await
    }

    pub async fn has_grant(&self, actor: &Actor, t: &GrantTarget, role_id: &str) -> ControlResult<bool> {
        let (_, role) = self.resolve_grant(actor, t, role_id).await?;
        Ok(self.scope_grants(t).await?.iter().any(|g| g.role_id == role.id()))
    }

    /// Removes a grant; 404 when there is none.
    pub async fn revoke(&self, actor: &Actor, t: &GrantTarget, role_id: &str) -> ControlResult<()> {
        let (domain_id, role) = self.resolve_grant(actor, t, role_id).await?;
        let g = Self::grant_of(t, role.id(), &domain_id);
        let _w = WRITES.lock().await;
        if !self.store().delete_grant(&g).await? {
            return Err(not_found_with(format!(
                "Could not find role assignment with role: {}, {}: {}, {}: {}.",
                role.id(),
                t.actor.as_str(),
                t.actor_id,
                t.scope_noun(),
                t.scope_id
            )));
        }
        self.sync_account_admin(t, &role, false).await?;
        drop(_w);
        let holders = self.holders(t.actor, &t.actor_id).await?;
        self.revoke_then_changed(&holders).await
    }

    async fn scope_grants(&self, t: &GrantTarget) -> ControlResult<Vec<Grant>> {
        Ok(self
            .store()
            .grants_on(&t.scope_id)
            .await?
            .into_iter()
            .filter(|g| g.scope == t.scope && g.actor == t.actor && g.actor_id == t.actor_id)
            .collect())
    }

    /// The roles granted to a user or group on a scope.
    pub async fn granted_roles(&self, actor: &Actor, t: &GrantTarget) -> ControlResult<Vec<RoleRef>> {
        self.grant_accounts(actor, t).await?;
        let mut out = Vec::new();
        for g in self.scope_grants(t).await? {
            if let Some(r) = find_system_role(&g.role_id) {
                out.push(RoleRef::System(r));
            } else if let Some(r) = self.store().get_role(&g.role_id).await? {
                out.push(RoleRef::Custom(Box::new(r)));
            }
        }
        Ok(out)
    }

    /// Grants of the caller's account (or, for the operator, of the account
    /// the filter's scope names), filtered.
    pub async fn assignments(&self, actor: &Actor, f: &AssignmentFilter) -> ControlResult<Vec<Grant>> {
        let domain_id = match (&f.project_id, &f.domain_id) {
            (Some(p), _) => self.get_project(actor, p).await?.domain_id,
            (None, Some(d)) => self.get_domain(actor, d).await?.id,
            (None, None) => actor.domain_id.clone(),
        };
        let mut grants = self.grants_in_account(&domain_id).await?;
        grants.retain(|g| {
            f.user_id
                .as_deref()
                .is_none_or(|u| g.actor == ActorKind::User && g.actor_id == u)
                && f.group_id
                    .as_deref()
                    .is_none_or(|x| g.actor == ActorKind::Group && g.actor_id == x)
                && f.project_id
                    .as_deref()
                    .is_none_or(|p| g.scope == GrantScope::Project && g.scope_id == p)
                && f.domain_id
                    .as_deref()
                    .is_none_or(|d| g.scope != GrantScope::Project && g.scope_id == d)
                && f.role_id.as_deref().is_none_or(|r| g.role_id == r)
                && (!f.inherited || g.scope == GrantScope::AllProjects)
        });
        grants.sort_by_key(|g| g.created);
        Ok(grants)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_follows_the_role_type() {
        let ecs = RoleRef::System(find_system_role("ECS FullAccess").expect("built in"));
        assert!(Admin::check_placement(&ecs, GrantScope::Project).is_ok());
        assert!(Admin::check_placement(&ecs, GrantScope::AllProjects).is_ok());
        assert!(Admin::check_placement(&ecs, GrantScope::Domain).is_err());
        let sec = RoleRef::System(find_system_role("Security Administrator").expect("built in"));
        assert!(Admin::check_placement(&sec, GrantScope::Domain).is_ok());
        assert!(Admin::check_placement(&sec, GrantScope::Project).is_err());
        let member = RoleRef::System(find_system_role("member").expect("built in"));
        assert!(Admin::check_placement(&member, GrantScope::Domain).is_ok());
        assert!(RoleRef::System(find_system_role("admin").expect("built in")).is_keystone_admin());
    }
}
