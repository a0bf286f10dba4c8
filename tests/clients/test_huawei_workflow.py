"""A whole Huawei workflow with the real SDKs, each over its own service's API: a VPC, subnet,
security group and rule (huaweicloudsdkvpc); a server in them with a data disk (ECS); a second
disk made and attached (huaweicloudsdkevs, ECS); an elastic IP bound to the server's port
(huaweicloudsdkeip); a native resize (openstacksdk); an image of the server and a change of OS
onto it (huaweicloudsdkims, ECS); then everything torn down again.
"""

from __future__ import annotations

import uuid

import pytest

from conftest import AZ, GOOD_PASS, huawei_client, hw_error, hw_wait_status, job_ok, nova_wait, wait_job


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def clients(creds):
    from huaweicloudsdkeip.v2 import EipClient
    from huaweicloudsdkevs.v2 import EvsClient
    from huaweicloudsdkims.v2 import ImsClient
    from huaweicloudsdkvpc.v2 import VpcClient

    return {"vpc": huawei_client(VpcClient, creds), "evs": huawei_client(EvsClient, creds),
            "eip": huawei_client(EipClient, creds), "ims": huawei_client(ImsClient, creds)}


def test_a_whole_huawei_workflow(clients, hw, conn):
    from huaweicloudsdkecs.v2 import model as em
    from huaweicloudsdkeip.v2 import model as pm
    from huaweicloudsdkevs.v2 import model as dm
    from huaweicloudsdkims.v2 import model as im
    from huaweicloudsdkvpc.v2 import model as vm

    vpc_c, evs, eip_c, ims = clients["vpc"], clients["evs"], clients["eip"], clients["ims"]

    # Network: VPC, subnet, security group with an SSH rule.
    vpc = vpc_c.create_vpc(vm.CreateVpcRequest(body=vm.CreateVpcRequestBody(
        vpc=vm.CreateVpcOption(name=_name("wf-vpc"), cidr="192.168.0.0/16")))).vpc
    sub = vpc_c.create_subnet(vm.CreateSubnetRequest(body=vm.CreateSubnetRequestBody(
        subnet=vm.CreateSubnetOption(name=_name("wf-sub"), cidr="192.168.7.0/24",
                                     gateway_ip="192.168.7.1", vpc_id=vpc.id)))).subnet
    sg = vpc_c.create_security_group(vm.CreateSecurityGroupRequest(body=vm.CreateSecurityGroupRequestBody(
        security_group=vm.CreateSecurityGroupOption(name=_name("wf-sg"))))).security_group
    vpc_c.create_security_group_rule(vm.CreateSecurityGroupRuleRequest(
        body=vm.CreateSecurityGroupRuleRequestBody(security_group_rule=vm.CreateSecurityGroupRuleOption(
            security_group_id=sg.id, direction="ingress", ethertype="IPv4", protocol="tcp",
            port_range_min=22, port_range_max=22, remote_ip_prefix="0.0.0.0/0"))))

    # A server in them with a data disk.
    srv = em.PostPaidServer(
        name=_name("wf"), flavor_ref="s6.small.1", image_ref="e215580f-73ad-429d-b6f2-5433947433b0",
        vpcid=vpc.id, nics=[em.PostPaidServerNic(subnet_id=sub.id)],
        security_groups=[em.PostPaidServerSecurityGroup(id=sg.id)],
        root_volume=em.PostPaidServerRootVolume(volumetype="SSD", size=40),
        data_volumes=[em.PostPaidServerDataVolume(volumetype="SAS", size=20)],
        availability_zone=AZ, admin_pass=GOOD_PASS)
    r = hw.create_post_paid_servers(em.CreatePostPaidServersRequest(
        body=em.CreatePostPaidServersRequestBody(server=srv)))
    job_ok(hw, r.job_id)
    sid = r.server_ids[0]
    shown = hw_wait_status(hw, sid, "ACTIVE")
    (nic,) = shown["addresses"][vpc.id]
    port_id, fixed = nic["OS-EXT-IPS:port_id"], nic["addr"]
    assert fixed.startswith("192.168.7.")

    # A second disk, made with EVS and attached through ECS.
    made = evs.create_volume(dm.CreateVolumeRequest(body=dm.CreateVolumeRequestBody(
        volume=dm.CreateVolumeOption(availability_zone=AZ, volume_type="SSD", size=10, name=_name("wf-disk")))))
    disk = made.volume_ids[0]
    job_ok(hw, hw.attach_server_volume(em.AttachServerVolumeRequest(
        server_id=sid, body=em.AttachServerVolumeRequestBody(
            volume_attachment=em.AttachServerVolumeOption(volume_id=disk)))).job_id)
    devices = hw.list_server_block_devices(em.ListServerBlockDevicesRequest(server_id=sid))
    assert len(devices.volume_attachments) == 3, devices

    # An elastic IP bound to the server's port.
    eip = eip_c.create_publicip(pm.CreatePublicipRequest(body=pm.CreatePublicipRequestBody(
        publicip=pm.CreatePublicipOption(type="5_bgp"),
        bandwidth=pm.CreatePublicipBandwidthOption(name=_name("wf-bw"), size=5, share_type="PER",
                                                   charge_mode="traffic")))).publicip
    assert eip.status == "DOWN" and eip.public_ip_address
    bound = eip_c.update_publicip(pm.UpdatePublicipRequest(publicip_id=eip.id, body=pm.UpdatePublicipsRequestBody(
        publicip=pm.UpdatePublicipOption(port_id=port_id)))).publicip
    assert (bound.status, bound.port_id, bound.private_ip_address) == ("ACTIVE", port_id, fixed)
    listed = eip_c.list_publicips(pm.ListPublicipsRequest(port_id=[port_id])).publicips
    assert [p.id for p in listed] == [eip.id]
    floating = [a["addr"] for a in hw_wait_status(hw, sid, "ACTIVE")["addresses"][vpc.id]
                if a["OS-EXT-IPS:type"] == "floating"]
    assert floating == [eip.public_ip_address]
    e = hw_error(eip_c.delete_publicip, pm.DeletePublicipRequest(publicip_id=eip.id))
    assert e.status_code == 409 and e.error_code == "VPC.0517", e

    # A native resize: disks and addresses (fixed and elastic) stay.
    conn.compute.resize_server(sid, "s6.medium.2")
    nova_wait(conn, sid, "VERIFY_RESIZE")
    conn.compute.confirm_server_resize(sid)
    after = nova_wait(conn, sid, "ACTIVE")
    assert after.flavor.name == "s6.medium.2" or after.flavor.original_name == "s6.medium.2"
    addresses = hw_wait_status(hw, sid, "ACTIVE")["addresses"][vpc.id]
    assert sorted(a["addr"] for a in addresses) == sorted([fixed, eip.public_ip_address])
    devices = hw.list_server_block_devices(em.ListServerBlockDevicesRequest(server_id=sid))
    assert disk in [d.volume_id for d in devices.volume_attachments]

    # An image of the server, and its OS changed onto it.
    r = ims.create_image(im.CreateImageRequest(body=im.CreateImageRequestBody(
        name=_name("wf-img"), instance_id=sid)))
    job_ok(hw, r.job_id)
    image_id = ims.show_job(im.ShowJobRequest(job_id=r.job_id)).entities.image_id
    r = hw.change_server_os_with_cloud_init(em.ChangeServerOsWithCloudInitRequest(
        server_id=sid, body=em.ChangeServerOsWithCloudInitRequestBody(
            os_change=em.ChangeServerOsWithCloudInitOption(imageid=image_id, adminpass=GOOD_PASS,
                                                           mode="withStopServer"))))
    job_ok(hw, r.job_id)
    assert hw_wait_status(hw, sid, "ACTIVE")["image"]["id"] == image_id

    # Tear down: unbind and release the EIP, detach and delete the disk, delete the server
    # (its data disk with it), the image, the group, the subnet and the VPC.
    eip_c.update_publicip(pm.UpdatePublicipRequest(publicip_id=eip.id, body=pm.UpdatePublicipsRequestBody(
        publicip=pm.UpdatePublicipOption(port_id=None))))
    eip_c.delete_publicip(pm.DeletePublicipRequest(publicip_id=eip.id))
    job_ok(hw, hw.detach_server_volume(em.DetachServerVolumeRequest(server_id=sid, volume_id=disk)).job_id)
    evs.delete_volume(dm.DeleteVolumeRequest(volume_id=disk))
    r = hw.delete_servers(em.DeleteServersRequest(body=em.DeleteServersRequestBody(
        servers=[em.ServerId(id=sid)], delete_publicip=True, delete_volume=True)))
    assert wait_job(hw, r.job_id).status == "SUCCESS"
    ims.glance_delete_image(im.GlanceDeleteImageRequest(image_id=image_id))
    vpc_c.delete_security_group(vm.DeleteSecurityGroupRequest(security_group_id=sg.id))
    vpc_c.delete_subnet(vm.DeleteSubnetRequest(vpc_id=vpc.id, subnet_id=sub.id))
    vpc_c.delete_vpc(vm.DeleteVpcRequest(vpc_id=vpc.id))
    e = hw_error(vpc_c.show_vpc, vm.ShowVpcRequest(vpc_id=vpc.id))
    assert e.status_code == 404, e
    names = [v.name for v in evs.list_volumes(dm.ListVolumesRequest()).volumes]
    assert all(not n.startswith("wf-disk") for n in names), names
