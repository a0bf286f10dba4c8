//! Request bodies and query strings: content-type rules, JSON parsing and
//! typed field access with messages that name the field at fault.

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use super::Req;
use crate::domain::{ControlError, ControlResult};

/// Nova treats a missing, empty or `text/plain` content type as JSON and
/// refuses any other non-JSON type with 415.
pub fn check_content_type(req: &Req) -> ControlResult<()> {
    let ct = req
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let base = ct.split(';').next().unwrap_or("").trim();
    match base {
        "" | "text/plain" | "application/json" | "application/vnd.openstack.compute+json" => Ok(()),
        _ => Err(ControlError::UnsupportedMediaType),
    }
}

/// The body as a JSON object; empty or malformed bodies are 400.
pub fn json_object(req: &Req) -> ControlResult<Map<String, Value>> {
    check_content_type(req)?;
    if req.body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ControlError::bad_request_code(
            "Common.0002",
            "The request body cannot be left blank.",
        ));
    }
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ControlError::bad_request(
            "Malformed request body: the body must be a JSON object.",
        )),
        Err(e) => Err(ControlError::bad_request(format!("Malformed request body: {e}"))),
    }
}

/// Python-style rendering of a value, as Nova's validation messages show it.
pub fn py(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::String(s) => s.clone(),
        Value::Object(m) if m.is_empty() => "{}".into(),
        other => other.to_string(),
    }
}

pub fn invalid(field: &str, v: &Value, why: &str) -> ControlError {
    ControlError::bad_request(format!(
        "Invalid input for field/attribute {field}. Value: {}. {why}",
        py(v)
    ))
}

/// A required string field.
pub fn req_str(obj: &Map<String, Value>, parent: &str, key: &str) -> ControlResult<String> {
    match obj.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(v @ Value::String(_)) => Err(invalid(key, v, &format!("'{}' should be non-empty", py(v)))),
        Some(v) => Err(invalid(key, v, &format!("{} is not of type 'string'", py(v)))),
        None => Err(invalid(
            parent,
            &Value::Object(obj.clone()),
            &format!("'{key}' is a required property"),
        )),
    }
}

/// An optional string field (null counts as absent).
pub fn opt_str(obj: &Map<String, Value>, key: &str) -> ControlResult<Option<String>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(invalid(key, v, &format!("{} is not of type 'string'", py(v)))),
    }
}

pub fn opt_bool(obj: &Map<String, Value>, key: &str) -> ControlResult<Option<bool>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(v) => Err(invalid(key, v, &format!("{} is not of type 'boolean'", py(v)))),
    }
}

pub fn opt_int(obj: &Map<String, Value>, key: &str) -> ControlResult<Option<i64>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
        Some(Value::String(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| invalid(key, &Value::String(s.clone()), "is not of type 'integer'")),
        Some(v) => Err(invalid(key, v, &format!("{} is not of type 'integer'", py(v)))),
    }
}

/// An optional object field.
pub fn opt_obj<'a>(obj: &'a Map<String, Value>, key: &str) -> ControlResult<Option<&'a Map<String, Value>>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(v) => Err(invalid(key, v, &format!("{} is not of type 'object'", py(v)))),
    }
}

/// Refuses keys outside `allowed` (Nova's `additionalProperties: false`).
pub fn only_keys(obj: &Map<String, Value>, allowed: &[&str]) -> ControlResult<()> {
    let extra: Vec<&String> = obj.keys().filter(|k| !allowed.contains(&k.as_str())).collect();
    if extra.is_empty() {
        return Ok(());
    }
    let list = extra.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(", ");
    let verb = if extra.len() == 1 { "was" } else { "were" };
    Err(ControlError::bad_request(format!(
        "Additional properties are not allowed ({list} {verb} unexpected)"
    )))
}

/// A map of string to string (metadata).
pub fn string_map(v: &Value, key: &str) -> ControlResult<std::collections::BTreeMap<String, String>> {
    let Value::Object(m) = v else {
        return Err(invalid(key, v, &format!("{} is not of type 'object'", py(v))));
    };
    let mut out = std::collections::BTreeMap::new();
    for (k, val) in m {
        if k.is_empty() || k.len() > 255 {
            return Err(invalid(key, v, "metadata keys must be 1-255 characters"));
        }
        match val {
            Value::String(s) if s.len() <= 255 => {
                out.insert(k.clone(), s.clone());
            }
            other => {
                return Err(invalid(
                    k,
                    other,
                    "metadata values must be strings of at most 255 characters",
                ))
            }
        }
    }
    Ok(out)
}

/// Decodes `a=1&b=x%20y` into pairs (`+` is a space in query strings).
pub fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| {
                percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect()
}

// ---------------------------------------------------------------- bodies as structs
//
// A dialect reads a body into a struct with one `Option<Value>` per key it
// knows (serde names the keys), then checks each field in the order and with
// the messages of the JSON schema it copies.

/// For `#[serde(default, deserialize_with = "present")]`: a key given as
/// `null` reads as `Some(Value::Null)`, not as an absent key.
pub fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    <Value as serde::Deserialize>::deserialize(d).map(Some)
}

/// The struct `T` read from an object (its other keys are ignored here).
pub fn fields<T: serde::de::DeserializeOwned>(v: &Value) -> ControlResult<T> {
    <T as serde::Deserialize>::deserialize(v)
        .map_err(|e| ControlError::bad_request(format!("Malformed request body: {e}")))
}

/// The object at `key`, or the schema's type error naming it.
pub fn object<'a>(key: &str, v: &'a Value) -> ControlResult<&'a Map<String, Value>> {
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(wrong_type(key, v, "'object'")),
    }
}

/// `<value> is not of type <types>` (`types` as the schema lists them).
pub fn wrong_type(key: &str, v: &Value, types: &str) -> ControlError {
    invalid(key, v, &format!("{} is not of type {types}", py(v)))
}

/// A required key missing from `parent` (whose value the message shows).
pub fn missing(parent: &str, parent_value: &Value, key: &str) -> ControlError {
    invalid(parent, parent_value, &format!("'{key}' is a required property"))
}

/// An optional string field of a struct-read body (null counts as absent).
pub fn string_field(key: &str, v: Option<&Value>) -> ControlResult<Option<String>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(wrong_type(key, v, "'string'")),
    }
}

// ---------------------------------------------------------------- typed bodies

/// Reads an object whose fields were already checked with the functions
/// above into its typed form. The checks give the messages; a failure here
/// means a check let through what the type refuses.
pub fn typed<T: serde::de::DeserializeOwned>(obj: &Map<String, Value>) -> ControlResult<T> {
    serde_json::from_value(Value::Object(obj.clone()))
        .map_err(|e| ControlError::bad_request(format!("Malformed request body: {e}")))
}

/// A field read with one of the checkers above, so that a typed body takes
/// exactly what the checker takes (`"true"` for a boolean, `"40"` for an integer).
fn read_with<'de, D, T>(
    d: D,
    check: fn(&Map<String, Value>, &str) -> ControlResult<Option<T>>,
) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize as _;
    let field = Map::from_iter([(String::new(), Value::deserialize(d)?)]);
    check(&field, "").map_err(serde::de::Error::custom)
}

/// `#[serde(default, deserialize_with = "lenient_bool")]`: as [`opt_bool`].
pub fn lenient_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    read_with(d, opt_bool)
}

/// `#[serde(default, deserialize_with = "lenient_int")]`: as [`opt_int`].
pub fn lenient_int<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    read_with(d, opt_int)
}

/// `#[serde(default, deserialize_with = "list_or_empty")]`: a list, where
/// anything else counts as no list at all.
pub fn list_or_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::Deserialize as _;
    match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .map(serde_json::from_value)
            .collect::<Result<_, _>>()
            .map_err(serde::de::Error::custom),
        _ => Ok(Vec::new()),
    }
}
