"""Shared fixtures for the real-client end-to-end tests.

One ecsd process per test session: a fresh data directory, a free port, the
simulated driver with `--sim-step-ms 0` (transitions finish quickly, but the
tests still poll for every state they expect). Its stdout/stderr go to a log
file whose tail is attached to every failing test's report.

Environment:
  ECSD_BIN            path of the ecsd binary (default <repo>/target/debug/ecsd)
  ECSD_SIM_STEP_MS    step time of the simulated driver for the test daemon (default 0)
  ECSD_TEST_TIMEOUT   seconds to wait for any job or state (default 60)
  ECSD_LOG            passed through to the daemon (log level)
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
ECSD_BIN = Path(os.environ.get("ECSD_BIN") or REPO / "target" / "debug" / "ecsd")
TIMEOUT = float(os.environ.get("ECSD_TEST_TIMEOUT", "60"))
SIM_STEP_MS = os.environ.get("ECSD_SIM_STEP_MS", "0")
ADMIN_PASSWORD = "Ecsd-Test-Passw0rd!"

# ---- the seeded catalog (the server's contract) ---------------------------------------

IMAGE_EULER = "e215580f-73ad-429d-b6f2-5433947433b0"
IMAGE_UBUNTU = "6c3e5a0b-1f4d-4c6e-9a51-2f0d3b7c9e01"
IMAGE_CENTOS = "9b2f5d4e-7c1a-4e8b-b3f6-0a1c2d3e4f02"
IMAGE_WINDOWS = "3a7d9c1e-5b2f-4d6a-8e0c-1f2a3b4c5d03"
IMAGES = {
    IMAGE_EULER: "EulerOS 2.5 64bit",
    IMAGE_UBUNTU: "Ubuntu 22.04 server 64bit",
    IMAGE_CENTOS: "CentOS 7.9 64bit",
    IMAGE_WINDOWS: "Windows Server 2019 Datacenter 64bit",
}
# name -> (vcpus, ram MB)
FLAVORS = {
    "s3.small.1": (1, 1024),
    "s3.medium.2": (1, 2048),
    "s6.small.1": (1, 1024),
    "s6.medium.2": (1, 2048),
    "s6.large.2": (2, 4096),
    "s6.xlarge.2": (4, 8192),
    "s6.2xlarge.2": (8, 16384),
    "c6.large.2": (2, 4096),
    "c6.xlarge.2": (4, 8192),
    "c6.2xlarge.2": (8, 16384),
    "m6.large.8": (2, 16384),
    "s6.4xlarge.2": (16, 32768),
    "kc1.large.2": (2, 4096),
}
FLAVOR_SOLD_OUT = "s6.4xlarge.2"
FLAVOR_ARM = "kc1.large.2"
AZ = "local-1a"
DEH_ID = "459a2b9d-804a-4745-ab19-a113bb1b4ddc"
# The region's default VPC and subnet (Neutron's network "private"), made on first start.
VPC_ID = "5b4f2a3c-7d1e-4f60-8a9b-0c1d2e3f4a50"
SUBNET_ID = "5b4f2a3c-7d1e-4f60-8a9b-0c1d2e3f4a51"
GOOD_PASS = "Ecsd#Passw0rd2024"

CRED_KEYS = [
    "ECSD_ENDPOINT", "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_PROJECT_ID",
    "HUAWEICLOUD_SDK_DOMAIN_ID", "OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD", "OS_PROJECT_ID",
    "OS_PROJECT_NAME", "OS_USER_DOMAIN_NAME", "OS_PROJECT_DOMAIN_NAME", "OS_REGION_NAME",
    "OS_IDENTITY_API_VERSION",
]

# ---- the daemon -------------------------------------------------------------------------

_DAEMONS: list["Ecsd"] = []
_LOGS: dict[str, int] = {}   # every daemon log of this session -> its port


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_env_file(path: Path) -> dict:
    """KEY=VALUE lines as a POSIX shell would read them (values may be quoted)."""
    out = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):]
        key, sep, value = line.partition("=")
        assert sep, f"{path}: not a KEY=VALUE line: {line!r}"
        parts = shlex.split(value) if value else [""]
        out[key.strip()] = parts[0] if parts else ""
    return out


class Ecsd:
    """One ecsd process on its own port and data directory."""

    def __init__(self, data_dir: Path, log_path: Path, port: int | None = None,
                 password: str | None = ADMIN_PASSWORD, sim_step_ms: str = SIM_STEP_MS):
        self.data_dir = Path(data_dir)
        self.log_path = Path(log_path)
        self.port = port or free_port()
        self.password = password
        self.sim_step_ms = sim_step_ms
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def credentials_path(self) -> Path:
        return self.data_dir / "credentials.env"

    @property
    def clouds_path(self) -> Path:
        return self.data_dir / "clouds.yaml"

    def start(self, timeout: float = 30.0) -> "Ecsd":
        if not ECSD_BIN.exists():
            pytest.exit(f"ecsd binary not found at {ECSD_BIN} (set ECSD_BIN or build it)", 2)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ECSD_") or k == "ECSD_LOG"}
        if self.password is not None:
            env["ECSD_ADMIN_PASSWORD"] = self.password
        self._log = open(self.log_path, "ab")
        self._log.write(f"\n==== starting ecsd on port {self.port} ====\n".encode())
        self._log.flush()
        # Every test shares one project: quotas well above what the suite holds
        # at once (the quota tests set their own on a project of their own).
        config = self.data_dir / "ecsd.toml"
        config.write_text("[quotas]\ninstances = 200\ncores = 400\nram = 819200\nvolumes = 500\n"
                          "gigabytes = 50000\nsecurity_groups = 200\nsecurity_group_rules = 2000\n"
                          "floating_ips = 200\nnetworks = 200\nsubnets = 200\nports = 2000\n")
        cmd = [str(ECSD_BIN), "serve", "--listen", f"127.0.0.1:{self.port}",
               "--data", str(self.data_dir), "--sim-step-ms", str(self.sim_step_ms),
               "--config", str(config)]
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     stdin=subprocess.DEVNULL)
        _DAEMONS.append(self)
        _LOGS[str(self.log_path)] = self.port
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ecsd exited with {self.proc.returncode} during start-up\n"
                                   + self.log_tail())
            try:
                r = requests.get(self.endpoint + "/", timeout=2)
                if r.status_code == 200:
                    return self
                last = f"HTTP {r.status_code}"
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"ecsd not ready after {timeout}s ({last})\n" + self.log_tail())

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        """Stop the process we started; returns its exit code (None if it had to be killed)."""
        code = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                code = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                code = None
        elif self.proc is not None:
            code = self.proc.returncode
        if self._log is not None:
            self._log.close()
            self._log = None
        if self in _DAEMONS:
            _DAEMONS.remove(self)
        return code

    def credentials(self) -> dict:
        return parse_env_file(self.credentials_path)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 80) -> str:
        text = self.log_text().splitlines()[-lines:]
        return f"---- tail of {self.log_path} ----\n" + "\n".join(text)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for path, port in _LOGS.items():
            try:
                tail = Path(path).read_text(errors="replace").splitlines()[-60:]
            except OSError:
                continue
            report.sections.append((f"ecsd log {path} (port {port})", "\n".join(tail)))


def pytest_configure(config):
    # The clients must only ever see the configuration the tests give them.
    for key in list(os.environ):
        if key.startswith("OS_"):
            del os.environ[key]


@pytest.fixture(scope="session")
def ecsd(tmp_path_factory):
    base = tmp_path_factory.mktemp("ecsd")
    d = Ecsd(base / "data", base / "ecsd.log").start()
    yield d
    d.stop()


@pytest.fixture(scope="session")
def creds(ecsd) -> dict:
    c = ecsd.credentials()
    missing = [k for k in CRED_KEYS if not c.get(k)]
    assert not missing, f"credentials.env lacks {missing}"
    return c


@pytest.fixture(scope="session")
def project_id(creds) -> str:
    return creds["HUAWEICLOUD_SDK_PROJECT_ID"]


# ---- Huawei SDK ------------------------------------------------------------------------

def _sdk_client(client_class, credentials, endpoint: str):
    """A Huawei SDK client that fails fast: no retries, short timeouts."""
    from huaweicloudsdkcore.http.http_config import HttpConfig

    cfg = HttpConfig.get_default_config()
    cfg.retry_times = 0
    cfg.timeout = (5, 30)
    return (client_class.new_builder().with_http_config(cfg)
            .with_credentials(credentials)
            .with_endpoint(endpoint).build())


def huawei_client(client_class, creds: dict):
    """Any Huawei service's SDK client, AK/SK signed for the suite's project."""
    from huaweicloudsdkcore.auth.credentials import BasicCredentials

    return _sdk_client(client_class, BasicCredentials(creds["HUAWEICLOUD_SDK_AK"], creds["HUAWEICLOUD_SDK_SK"],
                                                      creds["HUAWEICLOUD_SDK_PROJECT_ID"]),
                       creds["ECSD_ENDPOINT"])


def make_hw_client(endpoint: str, ak: str, sk: str, project_id: str):
    """An ECS client, AK/SK signed for a project."""
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkecs.v2 import EcsClient

    return _sdk_client(EcsClient, BasicCredentials(ak, sk, project_id), endpoint)


def make_iam_client(endpoint: str, ak: str, sk: str, domain_id: str):
    """An IAM client, AK/SK signed for the account."""
    from huaweicloudsdkcore.auth.credentials import GlobalCredentials
    from huaweicloudsdkiam.v3 import IamClient

    return _sdk_client(IamClient, GlobalCredentials(ak, sk, domain_id), endpoint)


@pytest.fixture(scope="session")
def hw(creds):
    return make_hw_client(creds["ECSD_ENDPOINT"], creds["HUAWEICLOUD_SDK_AK"],
                          creds["HUAWEICLOUD_SDK_SK"], creds["HUAWEICLOUD_SDK_PROJECT_ID"])


def hw_error(fn, *args, **kwargs):
    """Run an SDK call that must fail with a 4xx; return the ClientRequestException."""
    from huaweicloudsdkcore.exceptions import exceptions

    try:
        r = fn(*args, **kwargs)
    except exceptions.ClientRequestException as e:
        return e
    raise AssertionError(f"expected a 4xx error, got HTTP {getattr(r, 'status_code', '?')}: {r}")


def wait_job(hw, job_id: str, timeout: float = TIMEOUT):
    """Poll GET /v1/{project}/jobs/{id} until SUCCESS or FAIL; returns the last response."""
    from huaweicloudsdkecs.v2 import model as m

    assert job_id, "no job_id"
    deadline = time.monotonic() + timeout
    while True:
        r = hw.show_job(m.ShowJobRequest(job_id=job_id))
        if r.status in ("SUCCESS", "FAIL"):
            return r
        assert r.status in ("INIT", "RUNNING"), f"job {job_id}: unexpected status {r.status!r}"
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {r.status} after {timeout}s")
        time.sleep(0.1)


def job_ok(hw, job_id: str, timeout: float = TIMEOUT):
    r = wait_job(hw, job_id, timeout)
    assert r.status == "SUCCESS", (
        f"job {job_id} ({r.job_type}) ended {r.status}: {r.error_code} {r.fail_reason}")
    return r


def hw_show(hw, server_id: str) -> dict:
    """The v1 show body as sent on the wire (JSON types matter)."""
    from huaweicloudsdkecs.v2 import model as m

    r = hw.show_server(m.ShowServerRequest(server_id=server_id))
    body = r.to_json_object()
    assert r.server.id == server_id
    return body["server"]


def hw_wait_status(hw, server_id: str, status: str, timeout: float = TIMEOUT) -> dict:
    """Poll the v1 show until `status` with no task in progress."""
    deadline = time.monotonic() + timeout
    while True:
        s = hw_show(hw, server_id)
        if s["status"] == status and not s.get("OS-EXT-STS:task_state"):
            return s
        if s["status"] == "ERROR" or time.monotonic() > deadline:
            raise AssertionError(f"server {server_id}: wanted {status}, is {s['status']} "
                                 f"(task {s.get('OS-EXT-STS:task_state')!r})")
        time.sleep(0.1)


def hw_native_action(hw, server_id: str, body: dict):
    """Native /v2.1 action signed with AK/SK through the SDK's generic request path."""
    return hw.do_http_request(
        method="POST", resource_path="/v2.1/{project_id}/servers/{server_id}/action",
        path_params={"server_id": server_id}, query_params=[],
        header_params={"Content-Type": "application/json;charset=UTF-8"},
        body=body, post_params={}, response_headers=[], collection_formats={},
        response_type="NovaAssociateSecurityGroupResponse")


def hw_post_raw(hw, resource_path: str, body, path_params=None):
    """A signed POST with a body the SDK's models cannot express (e.g. {"migrate": null})."""
    return hw.do_http_request(
        method="POST", resource_path=resource_path, path_params=path_params or {},
        query_params=[], header_params={"Content-Type": "application/json;charset=UTF-8"},
        body=body, post_params={}, response_headers=[], collection_formats={},
        response_type="MigrateServerResponse")


def hw_create(hw, name: str, flavor: str = "s6.small.1", image: str = IMAGE_EULER,
              count: int = 1) -> tuple[list[str], object]:
    """Create through POST /v1/{project}/cloudservers and wait for the job."""
    from huaweicloudsdkecs.v2 import model as m

    srv = m.PostPaidServer(
        name=name, flavor_ref=flavor, image_ref=image, vpcid=VPC_ID,
        nics=[m.PostPaidServerNic(subnet_id=SUBNET_ID)],
        root_volume=m.PostPaidServerRootVolume(volumetype="SSD", size=40),
        availability_zone=AZ, count=count, admin_pass=GOOD_PASS)
    r = hw.create_post_paid_servers(m.CreatePostPaidServersRequest(
        body=m.CreatePostPaidServersRequestBody(server=srv)))
    assert r.job_id, "create returned no job_id"
    assert r.server_ids and len(r.server_ids) == count, f"serverIds: {r.server_ids}"
    job = job_ok(hw, r.job_id)
    return list(r.server_ids), job


@pytest.fixture
def hw_servers(hw):
    """Factory: create servers with the Huawei API; deletes them afterwards."""
    from huaweicloudsdkecs.v2 import model as m

    created: list[str] = []

    def make(name_prefix: str = "hw", flavor: str = "s6.small.1", image: str = IMAGE_EULER,
             count: int = 1) -> list[str]:
        ids, _ = hw_create(hw, f"{name_prefix}-{uuid.uuid4().hex[:6]}", flavor, image, count)
        created.extend(ids)
        for sid in ids:
            hw_wait_status(hw, sid, "ACTIVE")
        return ids

    yield make
    if created:
        try:
            r = hw.delete_servers(m.DeleteServersRequest(body=m.DeleteServersRequestBody(
                servers=[m.ServerId(id=i) for i in created], delete_publicip=True,
                delete_volume=True)))
            wait_job(hw, r.job_id)
        except Exception:  # noqa: BLE001 - cleanup only; the test result stands
            pass


# ---- openstacksdk ------------------------------------------------------------------------

@pytest.fixture(scope="session")
def conn(creds):
    import openstack

    c = openstack.connect(
        load_yaml_config=False, load_envvars=False,
        auth_url=creds["OS_AUTH_URL"], username=creds["OS_USERNAME"],
        password=creds["OS_PASSWORD"], project_id=creds["OS_PROJECT_ID"],
        user_domain_name=creds["OS_USER_DOMAIN_NAME"], region_name=creds["OS_REGION_NAME"],
        identity_api_version="3")
    yield c
    c.close()


def nova_wait(conn, server_id: str, status: str, timeout: float = TIMEOUT):
    """Poll GET /servers/{id} until `status` with task_state null (what Tempest waits for)."""
    deadline = time.monotonic() + timeout
    while True:
        s = conn.compute.get_server(server_id)
        if s.status == status and not s.task_state:
            return s
        if s.status == "ERROR" or time.monotonic() > deadline:
            raise AssertionError(f"server {server_id}: wanted {status}, is {s.status} "
                                 f"(task {s.task_state!r}, vm {s.vm_state!r})")
        time.sleep(0.1)


@pytest.fixture
def nova_servers(conn):
    """Factory: create servers with openstacksdk (networks='auto'); deletes them afterwards."""
    created = []

    def make(flavor: str = "s6.small.1", image: str = IMAGE_EULER, name: str | None = None):
        s = conn.compute.create_server(name=name or f"sdk-{uuid.uuid4().hex[:6]}",
                                       image_id=image, flavor_id=flavor, networks="auto")
        created.append(s.id)
        s = conn.compute.wait_for_server(s, status="ACTIVE", interval=1, wait=TIMEOUT)
        return nova_wait(conn, s.id, "ACTIVE")

    yield make
    for sid in created:
        try:
            conn.compute.delete_server(sid, ignore_missing=True)
        except Exception:  # noqa: BLE001 - cleanup only
            pass


# ---- the openstack CLI ------------------------------------------------------------------

def _openstack_exe() -> str:
    exe = Path(sys.executable).parent / "openstack"
    if exe.exists():
        return str(exe)
    found = shutil.which("openstack")
    assert found, "the openstack CLI is not installed in this environment"
    return found


class Cli:
    def __init__(self, clouds_yaml: Path):
        self.exe = _openstack_exe()
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env["OS_CLIENT_CONFIG_FILE"] = str(clouds_yaml)
        self.env = env

    def run(self, *args: str, check: bool = True, timeout: float = 180):
        cmd = [self.exe, "--os-cloud", "ecsd", *args]
        p = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"`openstack {' '.join(args)}` exited {p.returncode}\n"
                                 f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        return p

    def json(self, *args: str):
        p = self.run(*args, "-f", "json")
        try:
            return json.loads(p.stdout)
        except ValueError as e:
            raise AssertionError(f"`openstack {' '.join(args)}` printed no JSON: {p.stdout!r}") from e

    def show(self, server: str) -> dict:
        return self.json("server", "show", server)

    def wait_status(self, server: str, status: str, timeout: float = TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            s = self.show(server)
            if s["status"] == status and not s.get("OS-EXT-STS:task_state"):
                return s
            if s["status"] == "ERROR" or time.monotonic() > deadline:
                raise AssertionError(f"server {server}: wanted {status}, is {s['status']} "
                                     f"(task {s.get('OS-EXT-STS:task_state')!r})")
            time.sleep(0.5)


@pytest.fixture(scope="session")
def cli(ecsd, creds):
    return Cli(ecsd.clouds_path)
