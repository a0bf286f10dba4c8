//! The fixed inventory a region offers: flavors, images, hosts and subnet
//! address ranges, behind a trait so that the control plane does not care
//! where they come from.

use super::region::AVAILABILITY_ZONE;
use super::resources::{Flavor, Host, HostKind, Image};

/// What the region offers and the lookups the control plane makes on it.
pub trait Inventory: Send + Sync {
    fn flavors(&self) -> &[Flavor];
    fn images(&self) -> &[Image];
    fn hosts(&self) -> &[Host];

    fn flavor(&self, id: &str) -> Option<&Flavor> {
        self.flavors().iter().find(|f| f.id == id)
    }

    fn image(&self, id: &str) -> Option<&Image> {
        self.images().iter().find(|i| i.id == id)
    }

    fn host(&self, id_or_name: &str) -> Option<&Host> {
        self.hosts().iter().find(|h| h.id == id_or_name || h.name == id_or_name)
    }

    fn dedicated_host(&self, id: &str) -> Option<&Host> {
        self.hosts()
            .iter()
            .find(|h| h.kind == HostKind::Dedicated && h.id == id)
    }
}

/// An inventory fixed at start: the seeded catalog, or lists that replace it.
#[derive(Debug, Clone)]
pub struct StaticInventory {
    pub flavors: Vec<Flavor>,
    pub images: Vec<Image>,
    pub hosts: Vec<Host>,
}

impl StaticInventory {
    /// Each list given replaces the seeded one; the others stay seeded.
    pub fn with_overrides(
        flavors: Option<Vec<Flavor>>,
        images: Option<Vec<Image>>,
        hosts: Option<Vec<Host>>,
    ) -> StaticInventory {
        StaticInventory {
            flavors: flavors.unwrap_or_else(default_flavors),
            images: images.unwrap_or_else(default_images),
            hosts: hosts.unwrap_or_else(default_hosts),
        }
    }
}

impl Inventory for StaticInventory {
    fn flavors(&self) -> &[Flavor] {
        &self.flavors
    }

    fn images(&self) -> &[Image] {
        &self.images
    }

    fn hosts(&self) -> &[Host] {
        &self.hosts
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
        disk_format: Some("qcow2".into()),
        container_format: Some("bare".into()),
        protected: true,
        ..Image::default()
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
