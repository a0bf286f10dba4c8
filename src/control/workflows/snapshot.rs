//! Create image (Nova `createImage`, IMS image from a server): the system
//! disk is captured into a private image that create, rebuild and change
//! OS then accept. The image record is written with the claim (status
//! `queued`, so a client may poll it at once) and becomes `active` when the
//! capture step ends; a failed capture deletes it, as Nova does.
//!
//! Steps: pending upload (progress), capture the disk into the image,
//! uploading (progress), finish. The server ends where it was.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{by_power, Admission, Flow, RunState, Step};
use crate::domain::{ControlError, ControlResult, PowerState, Server, TaskState, VmState};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateImageInput {
    /// Chosen when the request is accepted; the record exists from then on.
    pub image_id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Properties the new image carries (Nova's `metadata`).
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

pub fn prepare(
    _cx: &Admission,
    server: &Server,
    input: &CreateImageInput,
    run: &mut RunState,
) -> ControlResult<CreateImageInput> {
    if input.name.trim().is_empty() || input.name.chars().count() > 255 {
        return Err(ControlError::bad_request_code(
            "Ecs.0005",
            "The image name must be 1 to 255 characters.",
        ));
    }
    if server.image_id.is_empty() {
        return Err(ControlError::bad_request_code(
            "Ecs.0031",
            "The server has no image to capture from.",
        ));
    }
    run.image_id = Some(input.image_id.clone());
    Ok(input.clone())
}

/// The flow is the same whatever the image's name and properties.
pub struct CreateImage;

impl Flow for CreateImage {
    fn plan(&self, _run: &RunState) -> Vec<Step> {
        vec![
            Step::Task(TaskState::ImagePendingUpload),
            Step::CaptureImage,
            Step::Task(TaskState::ImageUploading),
            Step::Finish,
        ]
    }

    fn event(&self, _step: &Step) -> &'static str {
        "compute_snapshot_instance"
    }

    fn final_vm_state(&self, power: PowerState, _run: &RunState) -> VmState {
        by_power(power)
    }

    fn finish(&self, _s: &mut Server, _run: &RunState) {}
}
