//! Volume writes whose condition is checked in their own transaction:
//! creates with their jobs, and updates and deletes of volumes as read.

use async_trait::async_trait;
use rusqlite::OptionalExtension;

use super::jobs::{write_job, JobRow};
use super::servers::write_volume;
use super::{to_doc, SqliteStore};
use crate::domain::{ControlResult, Job, Volume};
use crate::store::VolumeStore;

/// A volume's holder and status, read by its primary key.
pub(super) const VOLUME_STATE: &str = "SELECT server_id, json_extract(doc, '$.status') FROM volumes WHERE id = ?1";

pub(super) fn volume_state(c: &rusqlite::Connection, id: &str) -> rusqlite::Result<Option<(Option<String>, String)>> {
    c.prepare_cached(VOLUME_STATE)?
        .query_row([id], |r| {
            Ok((r.get(0)?, r.get::<_, Option<String>>(1)?.unwrap_or_default()))
        })
        .optional()
}

#[async_trait]
impl VolumeStore for SqliteStore {
    async fn create_volumes(&self, volumes: &[Volume], jobs: &[Job]) -> ControlResult<()> {
        let volumes = volumes
            .iter()
            .map(|v| Ok((v.clone(), to_doc(v)?)))
            .collect::<ControlResult<Vec<_>>>()?;
        let jobs = jobs.iter().map(JobRow::of).collect::<ControlResult<Vec<_>>>()?;
        self.write(move |c| {
            for (v, doc) in &volumes {
                write_volume(c, v, doc)?;
            }
            for j in &jobs {
                write_job(c, j, None)?;
            }
            Ok(())
        })
        .await
    }

    async fn replace_volume(&self, v: &Volume, was: &Volume) -> ControlResult<bool> {
        let (v, doc) = (v.clone(), to_doc(v)?);
        let (want_server, want_status) = (was.server_id.clone(), was.status.clone());
        self.write(move |c| {
            match volume_state(c, &v.id)? {
                Some((holder, status)) if holder == want_server && status == want_status => {}
                _ => return Ok(false),
            }
            write_volume(c, &v, &doc)?;
            Ok(true)
        })
        .await
    }

    async fn delete_free_volume(&self, id: &str, statuses: &[&str]) -> ControlResult<bool> {
        let id = id.to_string();
        let statuses: Vec<String> = statuses.iter().map(|s| s.to_string()).collect();
        self.write(move |c| {
            match volume_state(c, &id)? {
                Some((None, status)) if statuses.contains(&status) => {}
                _ => return Ok(false),
            }
            c.prepare_cached("DELETE FROM volumes WHERE id = ?1")?.execute([&id])?;
            Ok(true)
        })
        .await
    }
}
