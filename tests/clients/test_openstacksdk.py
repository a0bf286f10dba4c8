"""openstacksdk 4.22.0 (conn.compute) against ecsd: the native Nova actions.

os-start, os-stop, reboot SOFT and HARD, resize + confirm, resize + revert, rebuild,
lock with a reason, unlock, waiting with wait_for_server; Nova's 409 texts, 400s,
404s, microversions and os-instance-actions (spec openstack-compute sections 2, 3, 7-9).
"""

from __future__ import annotations

import uuid

import pytest
import requests
from openstack import exceptions as osexc

from conftest import (AZ, FLAVORS, FLAVOR_SOLD_OUT, IMAGE_CENTOS, IMAGE_EULER, IMAGE_UBUNTU,
                      IMAGE_WINDOWS, IMAGES, TIMEOUT, nova_wait)


def _actions(conn, sid):
    return [a.action for a in conn.compute.server_actions(sid)]


def _raw(conn, method, path, mv=None, **kw):
    """A raw request to the compute endpoint with the SDK's token; full control of headers."""
    headers = {"X-Auth-Token": conn.session.get_token(), "Accept": "application/json"}
    if mv:
        headers["OpenStack-API-Version"] = f"compute {mv}"
    headers.update(kw.pop("headers", {}))
    url = conn.compute.get_endpoint().rstrip("/") + path
    return requests.request(method, url, headers=headers, timeout=30, **kw)


# ---- catalog -----------------------------------------------------------------------------

def test_flavors_and_images(conn):
    flavors = {f.id: f for f in conn.compute.flavors(details=True)}
    assert set(FLAVORS) <= set(flavors)
    for name, (vcpus, ram) in FLAVORS.items():
        f = flavors[name]
        assert f.name == name
        assert (f.vcpus, f.ram, f.disk) == (vcpus, ram, 0), (name, f.vcpus, f.ram, f.disk)
    f = conn.compute.get_flavor("c6.xlarge.2")
    assert (f.vcpus, f.ram) == (4, 8192)
    with pytest.raises(osexc.NotFoundException):
        conn.compute.get_flavor("no.such.flavor")

    images = {i.id: i for i in conn.image.images()}
    for iid, name in IMAGES.items():
        assert iid in images, f"image {iid} missing"
        assert images[iid].name == name
    win = conn.image.get_image(IMAGE_WINDOWS)
    assert (win.min_disk, win.min_ram) == (40, 2048)


def test_availability_zone_and_create_request_id(conn):
    body = {"server": {"name": f"raw-{uuid.uuid4().hex[:6]}", "imageRef": IMAGE_EULER,
                       "flavorRef": "s6.small.1", "networks": "auto"}}
    r = _raw(conn, "POST", "/servers", mv="2.73", json=body)
    assert r.status_code == 202, r.text
    assert r.headers.get("x-openstack-request-id", "").startswith("req-")
    sid = r.json()["server"]["id"]
    try:
        s = conn.compute.wait_for_server(conn.compute.get_server(sid), status="ACTIVE",
                                         interval=1, wait=TIMEOUT)
        assert s.availability_zone == AZ
        assert s.vm_state == "active" and s.power_state == 1
        assert "create" in _actions(conn, sid)
    finally:
        conn.compute.delete_server(sid, ignore_missing=True)


# ---- stop / start ------------------------------------------------------------------------

def test_stop_start_and_conflicts(conn, nova_servers):
    s = nova_servers()
    sid = s.id

    conn.compute.stop_server(s)
    s = conn.compute.wait_for_server(s, status="SHUTOFF", interval=1, wait=TIMEOUT)
    s = nova_wait(conn, sid, "SHUTOFF")
    assert s.vm_state == "stopped" and s.power_state == 4

    with pytest.raises(osexc.ConflictException) as ei:
        conn.compute.stop_server(sid)
    assert ei.value.status_code == 409
    assert f"Cannot 'stop' instance {sid} while it is in vm_state stopped" in str(ei.value)

    with pytest.raises(osexc.ConflictException) as ei:
        conn.compute.reboot_server(sid, "SOFT")
    assert f"Cannot 'reboot' instance {sid} while it is in vm_state stopped" in str(ei.value)

    conn.compute.start_server(s)
    s = conn.compute.wait_for_server(s, status="ACTIVE", interval=1, wait=TIMEOUT)
    s = nova_wait(conn, sid, "ACTIVE")
    assert s.vm_state == "active" and s.power_state == 1

    with pytest.raises(osexc.ConflictException) as ei:
        conn.compute.start_server(sid)
    assert f"Cannot 'start' instance {sid} while it is in vm_state active" in str(ei.value)

    with pytest.raises(osexc.ConflictException) as ei:
        conn.compute.confirm_server_resize(sid)
    assert f"Cannot 'confirmResize' instance {sid} while it is in vm_state active" in str(ei.value)

    acts = _actions(conn, sid)
    assert acts[:2] == ["start", "stop"], f"newest first: {acts}"
    assert acts[-1] == "create"


# ---- reboot -----------------------------------------------------------------------------

def test_reboot_soft_and_hard(conn, nova_servers):
    s = nova_servers()
    sid = s.id
    conn.compute.reboot_server(s, "SOFT")
    s = nova_wait(conn, sid, "ACTIVE")
    assert s.vm_state == "active" and s.power_state == 1
    assert _actions(conn, sid)[0] == "reboot"

    conn.compute.reboot_server(s, "HARD")
    s = nova_wait(conn, sid, "ACTIVE")
    assert _actions(conn, sid)[:2] == ["reboot", "reboot"]

    # HARD reboot of a stopped server ends ACTIVE
    conn.compute.stop_server(s)
    s = conn.compute.wait_for_server(s, status="SHUTOFF", interval=1, wait=TIMEOUT)
    conn.compute.reboot_server(s, "HARD")
    s = conn.compute.wait_for_server(s, status="ACTIVE", interval=1, wait=TIMEOUT)
    s = nova_wait(conn, sid, "ACTIVE")
    assert s.power_state == 1

    reboots = [a for a in conn.compute.server_actions(sid) if a.action == "reboot"]
    assert len(reboots) == 3
    detail = conn.compute.get_server_action(reboots[0].request_id, sid)
    assert detail.action == "reboot"
    assert detail.events, "no events recorded for the reboot"
    assert all(e.finish_time and e.result == "Success" for e in detail.events), \
        [(e.event, e.result) for e in detail.events]


# ---- resize -----------------------------------------------------------------------------

def test_resize_confirm(conn, nova_servers):
    s = nova_servers(flavor="s6.small.1")
    sid = s.id
    conn.compute.resize_server(s, "s6.large.2")
    s = conn.compute.wait_for_server(s, status="VERIFY_RESIZE", interval=1, wait=TIMEOUT)
    s = nova_wait(conn, sid, "VERIFY_RESIZE")
    assert s.vm_state == "resized"
    assert s.flavor.name == "s6.large.2", "VERIFY_RESIZE shows the new flavor"
    assert (s.flavor.vcpus, s.flavor.ram) == (2, 4096)

    conn.compute.confirm_server_resize(s)
    s = conn.compute.wait_for_server(s, status="ACTIVE", interval=1, wait=TIMEOUT)
    s = nova_wait(conn, sid, "ACTIVE")
    assert s.vm_state == "active" and s.power_state == 1
    assert s.flavor.name == "s6.large.2"

    acts = _actions(conn, sid)
    assert acts[:2] == ["confirmResize", "resize"], acts

    # confirming again: nothing to confirm
    with pytest.raises(osexc.ConflictException):
        conn.compute.confirm_server_resize(sid)


def test_resize_revert(conn, nova_servers):
    s = nova_servers(flavor="s6.small.1")
    sid = s.id
    conn.compute.resize_server(s, "c6.large.2")
    s = conn.compute.wait_for_server(s, status="VERIFY_RESIZE", interval=1, wait=TIMEOUT)
    assert nova_wait(conn, sid, "VERIFY_RESIZE").flavor.name == "c6.large.2"

    conn.compute.revert_server_resize(s)
    s = conn.compute.wait_for_server(s, status="ACTIVE", interval=1, wait=TIMEOUT)
    s = nova_wait(conn, sid, "ACTIVE")
    assert s.flavor.name == "s6.small.1"
    assert (s.flavor.vcpus, s.flavor.ram) == (1, 1024)
    assert _actions(conn, sid)[:2] == ["revertResize", "resize"]


def test_resize_of_stopped_server_stays_off(conn, nova_servers):
    s = nova_servers(flavor="s6.small.1")
    sid = s.id
    conn.compute.stop_server(s)
    s = conn.compute.wait_for_server(s, status="SHUTOFF", interval=1, wait=TIMEOUT)
    conn.compute.resize_server(s, "s6.medium.2")
    s = conn.compute.wait_for_server(s, status="VERIFY_RESIZE", interval=1, wait=TIMEOUT)
    s = nova_wait(conn, sid, "VERIFY_RESIZE")
    assert s.power_state == 4
    conn.compute.confirm_server_resize(s)
    s = conn.compute.wait_for_server(s, status="SHUTOFF", interval=1, wait=TIMEOUT)
    s = nova_wait(conn, sid, "SHUTOFF")
    assert s.vm_state == "stopped" and s.flavor.name == "s6.medium.2"


def test_resize_bad_flavors(conn, nova_servers):
    s = nova_servers(flavor="s6.small.1")
    sid = s.id
    with pytest.raises(osexc.BadRequestException) as ei:
        conn.compute.resize_server(sid, "s6.small.1")
    assert "When resizing, instances must change flavor!" in str(ei.value)
    with pytest.raises(osexc.BadRequestException) as ei:
        conn.compute.resize_server(sid, "no.such.flavor")
    assert "Flavor no.such.flavor could not be found." in str(ei.value)
    with pytest.raises(osexc.BadRequestException):
        conn.compute.resize_server(sid, FLAVOR_SOLD_OUT)
    s = nova_wait(conn, sid, "ACTIVE")
    assert s.flavor.name == "s6.small.1"
    assert "resize" not in _actions(conn, sid)


# ---- rebuild ----------------------------------------------------------------------------

def test_rebuild(conn, nova_servers):
    s = nova_servers(image=IMAGE_EULER)
    sid = s.id
    addresses_before = s.addresses
    r = conn.compute.rebuild_server(s, IMAGE_UBUNTU, name="rebuilt-by-sdk",
                                    metadata={"purpose": "e2e"})
    assert r.id == sid
    assert r.image.id == IMAGE_UBUNTU
    assert r.name == "rebuilt-by-sdk"
    r = conn.compute.wait_for_server(r, status="ACTIVE", interval=1, wait=TIMEOUT)
    s = nova_wait(conn, sid, "ACTIVE")
    assert s.image.id == IMAGE_UBUNTU
    assert s.name == "rebuilt-by-sdk"
    assert s.metadata == {"purpose": "e2e"}
    assert s.addresses == addresses_before, "rebuild must keep the addresses"
    assert _actions(conn, sid)[0] == "rebuild"

    # from SHUTOFF: ends SHUTOFF
    conn.compute.stop_server(s)
    s = conn.compute.wait_for_server(s, status="SHUTOFF", interval=1, wait=TIMEOUT)
    conn.compute.rebuild_server(s, IMAGE_CENTOS)
    s = nova_wait(conn, sid, "SHUTOFF")
    assert s.image.id == IMAGE_CENTOS and s.power_state == 4

    with pytest.raises(osexc.BadRequestException) as ei:
        conn.compute.rebuild_server(sid, "00000000-0000-4000-8000-000000000000")
    assert "Cannot find image for rebuild" in str(ei.value)
    with pytest.raises(osexc.BadRequestException):
        conn.compute.rebuild_server(sid, "not-a-uuid")
    assert nova_wait(conn, sid, "SHUTOFF").image.id == IMAGE_CENTOS


# ---- lock / unlock ------------------------------------------------------------------------

def test_lock_with_reason_and_unlock(conn, nova_servers):
    s = nova_servers()
    sid = s.id
    assert s.is_locked is False and s.locked_reason is None

    conn.compute.lock_server(s, locked_reason="maintenance window")
    s = conn.compute.get_server(sid)
    assert s.is_locked is True
    assert s.locked_reason == "maintenance window"
    assert s.status == "ACTIVE"

    # ecsd follows Huawei: a locked server refuses management operations for its tenant
    with pytest.raises(osexc.ConflictException) as ei:
        conn.compute.stop_server(sid)
    assert f"Instance {sid} is locked" in str(ei.value)
    with pytest.raises(osexc.ConflictException):
        conn.compute.reboot_server(sid, "HARD")
    assert nova_wait(conn, sid, "ACTIVE").is_locked is True

    conn.compute.unlock_server(s)
    s = conn.compute.get_server(sid)
    assert s.is_locked is False
    assert s.locked_reason is None

    conn.compute.lock_server(s)
    s = conn.compute.get_server(sid)
    assert s.is_locked is True and s.locked_reason is None
    conn.compute.unlock_server(s)
    assert conn.compute.get_server(sid).is_locked is False

    acts = _actions(conn, sid)
    assert acts[:4] == ["unlock", "lock", "unlock", "lock"], acts

    # at microversion 2.60 (Huawei's maximum) there is `locked` but no `locked_reason`
    r = _raw(conn, "GET", f"/servers/{sid}", mv="2.60")
    assert r.status_code == 200
    assert "locked" in r.json()["server"] and "locked_reason" not in r.json()["server"]


def test_lock_body_validation(conn, nova_servers):
    s = nova_servers()
    r = _raw(conn, "POST", f"/servers/{s.id}/action", mv="2.73", json={"lock": "whatever"})
    assert r.status_code == 400, r.text
    r = _raw(conn, "POST", f"/servers/{s.id}/action", mv="2.73",
             json={"lock": {"locked_reason": ""}})
    assert r.status_code == 400, r.text
    assert conn.compute.get_server(s.id).is_locked is False


# ---- errors and microversions ------------------------------------------------------------

def test_unknown_action_missing_server_and_bad_bodies(conn, nova_servers):
    s = nova_servers()
    r = _raw(conn, "POST", f"/servers/{s.id}/action", json={"foo": None})
    assert r.status_code == 400
    assert r.json()["badRequest"]["message"] == "There is no such action: foo"

    r = _raw(conn, "POST", f"/servers/{s.id}/action", json={"reboot": {"type": "FOO"}})
    assert r.status_code == 400
    assert "badRequest" in r.json()

    r = _raw(conn, "POST", f"/servers/{s.id}/action", data=b"{not json",
             headers={"Content-Type": "application/json"})
    assert r.status_code == 400

    missing = str(uuid.uuid4())
    r = _raw(conn, "POST", f"/servers/{missing}/action", json={"os-stop": None})
    assert r.status_code == 404
    assert r.json()["itemNotFound"]["code"] == 404
    with pytest.raises(osexc.NotFoundException):
        conn.compute.get_server(missing)
    with pytest.raises(osexc.NotFoundException):
        conn.compute.reboot_server(missing, "HARD")

    # nothing happened to the real server
    s2 = nova_wait(conn, s.id, "ACTIVE")
    assert _actions(conn, s2.id) == ["create"]


def test_microversion_negotiation(conn, nova_servers):
    s = nova_servers()
    r = _raw(conn, "GET", f"/servers/{s.id}", mv="2.73")
    assert r.status_code == 200
    assert r.headers.get("OpenStack-API-Version") == "compute 2.73"
    body = r.json()["server"]
    assert "locked_reason" in body and body["locked"] is False
    assert body["flavor"]["original_name"] == "s6.small.1"

    r = _raw(conn, "GET", f"/servers/{s.id}")   # no header: 2.1
    assert r.status_code == 200
    body = r.json()["server"]
    assert "locked" not in body
    assert body["flavor"]["id"] == "s6.small.1"

    r = _raw(conn, "GET", f"/servers/{s.id}", headers={"X-OpenStack-Nova-API-Version": "2.9"})
    assert r.status_code == 200 and "locked" in r.json()["server"]

    assert _raw(conn, "GET", f"/servers/{s.id}", mv="2.999").status_code == 406
    assert _raw(conn, "GET", f"/servers/{s.id}", mv="2.a").status_code == 400


# ---- instance actions and delete ------------------------------------------------------------

def test_instance_actions_record_every_action(conn, nova_servers):
    s = nova_servers()
    sid = s.id
    conn.compute.stop_server(s)
    s = conn.compute.wait_for_server(s, status="SHUTOFF", interval=1, wait=TIMEOUT)
    conn.compute.start_server(s)
    s = conn.compute.wait_for_server(s, status="ACTIVE", interval=1, wait=TIMEOUT)
    conn.compute.lock_server(s, locked_reason="r")
    conn.compute.unlock_server(s)
    acts = list(conn.compute.server_actions(sid))
    names = [a.action for a in acts]
    assert names == ["unlock", "lock", "start", "stop", "create"], names
    for a in acts:
        assert a.request_id.startswith("req-")
        assert a.start_time
    stop_action = conn.compute.get_server_action(acts[3].request_id, sid)
    assert stop_action.action == "stop"
    assert "compute_stop_instance" in [e.event for e in stop_action.events]
    with pytest.raises(osexc.NotFoundException):
        conn.compute.get_server_action("req-" + str(uuid.uuid4()), sid, ignore_missing=False)


def test_delete(conn):
    s = conn.compute.create_server(name=f"sdk-del-{uuid.uuid4().hex[:6]}", image_id=IMAGE_EULER,
                                   flavor_id="s6.small.1", networks="auto")
    s = conn.compute.wait_for_server(s, status="ACTIVE", interval=1, wait=TIMEOUT)
    conn.compute.delete_server(s)
    conn.compute.wait_for_delete(s, interval=1, wait=TIMEOUT)
    with pytest.raises(osexc.NotFoundException):
        conn.compute.get_server(s.id)
    assert s.id not in {x.id for x in conn.compute.servers()}


# ---- transitions, seen on a daemon whose simulated steps take time -------------------------

def _seen_statuses(conn, sid, until, timeout=TIMEOUT):
    """Poll fast and collect every (status, task_state) until `until` with no task."""
    import time

    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = conn.compute.get_server(sid)
        pair = (s.status, s.task_state)
        if not seen or seen[-1] != pair:
            seen.append(pair)
        if s.status == until and not s.task_state:
            return seen
        time.sleep(0.02)
    raise AssertionError(f"never reached {until}: {seen}")


@pytest.fixture(scope="module")
def slow_conn(tmp_path_factory):
    import openstack

    from conftest import Ecsd

    base = tmp_path_factory.mktemp("ecsd-slow")
    d = Ecsd(base / "data", base / "ecsd.log", sim_step_ms="300").start()
    c = d.credentials()
    conn = openstack.connect(
        load_yaml_config=False, load_envvars=False, auth_url=c["OS_AUTH_URL"],
        username=c["OS_USERNAME"], password=c["OS_PASSWORD"], project_id=c["OS_PROJECT_ID"],
        user_domain_name=c["OS_USER_DOMAIN_NAME"], region_name=c["OS_REGION_NAME"],
        identity_api_version="3")
    yield conn
    conn.close()
    d.stop()


def test_transitional_states_are_visible(slow_conn):
    conn = slow_conn
    s = conn.compute.create_server(name="slow", image_id=IMAGE_EULER, flavor_id="s6.small.1",
                                   networks="auto")
    sid = s.id
    seen = _seen_statuses(conn, sid, "ACTIVE")
    assert seen[0][0] == "BUILD", seen

    conn.compute.stop_server(sid)
    with pytest.raises(osexc.ConflictException) as ei:
        conn.compute.stop_server(sid)
    assert (f"Cannot 'stop' instance {sid} while it is in task_state powering-off"
            in str(ei.value))
    seen = _seen_statuses(conn, sid, "SHUTOFF")
    assert ("ACTIVE", "powering-off") in seen, seen

    conn.compute.start_server(sid)
    seen = _seen_statuses(conn, sid, "ACTIVE")
    assert ("SHUTOFF", "powering-on") in seen, seen

    conn.compute.reboot_server(sid, "SOFT")
    seen = _seen_statuses(conn, sid, "ACTIVE")
    assert "REBOOT" in [st for st, _ in seen], seen

    conn.compute.reboot_server(sid, "HARD")
    seen = _seen_statuses(conn, sid, "ACTIVE")
    assert "HARD_REBOOT" in [st for st, _ in seen], seen

    conn.compute.resize_server(sid, "s6.medium.2")
    seen = _seen_statuses(conn, sid, "VERIFY_RESIZE")
    assert "RESIZE" in [st for st, _ in seen], seen
    conn.compute.revert_server_resize(sid)
    seen = _seen_statuses(conn, sid, "ACTIVE")
    assert "REVERT_RESIZE" in [st for st, _ in seen], seen

    conn.compute.rebuild_server(sid, IMAGE_UBUNTU)
    seen = _seen_statuses(conn, sid, "ACTIVE")
    assert "REBUILD" in [st for st, _ in seen], seen
    conn.compute.delete_server(sid)
    conn.compute.wait_for_delete(s, interval=0.2, wait=TIMEOUT)


# ---- listing -----------------------------------------------------------------------------

def test_list_pages_follow_the_next_links(conn, nova_servers):
    mine = {nova_servers(name=f"page-{uuid.uuid4().hex[:6]}").id for _ in range(3)}
    # The SDK follows servers_links page by page: every server once.
    paged = [s.id for s in conn.compute.servers(details=False, limit=1)]
    assert len(paged) == len(set(paged)), "a server appeared on two pages"
    assert mine <= set(paged)
    assert set(paged) == {s.id for s in conn.compute.servers(details=True)}
    # One raw page: exactly `limit` servers and a next link from the last.
    r = _raw(conn, "GET", "/servers?limit=2")
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["servers"]) == 2
    assert body["servers_links"][0]["rel"] == "next"
    assert f"marker={body['servers'][-1]['id']}" in body["servers_links"][0]["href"]
    # A filter applies across pages: the name filter on a page of one.
    one = next(iter(mine))
    name = conn.compute.get_server(one).name
    assert [s.id for s in conn.compute.servers(name=name, limit=1)] == [one]
