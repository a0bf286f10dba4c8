//! Configuration: command-line flags and `ECSD_*` variables for the basics,
//! an optional TOML file for the rest (seeded flavors, images, hosts, faults).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::{Flavor, Host, Image, StaticInventory};
use crate::driver::faults::FaultRule;

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
    /// Default quotas per project by Nova's and Cinder's names (`instances`,
    /// `cores`, `ram`, `volumes`, `gigabytes`, `networks`, `subnets`,
    /// `ports`, `security_groups`, `security_group_rules`, `floating_ips`);
    /// `-1` is unlimited. Unnamed ones keep OpenStack's defaults.
    #[serde(default)]
    pub quotas: std::collections::BTreeMap<String, i64>,
    /// The block of the shared default subnet `private`, made at the first
    /// start (later starts keep the one they find): within the default VPC
    /// (10.0.0.0/8), /8 to /28. Default 10.0.0.0/12, room for 1,048,573 servers.
    pub default_subnet: Option<String>,
}

impl FileConfig {
    pub fn load(path: &Path) -> anyhow::Result<FileConfig> {
        let text =
            std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("reading config {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("parsing config {}: {e}", path.display()))
    }

    /// The default quotas the file sets; an unknown name or a limit below
    /// -1 is an error.
    pub fn quota_defaults(&self) -> anyhow::Result<crate::domain::quota::QuotaSet> {
        let mut out = crate::domain::quota::QuotaSet::new();
        for (key, limit) in &self.quotas {
            let r = crate::domain::quota::Resource::parse(key)
                .ok_or_else(|| anyhow::anyhow!("unknown quota {key} in [quotas]"))?;
            if *limit < -1 {
                anyhow::bail!("quota {key} = {limit}: use -1 (unlimited) or more");
            }
            out.insert(r, *limit);
        }
        Ok(out)
    }

    /// The default subnet's block, checked.
    pub fn default_subnet(&self) -> anyhow::Result<crate::domain::AddressRange> {
        use crate::domain::{AddressRange, DEFAULT_SUBNET_RANGE, DEFAULT_VPC_CIDR};
        let Some(cidr) = &self.default_subnet else {
            return Ok(DEFAULT_SUBNET_RANGE);
        };
        let block = AddressRange::parse(cidr).ok_or_else(|| anyhow::anyhow!("default_subnet {cidr} is not a CIDR"))?;
        let vpc = AddressRange::parse(DEFAULT_VPC_CIDR).ok_or_else(|| anyhow::anyhow!("the default VPC's block"))?;
        if !vpc.contains(&block) || !(8..=28).contains(&block.prefix()) {
            anyhow::bail!("default_subnet {cidr} must lie within {DEFAULT_VPC_CIDR} with a prefix of /8 to /28");
        }
        Ok(block)
    }

    /// The inventory to serve: the seeded one, with the lists given here
    /// replacing their seeded counterparts.
    pub fn inventory(&self) -> StaticInventory {
        StaticInventory::with_overrides(self.flavors.clone(), self.images.clone(), self.hosts.clone())
    }
}
