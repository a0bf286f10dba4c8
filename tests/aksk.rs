//! Known-answer vectors and edge cases of the `SDK-HMAC-SHA256` AK/SK
//! signature: requests signed by the Python and Go SDKs (spec
//! `huawei-ecs.md` section 5), then tampering, date windows, malformed
//! headers and inputs that must never panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use chrono::{DateTime, Utc};
use ecsd::api::aksk::{
    canonical_query, canonical_request, canonical_uri, format_sdk_date, hex_sha256, parse_authorization,
    parse_sdk_date, sign, string_to_sign, verify, AkSkError, SignatureHeader, EMPTY_SHA256,
};

const AK: &str = "HPUAEXAMPLEAK0000001";
const SK: &[u8] = b"ExampleSecretKey0000000000000000000000001";
const PID: &str = "0123456789abcdef0123456789abcdef";
const SID: &str = "4f4b3dfa-eb70-47cf-a60a-998a53bd598a";
const DATE: &str = "20240102T030405Z";
const PY_SIGNED: &str = "content-type;host;user-agent;x-project-id;x-sdk-date";

const EX1_SIG: &str = "eaff497c26dd774ae66f2be80d328b65d17a2ae7fa1f5ac0ea83d94767750200";
const EX2_SIG: &str = "3d9051911f6508663b60f29f0966522d3543c5d43cb6d552f142409c03e1655e";
const EX3_SIG: &str = "a3cd44afb389148e4bd502a60d19829c72249993af52dd9524e7e3b00d4daeb5";
const EX2_BODY: &[u8] = br#"{"os-change": {"imageid": "e215580f-73ad-429d-b6f2-5433947433b0", "keyname": "KeyPair-350b", "userid": "7e25b1da389f4697a79df3a0e5bd494e"}}"#;

const GO_SK: &[u8] = b"SecretKey";
const GO_DATE: &str = "20060102T150405Z";

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        map.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    map
}

/// The common inputs of spec 5.4 as they arrive at the server (Host added by the signer).
fn py_headers() -> HeaderMap {
    headers(&[
        ("Content-Type", "application/json;charset=UTF-8"),
        ("User-Agent", "huaweicloud-usdk-python/3.0"),
        ("X-Project-Id", PID),
        ("X-Sdk-Date", DATE),
        ("Host", "127.0.0.1:8080"),
    ])
}

fn py_auth(sig: &str) -> String {
    format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders={PY_SIGNED}, Signature={sig}")
}

fn at(value: &str) -> DateTime<Utc> {
    parse_sdk_date(value).unwrap()
}

fn signed(list: &str) -> Vec<String> {
    list.split(';').map(str::to_owned).collect()
}

fn ex1_path() -> String {
    format!("/v1/{PID}/cloudservers/detail")
}

fn ex2_path() -> String {
    format!("/v2/{PID}/cloudservers/{SID}/changeos")
}

const EX1_QUERY: &str = "limit=10&name=web%20server&status=SHUTOFF";

#[test]
fn example1_get_with_query() {
    let hdrs = py_headers();
    let canonical = canonical_request("GET", &ex1_path(), EX1_QUERY, &hdrs, &signed(PY_SIGNED), b"").unwrap();
    let expected = format!(
        "GET\n/v1/{PID}/cloudservers/detail/\nlimit=10&name=web%20server&status=SHUTOFF\n\
         content-type:application/json;charset=UTF-8\nhost:127.0.0.1:8080\n\
         user-agent:huaweicloud-usdk-python/3.0\nx-project-id:{PID}\n\
         x-sdk-date:20240102T030405Z\n\n{PY_SIGNED}\n{EMPTY_SHA256}"
    );
    assert_eq!(canonical, expected);
    let sts = string_to_sign(DATE, &canonical);
    assert_eq!(
        sts,
        "SDK-HMAC-SHA256\n20240102T030405Z\n\
         b2625c64e25a76b6545dfa6e538daf06dc0f703ff779fc169bb2e7fcd154640b"
    );
    assert_eq!(sign(SK, &sts), EX1_SIG);

    let auth = parse_authorization(&py_auth(EX1_SIG)).unwrap();
    assert_eq!(auth.access_key, AK);
    assert_eq!(auth.signed_headers, signed(PY_SIGNED));
    assert_eq!(auth.signature, EX1_SIG);
    let path = ex1_path();
    assert_eq!(verify(&auth, SK, "GET", &path, EX1_QUERY, &hdrs, b"", at(DATE)), Ok(()));
    // Any equivalent encoding/order of the query verifies too.
    let reordered = "status=SHUTOFF&name=web%20serv%65r&limit=10";
    assert_eq!(verify(&auth, SK, "GET", &path, reordered, &hdrs, b"", at(DATE)), Ok(()));
    // A changed query parameter does not.
    let changed = "limit=11&name=web%20server&status=SHUTOFF";
    assert_eq!(
        verify(&auth, SK, "GET", &path, changed, &hdrs, b"", at(DATE)),
        Err(AkSkError::SignatureMismatch)
    );
}

#[test]
fn example2_post_json_body() {
    assert_eq!(EX2_BODY.len(), 139);
    assert_eq!(
        hex_sha256(EX2_BODY),
        "a18184d3f1cd460446927915f9c696e565cafdbe986d2571b60d96cec2a8c197"
    );
    let hdrs = py_headers();
    let canonical = canonical_request("POST", &ex2_path(), "", &hdrs, &signed(PY_SIGNED), EX2_BODY).unwrap();
    let expected = format!(
        "POST\n/v2/{PID}/cloudservers/{SID}/changeos/\n\n\
         content-type:application/json;charset=UTF-8\nhost:127.0.0.1:8080\n\
         user-agent:huaweicloud-usdk-python/3.0\nx-project-id:{PID}\n\
         x-sdk-date:20240102T030405Z\n\n{PY_SIGNED}\n\
         a18184d3f1cd460446927915f9c696e565cafdbe986d2571b60d96cec2a8c197"
    );
    assert_eq!(canonical, expected);
    let sts = string_to_sign(DATE, &canonical);
    assert_eq!(
        sts,
        "SDK-HMAC-SHA256\n20240102T030405Z\n\
         d776aa22afe248cf5b7d38d4f57bbe9ed36d59ab7df2d84b6db6d73d7d0e663e"
    );
    assert_eq!(sign(SK, &sts), EX2_SIG);

    let auth = parse_authorization(&py_auth(EX2_SIG)).unwrap();
    let path = ex2_path();
    assert_eq!(verify(&auth, SK, "POST", &path, "", &hdrs, EX2_BODY, at(DATE)), Ok(()));
}

#[test]
fn example3_delete_encoded_path_underscore_header_ignored() {
    let mut hdrs = py_headers();
    hdrs.insert("X_Custom", HeaderValue::from_static("ignored"));
    let raw_path = format!("/v1/{PID}/cloudservers/{SID}/metadata/my%20key");
    let canonical = canonical_request("DELETE", &raw_path, "", &hdrs, &signed(PY_SIGNED), b"").unwrap();
    let expected = format!(
        "DELETE\n/v1/{PID}/cloudservers/{SID}/metadata/my%20key/\n\n\
         content-type:application/json;charset=UTF-8\nhost:127.0.0.1:8080\n\
         user-agent:huaweicloud-usdk-python/3.0\nx-project-id:{PID}\n\
         x-sdk-date:20240102T030405Z\n\n{PY_SIGNED}\n{EMPTY_SHA256}"
    );
    assert_eq!(canonical, expected);
    assert_eq!(sign(SK, &string_to_sign(DATE, &canonical)), EX3_SIG);

    let auth = parse_authorization(&py_auth(EX3_SIG)).unwrap();
    assert!(!auth.signed_headers.iter().any(|h| h.contains('_')));
    assert_eq!(verify(&auth, SK, "DELETE", &raw_path, "", &hdrs, b"", at(DATE)), Ok(()));
    // The unsigned underscore header may change freely.
    hdrs.insert("X_Custom", HeaderValue::from_static("changed"));
    assert_eq!(verify(&auth, SK, "DELETE", &raw_path, "", &hdrs, b"", at(DATE)), Ok(()));
}

fn go_headers() -> HeaderMap {
    headers(&[
        ("X-Sdk-Date", GO_DATE),
        ("TEST_UNDERSCORE", "TEST_VALUE"),
        ("Content-Type", "application/json"),
        ("Host", "example.huaweicloud.com"),
    ])
}

fn go_auth(sig: &str) -> SignatureHeader {
    parse_authorization(&format!(
        "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature={sig}"
    ))
    .unwrap()
}

#[test]
fn go_sdk_get_vector() {
    let sig = "5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624";
    let hdrs = go_headers();
    let canonical = canonical_request("GET", "/path", "limit=1", &hdrs, &signed("x-sdk-date"), b"").unwrap();
    assert_eq!(
        canonical,
        format!("GET\n/path/\nlimit=1\nx-sdk-date:{GO_DATE}\n\nx-sdk-date\n{EMPTY_SHA256}")
    );
    assert_eq!(sign(GO_SK, &string_to_sign(GO_DATE, &canonical)), sig);
    assert_eq!(
        verify(&go_auth(sig), GO_SK, "GET", "/path", "limit=1", &hdrs, b"", at(GO_DATE)),
        Ok(())
    );
}

#[test]
fn go_sdk_post_vector() {
    let sig = "cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59";
    let body = b"{\"Name\":\"test\",\"Id\":1}\n";
    let hdrs = go_headers();
    let canonical = canonical_request("POST", "/path", "key=value", &hdrs, &signed("x-sdk-date"), body).unwrap();
    assert_eq!(sign(GO_SK, &string_to_sign(GO_DATE, &canonical)), sig);
    let auth = go_auth(sig);
    assert_eq!(
        verify(&auth, GO_SK, "POST", "/path", "key=value", &hdrs, body, at(GO_DATE)),
        Ok(())
    );
    // Without the trailing newline the body hash differs.
    let trimmed = &body[..body.len() - 1];
    assert_eq!(
        verify(&auth, GO_SK, "POST", "/path", "key=value", &hdrs, trimmed, at(GO_DATE)),
        Err(AkSkError::SignatureMismatch)
    );
}

#[test]
fn go_sdk_query_encoding_vector() {
    let expected = "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123\
                    &test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29";
    // Already canonical input is a fixed point.
    assert_eq!(canonical_query(expected), expected);
    // Unsorted, differently (minimally) encoded input canonicalizes to the vector.
    let raw = "test=%E4%B8%80%20(%26%3D%3F!%23%25.*)&multi=3&path=/tmp/123&multi=1\
               &limit=1&multi=2&enable=true";
    assert_eq!(canonical_query(raw), expected);
}

#[test]
fn query_edge_cases() {
    assert_eq!(canonical_query(""), "");
    // '+' is a literal plus, not a space.
    assert_eq!(canonical_query("a=b+c"), "a=b%2Bc");
    // A key without '=' gets an empty value; empty pieces are skipped.
    assert_eq!(canonical_query("flag&&a=1&"), "a=1&flag=");
    // Only the first '=' splits.
    assert_eq!(canonical_query("a=b=c"), "a=b%3Dc");
    // Invalid escapes are kept literally (the '%' itself gets encoded).
    assert_eq!(canonical_query("a=%zz&b=%4"), "a=%25zz&b=%254");
    // Lower-case hex escapes are normalized to upper case.
    assert_eq!(canonical_query("a=%c3%a9"), "a=%C3%A9");
}

#[test]
fn uri_edge_cases() {
    assert_eq!(canonical_uri(""), "/");
    assert_eq!(canonical_uri("/"), "/");
    assert_eq!(canonical_uri("/a b/c"), "/a%20b/c/");
    assert_eq!(canonical_uri("/a//b/"), "/a//b/");
    assert_eq!(canonical_uri("/%7Euser/%41"), "/~user/A/");
    assert_eq!(canonical_uri("/bad%zz/%"), "/bad%25zz/%25/");
    assert_eq!(canonical_uri("/x%FF"), "/x%FF/");
    // An encoded '/' becomes a separator, as in the SDK (decode, then split).
    assert_eq!(canonical_uri("/a%2Fb"), "/a/b/");
}

#[test]
fn python_numeric_list_order_accepted() {
    // Real Python SDK output for query_params=[("multi", [10, 2, 1]), ("flag", True)]
    // on the Example 1 path: values sorted numerically, sent in that order.
    let sig = "ac31d48e02c3d571a9c9ddb5e941b6bd52bc3b7789dfe16fb24bde996e1d5ec9";
    let auth = parse_authorization(&py_auth(sig)).unwrap();
    let query = "flag=true&multi=1&multi=2&multi=10";
    let path = ex1_path();
    let hdrs = py_headers();
    assert_eq!(verify(&auth, SK, "GET", &path, query, &hdrs, b"", at(DATE)), Ok(()));
}

fn octet_headers() -> HeaderMap {
    headers(&[
        ("Content-Type", "application/octet-stream"),
        ("User-Agent", "huaweicloud-usdk-python/3.0"),
        ("X-Project-Id", PID),
        ("X-Sdk-Date", DATE),
        ("X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD"),
        ("Host", "127.0.0.1:8080"),
    ])
}

const OCTET_SIGNED: &str = "content-type;host;user-agent;x-project-id;x-sdk-content-sha256;x-sdk-date";

#[test]
fn unsigned_payload_when_content_sha256_is_signed() {
    // Real Python SDK output: PUT /v1/<pid>/blob, octet-stream, body "abc".
    let sig = "ed37f6e993132fe9722e6bf87363f4136a0763393d4394ab343dbfe9091f1687";
    let auth = parse_authorization(&format!(
        "SDK-HMAC-SHA256 Access={AK}, SignedHeaders={OCTET_SIGNED}, Signature={sig}"
    ))
    .unwrap();
    let path = format!("/v1/{PID}/blob");
    let hdrs = octet_headers();
    let canonical = canonical_request("PUT", &path, "", &hdrs, &signed(OCTET_SIGNED), b"abc").unwrap();
    assert!(canonical.ends_with("\nUNSIGNED-PAYLOAD"));
    assert_eq!(verify(&auth, SK, "PUT", &path, "", &hdrs, b"abc", at(DATE)), Ok(()));
    // The body is deliberately not covered.
    assert_eq!(verify(&auth, SK, "PUT", &path, "", &hdrs, b"xyz", at(DATE)), Ok(()));

    // Python with an empty body hashes the empty body despite the header.
    let sig_empty = "f640cf5ccf5310c8b702b00aba42d5082634eee6facc7349a38da2f3cbb75dd9";
    let auth = SignatureHeader {
        signature: sig_empty.to_owned(),
        ..auth
    };
    assert_eq!(verify(&auth, SK, "PUT", &path, "", &hdrs, b"", at(DATE)), Ok(()));
}

#[test]
fn unsigned_content_sha256_header_is_ignored() {
    let mut hdrs = py_headers();
    hdrs.insert("x-sdk-content-sha256", HeaderValue::from_static("UNSIGNED-PAYLOAD"));
    let canonical = canonical_request("POST", &ex2_path(), "", &hdrs, &signed(PY_SIGNED), EX2_BODY).unwrap();
    assert!(canonical.ends_with(&hex_sha256(EX2_BODY)));
    let auth = parse_authorization(&py_auth(EX2_SIG)).unwrap();
    let path = ex2_path();
    assert_eq!(
        verify(&auth, SK, "POST", &path, "", &hdrs, b"{}", at(DATE)),
        Err(AkSkError::SignatureMismatch)
    );
}

#[test]
fn tampered_body_rejected() {
    let auth = parse_authorization(&py_auth(EX2_SIG)).unwrap();
    let mut body = EX2_BODY.to_vec();
    body[20] ^= 1;
    let path = ex2_path();
    let hdrs = py_headers();
    assert_eq!(
        verify(&auth, SK, "POST", &path, "", &hdrs, &body, at(DATE)),
        Err(AkSkError::SignatureMismatch)
    );
    // Wrong secret, method or path fail the same way.
    assert_eq!(
        verify(&auth, b"other", "POST", &path, "", &hdrs, EX2_BODY, at(DATE)),
        Err(AkSkError::SignatureMismatch)
    );
    assert_eq!(
        verify(&auth, SK, "PUT", &path, "", &hdrs, EX2_BODY, at(DATE)),
        Err(AkSkError::SignatureMismatch)
    );
    assert_eq!(
        verify(&auth, SK, "POST", "/v2/x", "", &hdrs, EX2_BODY, at(DATE)),
        Err(AkSkError::SignatureMismatch)
    );
}

#[test]
fn tampered_signed_header_rejected() {
    let auth = parse_authorization(&py_auth(EX1_SIG)).unwrap();
    let mut hdrs = py_headers();
    hdrs.insert("x-project-id", HeaderValue::from_static("ffff"));
    let path = ex1_path();
    assert_eq!(
        verify(&auth, SK, "GET", &path, EX1_QUERY, &hdrs, b"", at(DATE)),
        Err(AkSkError::SignatureMismatch)
    );
}

#[test]
fn date_window() {
    let auth = parse_authorization(&py_auth(EX1_SIG)).unwrap();
    let hdrs = py_headers();
    let path = ex1_path();
    let check = |now: &str| verify(&auth, SK, "GET", &path, EX1_QUERY, &hdrs, b"", at(now));
    // Exactly 15 minutes either way is still accepted.
    assert_eq!(check("20240102T031905Z"), Ok(()));
    assert_eq!(check("20240102T024905Z"), Ok(()));
    // One second beyond, in the past or in the future, is not.
    assert_eq!(
        check("20240102T031906Z"),
        Err(AkSkError::Expired {
            signed_at: DATE.to_owned(),
            server_time: "20240102T031906Z".to_owned(),
        })
    );
    assert_eq!(
        check("20240102T024904Z"),
        Err(AkSkError::Expired {
            signed_at: DATE.to_owned(),
            server_time: "20240102T024904Z".to_owned(),
        })
    );
    assert!(matches!(check("20250101T000000Z"), Err(AkSkError::Expired { .. })));
}

#[test]
fn missing_or_bad_date() {
    let auth = parse_authorization(&py_auth(EX1_SIG)).unwrap();
    let path = ex1_path();
    let run = |hdrs: &HeaderMap| verify(&auth, SK, "GET", &path, EX1_QUERY, hdrs, b"", at(DATE));
    let mut hdrs = py_headers();
    hdrs.remove("x-sdk-date");
    assert_eq!(run(&hdrs), Err(AkSkError::MissingDate));
    for bad in [
        "2024-01-02T03:04:05Z",
        "20240102T030405",
        "20241302T030405Z",
        "20240102T250405Z",
        "+0240102T030405Z",
        "２0240102T030405Z",
        "",
    ] {
        let mut hdrs = py_headers();
        hdrs.insert("x-sdk-date", HeaderValue::from_str(bad).unwrap());
        assert_eq!(run(&hdrs), Err(AkSkError::BadDate), "{bad}");
    }
    let mut hdrs = py_headers();
    hdrs.append("x-sdk-date", HeaderValue::from_static(DATE));
    assert_eq!(run(&hdrs), Err(AkSkError::BadDate));
}

#[test]
fn missing_signed_header_rejected() {
    let auth = parse_authorization(&py_auth(EX1_SIG)).unwrap();
    let path = ex1_path();
    let mut hdrs = py_headers();
    hdrs.remove("user-agent");
    assert_eq!(
        verify(&auth, SK, "GET", &path, EX1_QUERY, &hdrs, b"", at(DATE)),
        Err(AkSkError::MissingSignedHeader("user-agent".to_owned()))
    );
    let mut hdrs = py_headers();
    hdrs.append("host", HeaderValue::from_static("evil:80"));
    assert_eq!(
        verify(&auth, SK, "GET", &path, EX1_QUERY, &hdrs, b"", at(DATE)),
        Err(AkSkError::MissingSignedHeader("host".to_owned()))
    );
    // A name that is not even a valid header name.
    let hdrs = py_headers();
    assert_eq!(
        canonical_request("GET", "/", "", &hdrs, &signed("bad name"), b""),
        Err(AkSkError::MissingSignedHeader("bad name".to_owned()))
    );
}

#[test]
fn signed_header_lookup_is_case_insensitive() {
    let hdrs = py_headers();
    let upper = signed("Content-Type;HOST");
    let canonical = canonical_request("GET", "/", "", &hdrs, &upper, b"").unwrap();
    assert!(canonical.contains("\nContent-Type:application/json;charset=UTF-8\nHOST:127.0.0.1:8080\n\n"));
}

#[test]
fn header_values_are_trimmed_and_non_utf8_is_tolerated() {
    let mut hdrs = HeaderMap::new();
    hdrs.insert("x-a", HeaderValue::from_static("  v  "));
    hdrs.insert("x-b", HeaderValue::from_bytes(b"\xff\xfe").unwrap());
    let canonical = canonical_request("get", "/", "", &hdrs, &signed("x-a;x-b"), b"").unwrap();
    assert_eq!(
        canonical,
        format!("GET\n/\n\nx-a:v\nx-b:\u{ff}\u{fe}\n\nx-a;x-b\n{EMPTY_SHA256}")
    );
    // A non-UTF-8 X-Sdk-Date is a bad date, not a panic.
    hdrs.insert("x-sdk-date", HeaderValue::from_bytes(b"2024\xff").unwrap());
    let auth = parse_authorization(&py_auth(EX1_SIG)).unwrap();
    assert_eq!(
        verify(&auth, SK, "GET", "/", "", &hdrs, b"", at(DATE)),
        Err(AkSkError::BadDate)
    );
}

#[test]
fn malformed_authorization_rejected() {
    let sig = EX1_SIG;
    for bad in [
        String::new(),
        "SDK-HMAC-SHA256".to_owned(),
        format!("SDK-HMAC-SM3 Access={AK}, SignedHeaders=host, Signature={sig}"),
        format!("V11-HMAC-SHA256 Credential={AK}/20240102/r/s, SignedHeaders=host, Signature={sig}"),
        format!("sdk-hmac-sha256 Access={AK}, SignedHeaders=host, Signature={sig}"),
        format!("SDK-HMAC-SHA256 Access=, SignedHeaders=host, Signature={sig}"),
        format!("SDK-HMAC-SHA256 Access={AK},SignedHeaders=host, Signature={sig}"),
        format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders=, Signature={sig}"),
        format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders=a;;b, Signature={sig}"),
        format!(
            "SDK-HMAC-SHA256 Access={AK}, SignedHeaders=host, Signature={}",
            &sig[..63]
        ),
        format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders=host, Signature={sig}0"),
        format!(
            "SDK-HMAC-SHA256 Access={AK}, SignedHeaders=host, Signature={}",
            sig.to_uppercase()
        ),
        format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders=host, Signature={sig} "),
        format!("SDK-HMAC-SHA256 Access={AK}, Signature={sig}, SignedHeaders=host"),
        format!(
            "SDK-HMAC-SHA256 Access={AK}, SignedHeaders=host, Signature=é{}",
            &sig[2..]
        ),
        "Bearer abc".to_owned(),
    ] {
        assert_eq!(parse_authorization(&bad), Err(AkSkError::Malformed), "{bad}");
    }
}

#[test]
fn fuzzish_inputs_never_panic() {
    let paths = ["", "/", "%", "%%", "%f", "/%c3", "/\u{e9}", "//%2f%2F/", "/a%ZZb"];
    let queries = ["", "&", "=", "==", "%", "a=%", "%=%", "+=+", "a&a&a=&=a", "é=ü"];
    let hdrs = py_headers();
    let auth = parse_authorization(&py_auth(EX1_SIG)).unwrap();
    for p in paths {
        for q in queries {
            let _ = canonical_request("GET", p, q, &hdrs, &signed(PY_SIGNED), b"\xff\x00");
            let _ = verify(&auth, SK, "", p, q, &hdrs, b"", at(DATE));
        }
    }
    for s in [
        "",
        "SDK-HMAC-SHA256 Access=,,,",
        "SDK-HMAC-SHA256 Access=a, SignedHeaders=b, Signature=é",
    ] {
        let _ = parse_authorization(s);
    }
    assert_eq!(sign(b"", ""), sign(&[], ""));
    assert_eq!(sign(b"", "").len(), 64);
    assert_eq!(parse_sdk_date("é0240102T030405Z"), None);
}

#[test]
fn error_display_carries_times() {
    let e = AkSkError::Expired {
        signed_at: DATE.to_owned(),
        server_time: "20240102T040405Z".to_owned(),
    };
    assert_eq!(
        e.to_string(),
        "signature expired, signature time:20240102T030405Z,server time:20240102T040405Z"
    );
    assert_eq!(format_sdk_date(at(DATE)), DATE);
}
