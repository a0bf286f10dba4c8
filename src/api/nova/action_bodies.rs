//! The bodies of `POST /servers/{server_id}/action`: one struct per action,
//! each read into the typed input of its workflow with the messages of
//! Nova's v2.1 JSON schema. Where that schema refuses unknown keys
//! (`additionalProperties: false`) the v2.1 routes refuse them too; the
//! legacy `/v2/` routes let them pass.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::is_legacy;
use super::server_body::{admin_pass, check_name, ServerFields};
use crate::api::body::{self, fields, invalid, missing, only_keys, present, py, string_field, wrong_type};
use crate::api::microversion::Microversion;
use crate::api::Req;
use crate::control::workflows::{LockInput, RebootInput, RebuildInput, ResizeInput, StopInput, WorkInput};
use crate::domain::{is_uuid, ControlError, ControlResult};

/// A checked action body.
pub(super) enum ActionRequest {
    /// An action answered with an empty body.
    Plain(WorkInput),
    /// A rebuild, answered with the server as it begins and its password.
    Rebuild { input: RebuildInput, admin_pass: String },
}

impl ActionRequest {
    /// The workflow input the action runs with.
    pub fn input(&self) -> WorkInput {
        match self {
            ActionRequest::Plain(input) => input.clone(),
            ActionRequest::Rebuild { input, .. } => WorkInput::Rebuild(input.clone()),
        }
    }
}

pub(super) fn no_such_action(key: &str) -> ControlError {
    ControlError::bad_request(format!("There is no such action: {key}"))
}

/// Reads the body `{key: value}` of one action; an unknown key is refused.
pub(super) fn parse(key: &str, value: &Value, req: &Req) -> ControlResult<ActionRequest> {
    // The keys a strict schema allows, checked on the v2.1 routes only.
    let strict = |m: &Map<String, Value>, allowed: &[&str]| {
        if is_legacy(req) {
            Ok(())
        } else {
            only_keys(m, allowed)
        }
    };
    let input = match key {
        "os-start" => WorkInput::Start,
        "os-stop" => WorkInput::Stop(StopBody::read(value)?.into_input()),
        "reboot" => {
            let m = body::object(key, value)?;
            let input = fields::<RebootBody>(value)?.into_input(value)?;
            strict(m, RebootBody::KEYS)?;
            WorkInput::Reboot(input)
        }
        "resize" => {
            let m = body::object(key, value)?;
            let input = fields::<ResizeBody>(value)?.into_input(value)?;
            strict(m, ResizeBody::KEYS)?;
            WorkInput::Resize(input)
        }
        "confirmResize" => WorkInput::ConfirmResize,
        "revertResize" => WorkInput::RevertResize,
        "rebuild" => {
            let m = body::object(key, value)?;
            strict(m, &RebuildBody::keys(req.mv))?;
            let (input, admin_pass) = fields::<RebuildBody>(value)?.into_input(value)?;
            return Ok(ActionRequest::Rebuild { input, admin_pass });
        }
        "lock" => WorkInput::Lock(LockBody::read(value, req.mv)?),
        "unlock" => WorkInput::Unlock,
        other => return Err(no_such_action(other)),
    };
    Ok(ActionRequest::Plain(input))
}

/// `os-stop`: Huawei's optional `{"type": "SOFT"|"HARD"}`; stock Nova
/// ignores the value, whatever it is.
#[derive(Deserialize, Default)]
struct StopBody {
    #[serde(default, deserialize_with = "present")]
    r#type: Option<Value>,
}

impl StopBody {
    fn read(value: &Value) -> ControlResult<StopBody> {
        match value {
            Value::Object(_) => fields(value),
            _ => Ok(StopBody::default()),
        }
    }

    fn into_input(self) -> StopInput {
        let hard = self
            .r#type
            .as_ref()
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("HARD"));
        StopInput { hard }
    }
}

/// `reboot`: `{"type": "HARD"|"SOFT"}` in one of three spellings.
#[derive(Deserialize)]
struct RebootBody {
    #[serde(default, deserialize_with = "present")]
    r#type: Option<Value>,
}

impl RebootBody {
    const KEYS: &'static [&'static str] = &["type"];
    const TYPES: [&'static str; 6] = ["HARD", "Hard", "hard", "SOFT", "Soft", "soft"];

    fn into_input(self, raw: &Value) -> ControlResult<RebootInput> {
        let hard = match &self.r#type {
            Some(Value::String(t)) if Self::TYPES.contains(&t.as_str()) => t.eq_ignore_ascii_case("HARD"),
            Some(v) => {
                return Err(invalid(
                    "type",
                    v,
                    &format!(
                        "'{}' is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']",
                        py(v)
                    ),
                ))
            }
            None => return Err(missing("reboot", raw, "type")),
        };
        Ok(RebootInput { hard })
    }
}

/// `resize`: the new flavor, and a disk config ecsd accepts and ignores.
#[derive(Deserialize)]
struct ResizeBody {
    #[serde(default, rename = "flavorRef", deserialize_with = "present")]
    flavor_ref: Option<Value>,
    #[serde(default, rename = "OS-DCF:diskConfig", deserialize_with = "present")]
    disk_config: Option<Value>,
}

impl ResizeBody {
    /// Huawei adds `dedicated_host_id` for servers on a DeH.
    const KEYS: &'static [&'static str] = &["flavorRef", "OS-DCF:diskConfig", "dedicated_host_id"];

    fn into_input(self, raw: &Value) -> ControlResult<ResizeInput> {
        let flavor_id = match self.flavor_ref {
            Some(Value::String(f)) if !f.is_empty() => f,
            Some(Value::Number(n)) => n.to_string(),
            Some(v @ Value::String(_)) => return Err(invalid("flavorRef", &v, "'' should be non-empty")),
            Some(v) => return Err(wrong_type("flavorRef", &v, "'string', 'integer'")),
            None => return Err(missing("resize", raw, "flavorRef")),
        };
        if let Some(dc) = &self.disk_config {
            if dc != "AUTO" && dc != "MANUAL" {
                return Err(invalid(
                    "OS-DCF:diskConfig",
                    dc,
                    &format!("'{}' is not one of ['AUTO', 'MANUAL']", py(dc)),
                ));
            }
        }
        Ok(ResizeInput { flavor_id })
    }
}

/// `rebuild`: the new image, and what else the server may change with it.
#[derive(Deserialize)]
#[serde(transparent)]
struct RebuildBody(ServerFields);

impl RebuildBody {
    /// The keys the schema allows at microversion `mv`.
    fn keys(mv: Microversion) -> Vec<&'static str> {
        let mut allowed = vec![
            "imageRef",
            "name",
            "adminPass",
            "metadata",
            "preserve_ephemeral",
            "OS-DCF:diskConfig",
            "accessIPv4",
            "accessIPv6",
        ];
        if !mv.at_least(57) {
            allowed.push("personality");
        }
        if mv.at_least(19) {
            allowed.push("description");
        }
        if mv.at_least(54) {
            allowed.push("key_name");
        }
        if mv.at_least(57) {
            allowed.push("user_data");
        }
        if mv.at_least(63) {
            allowed.push("trusted_image_certificates");
        }
        if mv.at_least(90) {
            allowed.push("hostname");
        }
        allowed
    }

    /// The input and the admin password (given or generated).
    fn into_input(self, raw: &Value) -> ControlResult<(RebuildInput, String)> {
        let RebuildBody(shared) = self;
        let image_id = match shared.image_ref {
            Some(Value::String(i)) if is_uuid(&i) => i,
            Some(v) => return Err(invalid("imageRef", &v, &format!("'{}' is not a 'uuid'", py(&v)))),
            None => return Err(missing("rebuild", raw, "imageRef")),
        };
        let rename = string_field("name", shared.name.as_ref())?;
        if let Some(n) = &rename {
            check_name(n)?;
        }
        let metadata = match &shared.metadata {
            Some(md) => Some(body::string_map(md, "metadata")?),
            None => None,
        };
        // A field given as anything but a string clears it.
        let clearable = |v: Option<Value>| v.map(|v| v.as_str().map(str::to_string));
        let input = RebuildInput {
            image_id,
            rename,
            metadata,
            key_name: clearable(shared.key_name),
            user_data: clearable(shared.user_data),
            description: clearable(shared.description),
        };
        Ok((input, admin_pass(shared.admin_pass.as_ref())?))
    }
}

/// `lock`: from 2.73 `null` or `{"locked_reason": "..."}`; before, any value.
#[derive(Deserialize)]
struct LockBody {
    #[serde(default, deserialize_with = "present")]
    locked_reason: Option<Value>,
}

impl LockBody {
    const KEYS: &'static [&'static str] = &["locked_reason"];

    fn read(value: &Value, mv: Microversion) -> ControlResult<LockInput> {
        if !mv.at_least(73) {
            return Ok(LockInput::default());
        }
        match value {
            Value::Null => Ok(LockInput::default()),
            Value::Object(m) => {
                only_keys(m, Self::KEYS)?;
                fields::<LockBody>(value)?.into_input()
            }
            v => Err(invalid(
                "lock",
                v,
                &format!("'{}' is not of type 'object', 'null'", py(v)),
            )),
        }
    }

    fn into_input(self) -> ControlResult<LockInput> {
        let reason = match self.locked_reason {
            None => None,
            Some(Value::String(r)) if !r.is_empty() && r.chars().count() <= 255 => Some(r),
            Some(v @ Value::String(_)) => return Err(invalid("locked_reason", &v, "'' should be non-empty")),
            Some(v) => return Err(wrong_type("locked_reason", &v, "'string'")),
        };
        Ok(LockInput { reason })
    }
}
