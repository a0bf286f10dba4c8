//! Access keys (Huawei OS-CREDENTIAL): users manage their own without IAM rights.

use super::*;

/// Users manage their own access keys without IAM rights.
pub(super) async fn authorize_for_key(st: &AppState, cx: &Cx) -> ControlResult<()> {
    let owner = admin(st).credential_owner(cx.param("access")).await?;
    if owner.as_deref() == Some(cx.caller.user_id.as_str()) {
        return Ok(());
    }
    authorize(st, cx).await
}

pub(super) async fn create_credential(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    let f = Fields::of(cx, "credential")?;
    let user_id = f.req_str("user_id")?;
    if !cx.is_self(&user_id) {
        authorize(st, cx).await?;
    }
    let description = f.opt_str("description")?.unwrap_or_default();
    let (cred, secret) = admin(st).create_credential(&cx.actor, &user_id, &description).await?;
    let mut v = credential_json(&cred);
    v["secret"] = json!(secret);
    created(json!({"credential": v}))
}

/// With `user_id`: that user's keys. Without: every key of the account for
/// callers allowed to list credentials, else the caller's own.
pub(super) async fn list_credentials(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    let a = admin(st);
    let user_id = match cx.q("user_id") {
        Some(u) if cx.is_self(u) => Some(u.to_string()),
        Some(u) => {
            authorize(st, cx).await?;
            Some(u.to_string())
        }
        None => match authorize(st, cx).await {
            Ok(()) => None,
            Err(ControlError::Forbidden { .. }) => Some(cx.caller.user_id.clone()),
            Err(e) => return Err(e),
        },
    };
    let creds = a.list_credentials(&cx.actor, user_id.as_deref()).await?;
    let out: Vec<Value> = creds.iter().map(credential_json).collect();
    ok(json!({"credentials": out}))
}

pub(super) async fn show_credential(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize_for_key(st, cx).await?;
    let c = admin(st).get_credential(&cx.actor, cx.param("access")).await?;
    ok(json!({"credential": credential_json(&c)}))
}

pub(super) async fn update_credential(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize_for_key(st, cx).await?;
    let f = Fields::of(cx, "credential")?;
    let status = f.opt_str("status")?;
    let description = f.opt_str("description")?;
    let c = admin(st)
        .update_credential(&cx.actor, cx.param("access"), status.as_deref(), description.as_deref())
        .await?;
    ok(json!({"credential": credential_json(&c)}))
}

pub(super) async fn delete_credential(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize_for_key(st, cx).await?;
    admin(st).delete_credential(&cx.actor, cx.param("access")).await?;
    no_content()
}
