"""Volumes through the real clients: huaweicloudsdkevs disks attached with the ECS SDK,
openstacksdk's volume attachments, and the `openstack` CLI's `server add volume`.
"""

from __future__ import annotations

import uuid

import pytest

from conftest import AZ, huawei_client, hw_error, job_ok


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def evs(creds):
    from huaweicloudsdkevs.v2 import EvsClient

    return huawei_client(EvsClient, creds)


def _evs_job(evs, job_id: str):
    from huaweicloudsdkevs.v2 import model as vm

    job = evs.show_job(vm.ShowJobRequest(job_id=job_id))
    assert job.status == "SUCCESS", job
    return job


def test_huawei_disk_made_attached_expanded_and_removed(evs, hw, hw_servers):
    from huaweicloudsdkecs.v2 import model as em
    from huaweicloudsdkevs.v2 import model as vm

    name = _name("disk")
    made = evs.create_volume(vm.CreateVolumeRequest(body=vm.CreateVolumeRequestBody(
        volume=vm.CreateVolumeOption(availability_zone=AZ, volume_type="GPSSD", size=10, name=name))))
    assert len(made.volume_ids) == 1
    disk = made.volume_ids[0]
    job = _evs_job(evs, made.job_id)
    assert job.job_type == "createVolume" and job.entities.volume_id == disk
    shown = evs.show_volume(vm.ShowVolumeRequest(volume_id=disk)).volume
    assert (shown.status, shown.size, shown.volume_type, shown.bootable) == ("available", 10, "GPSSD", "false")
    assert shown.multiattach is False and shown.availability_zone == AZ
    listed = evs.list_volumes(vm.ListVolumesRequest(name=name))
    assert listed.count == 1 and [v.id for v in listed.volumes] == [disk]
    evs.update_volume(vm.UpdateVolumeRequest(volume_id=disk, body=vm.UpdateVolumeRequestBody(
        volume=vm.UpdateVolumeOption(description="logs"))))
    assert evs.show_volume(vm.ShowVolumeRequest(volume_id=disk)).volume.description == "logs"

    # Attached through ECS: a job, then the server lists it and the disk is in use.
    (sid,) = hw_servers("hw-disk")
    r = hw.attach_server_volume(em.AttachServerVolumeRequest(
        server_id=sid, body=em.AttachServerVolumeRequestBody(
            volume_attachment=em.AttachServerVolumeOption(volume_id=disk))))
    job_ok(hw, r.job_id)
    devices = hw.list_server_block_devices(em.ListServerBlockDevicesRequest(server_id=sid))
    attached = {d.volume_id: d for d in devices.volume_attachments}
    assert disk in attached and attached[disk].device.startswith("/dev/vd"), devices
    one = hw.show_server_block_device(em.ShowServerBlockDeviceRequest(server_id=sid, volume_id=disk))
    assert one.volume_attachment.size == 10
    shown = evs.show_volume(vm.ShowVolumeRequest(volume_id=disk)).volume
    assert shown.status == "in-use" and shown.attachments[0].server_id == sid

    # A second attach of the same disk, and deleting it while held, are refused.
    e = hw_error(hw.attach_server_volume, em.AttachServerVolumeRequest(
        server_id=sid, body=em.AttachServerVolumeRequestBody(
            volume_attachment=em.AttachServerVolumeOption(volume_id=disk))))
    assert e.status_code == 400 and e.error_code == "Ecs.0057", e
    e = hw_error(evs.delete_volume, vm.DeleteVolumeRequest(volume_id=disk))
    assert e.status_code == 400 and e.error_code == "EVS.1046", e

    # Expanded while attached, then detached and deleted.
    r = evs.resize_volume(vm.ResizeVolumeRequest(volume_id=disk, body=vm.ResizeVolumeRequestBody(
        os_extend=vm.OsExtend(new_size=20))))
    _evs_job(evs, r.job_id)
    r = hw.detach_server_volume(em.DetachServerVolumeRequest(server_id=sid, volume_id=disk))
    job_ok(hw, r.job_id)
    shown = evs.show_volume(vm.ShowVolumeRequest(volume_id=disk)).volume
    assert (shown.status, shown.size, shown.attachments) == ("available", 20, [])
    _evs_job(evs, evs.delete_volume(vm.DeleteVolumeRequest(volume_id=disk)).job_id)
    e = hw_error(evs.show_volume, vm.ShowVolumeRequest(volume_id=disk))
    assert e.status_code == 404 and e.error_code == "EVS.5404", e


def test_huawei_disk_bad_input(evs):
    from huaweicloudsdkevs.v2 import model as vm

    for option in (vm.CreateVolumeOption(availability_zone=AZ, volume_type="NOPE", size=10),
                   vm.CreateVolumeOption(availability_zone=AZ, volume_type="SSD", size=40000),
                   vm.CreateVolumeOption(availability_zone="nowhere", volume_type="SSD", size=10)):
        e = hw_error(evs.create_volume, vm.CreateVolumeRequest(
            body=vm.CreateVolumeRequestBody(volume=option)))
        assert e.status_code in (400, 404) and e.error_code.startswith("EVS."), e


def test_openstacksdk_volume_attachment(conn, nova_servers):
    server = nova_servers()
    volume = conn.block_storage.create_volume(size=1, name=_name("vol"))
    try:
        conn.block_storage.wait_for_status(volume, "available", interval=1, wait=30)
        a = conn.compute.create_volume_attachment(server, volume_id=volume.id)
        assert a.volume_id == volume.id
        conn.block_storage.wait_for_status(volume, "in-use", interval=1, wait=30)
        listed = [x.volume_id for x in conn.compute.volume_attachments(server)]
        assert volume.id in listed
        conn.compute.delete_volume_attachment(server, volume.id)
        conn.block_storage.wait_for_status(volume, "available", interval=1, wait=30)
        assert volume.id not in [x.volume_id for x in conn.compute.volume_attachments(server)]
    finally:
        conn.block_storage.delete_volume(volume, ignore_missing=True)


def test_openstack_cli_server_add_and_remove_volume(cli, nova_servers):
    server = nova_servers()
    vol = _name("cli-vol")
    cli.run("volume", "create", "--size", "2", "--type", "SAS", vol)
    try:
        cli.run("server", "add", "volume", server.id, vol)
        shown = cli.json("volume", "show", vol)
        assert shown["status"] == "in-use", shown
        assert shown["attachments"][0]["server_id"] == server.id
        listed = cli.json("server", "volume", "list", server.id)
        assert shown["id"] in [row.get("Volume ID") for row in listed], listed
        p = cli.run("volume", "delete", vol, check=False)
        assert p.returncode != 0, "a volume in use is not deleted"
        cli.run("server", "remove", "volume", server.id, vol)
        assert cli.json("volume", "show", vol)["status"] == "available"
        cli.run("volume", "set", "--size", "4", vol)
        assert cli.json("volume", "show", vol)["size"] == 4
    finally:
        cli.run("volume", "delete", vol, check=False)
