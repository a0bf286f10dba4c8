//! The application layer every API dialect calls: load the server within
//! the caller's project, authorize against the catalog row, admit, then
//! claim the server and enqueue its job in one transaction.

mod act;
mod attachments;
mod create;
mod floating_ips;
mod hw_subnets;
mod images;
mod interfaces;
mod keypairs;
mod networks;
mod ports;
mod quotas;
mod reads;
mod security_groups;
mod server_record;
mod volumes;

use std::sync::Arc;

use super::authz::Authorizer;
use super::jobs::Engine;
use crate::catalog::{self, OpId, Operation};
use crate::domain::Inventory;
use crate::domain::{Caller, ControlError, ControlResult, Port, Server, VmState, Volume};
use crate::store::Store;

pub use act::{Accepted, MAX_BATCH};
pub use attachments::{volume_not_found, AttachSpec, AttachmentDone, VOLUME_NOT_FOUND};
pub use create::{CreateSpec, NicSpec, VolumeSpec, MAX_CREATE_COUNT};
pub use floating_ips::NewFloatingIp;
pub use hw_subnets::{HwSubnet, NewHwSubnet};
pub use images::{
    image_not_found, ImagePatch, NewImage, ServerImage, CONTAINER_FORMATS, DISK_FORMATS, IMAGE_NOT_FOUND,
};
pub use interfaces::{InterfaceSpec, JobOrigin, MAX_INTERFACES};
pub use keypairs::{MadeKeyPair, NewKeyPair, MAX_KEYPAIRS};
pub use networks::{NetworkChange, NewNetwork, NewSubnet, NewVpc, SubnetChange, VpcChange, MAX_PER_PROJECT};
pub use ports::NewPortSpec;
pub use quotas::{quota_locks, QuotaLocks, QUOTA_LOCKS};
pub use security_groups::{NewRule, DEFAULT_GROUP};
pub use server_record::{MetadataChange, RecordChange, MAX_METADATA_ITEMS};
pub use volumes::{NewVolume, VolumesMade, MAX_VOLUME_COUNT, MAX_VOLUME_GB, VOLUME_TYPES};

pub struct Service {
    pub store: Arc<dyn Store>,
    pub engine: Arc<Engine>,
    pub inventory: Arc<dyn Inventory>,
    pub authorizer: Arc<dyn Authorizer>,
    /// What the compute driver can do; operations it cannot are refused up front.
    pub capabilities: crate::driver::Capabilities,
    /// Fault injection, where the driver takes it (the simulated one).
    pub faults: Option<Arc<dyn crate::driver::faults::FaultInjection>>,
    /// The region's default quotas (the configuration's, over OpenStack's).
    pub quota_defaults: crate::domain::quota::QuotaSet,
    /// Held by a quota check and the write it guards.
    pub quota_locks: QuotaLocks,
}

impl Service {
    /// The driver's fault injection, if it has one.
    pub fn faults(&self) -> Option<&dyn crate::driver::faults::FaultInjection> {
        self.faults.as_deref()
    }

    pub(super) fn row(&self, id: OpId) -> &'static Operation {
        catalog::op(id)
    }

    /// The server as the caller may see it: another project's server, a
    /// deleted one or a malformed id are all simply not found.
    pub async fn server_for(&self, caller: &Caller, id: &str) -> ControlResult<Server> {
        well_formed(id)?;
        visible(caller, id, self.store.get_server(id).await?)
    }

    /// A server visible to the caller with its volumes and ports, after the
    /// read is authorized: one trip to the store for a show.
    pub async fn read_server_view(
        &self,
        caller: &Caller,
        op: OpId,
        id: &str,
    ) -> ControlResult<(Server, Vec<Volume>, Vec<Port>)> {
        well_formed(id)?;
        let (found, (volumes, ports)) = match self.store.server_with_attachments(id).await? {
            Some((s, volumes, ports)) => (Some(s), (volumes, ports)),
            None => (None, Default::default()),
        };
        let server = visible(caller, id, found)?;
        self.authorize(caller, op, Some(&server)).await?;
        Ok((server, volumes, ports))
    }

    /// Authorization for a read, after the lookup (so foreign is 404 first).
    /// A row for the account administrator needs no action but the role.
    pub async fn authorize(&self, caller: &Caller, op: OpId, server: Option<&Server>) -> ControlResult<()> {
        let row = self.row(op);
        if row.access == catalog::Access::Administrator && !caller.is_admin {
            return Err(ControlError::Forbidden {
                missing: vec![format!("{} (the account administrator's)", row.name())],
            });
        }
        self.authorizer.authorize(caller, row, server).await
    }
}

/// A malformed server id is simply not found.
fn well_formed(id: &str) -> ControlResult<()> {
    if crate::domain::is_uuid(id) {
        Ok(())
    } else {
        Err(ControlError::ServerNotFound { id: id.to_string() })
    }
}

/// `found` if the caller may see it: another project's or a deleted server
/// is not found, never forbidden.
fn visible(caller: &Caller, id: &str, found: Option<Server>) -> ControlResult<Server> {
    match found {
        Some(s) if s.project_id == caller.project_id && s.vm_state != VmState::Deleted => Ok(s),
        _ => Err(ControlError::ServerNotFound { id: id.to_string() }),
    }
}
