//! Groups and membership.

use super::*;

pub(super) async fn list_groups(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx).await?;
    let groups = admin(st)
        .list_groups(&cx.actor, cx.q("domain_id"), cx.q("name"))
        .await?;
    let out: Vec<Value> = groups.iter().map(|g| group_json(st, g)).collect();
    ok(json!({"groups": out, "links": links(st, cx)}))
}

pub(super) async fn show_group(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx).await?;
    let g = admin(st).get_group(&cx.actor, cx.param("group")).await?;
    ok(json!({"group": group_json(st, &g)}))
}

pub(super) async fn create_group(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx).await?;
    let f = Fields::of(cx, "group")?;
    let name = f.req_str("name")?;
    let domain_id = f.opt_str("domain_id")?;
    let description = f.opt_str("description")?.unwrap_or_default();
    let g = admin(st)
        .create_group(&cx.actor, &name, domain_id.as_deref(), &description)
        .await?;
    created(json!({"group": group_json(st, &g)}))
}

pub(super) async fn update_group(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx).await?;
    let f = Fields::of(cx, "group")?;
    let name = f.opt_str("name")?;
    let description = f.opt_str("description")?;
    let a = admin(st);
    if let Some(d) = f.opt_str("domain_id")? {
        if d != a.get_group(&cx.actor, cx.param("group")).await?.domain_id {
            return Err(invalid(
                "Invalid input for field 'group.domain_id': a group cannot move to another domain.",
            ));
        }
    }
    let g = a
        .update_group(&cx.actor, cx.param("group"), name.as_deref(), description.as_deref())
        .await?;
    ok(json!({"group": group_json(st, &g)}))
}

pub(super) async fn delete_group(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx).await?;
    admin(st).delete_group(&cx.actor, cx.param("group")).await?;
    no_content()
}

pub(super) async fn group_users(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx).await?;
    let a = admin(st);
    users_list(st, cx, &a, &a.group_users(&cx.actor, cx.param("group")).await?).await
}

/// `PUT`, `HEAD` (and `GET`), `DELETE /v3/groups/{g}/users/{u}`.
pub(super) async fn membership(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    let (group, user) = (cx.param("group"), cx.param("user"));
    let a = admin(st);
    match cx.method {
        Method::PUT => {
            authorize(st, cx).await?;
            a.add_member(&cx.actor, group, user).await?;
        }
        Method::DELETE => {
            authorize(st, cx).await?;
            a.remove_member(&cx.actor, group, user).await?;
        }
        _ => {
            authorize(st, cx).await?;
            if !a.is_member(&cx.actor, group, user).await? {
                return Err(not_found_with(format!("User {user} is not a member of group {group}.")));
            }
        }
    }
    no_content()
}
