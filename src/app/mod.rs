//! Wiring: open the store, bootstrap identities, start the driver, recover
//! unfinished jobs, serve HTTP, and shut down gracefully.

pub mod bootstrap;
pub mod config;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use self::config::FileConfig;
use crate::api::{self, AppState};
use crate::app::bootstrap::{bootstrap, BootstrapInfo};
use crate::control::audit::{AuditLog, Retention};
use crate::control::authz::{EnforcementMode, PolicyAuthorizer};
use crate::control::identity::sealing::Sealer;
use crate::control::identity::Identity;
use crate::control::insight::Insight;
use crate::control::jobs::Engine;
use crate::control::service::Service;
use crate::domain::{Inventory, REGION};
use crate::driver::sim::SimDriver;
use crate::store::sqlite::{SqliteStore, SyncMode};
use crate::store::Store;

/// Resolved settings for `ecsd serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub data: PathBuf,
    pub sim_step_ms: u64,
    pub file: FileConfig,
    pub admin_password: Option<String>,
    pub public_url: Option<String>,
    pub authz_mode: EnforcementMode,
    pub audit_retention: Retention,
    pub token_ttl_hours: i64,
    /// How hard a commit is pushed to disk before it is acknowledged.
    pub sync: SyncMode,
}

/// A running ecsd: its state and the engine, ready to serve.
pub struct App {
    pub state: Arc<AppState>,
    pub engine: Arc<Engine>,
    pub bootstrap: BootstrapInfo,
    /// The simulated driver, for tests that inject faults or watch steps.
    pub sim: Arc<SimDriver>,
}

/// The URL clients use: the listen address, with a wildcard host made local.
pub fn public_url_for(listen: &SocketAddr) -> String {
    let host = if listen.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        listen.ip().to_string()
    };
    let host = if host.contains(':') { format!("[{host}]") } else { host };
    format!("http://{host}:{}", listen.port())
}

/// A stable id for this data directory's node, so a restarted process
/// reclaims its own job leases at once.
async fn node_id(store: &dyn Store) -> anyhow::Result<String> {
    if let Some(id) = store.get_meta("node_id").await? {
        return Ok(id);
    }
    let id = format!("node-{}", crate::domain::hex_id());
    store.set_meta("node_id", &id).await?;
    Ok(id)
}

pub async fn build(opts: &ServeOptions) -> anyhow::Result<App> {
    std::fs::create_dir_all(&opts.data)?;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_with(&opts.data, opts.sync)?);
    let public_url = opts.public_url.clone().unwrap_or_else(|| public_url_for(&opts.listen));
    let sealer = Sealer::open(&opts.data)?;
    let bootstrap = bootstrap(
        store.as_ref(),
        &sealer,
        &opts.data,
        &public_url,
        opts.admin_password.clone(),
    )
    .await?;
    crate::app::bootstrap::default_network(store.as_ref(), &bootstrap.project_id, opts.file.default_subnet()?).await?;
    let inventory: Arc<dyn Inventory> = Arc::new(opts.file.inventory());
    crate::app::bootstrap::public_images(store.as_ref(), inventory.as_ref()).await?;
    let sim = Arc::new(SimDriver::new(opts.sim_step_ms, opts.file.faults.clone()));
    let node = node_id(store.as_ref()).await?;
    let engine = Engine::new(store.clone(), sim.clone(), inventory.clone(), node);
    let authz = Arc::new(PolicyAuthorizer::new(store.clone(), REGION, opts.authz_mode));
    let audit = AuditLog::start(store.clone(), opts.audit_retention);
    let service = Arc::new(Service {
        store: store.clone(),
        engine: engine.clone(),
        inventory,
        authorizer: authz.clone(),
        capabilities: crate::driver::ComputeDriver::capabilities(sim.as_ref()),
        faults: Some(sim.clone()),
        quota_defaults: opts.file.quota_defaults()?,
        quota_locks: crate::control::service::quota_locks(),
    });
    let insight = Arc::new(Insight::new(store.clone(), authz.clone(), audit.clone()));
    let state = Arc::new(AppState {
        service,
        identity: Arc::new(Identity::with_token_ttl(
            store,
            sealer,
            chrono::TimeDelta::hours(opts.token_ttl_hours),
        )),
        public_url,
        max_body: opts.file.max_body_bytes.unwrap_or(api::DEFAULT_MAX_BODY),
        authz,
        audit,
        insight,
    });
    Ok(App {
        state,
        engine,
        bootstrap,
        sim,
    })
}

/// Serves until SIGINT/SIGTERM, then stops accepting, lets running job
/// steps reach a boundary, and returns.
pub async fn serve(opts: ServeOptions) -> anyhow::Result<()> {
    let app = build(&opts).await?;
    let listener = tokio::net::TcpListener::bind(opts.listen).await?;
    tracing::info!(listen = %opts.listen, data = %opts.data.display(), url = %app.state.public_url, "ecsd serving");
    let engine_task = tokio::spawn(app.engine.clone().run());
    let router = api::router(app.state.clone());
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("shutting down: waiting for running job steps");
    app.engine.shutdown();
    let _ = engine_task.await;
    app.state.audit.flush().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
