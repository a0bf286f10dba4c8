//! Volumes made through the block storage APIs (Cinder and EVS): data
//! volumes no server holds yet (`available`). A server's own volumes are
//! listed beside them. Every write is conditional on the volume's holder
//! and status as read, so an update never undoes an attach that landed
//! meanwhile, and a volume a server holds is never deleted.

use chrono::Utc;

use super::attachments::volume_not_found;
use super::Service;
use crate::catalog::OpId;
use crate::domain::quota::Resource;
use crate::domain::{uuid_id, Caller, ControlError, ControlResult, Job, JobStatus, Volume};

/// The EVS disk types (Huawei's), which are ecsd's volume types.
pub const VOLUME_TYPES: &[&str] = &["SATA", "SAS", "SSD", "GPSSD", "ESSD"];

/// Largest volume in GB (EVS's data-disk limit).
pub const MAX_VOLUME_GB: i64 = 32_768;

/// Most disks one EVS create may make (EVS's `count` limit).
pub const MAX_VOLUME_COUNT: usize = 100;

/// How often a conditional volume write is retried after losing a race.
const RETRIES: usize = 8;

/// A volume to make.
#[derive(Debug, Clone, Default)]
pub struct NewVolume {
    pub size_gb: i64,
    pub name: String,
    pub description: String,
    pub volume_type: Option<String>,
    pub availability_zone: Option<String>,
    /// How many alike (EVS `count`); 0 means one.
    pub count: usize,
}

/// Volumes made, with the job that records it (EVS answers with the job).
#[derive(Debug, Clone)]
pub struct VolumesMade {
    pub job_id: String,
    pub volumes: Vec<Volume>,
}

/// Invalid input. EVS codes: EVS.5404 not found, EVS.1046 deleting a disk
/// in the wrong status, EVS.1048 expanding one (published); EVS.2002 for
/// bad input, EVS.2003 for an unknown type and EVS.2005 for a lost race
/// are UNCONFIRMED.
fn invalid(message: String) -> ControlError {
    ControlError::bad_request_code("EVS.2002", message)
}

impl Service {
    pub async fn create_volume(&self, caller: &Caller, new: NewVolume) -> ControlResult<Volume> {
        let made = self.create_volumes(caller, OpId::CinderVolumeCreate, new, "").await?;
        made.volumes
            .into_iter()
            .next()
            .ok_or_else(|| ControlError::internal("a create made no volume"))
    }

    /// Makes `count` volumes alike, with one job (finished: they are
    /// `available` at once) and a sub-job per volume when there are several.
    pub async fn create_volumes(
        &self,
        caller: &Caller,
        op: OpId,
        new: NewVolume,
        request_id: &str,
    ) -> ControlResult<VolumesMade> {
        if !(1..=MAX_VOLUME_GB).contains(&new.size_gb) {
            return Err(invalid(format!(
                "Invalid input received: size {} must be 1 to {MAX_VOLUME_GB} GB.",
                new.size_gb
            )));
        }
        let count = new.count.max(1);
        if count > MAX_VOLUME_COUNT {
            return Err(invalid(format!(
                "Invalid input received: count {count} must be 1 to {MAX_VOLUME_COUNT}."
            )));
        }
        let volume_type = match new.volume_type.as_deref() {
            None | Some("" | "__DEFAULT__") => "SSD".to_string(),
            Some(t) => VOLUME_TYPES
                .iter()
                .find(|k| k.eq_ignore_ascii_case(t))
                .map(|k| k.to_string())
                .ok_or_else(|| ControlError::NotFound {
                    code: "EVS.2003",
                    message: format!("Volume type with name {t} could not be found."),
                })?,
        };
        if let Some(az) = &new.availability_zone {
            if az != crate::domain::AVAILABILITY_ZONE {
                return Err(invalid(format!(
                    "Invalid input received: Availability zone '{az}' is invalid."
                )));
            }
        }
        let now = Utc::now();
        let volumes: Vec<Volume> = (0..count)
            .map(|n| Volume {
                id: uuid_id(),
                server_id: None,
                project_id: caller.project_id.clone(),
                size_gb: new.size_gb,
                volume_type: volume_type.clone(),
                bootable: false,
                device: String::new(),
                image_id: None,
                status: "available".into(),
                host: None,
                delete_on_termination: false,
                // EVS names the disks of a batch name-0001, name-0002...
                name: if count > 1 && !new.name.is_empty() {
                    format!("{}-{:04}", new.name, n + 1)
                } else {
                    new.name.clone()
                },
                description: new.description.clone(),
                created: Some(now),
                attached_at: None,
            })
            .collect();
        let row = self.row(op);
        let done = |mut j: Job| {
            j.status = JobStatus::Success;
            j.end_time = Some(Utc::now());
            j
        };
        let mut jobs = Vec::new();
        let parent = if count == 1 {
            let v = &volumes[0];
            let params = serde_json::json!({"volume_id": v.id, "volume_type": v.volume_type,
                                            "size": v.size_gb, "name": v.name});
            done(self.new_job(caller, row, None, None, params, request_id)?)
        } else {
            let params = serde_json::json!({ "sub_jobs_total": count });
            let parent = done(self.new_job(caller, row, None, None, params, request_id)?);
            for v in &volumes {
                let params = serde_json::json!({"volume_id": v.id, "volume_type": v.volume_type,
                                                "size": v.size_gb, "name": v.name});
                jobs.push(done(self.new_job(
                    caller,
                    row,
                    None,
                    Some(&parent.id),
                    params,
                    request_id,
                )?));
            }
            parent
        };
        let job_id = parent.id.clone();
        jobs.insert(0, parent);
        let _quota = self
            .reserve_quota(
                &caller.project_id,
                &[
                    (Resource::Volumes, count as i64),
                    (Resource::Gigabytes, count as i64 * new.size_gb),
                ],
            )
            .await?;
        self.store.create_volumes(&volumes, &jobs).await?;
        Ok(VolumesMade { job_id, volumes })
    }

    pub async fn volume(&self, caller: &Caller, id: &str) -> ControlResult<Volume> {
        match self.store.get_volume(id).await? {
            Some(v) if v.project_id == caller.project_id => Ok(v),
            _ => Err(volume_not_found(id)),
        }
    }

    pub async fn volumes(&self, caller: &Caller) -> ControlResult<Vec<Volume>> {
        self.store.list_volumes(&caller.project_id).await
    }

    pub async fn update_volume(
        &self,
        caller: &Caller,
        id: &str,
        name: Option<String>,
        description: Option<String>,
    ) -> ControlResult<Volume> {
        self.change_volume(caller, id, |v| {
            if let Some(n) = &name {
                v.name = n.clone();
            }
            if let Some(d) = &description {
                v.description = d.clone();
            }
            Ok(())
        })
        .await
    }

    /// Grows a volume, attached or not, to `new_size_gb`; returns it with
    /// the job that records it (EVS answers with the job).
    pub async fn extend_volume(
        &self,
        caller: &Caller,
        op: OpId,
        id: &str,
        new_size_gb: i64,
        request_id: &str,
    ) -> ControlResult<(String, Volume)> {
        let grows = self.volume(caller, id).await?.size_gb;
        let _quota = self
            .reserve_quota(&caller.project_id, &[(Resource::Gigabytes, new_size_gb - grows)])
            .await?;
        let v = self
            .change_volume(caller, id, |v| {
                if !matches!(v.status.as_str(), "available" | "in-use") {
                    return Err(ControlError::bad_request_code(
                        "EVS.1048",
                        format!(
                            "Invalid volume: Volume {} status must be available or in-use, but current status is: {}.",
                            v.id, v.status
                        ),
                    ));
                }
                if new_size_gb <= v.size_gb || new_size_gb > MAX_VOLUME_GB {
                    return Err(invalid(format!(
                        "Invalid input received: New size for extend must be greater than current size \
                         ({} GB) and at most {MAX_VOLUME_GB} GB.",
                        v.size_gb
                    )));
                }
                v.size_gb = new_size_gb;
                Ok(())
            })
            .await?;
        let params = serde_json::json!({"volume_id": v.id, "size": v.size_gb});
        let mut job = self.new_job(caller, self.row(op), None, None, params, request_id)?;
        job.status = JobStatus::Success;
        job.end_time = Some(Utc::now());
        let job_id = job.id.clone();
        self.store.insert_jobs(&[job]).await?;
        Ok((job_id, v))
    }

    /// Deletes a volume no server holds; returns the job that records it.
    pub async fn delete_volume(&self, caller: &Caller, op: OpId, id: &str, request_id: &str) -> ControlResult<String> {
        let v = self.volume(caller, id).await?;
        if !self.store.delete_free_volume(&v.id, &["available", "error"]).await? {
            let now = self.volume(caller, id).await?;
            return Err(ControlError::bad_request_code(
                "EVS.1046",
                format!(
                    "Invalid volume: Volume status must be available or error, but current status is: {}.",
                    if now.server_id.is_some() {
                        "in-use"
                    } else {
                        now.status.as_str()
                    }
                ),
            ));
        }
        let params = serde_json::json!({"volume_id": v.id});
        let mut job = self.new_job(caller, self.row(op), None, None, params, request_id)?;
        job.status = JobStatus::Success;
        job.end_time = Some(Utc::now());
        let job_id = job.id.clone();
        self.store.insert_jobs(&[job]).await?;
        Ok(job_id)
    }

    /// Reads the volume, applies `change` and writes it if nobody changed
    /// its holder or status meanwhile; re-reads and re-applies otherwise.
    async fn change_volume(
        &self,
        caller: &Caller,
        id: &str,
        change: impl Fn(&mut Volume) -> ControlResult<()>,
    ) -> ControlResult<Volume> {
        for _ in 0..RETRIES {
            let was = self.volume(caller, id).await?;
            let mut v = was.clone();
            change(&mut v)?;
            if self.store.replace_volume(&v, &was).await? {
                return Ok(v);
            }
        }
        Err(ControlError::Conflict {
            code: "EVS.2005",
            message: format!("Volume {id} is changing; try again later."),
        })
    }
}
