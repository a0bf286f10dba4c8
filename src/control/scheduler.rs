//! Placement: the first host with room for the flavor, shared hosts for
//! ordinary servers, the named dedicated host (DeH) for dedicated ones.

use std::collections::HashMap;

use crate::domain::Inventory;
use crate::domain::{Flavor, HostKind, Server};

/// vCPUs and RAM in use per host, counting resize sources too.
fn usage(inventory: &dyn Inventory, live: &[Server], except: &str) -> HashMap<String, (i64, i64)> {
    let mut used: HashMap<String, (i64, i64)> = HashMap::new();
    let mut add = |host: &Option<String>, flavor_id: &str| {
        if let (Some(h), Some(f)) = (host, inventory.flavor(flavor_id)) {
            let e = used.entry(h.clone()).or_default();
            e.0 += f.vcpus;
            e.1 += f.ram_mb;
        }
    };
    for s in live.iter().filter(|s| s.id != except) {
        add(&s.host, &s.flavor_id);
        if let Some(old) = &s.old_flavor_id {
            add(&s.source_host, old);
        }
    }
    used
}

/// Picks a host for `server_id` with `flavor`. `dedicated` names the DeH to
/// use; `avoid` is a host that must not be chosen (cold migration);
/// `prefer` is tried first (resizing in place).
pub fn place(
    inventory: &dyn Inventory,
    live: &[Server],
    server_id: &str,
    flavor: &Flavor,
    dedicated: Option<&str>,
    avoid: Option<&str>,
    prefer: Option<&str>,
) -> Result<String, String> {
    let used = usage(inventory, live, server_id);
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
