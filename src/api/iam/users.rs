//! Users: list, show, create (Keystone and Huawei OS-USER), update, delete,
//! password change, a user's groups.

use super::*;

/// A user as shown, with whether it owns its account.
pub(super) async fn user_view(st: &AppState, a: &Admin<'_>, u: &User) -> ControlResult<Value> {
    let owner = a.is_domain_owner(u).await?;
    Ok(user_json(st, u, owner))
}

pub(super) async fn users_list(st: &AppState, cx: &Cx, a: &Admin<'_>, users: &[User]) -> ControlResult<Response> {
    let mut out = Vec::new();
    for u in users {
        out.push(user_view(st, a, u).await?);
    }
    ok(json!({"users": out, "links": links(st, cx)}))
}

pub(super) async fn list_users(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx).await?;
    let f = UserFilter {
        domain_id: cx.q_string("domain_id"),
        name: cx.q_string("name"),
        enabled: cx.q_bool("enabled")?,
    };
    let a = admin(st);
    users_list(st, cx, &a, &a.list_users(&cx.actor, &f).await?).await
}

pub(super) async fn show_user(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    let id = cx.param("user");
    // Every user may read itself.
    if !cx.is_self(id) {
        authorize(st, cx).await?;
    }
    let a = admin(st);
    let u = a.get_user(&cx.actor, id).await?;
    ok(json!({"user": user_view(st, &a, &u).await?}))
}

pub(super) fn new_user(f: &Fields, domain_required: bool) -> ControlResult<NewUser> {
    let domain_id = if domain_required {
        Some(f.req_str("domain_id")?)
    } else {
        f.opt_str("domain_id")?
    };
    Ok(NewUser {
        name: f.req_str("name")?,
        domain_id,
        password: f.opt_str("password")?,
        enabled: f.opt_bool("enabled")?.unwrap_or(true),
        description: f.opt_str("description")?.unwrap_or_default(),
        email: f.opt_str("email")?.filter(|e| !e.is_empty()),
        default_project_id: f.opt_str("default_project_id")?,
    })
}

/// Huawei's OS-USER form requires `domain_id`; Keystone's does not.
pub(super) async fn create_user_with(st: &AppState, cx: &Cx, domain_required: bool) -> ControlResult<Response> {
    authorize(st, cx).await?;
    let new = new_user(&Fields::of(cx, "user")?, domain_required)?;
    let u = admin(st).create_user(&cx.actor, new).await?;
    created(json!({"user": user_json(st, &u, false)}))
}

pub(super) async fn create_user(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    create_user_with(st, cx, false).await
}

pub(super) async fn hw_create_user(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    create_user_with(st, cx, true).await
}

/// The changeable fields of a user (`domain_id` is checked by the caller).
pub(super) fn user_patch(f: &Fields) -> ControlResult<UserPatch> {
    Ok(UserPatch {
        name: f.opt_str("name")?,
        password: f.opt_str("password")?,
        enabled: f.opt_bool("enabled")?,
        description: f.opt_str("description")?,
        email: f.nullable_str("email")?.map(|e| e.filter(|s| !s.is_empty())),
        default_project_id: f.nullable_str("default_project_id")?,
    })
}

pub(super) async fn update_user(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx).await?;
    let id = cx.param("user");
    let mut f = Fields::of(cx, "user")?;
    let a = admin(st);
    if let Some(d) = f.opt_str("domain_id")? {
        if d != a.get_user(&cx.actor, id).await?.domain_id {
            return Err(invalid(format!(
                "Invalid input for field 'user.domain_id': a user cannot move to another domain ({d})."
            )));
        }
    }
    f.obj.remove("domain_id");
    let u = a.update_user(&cx.actor, id, user_patch(&f)?).await?;
    ok(json!({"user": user_view(st, &a, &u).await?}))
}

pub(super) async fn delete_user(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx).await?;
    admin(st).delete_user(&cx.actor, cx.param("user")).await?;
    no_content()
}

/// `POST /v3/users/{id}/password`: a user changes its own password; the
/// original one must be given. Someone else's needs `iam:users:updateUser`.
pub(super) async fn change_password(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    let id = cx.param("user");
    if !cx.is_self(id) {
        authorize(st, cx).await?;
    }
    let f = Fields::of(cx, "user")?;
    let original = f.req_str("original_password")?;
    let new = f.req_str("password")?;
    admin(st).change_password(&cx.actor, id, &original, &new).await?;
    no_content()
}

pub(super) async fn user_groups(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    let id = cx.param("user");
    if !cx.is_self(id) {
        authorize(st, cx).await?;
    }
    let groups = admin(st).groups_of_user(&cx.actor, id).await?;
    let out: Vec<Value> = groups.iter().map(|g| group_json(st, g)).collect();
    ok(json!({"groups": out, "links": links(st, cx)}))
}
