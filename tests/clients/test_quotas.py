"""Quotas and limits through the real clients: the `openstack` CLI's `limits show`, `quota show`
and `quota set`, openstacksdk's limits and quota sets, and the Huawei SDKs' ECS limits, VPC
quotas and EVS quota query. The suite's project runs on raised quotas (see conftest); a test
that lowers one puts it back.
"""

from __future__ import annotations

import uuid

from conftest import huawei_client, hw_error


def test_openstack_cli_limits_and_quota_show(cli, creds):
    limits = {row["Name"]: row["Value"] for row in cli.json("limits", "show", "--absolute")}
    # The CLI names them as openstacksdk does (compute's, then block storage's).
    assert limits["max_total_instances"] == 200 and limits["max_total_cores"] == 400, limits
    assert limits["max_total_volumes"] == 500 and "total_instances_used" in limits, limits
    project = creds["OS_PROJECT_ID"]
    shown = cli.json("quota", "show", project)
    rows = {row["Resource"]: row["Limit"] for row in shown} if isinstance(shown, list) else shown
    assert rows["instances"] == 200 and rows["volumes"] == 500 and rows["ports"] == 2000, rows
    defaults = cli.json("quota", "show", "--default", project)
    rows = {row["Resource"]: row["Limit"] for row in defaults} if isinstance(defaults, list) else defaults
    assert rows["instances"] == 200, rows


def test_openstack_cli_quota_set_refuses_the_next_server(cli, conn, creds, nova_servers):
    project = creds["OS_PROJECT_ID"]
    used = conn.compute.get_limits().absolute.instances_used
    cli.run("quota", "set", "--instances", str(used + 1), project)
    try:
        nova_servers()
        p = cli.run("server", "create", "--image", "e215580f-73ad-429d-b6f2-5433947433b0",
                    "--flavor", "s6.small.1", "--nic", "auto", f"over-{uuid.uuid4().hex[:6]}", check=False)
        assert p.returncode != 0, p.stdout
        assert "Quota exceeded for instances" in p.stderr, p.stderr
    finally:
        cli.run("quota", "set", "--instances", "200", project)
    assert conn.compute.get_limits().absolute.instances == 200


def test_openstacksdk_quota_sets(conn, creds):
    project = creds["OS_PROJECT_ID"]
    q = conn.network.get_quota(project)
    assert (q.networks, q.ports, q.security_groups, q.floating_ips) == (200, 2000, 200, 200)
    details = conn.network.get_quota(project, details=True)
    assert details.ports["limit"] == 2000 and details.ports["used"] >= 0
    bs = conn.block_storage.get_quota_set(project, usage=True)
    assert bs.volumes == 500 or bs.volumes["limit"] == 500, bs
    compute = conn.compute.get_quota_set(project)
    assert compute.instances == 200 and compute.cores == 400


def test_huawei_limits_and_quotas(hw, creds):
    from huaweicloudsdkecs.v2 import model as em
    from huaweicloudsdkevs.v2 import EvsClient, model as dm
    from huaweicloudsdkvpc.v2 import VpcClient, model as vm

    absolute = hw.show_server_limits(em.ShowServerLimitsRequest()).absolute
    assert absolute.max_total_instances == 200 and absolute.max_total_cores == 400
    assert absolute.total_instances_used >= 0 and absolute.max_total_floating_ips == 200
    vpc = huawei_client(VpcClient, creds)
    resources = vpc.show_quota(vm.ShowQuotaRequest(type="securityGroup")).quotas.resources
    assert [(r.type, r.quota) for r in resources] == [("securityGroup", 200)]
    assert resources[0].used >= 1, "the default group counts"
    evs = huawei_client(EvsClient, creds)
    project = creds["HUAWEICLOUD_SDK_PROJECT_ID"]
    qs = evs.cinder_list_quotas(dm.CinderListQuotasRequest(target_project_id=project, usage="True")).quota_set
    assert qs.volumes.limit == 500 and qs.gigabytes.limit == 50000
    assert qs.volumes.in_use >= 0
    e = hw_error(evs.cinder_list_quotas, dm.CinderListQuotasRequest(target_project_id="0" * 32, usage="True"))
    assert e.status_code == 404, e
