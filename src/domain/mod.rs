//! Domain types shared by every layer: servers and their states, jobs,
//! flavors, images and the inventory that offers them, subnet address
//! ranges, the region's fixed names, identity and audit records, the
//! caller, and the one error type.

pub mod audit;
pub mod error;
pub mod identity;
pub mod inventory;
pub mod job;
pub mod network;
pub mod quota;
pub mod region;
pub mod resources;
pub mod server;
pub mod vpc;

pub use audit::*;
pub use error::{ControlError, ControlResult};
pub use identity::*;
pub use inventory::{Inventory, StaticInventory};
pub use job::*;
pub use network::{AddressRange, DEFAULT_SUBNET_RANGE};
pub use region::*;
pub use resources::*;
pub use server::*;
pub use vpc::{AllocationPool, Bandwidth, FloatingIp, Network, Removal, SecurityGroup, SecurityGroupRule, Subnet, Vpc};

/// A fresh 32-hex id, the shape Huawei uses for projects, users and jobs.
pub fn hex_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A fresh 32-hex id that sorts by creation time (UUIDv7), for job ids:
/// new jobs land on the last pages of the store's index instead of a
/// random one each.
pub fn ordered_hex_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// A fresh UUID string, the shape of server, volume and port ids.
pub fn uuid_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// True when `s` is a canonical UUID (with dashes, any case).
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::parse_str(s).is_ok()
}
