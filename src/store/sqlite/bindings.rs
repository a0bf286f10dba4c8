//! What a server holds besides itself, changed while it runs: a volume
//! attached or detached, a port bound or unbound. Each is written with its
//! finished job and instance action in one transaction that first checks
//! the server is still at the generation admission saw (not deleted) and
//! the volume or port is still held as read.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

use super::jobs::{write_job, JobRow};
use super::servers::{write_action, write_port, write_volume, ActionRow};
use super::volumes::volume_state;
use super::{to_doc, DbResult, SqliteStore};
use crate::domain::ControlResult;
use crate::store::{AttachmentChange, AttachmentOutcome, BindingChange, BindingStore};

/// Whether the server is live at that generation.
fn server_unmoved(c: &Connection, id: &str, generation: i64) -> DbResult<bool> {
    Ok(
        c.prepare_cached("SELECT 1 FROM servers WHERE id = ?1 AND generation = ?2 AND deleted = 0")?
            .query_row(params![id, generation], |r| r.get::<_, i64>(0))
            .optional()?
            .is_some(),
    )
}

#[async_trait]
impl BindingStore for SqliteStore {
    async fn change_attachment(&self, change: &AttachmentChange) -> ControlResult<AttachmentOutcome> {
        let volume = change.volume.clone();
        let doc = to_doc(&volume)?;
        let job = JobRow::of(&change.job)?;
        let action = change.action.as_ref().map(ActionRow::of).transpose()?;
        let (server_id, generation) = (change.server_id.clone(), change.server_generation);
        let (want_status, want_server) = (change.expected_status.clone(), change.expected_server.clone());
        self.write(move |c| {
            if !server_unmoved(c, &server_id, generation)? {
                return Ok(AttachmentOutcome::ServerChanged);
            }
            match volume_state(c, &volume.id)? {
                Some((holder, status)) if holder == want_server && status == want_status => {}
                _ => return Ok(AttachmentOutcome::VolumeChanged),
            }
            write_volume(c, &volume, &doc)?;
            write_job(c, &job, None)?;
            if let Some(a) = &action {
                write_action(c, a)?;
            }
            Ok(AttachmentOutcome::Written)
        })
        .await
    }

    async fn change_port_binding(&self, change: &BindingChange) -> ControlResult<AttachmentOutcome> {
        let port = change.port.clone();
        let doc = to_doc(&port)?;
        let job = JobRow::of(&change.job)?;
        let action = change.action.as_ref().map(ActionRow::of).transpose()?;
        let (server_id, generation) = (change.server_id.clone(), change.server_generation);
        let want_server = change.expected_server.clone();
        self.write(move |c| {
            if !server_unmoved(c, &server_id, generation)? {
                return Ok(AttachmentOutcome::ServerChanged);
            }
            let holder: Option<Option<String>> = c
                .prepare_cached("SELECT server_id FROM ports WHERE id = ?1")?
                .query_row([&port.id], |r| r.get(0))
                .optional()?;
            if holder != Some(want_server) {
                return Ok(AttachmentOutcome::VolumeChanged);
            }
            write_port(c, &port, &doc)?;
            write_job(c, &job, None)?;
            if let Some(a) = &action {
                write_action(c, a)?;
            }
            Ok(AttachmentOutcome::Written)
        })
        .await
    }
}
