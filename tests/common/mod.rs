//! An in-process ecsd on a temporary data directory, with the simulated
//! driver at zero delay and the engine driven explicitly by the test; and
//! requests sent through its router without a socket.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use ecsd::app::config::FileConfig;
use ecsd::app::{build, App, ServeOptions};
use ecsd::catalog::OpId;
use ecsd::control::service::{CreateSpec, NicSpec, VolumeSpec};
use ecsd::control::workflows::WorkInput;
use ecsd::domain::{AuthMethod, Caller, Server, DEFAULT_SUBNET_ID, DEFAULT_VPC_ID};
use ecsd::domain::{Domain, Project, User};
use serde_json::{json, Value};
use tower::ServiceExt;

pub const IMAGE: &str = "e215580f-73ad-429d-b6f2-5433947433b0";
pub const IMAGE2: &str = "6c3e5a0b-1f4d-4c6e-9a51-2f0d3b7c9e01";
pub const DEH: &str = "459a2b9d-804a-4745-ab19-a113bb1b4ddc";
/// The password of the bootstrap administrator (`admin` of account `ecsd`).
pub const ADMIN_PASSWORD: &str = "Test-password-1";
/// The password of every user made by [`Kit::user_with`].
pub const USER_PASSWORD: &str = "User-password-1";

pub struct Kit {
    pub app: App,
    pub caller: Caller,
    _dir: tempfile::TempDir,
}

pub async fn kit() -> Kit {
    kit_with(ecsd::control::authz::EnforcementMode::Enforce).await
}

pub async fn kit_with(mode: ecsd::control::authz::EnforcementMode) -> Kit {
    kit_opts(mode, 0).await
}

/// A kit whose simulated driver takes `sim_step_ms` per step. Quotas are
/// unlimited: the tests of quotas set their own (see [`kit_file`]).
pub async fn kit_opts(mode: ecsd::control::authz::EnforcementMode, sim_step_ms: u64) -> Kit {
    let unlimited = ecsd::domain::quota::Resource::ALL
        .iter()
        .map(|r| (r.key().to_string(), -1))
        .collect();
    let file = FileConfig {
        quotas: unlimited,
        ..FileConfig::default()
    };
    kit_file(mode, sim_step_ms, file).await
}

/// A kit with this configuration file.
pub async fn kit_file(mode: ecsd::control::authz::EnforcementMode, sim_step_ms: u64, file: FileConfig) -> Kit {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = ServeOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        data: dir.path().to_path_buf(),
        sim_step_ms,
        file,
        admin_password: Some(ADMIN_PASSWORD.into()),
        public_url: Some("http://127.0.0.1:1".into()),
        authz_mode: mode,
        audit_retention: Default::default(),
        token_ttl_hours: 24,
        sync: Default::default(),
    };
    let app = build(&opts).await.expect("build app");
    let b = app.bootstrap.clone();
    let caller = Caller {
        user_id: b.user_id,
        user_name: "admin".into(),
        domain_id: b.domain_id,
        domain_name: "ecsd".into(),
        project_id: b.project_id,
        project_name: "local-1".into(),
        is_admin: true,
        method: AuthMethod::Token,
        trace: Default::default(),
    };
    Kit { app, caller, _dir: dir }
}

impl Kit {
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub fn service(&self) -> &Arc<ecsd::control::service::Service> {
        &self.app.state.service
    }

    pub async fn run(&self) {
        self.app.engine.run_pending().await.expect("run jobs");
    }

    pub async fn server(&self, id: &str) -> Server {
        self.service()
            .store
            .get_server(id)
            .await
            .expect("store")
            .expect("server exists")
    }

    /// A booted (ACTIVE) server with the given flavor.
    pub async fn active_server(&self, flavor: &str) -> Server {
        let id = self.create_server(flavor).await;
        self.run().await;
        self.server(&id).await
    }

    /// Accepts a create and returns the server id without running its job.
    pub async fn create_server(&self, flavor: &str) -> String {
        let spec = CreateSpec {
            name: "t".into(),
            image_id: IMAGE.into(),
            flavor_id: flavor.into(),
            count: 1,
            vpc_id: Some(DEFAULT_VPC_ID.into()),
            nics: vec![NicSpec {
                network_id: DEFAULT_SUBNET_ID.into(),
                ip_address: None,
                port_id: None,
            }],
            security_groups: Vec::new(),
            root_volume: VolumeSpec {
                volume_type: "SSD".into(),
                size_gb: 40,
                delete_on_termination: true,
            },
            data_volumes: vec![VolumeSpec {
                volume_type: "SAS".into(),
                size_gb: 20,
                delete_on_termination: false,
            }],
            availability_zone: None,
            key_name: None,
            user_data: None,
            metadata: Default::default(),
            tags: vec!["team=dev".into()],
            description: String::new(),
            dedicated_host_id: None,
            auto_rename: true,
        };
        let (_, servers) = self
            .service()
            .create(&self.caller, OpId::HwCreate, spec, "req-create")
            .await
            .expect("create");
        servers[0].id.clone()
    }

    pub async fn act(&self, op: OpId, id: &str, input: WorkInput) -> String {
        self.service()
            .act(&self.caller, op, id, input, &format!("req-{}", uuid::Uuid::new_v4()))
            .await
            .expect("accepted")
            .job_id
    }
}

impl Kit {
    /// A user of the bootstrap account (not an administrator) holding the
    /// given policies on the bootstrap project. Policies are system role ids
    /// or names, or custom policy documents.
    pub async fn user_with(&self, name: &str, system_roles: &[&str], custom: &[serde_json::Value]) -> String {
        use ecsd::domain::{ActorKind, CustomRole, Grant, GrantScope};
        let store = self.service().store.clone();
        let user = new_user(name, &self.caller.domain_id, USER_PASSWORD, false);
        store.put_user(&user).await.expect("user");
        let mut role_ids: Vec<String> = system_roles
            .iter()
            .map(|r| ecsd::iam::find_system_role(r).expect("system role").id.to_string())
            .collect();
        for (i, doc) in custom.iter().enumerate() {
            ecsd::iam::validate(doc).expect("valid custom policy");
            let role = CustomRole {
                id: ecsd::domain::hex_id(),
                name: format!("custom_{}_{i}", name),
                display_name: format!("{name}-{i}"),
                domain_id: self.caller.domain_id.clone(),
                role_type: "XA".into(),
                description: String::new(),
                description_cn: String::new(),
                policy: doc.clone(),
                created: chrono::Utc::now(),
                updated: chrono::Utc::now(),
            };
            store.put_role(&role).await.expect("role");
            role_ids.push(role.id);
        }
        for role_id in role_ids {
            store
                .put_grant(&Grant {
                    scope: GrantScope::Project,
                    scope_id: self.caller.project_id.clone(),
                    actor: ActorKind::User,
                    actor_id: user.id.clone(),
                    role_id,
                    domain_id: self.caller.domain_id.clone(),
                    created: chrono::Utc::now(),
                })
                .await
                .expect("grant");
        }
        self.app.state.authz.invalidate_all();
        user.id
    }

    /// A project stored directly (no API call), enabled.
    pub async fn add_project(&self, name: &str, domain_id: &str, parent_id: Option<String>) -> Project {
        let project = Project {
            id: ecsd::domain::hex_id(),
            name: name.into(),
            domain_id: domain_id.into(),
            parent_id,
            description: String::new(),
            enabled: true,
        };
        self.service().store.put_project(&project).await.expect("project");
        project
    }

    /// Another account, stored directly: its `local-1` project and its
    /// account administrator `admin_name`.
    pub async fn add_account(&self, name: &str, admin_name: &str, password: &str) -> (Domain, Project) {
        let domain = Domain {
            id: ecsd::domain::hex_id(),
            name: name.into(),
            enabled: true,
        };
        self.service().store.put_domain(&domain).await.expect("domain");
        let project = self.add_project("local-1", &domain.id, None).await;
        let admin = new_user(admin_name, &domain.id, password, true);
        self.service().store.put_user(&admin).await.expect("user");
        (domain, project)
    }
}

/// An enabled user record with a password.
fn new_user(name: &str, domain_id: &str, password: &str, account_admin: bool) -> User {
    User {
        id: ecsd::domain::hex_id(),
        name: name.into(),
        domain_id: domain_id.into(),
        password_hash: ecsd::control::identity::hash_password(password).expect("hash"),
        enabled: true,
        account_admin,
        created: chrono::Utc::now(),
        description: String::new(),
        email: None,
        default_project_id: None,
    }
}

// ---- HTTP through the router ----

/// A response with its body parsed as JSON (`Null` when it is not JSON).
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

pub async fn call(k: &Kit, req: Request<Body>) -> Resp {
    let router = ecsd::api::router(k.app.state.clone());
    let resp = router.oneshot(req).await.expect("response");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Resp { status, headers, body }
}

pub fn get(path: &str, token: &str) -> Request<Body> {
    Request::get(path)
        .header("x-auth-token", token)
        .body(Body::empty())
        .unwrap()
}

pub fn delete(path: &str, token: &str) -> Request<Body> {
    Request::delete(path)
        .header("x-auth-token", token)
        .body(Body::empty())
        .unwrap()
}

pub fn post(path: &str, token: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header("x-auth-token", token)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

pub fn put(path: &str, token: &str, body: &str) -> Request<Body> {
    Request::put(path)
        .header("x-auth-token", token)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// A PUT of a JSON value.
pub fn put_json(path: &str, token: &str, body: &Value) -> Request<Body> {
    put(path, token, &body.to_string())
}

/// The request with an `OpenStack-API-Version` header, e.g. `compute 2.73`.
pub fn with_microversion(mut req: Request<Body>, version: &str) -> Request<Body> {
    req.headers_mut()
        .insert("openstack-api-version", version.parse().unwrap());
    req
}

/// A project-scoped token for a password (Keystone's password method).
pub async fn token_for(k: &Kit, user: &str, password: &str, domain: &str, project_id: &str) -> String {
    let body = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": user, "password": password, "domain": {"name": domain}}}}, "scope": {"project": {"id": project_id}}}});
    let r = call(
        k,
        Request::post("/v3/auth/tokens")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.headers["x-subject-token"].to_str().unwrap().to_string()
}

/// The bootstrap administrator's token on the bootstrap project.
pub async fn admin_token(k: &Kit) -> String {
    token_for(k, "admin", ADMIN_PASSWORD, "ecsd", &k.caller.project_id).await
}

/// The token of a user made by [`Kit::user_with`], on the bootstrap project.
pub async fn user_token(k: &Kit, name: &str) -> String {
    token_for(k, name, USER_PASSWORD, "ecsd", &k.caller.project_id).await
}

/// Compares `actual` with the golden file `tests/golden/<name>`, or writes it
/// when `UPDATE_GOLDEN` is set. A difference fails with the first lines
/// that differ.
pub fn assert_golden(name: &str, actual: &str) {
    let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).expect("golden file exists; run with UPDATE_GOLDEN=1 to create it");
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .filter(|(e, a)| e != a)
            .take(10)
            .map(|(e, a)| format!("- {e}\n+ {a}"))
            .collect();
        panic!(
            "{name} changed (UPDATE_GOLDEN=1 to accept):\n{}\n({} lines expected, {} now)",
            diff.join("\n"),
            expected.lines().count(),
            actual.lines().count()
        );
    }
}
