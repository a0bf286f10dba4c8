"""A server's own record through the real clients: the `openstack` CLI's `server set` and
`server unset`, openstacksdk's update and metadata calls, and the Huawei ECS SDK's update and
metadata APIs.
"""

from __future__ import annotations

import uuid


def test_openstack_cli_server_set_and_unset(cli, nova_servers):
    server = nova_servers()
    name = f"renamed-{uuid.uuid4().hex[:6]}"
    cli.run("server", "set", "--name", name, "--property", "role=web", "--property", "tier=1",
            "--description", "front end", server.id)
    shown = cli.show(server.id)
    assert shown["name"] == name and shown["description"] == "front end", shown
    # Beside ecsd's own keys (image_name, metering.*...), which a create sets.
    props = shown["properties"]
    assert (props["role"], props["tier"]) == ("web", "1"), props
    cli.run("server", "unset", "--property", "tier", server.id)
    props = cli.show(server.id)["properties"]
    assert props["role"] == "web" and "tier" not in props, props


def test_openstacksdk_metadata(conn, nova_servers):
    server = nova_servers()
    conn.compute.set_server_metadata(server, owner="ci", stage="test")
    md = conn.compute.get_server_metadata(server).metadata
    assert (md["owner"], md["stage"]) == ("ci", "test"), md
    conn.compute.delete_server_metadata(server, ["stage"])
    md = conn.compute.get_server_metadata(server).metadata
    assert md["owner"] == "ci" and "stage" not in md, md
    updated = conn.compute.update_server(server, name="sdk-renamed")
    assert updated.name == "sdk-renamed"


def test_huawei_sdk_updates_the_server_and_its_metadata(hw, hw_servers):
    from huaweicloudsdkecs.v2 import model as m

    (sid,) = hw_servers("hw-record")
    r = hw.update_server(m.UpdateServerRequest(server_id=sid, body=m.UpdateServerRequestBody(
        server=m.UpdateServerOption(name="hw-renamed", description="db primary"))))
    assert r.server.name == "hw-renamed" and r.server.description == "db primary"
    r = hw.update_server_metadata(m.UpdateServerMetadataRequest(server_id=sid, body=m.UpdateServerMetadataRequestBody(
        metadata={"env": "prod", "owner": "ops"})))
    assert (r.metadata["env"], r.metadata["owner"]) == ("prod", "ops"), r.metadata
    hw.delete_server_metadata(m.DeleteServerMetadataRequest(server_id=sid, key="owner"))
    shown = hw.show_server(m.ShowServerRequest(server_id=sid)).server
    assert shown.metadata.get("env") == "prod" and "owner" not in shown.metadata


def test_openstack_cli_zones_addresses_and_token_revoke(cli, conn, nova_servers):
    zones = cli.json("availability", "zone", "list", "--compute")
    assert [(z["Zone Name"], z["Zone Status"]) for z in zones] == [("local-1a", "available")], zones
    server = nova_servers()
    ips = list(conn.compute.server_ips(server))
    assert ips and ips[0].network_label == "private" and ips[0].address.startswith("10."), ips
    token = cli.json("token", "issue")["id"]
    cli.run("token", "revoke", token)
    import requests

    r = requests.get(conn.session.get_endpoint(service_type="compute") + "/servers",
                     headers={"X-Auth-Token": token}, timeout=10)
    assert r.status_code == 401, r.text


def test_key_pairs_through_the_cli_openstacksdk_and_the_huawei_sdk(cli, conn, hw, tmp_path, nova_servers):
    from huaweicloudsdkecs.v2 import model as m

    made = cli.json("keypair", "create", "--private-key", str(tmp_path / "made.pem"), "cli-made")
    assert made["name"] == "cli-made" and made["fingerprint"].count(":") == 15, made
    assert "OPENSSH PRIVATE KEY" in (tmp_path / "made.pem").read_text()
    pub = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGE2bHvCvlB7r06tgUZdmy2z2rq+r0zbP0mbfZ0i5y3F ci@host"
    (tmp_path / "id.pub").write_text(pub + "\n")
    cli.run("keypair", "create", "--public-key", str(tmp_path / "id.pub"), "cli-imported")
    names = [k["Name"] for k in cli.json("keypair", "list")]
    assert {"cli-made", "cli-imported"} <= set(names), names
    shown = cli.json("keypair", "show", "cli-imported")
    assert shown["fingerprint"].count(":") == 15 and shown["name"] == "cli-imported", shown
    sdk = conn.compute.create_keypair(name="sdk-made")
    assert sdk.private_key and conn.compute.get_keypair("sdk-made").public_key == sdk.public_key
    # A server names one; an unknown name is refused.
    p = cli.run("server", "create", "--image", "e215580f-73ad-429d-b6f2-5433947433b0", "--flavor",
                "s6.small.1", "--nic", "auto", "--key-name", "no-such-key", "kp-bad", check=False)
    assert p.returncode != 0 and "Invalid key_name" in p.stderr, p.stderr
    r = hw.nova_create_keypair(m.NovaCreateKeypairRequest(body=m.NovaCreateKeypairRequestBody(
        keypair=m.NovaCreateKeypairOption(name="hw-made"))))
    assert r.keypair.private_key and r.keypair.name == "hw-made"
    listed = [k.keypair.name for k in hw.nova_list_keypairs(m.NovaListKeypairsRequest()).keypairs]
    assert "hw-made" in listed, listed
    hw.nova_delete_keypair(m.NovaDeleteKeypairRequest(keypair_name="hw-made"))
    for name in ("cli-made", "cli-imported"):
        cli.run("keypair", "delete", name)
    conn.compute.delete_keypair("sdk-made")
    assert not {"cli-made", "cli-imported", "sdk-made", "hw-made"} & {k["Name"] for k in cli.json("keypair", "list")}
