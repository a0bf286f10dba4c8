//! Nova microversions: negotiated from `OpenStack-API-Version: compute X.Y`
//! or the legacy `X-OpenStack-Nova-API-Version`, echoed on every response.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;

use super::errors;

/// A compute API microversion `2.N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Microversion {
    pub major: u32,
    pub minor: u32,
}

impl Microversion {
    pub const MIN: Microversion = Microversion { major: 2, minor: 1 };
    /// The newest version whose server representation ecsd implements.
    pub const MAX: Microversion = Microversion { major: 2, minor: 100 };

    pub const fn v(minor: u32) -> Microversion {
        Microversion { major: 2, minor }
    }

    /// True when this version is at least 2.`minor`.
    pub fn at_least(self, minor: u32) -> bool {
        self >= Microversion::v(minor)
    }

    pub fn text(self) -> String {
        format!("{}.{}", self.major, self.minor)
    }
}

fn parse(s: &str) -> Option<Microversion> {
    let (a, b) = s.split_once('.')?;
    let ok = |p: &str, allow_zero: bool| {
        !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()) && (p == "0" && allow_zero || !p.starts_with('0'))
    };
    if !ok(a, false) || !ok(b, true) {
        return None;
    }
    Some(Microversion {
        major: a.parse().ok()?,
        minor: b.parse().ok()?,
    })
}

/// The requested version string, if any: the last `compute` entry of the
/// standard header, else the legacy header.
fn requested(headers: &HeaderMap) -> Option<String> {
    let mut found = None;
    for v in headers.get_all("openstack-api-version") {
        let Ok(v) = v.to_str() else { continue };
        for part in v.split(',') {
            let mut words = part.split_whitespace();
            if let (Some(svc), Some(ver)) = (words.next(), words.next()) {
                if svc.eq_ignore_ascii_case("compute") {
                    found = Some(ver.to_string());
                }
            }
        }
    }
    found.or_else(|| {
        headers
            .get("x-openstack-nova-api-version")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_string())
    })
}

/// The version for a request, or Nova's 400 (syntax) / 406 (range).
/// The legacy `/v2` endpoint ignores the headers and runs at 2.1.
pub fn negotiate(headers: &HeaderMap, legacy_v2: bool) -> Result<Microversion, Response> {
    if legacy_v2 {
        return Ok(Microversion::MIN);
    }
    let Some(text) = requested(headers) else {
        return Ok(Microversion::MIN);
    };
    if text == "latest" {
        return Ok(Microversion::MAX);
    }
    let Some(v) = parse(&text) else {
        return Err(errors::nova_status(
            StatusCode::BAD_REQUEST,
            &format!("API Version String {text} is of invalid format. Must be of format MajorNum.MinorNum."),
        ));
    };
    if v < Microversion::MIN || v > Microversion::MAX {
        let mut resp = errors::nova_status(
            StatusCode::NOT_ACCEPTABLE,
            &format!(
                "Version {text} is not supported by the API. Minimum is {} and maximum is {}.",
                Microversion::MIN.text(),
                Microversion::MAX.text()
            ),
        );
        if let Ok(h) = HeaderValue::from_str(&format!("compute {text}")) {
            resp.headers_mut().insert("openstack-api-version", h);
        }
        if let Ok(h) = HeaderValue::from_str(&text) {
            resp.headers_mut().insert("x-openstack-nova-api-version", h);
        }
        return Err(resp);
    }
    Ok(v)
}

pub fn set_headers(headers: &mut HeaderMap, v: Microversion, legacy_v2: bool) {
    if legacy_v2 {
        return;
    }
    if let Ok(h) = HeaderValue::from_str(&format!("compute {}", v.text())) {
        headers.insert("openstack-api-version", h);
    }
    if let Ok(h) = HeaderValue::from_str(&v.text()) {
        headers.insert("x-openstack-nova-api-version", h);
    }
    headers.append("vary", HeaderValue::from_static("OpenStack-API-Version"));
    headers.append("vary", HeaderValue::from_static("X-OpenStack-Nova-API-Version"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr(name: &'static str, v: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_static(v));
        h
    }

    #[test]
    fn negotiation_follows_nova() {
        assert_eq!(negotiate(&HeaderMap::new(), false).ok(), Some(Microversion::MIN));
        assert_eq!(
            negotiate(&hdr("openstack-api-version", "compute 2.60"), false).ok(),
            Some(Microversion::v(60))
        );
        assert_eq!(
            negotiate(&hdr("x-openstack-nova-api-version", "2.73"), false).ok(),
            Some(Microversion::v(73))
        );
        assert_eq!(
            negotiate(&hdr("openstack-api-version", "compute latest"), false).ok(),
            Some(Microversion::MAX)
        );
        let bad = negotiate(&hdr("openstack-api-version", "compute 2.a"), false).unwrap_err();
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        let range = negotiate(&hdr("openstack-api-version", "compute 2.999"), false).unwrap_err();
        assert_eq!(range.status(), StatusCode::NOT_ACCEPTABLE);
        assert_eq!(
            negotiate(&hdr("openstack-api-version", "compute 2.999"), true).ok(),
            Some(Microversion::MIN)
        );
        assert!(parse("02.1").is_none());
        assert!(parse("2").is_none());
    }
}
