//! The embedded store: one SQLite file in WAL mode under the data directory,
//! written by one thread that group-commits concurrent callers' work and
//! read by a few others. No transaction is held while a job runs. Each
//! family of the store trait is implemented in its own file.

use std::path::Path;

mod addresses;
mod audit;
mod bindings;
mod identity;
mod images;
mod jobs;
mod keypairs;
mod network;
mod quotas;
mod schema;
mod servers;
mod threads;
mod volumes;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::MetaStore;
use crate::domain::{ControlError, ControlResult};
use schema::SCHEMA;
use threads::Threads;

/// The store's connections live on their own threads (see [`threads`]):
/// one writer that group-commits, and a few readers that run in parallel
/// with each other and with the writer (WAL allows it).
pub struct SqliteStore {
    threads: Threads,
}

/// Read connections per store.
const READERS: usize = 4;

/// How hard a commit is pushed to disk before it is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SyncMode {
    /// SQLite `synchronous = NORMAL` in WAL mode: a commit is in the log
    /// (the OS's page cache) before it is acknowledged, so it survives the
    /// process being killed; the last commits may be lost on power loss.
    #[default]
    Normal,
    /// `synchronous = FULL`: the log is fsynced on every commit (once per
    /// group-committed batch), so an acknowledged change survives power loss.
    Full,
}

impl SyncMode {
    fn pragma(self) -> &'static str {
        match self {
            SyncMode::Normal => "NORMAL",
            SyncMode::Full => "FULL",
        }
    }
}

/// A failure inside a store call: SQLite's own, or one already in domain
/// terms (a document that does not parse). Only this module knows SQLite;
/// callers see its failures as internal errors.
enum DbError {
    Sqlite(rusqlite::Error),
    Control(ControlError),
}

type DbResult<T> = Result<T, DbError>;

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        DbError::Sqlite(e)
    }
}

impl From<ControlError> for DbError {
    fn from(e: ControlError) -> Self {
        DbError::Control(e)
    }
}

impl From<DbError> for ControlError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Sqlite(e) => db(e),
            DbError::Control(e) => e,
        }
    }
}

/// A SQLite failure as the control plane sees it.
fn db(e: rusqlite::Error) -> ControlError {
    ControlError::Internal(format!("store: {e}"))
}

fn to_doc<T: Serialize>(v: &T) -> ControlResult<String> {
    Ok(serde_json::to_string(v)?)
}

fn from_doc<T: DeserializeOwned>(s: &str) -> ControlResult<T> {
    Ok(serde_json::from_str(s)?)
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Owned query parameters, for statements that run on a store thread.
type Key = Vec<Value>;

/// `key![a, b]`: owned parameters from borrowed values.
macro_rules! key {
    ($($v:expr),* $(,)?) => { vec![$(rusqlite::types::Value::from(($v).to_owned())),*] };
}
pub(crate) use key;

impl SqliteStore {
    /// Opens (creating if needed) `ecsd.db` in `dir`, syncing as `NORMAL`.
    pub fn open(dir: &Path) -> ControlResult<Self> {
        Self::open_with(dir, SyncMode::default())
    }

    /// Opens (creating if needed) `ecsd.db` in `dir`.
    pub fn open_with(dir: &Path, sync: SyncMode) -> ControlResult<Self> {
        let path = dir.join("ecsd.db");
        let writer = init(Connection::open(&path).map_err(db)?, sync)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let mut r = Connection::open_with_flags(
                &path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(db)?;
            r.busy_timeout(std::time::Duration::from_secs(5)).map_err(db)?;
            tune(&mut r).map_err(db)?;
            readers.push(r);
        }
        // Checkpoints run on their own connection, off the writer's path.
        writer.pragma_update(None, "wal_autocheckpoint", 0).map_err(db)?;
        // The writer keeps the pages it changes cached across commits
        // (64 MiB); with the default 2 MiB it re-read them from the WAL.
        writer.pragma_update(None, "cache_size", -65536).map_err(db)?;
        // Each caller's SAVEPOINT journals the pages it changes: in memory,
        // not in a temporary file opened and removed per batch.
        writer.pragma_update(None, "temp_store", "MEMORY").map_err(db)?;
        let checkpointer = Connection::open(&path).map_err(db)?;
        checkpointer
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db)?;
        let wal = dir.join("ecsd.db-wal");
        Ok(SqliteStore {
            threads: Threads::start(writer, readers, Some((checkpointer, wal)))?,
        })
    }

    /// A private in-memory database, for tests.
    pub fn in_memory() -> ControlResult<Self> {
        let writer = init(Connection::open_in_memory().map_err(db)?, SyncMode::default())?;
        Ok(SqliteStore {
            threads: Threads::start(writer, Vec::new(), None)?,
        })
    }

    /// Takes `n` numbers from a counter in the writer's transaction; returns
    /// the first. The counter is a single keyed row: the cost never grows
    /// with history.
    fn next_seq(c: &Connection, name: &str, n: i64) -> DbResult<i64> {
        let last: i64 = c
            .prepare_cached("UPDATE counters SET value = value + ?2 WHERE name = ?1 RETURNING value")?
            .query_row(rusqlite::params![name, n], |r| r.get(0))?;
        Ok(last - n + 1)
    }

    /// Runs `f` in the writer's next group-committed batch, inside its own
    /// savepoint; answers once the batch is durable.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    ) -> ControlResult<T> {
        self.threads.write(f).await
    }

    /// Runs a read on a reader thread.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    ) -> ControlResult<T> {
        self.threads.read(f).await
    }

    async fn get_doc<T: DeserializeOwned + Send + 'static>(
        &self,
        sql: &'static str,
        key: Key,
    ) -> ControlResult<Option<T>> {
        self.read(move |c| {
            let doc: Option<String> = c
                .prepare_cached(sql)?
                .query_row(rusqlite::params_from_iter(key), |r| r.get(0))
                .optional()?;
            Ok(doc.map(|d| from_doc(&d)).transpose()?)
        })
        .await
    }

    async fn get_docs<T: DeserializeOwned + Send + 'static>(
        &self,
        sql: &'static str,
        key: Key,
    ) -> ControlResult<Vec<T>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(key), |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for row in rows {
                out.push(from_doc(&row?)?);
            }
            Ok(out)
        })
        .await
    }
}

/// The steps of a statement's query plan on a fresh schema (parameters
/// left unbound are NULL, which is enough for a plan).
#[cfg(test)]
#[allow(clippy::unwrap_used)]
fn query_plan(sql: &str) -> Vec<String> {
    let c = Connection::open_in_memory().unwrap();
    c.execute_batch(SCHEMA).unwrap();
    let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let mut rows = stmt.raw_query();
    let mut plan = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        plan.push(row.get::<_, String>(3).unwrap());
    }
    plan
}

/// Settings of every connection: pages read through a memory map (a
/// reader's cache starts cold after each commit, and copying pages out of
/// the OS cache dominated reads), and statement logging when asked for.
fn tune(conn: &mut Connection) -> rusqlite::Result<()> {
    // Up to 1 TiB of address space (the build allows it: .cargo/config.toml).
    conn.pragma_update(None, "mmap_size", 1i64 << 40)?;
    conn.set_prepared_statement_cache_capacity(256);
    if tracing::enabled!(target: "ecsd::sql", tracing::Level::TRACE) {
        conn.trace(Some(log_statement));
    }
    Ok(())
}

/// `ECSD_LOG=ecsd::sql=trace` logs every statement the store runs.
fn log_statement(sql: &str) {
    tracing::trace!(target: "ecsd::sql", "{sql}");
}

/// Sets up the writer connection: WAL, the sync mode, the schema.
fn init(mut conn: Connection, sync: SyncMode) -> ControlResult<Connection> {
    tune(&mut conn).map_err(db)?;
    let setup = |conn: &Connection| -> rusqlite::Result<()> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", sync.pragma())?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        schema::migrate(conn)
    };
    setup(&conn).map_err(db)?;
    Ok(conn)
}

#[async_trait]
impl MetaStore for SqliteStore {
    async fn get_meta(&self, key: &str) -> ControlResult<Option<String>> {
        let key = key.to_string();
        self.read(move |c| {
            Ok(c.prepare_cached("SELECT value FROM meta WHERE key = ?1")?
                .query_row([key], |r| r.get(0))
                .optional()?)
        })
        .await
    }

    async fn set_meta(&self, key: &str, value: &str) -> ControlResult<()> {
        let (key, value) = (key.to_string(), value.to_string());
        self.write(move |c| {
            c.prepare_cached(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            )?
            .execute([key, value])?;
            Ok(())
        })
        .await
    }
}
