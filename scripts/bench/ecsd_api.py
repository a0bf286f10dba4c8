"""The ecsd side of scripts/bench.sh: a Keystone token, servers created in
batches and waited for, and the servers brought back to ACTIVE and idle
between measurements. Standard library only.

    ecsd_api.py token  --env DATA/credentials.env
    ecsd_api.py create --env ENV --token T --count N --ids FILE [--batch 100]
    ecsd_api.py settle --env ENV --token T [--statuses BUILD,REBOOT]
"""

import argparse
import http.client
import json
import sys
import threading
import time
import urllib.parse

IMAGE = "e215580f-73ad-429d-b6f2-5433947433b0"  # EulerOS 2.5, seeded
FLAVOR = "s6.small.1"  # 1 vCPU, 1 GiB: the bench config sizes the hosts for it
PAGE = 1000  # Nova's largest page


def read_env(path):
    env = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            key, sep, value = line.strip().partition("=")
            if sep and not key.startswith("#"):
                env[key] = value.strip().strip("'\"")
    return env


class Api:
    """One keep-alive connection to ecsd."""

    def __init__(self, endpoint, token=None):
        url = urllib.parse.urlsplit(endpoint)
        self.host, self.port = url.hostname, url.port or 80
        self.token = token
        self.conn = None

    def call(self, method, path, body=None):
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["X-Auth-Token"] = self.token
        data = json.dumps(body).encode() if body is not None else None
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                return resp.status, resp.headers, (json.loads(raw) if raw else None)
            except (http.client.HTTPException, ConnectionError):
                self.conn = None
                if attempt == 2:
                    raise
        raise RuntimeError("unreachable")


def token(env):
    api = Api(env["ECSD_ENDPOINT"])
    status, headers, body = api.call("POST", "/v3/auth/tokens", {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": env["OS_USERNAME"], "password": env["OS_PASSWORD"],
            "domain": {"name": env["OS_USER_DOMAIN_NAME"]}}}},
        "scope": {"project": {"id": env["OS_PROJECT_ID"]}}}})
    if status != 201:
        sys.exit(f"ecsd_api: token request answered {status}: {body}")
    return headers["X-Subject-Token"]


def list_servers(api, query="", detail=False):
    """Every server matching `query`, following Nova's pages."""
    kind = "servers/detail" if detail else "servers"
    out, marker = [], None
    while True:
        q = f"limit={PAGE}" + (f"&marker={marker}" if marker else "") + (f"&{query}" if query else "")
        status, _, body = api.call("GET", f"/v2.1/{kind}?{q}")
        if status != 200:
            sys.exit(f"ecsd_api: listing servers answered {status}: {body}")
        page = body["servers"]
        out.extend(page)
        if len(page) < PAGE:
            return out
        marker = page[-1]["id"]


def count_status(api, status, marker=None):
    """Whether any server (after `marker`) has `status`: the id of the
    first one, or None (one short page is enough)."""
    after = f"&marker={marker}" if marker else ""
    code, _, body = api.call("GET", f"/v2.1/servers?limit=1&status={status}{after}")
    if code != 200:
        sys.exit(f"ecsd_api: listing {status} servers answered {code}: {body}")
    return body["servers"][0]["id"] if body["servers"] else None


def server_status(api, sid):
    code, _, body = api.call("GET", f"/v2.1/servers/{sid}")
    if code != 200:
        sys.exit(f"ecsd_api: showing {sid} answered {code}: {body}")
    return body["server"]["status"]


def wait_none(api, status, deadline):
    """Waits until no server has `status`, for a status no server comes
    back to (BUILD, or a task's). Each poll starts at the first server
    found in it last time (every server before it had left the status),
    so a poll costs what changed since, not the whole list."""
    frontier = count_status(api, status)
    while frontier:
        if time.monotonic() > deadline:
            sys.exit(f"ecsd_api: servers still {status} at the deadline")
        if server_status(api, frontier) == status:
            time.sleep(0.5)
            continue
        frontier = count_status(api, status, marker=frontier)


def create(env, tok, count, batch, parallel, ids_path, timeout):
    """`count` servers in requests of up to `batch` (Nova's min_count /
    max_count), `parallel` requests at a time, then waits for all ACTIVE."""
    sizes = [batch] * (count // batch) + ([count % batch] if count % batch else [])
    lock, failures = threading.Lock(), []
    started = time.monotonic()

    def worker(my_sizes):
        api = Api(env["ECSD_ENDPOINT"], tok)
        for i, n in my_sizes:
            status, _, body = api.call("POST", "/v2.1/servers", {"server": {
                "name": f"bench-{i:06d}", "imageRef": IMAGE, "flavorRef": FLAVOR,
                "networks": "auto", "min_count": n, "max_count": n}})
            if status != 202:
                with lock:
                    failures.append(f"create of {n} answered {status}: {json.dumps(body)[:300]}")
                return

    numbered = list(enumerate(sizes))
    threads = [threading.Thread(target=worker, args=(numbered[k::parallel],)) for k in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        sys.exit("ecsd_api: " + failures[0])
    accepted = time.monotonic()

    api = Api(env["ECSD_ENDPOINT"], tok)
    wait_none(api, "BUILD", time.monotonic() + timeout)
    built = time.monotonic()
    if count_status(api, "ERROR"):
        sys.exit("ecsd_api: some servers ended in ERROR")
    ids = [s["id"] for s in list_servers(api, "status=ACTIVE")]
    if len(ids) < count:
        sys.exit(f"ecsd_api: {len(ids)} servers ACTIVE, {count} wanted")
    with open(ids_path, "w", encoding="utf-8") as f:
        f.write("\n".join(ids) + "\n")
    print(f"created {count} servers: accepted in {accepted - started:.1f} s, "
          f"all ACTIVE after {built - started:.1f} s", file=sys.stderr)


def settle(env, tok, timeout, statuses=None):
    """Starts the stopped servers and waits until none has a task running,
    so that every measurement begins from all ACTIVE. With `statuses`
    (runs that only create and reboot), waits only until no server shows
    one of them, without reading every server."""
    api = Api(env["ECSD_ENDPOINT"], tok)
    deadline = time.monotonic() + timeout
    if statuses:
        for status in statuses:
            wait_none(api, status, deadline)
        return
    while True:
        servers = list_servers(api, detail=True)
        busy = [s for s in servers if s.get("OS-EXT-STS:task_state")]
        stopped = [s for s in servers if s["status"] == "SHUTOFF" and not s.get("OS-EXT-STS:task_state")]
        for s in stopped:
            status, _, body = api.call("POST", f"/v2.1/servers/{s['id']}/action", {"os-start": None})
            if status not in (202, 409):
                sys.exit(f"ecsd_api: os-start answered {status}: {body}")
        if not busy and not stopped:
            return
        if time.monotonic() > deadline:
            sys.exit(f"ecsd_api: servers not settled after {timeout} s "
                     f"({len(busy)} busy, {len(stopped)} stopped)")
        time.sleep(0.2)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["token", "create", "settle"])
    p.add_argument("--env", required=True, help="ecsd's credentials.env")
    p.add_argument("--token")
    p.add_argument("--count", type=int)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--parallel", type=int, default=1,
                   help="create requests at a time (1: ecsd may give concurrent creates one address)")
    p.add_argument("--ids", help="file to write the server ids to, one a line")
    p.add_argument("--timeout", type=float, default=3600)
    p.add_argument("--statuses", help="settle: only wait until no server has one of these (comma-separated)")
    a = p.parse_args()
    env = read_env(a.env)
    if a.command == "token":
        print(token(env))
    elif a.command == "create":
        create(env, a.token, a.count, a.batch, a.parallel, a.ids, a.timeout)
    else:
        settle(env, a.token, a.timeout, a.statuses.split(",") if a.statuses else None)


if __name__ == "__main__":
    main()
