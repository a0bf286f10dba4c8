//! The create body, `{"server": {...}, "os:scheduler_hints": {...}}`, read
//! into a [`CreateSpec`] with Nova's messages. Unknown keys are ignored.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::body::{self, fields, invalid, missing, present, py, string_field, wrong_type};
use crate::api::microversion::Microversion;
use crate::control::service::{CreateSpec, NicSpec, VolumeSpec};
use crate::domain::DEFAULT_SUBNET_ID;
use crate::domain::{is_uuid, ControlError, ControlResult};

/// The root volume's size when the image asks for less.
const MIN_ROOT_GB: i64 = 40;

#[derive(Deserialize)]
pub(super) struct CreateBody {
    #[serde(default, deserialize_with = "present")]
    server: Option<Value>,
    #[serde(default, rename = "os:scheduler_hints", deserialize_with = "present")]
    scheduler_hints: Option<Value>,
    /// The older name of the hints; `os:scheduler_hints` wins.
    #[serde(default, rename = "OS-SCH-HNT:scheduler_hints", deserialize_with = "present")]
    scheduler_hints_legacy: Option<Value>,
}

/// The fields create and rebuild share: the image, and what the server
/// carries from it.
#[derive(Deserialize)]
pub(super) struct ServerFields {
    #[serde(default, rename = "imageRef", deserialize_with = "present")]
    pub image_ref: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub name: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub metadata: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub key_name: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub user_data: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub description: Option<Value>,
    #[serde(default, rename = "adminPass", deserialize_with = "present")]
    pub admin_pass: Option<Value>,
}

#[derive(Deserialize)]
struct ServerBody {
    #[serde(flatten)]
    shared: ServerFields,
    #[serde(default, rename = "flavorRef", deserialize_with = "present")]
    flavor_ref: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    networks: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    min_count: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    tags: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    availability_zone: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    security_groups: Option<Value>,
}

/// A checked create request.
pub(super) struct NewServer {
    pub spec: CreateSpec,
    /// The password given, or a generated one.
    pub admin_pass: String,
}

impl CreateBody {
    /// Checks the body; `image_min_disk_gb` sizes the root volume.
    pub fn into_new_server(
        self,
        mv: Microversion,
        image_min_disk_gb: impl Fn(&str) -> i64,
    ) -> ControlResult<NewServer> {
        let raw = self
            .server
            .ok_or_else(|| ControlError::bad_request("'server' is a required property"))?;
        body::object("server", &raw)?;
        let s: ServerBody = fields(&raw)?;
        let shared = s.shared;
        let name = match shared.name {
            Some(Value::String(n)) if !n.is_empty() => n,
            Some(v @ Value::String(_)) => {
                return Err(invalid("name", &v, &format!("'{}' should be non-empty", py(&v))))
            }
            Some(v) => return Err(wrong_type("name", &v, "'string'")),
            None => return Err(missing("server", &raw, "name")),
        };
        check_name(&name)?;
        let image_id = match &shared.image_ref {
            Some(Value::String(i)) => last_segment(i),
            _ => {
                return Err(ControlError::bad_request(
                    "Block device mapping is not supported: give imageRef.",
                ))
            }
        };
        let flavor_id = match &s.flavor_ref {
            Some(Value::String(f)) => last_segment(f),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(missing("server", &raw, "flavorRef")),
        };
        let nics = match s.networks {
            None if mv.at_least(37) => return Err(missing("server", &raw, "networks")),
            n => nics(n)?,
        };
        let metadata = match &shared.metadata {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(v) => body::string_map(v, "metadata")?,
        };
        let count = s.min_count.as_ref().and_then(Value::as_i64).unwrap_or(1);
        let tags = match &s.tags {
            Some(Value::Array(t)) => t.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            _ => Vec::new(),
        };
        let dedicated = self
            .scheduler_hints
            .or(self.scheduler_hints_legacy)
            .and_then(|h| h.get("dedicated_host_id").and_then(Value::as_str).map(str::to_string));
        let min_disk = image_min_disk_gb(&image_id);
        let spec = CreateSpec {
            name,
            image_id,
            flavor_id,
            count,
            vpc_id: None,
            nics,
            security_groups: security_groups(s.security_groups)?,
            root_volume: VolumeSpec {
                volume_type: "SSD".into(),
                size_gb: min_disk.max(MIN_ROOT_GB),
                delete_on_termination: true,
            },
            data_volumes: Vec::new(),
            availability_zone: string_field("availability_zone", s.availability_zone.as_ref())?
                .map(|z| z.split(':').next().unwrap_or_default().to_string()),
            key_name: string_field("key_name", shared.key_name.as_ref())?,
            user_data: string_field("user_data", shared.user_data.as_ref())?,
            metadata,
            tags,
            description: string_field("description", shared.description.as_ref())?.unwrap_or_default(),
            dedicated_host_id: dedicated,
            auto_rename: true,
        };
        let admin_pass = admin_pass(shared.admin_pass.as_ref())?;
        Ok(NewServer { spec, admin_pass })
    }
}

/// A server name: 1-255 characters, no leading or trailing spaces.
pub(super) fn check_name(name: &str) -> ControlResult<()> {
    if name.is_empty() || name.trim() != name || name.chars().count() > 255 {
        return Err(invalid(
            "name",
            &json!(name),
            "must be 1-255 characters without leading or trailing spaces",
        ));
    }
    Ok(())
}

/// The `adminPass` given, or a generated one.
pub(super) fn admin_pass(v: Option<&Value>) -> ControlResult<String> {
    Ok(string_field("adminPass", v)?.unwrap_or_else(|| crate::control::identity::random_secret(9)))
}

/// The id at the end of a reference that may be a URL.
fn last_segment(reference: &str) -> String {
    reference.rsplit('/').next().unwrap_or_default().to_string()
}

/// `networks`: absent or `auto` (the default network), `none`, or a list of
/// network uuids with an optional fixed IP.
fn nics(networks: Option<Value>) -> ControlResult<Vec<NicSpec>> {
    let mut nics = Vec::new();
    match networks {
        None | Some(Value::Null) => nics.push(default_nic()),
        Some(Value::String(a)) if a == "auto" => nics.push(default_nic()),
        Some(Value::String(a)) if a == "none" => {}
        Some(Value::Array(items)) => {
            for n in items {
                if let Some(port) = n.get("port").and_then(Value::as_str) {
                    if !is_uuid(port) {
                        return Err(ControlError::bad_request(format!(
                            "Bad networks format: port uuid is not in proper format ({port})"
                        )));
                    }
                    nics.push(NicSpec {
                        network_id: String::new(),
                        ip_address: None,
                        port_id: Some(port.to_string()),
                    });
                    continue;
                }
                let uuid = n.get("uuid").and_then(Value::as_str);
                let Some(net) = uuid else {
                    return Err(ControlError::bad_request("Each network needs a uuid or a port."));
                };
                if !is_uuid(net) {
                    return Err(ControlError::bad_request(format!(
                        "Bad networks format: network uuid is not in proper format ({net})"
                    )));
                }
                nics.push(NicSpec {
                    network_id: net.to_string(),
                    ip_address: n.get("fixed_ip").and_then(Value::as_str).map(str::to_string),
                    port_id: None,
                });
            }
        }
        Some(v) => return Err(invalid("networks", &v, "must be 'auto', 'none' or a list")),
    }
    Ok(nics)
}

fn default_nic() -> NicSpec {
    NicSpec {
        network_id: DEFAULT_SUBNET_ID.into(),
        ip_address: None,
        port_id: None,
    }
}

/// `security_groups`: a list of `{"name": ...}` (a name or an id).
fn security_groups(v: Option<Value>) -> ControlResult<Vec<String>> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|g| match g.get("name") {
                Some(Value::String(n)) if !n.is_empty() => Ok(n.clone()),
                _ => Err(invalid("security_groups", g, "each group needs a non-empty 'name'")),
            })
            .collect(),
        Some(v) => Err(wrong_type("security_groups", &v, "'array'")),
    }
}
