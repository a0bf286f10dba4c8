//! The embedded store: one SQLite file in WAL mode under the data directory.
//! Short transactions only; no transaction is held while a job runs. Each
//! family of the store trait is implemented in its own file.

use std::path::Path;

mod addresses;
mod audit;
mod identity;
mod jobs;
mod schema;
mod servers;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension, Transaction};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::MetaStore;
use crate::domain::{ControlError, ControlResult};
use schema::SCHEMA;

/// One writer connection, and a few read-only ones so that reads run in
/// parallel with each other and with the writer (WAL allows it).
pub struct SqliteStore {
    conn: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: std::sync::atomic::AtomicUsize,
}

/// Read connections per store.
const READERS: usize = 4;

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

impl SqliteStore {
    /// Opens (creating if needed) `ecsd.db` in `dir`.
    pub fn open(dir: &Path) -> ControlResult<Self> {
        let path = dir.join("ecsd.db");
        let mut store = Self::init(Connection::open(&path).map_err(db)?)?;
        for _ in 0..READERS {
            let r = Connection::open_with_flags(
                &path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(db)?;
            r.busy_timeout(std::time::Duration::from_secs(5)).map_err(db)?;
            store.readers.push(Mutex::new(r));
        }
        Ok(store)
    }

    /// A private in-memory database, for tests.
    pub fn in_memory() -> ControlResult<Self> {
        Ok(Self::init(Connection::open_in_memory().map_err(db)?)?)
    }

    fn init(conn: Connection) -> DbResult<Self> {
        // WAL + NORMAL survives a killed process: committed transactions are
        // in the log before the reply is sent.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            readers: Vec::new(),
            next_reader: Default::default(),
        })
    }

    /// Takes `n` numbers from a counter in the writer's transaction; returns
    /// the first. The counter is a single keyed row: the cost never grows
    /// with history.
    fn next_seq(tx: &rusqlite::Transaction, name: &str, n: i64) -> DbResult<i64> {
        let last: i64 = tx.query_row(
            "UPDATE counters SET value = value + ?2 WHERE name = ?1 RETURNING value",
            rusqlite::params![name, n],
            |r| r.get(0),
        )?;
        Ok(last - n + 1)
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> DbResult<T>) -> ControlResult<T> {
        let conn = self.conn.lock();
        Ok(f(&conn)?)
    }

    /// Runs a read on a free read connection (the writer when there are none).
    fn read<T>(&self, f: impl FnOnce(&Connection) -> DbResult<T>) -> ControlResult<T> {
        if self.readers.is_empty() {
            return self.with(f);
        }
        let start = self.next_reader.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        for i in 0..self.readers.len() {
            if let Some(conn) = self.readers[(start + i) % self.readers.len()].try_lock() {
                return Ok(f(&conn)?);
            }
        }
        let conn = self.readers[start % self.readers.len()].lock();
        Ok(f(&conn)?)
    }

    fn tx<T>(&self, f: impl FnOnce(&Transaction) -> DbResult<T>) -> ControlResult<T> {
        let mut conn = self.conn.lock();
        let tx = conn.transaction().map_err(db)?;
        let out = f(&tx)?;
        tx.commit().map_err(db)?;
        Ok(out)
    }

    fn get_doc<T: DeserializeOwned>(&self, sql: &str, key: &[&dyn rusqlite::ToSql]) -> ControlResult<Option<T>> {
        self.read(|c| {
            let doc: Option<String> = c.prepare_cached(sql)?.query_row(key, |r| r.get(0)).optional()?;
            Ok(doc.map(|d| from_doc(&d)).transpose()?)
        })
    }

    fn get_docs<T: DeserializeOwned>(&self, sql: &str, key: &[&dyn rusqlite::ToSql]) -> ControlResult<Vec<T>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(sql)?;
            let rows = stmt.query_map(key, |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for row in rows {
                out.push(from_doc(&row?)?);
            }
            Ok(out)
        })
    }
}

#[async_trait]
impl MetaStore for SqliteStore {
    async fn get_meta(&self, key: &str) -> ControlResult<Option<String>> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                    .optional()?,
            )
        })
    }

    async fn set_meta(&self, key: &str, value: &str) -> ControlResult<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, value],
            )?;
            Ok(())
        })
    }
}
