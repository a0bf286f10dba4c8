"""Identity management with the real clients: a user set up from nothing.

- huaweicloudsdkiam 3.1.219 (`IamClient` with `GlobalCredentials`, AK/SK signed for the account):
  user, group, membership, custom policy, grant on a project and on all projects, AK/SK; the new
  user's key then signs ECS calls and its password gets a token.
- openstacksdk 4.22.0's identity proxy: users, groups, membership, projects and sub-projects,
  Keystone roles granted to users and groups.
- The `openstack` CLI 10.5.0 through the generated clouds.yaml: project, user and `member` grant
  from nothing; a second account created by the operator with its first administrator.
- Token revocation (password change, removal from a group) and bad input (403 naming the action,
  404 across accounts, 409 duplicates, 400 naming the JSON path of a policy fault), with plain
  HTTP where the point is the status and body.

What policies allow is enforced elsewhere; these tests assert what identity management itself
guarantees: the objects exist and read back, credentials and passwords authenticate (anything
but 401), and revoked or deactivated ones do not (401).
"""

from __future__ import annotations

import uuid

import pytest
import requests
import yaml

from conftest import Cli, hw_error, make_hw_client, make_iam_client

PASSWORD = "Iam-Test-Passw0rd!"
NEW_PASSWORD = "Iam-Test-Passw0rd-2!"


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# ---- plain HTTP helpers -------------------------------------------------------------------

def issue_token(endpoint: str, password: str, *, user_id: str | None = None, name: str | None = None,
                domain: str | None = None, project_id: str | None = None,
                domain_scope: str | None = None) -> requests.Response:
    user = {"password": password}
    if user_id:
        user["id"] = user_id
    else:
        user["name"] = name
        user["domain"] = {"name": domain}
    auth = {"identity": {"methods": ["password"], "password": {"user": user}}}
    if project_id:
        auth["scope"] = {"project": {"id": project_id}}
    elif domain_scope:
        auth["scope"] = {"domain": {"id": domain_scope}}
    return requests.post(f"{endpoint}/v3/auth/tokens", json={"auth": auth}, timeout=30)


def token_of(endpoint: str, password: str, **kw) -> str:
    r = issue_token(endpoint, password, **kw)
    assert r.status_code == 201, r.text
    return r.headers["X-Subject-Token"]


def call(endpoint: str, method: str, path: str, token: str, body=None) -> requests.Response:
    return requests.request(method, endpoint + path, json=body, timeout=30,
                            headers={"X-Auth-Token": token})


def ks_error(r: requests.Response, status: int) -> str:
    """Checks Keystone's error body; returns its message."""
    assert r.status_code == status, f"wanted {status}, got {r.status_code}: {r.text}"
    err = r.json()["error"]
    assert err["code"] == status and err["title"] and err["message"], err
    return err["message"]


# ---- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def endpoint(creds) -> str:
    return creds["ECSD_ENDPOINT"]


@pytest.fixture(scope="module")
def domain_id(creds) -> str:
    return creds["HUAWEICLOUD_SDK_DOMAIN_ID"]


@pytest.fixture(scope="module")
def iam(creds, endpoint, domain_id):
    """The bootstrap administrator's IamClient (account-scoped AK/SK)."""
    return make_iam_client(endpoint, creds["HUAWEICLOUD_SDK_AK"], creds["HUAWEICLOUD_SDK_SK"], domain_id)


@pytest.fixture(scope="module")
def admin_token(creds, endpoint, domain_id) -> str:
    """An account-scoped token of the operator (the bootstrap administrator)."""
    return token_of(endpoint, creds["OS_PASSWORD"], name=creds["OS_USERNAME"],
                    domain=creds["OS_USER_DOMAIN_NAME"], domain_scope=domain_id)


def create_user(endpoint: str, token: str, name: str | None = None, domain: str | None = None,
                password: str = PASSWORD) -> dict:
    body = {"user": {"name": name or uniq("u"), "password": password}}
    if domain:
        body["user"]["domain_id"] = domain
    r = call(endpoint, "POST", "/v3/users", token, body)
    assert r.status_code == 201, r.text
    return r.json()["user"]


@pytest.fixture(scope="module")
def other_account(endpoint, admin_token):
    """A second account made by the operator through the API, with its administrator."""
    name = uniq("acct")
    r = call(endpoint, "POST", "/v3/domains", admin_token, {"domain": {"name": name}})
    assert r.status_code == 201, r.text
    dom = r.json()["domain"]
    user = create_user(endpoint, admin_token, uniq("root"), domain=dom["id"])
    r = call(endpoint, "PUT", f"/v3/domains/{dom['id']}/users/{user['id']}/roles/admin", admin_token)
    assert r.status_code == 204, r.text
    r = call(endpoint, "GET", f"/v3/projects?domain_id={dom['id']}", admin_token)
    assert r.status_code == 200, r.text
    projects = r.json()["projects"]
    assert [p["name"] for p in projects] == ["local-1"], projects
    token = token_of(endpoint, PASSWORD, user_id=user["id"], project_id=projects[0]["id"])
    return {"domain": dom, "user": user, "project": projects[0], "token": token}


# ---- 1. huaweicloudsdkiam ---------------------------------------------------------------------

def test_iam_sdk_sets_up_a_user_from_nothing(iam, creds, endpoint, domain_id, project_id):
    from huaweicloudsdkecs.v2 import model as em
    from huaweicloudsdkiam.v3 import model as im

    # The user (Huawei's OS-USER form).
    name = uniq("sdk-user")
    r = iam.create_user(im.CreateUserRequest(body=im.CreateUserRequestBody(user=im.CreateUserOption(
        name=name, domain_id=domain_id, password=PASSWORD, enabled=True, description="made by the SDK"))))
    user_id = r.user.id
    assert r.user.name == name and r.user.domain_id == domain_id and r.user.enabled is True
    assert r.user.is_domain_owner is False
    assert iam.show_user(im.ShowUserRequest(user_id=user_id)).user.name == name
    assert iam.keystone_show_user(im.KeystoneShowUserRequest(user_id=user_id)).user.description == "made by the SDK"
    listed = iam.keystone_list_users(im.KeystoneListUsersRequest(name=name)).users
    assert [u.id for u in listed] == [user_id]

    # The group and the membership.
    gname = uniq("sdk-group")
    g = iam.keystone_create_group(im.KeystoneCreateGroupRequest(body=im.KeystoneCreateGroupRequestBody(
        group=im.KeystoneCreateGroupOption(name=gname, description="ECS operators"))))
    group_id = g.group.id
    assert g.group.name == gname and g.group.domain_id == domain_id and g.group.create_time > 0
    assert gname in [x.name for x in iam.keystone_list_groups(im.KeystoneListGroupsRequest()).groups]
    iam.keystone_add_user_to_group(im.KeystoneAddUserToGroupRequest(group_id=group_id, user_id=user_id))
    iam.keystone_check_user_in_group(im.KeystoneCheckUserInGroupRequest(group_id=group_id, user_id=user_id))
    members = iam.keystone_list_users_for_group_by_admin(
        im.KeystoneListUsersForGroupByAdminRequest(group_id=group_id)).users
    assert [u.id for u in members] == [user_id]
    groups = iam.keystone_list_groups_for_user(im.KeystoneListGroupsForUserRequest(user_id=user_id)).groups
    assert [x.id for x in groups] == [group_id]

    # A custom fine-grained policy.
    policy = im.ServicePolicy(version="1.1", statement=[
        im.ServiceStatement(action=["ecs:servers:stop", "ecs:servers:get"], effect="Allow")])
    display = uniq("stop-and-get")
    r = iam.create_cloud_service_custom_policy(im.CreateCloudServiceCustomPolicyRequest(
        body=im.CreateCloudServiceCustomPolicyRequestBody(role=im.ServicePolicyRoleOption(
            display_name=display, type="XA", description="stop and read servers", policy=policy))))
    role_id = r.role.id
    assert r.role.display_name == display and r.role.type == "XA" and r.role.catalog == "CUSTOMED"
    assert r.role.name.startswith(f"custom_{domain_id}_"), r.role.name
    assert r.role.domain_id == domain_id
    assert r.role.policy.version == "1.1"
    assert r.role.policy.statement[0].action == ["ecs:servers:stop", "ecs:servers:get"]
    shown = iam.show_custom_policy(im.ShowCustomPolicyRequest(role_id=role_id)).role
    assert shown.display_name == display and shown.references == 0
    customs = iam.list_custom_policies(im.ListCustomPoliciesRequest()).roles
    assert role_id in [x.id for x in customs]
    assert all(x.catalog == "CUSTOMED" for x in customs)

    # Granted to the group on the project.
    iam.keystone_associate_group_with_project_permission(im.KeystoneAssociateGroupWithProjectPermissionRequest(
        project_id=project_id, group_id=group_id, role_id=role_id))
    iam.keystone_check_project_permission_for_group(im.KeystoneCheckProjectPermissionForGroupRequest(
        project_id=project_id, group_id=group_id, role_id=role_id))
    granted = iam.keystone_list_project_permissions_for_group(
        im.KeystoneListProjectPermissionsForGroupRequest(project_id=project_id, group_id=group_id)).roles
    assert [x.id for x in granted] == [role_id]
    assert iam.show_custom_policy(im.ShowCustomPolicyRequest(role_id=role_id)).role.references == 1

    # A permanent access key for the user; the secret is shown once.
    r = iam.create_permanent_access_key(im.CreatePermanentAccessKeyRequest(
        body=im.CreatePermanentAccessKeyRequestBody(credential=im.CreateCredentialOption(
            user_id=user_id, description="automation"))))
    ak, sk = r.credential.access, r.credential.secret
    assert len(ak) == 20 and sk and r.credential.status == "active" and r.credential.user_id == user_id
    keys = iam.list_permanent_access_keys(im.ListPermanentAccessKeysRequest(user_id=user_id)).credentials
    assert [k.access for k in keys] == [ak]
    assert "secret" not in keys[0].to_dict() or keys[0].to_dict().get("secret") is None
    shown = iam.show_permanent_access_key(im.ShowPermanentAccessKeyRequest(access_key=ak)).credential
    assert shown.user_id == user_id and shown.description == "automation"

    # The new user's key signs ECS calls: authenticated (what it may do is the policy's business).
    ecs = make_hw_client(endpoint, ak, sk, project_id)
    try:
        ecs.list_servers_details(em.ListServersDetailsRequest(limit=1))
    except Exception as e:  # noqa: BLE001 - only the status matters here
        assert getattr(e, "status_code", None) != 401, f"the new key was refused: {e}"
    # ... and the IAM client with the new key answers for the user itself (self-service).
    own = make_iam_client(endpoint, ak, sk, domain_id)
    assert own.show_user(im.ShowUserRequest(user_id=user_id)).user.id == user_id
    own_keys = own.list_permanent_access_keys(im.ListPermanentAccessKeysRequest()).credentials
    assert [k.access for k in own_keys] == [ak]

    # The user's password gets a token, project-scoped or for the account.
    tok = issue_token(endpoint, PASSWORD, name=name, domain=creds["OS_USER_DOMAIN_NAME"], project_id=project_id)
    assert tok.status_code == 201, tok.text
    body = tok.json()["token"]
    assert body["user"]["id"] == user_id and body["project"]["id"] == project_id
    assert issue_token(endpoint, PASSWORD, user_id=user_id).status_code == 201

    # Update the custom policy; it stays granted.
    policy2 = im.ServicePolicy(version="1.1", statement=[
        im.ServiceStatement(action=["ecs:servers:get"], effect="Allow"),
        im.ServiceStatement(action=["ecs:servers:stop"], effect="Deny")])
    r = iam.update_cloud_service_custom_policy(im.UpdateCloudServiceCustomPolicyRequest(
        role_id=role_id, body=im.UpdateCloudServiceCustomPolicyRequestBody(role=im.ServicePolicyRoleOption(
            display_name=display, type="XA", description="read only now", policy=policy2))))
    assert r.role.description == "read only now" and len(r.role.policy.statement) == 2
    assert int(r.role.updated_time) >= int(r.role.created_time)
    assert iam.show_custom_policy(im.ShowCustomPolicyRequest(role_id=role_id)).role.description == "read only now"

    # Deactivate the key: its signatures are refused.
    r = iam.update_permanent_access_key(im.UpdatePermanentAccessKeyRequest(
        access_key=ak, body=im.UpdatePermanentAccessKeyRequestBody(
            credential=im.UpdateCredentialOption(status="inactive"))))
    assert r.credential.status == "inactive"
    e = hw_error(ecs.list_servers_details, em.ListServersDetailsRequest(limit=1))
    assert e.status_code == 401, e
    e = hw_error(own.show_user, im.ShowUserRequest(user_id=user_id))
    assert e.status_code == 401, e
    # ... and active again: accepted again.
    iam.update_permanent_access_key(im.UpdatePermanentAccessKeyRequest(
        access_key=ak, body=im.UpdatePermanentAccessKeyRequestBody(
            credential=im.UpdateCredentialOption(status="active"))))
    assert own.show_user(im.ShowUserRequest(user_id=user_id)).user.id == user_id

    # Revoke, delete; the policy and the key are gone.
    iam.keystone_remove_project_permission_from_group(im.KeystoneRemoveProjectPermissionFromGroupRequest(
        project_id=project_id, group_id=group_id, role_id=role_id))
    e = hw_error(iam.keystone_check_project_permission_for_group,
                 im.KeystoneCheckProjectPermissionForGroupRequest(
                     project_id=project_id, group_id=group_id, role_id=role_id))
    assert e.status_code == 404
    iam.delete_custom_policy(im.DeleteCustomPolicyRequest(role_id=role_id))
    e = hw_error(iam.show_custom_policy, im.ShowCustomPolicyRequest(role_id=role_id))
    assert e.status_code == 404 and e.error_code == "IAM.0004", e
    iam.delete_permanent_access_key(im.DeletePermanentAccessKeyRequest(access_key=ak))
    e = hw_error(iam.show_permanent_access_key, im.ShowPermanentAccessKeyRequest(access_key=ak))
    assert e.status_code == 404
    e = hw_error(ecs.list_servers_details, em.ListServersDetailsRequest(limit=1))
    assert e.status_code == 401


def test_iam_sdk_system_roles_and_all_projects_grant(iam, domain_id, project_id):
    from huaweicloudsdkiam.v3 import model as im

    found = iam.keystone_list_permissions(im.KeystoneListPermissionsRequest(display_name="ECS FullAccess"))
    assert [r.display_name for r in found.roles] == ["ECS FullAccess"], found
    full = found.roles[0]
    assert found.total_number == 1
    assert full.domain_id is None and full.flag == "fine_grained" and full.type == "XA"
    assert full.policy.version == "1.1" and "ecs:*:*" in full.policy.statement[0].action
    assert iam.keystone_show_permission(im.KeystoneShowPermissionRequest(role_id=full.id)).role.id == full.id
    every = iam.keystone_list_permissions(im.KeystoneListPermissionsRequest()).roles
    names = {r.display_name for r in every}
    for want in ("ECS FullAccess", "ECS CommonOperations", "ECS ReadOnlyAccess", "Tenant Administrator",
                 "Tenant Guest", "Server Administrator", "Security Administrator", "admin", "member", "reader"):
        assert want in names, f"{want} not listed"
    policies = iam.keystone_list_permissions(im.KeystoneListPermissionsRequest(permission_type="policy")).roles
    assert policies and all(r.flag == "fine_grained" for r in policies)

    group_id = iam.keystone_create_group(im.KeystoneCreateGroupRequest(body=im.KeystoneCreateGroupRequestBody(
        group=im.KeystoneCreateGroupOption(name=uniq("readers"))))).group.id
    ro = iam.keystone_list_permissions(
        im.KeystoneListPermissionsRequest(display_name="ECS ReadOnlyAccess")).roles[0]

    # Every project of the account (OS-INHERIT).
    iam.update_domain_group_inherit_role(im.UpdateDomainGroupInheritRoleRequest(
        domain_id=domain_id, group_id=group_id, role_id=ro.id))
    iam.keystone_checkrole_for_group(im.KeystoneCheckroleForGroupRequest(
        domain_id=domain_id, group_id=group_id, role_id=ro.id))
    inherited = iam.keystone_list_all_project_permissions_for_group(
        im.KeystoneListAllProjectPermissionsForGroupRequest(domain_id=domain_id, group_id=group_id)).roles
    assert [r.id for r in inherited] == [ro.id]
    # Not a project grant, and a project-level policy cannot be granted on the account itself.
    granted = iam.keystone_list_project_permissions_for_group(
        im.KeystoneListProjectPermissionsForGroupRequest(project_id=project_id, group_id=group_id)).roles
    assert granted == []
    e = hw_error(iam.keystone_associate_group_with_domain_permission,
                 im.KeystoneAssociateGroupWithDomainPermissionRequest(
                     domain_id=domain_id, group_id=group_id, role_id=ro.id))
    assert e.status_code == 400 and "XA" in e.error_msg, e
    # A global one (Security Administrator, AX) goes on the account.
    sec = iam.keystone_list_permissions(
        im.KeystoneListPermissionsRequest(display_name="Security Administrator")).roles[0]
    iam.keystone_associate_group_with_domain_permission(im.KeystoneAssociateGroupWithDomainPermissionRequest(
        domain_id=domain_id, group_id=group_id, role_id=sec.id))
    on_domain = iam.keystone_list_domain_permissions_for_group(
        im.KeystoneListDomainPermissionsForGroupRequest(domain_id=domain_id, group_id=group_id)).roles
    assert [r.id for r in on_domain] == [sec.id]

    iam.delete_domain_group_inherited_role(im.DeleteDomainGroupInheritedRoleRequest(
        domain_id=domain_id, group_id=group_id, role_id=ro.id))
    e = hw_error(iam.keystone_checkrole_for_group, im.KeystoneCheckroleForGroupRequest(
        domain_id=domain_id, group_id=group_id, role_id=ro.id))
    assert e.status_code == 404
    iam.keystone_delete_group(im.KeystoneDeleteGroupRequest(group_id=group_id))
    e = hw_error(iam.keystone_show_group, im.KeystoneShowGroupRequest(group_id=group_id))
    assert e.status_code == 404


def test_iam_sdk_projects(iam, domain_id, project_id):
    from huaweicloudsdkiam.v3 import model as im

    region = iam.keystone_show_project(im.KeystoneShowProjectRequest(project_id=project_id)).project
    assert region.name == "local-1" and region.domain_id == domain_id and region.parent_id == domain_id
    sub_name = uniq("local-1_sub")
    sub = iam.keystone_create_project(im.KeystoneCreateProjectRequest(body=im.KeystoneCreateProjectRequestBody(
        project=im.KeystoneCreateProjectOption(name=sub_name, parent_id=project_id, domain_id=domain_id,
                                               description="a sub-project")))).project
    assert sub.parent_id == project_id and sub.domain_id == domain_id and sub.enabled is True
    children = iam.keystone_list_projects(im.KeystoneListProjectsRequest(parent_id=project_id)).projects
    assert [p.id for p in children] == [sub.id]
    assert [p.id for p in iam.keystone_list_projects(im.KeystoneListProjectsRequest(name=sub_name)).projects] \
        == [sub.id]
    e = hw_error(iam.keystone_create_project, im.KeystoneCreateProjectRequest(
        body=im.KeystoneCreateProjectRequestBody(project=im.KeystoneCreateProjectOption(
            name=sub_name, parent_id=project_id, domain_id=domain_id))))
    assert e.status_code == 409


# ---- 2. openstacksdk ----------------------------------------------------------------------------

def test_openstacksdk_identity_proxy(conn, creds, domain_id):
    idn = conn.identity
    user = idn.create_user(name=uniq("os-user"), password=PASSWORD, domain_id=domain_id,
                           description="made by openstacksdk")
    assert user.id and user.domain_id == domain_id and user.is_enabled is True
    group = idn.create_group(name=uniq("os-group"), domain_id=domain_id, description="operators")
    idn.add_user_to_group(user, group)
    assert idn.check_user_in_group(user, group)
    assert [u.id for u in idn.group_users(group)] == [user.id]
    assert [g.id for g in idn.user_groups(user)] == [group.id]

    project = idn.create_project(name=uniq("os-proj"), domain_id=domain_id, description="team")
    assert project.domain_id == domain_id and project.parent_id == domain_id
    sub = idn.create_project(name=uniq("os-sub"), parent_id=project.id)
    assert sub.parent_id == project.id
    assert [p.id for p in idn.projects(parent_id=project.id)] == [sub.id]
    assert idn.find_project(project.name, ignore_missing=False).id == project.id

    member = idn.find_role("member", ignore_missing=False)
    reader = idn.find_role("reader", ignore_missing=False)
    assert member.name == "member" and reader.name == "reader"
    idn.assign_project_role_to_user(project, user, member)
    assert idn.validate_user_has_project_role(project, user, member)
    idn.assign_project_role_to_group(project, group, reader)
    assert idn.validate_group_has_project_role(project, group, reader)
    assert not idn.validate_group_has_project_role(project, group, member)
    roles = list(idn.role_assignments_filter(project=project, user=user))
    assert [r.id for r in roles] == [member.id]
    assignments = list(idn.role_assignments(user_id=user.id))
    assert len(assignments) == 1 and assignments[0].scope["project"]["id"] == project.id

    # The user logs in to its project.
    r = issue_token(creds["ECSD_ENDPOINT"], PASSWORD, user_id=user.id, project_id=project.id)
    assert r.status_code == 201, r.text

    updated = idn.update_user(user, description="renamed", email="ops@example.com")
    assert updated.description == "renamed" and updated.email == "ops@example.com"
    assert idn.find_user(user.name, domain_id=domain_id, ignore_missing=False).id == user.id

    idn.unassign_project_role_from_user(project, user, member)
    assert not idn.validate_user_has_project_role(project, user, member)
    idn.remove_user_from_group(user, group)
    assert not idn.check_user_in_group(user, group)
    idn.delete_user(user)
    idn.delete_group(group)
    assert idn.find_user(user.id) is None


# ---- 3. the openstack CLI -------------------------------------------------------------------------

def test_cli_project_user_and_member_grant_from_nothing(cli, creds):
    proj = uniq("demo-proj")
    p = cli.json("project", "create", proj)
    assert p["name"] == proj and p["enabled"] is True
    uname = uniq("u1")
    u = cli.json("user", "create", "--password", PASSWORD, "--domain", creds["OS_USER_DOMAIN_NAME"], uname)
    assert u["name"] == uname and u["domain_id"] == creds["HUAWEICLOUD_SDK_DOMAIN_ID"]
    cli.run("role", "add", "--user", uname, "--project", proj, "member")
    assignments = cli.json("role", "assignment", "list", "--user", uname, "--project", proj, "--names")
    assert [(a["Role"], a["User"].split("@")[0], a["Project"].split("@")[0]) for a in assignments] \
        == [("member", uname, proj)], assignments
    shown = cli.json("user", "show", uname)
    assert shown["id"] == u["id"]
    assert uname in [x["Name"] for x in cli.json("user", "list")]
    # The new user can log in to the new project.
    r = issue_token(creds["ECSD_ENDPOINT"], PASSWORD, user_id=u["id"], project_id=p["id"])
    assert r.status_code == 201, r.text
    cli.run("role", "remove", "--user", uname, "--project", proj, "member")
    assert cli.json("role", "assignment", "list", "--user", uname, "--project", proj) == []
    cli.run("user", "delete", uname)


def test_cli_operator_creates_an_account_and_its_administrator(cli, creds, tmp_path, endpoint):
    acme = uniq("acme")
    d = cli.json("domain", "create", "--description", "a customer", acme)
    assert d["name"] == acme and d["enabled"] is True
    boss = uniq("boss")
    u = cli.json("user", "create", "--domain", acme, "--password", PASSWORD, boss)
    assert u["domain_id"] == d["id"]
    cli.run("role", "add", "--user", boss, "--user-domain", acme, "--domain", acme, "admin")

    # The account's administrator works in its own account with its own clouds.yaml.
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(yaml.safe_dump({"clouds": {"ecsd": {
        "auth": {"auth_url": creds["OS_AUTH_URL"], "username": boss, "password": PASSWORD,
                 "user_domain_name": acme, "project_name": "local-1", "project_domain_name": acme},
        "region_name": creds["OS_REGION_NAME"], "interface": "public", "identity_api_version": 3}}}))
    boss_cli = Cli(clouds)
    tok = boss_cli.json("token", "issue")
    assert tok["user_id"] == u["id"]
    team = boss_cli.json("project", "create", uniq("acme-team"))
    assert team["domain_id"] == d["id"]
    worker = boss_cli.json("user", "create", "--password", PASSWORD, uniq("worker"))
    assert worker["domain_id"] == d["id"]
    boss_cli.run("role", "add", "--user", worker["id"], "--project", team["id"], "member")

    # It sees its own account only: not the ecsd account's users.
    names = [x["Name"] for x in boss_cli.json("user", "list")]
    assert sorted(names) == sorted([boss, worker["name"]]), names
    ecsd_admin = cli.json("user", "show", creds["OS_USERNAME"])
    p = boss_cli.run("user", "show", ecsd_admin["id"], check=False)
    assert p.returncode != 0
    r = call(endpoint, "GET", f"/v3/users/{ecsd_admin['id']}", token_of(
        endpoint, PASSWORD, name=boss, domain=acme, project_id=tok["project_id"]))
    ks_error(r, 404)
    # ... and may not create accounts: only the operator may.
    p = boss_cli.run("domain", "create", uniq("rogue"), check=False)
    assert p.returncode != 0 and "iam:domains:createDomain" in p.stderr, p.stderr


# ---- 4. token revocation --------------------------------------------------------------------------

def test_token_revoked_on_password_change(endpoint, admin_token, project_id):
    user = create_user(endpoint, admin_token)
    old = token_of(endpoint, PASSWORD, user_id=user["id"], project_id=project_id)
    assert call(endpoint, "GET", f"/v3/users/{user['id']}", old).status_code == 200
    r = call(endpoint, "PATCH", f"/v3/users/{user['id']}", admin_token, {"user": {"password": NEW_PASSWORD}})
    assert r.status_code == 200, r.text
    ks_error(call(endpoint, "GET", f"/v3/users/{user['id']}", old), 401)
    assert issue_token(endpoint, PASSWORD, user_id=user["id"]).status_code == 401
    new = token_of(endpoint, NEW_PASSWORD, user_id=user["id"])
    assert call(endpoint, "GET", f"/v3/users/{user['id']}", new).status_code == 200
    # Self-service password change with the original password.
    r = call(endpoint, "POST", f"/v3/users/{user['id']}/password", new,
             {"user": {"original_password": "wrong-password", "password": PASSWORD}})
    ks_error(r, 401)
    r = call(endpoint, "POST", f"/v3/users/{user['id']}/password", new,
             {"user": {"original_password": NEW_PASSWORD, "password": PASSWORD}})
    assert r.status_code == 204, r.text
    ks_error(call(endpoint, "GET", f"/v3/users/{user['id']}", new), 401)
    # Disabling revokes too.
    fresh = token_of(endpoint, PASSWORD, user_id=user["id"])
    r = call(endpoint, "PATCH", f"/v3/users/{user['id']}", admin_token, {"user": {"enabled": False}})
    assert r.status_code == 200 and r.json()["user"]["enabled"] is False
    ks_error(call(endpoint, "GET", f"/v3/users/{user['id']}", fresh), 401)
    assert issue_token(endpoint, PASSWORD, user_id=user["id"]).status_code == 401


def test_token_revoked_on_group_removal_and_grant_change(endpoint, admin_token, project_id):
    user = create_user(endpoint, admin_token)
    r = call(endpoint, "POST", "/v3/groups", admin_token, {"group": {"name": uniq("g")}})
    assert r.status_code == 201, r.text
    gid = r.json()["group"]["id"]
    assert call(endpoint, "PUT", f"/v3/groups/{gid}/users/{user['id']}", admin_token).status_code == 204
    assert call(endpoint, "HEAD", f"/v3/groups/{gid}/users/{user['id']}", admin_token).status_code == 204

    # A grant to the group revokes its members' tokens.
    tok = token_of(endpoint, PASSWORD, user_id=user["id"], project_id=project_id)
    r = call(endpoint, "PUT", f"/v3/projects/{project_id}/groups/{gid}/roles/reader", admin_token)
    assert r.status_code == 204, r.text
    ks_error(call(endpoint, "GET", f"/v3/users/{user['id']}", tok), 401)

    # Removal from the group revokes the user's tokens.
    tok = token_of(endpoint, PASSWORD, user_id=user["id"], project_id=project_id)
    assert call(endpoint, "GET", f"/v3/users/{user['id']}", tok).status_code == 200
    assert call(endpoint, "DELETE", f"/v3/groups/{gid}/users/{user['id']}", admin_token).status_code == 204
    ks_error(call(endpoint, "GET", f"/v3/users/{user['id']}", tok), 401)
    assert call(endpoint, "HEAD", f"/v3/groups/{gid}/users/{user['id']}", admin_token).status_code == 404
    ks_error(call(endpoint, "DELETE", f"/v3/groups/{gid}/users/{user['id']}", admin_token), 404)
    # Deleting the user revokes too (and the old password no longer logs in).
    tok = token_of(endpoint, PASSWORD, user_id=user["id"])
    assert call(endpoint, "DELETE", f"/v3/users/{user['id']}", admin_token).status_code == 204
    ks_error(call(endpoint, "GET", f"/v3/users/{user['id']}", tok), 401)
    ks_error(call(endpoint, "GET", f"/v3/users/{user['id']}", admin_token), 404)


# ---- 5. refusals ------------------------------------------------------------------------------------

def test_user_without_iam_rights_gets_403_naming_the_action(iam, endpoint, admin_token, domain_id, project_id):
    from huaweicloudsdkiam.v3 import model as im

    plain = create_user(endpoint, admin_token)
    tok = token_of(endpoint, PASSWORD, user_id=plain["id"], project_id=project_id)
    r = call(endpoint, "POST", "/v3/users", tok, {"user": {"name": uniq("x"), "password": PASSWORD}})
    msg = ks_error(r, 403)
    assert msg == "Policy doesn't allow iam:users:createUser to be performed.", msg
    assert "iam:users:listUsers" in ks_error(call(endpoint, "GET", "/v3/users", tok), 403)
    assert "iam:groups:createGroup" in ks_error(
        call(endpoint, "POST", "/v3/groups", tok, {"group": {"name": uniq("g")}}), 403)
    assert "iam:permissions:grantRoleToUserOnProject" in ks_error(
        call(endpoint, "PUT", f"/v3/projects/{project_id}/users/{plain['id']}/roles/admin", tok), 403)
    # Someone else's user: 403 before anything about it is revealed.
    assert "iam:users:getUser" in ks_error(call(endpoint, "GET", f"/v3/users/{uuid.uuid4().hex}", tok), 403)
    # What a user may do for itself: read itself, its token's project and account, manage its own keys.
    assert call(endpoint, "GET", f"/v3/users/{plain['id']}", tok).json()["user"]["id"] == plain["id"]
    assert call(endpoint, "GET", f"/v3/projects/{project_id}", tok).status_code == 200
    assert call(endpoint, "GET", f"/v3/domains/{domain_id}", tok).status_code == 200
    r = call(endpoint, "POST", "/v3.0/OS-CREDENTIAL/credentials", tok,
             {"credential": {"user_id": plain["id"], "description": "mine"}})
    assert r.status_code == 201, r.text
    ak, sk = r.json()["credential"]["access"], r.json()["credential"]["secret"]
    own = make_iam_client(endpoint, ak, sk, domain_id)
    keys = own.list_permanent_access_keys(im.ListPermanentAccessKeysRequest()).credentials
    assert [k.access for k in keys] == [ak]
    e = hw_error(own.keystone_create_group, im.KeystoneCreateGroupRequest(
        body=im.KeystoneCreateGroupRequestBody(group=im.KeystoneCreateGroupOption(name=uniq("g")))))
    assert e.status_code == 403 and "iam:groups:createGroup" in e.error_msg, e
    e = hw_error(own.create_permanent_access_key, im.CreatePermanentAccessKeyRequest(
        body=im.CreatePermanentAccessKeyRequestBody(credential=im.CreateCredentialOption(
            user_id=iam_admin_id(endpoint, admin_token)))))
    assert e.status_code == 403 and "iam:credentials:createCredential" in e.error_msg, e
    own.delete_permanent_access_key(im.DeletePermanentAccessKeyRequest(access_key=ak))


def iam_admin_id(endpoint: str, admin_token: str) -> str:
    r = call(endpoint, "GET", "/v3/users?name=admin", admin_token)
    assert r.status_code == 200, r.text
    return r.json()["users"][0]["id"]


def test_other_accounts_objects_are_not_found(endpoint, admin_token, other_account, project_id, domain_id):
    tok = other_account["token"]
    mine = create_user(endpoint, admin_token)
    r = call(endpoint, "POST", "/v3/groups", admin_token, {"group": {"name": uniq("g")}})
    gid = r.json()["group"]["id"]
    ks_error(call(endpoint, "GET", f"/v3/users/{mine['id']}", tok), 404)
    ks_error(call(endpoint, "PATCH", f"/v3/users/{mine['id']}", tok, {"user": {"enabled": False}}), 404)
    ks_error(call(endpoint, "DELETE", f"/v3/users/{mine['id']}", tok), 404)
    ks_error(call(endpoint, "GET", f"/v3/groups/{gid}", tok), 404)
    ks_error(call(endpoint, "GET", f"/v3/projects/{project_id}", tok), 404)
    ks_error(call(endpoint, "GET", f"/v3/domains/{domain_id}", tok), 404)
    ks_error(call(endpoint, "PUT", f"/v3/projects/{project_id}/users/{mine['id']}/roles/member", tok), 404)
    ks_error(call(endpoint, "PUT", f"/v3/groups/{gid}/users/{other_account['user']['id']}", tok), 404)
    r = call(endpoint, "GET", f"/v3/users?domain_id={domain_id}", tok)
    assert r.status_code == 200 and r.json()["users"] == []
    r = call(endpoint, "GET", "/v3/users", tok)
    assert [u["id"] for u in r.json()["users"]] == [other_account["user"]["id"]]
    r = call(endpoint, "GET", "/v3/domains", tok)
    assert [d["id"] for d in r.json()["domains"]] == [other_account["domain"]["id"]]
    r = call(endpoint, "POST", "/v3.0/OS-USER/users", tok,
             {"user": {"name": uniq("x"), "domain_id": domain_id, "password": PASSWORD}})
    assert r.status_code == 404 and r.json()["error_code"] == "IAM.0004", r.text
    # Its custom policies are its own.
    policy = {"Version": "1.1", "Statement": [{"Effect": "Allow", "Action": ["ecs:servers:get"]}]}
    r = call(endpoint, "POST", "/v3.0/OS-ROLE/roles", tok, {"role": {
        "display_name": uniq("theirs"), "type": "XA", "description": "d", "policy": policy}})
    assert r.status_code == 201, r.text
    theirs = r.json()["role"]
    assert theirs["domain_id"] == other_account["domain"]["id"]
    assert theirs["name"] == f"custom_{other_account['domain']['id']}_1"
    r = call(endpoint, "POST", "/v3.0/OS-ROLE/roles", admin_token, {"role": {
        "display_name": uniq("ours"), "type": "XA", "description": "d", "policy": policy}})
    assert r.status_code == 201, r.text
    ours = r.json()["role"]
    r = call(endpoint, "GET", f"/v3.0/OS-ROLE/roles/{ours['id']}", tok)
    assert r.status_code == 404 and r.json()["error_code"] == "IAM.0004", r.text
    ks_error(call(endpoint, "GET", f"/v3/roles/{ours['id']}", tok), 404)
    listed = [x["id"] for x in call(endpoint, "GET", "/v3/roles", tok).json()["roles"]]
    assert theirs["id"] in listed and ours["id"] not in listed
    listed = [x["id"] for x in call(endpoint, "GET", "/v3.0/OS-ROLE/roles", tok).json()["roles"]]
    assert listed == [theirs["id"]]
    # The operator's own lists stay its own account's; it reaches into others by id only.
    listed = [x["id"] for x in call(endpoint, "GET", "/v3/roles", admin_token).json()["roles"]]
    assert theirs["id"] not in listed and ours["id"] in listed
    assert call(endpoint, "GET", f"/v3/users/{other_account['user']['id']}", admin_token).status_code == 200


def test_duplicates_are_409(endpoint, admin_token, domain_id, iam):
    from huaweicloudsdkiam.v3 import model as im

    name = uniq("dup")
    create_user(endpoint, admin_token, name)
    r = call(endpoint, "POST", "/v3/users", admin_token, {"user": {"name": name, "password": PASSWORD}})
    assert name in ks_error(r, 409)
    e = hw_error(iam.create_user, im.CreateUserRequest(body=im.CreateUserRequestBody(
        user=im.CreateUserOption(name=name, domain_id=domain_id, password=PASSWORD))))
    assert e.status_code == 409 and e.error_code == "IAM.0009", e
    gname = uniq("dupg")
    assert call(endpoint, "POST", "/v3/groups", admin_token, {"group": {"name": gname}}).status_code == 201
    ks_error(call(endpoint, "POST", "/v3/groups", admin_token, {"group": {"name": gname}}), 409)
    pname = uniq("dupp")
    assert call(endpoint, "POST", "/v3/projects", admin_token, {"project": {"name": pname}}).status_code == 201
    ks_error(call(endpoint, "POST", "/v3/projects", admin_token, {"project": {"name": pname}}), 409)
    ks_error(call(endpoint, "POST", "/v3/domains", admin_token, {"domain": {"name": "ecsd"}}), 409)
    display = uniq("dup-policy")
    body = {"role": {"display_name": display, "type": "AX", "description": "d",
                     "policy": {"Version": "1.1", "Statement": [{"Effect": "Allow", "Action": ["iam:users:get*"]}]}}}
    assert call(endpoint, "POST", "/v3.0/OS-ROLE/roles", admin_token, body).status_code == 201
    r = call(endpoint, "POST", "/v3.0/OS-ROLE/roles", admin_token, body)
    assert r.status_code == 409 and display in r.json()["error_msg"], r.text


def test_bad_input_is_400(iam, endpoint, admin_token, project_id):
    from huaweicloudsdkiam.v3 import model as im

    bad = im.ServicePolicy(version="1.1", statement=[
        im.ServiceStatement(action=["ecs:servers:stop"], effect="Maybe")])
    e = hw_error(iam.create_cloud_service_custom_policy, im.CreateCloudServiceCustomPolicyRequest(
        body=im.CreateCloudServiceCustomPolicyRequestBody(role=im.ServicePolicyRoleOption(
            display_name=uniq("bad"), type="XA", description="d", policy=bad))))
    assert e.status_code == 400 and e.error_code == "IAM.0007", e
    assert "Statement[0].Effect" in e.error_msg, e.error_msg

    def policy_error(policy, role_type="XA"):
        r = call(endpoint, "POST", "/v3.0/OS-ROLE/roles", admin_token, {"role": {
            "display_name": uniq("bad"), "type": role_type, "description": "d", "policy": policy}})
        assert r.status_code == 400, r.text
        assert r.json()["error_code"] == "IAM.0007"
        return r.json()["error_msg"]

    assert "Version" in policy_error({"Version": "2.0", "Statement": []})
    assert "Version" in policy_error({"Version": "1.0", "Statement": [{"Action": ["ecs:*:*"]}]})
    assert "Statement[1].Action" in policy_error({"Version": "1.1", "Statement": [
        {"Effect": "Allow", "Action": ["ecs:servers:get"]}, {"Effect": "Allow", "Action": "ecs:servers:get"}]})
    assert "role.type" in policy_error(
        {"Version": "1.1", "Statement": [{"Effect": "Allow", "Action": ["ecs:servers:get"]}]}, role_type="AA")
    r = call(endpoint, "POST", "/v3.0/OS-ROLE/roles", admin_token, {"role": {"display_name": "x", "type": "XA"}})
    assert r.status_code == 400 and "description" in r.json()["error_msg"], r.text

    ks_error(call(endpoint, "POST", "/v3/users", admin_token, {"user": {"password": PASSWORD}}), 400)
    assert "user.name" in ks_error(call(endpoint, "POST", "/v3/users", admin_token,
                                        {"user": {"name": "x" * 65, "password": PASSWORD}}), 400)
    assert "user.password" in ks_error(call(endpoint, "POST", "/v3/users", admin_token,
                                            {"user": {"name": uniq("x"), "password": "123"}}), 400)
    assert "user.enabled" in ks_error(call(endpoint, "POST", "/v3/users", admin_token,
                                           {"user": {"name": uniq("x"), "enabled": "yes"}}), 400)
    r = requests.post(endpoint + "/v3/users", data="{not json", timeout=30,
                      headers={"X-Auth-Token": admin_token, "Content-Type": "application/json"})
    ks_error(r, 400)
    ks_error(call(endpoint, "GET", f"/v3/users/{uuid.uuid4().hex}", admin_token), 404)
    ks_error(call(endpoint, "PUT", f"/v3/projects/{project_id}/users/{uuid.uuid4().hex}/roles/member",
                  admin_token), 404)
    user = create_user(endpoint, admin_token)
    ks_error(call(endpoint, "PUT", f"/v3/projects/{project_id}/users/{user['id']}/roles/no-such-role",
                  admin_token), 404)
    r = call(endpoint, "POST", "/v3.0/OS-CREDENTIAL/credentials", admin_token,
             {"credential": {"user_id": user["id"]}})
    assert r.status_code == 201
    ak = r.json()["credential"]["access"]
    r = call(endpoint, "PUT", f"/v3.0/OS-CREDENTIAL/credentials/{ak}", admin_token,
             {"credential": {"status": "paused"}})
    assert r.status_code == 400 and "credential.status" in r.json()["error_msg"], r.text
    # No credentials at all: 401.
    r = requests.get(endpoint + "/v3/users", timeout=30)
    assert r.status_code == 401 and r.json()["error"]["code"] == 401
