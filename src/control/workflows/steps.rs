//! The shared step verbs. A workflow's plan is a list of these; each one is
//! an "ensure" (safe to repeat after a crash) that reads the server as it
//! is and leaves the record to write with the step's completion.

use crate::control::scheduler;
use crate::domain::Inventory;
use crate::domain::{uuid_id, ControlError, PowerState, Server, TaskState, Volume};
use crate::driver::{ComputeDriver, DriverError, StepContext, VmSpec};
use crate::store::Store;

use super::{Flow, RunState};

/// Where the scheduling step looks for a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// A new server with its own flavor; the host is recorded at once.
    New,
    /// The target flavor on the server's kind of host, its host first.
    Resize { flavor_id: String },
    /// Another host: the named dedicated host, or back to a shared one.
    Migrate { dedicated_host_id: Option<String> },
}

/// Which host the VM is removed from when a workflow leaves one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaving {
    /// The host it was on, unless the scheduled host is the same one.
    Current,
    /// Resize confirmed: the resize source, keeping the current host.
    ResizeSource,
    /// Resize reverted: the resize target (current host), keeping the source.
    ResizeTarget,
}

/// One step of a workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Record progress in `task_state`.
    Task(TaskState),
    /// Choose a host with capacity for the target flavor.
    Schedule(Placement),
    PowerOff {
        hard: bool,
    },
    PowerOn,
    Reboot {
        hard: bool,
    },
    /// Detach the server's volumes from its host (`evs:volumes:detach`).
    DetachVolumes,
    /// Define the VM on the target host with the target flavor and image
    /// (the server's own where none is given).
    DefineOnTarget {
        flavor_id: Option<String>,
        image_id: Option<String>,
    },
    /// Point the ports' binding at the target host (`vpc:ports:update`).
    BindPorts,
    /// Attach the volumes on the target host (`evs:volumes:attach`).
    AttachVolumes,
    /// Remove the VM from the host it left.
    UndefineSource(Leaving),
    /// Create a system volume from the image (`evs:volumes:create`).
    CreateSystemVolume {
        image_id: Option<String>,
    },
    /// Replace the old system volume with the new one, deleting the old.
    SwapSystemVolume,
    /// Resize reverted: define the VM back on its source host.
    DefineOnSource,
    /// Capture the system volume into the run's image and make it active.
    CaptureImage,
    /// Delete: remove the VM, volumes (data volumes only if asked) and ports.
    Teardown {
        delete_data_volumes: bool,
    },
    /// The last step: the final state in one transaction with the job.
    Finish,
}

impl Step {
    pub fn name(&self) -> &'static str {
        match self {
            Step::Task(t) => t.as_str(),
            Step::Schedule(_) => "schedule",
            Step::PowerOff { .. } => "power_off",
            Step::PowerOn => "power_on",
            Step::Reboot { .. } => "reboot",
            Step::DetachVolumes => "detach_volumes",
            Step::DefineOnTarget { .. } => "define_on_target",
            Step::BindPorts => "bind_ports",
            Step::AttachVolumes => "attach_volumes",
            Step::UndefineSource(_) => "undefine_source",
            Step::CreateSystemVolume { .. } => "create_system_volume",
            Step::SwapSystemVolume => "swap_system_volume",
            Step::DefineOnSource => "define_on_source",
            Step::CaptureImage => "capture_image",
            Step::Teardown { .. } => "teardown",
            Step::Finish => "finish",
        }
    }

    /// Whether the step only changes the server's record (no driver
    /// effect): such a step may be committed together with its neighbour.
    pub fn records_only(&self) -> bool {
        matches!(self, Step::Task(_) | Step::Finish)
    }

    /// Whether a failure at or after this step leaves the server in ERROR
    /// (something was changed that cannot simply be forgotten). Failures
    /// before the first such step roll the server back to where it was.
    pub fn destructive(&self) -> bool {
        !matches!(
            self,
            Step::Task(_)
                | Step::Schedule(_)
                | Step::PowerOff { .. }
                | Step::PowerOn
                | Step::Reboot { .. }
                | Step::CaptureImage
                | Step::Finish
        )
    }
}

/// What a failed step leaves behind.
pub enum StepError {
    Driver(DriverError),
    /// The server was claimed by another job (e.g. a hard reboot preempted a soft one).
    Superseded,
    Store(ControlError),
}

impl From<ControlError> for StepError {
    fn from(e: ControlError) -> Self {
        StepError::Store(e)
    }
}

impl From<DriverError> for StepError {
    fn from(e: DriverError) -> Self {
        StepError::Driver(e)
    }
}

/// Everything a step runs with: the dependencies, the server as read at
/// the step's start, the record it leaves, and the run's decisions.
pub struct StepCx<'a> {
    pub store: &'a dyn Store,
    pub driver: &'a dyn ComputeDriver,
    pub inventory: &'a dyn Inventory,
    /// Placement reads usage then writes a choice; one at a time per node.
    pub placement: &'a tokio::sync::Mutex<()>,
    pub ctx: StepContext,
    pub server: Server,
    pub next: Server,
    pub run: &'a mut RunState,
}

impl StepCx<'_> {
    /// The host the VM is going to: the scheduled one, else where it is.
    fn target_host(&self) -> Option<String> {
        self.run.target_host.clone().or_else(|| self.server.host.clone())
    }
}

/// Runs one step of `flow`, leaving its effect in `cx.next` and `cx.run`.
pub async fn execute(flow: &dyn Flow, cx: &mut StepCx<'_>, step: &Step) -> Result<(), StepError> {
    match step {
        Step::Task(t) => cx.next.task_state = Some(*t),
        Step::Schedule(placement) => schedule(cx, placement).await?,
        Step::PowerOff { hard } => {
            cx.driver.ensure_stopped(&cx.ctx, &cx.server.id, *hard).await?;
            cx.next.power_state = PowerState::Shutdown;
        }
        Step::PowerOn => {
            cx.driver.ensure_running(&cx.ctx, &cx.server.id).await?;
            cx.next.power_state = PowerState::Running;
        }
        Step::Reboot { hard } => {
            cx.driver.reboot(&cx.ctx, &cx.server.id, *hard).await?;
            cx.next.power_state = PowerState::Running;
        }
        Step::DetachVolumes => {
            for mut v in cx.store.volumes_of(&cx.server.id).await? {
                v.status = "available".into();
                v.host = None;
                cx.store.put_volume(&v).await?;
            }
        }
        Step::AttachVolumes => {
            let host = cx.target_host();
            for mut v in cx.store.volumes_of(&cx.server.id).await? {
                v.status = "in-use".into();
                v.host = host.clone();
                cx.store.put_volume(&v).await?;
            }
        }
        Step::BindPorts => {
            let host = cx.target_host();
            for mut port in cx.store.ports_of(&cx.server.id).await? {
                port.binding_host = host.clone();
                port.status = "ACTIVE".into();
                cx.store.put_port(&port).await?;
            }
        }
        Step::DefineOnTarget { flavor_id, image_id } => {
            let host = cx.target_host();
            let flavor_id = flavor_id.clone().unwrap_or(cx.server.flavor_id.clone());
            let image_id = image_id.clone().unwrap_or(cx.server.image_id.clone());
            define(cx, host, &flavor_id, image_id).await?;
        }
        Step::DefineOnSource => {
            let host = cx.server.source_host.clone().or(cx.server.host.clone());
            let flavor_id = cx.server.old_flavor_id.clone().unwrap_or(cx.server.flavor_id.clone());
            let image_id = cx.server.image_id.clone();
            define(cx, host, &flavor_id, image_id).await?;
        }
        Step::UndefineSource(leaving) => {
            let (source, keep) = match leaving {
                Leaving::Current => (cx.server.host.clone(), cx.run.target_host.clone()),
                Leaving::ResizeSource => (cx.server.source_host.clone(), cx.server.host.clone()),
                Leaving::ResizeTarget => (cx.server.host.clone(), cx.server.source_host.clone()),
            };
            if let Some(source) = source {
                if Some(&source) != keep.as_ref() {
                    cx.driver.ensure_undefined(&cx.ctx, &cx.server.id, &source).await?;
                }
            }
        }
        Step::CreateSystemVolume { image_id } => {
            let image_id = image_id.clone().unwrap_or(cx.server.image_id.clone());
            create_system_volume(cx, &image_id).await?;
        }
        Step::SwapSystemVolume => swap_system_volume(cx).await?,
        Step::CaptureImage => capture_image(cx).await?,
        Step::Teardown { delete_data_volumes } => teardown(cx, *delete_data_volumes).await?,
        Step::Finish => super::finish_record(flow, &mut cx.next, cx.run),
    }
    Ok(())
}

async fn schedule(cx: &mut StepCx<'_>, placement: &Placement) -> Result<(), StepError> {
    if cx.run.target_host.is_none() {
        let _guard = cx.placement.lock().await;
        let flavor_id = match placement {
            Placement::Resize { flavor_id } => flavor_id.clone(),
            Placement::New | Placement::Migrate { .. } => cx.server.flavor_id.clone(),
        };
        let flavor = cx.inventory.flavor(&flavor_id).cloned().ok_or_else(|| DriverError {
            code: "Ecs.0029".into(),
            reason: format!("Flavor {flavor_id} could not be found."),
        })?;
        let counts = cx.store.host_flavor_counts().await?;
        let used = scheduler::usage(cx.inventory, &counts, &cx.server);
        let (want_dedicated, avoid) = match placement {
            Placement::Migrate { dedicated_host_id } => (dedicated_host_id.clone(), cx.server.host.clone()),
            Placement::New | Placement::Resize { .. } => (cx.server.dedicated_host_id.clone(), None),
        };
        let host = scheduler::place(
            cx.inventory,
            &used,
            &flavor,
            want_dedicated.as_deref(),
            avoid.as_deref(),
            cx.server.host.as_deref(),
        )
        .map_err(|reason| DriverError {
            code: "Ecs.0019".into(),
            reason,
        })?;
        cx.run.target_host = Some(host);
    }
    if *placement == Placement::New {
        cx.next.host = cx.run.target_host.clone();
    }
    Ok(())
}

async fn define(cx: &StepCx<'_>, host: Option<String>, flavor_id: &str, image_id: String) -> Result<(), StepError> {
    let host = host.ok_or_else(|| DriverError {
        code: "Ecs.0019".into(),
        reason: "No host was chosen for the server.".into(),
    })?;
    let flavor = cx.inventory.flavor(flavor_id);
    let system_volume = cx
        .store
        .volumes_of(&cx.server.id)
        .await?
        .into_iter()
        .find(|v| v.bootable)
        .map(|v| v.id)
        .unwrap_or_default();
    let spec = VmSpec {
        server_id: cx.server.id.clone(),
        host,
        vcpus: flavor.map(|f| f.vcpus).unwrap_or(1),
        ram_mb: flavor.map(|f| f.ram_mb).unwrap_or(1024),
        image_id,
        system_volume_id: system_volume,
    };
    cx.driver.ensure_defined(&cx.ctx, &spec).await?;
    Ok(())
}

async fn create_system_volume(cx: &mut StepCx<'_>, image_id: &str) -> Result<(), StepError> {
    let id = cx.run.new_volume_id.clone().unwrap_or_else(uuid_id);
    cx.run.new_volume_id = Some(id.clone());
    if cx.store.get_volume(&id).await?.is_none() {
        let old = cx.store.volumes_of(&cx.server.id).await?;
        let old_sys = old.iter().find(|v| v.bootable);
        let min = cx.store.get_image(image_id).await?.map(|i| i.min_disk_gb).unwrap_or(0);
        let vol = Volume {
            id: id.clone(),
            server_id: None,
            project_id: cx.server.project_id.clone(),
            size_gb: old_sys.map(|v| v.size_gb).unwrap_or(40).max(min),
            volume_type: old_sys.map(|v| v.volume_type.clone()).unwrap_or("SSD".into()),
            bootable: true,
            device: "/dev/vda".into(),
            image_id: Some(image_id.to_string()),
            status: "available".into(),
            host: None,
            delete_on_termination: true,
            name: String::new(),
            description: String::new(),
            created: Some(chrono::Utc::now()),
            attached_at: None,
        };
        cx.store.put_volume(&vol).await?;
    }
    cx.driver.ensure_disk_imaged(&cx.ctx, &id, image_id).await?;
    Ok(())
}

/// Captures the system volume into the run's image, then makes the image
/// active with the source's size and OS; an image already active is left
/// as it is (the step ran before a crash).
async fn capture_image(cx: &StepCx<'_>) -> Result<(), StepError> {
    let Some(image_id) = cx.run.image_id.clone() else {
        return Err(ControlError::internal("a capture without an image").into());
    };
    let Some(mut image) = cx.store.get_image(&image_id).await? else {
        return Err(DriverError {
            code: "Ecs.0031".into(),
            reason: format!("Image {image_id} was deleted while it was being made."),
        }
        .into());
    };
    if image.status == "active" {
        return Ok(());
    }
    let system = cx
        .store
        .volumes_of(&cx.server.id)
        .await?
        .into_iter()
        .find(|v| v.bootable);
    let volume_id = system.as_ref().map(|v| v.id.clone()).unwrap_or_default();
    cx.driver.ensure_image_captured(&cx.ctx, &volume_id, &image_id).await?;
    let source = cx.store.get_image(&cx.server.image_id).await?;
    image.status = "active".into();
    image.size_bytes = source.as_ref().map(|s| s.size_bytes).unwrap_or_default();
    image.min_disk_gb = system.map(|v| v.size_gb).unwrap_or(image.min_disk_gb);
    if let Some(s) = source {
        image.os_type = s.os_type;
        image.os_version = s.os_version;
        image.os_bit = s.os_bit;
        image.arch = s.arch;
        image.min_ram_mb = image.min_ram_mb.max(s.min_ram_mb);
    }
    image.updated = Some(chrono::Utc::now());
    cx.store.put_image(&image).await?;
    Ok(())
}

async fn swap_system_volume(cx: &StepCx<'_>) -> Result<(), StepError> {
    if let Some(new_id) = &cx.run.new_volume_id {
        for v in cx.store.volumes_of(&cx.server.id).await? {
            if v.bootable && &v.id != new_id {
                cx.store.delete_volume(&v.id).await?;
            }
        }
        if let Some(mut v) = cx.store.get_volume(new_id).await? {
            v.server_id = Some(cx.server.id.clone());
            v.status = "in-use".into();
            v.host = cx.server.host.clone();
            v.attached_at = Some(chrono::Utc::now());
            cx.store.put_volume(&v).await?;
        }
    }
    Ok(())
}

async fn teardown(cx: &StepCx<'_>, delete_data_volumes: bool) -> Result<(), StepError> {
    if let Some(host) = &cx.server.host {
        cx.driver.ensure_undefined(&cx.ctx, &cx.server.id, host).await?;
    }
    for mut v in cx.store.volumes_of(&cx.server.id).await? {
        if v.delete_on_termination || v.bootable || delete_data_volumes {
            cx.store.delete_volume(&v.id).await?;
        } else {
            v.server_id = None;
            v.status = "available".into();
            v.host = None;
            cx.store.put_volume(&v).await?;
        }
    }
    for mut port in cx.store.ports_of(&cx.server.id).await? {
        if port.preserve_on_delete {
            // A port made through the network API outlives the server.
            port.server_id = None;
            port.binding_host = None;
            port.status = "DOWN".into();
            port.primary = false;
            cx.store.put_port(&port).await?;
        } else {
            cx.store.delete_port(&port.id).await?;
        }
    }
    Ok(())
}
