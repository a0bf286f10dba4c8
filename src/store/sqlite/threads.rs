//! The threads that own the SQLite connections, so that no store call ever
//! blocks the async runtime: one writer that group-commits, and a few
//! readers.
//!
//! The writer takes whatever is queued (one operation when idle, hundreds
//! under load) and runs it all in one transaction, each operation inside
//! its own savepoint: an operation that fails is rolled back alone, the
//! rest commit together. Nobody hears back before the batch's COMMIT has
//! returned, so an answer always means "durable" (as far as the
//! synchronous mode promises; see the README's durability section).

use std::path::PathBuf;
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use rusqlite::Connection;
use tokio::sync::oneshot;

use super::{DbError, DbResult};
use crate::domain::{ControlError, ControlResult};

/// Most operations one transaction takes: enough to amortise the commit,
/// few enough that the first caller in a batch is not kept waiting long.
const MAX_BATCH: usize = 512;

/// What the writer runs for one operation: its statements, inside the
/// batch's transaction (`None`: there is no transaction, run nothing); it
/// returns what to tell the caller once the batch's fate is known.
type WriteOp = Box<dyn FnOnce(Option<&Connection>) -> Reply + Send>;
type Reply = Box<dyn FnOnce(Result<(), String>) + Send>;

/// What a reader runs: one read, answering its caller itself.
type ReadOp = Box<dyn FnOnce(&Connection) + Send>;

/// The sending ends of the writer's and the readers' queues.
pub(super) struct Threads {
    writer: Sender<WriteOp>,
    /// `None` for an in-memory store: reads then queue behind the writer,
    /// which holds the only connection to the database.
    readers: Option<Sender<ReadOp>>,
    /// Dropped with the store, which tells the checkpointer to stop.
    _checkpointer: Option<Sender<()>>,
}

/// How often the log is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// A log this large is checkpointed even if that has to wait for readers.
const WAL_LIMIT_BYTES: u64 = 64 << 20;

fn closed() -> ControlError {
    ControlError::internal("store: the database thread has stopped")
}

impl Threads {
    /// Starts the writer on `conn`, one reader thread per connection in
    /// `readers` and, given one, a checkpointer on its own connection.
    pub(super) fn start(
        conn: Connection,
        readers: Vec<Connection>,
        checkpointer: Option<(Connection, PathBuf)>,
    ) -> ControlResult<Threads> {
        let (writer, queue) = crossbeam_channel::unbounded::<WriteOp>();
        spawn("ecsd-store-writer", move || write_loop(conn, queue))?;
        let readers = if readers.is_empty() {
            None
        } else {
            let (send, queue) = crossbeam_channel::unbounded::<ReadOp>();
            for (i, conn) in readers.into_iter().enumerate() {
                let queue = queue.clone();
                spawn(&format!("ecsd-store-reader-{i}"), move || {
                    while let Ok(op) = queue.recv() {
                        op(&conn);
                    }
                })?;
            }
            Some(send)
        };
        let checkpointer = match checkpointer {
            Some((conn, wal)) => {
                let (keep, stop) = crossbeam_channel::bounded::<()>(0);
                spawn("ecsd-store-checkpoint", move || checkpoint_loop(conn, wal, stop))?;
                Some(keep)
            }
            None => None,
        };
        Ok(Threads {
            writer,
            readers,
            _checkpointer: checkpointer,
        })
    }

    /// Runs `f` in the writer's next batch; answers once that batch has
    /// committed (or with the error that stopped it).
    pub(super) async fn write<T, F>(&self, f: F) -> ControlResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let op: WriteOp = Box::new(move |c: Option<&Connection>| {
            let out = match c {
                Some(c) => in_savepoint(c, f),
                None => Err(DbError::Control(ControlError::internal("store: no transaction"))),
            };
            Box::new(move |commit: Result<(), String>| {
                let result = match commit {
                    Ok(()) => out.map_err(ControlError::from),
                    // Nothing of the batch is durable: this caller's work is lost too.
                    Err(e) => out.map_err(ControlError::from).and(Err(ControlError::Internal(e))),
                };
                let _ = answer.send(result);
            })
        });
        self.writer.send(op).map_err(|_| closed())?;
        answered.await.map_err(|_| closed())?
    }

    /// Runs `f` on a reader connection (or queued behind the writer when
    /// the store has none).
    pub(super) async fn read<T, F>(&self, f: F) -> ControlResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        let Some(readers) = &self.readers else {
            return self.write(f).await;
        };
        let (answer, answered) = oneshot::channel();
        let op: ReadOp = Box::new(move |c: &Connection| {
            let _ = answer.send(f(c).map_err(ControlError::from));
        });
        readers.send(op).map_err(|_| closed())?;
        answered.await.map_err(|_| closed())?
    }
}

fn spawn(name: &str, body: impl FnOnce() + Send + 'static) -> ControlResult<()> {
    thread::Builder::new()
        .name(name.to_string())
        .spawn(body)
        .map(|_| ())
        .map_err(|e| ControlError::internal(format!("store: starting {name}: {e}")))
}

/// Runs `f` inside a savepoint: kept on success, undone on error.
fn in_savepoint<T>(c: &Connection, f: impl FnOnce(&Connection) -> DbResult<T>) -> DbResult<T> {
    c.prepare_cached("SAVEPOINT op")?.execute([])?;
    match f(c) {
        Ok(v) => {
            c.prepare_cached("RELEASE op")?.execute([])?;
            Ok(v)
        }
        Err(e) => {
            c.prepare_cached("ROLLBACK TO op")?.execute([])?;
            c.prepare_cached("RELEASE op")?.execute([])?;
            Err(e)
        }
    }
}

/// The writer: one transaction per batch of whatever is queued.
fn write_loop(conn: Connection, queue: Receiver<WriteOp>) {
    while let Ok(first) = queue.recv() {
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            // Without a transaction nothing can be promised: refuse this one.
            tracing::error!(error = %e, "store: cannot begin a transaction");
            first(None)(Err(format!("store: {e}")));
            continue;
        }
        let mut replies: Vec<Reply> = Vec::with_capacity(16);
        replies.push(first(Some(&conn)));
        while replies.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(op) => replies.push(op(Some(&conn))),
                Err(_) => break,
            }
        }
        let outcome = match conn.execute_batch("COMMIT") {
            Ok(()) => Ok(()),
            Err(e) => {
                tracing::error!(error = %e, batch = replies.len(), "store: commit failed");
                let _ = conn.execute_batch("ROLLBACK");
                Err(format!("store: {e}"))
            }
        };
        for reply in replies {
            reply(outcome.clone());
        }
    }
}

/// Copies the log back into the database off the writer's path (the
/// writer's own automatic checkpoints are off): a passive checkpoint every
/// [`CHECKPOINT_EVERY`], a waiting one if the log outgrew [`WAL_LIMIT_BYTES`].
fn checkpoint_loop(conn: Connection, wal: PathBuf, stop: Receiver<()>) {
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        let big = std::fs::metadata(&wal)
            .map(|m| m.len() > WAL_LIMIT_BYTES)
            .unwrap_or(false);
        let mode = if big { "TRUNCATE" } else { "PASSIVE" };
        if let Err(e) = conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(())) {
            tracing::warn!(error = %e, mode, "store: checkpoint failed");
        }
    }
}
