//! Roles and policies: system roles, and Huawei's custom policies (OS-ROLE).

use super::*;

pub(super) fn role_filter(cx: &Cx) -> RoleFilter {
    RoleFilter {
        name: cx.q_string("name"),
        display_name: cx.q_string("display_name"),
        scope_type: cx.q_string("type"),
        catalog: cx.q_string("catalog"),
        domain_id: cx.q_string("domain_id"),
        permission_type: cx.q_string("permission_type"),
    }
}

/// One page of roles, with the number of all that matched.
pub(super) fn roles_page(st: &AppState, cx: &Cx, roles: Vec<RoleRef>) -> ControlResult<Response> {
    let total = roles.len();
    let roles = paged(cx, roles)?;
    let out: Vec<Value> = roles.iter().map(|r| role_json(st, r)).collect();
    ok(json!({"roles": out, "links": links(st, cx), "total_number": total}))
}

pub(super) async fn list_roles(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx).await?;
    roles_page(st, cx, admin(st).list_roles(&cx.actor, &role_filter(cx)).await?)
}

pub(super) async fn show_role(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx).await?;
    let r = admin(st).get_role(&cx.actor, cx.param("role")).await?;
    ok(json!({"role": role_json(st, &r)}))
}

// ---- custom policies (Huawei OS-ROLE) ----

pub(super) async fn list_custom(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx).await?;
    let f = RoleFilter {
        domain_id: Some(cx.actor.domain_id.clone()),
        ..RoleFilter::default()
    };
    roles_page(st, cx, admin(st).list_roles(&cx.actor, &f).await?)
}

/// A custom policy as shown, with how many grants use it.
pub(super) async fn custom_view(st: &AppState, a: &Admin<'_>, r: &CustomRole) -> ControlResult<Value> {
    let refs = a.references(&r.id, &r.domain_id).await?;
    Ok(custom_json(st, r, Some(refs)))
}

pub(super) async fn show_custom(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx).await?;
    let a = admin(st);
    let r = a.get_custom(&cx.actor, cx.param("role")).await?;
    ok(json!({"role": custom_view(st, &a, &r).await?}))
}

pub(super) fn policy_field(f: &Fields, required: bool) -> ControlResult<Option<Value>> {
    match f.value("policy") {
        None if required => Err(invalid("'policy' is a required property of 'role'.")),
        None => Ok(None),
        Some(v) => Ok(Some(v.clone())),
    }
}

pub(super) async fn create_custom(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx).await?;
    let f = Fields::of(cx, "role")?;
    let spec = CustomSpec {
        display_name: f.req_str("display_name")?,
        role_type: f.req_str("type")?,
        description: f.req_str("description")?,
        description_cn: f.opt_str("description_cn")?.unwrap_or_default(),
        policy: policy_field(&f, true)?.unwrap_or(Value::Null),
    };
    let r = admin(st).create_custom(&cx.actor, spec).await?;
    created(json!({"role": custom_json(st, &r, Some(0))}))
}

pub(super) async fn update_custom(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx).await?;
    let f = Fields::of(cx, "role")?;
    let patch = CustomPatch {
        display_name: f.opt_str("display_name")?,
        role_type: f.opt_str("type")?,
        description: f.opt_str("description")?,
        description_cn: f.opt_str("description_cn")?,
        policy: policy_field(&f, false)?,
    };
    let a = admin(st);
    let r = a.update_custom(&cx.actor, cx.param("role"), patch).await?;
    ok(json!({"role": custom_view(st, &a, &r).await?}))
}

/// Huawei documents no body for this; 200 with an empty object
/// (UNCONFIRMED whether 200 or 204 is what IAM answers).
pub(super) async fn delete_custom(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx).await?;
    admin(st).delete_custom(&cx.actor, cx.param("role")).await?;
    ok(json!({}))
}
