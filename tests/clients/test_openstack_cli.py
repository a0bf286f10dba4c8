"""The `openstack` CLI (python-openstackclient 10.5.0) through the generated clouds.yaml.

Every command runs as `openstack --os-cloud ecsd ...` with OS_CLIENT_CONFIG_FILE pointing at
<data>/clouds.yaml and no other OS_* variable; the state after each step is read back with
`openstack server show -f json`.
"""

from __future__ import annotations

import uuid

import pytest

from conftest import IMAGE_CENTOS, IMAGE_EULER, IMAGE_UBUNTU, IMAGES


def _flavor_name(show: dict) -> str:
    f = show["flavor"]
    # microversion >= 2.47: the embedded flavor dict; before: "name (id)"
    return f["original_name"] if isinstance(f, dict) else f.split(" ")[0]


@pytest.fixture
def cli_server(cli):
    created = []

    def make(flavor="s6.small.1", image=IMAGE_EULER):
        name = f"cli-{uuid.uuid4().hex[:6]}"
        s = cli.json("server", "create", "--image", image, "--flavor", flavor,
                     "--nic", "auto", "--wait", name)
        created.append(s["id"])
        assert s["name"] == name
        assert s["status"] == "ACTIVE", s["status"]
        return s["id"]

    yield make
    for sid in created:
        cli.run("server", "delete", sid, check=False)


def test_create_show_list_delete(cli):
    name = f"cli-{uuid.uuid4().hex[:6]}"
    s = cli.json("server", "create", "--image", IMAGE_EULER, "--flavor", "s6.small.1",
                 "--nic", "auto", "--wait", name)
    sid = s["id"]
    try:
        shown = cli.show(sid)
        assert shown["status"] == "ACTIVE"
        assert shown["OS-EXT-STS:vm_state"] == "active"
        assert shown["OS-EXT-STS:power_state"] == 1
        assert shown["image"] == f"{IMAGES[IMAGE_EULER]} ({IMAGE_EULER})"
        assert _flavor_name(shown) == "s6.small.1"
        assert shown["locked"] is False
        assert shown["OS-EXT-AZ:availability_zone"] == "local-1a"
        # lookup by name works too
        assert cli.show(name)["id"] == sid

        rows = cli.json("server", "list")
        mine = [r for r in rows if r["ID"] == sid]
        assert len(mine) == 1 and mine[0]["Name"] == name and mine[0]["Status"] == "ACTIVE"
    finally:
        cli.run("server", "delete", "--wait", sid)
    p = cli.run("server", "show", sid, check=False)
    assert p.returncode != 0
    assert "No Server found" in p.stderr or "could not be found" in p.stderr, p.stderr
    assert sid not in [r["ID"] for r in cli.json("server", "list")]


def test_stop_start_reboot(cli, cli_server):
    sid = cli_server()
    cli.run("server", "stop", sid)
    s = cli.wait_status(sid, "SHUTOFF")
    assert s["OS-EXT-STS:vm_state"] == "stopped"
    assert s["OS-EXT-STS:power_state"] == 4

    p = cli.run("server", "stop", sid, check=False)
    assert p.returncode != 0
    assert f"Cannot 'stop' instance {sid} while it is in vm_state stopped" in p.stderr, p.stderr
    assert "409" in p.stderr, p.stderr

    cli.run("server", "start", sid)
    s = cli.wait_status(sid, "ACTIVE")
    assert s["OS-EXT-STS:power_state"] == 1

    cli.run("server", "reboot", "--wait", sid)
    s = cli.wait_status(sid, "ACTIVE")
    cli.run("server", "reboot", "--hard", "--wait", sid)
    s = cli.wait_status(sid, "ACTIVE")
    assert s["OS-EXT-STS:vm_state"] == "active"

    events = cli.json("server", "event", "list", sid)
    actions = [e["Action"] for e in events]
    assert actions[:4] == ["reboot", "reboot", "start", "stop"], actions


def test_resize_confirm_and_revert(cli, cli_server):
    sid = cli_server(flavor="s6.small.1")

    cli.run("server", "resize", "--flavor", "s6.large.2", "--wait", sid)
    s = cli.wait_status(sid, "VERIFY_RESIZE")
    assert s["OS-EXT-STS:vm_state"] == "resized"
    assert _flavor_name(s) == "s6.large.2"
    cli.run("server", "resize", "confirm", sid)
    s = cli.wait_status(sid, "ACTIVE")
    assert _flavor_name(s) == "s6.large.2"

    cli.run("server", "resize", "--flavor", "c6.xlarge.2", "--wait", sid)
    s = cli.wait_status(sid, "VERIFY_RESIZE")
    assert _flavor_name(s) == "c6.xlarge.2"
    cli.run("server", "resize", "revert", sid)
    s = cli.wait_status(sid, "ACTIVE")
    assert _flavor_name(s) == "s6.large.2"

    p = cli.run("server", "resize", "--flavor", "s6.large.2", sid, check=False)
    assert p.returncode != 0
    assert "When resizing, instances must change flavor!" in p.stderr, p.stderr


def test_rebuild(cli, cli_server):
    sid = cli_server(image=IMAGE_EULER)
    cli.run("server", "rebuild", "--image", IMAGE_UBUNTU, "--wait", sid)
    s = cli.wait_status(sid, "ACTIVE")
    assert s["image"] == f"{IMAGES[IMAGE_UBUNTU]} ({IMAGE_UBUNTU})"

    cli.run("server", "stop", sid)
    cli.wait_status(sid, "SHUTOFF")
    cli.run("server", "rebuild", "--image", IMAGE_CENTOS, "--wait", sid)
    s = cli.wait_status(sid, "SHUTOFF")
    assert s["image"] == f"{IMAGES[IMAGE_CENTOS]} ({IMAGE_CENTOS})"


def test_lock_unlock(cli, cli_server):
    sid = cli_server()
    cli.run("server", "lock", "--reason", "audit freeze", sid)
    s = cli.show(sid)
    assert s["locked"] is True
    assert s["locked_reason"] == "audit freeze"
    assert s["status"] == "ACTIVE"

    p = cli.run("server", "stop", sid, check=False)
    assert p.returncode != 0
    assert f"Instance {sid} is locked" in p.stderr, p.stderr
    assert cli.show(sid)["status"] == "ACTIVE"

    cli.run("server", "unlock", sid)
    s = cli.show(sid)
    assert s["locked"] is False
    assert s.get("locked_reason") in (None, "")
    cli.run("server", "stop", sid)
    assert cli.wait_status(sid, "SHUTOFF")["locked"] is False
