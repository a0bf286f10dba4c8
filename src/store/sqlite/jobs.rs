//! Jobs (leased by one node at a time, every worker write fenced on the
//! lease's owner and epoch) and the log of their steps.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::servers::{cas_server, write_action, ActionRow, ServerRow};
use super::{key, to_doc, ts, DbResult, SqliteStore};
use crate::domain::{ControlError, ControlResult, Job, JobStepRecord};
use crate::store::{JobStore, Lease, ServerWrite, StepCommit, StepOutcome, SubJobCounts};

/// A job as written: its queried columns and its document, made on the
/// caller's thread so the writer only writes.
pub(super) struct JobRow {
    id: String,
    parent_id: Option<String>,
    project_id: String,
    status: &'static str,
    runnable: bool,
    doc: String,
}

impl JobRow {
    pub(super) fn of(j: &Job) -> ControlResult<JobRow> {
        Ok(JobRow {
            id: j.id.clone(),
            parent_id: j.parent_id.clone(),
            project_id: j.project_id.clone(),
            status: j.status.as_str(),
            // Unfinished parents stay runnable too, so recovery can close them.
            runnable: !j.status.is_final(),
            doc: to_doc(j)?,
        })
    }
}

/// Inserts or rewrites a job; a new one takes the next sequence number and
/// `lease`, when given (a job claimed by the node that will run it).
pub(super) fn write_job(c: &Connection, j: &JobRow, lease: Option<&Lease>) -> DbResult<()> {
    let updated = c
        .prepare_cached("UPDATE jobs SET status = ?2, runnable = ?3, doc = ?4 WHERE id = ?1")?
        .execute(params![j.id, j.status, j.runnable as i64, j.doc])?;
    if updated == 0 {
        let seq = SqliteStore::next_seq(c, "jobs", 1)?;
        c.prepare_cached(
            "INSERT INTO jobs (id, parent_id, project_id, status, runnable, seq, doc, lease_owner, lease_until, lease_epoch)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            j.id,
            j.parent_id,
            j.project_id,
            j.status,
            j.runnable as i64,
            seq,
            j.doc,
            lease.map(|l| l.owner.as_str()),
            lease.map(|l| ts(l.until)),
            lease.map_or(0, |l| l.epoch),
        ])?;
    }
    Ok(())
}

/// True if `owner` still holds the job's lease in `epoch` (checked before
/// anything of the step is written).
fn holds(c: &Connection, job_id: &str, lease: &Lease) -> DbResult<bool> {
    Ok(
        c.prepare_cached("SELECT 1 FROM jobs WHERE id = ?1 AND lease_owner = ?2 AND lease_epoch = ?3")?
            .query_row(params![job_id, lease.owner, lease.epoch], |_| Ok(()))
            .optional()?
            .is_some(),
    )
}

/// Writes a held job and renews its lease, in one row update.
fn write_held_job(c: &Connection, j: &JobRow, lease: &Lease) -> DbResult<()> {
    c.prepare_cached("UPDATE jobs SET status = ?2, runnable = ?3, doc = ?4, lease_until = ?5 WHERE id = ?1")?
        .execute(params![j.id, j.status, j.runnable as i64, j.doc, ts(lease.until)])?;
    Ok(())
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn insert_jobs(&self, jobs: &[Job]) -> ControlResult<()> {
        let rows = jobs.iter().map(JobRow::of).collect::<ControlResult<Vec<_>>>()?;
        self.write(move |c| {
            for j in &rows {
                write_job(c, j, None)?;
            }
            Ok(())
        })
        .await
    }

    async fn get_job(&self, id: &str) -> ControlResult<Option<Job>> {
        self.get_doc("SELECT doc FROM jobs WHERE id = ?1", key![id]).await
    }

    async fn sub_jobs(&self, parent_id: &str) -> ControlResult<Vec<Job>> {
        self.get_docs(
            "SELECT doc FROM jobs WHERE parent_id = ?1 ORDER BY seq",
            key![parent_id],
        )
        .await
    }

    async fn sub_job_counts(&self, parent_id: &str) -> ControlResult<SubJobCounts> {
        let parent_id = parent_id.to_string();
        self.read(move |c| {
            let counts = c
                .prepare_cached(
                    "SELECT COUNT(*), COALESCE(SUM(runnable), 0), COALESCE(SUM(status <> 'INIT'), 0)
                       FROM jobs WHERE parent_id = ?1",
                )?
                .query_row([parent_id], |r| {
                    Ok(SubJobCounts {
                        total: r.get(0)?,
                        unfinished: r.get(1)?,
                        begun: r.get(2)?,
                    })
                })?;
            Ok(counts)
        })
        .await
    }

    async fn runnable_jobs(
        &self,
        also_held_by: Option<&str>,
        now: DateTime<Utc>,
        limit: usize,
    ) -> ControlResult<Vec<Job>> {
        self.get_docs(
            "SELECT doc FROM jobs WHERE runnable = 1
               AND (lease_owner IS NULL OR lease_owner = ?1 OR lease_until < ?2) ORDER BY seq LIMIT ?3",
            key![
                also_held_by.unwrap_or_default(),
                ts(now),
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
        )
        .await
    }

    async fn lease_job(&self, job_id: &str, node: &str, until: DateTime<Utc>) -> ControlResult<Option<Lease>> {
        let (job_id, node) = (job_id.to_string(), node.to_string());
        self.write(move |c| {
            // Taking a job from another node (or a free one) starts a new
            // epoch; renewing our own keeps it.
            let epoch: Option<i64> = c
                .prepare_cached(
                    "UPDATE jobs SET lease_owner = ?1, lease_until = ?2,
                         lease_epoch = CASE WHEN lease_owner IS ?1 THEN lease_epoch ELSE lease_epoch + 1 END
                     WHERE id = ?3 AND runnable = 1 AND (lease_owner IS NULL OR lease_owner = ?1 OR lease_until < ?4)
                     RETURNING lease_epoch",
                )?
                .query_row(params![node, ts(until), job_id, ts(Utc::now())], |r| r.get(0))
                .optional()?;
            Ok(epoch.map(|epoch| Lease {
                owner: node,
                epoch,
                until,
            }))
        })
        .await
    }

    async fn put_job(&self, job: &Job) -> ControlResult<()> {
        let row = JobRow::of(job)?;
        self.write(move |c| write_job(c, &row, None)).await
    }

    async fn commit_step(&self, commit: StepCommit<'_>) -> ControlResult<StepOutcome> {
        let job = JobRow::of(commit.job)?;
        let lease = commit.lease.clone();
        let ended = commit.ended.map(|(i, r)| (i, r.to_string()));
        let begins = commit.begins.map(|(i, n)| (i, n.to_string()));
        let ran: Vec<(i64, String, String)> = commit
            .ran
            .iter()
            .map(|(i, n, r)| (*i, n.to_string(), r.to_string()))
            .collect();
        let server = match commit.server {
            ServerWrite::Unchanged { id, generation } => Some(Err((id.to_string(), generation))),
            ServerWrite::Changed { next, expected } => Some(Ok((ServerRow::of(next)?, expected))),
            ServerWrite::Untouched => None,
        };
        let action = commit.action.map(ActionRow::of).transpose()?;
        self.write(move |c| {
            if !holds(c, &job.id, &lease)? {
                return Ok(StepOutcome::LeaseLost);
            }
            let server_held = match &server {
                None => true,
                Some(Ok((next, expected))) => cas_server(c, next, *expected)?,
                Some(Err((id, generation))) => c
                    .prepare_cached("SELECT 1 FROM servers WHERE id = ?1 AND generation = ?2")?
                    .query_row(params![id, generation], |_| Ok(()))
                    .optional()?
                    .is_some(),
            };
            if !server_held {
                return Ok(StepOutcome::ServerMoved);
            }
            let now = ts(Utc::now());
            if let Some((index, result)) = &ended {
                c.prepare_cached("UPDATE job_steps SET finished_at = ?1, result = ?2 WHERE job_id = ?3 AND idx = ?4")?
                    .execute(params![now, result, job.id, index])?;
            }
            for (index, name, result) in &ran {
                c.prepare_cached(
                    "INSERT INTO job_steps (job_id, idx, name, started_at, finished_at, result, attempts)
                     VALUES (?1, ?2, ?3, ?4, ?4, ?5, 1)
                     ON CONFLICT(job_id, idx) DO UPDATE SET attempts = attempts + 1, started_at = excluded.started_at,
                         finished_at = excluded.finished_at, result = excluded.result",
                )?
                .execute(params![job.id, index, name, now, result])?;
            }
            let mut attempts = 0;
            if let Some((index, name)) = &begins {
                attempts = c
                    .prepare_cached(
                        "INSERT INTO job_steps (job_id, idx, name, started_at, attempts) VALUES (?1, ?2, ?3, ?4, 1)
                         ON CONFLICT(job_id, idx) DO UPDATE SET attempts = attempts + 1, started_at = excluded.started_at,
                             finished_at = NULL, result = NULL
                         RETURNING attempts",
                    )?
                    .query_row(params![job.id, index, name, now], |r| r.get(0))?;
            }
            write_held_job(c, &job, &lease)?;
            if let Some(a) = &action {
                write_action(c, a)?;
            }
            Ok(StepOutcome::Committed { attempts })
        })
        .await
    }

    async fn job_steps(&self, job_id: &str) -> ControlResult<Vec<JobStepRecord>> {
        let job_id = job_id.to_string();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT idx, name, started_at, finished_at, result, attempts FROM job_steps WHERE job_id = ?1 ORDER BY idx",
            )?;
            let rows = stmt
                .query_map([&job_id], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, i64>(5)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let parse = |s: &str| {
                DateTime::parse_from_rfc3339(s)
                    .map(|d| d.with_timezone(&Utc))
                    .map_err(ControlError::internal)
            };
            rows.into_iter()
                .map(|(index, name, started, finished, result, attempts)| {
                    Ok(JobStepRecord {
                        job_id: job_id.clone(),
                        index,
                        name,
                        started_at: parse(&started)?,
                        finished_at: finished.as_deref().map(parse).transpose()?,
                        result,
                        attempts,
                    })
                })
                .collect()
        })
        .await
    }
}
