//! Roles: the built-in system roles and the custom policies of an account.

use chrono::Utc;
use serde_json::Value;

use super::{check_text, conflict, invalid, visible, Actor, Admin, WRITES};
use crate::domain::{hex_id, ControlResult};
use crate::domain::{CustomRole, Grant};
use crate::iam::{find_system_role, system_roles, SystemRole};

/// Custom policies per account.
pub const MAX_CUSTOM_POLICIES: usize = 200;
pub const MAX_POLICY_DISPLAY_NAME: usize = 128;
pub const MAX_POLICY_DESCRIPTION: usize = 1000;

/// Validates a custom policy document: the policy engine's grammar and
/// limits, and `Version` `1.1` (custom policies are fine-grained only).
/// Errors name the JSON path of the fault, e.g. `Statement[0].Effect`.
pub fn validate_custom_policy(field: &str, policy: &Value) -> ControlResult<()> {
    match crate::iam::validate(policy) {
        Ok(doc) if doc.version == crate::iam::Version::V1_1 => Ok(()),
        Ok(_) => Err(invalid(format!(
            "Invalid policy in '{field}': Version: custom policies must be Version \"1.1\"."
        ))),
        Err(e) => Err(invalid(format!("Invalid policy in '{field}': {e}"))),
    }
}

/// A role as granted: a built-in one or a custom policy of an account.
#[derive(Debug, Clone)]
pub enum RoleRef {
    System(&'static SystemRole),
    Custom(Box<CustomRole>),
}

impl RoleRef {
    pub fn id(&self) -> &str {
        match self {
            RoleRef::System(r) => r.id,
            RoleRef::Custom(r) => &r.id,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            RoleRef::System(r) => r.name,
            RoleRef::Custom(r) => &r.name,
        }
    }

    pub fn display_name(&self) -> &str {
        match self {
            RoleRef::System(r) => r.display_name,
            RoleRef::Custom(r) => &r.display_name,
        }
    }

    pub fn role_type(&self) -> &str {
        match self {
            RoleRef::System(r) => r.role_type,
            RoleRef::Custom(r) => &r.role_type,
        }
    }

    /// `CUSTOMED` for custom policies, as Huawei spells it.
    pub fn catalog(&self) -> &str {
        match self {
            RoleRef::System(r) => r.catalog,
            RoleRef::Custom(_) => "CUSTOMED",
        }
    }

    /// `fine_grained` for `1.1` policies (every custom policy is one).
    pub fn flag(&self) -> Option<&str> {
        match self {
            RoleRef::System(r) => r.flag,
            RoleRef::Custom(_) => Some("fine_grained"),
        }
    }

    pub fn domain_id(&self) -> Option<&str> {
        match self {
            RoleRef::System(_) => None,
            RoleRef::Custom(r) => Some(&r.domain_id),
        }
    }

    /// Keystone's `admin` role, whose grant on a domain makes an account
    /// administrator.
    pub fn is_keystone_admin(&self) -> bool {
        matches!(self, RoleRef::System(r) if r.name == "admin")
    }
}

/// Filters of `GET /v3/roles`.
#[derive(Debug, Clone, Default)]
pub struct RoleFilter {
    pub name: Option<String>,
    pub display_name: Option<String>,
    /// Huawei's `type`: `domain` (global: AX, AA) or `project` (XA, AA).
    pub scope_type: Option<String>,
    pub catalog: Option<String>,
    /// Only the custom policies of this account.
    pub domain_id: Option<String>,
    /// `policy` (fine-grained) or `role` (coarse).
    pub permission_type: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct CustomSpec {
    pub display_name: String,
    pub role_type: String,
    pub description: String,
    pub description_cn: String,
    pub policy: Value,
}

#[derive(Debug, Clone, Default)]
pub struct CustomPatch {
    pub display_name: Option<String>,
    pub role_type: Option<String>,
    pub description: Option<String>,
    pub description_cn: Option<String>,
    pub policy: Option<Value>,
}

impl Admin<'_> {
    /// A built-in role (by id or name) or a custom policy visible to the caller.
    pub async fn get_role(&self, actor: &Actor, id: &str) -> ControlResult<RoleRef> {
        if let Some(r) = find_system_role(id) {
            return Ok(RoleRef::System(r));
        }
        Ok(RoleRef::Custom(Box::new(self.get_custom(actor, id).await?)))
    }

    pub async fn get_custom(&self, actor: &Actor, id: &str) -> ControlResult<CustomRole> {
        visible(actor, id, self.store().get_role(id).await?)
    }

    /// Built-in roles and the account's custom policies, filtered.
    pub async fn list_roles(&self, actor: &Actor, f: &RoleFilter) -> ControlResult<Vec<RoleRef>> {
        let mut out: Vec<RoleRef> = Vec::new();
        if f.domain_id.is_none() {
            out.extend(system_roles().iter().map(RoleRef::System));
        }
        if let Some(custom_domain) = actor.listed_account(f.domain_id.as_deref()) {
            out.extend(
                self.store()
                    .list_roles(custom_domain)
                    .await?
                    .into_iter()
                    .map(|r| RoleRef::Custom(Box::new(r))),
            );
        }
        Ok(out
            .into_iter()
            .filter(|r| f.name.as_deref().is_none_or(|n| r.name() == n))
            .filter(|r| {
                f.display_name
                    .as_deref()
                    .is_none_or(|n| r.display_name().eq_ignore_ascii_case(n))
            })
            .filter(|r| f.catalog.as_deref().is_none_or(|c| r.catalog().eq_ignore_ascii_case(c)))
            .filter(|r| match f.scope_type.as_deref() {
                Some("domain") => matches!(r.role_type(), "AX" | "AA"),
                Some("project") => matches!(r.role_type(), "XA" | "AA"),
                _ => true,
            })
            .filter(|r| match f.permission_type.as_deref() {
                Some("policy") => r.flag() == Some("fine_grained"),
                Some("role") => r.flag() != Some("fine_grained"),
                _ => true,
            })
            .collect())
    }

    fn check_role_type(field: &str, t: &str) -> ControlResult<()> {
        if matches!(t, "XA" | "AX") {
            Ok(())
        } else {
            Err(invalid(format!(
                "Invalid input for field '{field}': must be \"XA\" (project-level services) or \"AX\" (global services), got {t:?}."
            )))
        }
    }

    fn check_policy_texts(
        display_name: Option<&str>,
        description: Option<&str>,
        description_cn: Option<&str>,
    ) -> ControlResult<()> {
        if let Some(n) = display_name {
            check_text("role.display_name", n, 1, MAX_POLICY_DISPLAY_NAME)?;
        }
        if let Some(d) = description {
            check_text("role.description", d, 0, MAX_POLICY_DESCRIPTION)?;
        }
        if let Some(d) = description_cn {
            check_text("role.description_cn", d, 0, MAX_POLICY_DESCRIPTION)?;
        }
        Ok(())
    }

    async fn display_name_taken(&self, domain_id: &str, name: &str, except: Option<&str>) -> ControlResult<bool> {
        let taken_by_custom = self
            .store()
            .list_roles(domain_id)
            .await?
            .iter()
            .any(|r| r.display_name == name && Some(r.id.as_str()) != except);
        let taken_by_system = system_roles().iter().any(|r| r.display_name == name);
        Ok(taken_by_custom || taken_by_system)
    }

    /// Creates a custom policy, named `custom_<domain_id>_<n>` as Huawei does.
    pub async fn create_custom(&self, actor: &Actor, spec: CustomSpec) -> ControlResult<CustomRole> {
        Self::check_policy_texts(
            Some(&spec.display_name),
            Some(&spec.description),
            Some(&spec.description_cn),
        )?;
        Self::check_role_type("role.type", &spec.role_type)?;
        validate_custom_policy("role.policy", &spec.policy)?;
        let domain_id = actor.domain_id.clone();
        let _w = WRITES.lock().await;
        let existing = self.store().list_roles(&domain_id).await?;
        if existing.len() >= MAX_CUSTOM_POLICIES {
            return Err(invalid(format!(
                "The number of custom policies has reached the maximum allowed limit ({MAX_CUSTOM_POLICIES})."
            )));
        }
        if self.display_name_taken(&domain_id, &spec.display_name, None).await? {
            return Err(conflict(format!(
                "A policy with the display name '{}' already exists.",
                spec.display_name
            )));
        }
        let prefix = format!("custom_{domain_id}_");
        let n = existing
            .iter()
            .filter_map(|r| r.name.strip_prefix(&prefix).and_then(|s| s.parse::<u64>().ok()))
            .max()
            .unwrap_or(0)
            + 1;
        let now = Utc::now();
        let role = CustomRole {
            id: hex_id(),
            name: format!("{prefix}{n}"),
            display_name: spec.display_name,
            domain_id,
            role_type: spec.role_type,
            description: spec.description,
            description_cn: spec.description_cn,
            policy: spec.policy,
            created: now,
            updated: now,
        };
        self.store().put_role(&role).await?;
        drop(_w);
        self.changed();
        Ok(role)
    }

    pub async fn update_custom(&self, actor: &Actor, id: &str, patch: CustomPatch) -> ControlResult<CustomRole> {
        Self::check_policy_texts(
            patch.display_name.as_deref(),
            patch.description.as_deref(),
            patch.description_cn.as_deref(),
        )?;
        if let Some(t) = &patch.role_type {
            Self::check_role_type("role.type", t)?;
        }
        if let Some(p) = &patch.policy {
            validate_custom_policy("role.policy", p)?;
        }
        let _w = WRITES.lock().await;
        let mut role = self.get_custom(actor, id).await?;
        if let Some(n) = patch.display_name {
            if n != role.display_name && self.display_name_taken(&role.domain_id, &n, Some(&role.id)).await? {
                return Err(conflict(format!(
                    "A policy with the display name '{n}' already exists."
                )));
            }
            role.display_name = n;
        }
        if let Some(t) = patch.role_type {
            role.role_type = t;
        }
        if let Some(d) = patch.description {
            role.description = d;
        }
        if let Some(d) = patch.description_cn {
            role.description_cn = d;
        }
        if let Some(p) = patch.policy {
            role.policy = p;
        }
        role.updated = Utc::now();
        self.store().put_role(&role).await?;
        drop(_w);
        self.changed();
        Ok(role)
    }

    /// Deletes a custom policy and every grant of it; the holders' tokens
    /// are revoked.
    pub async fn delete_custom(&self, actor: &Actor, id: &str) -> ControlResult<()> {
        let role = self.get_custom(actor, id).await?;
        let grants: Vec<Grant> = self
            .grants_in_account(&role.domain_id)
            .await?
            .into_iter()
            .filter(|g| g.role_id == role.id)
            .collect();
        self.store().delete_role(&role.id).await?;
        let mut holders = Vec::new();
        for g in &grants {
            holders.extend(self.holders(g.actor, &g.actor_id).await?);
        }
        self.revoke_then_changed(&holders).await
    }

    /// How many grants use a role within an account.
    pub async fn references(&self, role_id: &str, domain_id: &str) -> ControlResult<usize> {
        Ok(self
            .grants_in_account(domain_id)
            .await?
            .iter()
            .filter(|g| g.role_id == role_id)
            .count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn custom_policies_name_the_path_of_the_fault() {
        let good = json!({"Version": "1.1", "Statement": [{"Effect": "Allow", "Action": ["ecs:servers:stop"]}]});
        assert!(validate_custom_policy("role.policy", &good).is_ok());
        let bad = json!({"Version": "1.1", "Statement": [{"Effect": "Maybe", "Action": ["ecs:servers:stop"]}]});
        let err = validate_custom_policy("role.policy", &bad).unwrap_err().to_string();
        assert!(err.contains("Statement[0].Effect"), "{err}");
        let legacy = json!({"Version": "1.0", "Statement": [{"Action": ["ecs:*:*"]}]});
        let err = validate_custom_policy("role.policy", &legacy).unwrap_err().to_string();
        assert!(err.contains("Version"), "{err}");
    }
}
