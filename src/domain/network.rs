//! Subnet address ranges: an IPv4 CIDR and its usable hosts numbered by
//! offset.

use std::fmt;
use std::net::Ipv4Addr;

use super::error::ControlError;

/// An IPv4 CIDR block whose hosts are numbered 0.. from the first usable
/// one. The network address, the gateway (the block's `.1`) and the
/// broadcast address are never handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressRange {
    network: Ipv4Addr,
    prefix: u8,
}

/// Addresses of a block that are never a host's: network, gateway, broadcast.
const RESERVED: u32 = 3;

impl AddressRange {
    /// A block from its network address and prefix length; `None` unless
    /// the host bits are zero and at least one host fits (prefix 1 to 30).
    pub fn new(network: Ipv4Addr, prefix: u8) -> Option<AddressRange> {
        if !(1..=30).contains(&prefix) {
            return None;
        }
        let mask = u32::MAX << (32 - prefix);
        (u32::from(network) & !mask == 0).then_some(AddressRange { network, prefix })
    }

    /// Parses `a.b.c.d/n`.
    pub fn parse(cidr: &str) -> Option<AddressRange> {
        let (addr, prefix) = cidr.split_once('/')?;
        AddressRange::new(addr.parse().ok()?, prefix.parse().ok()?)
    }

    pub fn network(&self) -> Ipv4Addr {
        self.network
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Every address of the block, the reserved ones included.
    fn size(&self) -> u32 {
        1 << (32 - self.prefix)
    }

    fn base(&self) -> u32 {
        u32::from(self.network)
    }

    pub fn gateway(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.base() + 1)
    }

    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.base() + (self.size() - 1))
    }

    pub fn first_host(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.base() + 2)
    }

    pub fn last_host(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.base() + (self.size() - 2))
    }

    /// How many hosts the block holds.
    pub fn capacity(&self) -> u32 {
        self.size() - RESERVED
    }

    /// The host at `offset` (0 is the first host), if the block holds it.
    pub fn address(&self, offset: u32) -> Option<Ipv4Addr> {
        (offset < self.capacity()).then(|| Ipv4Addr::from(self.base() + 2 + offset))
    }

    /// Whether every address of `inner` is in this block.
    pub fn contains(&self, inner: &AddressRange) -> bool {
        inner.prefix >= self.prefix && u32::from(inner.network) & (u32::MAX << (32 - self.prefix)) == self.base()
    }

    /// Whether the address is in the block at all (reserved ones included).
    pub fn holds(&self, addr: Ipv4Addr) -> bool {
        u32::from(addr).wrapping_sub(self.base()) < self.size()
    }

    /// The offset of a host address; `None` for addresses outside the
    /// block and for its reserved ones.
    pub fn offset(&self, addr: Ipv4Addr) -> Option<u32> {
        let off = u32::from(addr).checked_sub(self.base() + 2)?;
        (off < self.capacity()).then_some(off)
    }
}

impl fmt::Display for AddressRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The default subnet's block: 10.0.0.0/12, 1,048,573 hosts.
pub const DEFAULT_SUBNET_RANGE: AddressRange = AddressRange {
    network: Ipv4Addr::new(10, 0, 0, 0),
    prefix: 12,
};

/// A requested address another port holds (409).
pub fn address_in_use(addr: &str) -> ControlError {
    ControlError::Conflict {
        code: "Ecs.0005",
        message: format!("IP address {addr} is already in use."),
    }
}

/// No address of the subnet is free (409).
pub fn subnet_exhausted(subnet_id: &str) -> ControlError {
    ControlError::Capacity {
        message: format!("Subnet {subnet_id} has no free address."),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn a_slash_24_skips_network_gateway_and_broadcast() {
        let r = AddressRange::parse("192.168.7.0/24").unwrap();
        assert_eq!(r.gateway(), ip("192.168.7.1"));
        assert_eq!(r.first_host(), ip("192.168.7.2"));
        assert_eq!(r.last_host(), ip("192.168.7.254"));
        assert_eq!(r.broadcast(), ip("192.168.7.255"));
        assert_eq!(r.capacity(), 253);
        assert_eq!(r.to_string(), "192.168.7.0/24");
    }

    #[test]
    fn offsets_and_addresses_are_inverse() {
        let r = AddressRange::parse("10.0.0.0/12").unwrap();
        for off in [0, 1, 253, 254, 65_535, r.capacity() - 1] {
            let a = r.address(off).unwrap();
            assert_eq!(r.offset(a), Some(off));
        }
        assert_eq!(r.address(0), Some(ip("10.0.0.2")));
        assert_eq!(r.address(254), Some(ip("10.0.1.0")));
        assert_eq!(r.address(r.capacity() - 1), Some(ip("10.15.255.254")));
        assert_eq!(r.address(r.capacity()), None);
    }

    #[test]
    fn reserved_and_outside_addresses_have_no_offset() {
        let r = AddressRange::parse("10.0.0.0/29").unwrap();
        assert_eq!(r.capacity(), 5);
        for a in [
            "10.0.0.0",
            "10.0.0.1",
            "10.0.0.7",
            "10.0.0.8",
            "9.255.255.255",
            "192.168.0.2",
        ] {
            assert_eq!(r.offset(ip(a)), None, "{a}");
        }
        assert_eq!(r.offset(ip("10.0.0.2")), Some(0));
        assert_eq!(r.offset(ip("10.0.0.6")), Some(4));
    }

    #[test]
    fn blocks_must_be_aligned_and_hold_a_host() {
        assert!(AddressRange::parse("10.0.0.1/24").is_none());
        assert!(AddressRange::parse("10.0.0.0/31").is_none());
        assert!(AddressRange::parse("10.0.0.0/33").is_none());
        assert!(AddressRange::parse("0.0.0.0/0").is_none());
        assert!(AddressRange::parse("10.0.0/24").is_none());
        assert!(AddressRange::parse("10.0.0.0").is_none());
        assert_eq!(AddressRange::parse("10.0.0.0/30").unwrap().capacity(), 1);
    }

    #[test]
    fn the_default_subnet_holds_a_million_servers() {
        let r = DEFAULT_SUBNET_RANGE;
        assert_eq!(AddressRange::new(r.network(), r.prefix()), Some(r));
        assert!(r.capacity() >= 1_000_000);
    }
}
