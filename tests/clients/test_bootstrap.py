"""First start, the files it writes, and their reuse on later starts."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess

import pytest
import requests
import yaml

from conftest import CRED_KEYS, Ecsd, make_hw_client, parse_env_file

HEX32 = re.compile(r"^[0-9a-f]{32}$")


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_written_with_mode_0600(ecsd):
    for p in (ecsd.credentials_path, ecsd.clouds_path):
        assert p.is_file(), f"{p} missing"
        assert _mode(p) == 0o600, f"{p} has mode {oct(_mode(p))}, want 0o600"


def test_credentials_env_contents(ecsd, creds):
    for k in CRED_KEYS:
        assert creds.get(k), f"{k} missing or empty"
    assert creds["ECSD_ENDPOINT"].rstrip("/") == ecsd.endpoint
    assert creds["OS_AUTH_URL"].rstrip("/") == ecsd.endpoint + "/v3"
    assert creds["OS_USERNAME"] == "admin"
    assert creds["OS_PASSWORD"] == ecsd.password, "ECSD_ADMIN_PASSWORD was not used"
    assert creds["OS_PROJECT_NAME"] == "local-1"
    assert creds["OS_USER_DOMAIN_NAME"] == "ecsd"
    assert creds["OS_PROJECT_DOMAIN_NAME"] == "ecsd"
    assert creds["OS_REGION_NAME"] == "local-1"
    assert creds["OS_IDENTITY_API_VERSION"] == "3"
    assert HEX32.match(creds["HUAWEICLOUD_SDK_PROJECT_ID"]), creds["HUAWEICLOUD_SDK_PROJECT_ID"]
    assert creds["OS_PROJECT_ID"] == creds["HUAWEICLOUD_SDK_PROJECT_ID"]
    assert creds["HUAWEICLOUD_SDK_AK"] != creds["HUAWEICLOUD_SDK_SK"]


def test_credentials_env_is_shell_sourceable(ecsd, creds):
    keys = " ".join(f'"${k}"' for k in CRED_KEYS)
    p = subprocess.run(
        ["bash", "-c", f'set -euo pipefail; set -a; . "$1"; printf "%s\\0" {keys}', "x",
         str(ecsd.credentials_path)],
        capture_output=True, text=True, timeout=20)
    assert p.returncode == 0, p.stderr
    values = p.stdout.split("\0")[: len(CRED_KEYS)]
    assert dict(zip(CRED_KEYS, values)) == {k: creds[k] for k in CRED_KEYS}


def test_clouds_yaml_names_cloud_ecsd(ecsd, creds):
    doc = yaml.safe_load(ecsd.clouds_path.read_text())
    cloud = doc["clouds"]["ecsd"]
    auth = cloud["auth"]
    assert auth["auth_url"].rstrip("/") == creds["OS_AUTH_URL"].rstrip("/")
    assert auth["username"] == "admin"
    assert auth["password"] == creds["OS_PASSWORD"]
    assert cloud.get("region_name") == "local-1"


def test_clouds_yaml_drives_openstacksdk(ecsd, creds):
    from openstack import connection
    from openstack.config import loader

    region = loader.OpenStackConfig(config_files=[str(ecsd.clouds_path)],
                                    load_envvars=False).get_one(cloud="ecsd")
    c = connection.Connection(config=region)
    try:
        assert c.current_project_id == creds["OS_PROJECT_ID"]
        assert {f.id for f in c.compute.flavors()} >= {"s6.large.2", "c6.large.2"}
    finally:
        c.close()


def test_cli_server_list_through_clouds_yaml(cli):
    rows = cli.json("server", "list")
    assert isinstance(rows, list)


def test_keystone_token_and_catalog(ecsd, creds):
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "password": creds["OS_PASSWORD"], "domain": {"name": "ecsd"}}}},
        "scope": {"project": {"name": "local-1", "domain": {"name": "ecsd"}}}}}
    r = requests.post(ecsd.endpoint + "/v3/auth/tokens", json=body, timeout=10)
    assert r.status_code == 201, r.text
    token = r.headers.get("X-Subject-Token")
    assert token
    tok = r.json()["token"]
    assert tok["project"]["id"] == creds["OS_PROJECT_ID"]
    assert tok["project"]["name"] == "local-1"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", tok["expires_at"])
    by_type = {svc["type"]: svc for svc in tok["catalog"]}
    for t in ("compute", "identity", "image", "ecs"):
        assert t in by_type, f"catalog lacks {t}: {sorted(by_type)}"
    urls = [e["url"] for e in by_type["compute"]["endpoints"] if e["interface"] == "public"]
    assert urls and urls[0].rstrip("/") == f"{ecsd.endpoint}/v2.1/{creds['OS_PROJECT_ID']}"
    # validation of the token
    v = requests.get(ecsd.endpoint + "/v3/auth/tokens", timeout=10,
                     headers={"X-Auth-Token": token, "X-Subject-Token": token})
    assert v.status_code == 200, v.text
    # wrong password
    body["auth"]["identity"]["password"]["user"]["password"] = "wrong"
    bad = requests.post(ecsd.endpoint + "/v3/auth/tokens", json=body, timeout=10)
    assert bad.status_code == 401


def test_version_documents(ecsd):
    r = requests.get(ecsd.endpoint + "/", timeout=10)
    assert r.status_code == 200
    ids = {v["id"]: v for v in r.json()["versions"]}
    assert ids["v2.1"]["status"] == "CURRENT"
    assert ids["v2.1"]["min_version"] == "2.1"
    major, minor = map(int, ids["v2.1"]["version"].split("."))
    assert (major, minor) >= (2, 73)
    r = requests.get(ecsd.endpoint + "/v2.1", timeout=10)
    assert r.status_code == 200
    assert r.json()["version"]["id"] == "v2.1"
    r = requests.get(ecsd.endpoint + "/v3", timeout=10)
    assert r.status_code == 200
    assert r.json()["version"]["id"].startswith("v3")


def test_unauthenticated_calls_refused(ecsd, creds):
    pid = creds["OS_PROJECT_ID"]
    r = requests.get(f"{ecsd.endpoint}/v2.1/{pid}/servers", timeout=10)
    assert r.status_code == 401
    r = requests.get(f"{ecsd.endpoint}/v2.1/{pid}/servers", timeout=10,
                     headers={"X-Auth-Token": "not-a-token"})
    assert r.status_code == 401


def test_bad_aksk_signature_refused(creds):
    from huaweicloudsdkcore.exceptions import exceptions
    from huaweicloudsdkecs.v2 import model as m

    bad = make_hw_client(creds["ECSD_ENDPOINT"], creds["HUAWEICLOUD_SDK_AK"],
                         "X" * len(creds["HUAWEICLOUD_SDK_SK"]), creds["HUAWEICLOUD_SDK_PROJECT_ID"])
    with pytest.raises(exceptions.ClientRequestException) as ei:
        bad.list_flavors(m.ListFlavorsRequest())
    assert ei.value.status_code == 401
    assert ei.value.error_code == "APIGW.0301", ei.value.error_msg
    unknown = make_hw_client(creds["ECSD_ENDPOINT"], "UNKNOWNAK0000000000X",
                             creds["HUAWEICLOUD_SDK_SK"], creds["HUAWEICLOUD_SDK_PROJECT_ID"])
    with pytest.raises(exceptions.ClientRequestException) as ei:
        unknown.list_flavors(m.ListFlavorsRequest())
    assert ei.value.status_code == 401
    assert ei.value.error_code == "APIGW.0301"


def test_restart_reuses_identity_and_generated_password(tmp_path):
    """No ECSD_ADMIN_PASSWORD: one is generated; a second start keeps everything."""
    data = tmp_path / "data"
    d1 = Ecsd(data, tmp_path / "ecsd.log", password=None).start()
    try:
        first = d1.credentials()
        assert first.get("OS_PASSWORD"), "no generated admin password"
        assert first.get("HUAWEICLOUD_SDK_AK") and first.get("HUAWEICLOUD_SDK_SK")
        clouds_first = d1.clouds_path.read_text()
    finally:
        code = d1.stop(signal.SIGTERM)
    assert code == 0, f"ecsd exited {code} on SIGTERM"
    log = d1.log_text()
    for secret in (first["OS_PASSWORD"], first["HUAWEICLOUD_SDK_SK"]):
        assert secret not in log, "a secret appears in the log"

    if "ECSD_LOG" not in os.environ:
        assert "credentials.env" in log, "the log does not say where the credentials are"

    # same data dir, same port; a different ECSD_ADMIN_PASSWORD must not re-bootstrap
    d2 = Ecsd(data, tmp_path / "ecsd.log", port=d1.port, password="another-Passw0rd!").start()
    try:
        second = d2.credentials()
        for k in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_PROJECT_ID",
                  "HUAWEICLOUD_SDK_DOMAIN_ID", "OS_PROJECT_ID"):
            assert second[k] == first[k], f"{k} changed across restart"
        # whatever the files say must work against the restarted daemon
        t = requests.post(d2.endpoint + "/v3/auth/tokens", timeout=10, json={"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "admin", "password": second["OS_PASSWORD"], "domain": {"name": "ecsd"}}}},
            "scope": {"project": {"id": second["OS_PROJECT_ID"]}}}})
        assert t.status_code == 201, "the password in credentials.env does not authenticate"
        assert second["OS_PASSWORD"] == first["OS_PASSWORD"], "OS_PASSWORD changed across restart"
        assert _mode(d2.credentials_path) == 0o600
        assert _mode(d2.clouds_path) == 0o600
        # the old identity still works against the restarted process
        from huaweicloudsdkecs.v2 import model as m

        hw = make_hw_client(d2.endpoint, second["HUAWEICLOUD_SDK_AK"],
                            second["HUAWEICLOUD_SDK_SK"], second["HUAWEICLOUD_SDK_PROJECT_ID"])
        r = hw.list_flavors(m.ListFlavorsRequest())
        assert len(r.flavors) >= 8
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "admin", "password": first["OS_PASSWORD"], "domain": {"name": "ecsd"}}}},
            "scope": {"project": {"id": first["OS_PROJECT_ID"]}}}}
        t = requests.post(d2.endpoint + "/v3/auth/tokens", json=body, timeout=10)
        assert t.status_code == 201, t.text
    finally:
        d2.stop()
    assert yaml.safe_load(clouds_first)["clouds"]["ecsd"]["auth"]["password"] == first["OS_PASSWORD"]
    assert parse_env_file(data / "credentials.env") == first
