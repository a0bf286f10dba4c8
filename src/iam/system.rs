//! Built-in system policies and roles, as data.
//!
//! - The fine-grained ECS policies (`1.1`) of spec huawei-ecs §7.4.
//! - Huawei's legacy coarse roles (`1.0`).
//! - Keystone's standard roles `admin`, `member` and `reader`, expressed as
//!   `1.0` roles so they can be granted and evaluated like the others.
//!
//! Ids and names are fixed so that grants survive restarts and upgrades.
//! `role_type`: `XA` project-level, `AX` global (account-level), `AA` both.

use std::sync::OnceLock;

use serde_json::{json, Value};

use super::compile::CompiledPolicy;
use super::policy::{validate_with_limits, Limits, Version};

/// A built-in role or policy.
#[derive(Debug)]
pub struct SystemRole {
    pub id: &'static str,
    pub name: &'static str,
    pub display_name: &'static str,
    pub description: &'static str,
    /// `XA` project-level, `AX` global, `AA` both.
    pub role_type: &'static str,
    /// `Some("fine_grained")` for `1.1` policies.
    pub flag: Option<&'static str>,
    /// `ECS`, `BASE` or `IAM`.
    pub catalog: &'static str,
    pub policy: Value,
    compiled: CompiledPolicy,
}

impl SystemRole {
    /// The policy, compiled once, reporting `id` as its policy id.
    pub fn compiled(&self) -> &CompiledPolicy {
        &self.compiled
    }

    /// The built-in roles this one depends on (its `Depends` list), which a
    /// grant of this role brings along.
    pub fn dependencies(&self) -> Vec<&'static SystemRole> {
        self.policy
            .get("Depends")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|d| d.get("display_name").and_then(Value::as_str))
            .filter_map(find_system_role)
            .collect()
    }
}

/// Every built-in role, built on first use.
pub fn system_roles() -> &'static [SystemRole] {
    static ROLES: OnceLock<Vec<SystemRole>> = OnceLock::new();
    ROLES.get_or_init(build)
}

/// Finds a built-in role by id, name or display name (display names
/// case-insensitively, as `GET /v3/roles?display_name=` is used).
pub fn find_system_role(id_or_name: &str) -> Option<&'static SystemRole> {
    let roles = system_roles();
    roles
        .iter()
        .find(|r| r.id == id_or_name || r.name == id_or_name)
        .or_else(|| roles.iter().find(|r| r.display_name.eq_ignore_ascii_case(id_or_name)))
}

fn role(
    (id, name, display_name, role_type, catalog): (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    ),
    description: &'static str,
    policy: Value,
) -> SystemRole {
    // Built-in documents are ours; one that does not validate is a bug that
    // the unit tests catch. Fail closed: it grants nothing.
    let (flag, compiled) = match validate_with_limits(&policy, &Limits::BUILT_IN) {
        Ok(doc) => (
            (doc.version == Version::V1_1).then_some("fine_grained"),
            CompiledPolicy::new(id, &doc),
        ),
        Err(e) => {
            tracing::error!(role = id, error = %e, "built-in policy does not validate");
            (None, CompiledPolicy::empty(id))
        }
    };
    SystemRole {
        id,
        name,
        display_name,
        description,
        role_type,
        flag,
        catalog,
        policy,
        compiled,
    }
}

fn allow_11(actions: &[&str]) -> Value {
    json!({"Version": "1.1", "Statement": [{"Effect": "Allow", "Action": actions}]})
}

/// ECS FullAccess, as published (spec §7.4).
const ECS_FULL_ACCESS: &[&str] = &[
    "ecs:*:*",
    "evs:*:get",
    "evs:*:list",
    "evs:volumes:create",
    "evs:volumes:delete",
    "evs:volumes:attach",
    "evs:volumes:detach",
    "evs:volumes:manage",
    "evs:volumes:update",
    "evs:volumes:use",
    "evs:volumes:uploadImage",
    "evs:snapshots:create",
    "vpc:*:get",
    "vpc:*:list",
    "vpc:networks:create",
    "vpc:networks:update",
    "vpc:subnets:update",
    "vpc:subnets:create",
    "vpc:ports:*",
    "vpc:routers:get",
    "vpc:routers:update",
    "vpc:securityGroups:*",
    "vpc:securityGroupRules:*",
    "vpc:floatingIps:*",
    "vpc:publicIps:*",
    "ims:images:create",
    "ims:images:delete",
    "ims:images:get",
    "ims:images:list",
    "ims:images:update",
    "ims:images:upload",
];

/// ECS CommonOperations as published, plus `ecs:*:show*`: taken literally,
/// `ecs:*:get*` does not match `ecs:cloudServers:showServer`, yet the policy
/// is documented to show server details, so ecsd adds `ecs:*:show*`
/// (spec §7.5 note).
const ECS_COMMON_OPERATIONS: &[&str] = &[
    "ecs:*:get*",
    "ecs:*:list*",
    "ecs:*:show*",
    "ecs:*:start",
    "ecs:*:stop",
    "ecs:*:reboot",
    "ecs:diskConfigs:use",
    "ecs:securityGroups:use",
    "ecs:serverGroups:manage",
    "ecs:serverKeypairs:*",
    "ecs:serverPasswords:manage",
    "ecs:servers:createConsole",
    "ecs:servers:createImage",
    "ecs:servers:setMetadata",
    "ecs:servers:setTags",
    "ecs:serverVolumes:use",
    "evs:*:get*",
    "evs:*:list*",
    "evs:snapshots:create",
    "evs:volumes:uploadImage",
    "evs:volumes:delete",
    "evs:volumes:update",
    "evs:volumes:attach",
    "evs:volumes:detach",
    "evs:volumes:manage",
    "evs:volumes:use",
    "vpc:*:get*",
    "vpc:*:list*",
    "vpc:floatingIps:create",
    "vpc:floatingIps:update",
    "vpc:floatingIps:delete",
    "vpc:publicIps:update",
    "vpc:publicIps:delete",
    "ims:images:create",
    "ims:images:delete",
    "ims:images:get",
    "ims:images:list",
    "ims:images:update",
    "ims:images:upload",
];

/// ECS ReadOnlyAccess as published, plus `ecs:*:show*` for the same reason
/// as [`ECS_COMMON_OPERATIONS`].
const ECS_READ_ONLY_ACCESS: &[&str] = &[
    "ecs:*:get*",
    "ecs:*:list*",
    "ecs:*:show*",
    "ecs:serverGroups:manage",
    "ecs:serverVolumes:use",
    "evs:*:get*",
    "evs:*:list*",
    "vpc:*:get*",
    "vpc:*:list*",
    "ims:*:get*",
    "ims:*:list*",
];

/// Keystone `reader`: reads of the services ecsd's operations touch.
const KEYSTONE_READER: &[&str] = &[
    "ecs:*:get*",
    "ecs:*:list*",
    "ecs:*:show*",
    "evs:*:get*",
    "evs:*:list*",
    "vpc:*:get*",
    "vpc:*:list*",
    "ims:*:get*",
    "ims:*:list*",
];

fn build() -> Vec<SystemRole> {
    vec![
        role(
            (
                "ecs-full-access",
                "system_all_ecs_full_access",
                "ECS FullAccess",
                "XA",
                "ECS",
            ),
            "Full permissions for Elastic Cloud Server.",
            allow_11(ECS_FULL_ACCESS),
        ),
        role(
            (
                "ecs-common-operations",
                "system_all_ecs_common_operations",
                "ECS CommonOperations",
                "XA",
                "ECS",
            ),
            "Basic operating permissions for Elastic Cloud Server: start, stop, restart and query.",
            allow_11(ECS_COMMON_OPERATIONS),
        ),
        role(
            (
                "ecs-read-only-access",
                "system_all_ecs_read_only_access",
                "ECS ReadOnlyAccess",
                "XA",
                "ECS",
            ),
            "Read-only permissions for Elastic Cloud Server.",
            allow_11(ECS_READ_ONLY_ACCESS),
        ),
        // The VPC service's own policies; their internal names are UNCONFIRMED.
        role(
            (
                "vpc-full-access",
                "system_all_vpc_full_access",
                "VPC FullAccess",
                "XA",
                "VPC",
            ),
            "Full permissions for Virtual Private Cloud.",
            allow_11(&["vpc:*:*"]),
        ),
        role(
            (
                "vpc-read-only-access",
                "system_all_vpc_read_only_access",
                "VPC ReadOnlyAccess",
                "XA",
                "VPC",
            ),
            "Read-only permissions for Virtual Private Cloud.",
            allow_11(&["vpc:*:get*", "vpc:*:list*"]),
        ),
        // The EVS service's own policies; their internal names and exact
        // statements are UNCONFIRMED (published as "create, attach, detach,
        // query, delete, expand" and "view EVS resource data only").
        role(
            (
                "evs-full-access",
                "system_all_evs_full_access",
                "EVS FullAccess",
                "XA",
                "EVS",
            ),
            "Full permissions for Elastic Volume Service.",
            allow_11(&["evs:*:*"]),
        ),
        role(
            (
                "evs-read-only-access",
                "system_all_evs_read_only_access",
                "EVS ReadOnlyAccess",
                "XA",
                "EVS",
            ),
            "Read-only permissions for Elastic Volume Service.",
            allow_11(&["evs:*:get*", "evs:*:list*"]),
        ),
        // The IMS service's own policies; internal names and statements
        // UNCONFIRMED (published as all IMS permissions, and read-only).
        role(
            (
                "ims-full-access",
                "system_all_ims_full_access",
                "IMS FullAccess",
                "XA",
                "IMS",
            ),
            "All permissions of Image Management Service.",
            allow_11(&["ims:*:*"]),
        ),
        role(
            (
                "ims-read-only-access",
                "system_all_ims_read_only_access",
                "IMS ReadOnlyAccess",
                "XA",
                "IMS",
            ),
            "Read-only permissions for Image Management Service.",
            allow_11(&["ims:*:get*", "ims:*:list*"]),
        ),
        // Everything but IAM, through an explicit Deny: explicit Deny wins, so a
        // principal holding this role cannot manage IAM even with Security
        // Administrator beside it. Account administrators manage IAM without
        // policies.
        role(
            ("tenant-administrator", "te_admin", "Tenant Administrator", "AA", "BASE"),
            "Administrator of every service except IAM.",
            json!({"Version": "1.0", "Statement": [
                {"Effect": "Allow", "Action": ["*:*:*"]},
                {"Effect": "Deny", "Action": ["iam:*:*"]}]}),
        ),
        role(
            ("tenant-guest", "readonly", "Tenant Guest", "AA", "BASE"),
            "Read-only access to every service.",
            json!({"Version": "1.0", "Statement": [
                {"Effect": "Allow", "Action": ["*:*:get*", "*:*:list*", "*:*:show*"]}]}),
        ),
        role(
            (
                "server-administrator",
                "server_adm",
                "Server Administrator",
                "XA",
                "ECS",
            ),
            "Administrator of servers; needs Tenant Guest beside it.",
            server_administrator(),
        ),
        role(
            (
                "security-administrator",
                "secu_admin",
                "Security Administrator",
                "AX",
                "IAM",
            ),
            "IAM administrator: users, groups, policies, grants and credentials.",
            json!({"Version": "1.0", "Statement": [{"Effect": "Allow", "Action": ["iam:*:*"]}]}),
        ),
        role(
            ("admin", "admin", "admin", "AA", "BASE"),
            "Keystone admin: every action, IAM included.",
            json!({"Version": "1.0", "Statement": [{"Effect": "Allow", "Action": ["*:*:*"]}]}),
        ),
        role(
            ("member", "member", "member", "XA", "BASE"),
            "Keystone member: every compute operation and the block storage, network and image actions they need.",
            json!({"Version": "1.0", "Statement": [
                {"Effect": "Allow", "Action": ["ecs:*:*", "evs:*:*", "vpc:*:*", "ims:*:*"]}]}),
        ),
        role(
            ("reader", "reader", "reader", "XA", "BASE"),
            "Keystone reader: read-only compute, block storage, network and image access.",
            json!({"Version": "1.0", "Statement": [{"Effect": "Allow", "Action": KEYSTONE_READER}]}),
        ),
    ]
}

/// ECS FullAccess plus private IPs, bandwidths and firewalls; depends on
/// Tenant Guest (spec §7.4).
fn server_administrator() -> Value {
    let mut actions: Vec<&str> = ECS_FULL_ACCESS.to_vec();
    actions.extend(["vpc:privateIps:*", "vpc:bandwidths:*", "vpc:firewalls:*"]);
    json!({"Version": "1.0",
           "Statement": [{"Effect": "Allow", "Action": actions}],
           "Depends": [{"catalog": "BASE", "display_name": "Tenant Guest"}]})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_validates_and_is_unique() {
        let roles = system_roles();
        assert_eq!(roles.len(), 16);
        for r in roles {
            validate_with_limits(&r.policy, &Limits::BUILT_IN).unwrap_or_else(|e| panic!("{}: {e}", r.id));
            assert!(r.compiled().statement_count() > 0, "{}", r.id);
            assert_eq!(r.compiled().id(), r.id);
            for other in roles.iter().filter(|o| !std::ptr::eq(*o, r)) {
                assert_ne!(r.id, other.id);
                assert_ne!(r.name, other.name);
                assert_ne!(r.display_name, other.display_name);
            }
        }
    }

    #[test]
    fn lookup_and_flags() {
        let full = find_system_role("ECS FullAccess").unwrap();
        assert_eq!(full.flag, Some("fine_grained"));
        assert_eq!(find_system_role("ecs fullaccess").unwrap().id, full.id);
        assert_eq!(
            find_system_role("te_admin").unwrap().display_name,
            "Tenant Administrator"
        );
        assert_eq!(find_system_role("tenant-guest").unwrap().flag, None);
        assert!(find_system_role("nope").is_none());
        let deps = find_system_role("Server Administrator").unwrap().dependencies();
        assert_eq!(deps.len(), 1);
        assert_eq!(deps[0].display_name, "Tenant Guest");
    }
}
