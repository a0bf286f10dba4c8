"""Networks through the real clients: openstacksdk and the `openstack` CLI against Neutron v2.0,
huaweicloudsdkvpc against Huawei VPC v1 (and its own Neutron calls), and servers created on
the networks they made.
"""

from __future__ import annotations

import uuid

import pytest

from conftest import AZ, GOOD_PASS, IMAGE_EULER, SUBNET_ID, VPC_ID, _sdk_client, hw_error, job_ok, \
    hw_wait_status, nova_wait, wait_job


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


# ---- Neutron through openstacksdk --------------------------------------------------------

def test_the_default_network_is_private_and_shared(conn):
    net = conn.network.find_network("private")
    assert net is not None, "the default network is listed by name"
    assert net.id == SUBNET_ID
    assert net.is_shared
    subnets = list(conn.network.subnets(network_id=net.id))
    assert [s.cidr for s in subnets] == ["10.0.0.0/12"]
    assert subnets[0].gateway_ip == "10.0.0.1"
    groups = [g.name for g in conn.network.security_groups()]
    assert "default" in groups


def test_network_subnet_and_server_on_it(conn):
    from openstack import exceptions

    net = conn.network.create_network(name=_name("net"))
    try:
        sub = conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="192.168.50.0/24",
                                         name=_name("sub"),
                                         allocation_pools=[{"start": "192.168.50.10",
                                                            "end": "192.168.50.20"}])
        assert sub.gateway_ip == "192.168.50.1"
        assert conn.network.get_network(net.id).subnet_ids == [sub.id]
        # Overlap, bad blocks and pools: Neutron's 400s.
        with pytest.raises(exceptions.BadRequestException, match="overlaps with another subnet"):
            conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="192.168.50.128/25")
        with pytest.raises(exceptions.BadRequestException, match="cidr"):
            conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="192.168.60.7/24")
        with pytest.raises(exceptions.BadRequestException, match="conflicts with allocation pool"):
            conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="192.168.61.0/24",
                                       allocation_pools=[{"start": "192.168.61.1",
                                                          "end": "192.168.61.9"}])
        with pytest.raises(exceptions.NotFoundException):
            conn.network.get_network(str(uuid.uuid4()))

        # A server on the network takes an address from its pool, named by the network.
        flavor = conn.compute.find_flavor("s6.small.1")
        s = conn.compute.create_server(name=_name("on-net"), image_id=IMAGE_EULER,
                                       flavor_id=flavor.id, networks=[{"uuid": net.id}])
        s = nova_wait(conn, s.id, "ACTIVE")
        addrs = s.addresses[net.name]
        assert [a["addr"] for a in addrs] == ["192.168.50.10"]
        # A network with a port on it is in use.
        with pytest.raises(exceptions.ConflictException):
            conn.network.delete_network(net.id)
        conn.compute.delete_server(s.id)
        conn.compute.wait_for_delete(s, wait=60)
        # A made-up network is refused at create.
        with pytest.raises(exceptions.BadRequestException, match="could not be found"):
            conn.compute.create_server(name=_name("nowhere"), image_id=IMAGE_EULER,
                                       flavor_id=flavor.id, networks=[{"uuid": str(uuid.uuid4())}])
    finally:
        conn.network.delete_network(net.id, ignore_missing=True)
    assert conn.network.find_network(net.id) is None


def test_security_group_rules(conn):
    from openstack import exceptions

    g = conn.network.create_security_group(name=_name("web"), description="web tier")
    try:
        assert {(r["direction"], r["ethertype"]) for r in g.security_group_rules} == \
            {("egress", "IPv4"), ("egress", "IPv6")}
        r = conn.network.create_security_group_rule(security_group_id=g.id, direction="ingress",
                                                    protocol="tcp", port_range_min=443,
                                                    port_range_max=443,
                                                    remote_ip_prefix="0.0.0.0/0")
        assert conn.network.get_security_group_rule(r.id).port_range_min == 443
        with pytest.raises(exceptions.ConflictException, match="already exists"):
            conn.network.create_security_group_rule(security_group_id=g.id, direction="ingress",
                                                    protocol="tcp", port_range_min=443,
                                                    port_range_max=443,
                                                    remote_ip_prefix="0.0.0.0/0")
        with pytest.raises(exceptions.BadRequestException):
            conn.network.create_security_group_rule(security_group_id=g.id, direction="ingress",
                                                    protocol="tcp", port_range_min=90,
                                                    port_range_max=80)
        # A server in the group.
        flavor = conn.compute.find_flavor("s6.small.1")
        s = conn.compute.create_server(name=_name("sg"), image_id=IMAGE_EULER, flavor_id=flavor.id,
                                       networks="auto", security_groups=[{"name": g.name}])
        shown = nova_wait(conn, s.id, "ACTIVE")
        assert [g["name"] for g in shown.security_groups] == [g.name]
        with pytest.raises(exceptions.ConflictException, match="in use"):
            conn.network.delete_security_group(g.id)
        conn.compute.delete_server(s.id)
        conn.compute.wait_for_delete(s, wait=60)
        with pytest.raises(exceptions.BadRequestException, match="not found"):
            conn.compute.create_server(name=_name("sg"), image_id=IMAGE_EULER, flavor_id=flavor.id,
                                       networks="auto", security_groups=[{"name": "no-such"}])
        conn.network.delete_security_group_rule(r.id)
        with pytest.raises(exceptions.NotFoundException):
            conn.network.get_security_group_rule(r.id)
    finally:
        conn.network.delete_security_group(g.id, ignore_missing=True)
    default = conn.network.find_security_group("default")
    with pytest.raises(exceptions.ConflictException):
        conn.network.delete_security_group(default.id)


def test_ports_made_first_and_bound_by_a_server(conn):
    from openstack import exceptions

    net = conn.network.create_network(name=_name("pnet"))
    conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="192.168.70.0/24")
    try:
        fixed = conn.network.create_port(network_id=net.id, name="fixed",
                                         fixed_ips=[{"ip_address": "192.168.70.50"}])
        assert fixed.fixed_ips[0]["ip_address"] == "192.168.70.50"
        assert fixed.device_id == "" and fixed.status == "DOWN"
        # Taken, outside the block, or on a made-up network: Neutron's errors.
        with pytest.raises(exceptions.ConflictException, match="already allocated"):
            conn.network.create_port(network_id=net.id, fixed_ips=[{"ip_address": "192.168.70.50"}])
        with pytest.raises(exceptions.BadRequestException):
            conn.network.create_port(network_id=net.id, fixed_ips=[{"ip_address": "10.99.0.5"}])
        with pytest.raises(exceptions.NotFoundException):
            conn.network.create_port(network_id=str(uuid.uuid4()))
        auto = conn.network.create_port(network_id=net.id)
        assert auto.fixed_ips[0]["ip_address"] == "192.168.70.2"
        assert fixed.id in [p.id for p in conn.network.ports(network_id=net.id)]

        flavor = conn.compute.find_flavor("s6.small.1")
        s = conn.compute.create_server(name=_name("port"), image_id=IMAGE_EULER,
                                       flavor_id=flavor.id, networks=[{"port": fixed.id}])
        s = nova_wait(conn, s.id, "ACTIVE")
        assert [a["addr"] for a in s.addresses[net.name]] == ["192.168.70.50"]
        interfaces = list(conn.compute.server_interfaces(s))
        assert [(i.port_id, i.fixed_ips[0]["ip_address"]) for i in interfaces] == \
            [(fixed.id, "192.168.70.50")]
        bound = conn.network.get_port(fixed.id)
        assert bound.device_id == s.id and bound.device_owner.startswith("compute:")
        with pytest.raises(exceptions.ConflictException):
            conn.network.delete_port(fixed.id)
        with pytest.raises(exceptions.ConflictException):
            conn.compute.create_server(name=_name("port2"), image_id=IMAGE_EULER,
                                       flavor_id=flavor.id, networks=[{"port": fixed.id}])
        # The server's delete leaves the port, unbound, with its address.
        conn.compute.delete_server(s.id)
        conn.compute.wait_for_delete(s, wait=60)
        after = conn.network.get_port(fixed.id)
        assert after.device_id == "" and after.fixed_ips[0]["ip_address"] == "192.168.70.50"
        conn.network.delete_port(fixed.id)
        conn.network.delete_port(auto.id)
        with pytest.raises(exceptions.NotFoundException):
            conn.network.get_port(fixed.id)
    finally:
        for p in conn.network.ports(network_id=net.id):
            conn.network.delete_port(p.id, ignore_missing=True)
        conn.network.delete_network(net.id, ignore_missing=True)


def test_neutron_errors_are_neutron_errors(conn):
    r = conn.network.post("/subnets", json={"subnet": {"network_id": SUBNET_ID, "ip_version": 4,
                                                       "cidr": "10.0.0.0/24"}})
    # The default subnet already holds 10.0.0.0/12.
    assert r.status_code == 400, r.text
    err = r.json()["NeutronError"]
    assert err["type"] == "InvalidInput" and "overlaps" in err["message"]
    r = conn.network.post("/networks", json={"network": {"name": "x", "bogus": 1}})
    assert r.status_code == 400
    err = r.json()["NeutronError"]
    assert err["type"] == "HTTPBadRequest" and "bogus" in err["message"]
    r = conn.network.get(f"/networks/{uuid.uuid4()}")
    assert r.status_code == 404 and r.json()["NeutronError"]["type"] == "NetworkNotFound"


# ---- the openstack CLI -------------------------------------------------------------------

def test_cli_network_subnet_rule_and_server(cli):
    net, sub, grp, srv = _name("clinet"), _name("clisub"), _name("clisg"), _name("clisrv")
    port = _name("cliport")
    cli.json("network", "create", net)
    try:
        s = cli.json("subnet", "create", "--network", net, "--subnet-range", "172.20.1.0/24", sub)
        assert s["cidr"] == "172.20.1.0/24"
        cli.json("security", "group", "create", grp)
        r = cli.json("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22",
                     grp)
        assert r["port_range_min"] == 22 and r["direction"] == "ingress"
        server = cli.json("server", "create", "--image", IMAGE_EULER, "--flavor", "s6.small.1",
                          "--network", net, "--security-group", grp, "--wait", srv)
        assert server["status"] == "ACTIVE"
        shown = cli.json("server", "show", srv)
        assert "172.20.1." in str(shown["addresses"]), shown["addresses"]
        cli.run("server", "delete", "--wait", srv)
        p = cli.json("port", "create", "--network", net, "--fixed-ip", "ip-address=172.20.1.99", port)
        assert p["fixed_ips"][0]["ip_address"] == "172.20.1.99"
        on_port = cli.json("server", "create", "--image", IMAGE_EULER, "--flavor", "s6.small.1",
                           "--port", port, "--wait", srv)
        assert "172.20.1.99" in str(on_port["addresses"]), on_port["addresses"]
        cli.run("server", "delete", "--wait", srv)
        cli.run("port", "delete", port)
    finally:
        cli.run("server", "delete", "--wait", srv, check=False)
        cli.run("port", "delete", port, check=False)
        cli.run("security", "group", "delete", grp, check=False)
        cli.run("network", "delete", net, check=False)
    listed = [n["Name"] for n in cli.json("network", "list")]
    assert net not in listed and "private" in listed


# ---- Huawei VPC through huaweicloudsdkvpc -----------------------------------------------

@pytest.fixture(scope="module")
def vpc_client(creds):
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkvpc.v2 import VpcClient

    return _sdk_client(VpcClient, BasicCredentials(creds["HUAWEICLOUD_SDK_AK"],
                                                   creds["HUAWEICLOUD_SDK_SK"],
                                                   creds["HUAWEICLOUD_SDK_PROJECT_ID"]),
                       creds["ECSD_ENDPOINT"])


def test_huawei_vpc_subnet_group_and_server(vpc_client, hw):
    from huaweicloudsdkecs.v2 import model as em
    from huaweicloudsdkvpc.v2 import model as vm

    c = vpc_client
    vpc = c.create_vpc(vm.CreateVpcRequest(body=vm.CreateVpcRequestBody(
        vpc=vm.CreateVpcOption(name=_name("vpc"), cidr="192.168.0.0/16")))).vpc
    assert vpc.cidr == "192.168.0.0/16" and vpc.status == "OK"
    assert vpc.id in [v.id for v in c.list_vpcs(vm.ListVpcsRequest()).vpcs]
    sub = c.create_subnet(vm.CreateSubnetRequest(body=vm.CreateSubnetRequestBody(
        subnet=vm.CreateSubnetOption(name=_name("sub"), cidr="192.168.1.0/24",
                                     gateway_ip="192.168.1.1", vpc_id=vpc.id,
                                     primary_dns="100.125.1.250")))).subnet
    assert sub.vpc_id == vpc.id and sub.neutron_network_id == sub.id and sub.neutron_subnet_id
    assert c.show_subnet(vm.ShowSubnetRequest(subnet_id=sub.id)).subnet.cidr == "192.168.1.0/24"
    listed = c.list_subnets(vm.ListSubnetsRequest(vpc_id=vpc.id)).subnets
    assert [s.id for s in listed] == [sub.id]
    c.update_subnet(vm.UpdateSubnetRequest(vpc_id=vpc.id, subnet_id=sub.id,
                                           body=vm.UpdateSubnetRequestBody(
                                               subnet=vm.UpdateSubnetOption(name="renamed"))))
    assert c.show_subnet(vm.ShowSubnetRequest(subnet_id=sub.id)).subnet.name == "renamed"
    # Huawei's own Neutron calls see the same subnet.
    neutron = c.neutron_show_subnet(vm.NeutronShowSubnetRequest(subnet_id=sub.neutron_subnet_id))
    assert neutron.subnet.cidr == "192.168.1.0/24"

    sg = c.create_security_group(vm.CreateSecurityGroupRequest(body=vm.CreateSecurityGroupRequestBody(
        security_group=vm.CreateSecurityGroupOption(name=_name("sg"))))).security_group
    rule = c.create_security_group_rule(vm.CreateSecurityGroupRuleRequest(
        body=vm.CreateSecurityGroupRuleRequestBody(security_group_rule=vm.CreateSecurityGroupRuleOption(
            security_group_id=sg.id, direction="ingress", ethertype="IPv4", protocol="tcp",
            port_range_min=22, port_range_max=22, remote_ip_prefix="0.0.0.0/0")))).security_group_rule
    assert rule.security_group_id == sg.id
    rules = c.list_security_group_rules(vm.ListSecurityGroupRulesRequest(security_group_id=sg.id))
    assert rule.id in [r.id for r in rules.security_group_rules]
    port = c.create_port(vm.CreatePortRequest(body=vm.CreatePortRequestBody(port=vm.CreatePortOption(
        name="spare", network_id=sub.id, security_groups=[sg.id])))).port
    assert port.fixed_ips[0].ip_address.startswith("192.168.1.") and port.security_groups == [sg.id]
    assert c.show_port(vm.ShowPortRequest(port_id=port.id)).port.name == "spare"
    assert port.id in [p.id for p in c.list_ports(vm.ListPortsRequest(network_id=sub.id)).ports]
    c.delete_port(vm.DeletePortRequest(port_id=port.id))
    e = hw_error(c.show_port, vm.ShowPortRequest(port_id=port.id))
    assert e.status_code == 404, e

    # A server in the new subnet and group, with a fixed address.
    srv = em.PostPaidServer(
        name=_name("hw-vpc"), flavor_ref="s6.small.1", image_ref=IMAGE_EULER, vpcid=vpc.id,
        nics=[em.PostPaidServerNic(subnet_id=sub.id, ip_address="192.168.1.77")],
        security_groups=[em.PostPaidServerSecurityGroup(id=sg.id)],
        root_volume=em.PostPaidServerRootVolume(volumetype="SSD", size=40),
        availability_zone=AZ, admin_pass=GOOD_PASS)
    r = hw.create_post_paid_servers(em.CreatePostPaidServersRequest(
        body=em.CreatePostPaidServersRequestBody(server=srv)))
    job_ok(hw, r.job_id)
    sid = r.server_ids[0]
    shown = hw_wait_status(hw, sid, "ACTIVE")
    assert [a["addr"] for a in shown["addresses"][vpc.id]] == ["192.168.1.77"]
    assert [g["id"] for g in shown["security_groups"]] == [sg.id]

    # In use: the subnet while the server is on it, the VPC while it has the subnet.
    e = hw_error(c.delete_subnet, vm.DeleteSubnetRequest(vpc_id=vpc.id, subnet_id=sub.id))
    assert e.status_code == 409, e
    e = hw_error(c.delete_vpc, vm.DeleteVpcRequest(vpc_id=vpc.id))
    assert e.status_code == 409, e
    # A NIC outside the server's VPC, and a made-up subnet, are refused.
    bad = em.PostPaidServer(
        name=_name("hw-bad"), flavor_ref="s6.small.1", image_ref=IMAGE_EULER, vpcid=VPC_ID,
        nics=[em.PostPaidServerNic(subnet_id=sub.id)],
        root_volume=em.PostPaidServerRootVolume(volumetype="SSD", size=40))
    e = hw_error(hw.create_post_paid_servers, em.CreatePostPaidServersRequest(
        body=em.CreatePostPaidServersRequestBody(server=bad)))
    assert e.status_code == 400 and "does not belong to VPC" in e.error_msg, e

    r = hw.delete_servers(em.DeleteServersRequest(body=em.DeleteServersRequestBody(
        servers=[em.ServerId(id=sid)], delete_volume=True)))
    wait_job(hw, r.job_id)
    c.delete_security_group(vm.DeleteSecurityGroupRequest(security_group_id=sg.id))
    c.delete_subnet(vm.DeleteSubnetRequest(vpc_id=vpc.id, subnet_id=sub.id))
    c.delete_vpc(vm.DeleteVpcRequest(vpc_id=vpc.id))
    e = hw_error(c.show_vpc, vm.ShowVpcRequest(vpc_id=vpc.id))
    assert (e.status_code, e.error_code) == (404, "VPC.0003"), e


def test_huawei_vpc_bad_input(vpc_client):
    from huaweicloudsdkvpc.v2 import model as vm

    c = vpc_client
    for cidr in ["8.8.0.0/16", "10.0.0.1/8", "192.168.0.0/25", "nonsense"]:
        e = hw_error(c.create_vpc, vm.CreateVpcRequest(body=vm.CreateVpcRequestBody(
            vpc=vm.CreateVpcOption(name="bad", cidr=cidr))))
        assert (e.status_code, e.error_code) == (400, "VPC.0101"), (cidr, e)
    # A subnet outside its VPC's block, or overlapping the default subnet there.
    e = hw_error(c.create_subnet, vm.CreateSubnetRequest(body=vm.CreateSubnetRequestBody(
        subnet=vm.CreateSubnetOption(name="bad", cidr="172.16.0.0/24", gateway_ip="172.16.0.1",
                                     vpc_id=VPC_ID))))
    assert e.status_code == 400 and "not within" in e.error_msg, e
    e = hw_error(c.create_subnet, vm.CreateSubnetRequest(body=vm.CreateSubnetRequestBody(
        subnet=vm.CreateSubnetOption(name="bad", cidr="10.1.0.0/24", gateway_ip="10.1.0.1",
                                     vpc_id=VPC_ID))))
    assert e.status_code == 400 and "overlaps" in e.error_msg, e
    e = hw_error(c.show_subnet, vm.ShowSubnetRequest(subnet_id=str(uuid.uuid4())))
    assert e.status_code == 404, e


def test_cli_floating_ip_on_a_server(cli, conn):
    srv = _name("fipsrv")
    cli.json("server", "create", "--image", IMAGE_EULER, "--flavor", "s6.small.1", "--nic", "auto",
             "--wait", srv)
    fip = cli.json("floating", "ip", "create", "public")
    try:
        assert fip["floating_ip_address"].startswith("172.24.4."), fip
        assert fip["port_id"] is None and fip["status"] == "DOWN"
        cli.run("server", "add", "floating", "ip", srv, fip["floating_ip_address"])
        shown = cli.json("floating", "ip", "show", fip["id"])
        server = conn.compute.find_server(srv)
        port = next(conn.network.ports(device_id=server.id))
        assert shown["port_id"] == port.id and shown["fixed_ip_address"] == port.fixed_ips[0]["ip_address"]
        kinds = {(a["addr"], a["OS-EXT-IPS:type"])
                 for a in conn.compute.get_server(server.id).addresses["private"]}
        assert (fip["floating_ip_address"], "floating") in kinds, kinds
        listed = cli.json("floating", "ip", "list")
        assert fip["id"] in [f["ID"] for f in listed]
        # One floating IP per port.
        other = conn.network.create_ip(floating_network_id=fip["floating_network_id"])
        from openstack import exceptions
        with pytest.raises(exceptions.ConflictException):
            conn.network.update_ip(other, port_id=port.id)
        conn.network.delete_ip(other)
        cli.run("server", "remove", "floating", "ip", srv, fip["floating_ip_address"])
        assert cli.json("floating", "ip", "show", fip["id"])["port_id"] is None
        # Only an external network hands out floating IPs.
        with pytest.raises(exceptions.BadRequestException, match="external"):
            conn.network.create_ip(floating_network_id=SUBNET_ID)
    finally:
        cli.run("floating", "ip", "delete", fip["id"], check=False)
        cli.run("server", "delete", "--wait", srv, check=False)
    assert fip["id"] not in [f["ID"] for f in cli.json("floating", "ip", "list")]


# ---- block storage through the CLI and openstacksdk -------------------------------------

def test_volumes_made_listed_and_deleted(cli, conn, nova_servers):
    from openstack import exceptions

    made = cli.json("volume", "create", "--size", "20", "--type", "SAS", _name("data"))
    assert made["status"] == "available" and made["size"] == 20 and made["type"] == "SAS"
    types = [t["Name"] for t in cli.json("volume", "type", "list")]
    assert set(types) == {"SATA", "SAS", "SSD", "GPSSD", "ESSD"}
    listed = {v["ID"]: v for v in cli.json("volume", "list")}
    assert listed[made["id"]]["Status"] == "available"
    # A server's own system volume is listed too, in use, and cannot be deleted.
    sid = nova_servers().id
    system = [v for v in conn.block_storage.volumes()
              if any(a["server_id"] == sid for a in v.attachments)]
    assert len(system) == 1 and system[0].status == "in-use" and system[0].is_bootable
    with pytest.raises(exceptions.BadRequestException, match="in-use"):
        conn.block_storage.delete_volume(system[0].id)
    with pytest.raises(exceptions.NotFoundException):
        conn.block_storage.create_volume(size=1, volume_type="NVME")
    with pytest.raises(exceptions.BadRequestException):
        conn.block_storage.create_volume(size=0)
    cli.run("volume", "delete", made["id"])
    assert made["id"] not in [v["ID"] for v in cli.json("volume", "list")]


# ---- interfaces on a running server ------------------------------------------------------

def test_openstack_cli_server_add_and_remove_port_and_network(cli, nova_servers):
    server = nova_servers()
    net = _name("if-net")
    cli.run("network", "create", net)
    cli.run("subnet", "create", "--network", net, "--subnet-range", "192.168.88.0/24", _name("if-sub"))
    port = cli.json("port", "create", "--network", net, _name("if-port"))
    try:
        cli.run("server", "add", "port", server.id, port["id"])
        cli.run("server", "add", "network", server.id, net)
        ifaces = cli.json("port", "list", "--server", server.id)
        assert port["id"] in [p["ID"] for p in ifaces] and len(ifaces) == 3, ifaces
        shown = cli.show(server.id)
        assert net in str(shown["addresses"]), shown["addresses"]
        cli.run("server", "remove", "port", server.id, port["id"])
        kept = cli.json("port", "show", port["id"])
        assert kept["device_id"] in ("", None), kept
        cli.run("server", "remove", "network", server.id, net)
        assert len(cli.json("port", "list", "--server", server.id)) == 1
    finally:
        cli.run("port", "delete", port["id"], check=False)


def test_huawei_sdk_adds_and_deletes_nics(hw, hw_servers, vpc_client):
    from huaweicloudsdkecs.v2 import model as em
    from huaweicloudsdkvpc.v2 import model as vm

    sub = vpc_client.create_subnet(vm.CreateSubnetRequest(body=vm.CreateSubnetRequestBody(
        subnet=vm.CreateSubnetOption(name=_name("nic-sub"), cidr="10.200.3.0/24", gateway_ip="10.200.3.1",
                                     vpc_id=VPC_ID)))).subnet
    (sid,) = hw_servers("hw-nics")
    r = hw.batch_add_server_nics(em.BatchAddServerNicsRequest(server_id=sid, body=em.BatchAddServerNicsRequestBody(
        nics=[em.BatchAddServerNicOption(subnet_id=sub.id, ip_address="10.200.3.20")])))
    job = wait_job(hw, r.job_id)
    assert job.status == "SUCCESS", job
    nics = hw.list_server_interfaces(em.ListServerInterfacesRequest(server_id=sid)).interface_attachments
    added = [n for n in nics if n.net_id == sub.id]
    assert len(nics) == 2 and added[0].fixed_ips[0].ip_address == "10.200.3.20", nics
    primary = [n for n in nics if n.net_id != sub.id][0]
    e = hw_error(hw.batch_delete_server_nics, em.BatchDeleteServerNicsRequest(
        server_id=sid, body=em.BatchDeleteServerNicsRequestBody(nics=[em.BatchDeleteServerNicOption(id=primary.port_id)])))
    assert e.status_code == 400, e
    r = hw.batch_delete_server_nics(em.BatchDeleteServerNicsRequest(
        server_id=sid, body=em.BatchDeleteServerNicsRequestBody(nics=[em.BatchDeleteServerNicOption(id=added[0].port_id)])))
    assert wait_job(hw, r.job_id).status == "SUCCESS"
    assert len(hw.list_server_interfaces(em.ListServerInterfacesRequest(server_id=sid)).interface_attachments) == 1


def test_huawei_vpc_v3_security_groups(creds):
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkvpc.v3 import VpcClient, model as v3

    c = _sdk_client(VpcClient, BasicCredentials(creds["HUAWEICLOUD_SDK_AK"], creds["HUAWEICLOUD_SDK_SK"],
                                                creds["HUAWEICLOUD_SDK_PROJECT_ID"]), creds["ECSD_ENDPOINT"])
    sg = c.create_security_group(v3.CreateSecurityGroupRequest(body=v3.CreateSecurityGroupRequestBody(
        security_group=v3.CreateSecurityGroupOption(name=_name("v3sg"), description="web")))).security_group
    assert sg.name.startswith("v3sg") and len(sg.security_group_rules) == 2  # the two egress rules
    rule = c.create_security_group_rule(v3.CreateSecurityGroupRuleRequest(
        body=v3.CreateSecurityGroupRuleRequestBody(security_group_rule=v3.CreateSecurityGroupRuleOption(
            security_group_id=sg.id, direction="ingress", ethertype="IPv4", protocol="tcp",
            multiport="8000-8080", remote_ip_prefix="10.0.0.0/8", action="allow")))).security_group_rule
    assert rule.multiport == "8000-8080" and rule.action == "allow"
    shown = c.show_security_group(v3.ShowSecurityGroupRequest(security_group_id=sg.id)).security_group
    assert rule.id in [r.id for r in shown.security_group_rules]
    listed = c.list_security_groups(v3.ListSecurityGroupsRequest(name=[sg.name])).security_groups
    assert [g.id for g in listed] == [sg.id]
    renamed = c.update_security_group(v3.UpdateSecurityGroupRequest(
        security_group_id=sg.id, body=v3.UpdateSecurityGroupRequestBody(
            security_group=v3.UpdateSecurityGroupOption(name=sg.name + "-2")))).security_group
    assert renamed.name == sg.name + "-2"
    e = hw_error(c.create_security_group_rule, v3.CreateSecurityGroupRuleRequest(
        body=v3.CreateSecurityGroupRuleRequestBody(security_group_rule=v3.CreateSecurityGroupRuleOption(
            security_group_id=sg.id, direction="ingress", protocol="tcp", multiport="70000"))))
    assert e.status_code == 400, e
    c.delete_security_group_rule(v3.DeleteSecurityGroupRuleRequest(security_group_rule_id=rule.id))
    c.delete_security_group(v3.DeleteSecurityGroupRequest(security_group_id=sg.id))
    e = hw_error(c.show_security_group, v3.ShowSecurityGroupRequest(security_group_id=sg.id))
    assert e.status_code == 404, e
