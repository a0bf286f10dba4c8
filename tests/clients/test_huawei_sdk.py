"""The Huawei Cloud Python SDK (huaweicloudsdkecs 3.1.219) against ecsd.

Create, show, list, flavors, batch start/stop/reboot, change OS, reinstall OS,
resize (v1 and v1.1), cold migration to and from the dedicated host, jobs and
delete; every step asserts the state the specs give (spec huawei-ecs sections 1-3).
"""

from __future__ import annotations

import re
import uuid

import pytest
from huaweicloudsdkecs.v2 import model as m

from conftest import (AZ, DEH_ID, FLAVORS, FLAVOR_ARM, FLAVOR_SOLD_OUT, GOOD_PASS, IMAGE_CENTOS,
                      IMAGE_EULER, IMAGE_UBUNTU, hw_create, hw_error, hw_native_action,
                      SUBNET_ID, VPC_ID, hw_post_raw, hw_show, hw_wait_status, job_ok, wait_job)

JOB_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SERVER_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _ids(*server_ids):
    return [m.ServerId(id=i) for i in server_ids]


def assert_job_success_shape(job, job_id):
    raw = job.to_json_object()
    assert raw["job_id"] == job_id
    assert raw["status"] == "SUCCESS"
    assert isinstance(raw["job_type"], str) and raw["job_type"]
    assert JOB_TIME.match(raw["begin_time"] or ""), raw["begin_time"]
    assert JOB_TIME.match(raw["end_time"] or ""), raw["end_time"]
    assert raw["begin_time"] <= raw["end_time"]
    assert raw.get("error_code") is None
    assert raw.get("fail_reason") is None
    assert isinstance(raw["entities"], dict)
    return raw


def assert_state(s, status, vm_state, power_state):
    assert s["status"] == status, f"status {s['status']} != {status}"
    assert s["OS-EXT-STS:vm_state"] == vm_state
    assert s["OS-EXT-STS:power_state"] == power_state
    assert not s["OS-EXT-STS:task_state"], s["OS-EXT-STS:task_state"]


def stop(hw, *server_ids):
    r = hw.batch_stop_servers(m.BatchStopServersRequest(body=m.BatchStopServersRequestBody(
        os_stop=m.BatchStopServersOption(servers=_ids(*server_ids), type="SOFT"))))
    return job_ok(hw, r.job_id)


def start(hw, *server_ids):
    r = hw.batch_start_servers(m.BatchStartServersRequest(body=m.BatchStartServersRequestBody(
        os_start=m.BatchStartServersOption(servers=_ids(*server_ids)))))
    return job_ok(hw, r.job_id)


# ---- catalog -----------------------------------------------------------------------------

def test_list_flavors_types_and_catalog(hw):
    r = hw.list_flavors(m.ListFlavorsRequest())
    raw = r.to_json_object()["flavors"]
    by_id = {f["id"]: f for f in raw}
    assert set(FLAVORS) <= set(by_id), sorted(set(FLAVORS) - set(by_id))
    for name, (vcpus, ram) in FLAVORS.items():
        f = by_id[name]
        assert f["name"] == name
        assert f["vcpus"] == str(vcpus), f"{name}: vcpus must be the string {vcpus!r}: {f['vcpus']!r}"
        assert f["ram"] == ram and isinstance(f["ram"], int), f"{name}: ram {f['ram']!r}"
        assert f["disk"] == "0", f"{name}: disk {f['disk']!r}"
        assert f["OS-FLV-DISABLED:disabled"] is False
        assert isinstance(f["os_extra_specs"], dict)
    assert by_id[FLAVOR_ARM]["os_extra_specs"].get("ecs:instance_architecture") == "arm64"


def test_resize_flavors_exclude_refused_targets(hw, hw_servers):
    (sid,) = hw_servers("rf", flavor="s6.small.1")
    r = hw.list_resize_flavors(m.ListResizeFlavorsRequest(instance_uuid=sid))
    raw = r.to_json_object()["flavors"]
    names = {f["name"] for f in raw}
    assert "s6.large.2" in names and "c6.large.2" in names, names
    assert FLAVOR_SOLD_OUT not in names, "a sold-out flavor is offered as a resize target"
    assert FLAVOR_ARM not in names, "an arm64 flavor is offered to an x86 server"
    assert all("extra_specs" in f and "os_extra_specs" not in f for f in raw)
    by_src = hw.list_resize_flavors(m.ListResizeFlavorsRequest(source_flavor_id="s6.small.1"))
    assert {f.name for f in by_src.flavors} == names


# ---- create, show, list ------------------------------------------------------------------

def test_create_v1_show_and_list(hw, hw_servers, project_id):
    name = f"hw-create-{uuid.uuid4().hex[:6]}"
    srv = m.PostPaidServer(
        name=name, flavor_ref="s3.small.1", image_ref=IMAGE_EULER,
        vpcid=VPC_ID,
        nics=[m.PostPaidServerNic(subnet_id=SUBNET_ID)],
        root_volume=m.PostPaidServerRootVolume(volumetype="SSD", size=40),
        availability_zone=AZ, count=1, admin_pass=GOOD_PASS)
    r = hw.create_post_paid_servers(m.CreatePostPaidServersRequest(
        body=m.CreatePostPaidServersRequestBody(server=srv)))
    assert r.status_code == 200
    assert r.job_id and len(r.server_ids) == 1
    sid = r.server_ids[0]
    try:
        job = job_ok(hw, r.job_id)
        raw = assert_job_success_shape(job, r.job_id)
        assert raw["job_type"] == "createServer"
        ent = raw["entities"]
        assert ent["sub_jobs_total"] == 1
        assert len(ent["sub_jobs"]) == 1
        sub = ent["sub_jobs"][0]
        assert sub["status"] == "SUCCESS"
        assert sub["job_type"] == "createSingleServer"
        assert sub["entities"]["server_id"] == sid

        s = hw_wait_status(hw, sid, "ACTIVE")
        assert_state(s, "ACTIVE", "active", 1)
        assert s["name"] == name
        assert s["id"] == sid
        assert s["tenant_id"] == project_id
        assert s["locked"] is False
        assert s["image"]["id"] == IMAGE_EULER
        assert s["flavor"]["id"] == "s3.small.1"
        assert s["flavor"]["vcpus"] == "1" and s["flavor"]["ram"] == "1024", s["flavor"]
        assert s["OS-EXT-AZ:availability_zone"] == AZ
        assert SERVER_TIME.match(s["created"]), s["created"]
        assert s["OS-SRV-USG:launched_at"], "launched_at not set on an ACTIVE server"
        assert s["OS-EXT-SRV-ATTR:host"], "no host"
        assert s["hostId"]
        vols = s["os-extended-volumes:volumes_attached"]
        assert any(v.get("bootIndex") == "0" for v in vols), vols
        assert s["metadata"].get("charging_mode") == "0"

        lst = hw.list_servers_details(m.ListServersDetailsRequest(name=name))
        assert lst.count >= 1
        assert sid in [x.id for x in lst.servers]
        only_shutoff = hw.list_servers_details(m.ListServersDetailsRequest(status="SHUTOFF",
                                                                         limit=1000))
        assert sid not in [x.id for x in only_shutoff.servers]
    finally:
        d = hw.delete_servers(m.DeleteServersRequest(body=m.DeleteServersRequestBody(
            servers=_ids(sid), delete_publicip=True, delete_volume=True)))
        wait_job(hw, d.job_id)


def test_create_v1_1_two_servers(hw):
    name = f"hw-v11-{uuid.uuid4().hex[:6]}"
    srv = m.PrePaidServer(
        name=name, flavor_ref="s6.small.1", image_ref=IMAGE_UBUNTU,
        vpcid=VPC_ID,
        nics=[m.PrePaidServerNic(subnet_id=SUBNET_ID)],
        root_volume=m.PrePaidServerRootVolume(volumetype="SSD", size=40),
        extendparam=m.PrePaidServerExtendParam(charging_mode="postPaid"),
        availability_zone=AZ, count=2, admin_pass=GOOD_PASS)
    r = hw.create_servers(m.CreateServersRequest(body=m.CreateServersRequestBody(server=srv)))
    assert r.job_id and len(r.server_ids) == 2, r
    ids = list(r.server_ids)
    try:
        raw = assert_job_success_shape(job_ok(hw, r.job_id), r.job_id)
        assert raw["entities"]["sub_jobs_total"] == 2
        assert sorted(j["entities"]["server_id"] for j in raw["entities"]["sub_jobs"]) == sorted(ids)
        for sid in ids:
            s = hw_wait_status(hw, sid, "ACTIVE")
            assert s["image"]["id"] == IMAGE_UBUNTU
            assert s["flavor"]["id"] == "s6.small.1"
            assert s["name"].startswith(name)
        names = {hw_show(hw, i)["name"] for i in ids}
        assert len(names) == 2, f"count=2 servers must get distinct names: {names}"
    finally:
        d = hw.delete_servers(m.DeleteServersRequest(body=m.DeleteServersRequestBody(
            servers=_ids(*ids), delete_publicip=True, delete_volume=True)))
        wait_job(hw, d.job_id)


def test_list_paging_and_filters(hw, hw_servers):
    a, b = hw_servers("page", count=2, flavor="c6.large.2")
    stop(hw, b)
    everything = hw.list_servers_details(m.ListServersDetailsRequest(limit=1000))
    total = everything.count
    assert total >= 2 and total == len(everything.servers)
    p1 = hw.list_servers_details(m.ListServersDetailsRequest(limit=1, offset=1))
    p2 = hw.list_servers_details(m.ListServersDetailsRequest(limit=1, offset=2))
    assert p1.count == total and p2.count == total, "count is the total, not the page size"
    assert len(p1.servers) == 1 and len(p2.servers) == 1
    assert p1.servers[0].id != p2.servers[0].id
    flavored = hw.list_servers_details(m.ListServersDetailsRequest(flavor="c6.large.2", limit=1000))
    assert {x.id for x in flavored.servers} >= {a, b}
    assert all(x.flavor.id == "c6.large.2" for x in flavored.servers)
    off = hw.list_servers_details(m.ListServersDetailsRequest(status="SHUTOFF", limit=1000))
    assert b in {x.id for x in off.servers} and a not in {x.id for x in off.servers}


def test_create_rejects_unknown_flavor_and_image(hw):
    for flavor, image in (("no.such.flavor", IMAGE_EULER),
                          ("s6.small.1", "00000000-0000-4000-8000-000000000000")):
        srv = m.PostPaidServer(
            name="hw-bad", flavor_ref=flavor, image_ref=image,
            vpcid=VPC_ID,
            nics=[m.PostPaidServerNic(subnet_id=SUBNET_ID)],
            root_volume=m.PostPaidServerRootVolume(volumetype="SSD", size=40), count=1,
            admin_pass=GOOD_PASS)
        e = hw_error(hw.create_post_paid_servers, m.CreatePostPaidServersRequest(
            body=m.CreatePostPaidServersRequestBody(server=srv)))
        assert e.status_code == 400, (flavor, image, e.status_code, e.error_code)
        assert e.error_code == ("Ecs.0029" if flavor == "no.such.flavor" else "Ecs.0031"), \
            (e.error_code, e.error_msg)


def test_show_unknown_server_404(hw):
    e = hw_error(hw.show_server, m.ShowServerRequest(server_id=str(uuid.uuid4())))
    assert e.status_code == 404
    assert e.error_code == "Ecs.0114", (e.error_code, e.error_msg)
    assert e.request_id, "no X-Request-Id on the error response"


# ---- batch start / stop / reboot -----------------------------------------------------------

def test_batch_stop_start_reboot(hw, hw_servers):
    a, b = hw_servers("batch", count=2)

    job = stop(hw, a, b)
    raw = assert_job_success_shape(job, job.job_id)
    ent = raw["entities"]
    assert ent["sub_jobs_total"] == 2
    subs = ent["sub_jobs"]
    assert sorted(j["entities"]["server_id"] for j in subs) == sorted([a, b])
    assert all(j["status"] == "SUCCESS" for j in subs)
    assert len({j["job_id"] for j in subs}) == 2
    for sid in (a, b):
        assert_state(hw_show(hw, sid), "SHUTOFF", "stopped", 4)

    job = start(hw, a, b)
    assert job.entities.sub_jobs_total == 2
    for sid in (a, b):
        assert_state(hw_show(hw, sid), "ACTIVE", "active", 1)

    for typ in ("SOFT", "HARD"):
        r = hw.batch_reboot_servers(m.BatchRebootServersRequest(
            body=m.BatchRebootServersRequestBody(
                reboot=m.BatchRebootSeversOption(servers=_ids(a, b), type=typ))))
        job = job_ok(hw, r.job_id)
        assert job.entities.sub_jobs_total == 2
        assert sorted(j.entities.server_id for j in job.entities.sub_jobs) == sorted([a, b])
        for sid in (a, b):
            assert_state(hw_show(hw, sid), "ACTIVE", "active", 1)


def test_batch_stop_admits_each_server_on_its_own(hw, hw_servers):
    """One server already stopped: the other one's sub-job still runs and stops it."""
    a, b = hw_servers("batch-mixed", count=2)
    stop(hw, a)
    r = hw.batch_stop_servers(m.BatchStopServersRequest(body=m.BatchStopServersRequestBody(
        os_stop=m.BatchStopServersOption(servers=_ids(a, b)))))
    job = wait_job(hw, r.job_id)
    subs = {j.entities.server_id: j for j in job.entities.sub_jobs}
    assert set(subs) == {a, b}
    assert subs[b].status == "SUCCESS"
    assert_state(hw_show(hw, b), "SHUTOFF", "stopped", 4)
    assert_state(hw_show(hw, a), "SHUTOFF", "stopped", 4)


def test_batch_with_unknown_server(hw):
    r = None
    try:
        r = hw.batch_start_servers(m.BatchStartServersRequest(body=m.BatchStartServersRequestBody(
            os_start=m.BatchStartServersOption(servers=_ids(str(uuid.uuid4()))))))
    except Exception as e:  # noqa: BLE001
        from huaweicloudsdkcore.exceptions import exceptions

        assert isinstance(e, exceptions.ClientRequestException), repr(e)
        assert e.status_code in (400, 404)
        return
    job = wait_job(hw, r.job_id)
    assert job.status == "FAIL", "starting a server that does not exist cannot succeed"


# ---- change OS / reinstall OS ------------------------------------------------------------

def test_changeos_rules_and_results(hw, hw_servers):
    (sid,) = hw_servers("chos", image=IMAGE_EULER)

    # ACTIVE without mode: refused, nothing changes
    e = hw_error(hw.change_server_os_with_cloud_init, m.ChangeServerOsWithCloudInitRequest(
        server_id=sid, body=m.ChangeServerOsWithCloudInitRequestBody(
            os_change=m.ChangeServerOsWithCloudInitOption(imageid=IMAGE_UBUNTU,
                                                          adminpass=GOOD_PASS))))
    assert e.status_code == 400 and e.error_code == "Ecs.0100", (e.status_code, e.error_code)
    s = hw_show(hw, sid)
    assert_state(s, "ACTIVE", "active", 1)
    assert s["image"]["id"] == IMAGE_EULER

    # ACTIVE with withStopServer: ends ACTIVE on the new image
    r = hw.change_server_os_with_cloud_init(m.ChangeServerOsWithCloudInitRequest(
        server_id=sid, body=m.ChangeServerOsWithCloudInitRequestBody(
            os_change=m.ChangeServerOsWithCloudInitOption(imageid=IMAGE_UBUNTU, adminpass=GOOD_PASS,
                                                          mode="withStopServer"))))
    assert r.status_code == 200 and r.job_id
    raw = assert_job_success_shape(job_ok(hw, r.job_id), r.job_id)
    assert raw["entities"].get("server_id") == sid
    s = hw_show(hw, sid)
    assert_state(s, "ACTIVE", "active", 1)
    assert s["image"]["id"] == IMAGE_UBUNTU

    # SHUTOFF, legacy /v1 changeos: stays SHUTOFF on the new image
    stop(hw, sid)
    r = hw.change_server_os_without_cloud_init(m.ChangeServerOsWithoutCloudInitRequest(
        server_id=sid, body=m.ChangeServerOsWithoutCloudInitRequestBody(
            os_change=m.ChangeServerOsWithoutCloudInitOption(imageid=IMAGE_CENTOS,
                                                             adminpass=GOOD_PASS))))
    job_ok(hw, r.job_id)
    s = hw_show(hw, sid)
    assert_state(s, "SHUTOFF", "stopped", 4)
    assert s["image"]["id"] == IMAGE_CENTOS

    # unknown image
    e = hw_error(hw.change_server_os_with_cloud_init, m.ChangeServerOsWithCloudInitRequest(
        server_id=sid, body=m.ChangeServerOsWithCloudInitRequestBody(
            os_change=m.ChangeServerOsWithCloudInitOption(
                imageid="00000000-0000-4000-8000-000000000000", adminpass=GOOD_PASS))))
    assert e.status_code == 400 and e.error_code == "Ecs.0031", (e.status_code, e.error_code)
    assert hw_show(hw, sid)["image"]["id"] == IMAGE_CENTOS

    # unknown server
    e = hw_error(hw.change_server_os_with_cloud_init, m.ChangeServerOsWithCloudInitRequest(
        server_id=str(uuid.uuid4()), body=m.ChangeServerOsWithCloudInitRequestBody(
            os_change=m.ChangeServerOsWithCloudInitOption(imageid=IMAGE_UBUNTU,
                                                          adminpass=GOOD_PASS))))
    assert e.status_code == 404, (e.status_code, e.error_code)


def test_reinstallos_keeps_image(hw, hw_servers):
    (sid,) = hw_servers("reinst", image=IMAGE_CENTOS)

    e = hw_error(hw.reinstall_server_with_cloud_init, m.ReinstallServerWithCloudInitRequest(
        server_id=sid, body=m.ReinstallServerWithCloudInitRequestBody(
            os_reinstall=m.ReinstallServerWithCloudInitOption(adminpass=GOOD_PASS))))
    assert e.status_code == 400 and e.error_code == "Ecs.0100", (e.status_code, e.error_code)
    assert_state(hw_show(hw, sid), "ACTIVE", "active", 1)

    # ACTIVE + withStopServer via /v1: back to ACTIVE, same image
    r = hw.reinstall_server_without_cloud_init(m.ReinstallServerWithoutCloudInitRequest(
        server_id=sid, body=m.ReinstallServerWithoutCloudInitRequestBody(
            os_reinstall=m.ReinstallServerWithoutCloudInitOption(adminpass=GOOD_PASS,
                                                                 mode="withStopServer"))))
    job_ok(hw, r.job_id)
    s = hw_show(hw, sid)
    assert_state(s, "ACTIVE", "active", 1)
    assert s["image"]["id"] == IMAGE_CENTOS

    # SHUTOFF via /v2 with user_data only: stays SHUTOFF
    stop(hw, sid)
    r = hw.reinstall_server_with_cloud_init(m.ReinstallServerWithCloudInitRequest(
        server_id=sid, body=m.ReinstallServerWithCloudInitRequestBody(
            os_reinstall=m.ReinstallServerWithCloudInitOption(
                metadata=m.ReinstallSeverMetadata(user_data="IyEvYmluL2Jhc2gKZWNobyBoaQo=")))))
    job_ok(hw, r.job_id)
    s = hw_show(hw, sid)
    assert_state(s, "SHUTOFF", "stopped", 4)
    assert s["image"]["id"] == IMAGE_CENTOS


# ---- resize ----------------------------------------------------------------------------

def _resize_v1(hw, sid, flavor, mode=None, dry_run=None):
    return hw.resize_post_paid_server(m.ResizePostPaidServerRequest(
        server_id=sid, body=m.ResizePostPaidServerRequestBody(
            resize=m.ResizePostPaidServerOption(flavor_ref=flavor, mode=mode), dry_run=dry_run)))


def _resize_v11(hw, sid, flavor, mode=None, dry_run=None):
    return hw.resize_server(m.ResizeServerRequest(
        server_id=sid, body=m.ResizeServerRequestBody(
            resize=m.ResizePrePaidServerOption(flavor_ref=flavor, mode=mode), dry_run=dry_run)))


def test_resize_v1_requires_stop_and_ends_on_new_flavor(hw, hw_servers):
    (sid,) = hw_servers("rsz1", flavor="s6.small.1")

    e = hw_error(_resize_v1, hw, sid, "s6.medium.2")
    assert e.status_code == 400 and e.error_code == "Ecs.0100", (e.status_code, e.error_code)
    assert hw_show(hw, sid)["flavor"]["id"] == "s6.small.1"

    stop(hw, sid)
    r = _resize_v1(hw, sid, "s6.medium.2")
    assert r.job_id
    raw = assert_job_success_shape(job_ok(hw, r.job_id), r.job_id)
    assert raw["entities"].get("server_id") == sid
    s = hw_show(hw, sid)
    assert_state(s, "SHUTOFF", "stopped", 4)
    assert s["flavor"]["id"] == "s6.medium.2"
    assert s["flavor"]["vcpus"] == "1" and s["flavor"]["ram"] == "2048", s["flavor"]


def test_resize_v1_1_with_stop_server_and_dry_run(hw, hw_servers):
    (sid,) = hw_servers("rsz11", flavor="s6.small.1")

    r = _resize_v11(hw, sid, "s6.large.2", mode="withStopServer", dry_run=True)
    assert r.status_code == 202, r.status_code
    s = hw_show(hw, sid)
    assert s["flavor"]["id"] == "s6.small.1", "dry_run changed the flavor"
    assert_state(s, "ACTIVE", "active", 1)

    r = _resize_v11(hw, sid, "s6.large.2", mode="withStopServer")
    assert r.status_code == 200 and r.job_id
    job_ok(hw, r.job_id)
    s = hw_show(hw, sid)
    assert_state(s, "ACTIVE", "active", 1)
    assert s["flavor"]["id"] == "s6.large.2"
    assert s["flavor"]["vcpus"] == "2" and s["flavor"]["ram"] == "4096"


def test_resize_flavor_rules(hw, hw_servers):
    (sid,) = hw_servers("rszrules", flavor="s6.small.1")
    stop(hw, sid)
    cases = {
        "s6.small.1": ("Ecs.0009", "Ecs.0810"),     # same flavor
        FLAVOR_SOLD_OUT: ("Ecs.0804",),               # sold out
        FLAVOR_ARM: ("Ecs.0804",),                    # arm64 target for an x86 server
        "no.such.flavor": ("Ecs.0029",),
    }
    for flavor, codes in cases.items():
        for fn in (_resize_v1, _resize_v11):
            e = hw_error(fn, hw, sid, flavor)
            assert e.status_code == 400, (fn.__name__, flavor, e.status_code, e.error_code)
            assert e.error_code in codes, (fn.__name__, flavor, e.error_code, e.error_msg)
    s = hw_show(hw, sid)
    assert s["flavor"]["id"] == "s6.small.1"
    assert_state(s, "SHUTOFF", "stopped", 4)


# ---- cold migration -------------------------------------------------------------------

def _dedicated_hint(s):
    hints = s.get("os:scheduler_hints") or {}
    return hints.get("dedicated_host_id") or []


def test_migrate_to_dedicated_host_and_back(hw, hw_servers, project_id):
    (sid,) = hw_servers("migr")
    shared = hw_show(hw, sid)
    assert _dedicated_hint(shared) == []
    shared_host, shared_host_id = shared["OS-EXT-SRV-ATTR:host"], shared["hostId"]

    e = hw_error(hw.migrate_server, m.MigrateServerRequest(
        server_id=sid, body=m.MigrateServerRequestBody(
            migrate=m.MigrateServerOption(dedicated_host_id=DEH_ID))))
    assert e.status_code == 400 and e.error_code == "Ecs.0100", (e.status_code, e.error_code)
    assert hw_show(hw, sid)["OS-EXT-SRV-ATTR:host"] == shared_host

    stop(hw, sid)
    r = hw.migrate_server(m.MigrateServerRequest(server_id=sid, body=m.MigrateServerRequestBody(
        migrate=m.MigrateServerOption(dedicated_host_id=DEH_ID))))
    assert r.job_id
    raw = assert_job_success_shape(job_ok(hw, r.job_id), r.job_id)
    assert raw["entities"].get("server_id") == sid
    on_deh = hw_show(hw, sid)
    assert_state(on_deh, "SHUTOFF", "stopped", 4)
    assert on_deh["OS-EXT-SRV-ATTR:host"] != shared_host
    assert on_deh["hostId"] != shared_host_id
    assert _dedicated_hint(on_deh) == [DEH_ID]
    assert on_deh["os:scheduler_hints"].get("tenancy") in (None, [], ["dedicated"])

    # to the same DeH again
    e = hw_error(hw.migrate_server, m.MigrateServerRequest(
        server_id=sid, body=m.MigrateServerRequestBody(
            migrate=m.MigrateServerOption(dedicated_host_id=DEH_ID))))
    assert e.status_code == 400 and e.error_code == "Ecs.0221", (e.status_code, e.error_code)

    # back to the shared pool the SDK's way: migrate=None sends {}
    r = hw.migrate_server(m.MigrateServerRequest(server_id=sid, body=m.MigrateServerRequestBody(migrate=None)))
    job_ok(hw, r.job_id)
    back = hw_show(hw, sid)
    assert_state(back, "SHUTOFF", "stopped", 4)
    assert back["OS-EXT-SRV-ATTR:host"] != on_deh["OS-EXT-SRV-ATTR:host"]
    assert _dedicated_hint(back) == []

    # and once more, with the documented body {"migrate": null}
    r = hw.migrate_server(m.MigrateServerRequest(server_id=sid, body=m.MigrateServerRequestBody(
        migrate=m.MigrateServerOption(dedicated_host_id=DEH_ID))))
    job_ok(hw, r.job_id)
    assert _dedicated_hint(hw_show(hw, sid)) == [DEH_ID]
    r = hw_post_raw(hw, "/v1/{project_id}/cloudservers/{server_id}/migrate",
                    {"migrate": None}, path_params={"server_id": sid})
    job_ok(hw, r.to_json_object()["job_id"])
    back = hw_show(hw, sid)
    assert_state(back, "SHUTOFF", "stopped", 4)
    assert _dedicated_hint(back) == []

    # it still runs afterwards
    start(hw, sid)
    assert_state(hw_show(hw, sid), "ACTIVE", "active", 1)


# ---- jobs ------------------------------------------------------------------------------

def test_unknown_job(hw):
    e = hw_error(hw.show_job, m.ShowJobRequest(job_id="ff80808288d41e1b018990260955686a"))
    assert e.status_code == 400
    assert e.error_code == "Common.0011", (e.error_code, e.error_msg)


# ---- lock through the native API, signed with AK/SK -----------------------------------

def test_native_lock_visible_in_v1_show(hw, hw_servers):
    (sid,) = hw_servers("lock")
    r = hw_native_action(hw, sid, {"lock": None})
    assert r.status_code == 202
    assert hw_show(hw, sid)["locked"] is True
    r = hw_native_action(hw, sid, {"unlock": None})
    assert r.status_code == 202
    assert hw_show(hw, sid)["locked"] is False


def test_locked_server_refuses_huawei_operations(hw, hw_servers):
    """Once locked, the tenant can no longer run management operations (Ecs.0605)."""
    (sid,) = hw_servers("locked")
    assert hw_native_action(hw, sid, {"lock": {"locked_reason": "change freeze"}}).status_code == 202
    try:
        e = hw_error(_resize_v11, hw, sid, "s6.large.2", mode="withStopServer")
        assert e.status_code == 400 and e.error_code == "Ecs.0605", (e.status_code, e.error_code)
        e = hw_error(hw.change_server_os_with_cloud_init, m.ChangeServerOsWithCloudInitRequest(
            server_id=sid, body=m.ChangeServerOsWithCloudInitRequestBody(
                os_change=m.ChangeServerOsWithCloudInitOption(
                    imageid=IMAGE_UBUNTU, adminpass=GOOD_PASS, mode="withStopServer"))))
        assert e.status_code == 400 and e.error_code == "Ecs.0605", (e.status_code, e.error_code)

        # batch: admitted per server; the locked one's sub-job fails with Ecs.0605
        r = hw.batch_stop_servers(m.BatchStopServersRequest(body=m.BatchStopServersRequestBody(
            os_stop=m.BatchStopServersOption(servers=_ids(sid)))))
        job = wait_job(hw, r.job_id)
        assert job.status == "FAIL"
        (sub,) = job.entities.sub_jobs
        assert sub.status == "FAIL" and sub.error_code == "Ecs.0605", (sub.status, sub.error_code)
        assert sub.entities.server_id == sid

        s = hw_show(hw, sid)
        assert_state(s, "ACTIVE", "active", 1)
        assert s["flavor"]["id"] == "s6.small.1" and s["image"]["id"] == IMAGE_EULER
    finally:
        hw_native_action(hw, sid, {"unlock": None})
    stop(hw, sid)
    assert_state(hw_show(hw, sid), "SHUTOFF", "stopped", 4)


def test_native_actions_signed_with_aksk(hw, hw_servers):
    (sid,) = hw_servers("native")
    r = hw_native_action(hw, sid, {"os-stop": {"type": "HARD"}})
    assert r.status_code == 202
    hw_wait_status(hw, sid, "SHUTOFF")
    r = hw_native_action(hw, sid, {"os-start": {}})
    assert r.status_code == 202
    assert_state(hw_wait_status(hw, sid, "ACTIVE"), "ACTIVE", "active", 1)


# ---- delete ----------------------------------------------------------------------------

def test_delete_servers(hw):
    ids, _ = hw_create(hw, f"hw-del-{uuid.uuid4().hex[:6]}", count=2)
    for sid in ids:
        hw_wait_status(hw, sid, "ACTIVE")
    stop(hw, ids[1])
    r = hw.delete_servers(m.DeleteServersRequest(body=m.DeleteServersRequestBody(
        servers=_ids(*ids), delete_publicip=True, delete_volume=True)))
    assert r.status_code == 200 and r.job_id
    job = job_ok(hw, r.job_id)
    assert job.entities.sub_jobs_total == 2
    for sid in ids:
        e = hw_error(hw.show_server, m.ShowServerRequest(server_id=sid))
        assert e.status_code == 404 and e.error_code == "Ecs.0114", (e.status_code, e.error_code)
    lst = hw.list_servers_details(m.ListServersDetailsRequest(limit=1000))
    assert not set(ids) & {s.id for s in lst.servers}
