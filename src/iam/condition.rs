//! Condition operators: their names, the values each accepts, and how a
//! compiled condition is evaluated against a [`Context`].
//!
//! Semantics (the spec's, completed the way AWS IAM does where it is silent):
//! - Values under one key are OR-ed: a positive operator holds when a context
//!   value matches any policy value. A negated operator (`StringNotEquals`,
//!   `NumberNotEquals`, `NotIpAddress`, ...) is the exact negation of its
//!   positive twin: it holds when no context value matches any policy value.
//! - Absent keys (also: keys with no values): with `IfExists` the condition
//!   holds; otherwise positive operators fail and negated operators hold
//!   (nothing matched, so "not equal" is true), as in AWS.
//! - `ForAnyValue:` holds when at least one context value passes the
//!   operator's per-value test (absent key: false); `ForAllValues:` when every
//!   context value passes (absent key: true). For negated operators the
//!   per-value test is "matches none of the policy values".
//! - `Null` takes `true` (key must be absent) or `false` (key must be present)
//!   and accepts neither `IfExists` nor a set prefix.
//! - Context values that do not parse for a typed operator (a non-number for
//!   `NumberLessThan`, a malformed date or address) match no policy value.
//! - Dates are RFC 3339 (`2024-01-02T03:04:05Z`) and compare as instants;
//!   numbers are decimal and compare as `f64`; `Bool` values are `true` or
//!   `false`, case-insensitive; `IpAddress` values are addresses or CIDR
//!   blocks, IPv4 or IPv6 (IPv4-mapped IPv6 context addresses count as IPv4).

use std::fmt;
use std::net::IpAddr;

use chrono::DateTime;

use super::context::{normalize_key, Context};
use super::glob::Glob;

/// The comparison an operator makes, without its prefix or `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Test {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringMatch,
    StringNotMatch,
    StringStartWith,
    StringNotStartWith,
    StringEndWith,
    StringNotEndWith,
    NumberEquals,
    NumberNotEquals,
    NumberLessThan,
    NumberLessThanEquals,
    NumberGreaterThan,
    NumberGreaterThanEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    Null,
    IpAddress,
    NotIpAddress,
}

/// Every test with its policy name.
const TESTS: &[(Test, &str)] = &[
    (Test::StringEquals, "StringEquals"),
    (Test::StringNotEquals, "StringNotEquals"),
    (Test::StringEqualsIgnoreCase, "StringEqualsIgnoreCase"),
    (Test::StringNotEqualsIgnoreCase, "StringNotEqualsIgnoreCase"),
    (Test::StringMatch, "StringMatch"),
    (Test::StringNotMatch, "StringNotMatch"),
    (Test::StringStartWith, "StringStartWith"),
    (Test::StringNotStartWith, "StringNotStartWith"),
    (Test::StringEndWith, "StringEndWith"),
    (Test::StringNotEndWith, "StringNotEndWith"),
    (Test::NumberEquals, "NumberEquals"),
    (Test::NumberNotEquals, "NumberNotEquals"),
    (Test::NumberLessThan, "NumberLessThan"),
    (Test::NumberLessThanEquals, "NumberLessThanEquals"),
    (Test::NumberGreaterThan, "NumberGreaterThan"),
    (Test::NumberGreaterThanEquals, "NumberGreaterThanEquals"),
    (Test::DateLessThan, "DateLessThan"),
    (Test::DateLessThanEquals, "DateLessThanEquals"),
    (Test::DateGreaterThan, "DateGreaterThan"),
    (Test::DateGreaterThanEquals, "DateGreaterThanEquals"),
    (Test::Bool, "Bool"),
    (Test::Null, "Null"),
    (Test::IpAddress, "IpAddress"),
    (Test::NotIpAddress, "NotIpAddress"),
];

impl Test {
    pub fn name(self) -> &'static str {
        TESTS.iter().find(|(t, _)| *t == self).map_or("", |(_, n)| n)
    }

    pub fn all() -> impl Iterator<Item = Test> {
        TESTS.iter().map(|(t, _)| *t)
    }

    /// Negated tests hold when no policy value matches.
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            Test::StringNotEquals
                | Test::StringNotEqualsIgnoreCase
                | Test::StringNotMatch
                | Test::StringNotStartWith
                | Test::StringNotEndWith
                | Test::NumberNotEquals
                | Test::NotIpAddress
        )
    }

    /// Checks one policy value of this test; the message says what is expected.
    pub(crate) fn check_value(self, value: &str) -> Result<(), String> {
        match self {
            Test::NumberEquals
            | Test::NumberNotEquals
            | Test::NumberLessThan
            | Test::NumberLessThanEquals
            | Test::NumberGreaterThan
            | Test::NumberGreaterThanEquals => parse_number(value)
                .map(drop)
                .ok_or_else(|| format!("\"{value}\" is not a number")),
            Test::DateLessThan | Test::DateLessThanEquals | Test::DateGreaterThan | Test::DateGreaterThanEquals => {
                parse_date(value)
                    .map(drop)
                    .ok_or_else(|| format!("\"{value}\" is not an RFC 3339 date-time such as 2024-01-02T03:04:05Z"))
            }
            Test::Bool | Test::Null => parse_bool(value)
                .map(drop)
                .ok_or_else(|| format!("\"{value}\" is not true or false")),
            Test::IpAddress | Test::NotIpAddress => Cidr::parse(value)
                .map(drop)
                .ok_or_else(|| format!("\"{value}\" is not an IP address or CIDR block")),
            _ => Ok(()),
        }
    }
}

/// `ForAnyValue:` / `ForAllValues:` prefixes for multi-valued keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    ForAnyValue,
    ForAllValues,
}

/// A full operator name: `[ForAnyValue:|ForAllValues:]<Test>[IfExists]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operator {
    pub test: Test,
    pub qualifier: Option<SetQualifier>,
    pub if_exists: bool,
}

impl Operator {
    /// Parses an operator name; names are case-sensitive, as documented.
    pub fn parse(name: &str) -> Result<Operator, String> {
        let (qualifier, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), rest)
        } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), rest)
        } else {
            (None, name)
        };
        let lookup = |n: &str| TESTS.iter().find(|(_, tn)| *tn == n).map(|(t, _)| *t);
        let (test, if_exists) = match lookup(rest) {
            Some(t) => (t, false),
            None => match rest.strip_suffix("IfExists").and_then(lookup) {
                Some(t) => (t, true),
                None => return Err(format!("unknown condition operator \"{name}\"")),
            },
        };
        if test == Test::Null && (if_exists || qualifier.is_some()) {
            return Err(format!(
                "\"{name}\": Null takes neither IfExists nor a ForAnyValue/ForAllValues prefix"
            ));
        }
        Ok(Operator {
            test,
            qualifier,
            if_exists,
        })
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.qualifier {
            Some(SetQualifier::ForAnyValue) => f.write_str("ForAnyValue:")?,
            Some(SetQualifier::ForAllValues) => f.write_str("ForAllValues:")?,
            None => {}
        }
        f.write_str(self.test.name())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

/// Global condition keys ecsd fills. Matched case-insensitively.
pub const GLOBAL_KEYS: &[&str] = &[
    "g:CurrentTime",
    "g:DomainId",
    "g:DomainName",
    "g:MFAAge",
    "g:MFAPresent",
    "g:ProjectId",
    "g:ProjectName",
    "g:ServiceName",
    "g:SourceIp",
    "g:UserId",
    "g:UserName",
];

/// Global keys followed by a caller-chosen part: `g:ResourceTag/<tag key>`.
pub const GLOBAL_KEY_PREFIXES: &[&str] = &["g:ResourceTag/"];

/// Longest tag key accepted after `g:ResourceTag/` (Huawei's tag key limit).
const MAX_TAG_KEY_LEN: usize = 128;

/// Checks a condition key: a known global key, or a service key such as
/// `ecs:keyName` (`^[a-z]+:[A-Za-z0-9_/-]+$`).
pub(crate) fn check_key(key: &str) -> Result<(), String> {
    let has_prefix = |p: &str| key.len() >= p.len() && key.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes());
    if has_prefix("g:") {
        if GLOBAL_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            return Ok(());
        }
        for prefix in GLOBAL_KEY_PREFIXES {
            if has_prefix(prefix) {
                let tag = &key[prefix.len()..];
                if tag.is_empty() || tag.chars().count() > MAX_TAG_KEY_LEN || tag.chars().any(char::is_control) {
                    return Err(format!(
                        "\"{key}\" needs a tag key of 1 to {MAX_TAG_KEY_LEN} characters"
                    ));
                }
                return Ok(());
            }
        }
        return Err(format!(
            "unknown global condition key \"{key}\"; known: {}, g:ResourceTag/<key>",
            GLOBAL_KEYS.join(", ")
        ));
    }
    let service_key = key.split_once(':').is_some_and(|(service, name)| {
        !service.is_empty()
            && service.bytes().all(|b| b.is_ascii_lowercase())
            && !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'/' | b'-'))
    });
    if service_key {
        Ok(())
    } else {
        Err(format!(
            "invalid condition key \"{key}\": use a global key (g:...) or a service key such as ecs:keyName"
        ))
    }
}

/// A condition ready to evaluate: key normalized, values parsed.
#[derive(Debug, Clone)]
pub(crate) struct CompiledCondition {
    test: Test,
    qualifier: Option<SetQualifier>,
    if_exists: bool,
    key: Box<str>,
    values: Values,
}

#[derive(Debug, Clone)]
enum Values {
    Strings(Vec<Box<str>>),
    /// Lower-cased (Unicode) for the IgnoreCase tests.
    Folded(Vec<Box<str>>),
    Globs(Vec<Glob>),
    Numbers(Vec<f64>),
    Dates(Vec<Instant>),
    Bools(Vec<bool>),
    Cidrs(Vec<Cidr>),
}

/// Seconds and nanoseconds since the epoch; orders like the instant.
type Instant = (i64, u32);

impl CompiledCondition {
    /// Compiles a validated condition. Values that do not parse (impossible
    /// after validation) are dropped, so they can only make it fail.
    pub(crate) fn new(operator: Operator, key: &str, values: &[String]) -> CompiledCondition {
        let strings = || values.iter().map(|v| Box::<str>::from(v.as_str())).collect();
        let values = match operator.test {
            Test::StringEquals | Test::StringNotEquals => Values::Strings(strings()),
            Test::StringStartWith | Test::StringNotStartWith | Test::StringEndWith | Test::StringNotEndWith => {
                Values::Strings(strings())
            }
            Test::StringEqualsIgnoreCase | Test::StringNotEqualsIgnoreCase => {
                Values::Folded(values.iter().map(|v| v.to_lowercase().into()).collect())
            }
            Test::StringMatch | Test::StringNotMatch => {
                Values::Globs(values.iter().map(|v| Glob::new(v, false)).collect())
            }
            Test::NumberEquals
            | Test::NumberNotEquals
            | Test::NumberLessThan
            | Test::NumberLessThanEquals
            | Test::NumberGreaterThan
            | Test::NumberGreaterThanEquals => Values::Numbers(values.iter().filter_map(|v| parse_number(v)).collect()),
            Test::DateLessThan | Test::DateLessThanEquals | Test::DateGreaterThan | Test::DateGreaterThanEquals => {
                Values::Dates(values.iter().filter_map(|v| parse_date(v)).collect())
            }
            Test::Bool | Test::Null => Values::Bools(values.iter().filter_map(|v| parse_bool(v)).collect()),
            Test::IpAddress | Test::NotIpAddress => {
                Values::Cidrs(values.iter().filter_map(|v| Cidr::parse(v)).collect())
            }
        };
        CompiledCondition {
            test: operator.test,
            qualifier: operator.qualifier,
            if_exists: operator.if_exists,
            key: normalize_key(key).into(),
            values,
        }
    }

    pub(crate) fn eval(&self, ctx: &Context) -> bool {
        let present = ctx.get_normalized(&self.key);
        if self.test == Test::Null {
            let Values::Bools(wanted) = &self.values else {
                return false;
            };
            return wanted.iter().any(|&absent| absent == present.is_none());
        }
        let negated = self.test.is_negated();
        let Some(found) = present else {
            return self.if_exists
                || match self.qualifier {
                    Some(SetQualifier::ForAllValues) => true,
                    Some(SetQualifier::ForAnyValue) => false,
                    None => negated,
                };
        };
        // Per-value test: a positive test matches any policy value; a negated
        // one matches none of them (its positive twin fails).
        let passes = |v: &String| self.positive(v) != negated;
        match self.qualifier {
            Some(SetQualifier::ForAnyValue) => found.iter().any(passes),
            Some(SetQualifier::ForAllValues) => found.iter().all(passes),
            None if negated => found.iter().all(passes),
            None => found.iter().any(passes),
        }
    }

    /// Whether the context value matches any policy value under the
    /// positive form of the test.
    fn positive(&self, v: &str) -> bool {
        match &self.values {
            Values::Strings(ps) => match self.test {
                Test::StringStartWith | Test::StringNotStartWith => ps.iter().any(|p| v.starts_with(&**p)),
                Test::StringEndWith | Test::StringNotEndWith => ps.iter().any(|p| v.ends_with(&**p)),
                _ => ps.iter().any(|p| **p == *v),
            },
            Values::Folded(ps) => ps.iter().any(|p| eq_folded(p, v)),
            Values::Globs(ps) => ps.iter().any(|p| p.matches(v)),
            Values::Numbers(ps) => parse_number(v).is_some_and(|n| {
                ps.iter().any(|&p| match self.test {
                    Test::NumberLessThan => n < p,
                    Test::NumberLessThanEquals => n <= p,
                    Test::NumberGreaterThan => n > p,
                    Test::NumberGreaterThanEquals => n >= p,
                    _ => n == p,
                })
            }),
            Values::Dates(ps) => parse_date(v).is_some_and(|d| {
                ps.iter().any(|&p| match self.test {
                    Test::DateLessThan => d < p,
                    Test::DateLessThanEquals => d <= p,
                    Test::DateGreaterThan => d > p,
                    _ => d >= p,
                })
            }),
            Values::Bools(ps) => parse_bool(v).is_some_and(|b| ps.contains(&b)),
            Values::Cidrs(ps) => parse_ip(v).is_some_and(|ip| ps.iter().any(|c| c.contains(ip))),
        }
    }
}

/// `v` lower-cased equals `folded`, without allocating.
fn eq_folded(folded: &str, v: &str) -> bool {
    if folded.is_ascii() && v.is_ascii() {
        return folded.eq_ignore_ascii_case(v);
    }
    v.chars().flat_map(char::to_lowercase).eq(folded.chars())
}

fn parse_number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

fn parse_date(s: &str) -> Option<Instant> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|d| (d.timestamp(), d.timestamp_subsec_nanos()))
}

fn parse_bool(s: &str) -> Option<bool> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn parse_ip(s: &str) -> Option<IpAddr> {
    let ip: IpAddr = s.trim().parse().ok()?;
    Some(match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    })
}

/// An address block; a plain address is a block of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    v6: bool,
    network: u128,
    mask: u128,
}

impl Cidr {
    fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l.parse::<u8>().ok()?)),
            None => (s, None),
        };
        let (v6, bits, width) = match addr.parse::<IpAddr>().ok()? {
            IpAddr::V4(a) => (false, u128::from(u32::from(a)), 32u8),
            IpAddr::V6(a) => (true, u128::from(a), 128u8),
        };
        let len = len.unwrap_or(width);
        if len > width {
            return None;
        }
        let mask = if len == 0 {
            0
        } else {
            (u128::MAX << (128 - u32::from(len))) >> (128 - u32::from(width))
        };
        Some(Cidr {
            v6,
            network: bits & mask,
            mask,
        })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => !self.v6 && u128::from(u32::from(a)) & self.mask == self.network,
            IpAddr::V6(a) => self.v6 && u128::from(a) & self.mask == self.network,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names_round_trip() {
        for test in Test::all() {
            let mut names = vec![test.name().to_string()];
            if test != Test::Null {
                names.push(format!("{}IfExists", test.name()));
                names.push(format!("ForAnyValue:{}", test.name()));
                names.push(format!("ForAllValues:{}IfExists", test.name()));
            }
            for name in names {
                let op = Operator::parse(&name).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(op.to_string(), name);
            }
        }
        assert!(Operator::parse("NullIfExists").is_err());
        assert!(Operator::parse("ForAnyValue:Null").is_err());
        assert!(Operator::parse("stringequals").is_err());
        assert!(Operator::parse("StringEqualsIfExistsIfExists").is_err());
    }

    #[test]
    fn cidr_blocks() {
        let net = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(net.contains("10.1.200.3".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
        assert!(Cidr::parse("192.168.1.7")
            .unwrap()
            .contains("192.168.1.7".parse().unwrap()));
        assert!(Cidr::parse("fd00::/8").unwrap().contains("fd12::1".parse().unwrap()));
        assert!(!Cidr::parse("fd00::/8").unwrap().contains("10.0.0.1".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("10.0.0/8").is_none());
        assert_eq!(parse_ip("::ffff:10.0.0.1"), Some("10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn keys() {
        assert!(check_key("g:UserName").is_ok());
        assert!(check_key("G:username").is_ok());
        assert!(check_key("g:ResourceTag/team").is_ok());
        assert!(check_key("g:ResourceTag/").is_err());
        assert!(check_key("g:Nope").is_err());
        assert!(check_key("ecs:keyName").is_ok());
        assert!(check_key("obs:prefix/x-y_z").is_ok());
        assert!(check_key("ECS:keyName").is_err());
        assert!(check_key("nokey").is_err());
        assert!(check_key("ecs:").is_err());
    }
}
