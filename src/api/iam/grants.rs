//! Grants of roles to users and groups on projects, accounts and all
//! projects, and Keystone's role assignments.

use super::*;

/// Scope and receiver from the route's parameters.
pub(super) fn grant_target(cx: &Cx) -> GrantTarget {
    let (scope, scope_id) = if cx.params.contains_key("project") {
        (GrantScope::Project, cx.param("project"))
    } else if cx.path.starts_with("/v3/OS-INHERIT/") {
        (GrantScope::AllProjects, cx.param("domain"))
    } else {
        (GrantScope::Domain, cx.param("domain"))
    };
    let (actor, actor_id) = if cx.params.contains_key("group") {
        (ActorKind::Group, cx.param("group"))
    } else {
        (ActorKind::User, cx.param("user"))
    };
    GrantTarget {
        scope,
        scope_id: scope_id.to_string(),
        actor,
        actor_id: actor_id.to_string(),
    }
}

/// `PUT` grants, `HEAD`/`GET` checks, `DELETE` revokes one role.
pub(super) async fn grant_one(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    let t = grant_target(cx);
    let role = cx.param("role");
    authorize(st, cx).await?;
    let a = admin(st);
    match cx.method {
        Method::PUT => a.grant(&cx.actor, &t, role).await?,
        Method::DELETE => a.revoke(&cx.actor, &t, role).await?,
        _ => {
            if !a.has_grant(&cx.actor, &t, role).await? {
                return Err(not_found_with(format!(
                    "Could not find role assignment with role: {role}, {}: {}, scope: {}.",
                    t.actor.as_str(),
                    t.actor_id,
                    t.scope_id
                )));
            }
        }
    }
    no_content()
}

pub(super) async fn grant_list(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    let t = grant_target(cx);
    authorize(st, cx).await?;
    let roles = admin(st).granted_roles(&cx.actor, &t).await?;
    let out: Vec<Value> = roles.iter().map(|r| role_json(st, r)).collect();
    ok(json!({"roles": out, "links": links(st, cx)}))
}

/// The `{"id", "name"}` of a domain, looked up once per request.
pub(super) async fn domain_ref(a: &Admin<'_>, cx: &Cx, cache: &mut HashMap<String, Value>, id: &str) -> Value {
    if let Some(v) = cache.get(id) {
        return v.clone();
    }
    let v = match a.get_domain(&cx.actor, id).await {
        Ok(d) => json!({"id": d.id, "name": d.name}),
        Err(_) => json!({"id": id, "name": ""}),
    };
    cache.insert(id.to_string(), v.clone());
    v
}

pub(super) async fn assignment_json(
    st: &AppState,
    cx: &Cx,
    g: &Grant,
    names: bool,
    domains: &mut HashMap<String, Value>,
) -> ControlResult<Value> {
    let a = admin(st);
    let mut role = json!({"id": g.role_id});
    let mut who = json!({"id": g.actor_id});
    let mut scope_obj = json!({"id": g.scope_id});
    if names {
        role["name"] = json!("");
        who["name"] = json!("");
        scope_obj["name"] = json!("");
        if let Ok(r) = a.get_role(&cx.actor, &g.role_id).await {
            role["name"] = json!(r.name());
            if let Some(d) = r.domain_id() {
                role["domain"] = domain_ref(&a, cx, domains, d).await;
            }
        }
        let owner_domain = match g.actor {
            ActorKind::User => a
                .get_user(&cx.actor, &g.actor_id)
                .await
                .ok()
                .map(|u| (u.name, u.domain_id)),
            ActorKind::Group => a
                .get_group(&cx.actor, &g.actor_id)
                .await
                .ok()
                .map(|x| (x.name, x.domain_id)),
        };
        if let Some((name, d)) = owner_domain {
            who["name"] = json!(name);
            who["domain"] = domain_ref(&a, cx, domains, &d).await;
        }
        match g.scope {
            GrantScope::Project => {
                if let Ok(p) = a.get_project(&cx.actor, &g.scope_id).await {
                    scope_obj["name"] = json!(p.name);
                    scope_obj["domain"] = domain_ref(&a, cx, domains, &p.domain_id).await;
                }
            }
            _ => scope_obj = domain_ref(&a, cx, domains, &g.scope_id).await,
        }
    }
    let scope = match g.scope {
        GrantScope::Project => json!({"project": scope_obj}),
        GrantScope::Domain => json!({"domain": scope_obj}),
        GrantScope::AllProjects => json!({"domain": scope_obj, "OS-INHERIT:inherited_to": "projects"}),
    };
    let base = match g.scope {
        GrantScope::Project => format!("/v3/projects/{}", g.scope_id),
        GrantScope::Domain => format!("/v3/domains/{}", g.scope_id),
        GrantScope::AllProjects => format!("/v3/OS-INHERIT/domains/{}", g.scope_id),
    };
    let mut link = format!("{base}/{}s/{}/roles/{}", g.actor.as_str(), g.actor_id, g.role_id);
    if g.scope == GrantScope::AllProjects {
        link.push_str("/inherited_to_projects");
    }
    let mut v = json!({"role": role, "scope": scope, "links": {"assignment": url(st, &link)}});
    v[g.actor.as_str()] = who;
    Ok(v)
}

/// `GET /v3/role_assignments` with Keystone's filters (`user.id`,
/// `group.id`, `scope.project.id`, `scope.domain.id`, `role.id`,
/// `scope.OS-INHERIT:inherited_to`, `include_names`). Direct grants only:
/// `effective` is not expanded through group membership.
pub(super) async fn role_assignments(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx).await?;
    let a = admin(st);
    let role_id = match cx.q("role.id") {
        Some(r) => Some(a.get_role(&cx.actor, r).await?.id().to_string()),
        None => None,
    };
    let f = AssignmentFilter {
        user_id: cx.q_string("user.id"),
        group_id: cx.q_string("group.id"),
        project_id: cx.q_string("scope.project.id"),
        domain_id: cx.q_string("scope.domain.id"),
        role_id,
        inherited: cx.q("scope.OS-INHERIT:inherited_to").is_some(),
    };
    let names = cx
        .query
        .iter()
        .any(|(k, v)| k == "include_names" && !matches!(v.to_ascii_lowercase().as_str(), "false" | "0"));
    let mut out = Vec::new();
    let mut domains = HashMap::new();
    for g in a.assignments(&cx.actor, &f).await? {
        out.push(assignment_json(st, cx, &g, names, &mut domains).await?);
    }
    ok(json!({"role_assignments": out, "links": links(st, cx)}))
}
