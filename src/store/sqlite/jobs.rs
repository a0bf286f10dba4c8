//! Jobs (leased by one node at a time) and the log of their steps.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, Transaction};

use super::{to_doc, ts, DbResult, SqliteStore};
use crate::domain::{ControlError, ControlResult, Job, JobStepRecord, Server, VmState};
use crate::store::JobStore;

pub(super) fn write_job(tx: &Transaction, j: &Job) -> DbResult<()> {
    // Unfinished parents stay runnable too, so recovery can close them.
    let runnable = !j.status.is_final();
    let doc = to_doc(j)?;
    let updated = tx.execute(
        "UPDATE jobs SET status = ?2, runnable = ?3, doc = ?4 WHERE id = ?1",
        params![j.id, j.status.as_str(), runnable as i64, doc],
    )?;
    if updated == 0 {
        let seq = SqliteStore::next_seq(tx, "jobs", 1)?;
        tx.execute(
            "INSERT INTO jobs (id, parent_id, project_id, status, runnable, seq, doc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                j.id,
                j.parent_id,
                j.project_id,
                j.status.as_str(),
                runnable as i64,
                seq,
                doc
            ],
        )?;
    }
    Ok(())
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn insert_jobs(&self, jobs: &[Job]) -> ControlResult<()> {
        self.tx(|tx| {
            for j in jobs {
                write_job(tx, j)?;
            }
            Ok(())
        })
    }

    async fn get_job(&self, id: &str) -> ControlResult<Option<Job>> {
        self.get_doc("SELECT doc FROM jobs WHERE id = ?1", &[&id])
    }

    async fn sub_jobs(&self, parent_id: &str) -> ControlResult<Vec<Job>> {
        self.get_docs("SELECT doc FROM jobs WHERE parent_id = ?1 ORDER BY seq", &[&parent_id])
    }

    async fn runnable_jobs(&self, node: &str, now: DateTime<Utc>) -> ControlResult<Vec<Job>> {
        self.get_docs(
            "SELECT doc FROM jobs WHERE runnable = 1
               AND (lease_owner IS NULL OR lease_owner = ?1 OR lease_until < ?2) ORDER BY seq",
            &[&node, &ts(now)],
        )
    }

    async fn lease_job(&self, job_id: &str, node: &str, until: DateTime<Utc>) -> ControlResult<bool> {
        self.with(|c| {
            let n = c.execute(
                "UPDATE jobs SET lease_owner = ?1, lease_until = ?2
                 WHERE id = ?3 AND runnable = 1 AND (lease_owner IS NULL OR lease_owner = ?1 OR lease_until < ?4)",
                params![node, ts(until), job_id, ts(Utc::now())],
            )?;
            Ok(n == 1)
        })
    }

    async fn put_job(&self, job: &Job) -> ControlResult<()> {
        self.tx(|tx| write_job(tx, job))
    }

    async fn begin_step(&self, job_id: &str, index: i64, name: &str) -> ControlResult<i64> {
        self.tx(|tx| {
            tx.execute(
                "INSERT INTO job_steps (job_id, idx, name, started_at, attempts) VALUES (?1, ?2, ?3, ?4, 1)
                 ON CONFLICT(job_id, idx) DO UPDATE SET attempts = attempts + 1, started_at = excluded.started_at",
                params![job_id, index, name, ts(Utc::now())],
            )?;
            let attempts: i64 = tx.query_row(
                "SELECT attempts FROM job_steps WHERE job_id = ?1 AND idx = ?2",
                params![job_id, index],
                |r| r.get(0),
            )?;
            Ok(attempts)
        })
    }

    async fn complete_step(
        &self,
        job: &Job,
        index: i64,
        result: &str,
        server: Option<(&Server, i64)>,
    ) -> ControlResult<bool> {
        self.tx(|tx| {
            if let Some((s, expected)) = server {
                let n = tx.execute(
                    "UPDATE servers SET generation = ?1, deleted = ?2, doc = ?3 WHERE id = ?4 AND generation = ?5",
                    params![
                        s.generation,
                        (s.vm_state == VmState::Deleted) as i64,
                        to_doc(s)?,
                        s.id,
                        expected
                    ],
                )?;
                if n != 1 {
                    return Ok(false);
                }
            }
            tx.execute(
                "UPDATE job_steps SET finished_at = ?1, result = ?2 WHERE job_id = ?3 AND idx = ?4",
                params![ts(Utc::now()), result, job.id, index],
            )?;
            write_job(tx, job)?;
            Ok(true)
        })
    }

    async fn job_steps(&self, job_id: &str) -> ControlResult<Vec<JobStepRecord>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT idx, name, started_at, finished_at, result, attempts FROM job_steps WHERE job_id = ?1 ORDER BY idx",
            )?;
            let rows = stmt
                .query_map([job_id], |r| {
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
                        job_id: job_id.to_string(),
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
    }
}
