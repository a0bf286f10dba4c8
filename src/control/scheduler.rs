//! Placement: the first host with room for the flavor, shared hosts for
//! ordinary servers, the named dedicated host (DeH) for dedicated ones.

use std::collections::HashMap;

use crate::domain::Inventory;
use crate::domain::{Flavor, HostKind, Server};

/// vCPUs and RAM in use per host, from the store's count of live servers
/// per host and flavor (resize sources included), leaving out what `own`
/// itself takes: a server being placed again does not compete with itself.
pub fn usage(inventory: &dyn Inventory, counts: &[(String, String, i64)], own: &Server) -> HashMap<String, (i64, i64)> {
    let mut used: HashMap<String, (i64, i64)> = HashMap::new();
    let mut add = |host: &str, flavor_id: &str, n: i64| {
        if let Some(f) = inventory.flavor(flavor_id) {
            let e = used.entry(host.to_string()).or_default();
            e.0 += n * f.vcpus;
            e.1 += n * f.ram_mb;
        }
    };
    for (host, flavor_id, n) in counts {
        add(host, flavor_id, *n);
    }
    if let Some(h) = &own.host {
        add(h, &own.flavor_id, -1);
    }
    if let (Some(h), Some(old)) = (&own.source_host, &own.old_flavor_id) {
        add(h, old, -1);
    }
    used
}

/// Picks a host with room for `flavor`, given what is `used` per host.
/// `dedicated` names the DeH to use; `avoid` is a host that must not be
/// chosen (cold migration); `prefer` is tried first (resizing in place).
pub fn place(
    inventory: &dyn Inventory,
    used: &HashMap<String, (i64, i64)>,
    flavor: &Flavor,
    dedicated: Option<&str>,
    avoid: Option<&str>,
    prefer: Option<&str>,
) -> Result<String, String> {
    let fits = |h: &crate::domain::Host| {
        let (cpu, ram) = used.get(&h.id).copied().unwrap_or_default();
        cpu + flavor.vcpus <= h.vcpus && ram + flavor.ram_mb <= h.ram_mb
    };
    let candidates: Vec<&crate::domain::Host> = inventory
        .hosts()
        .iter()
        .filter(|h| match dedicated {
            Some(d) => h.kind == HostKind::Dedicated && h.id == d,
            None => h.kind == HostKind::Shared,
        })
        .filter(|h| Some(h.id.as_str()) != avoid)
        .collect();
    if let Some(p) = prefer {
        if let Some(h) = candidates.iter().find(|h| h.id == p && fits(h)) {
            return Ok(h.id.clone());
        }
    }
    // Spread: the candidate with the most free vCPUs.
    candidates
        .iter()
        .filter(|h| fits(h))
        .max_by_key(|h| h.vcpus - used.get(&h.id).map(|u| u.0).unwrap_or(0))
        .map(|h| h.id.clone())
        .ok_or_else(|| {
            format!(
                "No valid host was found. There are not enough hosts available for flavor {}.",
                flavor.id
            )
        })
}
