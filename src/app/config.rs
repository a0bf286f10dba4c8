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
}

impl FileConfig {
    pub fn load(path: &Path) -> anyhow::Result<FileConfig> {
        let text =
            std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("reading config {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("parsing config {}: {e}", path.display()))
    }

    /// The inventory to serve: the seeded one, with the lists given here
    /// replacing their seeded counterparts.
    pub fn inventory(&self) -> StaticInventory {
        StaticInventory::with_overrides(self.flavors.clone(), self.images.clone(), self.hosts.clone())
    }
}
