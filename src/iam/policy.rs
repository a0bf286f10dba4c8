//! The policy document model and its validation.
//!
//! Two versions are accepted:
//! - `"1.1"`, fine-grained policies: `Effect`, `Action`, optional `Resource`
//!   and `Condition` per statement.
//! - `"1.0"`, legacy coarse roles: statements carry `Action` and optionally
//!   `Effect` (default `Allow`), never `Resource` or `Condition`; the document
//!   may list the roles it depends on under `Depends`. The engine does not
//!   follow `Depends`: whoever grants a role grants its dependencies too.
//!
//! Custom policies are created in `1.1` only; that rule belongs to the
//! management API, which checks [`PolicyDocument::version`] after validation.
//! Errors name the JSON path of the fault (`Statement[2].Condition.Bool`);
//! an empty path means the document itself.

use std::fmt;

use serde_json::{Map, Value};

use super::condition::{check_key, Operator};

/// Statements per custom policy.
pub const MAX_STATEMENTS: usize = 8;
/// Actions per statement.
pub const MAX_ACTIONS: usize = 100;
/// Resources per statement.
pub const MAX_RESOURCES: usize = 10;
/// Characters per resource.
pub const MAX_RESOURCE_LEN: usize = 128;
/// Condition operator-key pairs per statement.
pub const MAX_CONDITIONS: usize = 10;

/// The limits a document is validated against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub statements: usize,
    pub actions: usize,
    pub resources: usize,
    pub resource_len: usize,
    pub conditions: usize,
}

impl Limits {
    /// The limits IAM puts on custom policies.
    pub const CUSTOM: Limits = Limits {
        statements: MAX_STATEMENTS,
        actions: MAX_ACTIONS,
        resources: MAX_RESOURCES,
        resource_len: MAX_RESOURCE_LEN,
        conditions: MAX_CONDITIONS,
    };

    /// Built-in system policies and roles are data written by us and may be
    /// longer than a custom policy; only the grammar is checked.
    pub const BUILT_IN: Limits = Limits {
        statements: usize::MAX,
        actions: usize::MAX,
        resources: usize::MAX,
        resource_len: usize::MAX,
        conditions: usize::MAX,
    };
}

/// Why a document was refused, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// JSON path of the fault, such as `Statement[2].Condition.StringEquals`.
    pub path: String,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for PolicyError {}

fn error(path: impl Into<String>, message: impl Into<String>) -> PolicyError {
    PolicyError {
        path: path.into(),
        message: message.into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// `"1.0"`: legacy coarse role.
    V1_0,
    /// `"1.1"`: fine-grained policy.
    V1_1,
}

impl Version {
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V1_0 => "1.0",
            Version::V1_1 => "1.1",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Effect {
    Allow,
    Deny,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// A validated policy or role.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    pub version: Version,
    pub statements: Vec<Statement>,
    /// Roles this legacy role needs beside it (`1.0` only).
    pub depends: Vec<Dependency>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub catalog: String,
    pub display_name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub effect: Effect,
    pub actions: Vec<String>,
    /// `None`: the statement applies to every resource.
    pub resources: Option<Vec<String>>,
    pub conditions: Vec<Condition>,
}

/// One operator-key pair with its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub operator: Operator,
    pub key: String,
    pub values: Vec<String>,
}

/// Validates a custom policy (limits of [`Limits::CUSTOM`]).
pub fn validate(doc: &Value) -> Result<PolicyDocument, PolicyError> {
    validate_with_limits(doc, &Limits::CUSTOM)
}

/// Validates a document against the given limits.
pub fn validate_with_limits(doc: &Value, limits: &Limits) -> Result<PolicyDocument, PolicyError> {
    let obj = doc
        .as_object()
        .ok_or_else(|| error("", "a policy must be a JSON object"))?;
    for key in obj.keys() {
        if !matches!(key.as_str(), "Version" | "Statement" | "Depends") {
            return Err(error(
                key.as_str(),
                "unknown key; expected Version, Statement (and Depends in Version 1.0 roles)",
            ));
        }
    }
    let version = match obj.get("Version") {
        None => return Err(error("Version", "is required")),
        Some(Value::String(v)) if v == "1.1" => Version::V1_1,
        Some(Value::String(v)) if v == "1.0" => Version::V1_0,
        Some(_) => return Err(error("Version", "must be \"1.1\" (or \"1.0\" for legacy roles)")),
    };
    let depends = match obj.get("Depends") {
        None => Vec::new(),
        Some(_) if version == Version::V1_1 => {
            return Err(error("Depends", "is only allowed in Version 1.0 roles"));
        }
        Some(d) => parse_depends(d)?,
    };
    let statements = match obj.get("Statement") {
        None => return Err(error("Statement", "is required")),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(error("Statement", "must be an array")),
    };
    if statements.is_empty() {
        return Err(error("Statement", "must contain at least one statement"));
    }
    if statements.len() > limits.statements {
        return Err(error(
            "Statement",
            format!(
                "at most {} statements are allowed, got {}",
                limits.statements,
                statements.len()
            ),
        ));
    }
    let statements = statements
        .iter()
        .enumerate()
        .map(|(i, s)| parse_statement(&format!("Statement[{i}]"), s, version, limits))
        .collect::<Result<_, _>>()?;
    Ok(PolicyDocument {
        version,
        statements,
        depends,
    })
}

fn parse_depends(value: &Value) -> Result<Vec<Dependency>, PolicyError> {
    let items = value.as_array().ok_or_else(|| error("Depends", "must be an array"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("Depends[{i}]");
            let obj = item
                .as_object()
                .ok_or_else(|| error(&path, "must be an object with catalog and display_name"))?;
            for key in obj.keys() {
                if !matches!(key.as_str(), "catalog" | "display_name") {
                    return Err(error(
                        format!("{path}.{key}"),
                        "unknown key; expected catalog, display_name",
                    ));
                }
            }
            let field = |name: &str| {
                obj.get(name)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .ok_or_else(|| error(format!("{path}.{name}"), "must be a non-empty string"))
            };
            Ok(Dependency {
                catalog: field("catalog")?,
                display_name: field("display_name")?,
            })
        })
        .collect()
}

fn parse_statement(path: &str, value: &Value, version: Version, limits: &Limits) -> Result<Statement, PolicyError> {
    let obj = value
        .as_object()
        .ok_or_else(|| error(path, "a statement must be an object"))?;
    for key in obj.keys() {
        let known = match version {
            Version::V1_1 => matches!(key.as_str(), "Effect" | "Action" | "Resource" | "Condition"),
            Version::V1_0 => matches!(key.as_str(), "Effect" | "Action"),
        };
        if !known {
            let expected = match version {
                Version::V1_1 => "unknown key; expected Effect, Action, Resource, Condition",
                Version::V1_0 => "unknown key; Version 1.0 statements take Effect and Action only",
            };
            return Err(error(format!("{path}.{key}"), expected));
        }
    }
    let effect = match obj.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(_) => return Err(error(format!("{path}.Effect"), "must be \"Allow\" or \"Deny\"")),
        None if version == Version::V1_0 => Effect::Allow,
        None => return Err(error(format!("{path}.Effect"), "is required")),
    };
    let actions = parse_actions(&format!("{path}.Action"), obj.get("Action"), limits)?;
    let resources = match obj.get("Resource") {
        None => None,
        Some(r) => Some(parse_resources(&format!("{path}.Resource"), r, limits)?),
    };
    let conditions = match obj.get("Condition") {
        None => Vec::new(),
        Some(c) => parse_conditions(&format!("{path}.Condition"), c, limits)?,
    };
    Ok(Statement {
        effect,
        actions,
        resources,
        conditions,
    })
}

fn string_array<'a>(path: &str, value: &'a Value, what: &str) -> Result<&'a Vec<Value>, PolicyError> {
    match value {
        Value::Array(items) if items.is_empty() => Err(error(path, format!("must list at least one {what}"))),
        Value::Array(items) => Ok(items),
        _ => Err(error(path, format!("must be an array of {what}s"))),
    }
}

fn parse_actions(path: &str, value: Option<&Value>, limits: &Limits) -> Result<Vec<String>, PolicyError> {
    let value = value.ok_or_else(|| error(path, "is required"))?;
    let items = string_array(path, value, "action")?;
    if items.len() > limits.actions {
        return Err(error(
            path,
            format!("at most {} actions are allowed, got {}", limits.actions, items.len()),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("{path}[{i}]");
            let action = item.as_str().ok_or_else(|| error(&path, "must be a string"))?;
            check_action(action).map_err(|m| error(&path, m))?;
            Ok(action.to_string())
        })
        .collect()
}

/// `service:resourceType:operation`; the service part is lower-case letters
/// and digits, the others letters, digits, `_` and `-`; `*` and `?` anywhere.
pub(crate) fn check_action(action: &str) -> Result<(), String> {
    let parts: Vec<&str> = action.split(':').collect();
    let [service, resource_type, operation] = parts[..] else {
        return Err(format!(
            "\"{action}\" must have the form service:resourceType:operation"
        ));
    };
    let wild = |b: u8| b == b'*' || b == b'?';
    if service.is_empty()
        || !service
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || wild(b))
    {
        return Err(format!(
            "\"{action}\": the service part must be lower-case letters, digits or wildcards"
        ));
    }
    for part in [resource_type, operation] {
        if part.is_empty()
            || !part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-') || wild(b))
        {
            return Err(format!(
                "\"{action}\": resource type and operation must be letters, digits, _, - or wildcards"
            ));
        }
    }
    Ok(())
}

fn parse_resources(path: &str, value: &Value, limits: &Limits) -> Result<Vec<String>, PolicyError> {
    let items = string_array(path, value, "resource")?;
    if items.len() > limits.resources {
        return Err(error(
            path,
            format!(
                "at most {} resources are allowed, got {}",
                limits.resources,
                items.len()
            ),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("{path}[{i}]");
            let resource = item.as_str().ok_or_else(|| error(&path, "must be a string"))?;
            if resource.chars().count() > limits.resource_len {
                return Err(error(
                    &path,
                    format!("a resource is at most {} characters long", limits.resource_len),
                ));
            }
            check_resource(resource).map_err(|m| error(&path, m))?;
            Ok(resource.to_string())
        })
        .collect()
}

/// `*`, or `service:region:domainId:resourceType:resourcePath` with five
/// non-empty parts; `*` and `?` allowed in every part.
pub(crate) fn check_resource(resource: &str) -> Result<(), String> {
    if resource == "*" {
        return Ok(());
    }
    let parts: Vec<&str> = resource.split(':').collect();
    if parts.len() != 5 || parts.iter().any(|p| p.is_empty()) {
        return Err(format!(
            "\"{resource}\" must have the form service:region:domainId:resourceType:resourcePath"
        ));
    }
    if !parts[0]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'*' || b == b'?')
    {
        return Err(format!(
            "\"{resource}\": the service part must be letters, digits or wildcards"
        ));
    }
    if resource.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("\"{resource}\" must not contain spaces or control characters"));
    }
    Ok(())
}

fn parse_conditions(path: &str, value: &Value, limits: &Limits) -> Result<Vec<Condition>, PolicyError> {
    let operators = value
        .as_object()
        .ok_or_else(|| error(path, "must be an object of operators"))?;
    let mut conditions = Vec::new();
    for (name, keys) in operators {
        let op_path = format!("{path}.{name}");
        let operator = Operator::parse(name).map_err(|m| error(&op_path, m))?;
        let keys = match keys {
            Value::Object(keys) if !keys.is_empty() => keys,
            _ => return Err(error(&op_path, "must be an object of condition keys to values")),
        };
        for (key, values) in keys {
            let key_path = format!("{op_path}.{key}");
            check_key(key).map_err(|m| error(&key_path, m))?;
            let values = condition_values(&key_path, values, operator)?;
            conditions.push(Condition {
                operator,
                key: key.clone(),
                values,
            });
        }
    }
    if conditions.len() > limits.conditions {
        return Err(error(
            path,
            format!(
                "at most {} conditions (operator-key pairs) are allowed, got {}",
                limits.conditions,
                conditions.len()
            ),
        ));
    }
    Ok(conditions)
}

/// An array of strings, or a single string.
fn condition_values(path: &str, value: &Value, operator: Operator) -> Result<Vec<String>, PolicyError> {
    let single;
    let items: &[Value] = match value {
        Value::String(_) => {
            single = [value.clone()];
            &single
        }
        Value::Array(items) if !items.is_empty() => items,
        _ => return Err(error(path, "must be a string or a non-empty array of strings")),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let item_path = format!("{path}[{i}]");
            let s = item.as_str().ok_or_else(|| error(&item_path, "must be a string"))?;
            operator.test.check_value(s).map_err(|m| error(&item_path, m))?;
            Ok(s.to_string())
        })
        .collect()
}

impl PolicyDocument {
    /// The document as JSON, in the shape [`validate`] accepts.
    pub fn to_json(&self) -> Value {
        let statements = self
            .statements
            .iter()
            .map(|s| {
                let mut obj = Map::new();
                obj.insert("Effect".into(), s.effect.as_str().into());
                obj.insert("Action".into(), s.actions.clone().into());
                if let Some(r) = &s.resources {
                    obj.insert("Resource".into(), r.clone().into());
                }
                if !s.conditions.is_empty() {
                    let mut ops = Map::new();
                    for c in &s.conditions {
                        let keys = ops
                            .entry(c.operator.to_string())
                            .or_insert_with(|| Value::Object(Map::new()));
                        if let Value::Object(keys) = keys {
                            keys.insert(c.key.clone(), c.values.clone().into());
                        }
                    }
                    obj.insert("Condition".into(), Value::Object(ops));
                }
                Value::Object(obj)
            })
            .collect::<Vec<_>>();
        let mut doc = Map::new();
        doc.insert("Version".into(), self.version.as_str().into());
        doc.insert("Statement".into(), statements.into());
        if !self.depends.is_empty() {
            let depends = self
                .depends
                .iter()
                .map(|d| serde_json::json!({"catalog": d.catalog, "display_name": d.display_name}))
                .collect::<Vec<_>>();
            doc.insert("Depends".into(), depends.into());
        }
        Value::Object(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_through_json() {
        let doc = json!({"Version": "1.1", "Statement": [{
            "Effect": "Deny",
            "Action": ["ecs:cloudServers:resize", "ecs:*:get*"],
            "Resource": ["ECS:*:*:instance:abc"],
            "Condition": {"StringEqualsIgnoreCase": {"g:ResourceTag/team": ["dev"]},
                          "Bool": {"g:MFAPresent": "true"}}}]});
        let parsed = validate(&doc).unwrap();
        assert_eq!(validate(&parsed.to_json()).unwrap(), parsed);
        assert_eq!(parsed.statements[0].conditions.len(), 2);
    }

    #[test]
    fn actions() {
        assert!(check_action("ecs:cloudServers:resize").is_ok());
        assert!(check_action("*:*:*").is_ok());
        assert!(check_action("ecs:*:get*").is_ok());
        assert!(check_action("ecs:server-groups:get_x").is_ok());
        assert!(check_action("ECS:servers:get").is_err());
        assert!(check_action("ecs:servers").is_err());
        assert!(check_action("ecs:servers:get:x").is_err());
        assert!(check_action("ecs::get").is_err());
        assert!(check_action("ecs:serv ers:get").is_err());
    }

    #[test]
    fn resources() {
        assert!(check_resource("*").is_ok());
        assert!(check_resource("ECS:*:*:instance:*").is_ok());
        assert!(check_resource("obs:*:*:object:bucket/dir/file").is_ok());
        assert!(check_resource("ECS:*:*:instance").is_err());
        assert!(check_resource("ECS:*::instance:x").is_err());
        assert!(check_resource("ECS:*:*:instance:a:b").is_err());
    }
}
