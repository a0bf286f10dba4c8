//! Port addresses, assigned and released inside the caller's transaction.
//!
//! Each subnet has a pool row (its block and the next offset never handed
//! out) and a set of released offsets. A port gets the smallest released
//! offset, else the next one. Whether an address is taken is always asked of
//! `ports(subnet_id, ip)` itself, so ports written before pools existed and
//! addresses requested by name are skipped, never handed out twice. Every
//! statement here is a keyed seek: the cost does not grow with the number
//! of ports in the subnet.

use std::net::Ipv4Addr;

use rusqlite::{params, Connection, OptionalExtension};

use super::DbResult;
use crate::domain::network::{address_in_use, subnet_exhausted};
use crate::domain::{AddressRange, Port};
use crate::store::NewPort;

const POOL: &str = "SELECT network, prefix, next_offset FROM address_pools WHERE subnet_id = ?1";
const PUT_POOL: &str = "INSERT INTO address_pools (subnet_id, network, prefix, next_offset) VALUES (?1, ?2, ?3, ?4)
     ON CONFLICT(subnet_id) DO UPDATE SET network = excluded.network, prefix = excluded.prefix,
     next_offset = excluded.next_offset";
const SET_NEXT: &str = "UPDATE address_pools SET next_offset = ?2 WHERE subnet_id = ?1";
const FIRST_RELEASED: &str =
    "SELECT host_offset FROM address_released WHERE subnet_id = ?1 ORDER BY host_offset LIMIT 1";
const DELETE_RELEASED: &str = "DELETE FROM address_released WHERE subnet_id = ?1 AND host_offset = ?2";
const RELEASE: &str = "INSERT OR IGNORE INTO address_released (subnet_id, host_offset) VALUES (?1, ?2)";
const TAKEN: &str = "SELECT 1 FROM ports WHERE subnet_id = ?1 AND ip = ?2 LIMIT 1";
const DELETE_PORT: &str = "DELETE FROM ports WHERE id = ?1 RETURNING subnet_id, ip";

/// The port with its address: the requested one if free, else a free host
/// of its block. The caller writes the port in the same transaction before
/// assigning the next one.
pub(super) fn assign(c: &Connection, new: &NewPort) -> DbResult<Port> {
    let subnet = new.port.subnet_id.as_str();
    let next = pool(c, subnet, &new.range)?;
    let addr = match new.requested {
        Some(addr) => {
            if taken(c, subnet, addr)? {
                return Err(address_in_use(&addr.to_string()).into());
            }
            if let Some(off) = new.range.offset(addr) {
                c.prepare_cached(DELETE_RELEASED)?.execute(params![subnet, off])?;
            }
            addr
        }
        None => free_address(c, subnet, &new.range, new.pool, next)?,
    };
    Ok(Port {
        ip_address: addr.to_string(),
        ..new.port.clone()
    })
}

/// Deletes a port and releases its address into its subnet's pool.
pub(super) fn delete_port(c: &Connection, id: &str) -> DbResult<()> {
    let gone: Option<(String, String)> = c
        .prepare_cached(DELETE_PORT)?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((subnet, ip)) = gone else { return Ok(()) };
    let Ok(addr) = ip.parse::<Ipv4Addr>() else {
        return Ok(());
    };
    // Without a pool nothing was handed out yet: the counter will reach it.
    let Some((range, next)) = stored_pool(c, &subnet)? else {
        return Ok(());
    };
    // An offset at or past the counter is handed out by the counter itself.
    if let Some(off) = range.offset(addr).filter(|off| *off < next) {
        c.prepare_cached(RELEASE)?.execute(params![subnet, off])?;
    }
    Ok(())
}

/// The subnet's block and next offset as stored, if it has a pool.
fn stored_pool(c: &Connection, subnet: &str) -> DbResult<Option<(AddressRange, u32)>> {
    let row: Option<(u32, u8, u32)> = c
        .prepare_cached(POOL)?
        .query_row([subnet], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    Ok(row.and_then(|(network, prefix, next)| Some((AddressRange::new(Ipv4Addr::from(network), prefix)?, next))))
}

/// The subnet's next offset, creating its pool on first use. A block that
/// changed (the subnet was redefined) starts counting again from its first
/// host; the taken check keeps the addresses already held.
fn pool(c: &Connection, subnet: &str, range: &AddressRange) -> DbResult<u32> {
    match stored_pool(c, subnet)? {
        Some((stored, next)) if stored == *range => Ok(next),
        _ => {
            c.prepare_cached(PUT_POOL)?
                .execute(params![subnet, u32::from(range.network()), range.prefix(), 0])?;
            Ok(0)
        }
    }
}

fn taken(c: &Connection, subnet: &str, addr: Ipv4Addr) -> DbResult<bool> {
    Ok(c.prepare_cached(TAKEN)?
        .query_row(params![subnet, addr.to_string()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The smallest released offset, else the counter's, skipping addresses
/// that ports already hold and those outside the allocation pool. Each
/// skipped candidate is dropped for good (a released row deleted, the
/// counter moved past it), so skipping costs nothing over a subnet's life
/// beyond one seek per port.
fn free_address(
    c: &Connection,
    subnet: &str,
    range: &AddressRange,
    pool: Option<(u32, u32)>,
    mut next: u32,
) -> DbResult<Ipv4Addr> {
    let (first, last) = pool.unwrap_or((0, range.capacity().saturating_sub(1)));
    let in_pool = |off: u32| (first..=last).contains(&off);
    next = next.max(first);
    loop {
        let released: Option<u32> = c
            .prepare_cached(FIRST_RELEASED)?
            .query_row([subnet], |r| r.get(0))
            .optional()?;
        let Some(off) = released else { break };
        c.prepare_cached(DELETE_RELEASED)?.execute(params![subnet, off])?;
        if let Some(addr) = range.address(off).filter(|_| in_pool(off)) {
            if !taken(c, subnet, addr)? {
                return Ok(addr);
            }
        }
    }
    while let Some(addr) = range.address(next).filter(|_| in_pool(next)) {
        next += 1;
        if !taken(c, subnet, addr)? {
            c.prepare_cached(SET_NEXT)?.execute(params![subnet, next])?;
            return Ok(addr);
        }
    }
    Err(subnet_exhausted(subnet).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every statement of this file is a keyed search, never a scan.
    #[test]
    fn every_statement_is_an_index_seek() {
        for sql in [
            POOL,
            PUT_POOL,
            SET_NEXT,
            FIRST_RELEASED,
            DELETE_RELEASED,
            RELEASE,
            TAKEN,
            DELETE_PORT,
        ] {
            let plan = super::super::query_plan(sql);
            for step in &plan {
                assert!(
                    step.starts_with("SEARCH") && !step.contains("TEMP B-TREE"),
                    "{sql}: {plan:?}"
                );
            }
        }
    }
}
