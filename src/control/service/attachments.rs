//! Attaching volumes to servers and detaching them (ECS attachvolume and
//! detachvolume, Nova os-volume_attachments). Admission is the row's, as
//! for any change to a server; the change itself is the volume's record,
//! written with its job (finished at once) and instance action in one
//! transaction that checks the server did not move and the volume is still
//! as read, so one volume is never attached twice.

use chrono::Utc;

use super::interfaces::JobOrigin;
use super::Service;
use crate::catalog::{self, OpId};
use crate::domain::{Caller, ControlError, ControlResult, InstanceActionEvent, JobStatus, Server, Volume};
use crate::store::{AttachmentChange, AttachmentOutcome};

/// The system disk's device; data disks take the next free letter after it.
const SYSTEM_DEVICE: &str = "/dev/vda";

/// Devices a data volume may take: `/dev/vdb` to `/dev/vdz`. UNCONFIRMED
/// against Huawei's per-server disk limit (23 or 59 by disk mode).
fn data_devices() -> impl Iterator<Item = String> {
    ('b'..='z').map(|c| format!("/dev/vd{c}"))
}

/// What an attach asks for.
#[derive(Debug, Clone, Default)]
pub struct AttachSpec {
    pub volume_id: String,
    /// A device name to take (it must be free), else the next free one.
    pub device: Option<String>,
    /// Nova 2.79+: delete the volume with the server.
    pub delete_on_termination: bool,
    /// Huawei `dry_run`: every check, nothing written.
    pub dry_run: bool,
}

/// An attachment made or removed: the job that records it and the volume as
/// it now is.
#[derive(Debug, Clone)]
pub struct AttachmentDone {
    pub job_id: String,
    pub volume: Volume,
}

/// EVS's code for a volume not found (404), which Nova shows in its format.
pub const VOLUME_NOT_FOUND: &str = "EVS.5404";

pub fn volume_not_found(id: &str) -> ControlError {
    ControlError::NotFound {
        code: VOLUME_NOT_FOUND,
        message: format!("Volume {id} could not be found."),
    }
}

impl Service {
    /// One volume attached to a server, after the row's read is authorized
    /// on the server; 404 when it is not attached there.
    pub async fn server_volume(
        &self,
        caller: &Caller,
        op: OpId,
        server_id: &str,
        volume_id: &str,
    ) -> ControlResult<Volume> {
        let (_, volumes, _) = self.read_server_view(caller, op, server_id).await?;
        volumes
            .into_iter()
            .find(|v| v.id == volume_id)
            .ok_or_else(|| not_attached(server_id, volume_id))
    }

    pub async fn attach_volume(
        &self,
        caller: &Caller,
        op: OpId,
        server_id: &str,
        spec: AttachSpec,
        request_id: &str,
    ) -> ControlResult<AttachmentDone> {
        let (row, server) = self.admitted(caller, op, server_id).await?;
        let volume = match self.store.get_volume(&spec.volume_id).await? {
            Some(v) if v.project_id == caller.project_id => v,
            _ => return Err(volume_not_found(&spec.volume_id)),
        };
        if volume.server_id.is_some() || volume.status != "available" {
            return Err(not_available(&volume));
        }
        let taken: Vec<String> = self
            .store
            .volumes_of(&server.id)
            .await?
            .into_iter()
            .map(|v| v.device)
            .collect();
        let device = match spec.device.filter(|d| !d.is_empty()) {
            Some(d) if taken.contains(&d) || d == SYSTEM_DEVICE => {
                return Err(ControlError::bad_request_code(
                    "Ecs.0005",
                    format!("The supplied device path ({d}) is in use."),
                ))
            }
            Some(d) if !data_devices().any(|free| free == d) => {
                return Err(ControlError::bad_request_code(
                    "Ecs.0005",
                    format!("The supplied device path ({d}) is invalid."),
                ))
            }
            Some(d) => d,
            None => data_devices().find(|d| !taken.contains(d)).ok_or_else(|| {
                ControlError::bad_request_code(
                    "Ecs.0005",
                    format!("Instance {} has no free device for another volume.", server.id),
                )
            })?,
        };
        if spec.dry_run {
            return Ok(AttachmentDone {
                job_id: String::new(),
                volume,
            });
        }
        let mut attached = volume.clone();
        attached.server_id = Some(server.id.clone());
        attached.status = "in-use".into();
        attached.host = server.host.clone();
        attached.device = device;
        attached.delete_on_termination = spec.delete_on_termination;
        attached.attached_at = Some(Utc::now());
        let job_id = self
            .write_attachment(caller, row, &server, &volume, attached.clone(), request_id)
            .await?;
        Ok(AttachmentDone {
            job_id,
            volume: attached,
        })
    }

    pub async fn detach_volume(
        &self,
        caller: &Caller,
        op: OpId,
        server_id: &str,
        volume_id: &str,
        request_id: &str,
    ) -> ControlResult<AttachmentDone> {
        let (row, server) = self.admitted(caller, op, server_id).await?;
        let volume = self
            .store
            .volumes_of(&server.id)
            .await?
            .into_iter()
            .find(|v| v.id == volume_id)
            .ok_or_else(|| not_attached(server_id, volume_id))?;
        if volume.bootable {
            // UNCONFIRMED for Huawei, which lets a stopped server's system
            // disk go; Nova refuses the root volume.
            return Err(ControlError::bad_request_code(
                "Ecs.0005",
                "Cannot detach a root device volume",
            ));
        }
        let mut free = volume.clone();
        free.server_id = None;
        free.status = "available".into();
        free.host = None;
        free.device = String::new();
        free.delete_on_termination = false;
        free.attached_at = None;
        let job_id = self
            .write_attachment(caller, row, &server, &volume, free.clone(), request_id)
            .await?;
        Ok(AttachmentDone { job_id, volume: free })
    }

    /// The server as the caller may see it, authorized and admitted for `op`.
    pub(super) async fn admitted(
        &self,
        caller: &Caller,
        op: OpId,
        server_id: &str,
    ) -> ControlResult<(&'static catalog::Operation, Server)> {
        let row = self.row(op);
        let server = self.server_for(caller, server_id).await?;
        self.authorizer.authorize(caller, row, Some(&server)).await?;
        catalog::admit(row, &server, false)?;
        Ok((row, server))
    }

    /// Writes the volume's new record with its finished job and action.
    async fn write_attachment(
        &self,
        caller: &Caller,
        row: &'static catalog::Operation,
        server: &Server,
        was: &Volume,
        volume: Volume,
        request_id: &str,
    ) -> ControlResult<String> {
        let params = serde_json::json!({ "volume_id": volume.id });
        let origin = JobOrigin {
            request_id,
            parent: None,
        };
        let (job, action) = self.finished_change(caller, row, &server.id, params, origin)?;
        let change = AttachmentChange {
            server_id: server.id.clone(),
            server_generation: server.generation,
            volume,
            expected_status: was.status.clone(),
            expected_server: was.server_id.clone(),
            job,
            action,
        };
        match self.store.change_attachment(&change).await? {
            AttachmentOutcome::Written => Ok(change.job.id),
            AttachmentOutcome::ServerChanged => Err(server_busy(&server.id)),
            AttachmentOutcome::VolumeChanged => Err(not_available(was)),
        }
    }

    /// What a change to what a server holds is recorded with: its job,
    /// finished, and its instance action with the one event
    /// `compute_<action>` (Nova's names: `compute_attach_volume`...).
    pub(super) fn finished_change(
        &self,
        caller: &Caller,
        row: &'static catalog::Operation,
        server_id: &str,
        params: serde_json::Value,
        origin: JobOrigin<'_>,
    ) -> ControlResult<(crate::domain::Job, Option<crate::domain::InstanceAction>)> {
        let mut job = self.new_job(caller, row, Some(server_id), origin.parent, params, origin.request_id)?;
        job.status = JobStatus::Success;
        job.end_time = Some(Utc::now());
        let action = self.new_action(caller, row, server_id, origin.request_id).map(|mut a| {
            let event = format!("compute_{}", row.instance_action.unwrap_or_default());
            a.events.push(InstanceActionEvent::started(&event).finished("Success"));
            a
        });
        Ok((job, action))
    }
}

/// Another operation claimed the server between admission and the write.
pub(super) fn server_busy(server_id: &str) -> ControlError {
    ControlError::Conflict {
        code: "Ecs.0603",
        message: format!("Another operation on instance {server_id} is in progress; try again later."),
    }
}

fn not_attached(server_id: &str, volume_id: &str) -> ControlError {
    ControlError::NotFound {
        code: VOLUME_NOT_FOUND,
        message: format!("Instance {server_id} is not attached to volume {volume_id}."),
    }
}

/// Nova's InvalidVolume (400) for a volume another server holds or that is
/// not `available`; ECS's Ecs.0057 (already attached) and Ecs.0103 (not
/// available).
fn not_available(v: &Volume) -> ControlError {
    match &v.server_id {
        Some(holder) => ControlError::bad_request_code(
            "Ecs.0057",
            format!(
                "Invalid volume: volume {} is already attached to instances: {holder}",
                v.id
            ),
        ),
        None => ControlError::bad_request_code(
            "Ecs.0103",
            format!(
                "Invalid volume: volume {} status must be 'available', but it is '{}'.",
                v.id, v.status
            ),
        ),
    }
}
