"""Images through the real clients: openstacksdk and the `openstack` CLI capture a server into a
private image and boot and rebuild from it; huaweicloudsdkims does the same through IMS and
Glance. (That another project never sees a private image is checked through the router.)
"""

from __future__ import annotations

import uuid

import pytest

from conftest import GOOD_PASS, huawei_client, hw_error, hw_wait_status, job_ok, nova_wait


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def ims(creds):
    from huaweicloudsdkims.v2 import ImsClient

    return huawei_client(ImsClient, creds)


def test_openstacksdk_server_image_boots_a_new_server(conn, nova_servers):
    server = nova_servers()
    image = conn.compute.create_server_image(server, _name("snap"), metadata={"team": "ci"},
                                             wait=True, timeout=60)
    try:
        assert image.status == "active" and image.visibility == "private"
        assert image.properties.get("team") == "ci" or getattr(image, "team", None) == "ci"
        nova_wait(conn, server.id, "ACTIVE")
        mine = [i.id for i in conn.image.images(visibility="private")]
        assert image.id in mine
        # A server from the image, then a rebuild of the first one onto it.
        booted = conn.compute.create_server(name=_name("from-snap"), image_id=image.id,
                                            flavor_id="s6.small.1", networks="auto")
        conn.compute.wait_for_server(booted, status="ACTIVE", interval=1, wait=60)
        assert conn.compute.get_server(booted.id).image.id == image.id
        conn.compute.delete_server(booted)
        conn.compute.rebuild_server(server, image=image.id)
        rebuilt = nova_wait(conn, server.id, "ACTIVE")
        assert rebuilt.image.id == image.id
        conn.image.update_image(image, name="renamed", min_ram=512)
        assert conn.image.get_image(image.id).name == "renamed"
    finally:
        conn.image.delete_image(image, ignore_missing=True)


def test_openstack_cli_server_image_create_and_image_set(cli, nova_servers):
    server = nova_servers()
    name = _name("cli-snap")
    made = cli.json("server", "image", "create", "--name", name, "--wait", server.id)
    assert made["name"] == name and made["status"] == "active", made
    try:
        cli.run("image", "set", "--property", "purpose=ci", "--min-disk", "50", name)
        shown = cli.json("image", "show", name)
        assert shown["min_disk"] == 50 and shown["properties"]["purpose"] == "ci", shown
        listed = [i["Name"] for i in cli.json("image", "list", "--private")]
        assert name in listed
        cli.run("server", "rebuild", "--image", name, "--wait", server.id)
        assert cli.wait_status(server.id, "ACTIVE")["image"].startswith(name)
        cli.run("image", "set", "--protected", name)
        p = cli.run("image", "delete", name, check=False)
        assert p.returncode != 0, "a protected image is not deleted"
        cli.run("image", "set", "--unprotected", name)
    finally:
        cli.run("image", "delete", name, check=False)
    assert name not in [i["Name"] for i in cli.json("image", "list")]


def test_huawei_ims_image_from_a_server_and_change_os_onto_it(ims, hw, hw_servers):
    from huaweicloudsdkecs.v2 import model as em
    from huaweicloudsdkims.v2 import model as im

    (sid,) = hw_servers("hw-ims")
    name = _name("ims")
    r = ims.create_image(im.CreateImageRequest(body=im.CreateImageRequestBody(
        name=name, instance_id=sid, description="golden")))
    # The capture runs as a job on the server; IMS's job query is ECS's.
    job_ok(hw, r.job_id)
    job = ims.show_job(im.ShowJobRequest(job_id=r.job_id))
    assert job.status == "SUCCESS" and job.entities.image_name == name, job
    image_id = job.entities.image_id
    listed = ims.list_images(im.ListImagesRequest(imagetype="private", name=name)).images
    assert len(listed) == 1, listed
    image = listed[0]
    assert image.id == image_id
    assert (image.status, image.visibility, image.imagetype) == ("active", "private", "private")
    assert image.min_disk == 40 and image.protected is False and image.description == "golden"

    updated = ims.update_image(im.UpdateImageRequest(image_id=image.id, body=[
        im.UpdateImageRequestBody(op="replace", path="/name", value=name + "-v2")]))
    assert updated.name == name + "-v2"
    shown = ims.glance_show_image(im.GlanceShowImageRequest(image_id=image.id))
    assert shown.name == name + "-v2" and shown.min_disk == 40

    # Change the server's OS onto the private image.
    hw_wait_status(hw, sid, "ACTIVE")
    r = hw.change_server_os_with_cloud_init(em.ChangeServerOsWithCloudInitRequest(
        server_id=sid, body=em.ChangeServerOsWithCloudInitRequestBody(
            os_change=em.ChangeServerOsWithCloudInitOption(imageid=image.id, adminpass=GOOD_PASS,
                                                           mode="withStopServer"))))
    job_ok(hw, r.job_id)
    assert hw_wait_status(hw, sid, "ACTIVE")["image"]["id"] == image.id

    ims.glance_delete_image(im.GlanceDeleteImageRequest(image_id=image.id))
    e = hw_error(ims.update_image, im.UpdateImageRequest(image_id=image.id, body=[
        im.UpdateImageRequestBody(op="replace", path="/name", value="gone")]))
    assert e.status_code == 400 and e.error_code == "IMG.0027", e


def test_huawei_ims_lists_the_region_images(ims):
    from huaweicloudsdkims.v2 import model as im

    gold = ims.list_images(im.ListImagesRequest(imagetype="gold", os_type="Linux")).images
    assert {"EulerOS 2.5 64bit", "Ubuntu 22.04 server 64bit"} <= {i.name for i in gold}
    assert all(i.imagetype == "gold" and i.visibility == "public" for i in gold)
