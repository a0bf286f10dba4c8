//! The audit trail, like a cloud trace service: every authenticated request
//! with its authorization decisions, persisted in batches off the request
//! path, bounded by age and by count.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc;

use crate::domain::AuditRecord;
use crate::store::Store;

/// How long and how many records are kept.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub days: i64,
    pub max_records: usize,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            days: 30,
            max_records: 100_000,
        }
    }
}

/// Most records buffered before new ones are dropped (and counted) rather
/// than slowing requests down.
const QUEUE: usize = 65_536;

enum Msg {
    Record(Box<AuditRecord>),
    Flush(tokio::sync::oneshot::Sender<()>),
}

pub struct AuditLog {
    tx: mpsc::Sender<Msg>,
    dropped: std::sync::atomic::AtomicU64,
}

impl AuditLog {
    /// Starts the background writer.
    pub fn start(store: Arc<dyn Store>, retention: Retention) -> Arc<AuditLog> {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(writer(store, rx, retention));
        Arc::new(AuditLog {
            tx,
            dropped: Default::default(),
        })
    }

    /// Queues a record; never blocks the request.
    pub fn record(&self, rec: AuditRecord) {
        if self.tx.try_send(Msg::Record(Box::new(rec))).is_err() {
            let n = self.dropped.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                tracing::warn!(dropped = n, "audit queue full: records dropped");
            }
        }
    }

    /// Waits until everything queued so far is written (tests, shutdown).
    pub async fn flush(&self) {
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        if self.tx.send(Msg::Flush(done_tx)).await.is_ok() {
            let _ = done_rx.await;
        }
    }
}

async fn writer(store: Arc<dyn Store>, mut rx: mpsc::Receiver<Msg>, retention: Retention) {
    let mut since_prune = 0usize;
    let mut batch: Vec<AuditRecord> = Vec::with_capacity(256);
    let mut waiters = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        // Take whatever else is already queued: one transaction per burst.
        while let Some(msg) = next.take() {
            match msg {
                Msg::Record(r) => batch.push(*r),
                Msg::Flush(w) => waiters.push(w),
            }
            if batch.len() < 1000 {
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            if let Err(e) = store.append_audit(&batch).await {
                tracing::error!(error = %e, records = batch.len(), "writing audit records failed");
            }
            since_prune += batch.len();
            batch.clear();
        }
        if since_prune >= 1000 {
            since_prune = 0;
            let before = Utc::now() - chrono::TimeDelta::days(retention.days);
            if let Err(e) = store.prune_audit(before, retention.max_records).await {
                tracing::error!(error = %e, "pruning the audit trail failed");
            }
        }
        for w in waiters.drain(..) {
            let _ = w.send(());
        }
        // A short pause lets bursts gather into one transaction.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
