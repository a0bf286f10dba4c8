//! Configuration: command-line flags and `ECSD_*` variables for the basics,
//! an optional TOML file for the rest (seeded flavors, images, hosts, faults).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::{Flavor, Host, HostKind, Image};
use crate::driver::sim::FaultRule;

/// The region, its project and availability zone created on first start.
pub const REGION: &str = "local-1";
pub const AVAILABILITY_ZONE: &str = "local-1a";
pub const ACCOUNT_NAME: &str = "ecsd";
pub const ADMIN_NAME: &str = "admin";

/// Settings read from the TOML file given with `--config`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub data: Option<PathBuf>,
    pub sim_step_ms: Option<u64>,
    /// Replaces the seeded flavor catalog when present.
    pub flavors: Option<Vec<Flavor>>,
    /// Replaces the seeded image catalog when present.
    pub images: Option<Vec<Image>>,
    /// Replaces the seeded hosts when present.
    pub hosts: Option<Vec<Host>>,
    /// Failures the simulated driver injects from the start.
    #[serde(default)]
    pub faults: Vec<FaultRule>,
    /// Largest accepted request body in bytes.
    pub max_body_bytes: Option<usize>,
}

impl FileConfig {
    pub fn load(path: &Path) -> anyhow::Result<FileConfig> {
        let text =
            std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("reading config {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("parsing config {}: {e}", path.display()))
    }
}

/// The fixed inventory a region offers: flavors, images and hosts.
#[derive(Debug, Clone)]
pub struct Inventory {
    pub flavors: Vec<Flavor>,
    pub images: Vec<Image>,
    pub hosts: Vec<Host>,
}

impl Inventory {
    pub fn from_config(cfg: &FileConfig) -> Inventory {
        Inventory {
            flavors: cfg.flavors.clone().unwrap_or_else(default_flavors),
            images: cfg.images.clone().unwrap_or_else(default_images),
            hosts: cfg.hosts.clone().unwrap_or_else(default_hosts),
        }
    }

    pub fn flavor(&self, id: &str) -> Option<&Flavor> {
        self.flavors.iter().find(|f| f.id == id)
    }

    pub fn image(&self, id: &str) -> Option<&Image> {
        self.images.iter().find(|i| i.id == id)
    }

    pub fn host(&self, id_or_name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.id == id_or_name || h.name == id_or_name)
    }

    pub fn dedicated_host(&self, id: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.kind == HostKind::Dedicated && h.id == id)
    }
}

fn flavor(id: &str, vcpus: i64, ram_mb: i64, perf: &str) -> Flavor {
    Flavor {
        id: id.into(),
        name: id.into(),
        vcpus,
        ram_mb,
        disk_gb: 0,
        arch: "x86_64".into(),
        performance_type: perf.into(),
        sale_status: "normal".into(),
        disabled: false,
    }
}

/// A realistic catalog of Huawei-style flavors in several families.
pub fn default_flavors() -> Vec<Flavor> {
    let mut out = vec![
        flavor("s3.small.1", 1, 1024, "normal"),
        flavor("s3.medium.2", 1, 2048, "normal"),
        flavor("s6.small.1", 1, 1024, "normal"),
        flavor("s6.medium.2", 1, 2048, "normal"),
        flavor("s6.large.2", 2, 4096, "normal"),
        flavor("s6.xlarge.2", 4, 8192, "normal"),
        flavor("s6.2xlarge.2", 8, 16384, "normal"),
        flavor("c6.large.2", 2, 4096, "computingv3"),
        flavor("c6.xlarge.2", 4, 8192, "computingv3"),
        flavor("c6.2xlarge.2", 8, 16384, "computingv3"),
        flavor("m6.large.8", 2, 16384, "highmem"),
    ];
    let mut sold_out = flavor("s6.4xlarge.2", 16, 32768, "normal");
    sold_out.sale_status = "sellout".into();
    out.push(sold_out);
    let mut arm = flavor("kc1.large.2", 2, 4096, "kunpeng_computing");
    arm.arch = "arm64".into();
    out.push(arm);
    out
}

fn image(id: &str, name: &str, os_type: &str, os_version: &str, min_disk: i64, min_ram: i64) -> Image {
    Image {
        id: id.into(),
        name: name.into(),
        os_type: os_type.into(),
        os_version: os_version.into(),
        os_bit: "64".into(),
        min_disk_gb: min_disk,
        min_ram_mb: min_ram,
        arch: "x86_64".into(),
        status: "active".into(),
        visibility: "public".into(),
        size_bytes: 2_361_393_152,
    }
}

/// Public images with ids fixed so scripts can name them.
pub fn default_images() -> Vec<Image> {
    vec![
        image(
            "e215580f-73ad-429d-b6f2-5433947433b0",
            "EulerOS 2.5 64bit",
            "Linux",
            "EulerOS 2.5 64bit",
            10,
            0,
        ),
        image(
            "6c3e5a0b-1f4d-4c6e-9a51-2f0d3b7c9e01",
            "Ubuntu 22.04 server 64bit",
            "Linux",
            "Ubuntu 22.04 server 64bit",
            10,
            0,
        ),
        image(
            "9b2f5d4e-7c1a-4e8b-b3f6-0a1c2d3e4f02",
            "CentOS 7.9 64bit",
            "Linux",
            "CentOS 7.9 64bit",
            10,
            0,
        ),
        image(
            "3a7d9c1e-5b2f-4d6a-8e0c-1f2a3b4c5d03",
            "Windows Server 2019 Datacenter 64bit",
            "Windows",
            "Windows Server 2019 Datacenter 64bit",
            40,
            2048,
        ),
    ]
}

/// Three shared hosts and one dedicated host (DeH) in the zone.
pub fn default_hosts() -> Vec<Host> {
    let shared = |n: u32| Host {
        id: format!("{AVAILABILITY_ZONE}-host-{n:02}"),
        name: format!("{AVAILABILITY_ZONE}-host-{n:02}"),
        availability_zone: AVAILABILITY_ZONE.into(),
        kind: HostKind::Shared,
        vcpus: 64,
        ram_mb: 262_144,
    };
    vec![
        shared(1),
        shared(2),
        shared(3),
        Host {
            id: "459a2b9d-804a-4745-ab19-a113bb1b4ddc".into(),
            name: "deh-s6-01".into(),
            availability_zone: AVAILABILITY_ZONE.into(),
            kind: HostKind::Dedicated,
            vcpus: 32,
            ram_mb: 131_072,
        },
    ]
}

/// The network a native create with `networks: auto` joins.
pub const DEFAULT_VPC_ID: &str = "5b4f2a3c-7d1e-4f60-8a9b-0c1d2e3f4a50";
pub const DEFAULT_SUBNET_ID: &str = "5b4f2a3c-7d1e-4f60-8a9b-0c1d2e3f4a51";
