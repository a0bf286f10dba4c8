//! Identity: Keystone v3 and Huawei IAM management (users, groups,
//! membership, projects, accounts, roles and custom policies, grants, access
//! keys) and Keystone's tokens. Each call is one row with its IAM action, in
//! Huawei's naming; `self_service` says when a caller acting on itself
//! needs none.

use super::IdentityEndpoint as I;
use super::{public, route as at_endpoint, row, Endpoint, OpId, Operation, Route};

const fn at(method: &'static str, path: &'static str, endpoint: I) -> Route {
    Route {
        method,
        path,
        endpoint: Endpoint::Identity(endpoint),
        selector: None,
    }
}

const fn call(id: OpId, summary: &'static str, routes: &'static [Route], action: &'static [&'static str]) -> Operation {
    row(id, summary, routes, action)
}

const fn own(mut o: Operation, when: &'static str) -> Operation {
    o.self_service = Some(when);
    o
}

/// The four calls on one kind of grant: list the roles, and grant, check
/// (HEAD or GET) and revoke one role. `base` is the path up to `/roles`.
macro_rules! grant_rows {
    ($list:ident, $grant:ident, $check:ident, $revoke:ident, $what:literal,
     $base:literal, $suffix:literal, $name:literal) => {
        [
            call(
                OpId::$grant,
                concat!("Grant a role to a ", $what),
                &[at("PUT", concat!($base, "/roles/{role}", $suffix), I::GrantOne)],
                &[concat!("iam:permissions:grantRoleTo", $name)],
            ),
            call(
                OpId::$check,
                concat!("Check a role of a ", $what),
                &[
                    at("HEAD", concat!($base, "/roles/{role}", $suffix), I::GrantOne),
                    at("GET", concat!($base, "/roles/{role}", $suffix), I::GrantOne),
                ],
                &[concat!("iam:permissions:checkRoleFor", $name)],
            ),
            call(
                OpId::$list,
                concat!("List the roles of a ", $what),
                &[at("GET", concat!($base, "/roles", $suffix), I::GrantList)],
                &[concat!("iam:permissions:listRolesFor", $name)],
            ),
            call(
                OpId::$revoke,
                concat!("Revoke a role from a ", $what),
                &[at("DELETE", concat!($base, "/roles/{role}", $suffix), I::GrantOne)],
                &[concat!("iam:permissions:revokeRoleFrom", $name)],
            ),
        ]
    };
}

const GROUP_PROJECT: [Operation; 4] = grant_rows!(
    IamListGroupProject,
    IamGrantGroupProject,
    IamCheckGroupProject,
    IamRevokeGroupProject,
    "group on a project",
    "/v3/projects/{project}/groups/{group}",
    "",
    "GroupOnProject"
);
const GROUP_DOMAIN: [Operation; 4] = grant_rows!(
    IamListGroupDomain,
    IamGrantGroupDomain,
    IamCheckGroupDomain,
    IamRevokeGroupDomain,
    "group on an account",
    "/v3/domains/{domain}/groups/{group}",
    "",
    "GroupOnDomain"
);
const GROUP_ALL: [Operation; 4] = grant_rows!(
    IamListGroupAllProjects,
    IamGrantGroupAllProjects,
    IamCheckGroupAllProjects,
    IamRevokeGroupAllProjects,
    "group on all projects",
    "/v3/OS-INHERIT/domains/{domain}/groups/{group}",
    "/inherited_to_projects",
    "Group"
);
const USER_PROJECT: [Operation; 4] = grant_rows!(
    IamListUserProject,
    IamGrantUserProject,
    IamCheckUserProject,
    IamRevokeUserProject,
    "user on a project",
    "/v3/projects/{project}/users/{user}",
    "",
    "UserOnProject"
);
const USER_DOMAIN: [Operation; 4] = grant_rows!(
    IamListUserDomain,
    IamGrantUserDomain,
    IamCheckUserDomain,
    IamRevokeUserDomain,
    "user on an account",
    "/v3/domains/{domain}/users/{user}",
    "",
    "UserOnDomain"
);
const USER_ALL: [Operation; 4] = grant_rows!(
    IamListUserAllProjects,
    IamGrantUserAllProjects,
    IamCheckUserAllProjects,
    IamRevokeUserAllProjects,
    "user on all projects",
    "/v3/OS-INHERIT/domains/{domain}/users/{user}",
    "/inherited_to_projects",
    "User"
);

/// Any authenticated caller: the token API's own callers prove themselves
/// with `X-Auth-Token` and name the token they ask about in `X-Subject-Token`.
const fn member(id: OpId, summary: &'static str, routes: &'static [Route]) -> Operation {
    row(id, summary, routes, &[])
}

pub(super) const ROWS: &[Operation] = &[
    // ---- users ----
    call(
        OpId::IamListUsers,
        "List users",
        &[at("GET", "/v3/users", I::ListUsers)],
        &["iam:users:listUsers"],
    ),
    call(
        OpId::IamCreateUser,
        "Create a user",
        &[
            at("POST", "/v3/users", I::CreateUser),
            at("POST", "/v3.0/OS-USER/users", I::CreateUserHuawei),
        ],
        &["iam:users:createUser"],
    ),
    own(
        call(
            OpId::IamGetUser,
            "Show a user",
            &[
                at("GET", "/v3/users/{user}", I::ShowUser),
                at("GET", "/v3.0/OS-USER/users/{user}", I::ShowUser),
            ],
            &["iam:users:getUser"],
        ),
        "a user reads itself",
    ),
    call(
        OpId::IamUpdateUser,
        "Update a user",
        &[
            at("PATCH", "/v3/users/{user}", I::UpdateUser),
            at("PUT", "/v3.0/OS-USER/users/{user}", I::UpdateUser),
        ],
        &["iam:users:updateUser"],
    ),
    call(
        OpId::IamDeleteUser,
        "Delete a user",
        &[at("DELETE", "/v3/users/{user}", I::DeleteUser)],
        &["iam:users:deleteUser"],
    ),
    own(
        call(
            OpId::IamChangePassword,
            "Change a user's password (the original one must be given)",
            &[at("POST", "/v3/users/{user}/password", I::ChangePassword)],
            &["iam:users:updateUser"],
        ),
        "a user changes its own password",
    ),
    own(
        call(
            OpId::IamListGroupsForUser,
            "List the groups of a user",
            &[at("GET", "/v3/users/{user}/groups", I::UserGroups)],
            &["iam:users:listGroupsForUser"],
        ),
        "a user lists its own groups",
    ),
    // ---- groups and membership ----
    call(
        OpId::IamListGroups,
        "List groups",
        &[at("GET", "/v3/groups", I::ListGroups)],
        &["iam:groups:listGroups"],
    ),
    call(
        OpId::IamCreateGroup,
        "Create a group",
        &[at("POST", "/v3/groups", I::CreateGroup)],
        &["iam:groups:createGroup"],
    ),
    call(
        OpId::IamGetGroup,
        "Show a group",
        &[at("GET", "/v3/groups/{group}", I::ShowGroup)],
        &["iam:groups:getGroup"],
    ),
    call(
        OpId::IamUpdateGroup,
        "Update a group",
        &[at("PATCH", "/v3/groups/{group}", I::UpdateGroup)],
        &["iam:groups:updateGroup"],
    ),
    call(
        OpId::IamDeleteGroup,
        "Delete a group with its memberships and grants",
        &[at("DELETE", "/v3/groups/{group}", I::DeleteGroup)],
        &["iam:groups:deleteGroup"],
    ),
    call(
        OpId::IamListUsersForGroup,
        "List the users of a group",
        &[at("GET", "/v3/groups/{group}/users", I::GroupUsers)],
        &["iam:users:listUsersForGroup"],
    ),
    call(
        OpId::IamAddUserToGroup,
        "Add a user to a group",
        &[at("PUT", "/v3/groups/{group}/users/{user}", I::Membership)],
        &["iam:groups:addUserToGroup"],
    ),
    call(
        OpId::IamCheckUserInGroup,
        "Check that a user is in a group",
        &[
            at("HEAD", "/v3/groups/{group}/users/{user}", I::Membership),
            at("GET", "/v3/groups/{group}/users/{user}", I::Membership),
        ],
        &["iam:groups:checkUserInGroup"],
    ),
    call(
        OpId::IamRemoveUserFromGroup,
        "Remove a user from a group",
        &[at("DELETE", "/v3/groups/{group}/users/{user}", I::Membership)],
        &["iam:groups:removeUserFromGroup"],
    ),
    // ---- projects and accounts ----
    call(
        OpId::IamListProjects,
        "List projects (page, per_page)",
        &[at("GET", "/v3/projects", I::ListProjects)],
        &["iam:projects:listProjects"],
    ),
    call(
        OpId::IamCreateProject,
        "Create a project or, with parent_id, a sub-project",
        &[at("POST", "/v3/projects", I::CreateProject)],
        &["iam:projects:createProject"],
    ),
    own(
        call(
            OpId::IamGetProject,
            "Show a project",
            &[at("GET", "/v3/projects/{project}", I::ShowProject)],
            &["iam:projects:getProject"],
        ),
        "the project of the caller's token",
    ),
    call(
        OpId::IamUpdateProject,
        "Update a project",
        &[at("PATCH", "/v3/projects/{project}", I::UpdateProject)],
        &["iam:projects:updateProject"],
    ),
    call(
        OpId::IamListDomains,
        "List accounts: one's own (the operator sees every account)",
        &[at("GET", "/v3/domains", I::ListDomains)],
        &[],
    ),
    call(
        OpId::IamCreateDomain,
        "Create an account (the operator only)",
        &[at("POST", "/v3/domains", I::CreateDomain)],
        &["iam:domains:createDomain"],
    ),
    call(
        OpId::IamGetDomain,
        "Show one's own account",
        &[at("GET", "/v3/domains/{domain}", I::ShowDomain)],
        &[],
    ),
    // ---- roles and custom policies ----
    call(
        OpId::IamListRoles,
        "List roles and policies (system and custom)",
        &[
            at("GET", "/v3/roles", I::ListRoles),
            at("GET", "/v3.0/OS-ROLE/roles", I::ListCustom),
        ],
        &["iam:roles:listRoles"],
    ),
    call(
        OpId::IamGetRole,
        "Show a role or policy",
        &[
            at("GET", "/v3/roles/{role}", I::ShowRole),
            at("GET", "/v3.0/OS-ROLE/roles/{role}", I::ShowCustom),
        ],
        &["iam:roles:getRole"],
    ),
    call(
        OpId::IamCreateRole,
        "Create a custom policy",
        &[at("POST", "/v3.0/OS-ROLE/roles", I::CreateCustom)],
        &["iam:roles:createRole"],
    ),
    call(
        OpId::IamUpdateRole,
        "Update a custom policy",
        &[at("PATCH", "/v3.0/OS-ROLE/roles/{role}", I::UpdateCustom)],
        &["iam:roles:updateRole"],
    ),
    call(
        OpId::IamDeleteRole,
        "Delete a custom policy and its grants",
        &[at("DELETE", "/v3.0/OS-ROLE/roles/{role}", I::DeleteCustom)],
        &["iam:roles:deleteRole"],
    ),
    // ---- grants ----
    call(
        OpId::IamListRoleAssignments,
        "List role assignments (Keystone's filters)",
        &[at("GET", "/v3/role_assignments", I::RoleAssignments)],
        &["iam:permissions:listRoleAssignments"],
    ),
    GROUP_PROJECT[0],
    GROUP_PROJECT[1],
    GROUP_PROJECT[2],
    GROUP_PROJECT[3],
    GROUP_DOMAIN[0],
    GROUP_DOMAIN[1],
    GROUP_DOMAIN[2],
    GROUP_DOMAIN[3],
    GROUP_ALL[0],
    GROUP_ALL[1],
    GROUP_ALL[2],
    GROUP_ALL[3],
    USER_PROJECT[0],
    USER_PROJECT[1],
    USER_PROJECT[2],
    USER_PROJECT[3],
    USER_DOMAIN[0],
    USER_DOMAIN[1],
    USER_DOMAIN[2],
    USER_DOMAIN[3],
    USER_ALL[0],
    USER_ALL[1],
    USER_ALL[2],
    USER_ALL[3],
    // ---- access keys ----
    own(
        call(
            OpId::IamCreateCredential,
            "Create an access key (the secret is shown once)",
            &[at("POST", "/v3.0/OS-CREDENTIAL/credentials", I::CreateCredential)],
            &["iam:credentials:createCredential"],
        ),
        "a user creates its own keys",
    ),
    own(
        call(
            OpId::IamListCredentials,
            "List access keys",
            &[at("GET", "/v3.0/OS-CREDENTIAL/credentials", I::ListCredentials)],
            &["iam:credentials:listCredentials"],
        ),
        "a user lists its own keys",
    ),
    own(
        call(
            OpId::IamGetCredential,
            "Show an access key",
            &[at("GET", "/v3.0/OS-CREDENTIAL/credentials/{access}", I::ShowCredential)],
            &["iam:credentials:getCredential"],
        ),
        "a user reads its own keys",
    ),
    own(
        call(
            OpId::IamUpdateCredential,
            "Update an access key (status, description)",
            &[at(
                "PUT",
                "/v3.0/OS-CREDENTIAL/credentials/{access}",
                I::UpdateCredential,
            )],
            &["iam:credentials:updateCredential"],
        ),
        "a user updates its own keys",
    ),
    own(
        call(
            OpId::IamDeleteCredential,
            "Delete an access key",
            &[at(
                "DELETE",
                "/v3.0/OS-CREDENTIAL/credentials/{access}",
                I::DeleteCredential,
            )],
            &["iam:credentials:deleteCredential"],
        ),
        "a user deletes its own keys",
    ),
    // ---- tokens ----
    public(
        OpId::KeystoneDiscovery,
        "Keystone v3 discovery document",
        &[
            at_endpoint("GET", "/v3", Endpoint::KeystoneDiscovery),
            at_endpoint("GET", "/v3/", Endpoint::KeystoneDiscovery),
        ],
    ),
    public(
        OpId::KeystoneIssueToken,
        "Issue a token (password or token method, any scope)",
        &[at_endpoint("POST", "/v3/auth/tokens", Endpoint::KeystoneIssueToken)],
    ),
    member(
        OpId::KeystoneValidateToken,
        "Validate a token (X-Auth-Token and X-Subject-Token)",
        &[at_endpoint("GET", "/v3/auth/tokens", Endpoint::KeystoneValidateToken)],
    ),
    member(
        OpId::KeystoneCheckToken,
        "Check a token (X-Auth-Token and X-Subject-Token)",
        &[at_endpoint("HEAD", "/v3/auth/tokens", Endpoint::KeystoneCheckToken)],
    ),
    member(
        OpId::KeystoneRevokeToken,
        "Revoke a token: one's own, or any of the account's for its administrator",
        &[at_endpoint("DELETE", "/v3/auth/tokens", Endpoint::KeystoneRevokeToken)],
    ),
];
