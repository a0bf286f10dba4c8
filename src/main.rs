//! The `ecsd` binary: command line, logging, and `serve`.

// A command line prints its answers on standard output.
#![allow(clippy::print_stdout)]

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use ecsd::app::config::FileConfig;
use ecsd::app::{serve, ServeOptions};
use ecsd::control::audit::Retention;
use ecsd::control::authz::EnforcementMode;
use ecsd::store::sqlite::SyncMode;

/// jemalloc for Rust and SQLite alike: it hands freed memory back to the
/// system (glibc's malloc kept a busy burst's heap resident: ~3 KB per
/// server created stayed in RSS) and allocates faster across threads.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc reads this at start-up: a background thread returns freed
/// pages to the system within a second, even when no thread allocates
/// (password hashing takes ~19 MiB per call; a burst of requests churns
/// the heap).
// SAFETY: a constant, NUL-terminated string under the one name jemalloc
// looks up; nothing else in the process defines `malloc_conf`.
#[allow(unsafe_code, non_upper_case_globals)]
#[export_name = "malloc_conf"]
pub static malloc_conf: &[u8; 60] = b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

#[derive(Parser)]
#[command(
    name = "ecsd",
    version,
    about = "Elastic cloud server control plane: Huawei ECS, Nova and Keystone APIs"
)]
struct Cli {
    /// Log filter (e.g. info, debug, ecsd=debug).
    #[arg(long, env = "ECSD_LOG", default_value = "info", global = true)]
    log: String,
    /// Log format: text or json.
    #[arg(long, env = "ECSD_LOG_FORMAT", default_value = "text", global = true)]
    log_format: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the operation catalog (routes, IAM actions, states) as Markdown.
    Catalog,
    /// Identity and access: explain a decision from a data directory.
    Iam {
        #[command(subcommand)]
        command: IamCommand,
    },
    /// Run the API server (the default deployment: SQLite and the simulated driver).
    Serve {
        /// Address to listen on; one port serves every API.
        #[arg(long, env = "ECSD_LISTEN")]
        listen: Option<SocketAddr>,
        /// Data directory (SQLite database, client settings).
        #[arg(long, env = "ECSD_DATA")]
        data: Option<PathBuf>,
        /// TOML configuration file (flavors, images, hosts, faults, quotas).
        #[arg(long, env = "ECSD_CONFIG")]
        config: Option<PathBuf>,
        /// The simulated driver's time per workflow step, in milliseconds.
        #[arg(long, env = "ECSD_SIM_STEP_MS")]
        sim_step_ms: Option<u64>,
        /// The URL clients reach ecsd at, when it differs from the listen address.
        #[arg(long, env = "ECSD_PUBLIC_URL")]
        public_url: Option<String>,
        /// Authorization: enforce policies, soft (allow but report), or off.
        #[arg(long, env = "ECSD_AUTHZ_MODE", value_enum, default_value = "enforce")]
        authz_mode: EnforcementMode,
        /// Days of audit records kept.
        #[arg(long, env = "ECSD_AUDIT_RETENTION_DAYS", default_value_t = 30)]
        audit_retention_days: i64,
        /// Most audit records kept.
        #[arg(long, env = "ECSD_AUDIT_MAX_RECORDS", default_value_t = 100_000)]
        audit_max_records: usize,
        /// Lifetime of Keystone tokens, in hours.
        #[arg(long, env = "ECSD_TOKEN_TTL_HOURS", default_value_t = 24, value_parser = clap::value_parser!(i64).range(1..=8760))]
        token_ttl_hours: i64,
        /// When a change is acknowledged: `normal` once it is in the log
        /// (survives a killed process), `full` once the log is fsynced
        /// (survives power loss).
        #[arg(long, env = "ECSD_SYNC", value_enum, default_value = "normal")]
        sync: SyncMode,
    },
}

#[derive(Subcommand)]
enum IamCommand {
    /// Why an operation (or actions) is allowed or denied for a user, with the
    /// statements that matched. Reads the data directory; ecsd may be running.
    Explain {
        #[arg(long, env = "ECSD_DATA", default_value = "ecsd-data")]
        data: PathBuf,
        /// User id or name.
        #[arg(long)]
        user: String,
        /// Account (domain) name or id of a user given by name.
        #[arg(long, default_value = ecsd::domain::ACCOUNT_NAME)]
        domain: String,
        /// Project id or name; omit for account-level (IAM) actions.
        #[arg(long)]
        project: Option<String>,
        /// Catalog operation, e.g. nova.resize, ecs.changeOS.
        #[arg(long)]
        operation: Option<String>,
        /// An action to decide; repeatable.
        #[arg(long = "action")]
        actions: Vec<String>,
        /// A server, for instance-level resources and tag conditions.
        #[arg(long)]
        server: Option<String>,
    },
}

fn explain_cli(runtime: &tokio::runtime::Runtime, cmd: IamCommand) -> anyhow::Result<()> {
    let IamCommand::Explain {
        data,
        user,
        domain,
        project,
        operation,
        actions,
        server,
    } = cmd;
    runtime.block_on(async move {
        use std::sync::Arc;
        let store: Arc<dyn ecsd::store::Store> = Arc::new(ecsd::store::sqlite::SqliteStore::open(&data)?);
        let authz =
            ecsd::control::authz::PolicyAuthorizer::new(store.clone(), ecsd::domain::REGION, EnforcementMode::Enforce);
        let ask = ecsd::control::explain::ExplainRequest {
            user,
            domain: Some(domain.clone()),
            project,
            operation,
            actions,
            server_id: server,
        };
        let answer = ecsd::control::explain::explain(store.as_ref(), &authz, &ask, &domain, None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!("{}", serde_json::to_string_pretty(&answer)?);
        if answer.allowed {
            Ok(())
        } else {
            std::process::exit(3)
        }
    })
}

fn init_logging(filter: &str, format: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    // Colours only for a person at a terminal, never in log files.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(&cli.log, &cli.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match cli.command {
        Command::Iam { command } => explain_cli(&runtime, command),
        Command::Catalog => {
            print!(
                "{}\n{}\n{}",
                ecsd::catalog::markdown_table(),
                ecsd::catalog::network_table(),
                ecsd::catalog::identity_table()
            );
            Ok(())
        }
        Command::Serve {
            listen,
            data,
            config,
            sim_step_ms,
            public_url,
            authz_mode,
            audit_retention_days,
            audit_max_records,
            token_ttl_hours,
            sync,
        } => {
            let file = match &config {
                Some(p) => FileConfig::load(p)?,
                None => FileConfig::default(),
            };
            let opts = ServeOptions {
                listen: listen
                    .or_else(|| file.listen.as_deref().and_then(|l| l.parse().ok()))
                    .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8774))),
                data: data
                    .or_else(|| file.data.clone())
                    .unwrap_or_else(|| PathBuf::from("ecsd-data")),
                sim_step_ms: sim_step_ms.or(file.sim_step_ms).unwrap_or(300),
                admin_password: std::env::var("ECSD_ADMIN_PASSWORD").ok().filter(|p| !p.is_empty()),
                public_url,
                file,
                authz_mode,
                sync,
                audit_retention: Retention {
                    days: audit_retention_days,
                    max_records: audit_max_records,
                },
                token_ttl_hours,
            };
            runtime.block_on(serve(opts))
        }
    }
}
