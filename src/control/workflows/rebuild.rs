//! Rebuild (native) and Huawei change OS / reinstall OS: the system volume
//! is re-created from an image and the VM defined again.
//!
//! Steps: power off, block device mapping (progress), create the new system
//! volume (destructive from here: a failure leaves ERROR), swap it in for
//! the old one, spawning (progress), define the VM, and power on: native
//! rebuild unless the server was stopped, Huawei's only with
//! `withStopServer` on a running server.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{by_power, Admission, Flow, RunState, Step};
use crate::domain::{uuid_id, ControlError, ControlResult, Image, PowerState, Server, TaskState, VmState};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RebuildInput {
    pub image_id: String,
    /// New name and metadata, applied at the end.
    pub rename: Option<String>,
    pub metadata: Option<BTreeMap<String, String>>,
    /// `Some(None)` clears the field; `None` leaves it.
    pub key_name: Option<Option<String>>,
    pub user_data: Option<Option<String>>,
    pub description: Option<Option<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReinstallOsInput {
    /// Change OS names the image; reinstall keeps the server's (filled in
    /// at admission).
    pub image_id: Option<String>,
    /// Start the server again at the end (`withStopServer`).
    #[serde(default)]
    pub restart_after: bool,
    pub key_name: Option<String>,
    pub user_data: Option<String>,
}

pub fn prepare_rebuild(
    cx: &Admission,
    server: &Server,
    input: &RebuildInput,
    run: &mut RunState,
) -> ControlResult<RebuildInput> {
    cx.require(cx.capabilities.rebuild)?;
    check_image_fits(cx, server, &input.image_id, true)?;
    run.new_volume_id = Some(uuid_id());
    Ok(input.clone())
}

pub fn prepare_reinstall(
    cx: &Admission,
    server: &Server,
    input: &ReinstallOsInput,
    run: &mut RunState,
) -> ControlResult<ReinstallOsInput> {
    cx.require(cx.capabilities.rebuild)?;
    let image_id = input.image_id.clone().unwrap_or_else(|| server.image_id.clone());
    check_image_fits(cx, server, &image_id, false)?;
    run.new_volume_id = Some(uuid_id());
    Ok(ReinstallOsInput {
        image_id: Some(image_id),
        ..input.clone()
    })
}

/// The image exists, is active, and suits the server's flavor.
fn check_image_fits(cx: &Admission, server: &Server, image_id: &str, native: bool) -> ControlResult<()> {
    let image = check_image(cx, image_id, native)?;
    if let Some(f) = cx.inventory.flavor(&server.flavor_id) {
        if f.arch != image.arch {
            return Err(ControlError::bad_request_code(
                "Ecs.0031",
                format!(
                    "Image {} ({}) does not match the architecture of flavor {}.",
                    image.id, image.arch, f.id
                ),
            ));
        }
        if image.min_ram_mb > f.ram_mb {
            return Err(ControlError::bad_request_code(
                "Ecs.0031",
                "Flavor's memory is too small for requested image.",
            ));
        }
    }
    Ok(())
}

fn check_image<'a>(cx: &'a Admission<'a>, image_id: &str, native: bool) -> ControlResult<&'a Image> {
    match cx.image(image_id) {
        Some(i) if i.status == "active" => Ok(i),
        Some(_) => Err(ControlError::bad_request_code(
            "Ecs.0032",
            "The image is not in Active state.",
        )),
        None => Err(ControlError::bad_request_code(
            "Ecs.0031",
            if native {
                "Cannot find image for rebuild".to_string()
            } else {
                format!("The image {image_id} does not exist.")
            },
        )),
    }
}

/// The steps both variants share, up to defining the VM.
/// A new system disk from the image, then (if asked) power on, then finish.
fn reimage(image_id: Option<String>, power_on: bool) -> Vec<Step> {
    let mut steps = vec![
        Step::PowerOff { hard: false },
        Step::Task(TaskState::RebuildBlockDeviceMapping),
        Step::CreateSystemVolume {
            image_id: image_id.clone(),
        },
        Step::SwapSystemVolume,
        Step::Task(TaskState::RebuildSpawning),
        Step::DefineOnTarget {
            flavor_id: None,
            image_id,
        },
    ];
    if power_on {
        steps.push(Step::PowerOn);
    }
    steps.push(Step::Finish);
    steps
}

const EVENT: &str = "compute_rebuild_instance";

pub struct Rebuild<'a>(pub &'a RebuildInput);

impl Flow for Rebuild<'_> {
    fn plan(&self, run: &RunState) -> Vec<Step> {
        // Nova powers a rebuilt server on, and off again if it was stopped.
        reimage(
            Some(self.0.image_id.clone()),
            run.prev_vm_state != Some(VmState::Stopped),
        )
    }

    fn event(&self, _step: &Step) -> &'static str {
        EVENT
    }

    fn final_vm_state(&self, power: PowerState, _run: &RunState) -> VmState {
        by_power(power)
    }

    fn finish(&self, s: &mut Server, _run: &RunState) {
        let p = self.0;
        s.image_id = p.image_id.clone();
        if let Some(name) = &p.rename {
            s.name = name.clone();
        }
        if let Some(md) = &p.metadata {
            s.metadata = md.clone();
        }
        if let Some(k) = &p.key_name {
            s.key_name = k.clone();
        }
        if let Some(u) = &p.user_data {
            s.user_data = u.clone();
        }
        if let Some(d) = &p.description {
            s.description = d.clone().unwrap_or_default();
        }
    }
}

pub struct ReinstallOs<'a>(pub &'a ReinstallOsInput);

impl Flow for ReinstallOs<'_> {
    fn plan(&self, run: &RunState) -> Vec<Step> {
        reimage(self.0.image_id.clone(), self.0.restart_after && run.was_running)
    }

    fn event(&self, _step: &Step) -> &'static str {
        EVENT
    }

    fn final_vm_state(&self, power: PowerState, _run: &RunState) -> VmState {
        by_power(power)
    }

    fn finish(&self, s: &mut Server, _run: &RunState) {
        let p = self.0;
        if let Some(img) = &p.image_id {
            s.image_id = img.clone();
        }
        if let Some(k) = &p.key_name {
            s.key_name = Some(k.clone());
        }
        if let Some(u) = &p.user_data {
            s.user_data = Some(u.clone());
        }
    }
}
