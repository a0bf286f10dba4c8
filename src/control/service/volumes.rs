//! Volumes made through the block storage API: data volumes no server
//! holds yet (`available`). A server's own volumes are listed beside them;
//! one attached to a server cannot be deleted.

use chrono::Utc;

use super::Service;
use crate::domain::{uuid_id, Caller, ControlError, ControlResult, Volume};

/// The EVS disk types (Huawei's), which are ecsd's volume types.
pub const VOLUME_TYPES: &[&str] = &["SATA", "SAS", "SSD", "GPSSD", "ESSD"];

/// Largest volume in GB (EVS's data-disk limit).
pub const MAX_VOLUME_GB: i64 = 32_768;

/// A volume to make.
#[derive(Debug, Clone, Default)]
pub struct NewVolume {
    pub size_gb: i64,
    pub name: String,
    pub description: String,
    pub volume_type: Option<String>,
    pub availability_zone: Option<String>,
}

/// EVS error codes here (EVS.200x) are UNCONFIRMED: Huawei's EVS error
/// reference was not reachable.
fn not_found(id: &str) -> ControlError {
    ControlError::NotFound {
        code: "EVS.2001",
        message: format!("Volume {id} could not be found."),
    }
}

impl Service {
    pub async fn create_volume(&self, caller: &Caller, new: NewVolume) -> ControlResult<Volume> {
        if !(1..=MAX_VOLUME_GB).contains(&new.size_gb) {
            return Err(ControlError::bad_request_code(
                "EVS.2002",
                format!(
                    "Invalid input received: size {} must be 1 to {MAX_VOLUME_GB} GB.",
                    new.size_gb
                ),
            ));
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
                return Err(ControlError::bad_request_code(
                    "EVS.2002",
                    format!("Invalid input received: Availability zone '{az}' is invalid."),
                ));
            }
        }
        let v = Volume {
            id: uuid_id(),
            server_id: None,
            project_id: caller.project_id.clone(),
            size_gb: new.size_gb,
            volume_type,
            bootable: false,
            device: String::new(),
            image_id: None,
            status: "available".into(),
            host: None,
            delete_on_termination: false,
            name: new.name,
            description: new.description,
            created: Some(Utc::now()),
        };
        self.store.put_volume(&v).await?;
        Ok(v)
    }

    pub async fn volume(&self, caller: &Caller, id: &str) -> ControlResult<Volume> {
        match self.store.get_volume(id).await? {
            Some(v) if v.project_id == caller.project_id => Ok(v),
            _ => Err(not_found(id)),
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
        let mut v = self.volume(caller, id).await?;
        if let Some(n) = name {
            v.name = n;
        }
        if let Some(d) = description {
            v.description = d;
        }
        self.store.put_volume(&v).await?;
        Ok(v)
    }

    /// Deletes a volume no server holds.
    pub async fn delete_volume(&self, caller: &Caller, id: &str) -> ControlResult<()> {
        let v = self.volume(caller, id).await?;
        if v.server_id.is_some() || v.status != "available" {
            return Err(ControlError::bad_request_code(
                "EVS.2004",
                format!(
                    "Invalid volume: Volume status must be available or error, but current status is: {}.",
                    if v.server_id.is_some() {
                        "in-use"
                    } else {
                        v.status.as_str()
                    }
                ),
            ));
        }
        self.store.delete_volume(&v.id).await
    }
}
