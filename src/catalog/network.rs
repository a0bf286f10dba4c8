//! Networks: Huawei VPC v1 (`/v1/{project_id}/vpcs|subnets|security-groups|
//! security-group-rules`) and Neutron v2.0 over the same records, at
//! `/network/v2.0` (the `network` catalog entry) and at `/v2.0` (where
//! Huawei's VPC endpoint serves Neutron's API).
//!
//! IAM actions as Huawei's VPC permission reference names them. Reads of a
//! list take the kind's `get` action except VPCs (`vpc:vpcs:list`);
//! UNCONFIRMED for subnets, security groups and rules, whose references
//! were not reachable (ECS FullAccess grants both `vpc:*:get` and
//! `vpc:*:list`, so the published policies decide alike either way).

use super::{administrator, public, route as at, row, Endpoint, OpId, Operation, Route};

const fn neutron<const N: usize>(method: &'static str, suffix: [&'static str; N]) -> [Route; N] {
    let mut out = [at(method, "", Endpoint::Neutron); N];
    let mut i = 0;
    while i < N {
        out[i] = at(method, suffix[i], Endpoint::Neutron);
        i += 1;
    }
    out
}

macro_rules! neutron_routes {
    ($method:literal $path:literal) => {
        &neutron($method, [concat!("/network/v2.0", $path), concat!("/v2.0", $path)])
    };
}

const fn vpc(method: &'static str, path: &'static str) -> Route {
    at(method, path, Endpoint::Vpc)
}

/// A project's quotas, with usage (`/details`), and the defaults (`/default`).
const NEUTRON_QUOTA_READS: &[Route] = &[
    at("GET", "/network/v2.0/quotas/{quota_project_id}", Endpoint::Neutron),
    at("GET", "/v2.0/quotas/{quota_project_id}", Endpoint::Neutron),
    at(
        "GET",
        "/network/v2.0/quotas/{quota_project_id}/details",
        Endpoint::Neutron,
    ),
    at("GET", "/v2.0/quotas/{quota_project_id}/details", Endpoint::Neutron),
    at(
        "GET",
        "/network/v2.0/quotas/{quota_project_id}/default",
        Endpoint::Neutron,
    ),
    at("GET", "/v2.0/quotas/{quota_project_id}/default", Endpoint::Neutron),
];

pub(super) const ROWS: &[Operation] = &[
    // ---- Huawei VPC v1 ----
    row(
        OpId::VpcCreate,
        "Create a VPC",
        &[vpc("POST", "/v1/{project_id}/vpcs")],
        &["vpc:vpcs:create"],
    ),
    row(
        OpId::VpcList,
        "List VPCs",
        &[vpc("GET", "/v1/{project_id}/vpcs")],
        &["vpc:vpcs:list"],
    ),
    row(
        OpId::VpcShow,
        "Show a VPC",
        &[vpc("GET", "/v1/{project_id}/vpcs/{vpc_id}")],
        &["vpc:vpcs:get"],
    ),
    row(
        OpId::VpcUpdate,
        "Update a VPC",
        &[vpc("PUT", "/v1/{project_id}/vpcs/{vpc_id}")],
        &["vpc:vpcs:update"],
    ),
    row(
        OpId::VpcDelete,
        "Delete a VPC",
        &[vpc("DELETE", "/v1/{project_id}/vpcs/{vpc_id}")],
        &["vpc:vpcs:delete"],
    ),
    row(
        OpId::VpcSubnetCreate,
        "Create a subnet in a VPC",
        &[vpc("POST", "/v1/{project_id}/subnets")],
        &["vpc:subnets:create"],
    ),
    row(
        OpId::VpcSubnetList,
        "List subnets",
        &[vpc("GET", "/v1/{project_id}/subnets")],
        &["vpc:subnets:get"],
    ),
    row(
        OpId::VpcSubnetShow,
        "Show a subnet",
        &[vpc("GET", "/v1/{project_id}/subnets/{subnet_id}")],
        &["vpc:subnets:get"],
    ),
    row(
        OpId::VpcSubnetUpdate,
        "Update a subnet",
        &[vpc("PUT", "/v1/{project_id}/vpcs/{vpc_id}/subnets/{subnet_id}")],
        &["vpc:subnets:update"],
    ),
    row(
        OpId::VpcSubnetDelete,
        "Delete a subnet",
        &[vpc("DELETE", "/v1/{project_id}/vpcs/{vpc_id}/subnets/{subnet_id}")],
        &["vpc:subnets:delete"],
    ),
    row(
        OpId::VpcPortCreate,
        "Create a port",
        &[vpc("POST", "/v1/{project_id}/ports")],
        &["vpc:ports:create"],
    ),
    row(
        OpId::VpcPortList,
        "List ports",
        &[vpc("GET", "/v1/{project_id}/ports")],
        &["vpc:ports:get"],
    ),
    row(
        OpId::VpcPortShow,
        "Show a port",
        &[vpc("GET", "/v1/{project_id}/ports/{port_id}")],
        &["vpc:ports:get"],
    ),
    row(
        OpId::VpcPortUpdate,
        "Update a port",
        &[vpc("PUT", "/v1/{project_id}/ports/{port_id}")],
        &["vpc:ports:update"],
    ),
    row(
        OpId::VpcPortDelete,
        "Delete a port no server holds",
        &[vpc("DELETE", "/v1/{project_id}/ports/{port_id}")],
        &["vpc:ports:delete"],
    ),
    row(
        OpId::VpcSecurityGroupCreate,
        "Create a security group",
        &[vpc("POST", "/v1/{project_id}/security-groups")],
        &["vpc:securityGroups:create"],
    ),
    row(
        OpId::VpcSecurityGroupList,
        "List security groups",
        &[vpc("GET", "/v1/{project_id}/security-groups")],
        &["vpc:securityGroups:get"],
    ),
    row(
        OpId::VpcSecurityGroupShow,
        "Show a security group",
        &[vpc("GET", "/v1/{project_id}/security-groups/{security_group_id}")],
        &["vpc:securityGroups:get"],
    ),
    row(
        OpId::VpcSecurityGroupDelete,
        "Delete a security group",
        &[vpc("DELETE", "/v1/{project_id}/security-groups/{security_group_id}")],
        &["vpc:securityGroups:delete"],
    ),
    row(
        OpId::VpcRuleCreate,
        "Create a security group rule",
        &[vpc("POST", "/v1/{project_id}/security-group-rules")],
        &["vpc:securityGroupRules:create"],
    ),
    row(
        OpId::VpcRuleList,
        "List security group rules",
        &[vpc("GET", "/v1/{project_id}/security-group-rules")],
        &["vpc:securityGroupRules:get"],
    ),
    row(
        OpId::VpcRuleShow,
        "Show a security group rule",
        &[vpc(
            "GET",
            "/v1/{project_id}/security-group-rules/{security_group_rule_id}",
        )],
        &["vpc:securityGroupRules:get"],
    ),
    row(
        OpId::VpcRuleDelete,
        "Delete a security group rule",
        &[vpc(
            "DELETE",
            "/v1/{project_id}/security-group-rules/{security_group_rule_id}",
        )],
        &["vpc:securityGroupRules:delete"],
    ),
    // ---- Huawei EIP (v1, and v3's bind and unbind) over the floating IPs ----
    // The role/policy actions Huawei's EIP reference lists (`vpc:publicIps:*`;
    // its identity policies name them `eip:publicIps:*` with these as aliases).
    row(
        OpId::EipCreate,
        "Assign an elastic IP with its dedicated bandwidth",
        &[vpc("POST", "/v1/{project_id}/publicips")],
        &["vpc:publicIps:create"],
    ),
    row(
        OpId::EipList,
        "List elastic IPs",
        &[vpc("GET", "/v1/{project_id}/publicips")],
        &["vpc:publicIps:list"],
    ),
    row(
        OpId::EipShow,
        "Show an elastic IP",
        &[
            vpc("GET", "/v1/{project_id}/publicips/{publicip_id}"),
            vpc("GET", "/v3/{project_id}/eip/publicips/{publicip_id}"),
        ],
        &["vpc:publicIps:get"],
    ),
    row(
        OpId::EipUpdate,
        "Bind an elastic IP to a port, unbind it, or rename it",
        &[vpc("PUT", "/v1/{project_id}/publicips/{publicip_id}")],
        &["vpc:publicIps:update"],
    ),
    row(
        OpId::EipDelete,
        "Release an unbound elastic IP",
        &[vpc("DELETE", "/v1/{project_id}/publicips/{publicip_id}")],
        &["vpc:publicIps:delete"],
    ),
    row(
        OpId::EipAssociate,
        "Bind an elastic IP to a port (v3)",
        &[vpc(
            "POST",
            "/v3/{project_id}/eip/publicips/{publicip_id}/associate-instance",
        )],
        &["vpc:publicIps:update"],
    ),
    row(
        OpId::EipDisassociate,
        "Unbind an elastic IP (v3)",
        &[vpc(
            "POST",
            "/v3/{project_id}/eip/publicips/{publicip_id}/disassociate-instance",
        )],
        &["vpc:publicIps:update"],
    ),
    row(
        OpId::VpcQuotas,
        "Show the project's network quotas and usage",
        &[vpc("GET", "/v1/{project_id}/quotas")],
        &["vpc:quotas:list"],
    ),
    // ---- Huawei VPC v3 security groups (the SDK's v3 client), same actions ----
    row(
        OpId::VpcV3GroupCreate,
        "Create a security group (v3)",
        &[vpc("POST", "/v3/{project_id}/vpc/security-groups")],
        &["vpc:securityGroups:create"],
    ),
    row(
        OpId::VpcV3GroupList,
        "List security groups (v3)",
        &[vpc("GET", "/v3/{project_id}/vpc/security-groups")],
        &["vpc:securityGroups:get"],
    ),
    row(
        OpId::VpcV3GroupShow,
        "Show a security group (v3)",
        &[vpc("GET", "/v3/{project_id}/vpc/security-groups/{security_group_id}")],
        &["vpc:securityGroups:get"],
    ),
    row(
        OpId::VpcV3GroupUpdate,
        "Rename a security group (v3)",
        &[vpc("PUT", "/v3/{project_id}/vpc/security-groups/{security_group_id}")],
        &["vpc:securityGroups:update"],
    ),
    row(
        OpId::VpcV3GroupDelete,
        "Delete a security group (v3)",
        &[vpc(
            "DELETE",
            "/v3/{project_id}/vpc/security-groups/{security_group_id}",
        )],
        &["vpc:securityGroups:delete"],
    ),
    row(
        OpId::VpcV3RuleCreate,
        "Create a security group rule (v3)",
        &[vpc("POST", "/v3/{project_id}/vpc/security-group-rules")],
        &["vpc:securityGroupRules:create"],
    ),
    row(
        OpId::VpcV3RuleList,
        "List security group rules (v3)",
        &[vpc("GET", "/v3/{project_id}/vpc/security-group-rules")],
        &["vpc:securityGroupRules:get"],
    ),
    row(
        OpId::VpcV3RuleShow,
        "Show a security group rule (v3)",
        &[vpc(
            "GET",
            "/v3/{project_id}/vpc/security-group-rules/{security_group_rule_id}",
        )],
        &["vpc:securityGroupRules:get"],
    ),
    row(
        OpId::VpcV3RuleDelete,
        "Delete a security group rule (v3)",
        &[vpc(
            "DELETE",
            "/v3/{project_id}/vpc/security-group-rules/{security_group_rule_id}",
        )],
        &["vpc:securityGroupRules:delete"],
    ),
    // ---- Neutron v2.0 ----
    public(
        OpId::NetworkVersions,
        "The network API versions",
        &[
            at("GET", "/network", Endpoint::NetworkVersions),
            at("GET", "/network/", Endpoint::NetworkVersions),
            at("GET", "/network/v2.0", Endpoint::NetworkVersions),
            at("GET", "/network/v2.0/", Endpoint::NetworkVersions),
        ],
    ),
    row(
        OpId::NeutronExtensions,
        "List the network API's extensions",
        neutron_routes!("GET" "/extensions"),
        &[],
    ),
    row(
        OpId::NeutronNetworkCreate,
        "Create a network",
        neutron_routes!("POST" "/networks"),
        &["vpc:networks:create"],
    ),
    row(
        OpId::NeutronNetworkList,
        "List networks",
        neutron_routes!("GET" "/networks"),
        &["vpc:networks:get"],
    ),
    row(
        OpId::NeutronNetworkShow,
        "Show a network",
        neutron_routes!("GET" "/networks/{network_id}"),
        &["vpc:networks:get"],
    ),
    row(
        OpId::NeutronNetworkUpdate,
        "Update a network",
        neutron_routes!("PUT" "/networks/{network_id}"),
        &["vpc:networks:update"],
    ),
    row(
        OpId::NeutronNetworkDelete,
        "Delete a network and its subnets",
        neutron_routes!("DELETE" "/networks/{network_id}"),
        &["vpc:networks:delete"],
    ),
    row(
        OpId::NeutronSubnetCreate,
        "Create a subnet",
        neutron_routes!("POST" "/subnets"),
        &["vpc:subnets:create"],
    ),
    row(
        OpId::NeutronSubnetList,
        "List subnets",
        neutron_routes!("GET" "/subnets"),
        &["vpc:subnets:get"],
    ),
    row(
        OpId::NeutronSubnetShow,
        "Show a subnet",
        neutron_routes!("GET" "/subnets/{subnet_id}"),
        &["vpc:subnets:get"],
    ),
    row(
        OpId::NeutronSubnetUpdate,
        "Update a subnet",
        neutron_routes!("PUT" "/subnets/{subnet_id}"),
        &["vpc:subnets:update"],
    ),
    row(
        OpId::NeutronSubnetDelete,
        "Delete a subnet",
        neutron_routes!("DELETE" "/subnets/{subnet_id}"),
        &["vpc:subnets:delete"],
    ),
    row(
        OpId::NeutronPortCreate,
        "Create a port",
        neutron_routes!("POST" "/ports"),
        &["vpc:ports:create"],
    ),
    row(
        OpId::NeutronPortList,
        "List ports",
        neutron_routes!("GET" "/ports"),
        &["vpc:ports:get"],
    ),
    row(
        OpId::NeutronPortShow,
        "Show a port",
        neutron_routes!("GET" "/ports/{port_id}"),
        &["vpc:ports:get"],
    ),
    row(
        OpId::NeutronPortUpdate,
        "Update a port",
        neutron_routes!("PUT" "/ports/{port_id}"),
        &["vpc:ports:update"],
    ),
    row(
        OpId::NeutronPortDelete,
        "Delete a port no server holds",
        neutron_routes!("DELETE" "/ports/{port_id}"),
        &["vpc:ports:delete"],
    ),
    row(
        OpId::NeutronFloatingIpCreate,
        "Allocate a floating IP",
        neutron_routes!("POST" "/floatingips"),
        &["vpc:floatingIps:create"],
    ),
    row(
        OpId::NeutronFloatingIpList,
        "List floating IPs",
        neutron_routes!("GET" "/floatingips"),
        &["vpc:floatingIps:get"],
    ),
    row(
        OpId::NeutronFloatingIpShow,
        "Show a floating IP",
        neutron_routes!("GET" "/floatingips/{floatingip_id}"),
        &["vpc:floatingIps:get"],
    ),
    row(
        OpId::NeutronFloatingIpUpdate,
        "Map a floating IP to a port, or unmap it",
        neutron_routes!("PUT" "/floatingips/{floatingip_id}"),
        &["vpc:floatingIps:update"],
    ),
    row(
        OpId::NeutronFloatingIpDelete,
        "Release a floating IP",
        neutron_routes!("DELETE" "/floatingips/{floatingip_id}"),
        &["vpc:floatingIps:delete"],
    ),
    row(
        OpId::NeutronSecurityGroupCreate,
        "Create a security group",
        neutron_routes!("POST" "/security-groups"),
        &["vpc:securityGroups:create"],
    ),
    row(
        OpId::NeutronSecurityGroupList,
        "List security groups",
        neutron_routes!("GET" "/security-groups"),
        &["vpc:securityGroups:get"],
    ),
    row(
        OpId::NeutronSecurityGroupShow,
        "Show a security group",
        neutron_routes!("GET" "/security-groups/{security_group_id}"),
        &["vpc:securityGroups:get"],
    ),
    row(
        OpId::NeutronSecurityGroupUpdate,
        "Update a security group",
        neutron_routes!("PUT" "/security-groups/{security_group_id}"),
        &["vpc:securityGroups:update"],
    ),
    row(
        OpId::NeutronSecurityGroupDelete,
        "Delete a security group",
        neutron_routes!("DELETE" "/security-groups/{security_group_id}"),
        &["vpc:securityGroups:delete"],
    ),
    row(
        OpId::NeutronRuleCreate,
        "Create a security group rule",
        neutron_routes!("POST" "/security-group-rules"),
        &["vpc:securityGroupRules:create"],
    ),
    row(
        OpId::NeutronRuleList,
        "List security group rules",
        neutron_routes!("GET" "/security-group-rules"),
        &["vpc:securityGroupRules:get"],
    ),
    row(
        OpId::NeutronRuleShow,
        "Show a security group rule",
        neutron_routes!("GET" "/security-group-rules/{security_group_rule_id}"),
        &["vpc:securityGroupRules:get"],
    ),
    row(
        OpId::NeutronRuleDelete,
        "Delete a security group rule",
        neutron_routes!("DELETE" "/security-group-rules/{security_group_rule_id}"),
        &["vpc:securityGroupRules:delete"],
    ),
    // Quotas: reads with VPC's quota action (UNCONFIRMED for Neutron's
    // path), changes by the account administrator.
    row(
        OpId::NeutronQuotaShow,
        "Show a project's network quotas (with usage at /details)",
        NEUTRON_QUOTA_READS,
        &["vpc:quotas:list"],
    ),
    administrator(
        OpId::NeutronQuotaUpdate,
        "Set a project's network quotas",
        neutron_routes!("PUT" "/quotas/{quota_project_id}"),
    ),
    administrator(
        OpId::NeutronQuotaDelete,
        "Revert a project's network quotas to the defaults",
        neutron_routes!("DELETE" "/quotas/{quota_project_id}"),
    ),
];
