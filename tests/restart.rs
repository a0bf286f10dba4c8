//! The real binary, killed mid-job (`kill -9`) or stopped gracefully
//! (SIGTERM) while jobs run, then started again on the same data
//! directory: every acknowledged job finishes and no server stays in a
//! transitional state.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const PASSWORD: &str = "Restart-test-1";
const IMAGE: &str = "e215580f-73ad-429d-b6f2-5433947433b0";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

struct Daemon {
    child: Child,
    port: u16,
}

impl Daemon {
    fn start(data: &Path, port: u16, step_ms: u64) -> Daemon {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data.join("test.log"))
            .expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_ecsd"))
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--sim-step-ms",
                &step_ms.to_string(),
            ])
            .arg("--data")
            .arg(data)
            .env("ECSD_ADMIN_PASSWORD", PASSWORD)
            .env("ECSD_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start ecsd");
        let d = Daemon { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if d.request("GET", "/", None, None)
                .map(|(s, _, _)| s == 200)
                .unwrap_or(false)
            {
                return d;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("ecsd did not start");
    }

    fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().expect("wait")
    }

    /// A minimal HTTP/1.1 exchange; returns status, headers text and body.
    fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> std::io::Result<(u16, String, Value)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let payload = body.map(|b| b.to_string()).unwrap_or_default();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nContent-Type: application/json\r\nOpenStack-API-Version: compute 2.79\r\nContent-Length: {}\r\n",
            self.port,
            payload.len()
        );
        if let Some(t) = token {
            req.push_str(&format!("X-Auth-Token: {t}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(&payload);
        stream.write_all(req.as_bytes())?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        let text = String::from_utf8_lossy(&raw).to_string();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        Ok((
            status,
            head.to_string(),
            serde_json::from_str(body).unwrap_or(Value::Null),
        ))
    }

    fn token(&self) -> (String, String) {
        let body = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "password": PASSWORD, "domain": {"name": "ecsd"}}}}, "scope": {"project": {"name": "local-1", "domain": {"name": "ecsd"}}}}});
        let (status, head, resp) = self
            .request("POST", "/v3/auth/tokens", None, Some(&body))
            .expect("token request");
        assert_eq!(status, 201, "{resp}");
        let token = head
            .lines()
            .find_map(|l| l.strip_prefix("x-subject-token: "))
            .expect("token header")
            .trim()
            .to_string();
        let project = resp["token"]["project"]["id"].as_str().expect("project").to_string();
        (token, project)
    }

    fn server(&self, token: &str, id: &str) -> Value {
        let (status, _, body) = self
            .request("GET", &format!("/v2.1/servers/{id}"), Some(token), None)
            .expect("show");
        assert_eq!(status, 200, "{body}");
        body["server"].clone()
    }

    /// Polls until the server is idle in `status`.
    fn wait_for(&self, token: &str, id: &str, status: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let s = self.server(token, id);
            if s["status"] == status && s["OS-EXT-STS:task_state"].is_null() {
                return s;
            }
            assert!(Instant::now() < deadline, "server never reached {status}: {s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn action(&self, token: &str, id: &str, body: Value) -> u16 {
        let (status, _, resp) = self
            .request("POST", &format!("/v2.1/servers/{id}/action"), Some(token), Some(&body))
            .expect("action");
        assert!(status == 202 || status == 204, "{status} {resp}");
        status
    }
}

fn create(d: &Daemon, token: &str) -> String {
    let body = json!({"server": {"name": "crash", "imageRef": IMAGE, "flavorRef": "s6.small.1", "networks": "auto"}});
    let (status, _, resp) = d
        .request("POST", "/v2.1/servers", Some(token), Some(&body))
        .expect("create");
    assert_eq!(status, 202, "{resp}");
    resp["server"]["id"].as_str().expect("id").to_string()
}

#[test]
fn kill_9_mid_job_then_restart_finishes_every_acknowledged_job() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let d = Daemon::start(dir.path(), port, 0);
    let (token, _) = d.token();
    let a = create(&d, &token);
    let b = create(&d, &token);
    d.wait_for(&token, &a, "ACTIVE");
    d.wait_for(&token, &b, "ACTIVE");
    d.kill9();

    // Slow steps so that the kill lands in the middle of the workflows.
    let d = Daemon::start(dir.path(), port, 250);
    let (token, _) = d.token();
    d.action(&token, &a, json!({"resize": {"flavorRef": "s6.medium.2"}}));
    d.action(
        &token,
        &b,
        json!({"rebuild": {"imageRef": "6c3e5a0b-1f4d-4c6e-9a51-2f0d3b7c9e01"}}),
    );
    std::thread::sleep(Duration::from_millis(900));
    let mid = d.server(&token, &a);
    assert!(
        !mid["OS-EXT-STS:task_state"].is_null(),
        "the resize should still be running: {mid}"
    );
    d.kill9();

    let d = Daemon::start(dir.path(), port, 0);
    let (token, _) = d.token();
    let a_done = d.wait_for(&token, &a, "VERIFY_RESIZE");
    assert_eq!(a_done["flavor"]["original_name"], "s6.medium.2");
    let b_done = d.wait_for(&token, &b, "ACTIVE");
    assert_eq!(b_done["image"]["id"], "6c3e5a0b-1f4d-4c6e-9a51-2f0d3b7c9e01");
    assert_eq!(
        b_done["os-extended-volumes:volumes_attached"].as_array().map(Vec::len),
        Some(1),
        "one system disk after a repeated rebuild step"
    );
    // The old tokens survive a restart too: they are in the store.
    assert_eq!(d.server(&token, &a)["id"], a.as_str());
    d.action(&token, &a, json!({"confirmResize": null}));
    d.wait_for(&token, &a, "ACTIVE");
    d.kill9();
}

/// The simulator keeps nothing on disk and start-up reads no servers: a
/// restarted node learns each VM from its record when a step first
/// touches it, so running and stopped servers act as before the restart.
#[test]
fn after_a_restart_running_and_stopped_servers_still_act() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let d = Daemon::start(dir.path(), port, 0);
    let (token, _) = d.token();
    let running = create(&d, &token);
    let stopped = create(&d, &token);
    d.wait_for(&token, &running, "ACTIVE");
    d.wait_for(&token, &stopped, "ACTIVE");
    d.action(&token, &stopped, json!({"os-stop": null}));
    d.wait_for(&token, &stopped, "SHUTOFF");
    d.kill9();

    let d = Daemon::start(dir.path(), port, 0);
    let (token, _) = d.token();
    d.action(&token, &stopped, json!({"os-start": null}));
    d.action(&token, &running, json!({"reboot": {"type": "HARD"}}));
    for id in [&stopped, &running] {
        let s = d.wait_for(&token, id, "ACTIVE");
        assert_eq!(s["OS-EXT-STS:power_state"], 1, "{s}");
        assert!(s.get("fault").is_none(), "{s}");
    }
    d.action(&token, &running, json!({"os-stop": null}));
    let s = d.wait_for(&token, &running, "SHUTOFF");
    assert_eq!(s["OS-EXT-STS:power_state"], 4, "{s}");
    d.kill9();
}

#[test]
fn sigterm_stops_at_a_step_boundary_and_the_job_resumes_on_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let d = Daemon::start(dir.path(), port, 0);
    let (token, _) = d.token();
    let a = create(&d, &token);
    d.wait_for(&token, &a, "ACTIVE");
    d.kill9();

    let d = Daemon::start(dir.path(), port, 300);
    let (token, _) = d.token();
    d.action(&token, &a, json!({"resize": {"flavorRef": "c6.large.2"}}));
    std::thread::sleep(Duration::from_millis(700));
    let status = d.terminate();
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");

    let d = Daemon::start(dir.path(), port, 0);
    let (token, _) = d.token();
    let done = d.wait_for(&token, &a, "VERIFY_RESIZE");
    assert_eq!(done["flavor"]["original_name"], "c6.large.2");
    d.kill9();
}

#[test]
fn kill_9_under_concurrent_load_loses_no_acknowledged_action() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let d = Daemon::start(dir.path(), port, 0);
    let (token, _) = d.token();
    let servers: Vec<String> = (0..8).map(|_| create(&d, &token)).collect();
    for s in &servers {
        d.wait_for(&token, s, "ACTIVE");
    }
    // Eight clients reboot their own server as fast as they can, many
    // requests sharing each group commit; ecsd is killed in the middle.
    let d = std::sync::Arc::new(d);
    let clients: Vec<_> = servers
        .iter()
        .cloned()
        .map(|id| {
            let (d, token) = (d.clone(), token.clone());
            std::thread::spawn(move || {
                let mut acknowledged = Vec::new();
                let body = json!({"reboot": {"type": "SOFT"}});
                let path = format!("/v2.1/servers/{id}/action");
                while let Ok((status, head, _)) = d.request("POST", &path, Some(&token), Some(&body)) {
                    if status == 202 {
                        let request_id = head
                            .lines()
                            .find_map(|l| l.strip_prefix("x-openstack-request-id: "))
                            .expect("request id")
                            .trim()
                            .to_string();
                        acknowledged.push(request_id);
                    }
                }
                (id, acknowledged)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    let pid = d.child.id();
    let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
    let acknowledged: Vec<(String, Vec<String>)> = clients.into_iter().map(|c| c.join().expect("client")).collect();
    let total: usize = acknowledged.iter().map(|(_, a)| a.len()).sum();
    assert!(total > 8, "the load ran: {total} acknowledged");
    let mut d = std::sync::Arc::try_unwrap(d).ok().expect("clients are done");
    let _ = d.child.wait();

    let d = Daemon::start(dir.path(), port, 0);
    let (token, _) = d.token();
    for (id, requests) in &acknowledged {
        d.wait_for(&token, id, "ACTIVE");
        for request_id in requests {
            let (status, _, body) = d
                .request(
                    "GET",
                    &format!("/v2.1/servers/{id}/os-instance-actions/{request_id}"),
                    Some(&token),
                    None,
                )
                .expect("show action");
            assert_eq!(status, 200, "acknowledged reboot {request_id} of {id} was lost: {body}");
        }
    }
    d.kill9();
}
