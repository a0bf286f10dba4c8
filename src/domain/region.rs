//! The one region ecsd serves: its name, zone, the account created on first
//! start, and the network a server joins by default.

/// The region, its project and availability zone created on first start.
pub const REGION: &str = "local-1";
pub const AVAILABILITY_ZONE: &str = "local-1a";
pub const ACCOUNT_NAME: &str = "ecsd";
pub const ADMIN_NAME: &str = "admin";

/// The default VPC, made on first start and shared by every project.
pub const DEFAULT_VPC_ID: &str = "5b4f2a3c-7d1e-4f60-8a9b-0c1d2e3f4a50";
pub const DEFAULT_VPC_CIDR: &str = "10.0.0.0/8";
/// The default subnet as Huawei names it, which is also its Neutron
/// network's id: what a native create with `networks: auto` joins.
pub const DEFAULT_SUBNET_ID: &str = "5b4f2a3c-7d1e-4f60-8a9b-0c1d2e3f4a51";
/// The default network's Neutron subnet, whose pool hands out addresses.
pub const DEFAULT_NEUTRON_SUBNET_ID: &str = "5b4f2a3c-7d1e-4f60-8a9b-0c1d2e3f4a52";
/// The default network's name, as Neutron and Nova's `addresses` show it.
pub const DEFAULT_NETWORK_NAME: &str = "private";
/// The external network floating IPs come from, and its one subnet.
pub const EXTERNAL_NETWORK_ID: &str = "5b4f2a3c-7d1e-4f60-8a9b-0c1d2e3f4a53";
pub const EXTERNAL_SUBNET_ID: &str = "5b4f2a3c-7d1e-4f60-8a9b-0c1d2e3f4a54";
pub const EXTERNAL_NETWORK_NAME: &str = "public";
/// 172.24.4.0/24, as DevStack's public network: 252 floating IPs.
pub const EXTERNAL_CIDR: &str = "172.24.4.0/24";
