//! Request bodies of the identity calls: one named member (`{"user": {...}}`)
//! read field by field, with messages naming `user.<field>`.

use super::*;

pub(super) fn body_object(cx: &Cx) -> ControlResult<Map<String, Value>> {
    if cx.body.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid("The request body is empty: expecting a JSON object."));
    }
    match serde_json::from_slice::<Value>(&cx.body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(invalid("Malformed request body: expecting a JSON object.")),
        Err(e) => Err(invalid(format!("Malformed request body: {e}."))),
    }
}

/// The fields of one named member of the body (`{"user": {...}}`), with
/// messages naming `user.<field>`.
pub(super) struct Fields {
    pub(super) obj: Map<String, Value>,
    pub(super) prefix: &'static str,
}

impl Fields {
    pub(super) fn of(cx: &Cx, key: &'static str) -> ControlResult<Fields> {
        let mut top = body_object(cx)?;
        match top.remove(key) {
            Some(Value::Object(obj)) => Ok(Fields { obj, prefix: key }),
            Some(_) => Err(invalid(format!("Invalid input for field '{key}': expected an object."))),
            None => Err(invalid(format!("'{key}' is a required property."))),
        }
    }

    pub(super) fn wrong(&self, key: &str, want: &str) -> ControlError {
        invalid(format!(
            "Invalid input for field '{}.{key}': expected {want}.",
            self.prefix
        ))
    }

    pub(super) fn opt_str(&self, key: &str) -> ControlResult<Option<String>> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.wrong(key, "a string")),
        }
    }

    pub(super) fn req_str(&self, key: &str) -> ControlResult<String> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Err(invalid(format!("'{key}' is a required property of '{}'.", self.prefix))),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(self.wrong(key, "a string")),
        }
    }

    /// Absent: `None`; `null`: `Some(None)`.
    pub(super) fn nullable_str(&self, key: &str) -> ControlResult<Option<Option<String>>> {
        match self.obj.get(key) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
            Some(_) => Err(self.wrong(key, "a string or null")),
        }
    }

    pub(super) fn opt_bool(&self, key: &str) -> ControlResult<Option<bool>> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.wrong(key, "a boolean")),
        }
    }

    pub(super) fn value(&self, key: &str) -> Option<&Value> {
        self.obj.get(key).filter(|v| !v.is_null())
    }
}
