//! The one region ecsd serves: its name, zone, the account created on first
//! start, and the network a server joins by default.

/// The region, its project and availability zone created on first start.
pub const REGION: &str = "local-1";
pub const AVAILABILITY_ZONE: &str = "local-1a";
pub const ACCOUNT_NAME: &str = "ecsd";
pub const ADMIN_NAME: &str = "admin";

/// The network a native create with `networks: auto` joins.
pub const DEFAULT_VPC_ID: &str = "5b4f2a3c-7d1e-4f60-8a9b-0c1d2e3f4a50";
pub const DEFAULT_SUBNET_ID: &str = "5b4f2a3c-7d1e-4f60-8a9b-0c1d2e3f4a51";
