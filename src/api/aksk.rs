//! Server-side verification of Huawei Cloud `SDK-HMAC-SHA256` AK/SK signatures
//! (spec `huawei-ecs.md` section 5).
//!
//! Pure functions only: the caller looks up the secret key for the access key and maps
//! [`AkSkError`] to the gateway error body (`APIGW.0301` and friends).
//!
//! The canonical request is rebuilt from what arrived on the wire (raw path, raw query,
//! received headers, raw body bytes) so that any client following the Huawei algorithm is
//! accepted, whatever headers it chose to sign: the Python SDK signs
//! `content-type;host;user-agent;x-project-id;x-sdk-date`, the Go SDK may sign only
//! `x-sdk-date`.

use axum::http::{HeaderMap, HeaderName};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

/// The only algorithm accepted (the SDK default; SM3, ECDSA and derived-key variants are out
/// of scope).
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// Header carrying the signing time, `YYYYMMDDTHHMMSSZ` in UTC.
pub const SDK_DATE_HEADER: &str = "x-sdk-date";

/// Header that replaces the body hash (the SDK sets `UNSIGNED-PAYLOAD` for non-JSON bodies).
pub const CONTENT_SHA256_HEADER: &str = "x-sdk-content-sha256";

/// Allowed clock skew between the client's `X-Sdk-Date` and the server, in both directions.
pub const MAX_CLOCK_SKEW_SECS: i64 = 15 * 60;

/// Hex SHA-256 of the empty string, used as the payload hash of an empty body.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// RFC 3986 unreserved characters stay literal; everything else is `%XX` (uppercase hex),
/// matching Python's `quote(s, safe='~')` and the Go SDK's `escape`.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Parsed `Authorization: SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    pub access_key: String,
    /// Header names exactly as the client listed them (the SDKs send them lower-case).
    pub signed_headers: Vec<String>,
    /// 64 lower-case hex characters.
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AkSkError {
    /// Authorization header not parseable / unknown algorithm.
    Malformed,
    /// No `X-Sdk-Date`.
    MissingDate,
    /// Unparseable (or repeated) `X-Sdk-Date`.
    BadDate,
    /// `|now - date| > 15 min`; both values in `YYYYMMDDTHHMMSSZ` for the error message.
    Expired {
        signed_at: String,
        server_time: String,
    },
    /// A header named in `SignedHeaders` is absent or repeated.
    MissingSignedHeader(String),
    SignatureMismatch,
}

impl std::fmt::Display for AkSkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AkSkError::Malformed => f.write_str("malformed SDK-HMAC-SHA256 authorization header"),
            AkSkError::MissingDate => f.write_str("missing X-Sdk-Date header"),
            AkSkError::BadDate => f.write_str("invalid X-Sdk-Date header"),
            AkSkError::Expired { signed_at, server_time } => write!(
                f,
                "signature expired, signature time:{signed_at},server time:{server_time}"
            ),
            AkSkError::MissingSignedHeader(name) => {
                write!(f, "signed header {name} is missing or repeated")
            }
            AkSkError::SignatureMismatch => f.write_str("verify aksk signature fail"),
        }
    }
}

impl std::error::Error for AkSkError {}

/// Parses the `Authorization` value with the same strictness as the spec's regex
/// `^SDK-HMAC-SHA256 Access=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$`
/// (both SDKs emit exactly this shape, so anything else is not one of them).
pub fn parse_authorization(value: &str) -> Result<SignatureHeader, AkSkError> {
    let rest = value
        .strip_prefix(ALGORITHM)
        .and_then(|r| r.strip_prefix(" Access="))
        .ok_or(AkSkError::Malformed)?;
    let (access_key, rest) = rest.split_once(',').ok_or(AkSkError::Malformed)?;
    let rest = rest.strip_prefix(" SignedHeaders=").ok_or(AkSkError::Malformed)?;
    let (signed, rest) = rest.split_once(',').ok_or(AkSkError::Malformed)?;
    let signature = rest.strip_prefix(" Signature=").ok_or(AkSkError::Malformed)?;

    let is_lower_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    if access_key.is_empty() || signed.is_empty() || signature.len() != 64 || !signature.bytes().all(is_lower_hex) {
        return Err(AkSkError::Malformed);
    }
    let signed_headers: Vec<String> = signed.split(';').map(str::to_owned).collect();
    // An empty name ("a;;b") cannot come from a signer and cannot be looked up.
    if signed_headers.iter().any(String::is_empty) {
        return Err(AkSkError::Malformed);
    }
    Ok(SignatureHeader {
        access_key: access_key.to_owned(),
        signed_headers,
        signature: signature.to_owned(),
    })
}

/// Canonical URI (spec 5.2-4.2): percent-decode, split on `/`, re-encode each segment,
/// re-join, ensure a trailing `/`. Decoding first makes `%20`, ` ` and over-encoded
/// unreserved characters canonicalize alike; `//` is kept as is. Works on bytes so
/// non-UTF-8 escapes round-trip instead of failing; invalid escapes stay literal.
pub fn canonical_uri(raw_path: &str) -> String {
    let decoded: Vec<u8> = percent_decode_str(raw_path).collect();
    let mut uri = decoded
        .split(|b| *b == b'/')
        .map(|seg| percent_encode(seg, UNRESERVED).to_string())
        .collect::<Vec<_>>()
        .join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// Decoded `(key, value)` pairs of a raw query in wire order. `+` is NOT a space here: the
/// SDKs encode spaces as `%20` and sign the literal characters. Empty pieces (`a=1&&b=2`,
/// trailing `&`) carry no parameter and are skipped.
fn decode_query(raw_query: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    raw_query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
            (percent_decode_str(k).collect(), percent_decode_str(v).collect())
        })
        .collect()
}

fn encode_query(pairs: &[(Vec<u8>, Vec<u8>)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k, UNRESERVED), percent_encode(v, UNRESERVED)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Canonical query string (spec 5.3-5): pairs sorted by (key, value) bytes, which equals
/// code-point order for the UTF-8 strings the SDKs sort.
pub fn canonical_query(raw_query: &str) -> String {
    let mut pairs = decode_query(raw_query);
    pairs.sort();
    encode_query(&pairs)
}

/// Variant sorted by key only, keeping the wire order of a key's values. The Python SDK sorts
/// list values natively (`[10, 2, 1]` -> `1, 2, 10`, numerically) and sends the query in the
/// order it signed, so string-sorting the values would reject it.
fn canonical_query_wire_value_order(raw_query: &str) -> String {
    let mut pairs = decode_query(raw_query);
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    encode_query(&pairs)
}

/// Header value as text for signing. Both SDKs put UTF-8 on the wire; anything else is
/// read as ISO-8859-1 so that every byte sequence has a deterministic, non-panicking form.
fn header_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// `name:value\n` lines for the signed headers, plus the value of a signed
/// `X-Sdk-Content-Sha256` if any. A signed header that is missing, repeated or not a
/// valid header name fails: the SDKs never send such a request.
fn canonical_headers(headers: &HeaderMap, signed_headers: &[String]) -> Result<(String, Option<String>), AkSkError> {
    let mut block = String::new();
    let mut content_sha256 = None;
    for name in signed_headers {
        let missing = || AkSkError::MissingSignedHeader(name.clone());
        // `HeaderName::from_bytes` lower-cases, so the lookup is case-insensitive.
        let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| missing())?;
        let mut values = headers.get_all(&header_name).iter();
        let value = match (values.next(), values.next()) {
            (Some(v), None) => header_text(v.as_bytes()),
            _ => return Err(missing()),
        };
        let value = value.trim();
        if header_name.as_str() == CONTENT_SHA256_HEADER {
            content_sha256 = Some(value.to_owned());
        }
        block.push_str(name);
        block.push(':');
        block.push_str(value);
        block.push('\n');
    }
    Ok((block, content_sha256))
}

/// Hex SHA-256, lower case.
pub fn hex_sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn assemble(
    method: &str,
    uri: &str,
    query: &str,
    header_block: &str,
    signed_headers: &[String],
    payload_hash: &str,
) -> String {
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        method.to_ascii_uppercase(),
        uri,
        query,
        header_block,
        signed_headers.join(";"),
        payload_hash
    )
}

/// Canonical request per spec 5.2/5.3 from the RAW path and RAW query string (no leading
/// '?'; may be empty). The payload hash is the hex SHA-256 of `body`, unless
/// `X-Sdk-Content-Sha256` is itself signed, in which case its value is used (an unsigned
/// one must not be able to replace the body hash).
pub fn canonical_request(
    method: &str,
    raw_path: &str,
    raw_query: &str,
    headers: &HeaderMap,
    signed_headers: &[String],
    body: &[u8],
) -> Result<String, AkSkError> {
    let (header_block, content_sha256) = canonical_headers(headers, signed_headers)?;
    let payload_hash = content_sha256.unwrap_or_else(|| hex_sha256(body));
    Ok(assemble(
        method,
        &canonical_uri(raw_path),
        &canonical_query(raw_query),
        &header_block,
        signed_headers,
        &payload_hash,
    ))
}

/// `SDK-HMAC-SHA256\n<X-Sdk-Date>\n<hex sha256(canonical request)>`.
pub fn string_to_sign(sdk_date: &str, canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{sdk_date}\n{}", hex_sha256(canonical_request.as_bytes()))
}

/// Lower-hex HMAC-SHA256 keyed directly with the SK bytes (no key derivation for this
/// algorithm).
pub fn sign(secret_key: &[u8], string_to_sign: &str) -> String {
    // HMAC accepts keys of any length, so this never fails; an empty string can never
    // equal a 64-character signature, so the fallback fails closed.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret_key) else {
        return String::new();
    };
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Parses `YYYYMMDDTHHMMSSZ` strictly (exactly 16 ASCII characters), so the string to sign
/// built from the raw header is the same one the SDK built from its re-formatted time.
pub fn parse_sdk_date(value: &str) -> Option<DateTime<Utc>> {
    let b = value.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        b.get(range)?.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(digits(0..4)?).ok()?, digits(4..6)?, digits(6..8)?)?;
    let naive = date.and_hms_opt(digits(9..11)?, digits(11..13)?, digits(13..15)?)?;
    Some(Utc.from_utc_datetime(&naive))
}

/// Formats a time the way `X-Sdk-Date` carries it (used for the "server time" in errors).
pub fn format_sdk_date(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Full check: date window (15 minutes, both directions) against `now`, canonicalization,
/// constant-time compare.
///
/// Besides the canonical form of spec 5.3, two known SDK divergences are accepted, each still
/// covering every signed input: the Python SDK's native (numeric) ordering of repeated query
/// values, and its use of the empty-body hash when `X-Sdk-Content-Sha256` is set but the body
/// is empty (the Go SDK uses the header value, which is the primary form).
#[allow(clippy::too_many_arguments)] // signature fixed by the API contract
pub fn verify(
    header: &SignatureHeader,
    secret_key: &[u8],
    method: &str,
    raw_path: &str,
    raw_query: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), AkSkError> {
    let mut dates = headers.get_all(SDK_DATE_HEADER).iter();
    let sdk_date = match (dates.next(), dates.next()) {
        (None, _) => return Err(AkSkError::MissingDate),
        (Some(v), None) => v.to_str().map_err(|_| AkSkError::BadDate)?.trim(),
        (Some(_), Some(_)) => return Err(AkSkError::BadDate),
    };
    let signed_at = parse_sdk_date(sdk_date).ok_or(AkSkError::BadDate)?;
    if (now - signed_at).num_seconds().abs() > MAX_CLOCK_SKEW_SECS {
        return Err(AkSkError::Expired {
            signed_at: sdk_date.to_owned(),
            server_time: format_sdk_date(now),
        });
    }

    let (header_block, content_sha256) = canonical_headers(headers, &header.signed_headers)?;
    let uri = canonical_uri(raw_path);

    let mut queries = vec![canonical_query(raw_query)];
    let wire_order = canonical_query_wire_value_order(raw_query);
    if wire_order != queries[0] {
        queries.push(wire_order);
    }
    let mut payload_hashes = Vec::with_capacity(2);
    match content_sha256 {
        Some(value) => {
            if body.is_empty() && value != EMPTY_SHA256 {
                payload_hashes.push(EMPTY_SHA256.to_owned());
            }
            payload_hashes.push(value);
        }
        None => payload_hashes.push(hex_sha256(body)),
    }

    let mut matched = Choice::from(0);
    for query in &queries {
        for payload_hash in &payload_hashes {
            let canonical = assemble(method, &uri, query, &header_block, &header.signed_headers, payload_hash);
            let expected = sign(secret_key, &string_to_sign(sdk_date, &canonical));
            matched |= expected.as_bytes().ct_eq(header.signature.as_bytes());
        }
    }
    if bool::from(matched) {
        Ok(())
    } else {
        Err(AkSkError::SignatureMismatch)
    }
}
