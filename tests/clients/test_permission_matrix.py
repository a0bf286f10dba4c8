"""The seed's permission table, enforced, through the real clients.

Users are set up from nothing with huaweicloudsdkiam (custom policy, group, grant on the
project, user, membership, AK/SK) and then call the ten seed APIs with huaweicloudsdkecs, signed
with their own keys (native actions through the SDK's generic request path):

- a user holding every action of a row may call it, and the server changes as the row says;
- for each action of a row, a user holding all the others is refused with 403 naming the
  missing action, and the server is left exactly as it was;
- an explicit Deny on one action refuses a user that also holds ECS FullAccess;
- ECS CommonOperations may stop and reboot, but not resize, rebuild, change the OS, migrate
  or lock.
"""

from __future__ import annotations

import uuid

import pytest

from conftest import (DEH_ID, IMAGE_UBUNTU, hw_error, hw_native_action, hw_show, hw_wait_status, job_ok,
                      make_hw_client, make_iam_client)

PASSWORD = "Matrix-Passw0rd!"

# The seed table (shared/seed/PERMISSIONS.md), written out independently of the server's catalog.
SEED = {
    1: ["ecs:cloudServers:changeOS"],
    2: ["ecs:cloudServers:rebuild"],
    3: ["ecs:cloudServers:resize"],
    4: ["ecs:cloudServers:migrate"],
    5: ["ecs:servers:stop", "ecs:servers:get"],
    6: ["ecs:servers:reboot", "ecs:servers:get"],
    7: ["ecs:servers:resize", "ecs:servers:get", "evs:volumes:list", "evs:volumes:create",
        "evs:volumes:get", "evs:volumes:attach", "evs:volumes:detach", "evs:volumes:manage",
        "vpc:ports:get", "vpc:ports:update", "vpc:ports:create", "vpc:ports:delete"],
    8: ["ecs:servers:rebuild", "ecs:servers:get", "ecs:servers:update", "ims:images:get",
        "ims:images:list", "ims:images:update"],
    9: ["ecs:servers:lock", "ecs:servers:get"],
    10: ["ecs:servers:unlock", "ecs:servers:get"],
}


# ---- identities, made with the IAM SDK ---------------------------------------------------

@pytest.fixture(scope="module")
def iam(creds):
    return make_iam_client(creds["ECSD_ENDPOINT"], creds["HUAWEICLOUD_SDK_AK"], creds["HUAWEICLOUD_SDK_SK"],
                           creds["HUAWEICLOUD_SDK_DOMAIN_ID"])


def custom_policy(iam, statements: list[dict]) -> str:
    from huaweicloudsdkiam.v3 import model as im

    stmts = [im.ServiceStatement(action=s["Action"], effect=s["Effect"]) for s in statements]
    r = iam.create_cloud_service_custom_policy(im.CreateCloudServiceCustomPolicyRequest(
        body=im.CreateCloudServiceCustomPolicyRequestBody(role=im.ServicePolicyRoleOption(
            display_name=f"matrix-{uuid.uuid4().hex[:8]}", type="XA", description="permission matrix",
            policy=im.ServicePolicy(version="1.1", statement=stmts)))))
    return r.role.id


def system_role(iam, display_name: str) -> str:
    from huaweicloudsdkiam.v3 import model as im

    r = iam.keystone_list_permissions(im.KeystoneListPermissionsRequest(display_name=display_name))
    found = [role for role in r.roles if role.display_name == display_name]
    assert found, f"system role {display_name!r} not listed"
    return found[0].id


def user_with_roles(iam, creds, role_ids: list[str]):
    """A new user in a new group granted `role_ids` on the project; returns its EcsClient."""
    from huaweicloudsdkiam.v3 import model as im

    domain_id = creds["HUAWEICLOUD_SDK_DOMAIN_ID"]
    project_id = creds["HUAWEICLOUD_SDK_PROJECT_ID"]
    tag = uuid.uuid4().hex[:8]
    group = iam.keystone_create_group(im.KeystoneCreateGroupRequest(body=im.KeystoneCreateGroupRequestBody(
        group=im.KeystoneCreateGroupOption(name=f"g-{tag}", domain_id=domain_id)))).group
    for role_id in role_ids:
        iam.keystone_associate_group_with_project_permission(
            im.KeystoneAssociateGroupWithProjectPermissionRequest(
                project_id=project_id, group_id=group.id, role_id=role_id))
    user = iam.create_user(im.CreateUserRequest(body=im.CreateUserRequestBody(user=im.CreateUserOption(
        name=f"u-{tag}", domain_id=domain_id, password=PASSWORD)))).user
    iam.keystone_add_user_to_group(im.KeystoneAddUserToGroupRequest(group_id=group.id, user_id=user.id))
    cred = iam.create_permanent_access_key(im.CreatePermanentAccessKeyRequest(
        body=im.CreatePermanentAccessKeyRequestBody(credential=im.CreateCredentialOption(
            user_id=user.id, description="matrix")))).credential
    return make_hw_client(creds["ECSD_ENDPOINT"], cred.access, cred.secret, project_id)


def user_with_actions(iam, creds, actions: list[str]):
    """A user allowed exactly `actions` (none: a user with no grant at all)."""
    if not actions:
        return user_with_roles(iam, creds, [])
    return user_with_roles(iam, creds, [custom_policy(iam, [{"Effect": "Allow", "Action": actions}])])


# ---- the rows ----------------------------------------------------------------------------

def _snapshot(s: dict) -> tuple:
    return (s["status"], s.get("OS-EXT-STS:task_state"), s["flavor"]["id"], s["image"]["id"], s["locked"],
            tuple((s.get("os:scheduler_hints") or {}).get("dedicated_host_id") or []))


def _other_flavor(s: dict) -> str:
    return "s6.medium.2" if s["flavor"]["id"] != "s6.medium.2" else "s6.small.1"


def _stopped(hw, sid):
    s = hw_show(hw, sid)
    if s["status"] != "SHUTOFF":
        hw_native_action(hw, sid, {"os-stop": None})
    return hw_wait_status(hw, sid, "SHUTOFF")


def _active(hw, sid):
    s = hw_show(hw, sid)
    if s["locked"]:
        hw_native_action(hw, sid, {"unlock": None})
    if s["status"] == "SHUTOFF":
        hw_native_action(hw, sid, {"os-start": None})
    return hw_wait_status(hw, sid, "ACTIVE")


def row_call(row: int, client, sid: str, before: dict):
    """Calls the row's API as `client`; returns a job id or None."""
    from huaweicloudsdkecs.v2 import model as m

    if row == 1:
        return client.change_server_os_with_cloud_init(m.ChangeServerOsWithCloudInitRequest(
            server_id=sid, body=m.ChangeServerOsWithCloudInitRequestBody(
                os_change=m.ChangeServerOsWithCloudInitOption(imageid=IMAGE_UBUNTU, adminpass=PASSWORD)))).job_id
    if row == 2:
        return client.reinstall_server_with_cloud_init(m.ReinstallServerWithCloudInitRequest(
            server_id=sid, body=m.ReinstallServerWithCloudInitRequestBody(
                os_reinstall=m.ReinstallServerWithCloudInitOption(adminpass=PASSWORD)))).job_id
    if row == 3:
        return client.resize_post_paid_server(m.ResizePostPaidServerRequest(
            server_id=sid, body=m.ResizePostPaidServerRequestBody(
                resize=m.ResizePostPaidServerOption(flavor_ref=_other_flavor(before))))).job_id
    if row == 4:
        return client.migrate_server(m.MigrateServerRequest(server_id=sid, body=m.MigrateServerRequestBody(
            migrate=m.MigrateServerOption(dedicated_host_id=DEH_ID)))).job_id
    body = {5: {"os-stop": {}}, 6: {"reboot": {"type": "SOFT"}},
            7: {"resize": {"flavorRef": _other_flavor(before)}},
            8: {"rebuild": {"imageRef": IMAGE_UBUNTU}}, 9: {"lock": None}, 10: {"unlock": None}}[row]
    r = hw_native_action(client, sid, body)
    assert r.status_code == 202, r.status_code
    return None


def prepare(row: int, hw, sid: str) -> dict:
    """Brings the server (as the administrator) to where the row can act on it."""
    from huaweicloudsdkecs.v2 import model as m

    if row in (1, 2, 3, 4):
        s = _stopped(hw, sid)
        if row == 4 and (s.get("os:scheduler_hints") or {}).get("dedicated_host_id"):
            # Back to a shared host: the SDK sends {} for migrate=None.
            job_ok(hw, hw.migrate_server(m.MigrateServerRequest(
                server_id=sid, body=m.MigrateServerRequestBody())).job_id)
        return hw_show(hw, sid)
    s = _active(hw, sid)
    if row == 10:
        hw_native_action(hw, sid, {"lock": None})
        s = hw_show(hw, sid)
        assert s["locked"]
    return s


def check_done(row: int, hw, sid: str, before: dict, job_id):
    if job_id:
        job_ok(hw, job_id)
    if row in (1, 2, 3, 4):
        after = hw_wait_status(hw, sid, "SHUTOFF")
    elif row == 5:
        after = hw_wait_status(hw, sid, "SHUTOFF")
    elif row == 7:
        after = hw_wait_status(hw, sid, "VERIFY_RESIZE")
        hw_native_action(hw, sid, {"confirmResize": None})
        after = hw_wait_status(hw, sid, "ACTIVE")
    else:
        after = hw_wait_status(hw, sid, "ACTIVE")
    if row == 1 or row == 8:
        assert after["image"]["id"] == IMAGE_UBUNTU
    if row in (3, 7):
        assert after["flavor"]["id"] == _other_flavor(before)
    if row == 4:
        assert (after.get("os:scheduler_hints") or {}).get("dedicated_host_id") == [DEH_ID]
    if row == 9:
        assert after["locked"] is True
        hw_native_action(hw, sid, {"unlock": None})
    if row == 10:
        assert after["locked"] is False


@pytest.mark.parametrize("row", sorted(SEED))
def test_seed_row_needs_every_action(row, iam, creds, hw, hw_servers):
    (sid,) = hw_servers(f"row{row}")
    actions = SEED[row]
    for missing in actions:
        before = prepare(row, hw, sid)
        client = user_with_actions(iam, creds, [a for a in actions if a != missing])
        e = hw_error(row_call, row, client, sid, before)
        assert e.status_code == 403, (row, missing, e.status_code, e.error_msg)
        assert missing in e.error_msg, (row, missing, e.error_msg)
        if row <= 4:
            assert e.error_code == "Pdp.0001", e.error_code
        assert _snapshot(hw_show(hw, sid)) == _snapshot(before), f"row {row}: a refusal changed the server"
    before = prepare(row, hw, sid)
    client = user_with_actions(iam, creds, actions)
    job_id = row_call(row, client, sid, before)
    check_done(row, hw, sid, before, job_id)


def test_a_deny_beats_ecs_full_access(iam, creds, hw, hw_servers):
    (sid,) = hw_servers("deny")
    deny = custom_policy(iam, [{"Effect": "Deny", "Action": ["ecs:cloudServers:resize"]}])
    client = user_with_roles(iam, creds, [system_role(iam, "ECS FullAccess"), deny])
    before = prepare(3, hw, sid)
    e = hw_error(row_call, 3, client, sid, before)
    assert e.status_code == 403 and "ecs:cloudServers:resize" in e.error_msg, e.error_msg
    assert _snapshot(hw_show(hw, sid)) == _snapshot(before)
    # FullAccess still does the rest, e.g. change the OS.
    check_done(1, hw, sid, before, row_call(1, client, sid, before))


def test_ecs_common_operations_stop_and_reboot_only(iam, creds, hw, hw_servers):
    (sid,) = hw_servers("common")
    client = user_with_roles(iam, creds, [system_role(iam, "ECS CommonOperations")])
    before = prepare(6, hw, sid)
    check_done(6, hw, sid, before, row_call(6, client, sid, before))
    for row in (3, 7, 8, 1, 4, 9):
        before = prepare(row, hw, sid)
        e = hw_error(row_call, row, client, sid, before)
        assert e.status_code == 403, (row, e.status_code, e.error_msg)
        assert _snapshot(hw_show(hw, sid)) == _snapshot(before)
    before = prepare(5, hw, sid)
    check_done(5, hw, sid, before, row_call(5, client, sid, before))
