//! Projects, sub-projects and accounts (domains).

use super::*;

pub(super) async fn list_projects(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx).await?;
    let f = ProjectFilter {
        domain_id: cx.q_string("domain_id"),
        name: cx.q_string("name"),
        parent_id: cx.q_string("parent_id"),
        enabled: cx.q_bool("enabled")?,
    };
    let projects = paged(cx, admin(st).list_projects(&cx.actor, &f).await?)?;
    let out: Vec<Value> = projects.iter().map(|p| project_json(st, p)).collect();
    ok(json!({"projects": out, "links": links(st, cx)}))
}

pub(super) async fn show_project(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    let id = cx.param("project");
    // The project of the caller's own token is always readable.
    if cx.caller.project_id != id {
        authorize(st, cx).await?;
    }
    let p = admin(st).get_project(&cx.actor, id).await?;
    ok(json!({"project": project_json(st, &p)}))
}

pub(super) async fn create_project(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx).await?;
    let f = Fields::of(cx, "project")?;
    if f.opt_bool("is_domain")? == Some(true) {
        return Err(invalid(
            "Projects acting as domains are not supported: create an account with POST /v3/domains.",
        ));
    }
    let new = NewProject {
        name: f.req_str("name")?,
        domain_id: f.opt_str("domain_id")?,
        parent_id: f.opt_str("parent_id")?,
        description: f.opt_str("description")?.unwrap_or_default(),
        enabled: f.opt_bool("enabled")?.unwrap_or(true),
    };
    let p = admin(st).create_project(&cx.actor, new).await?;
    created(json!({"project": project_json(st, &p)}))
}

pub(super) async fn update_project(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx).await?;
    let f = Fields::of(cx, "project")?;
    let name = f.opt_str("name")?;
    let description = f.opt_str("description")?;
    let enabled = f.opt_bool("enabled")?;
    let p = admin(st)
        .update_project(
            &cx.actor,
            cx.param("project"),
            name.as_deref(),
            description.as_deref(),
            enabled,
        )
        .await?;
    ok(json!({"project": project_json(st, &p)}))
}

// ---- domains ----

/// Reading one's own account needs no IAM rights; the operator sees every
/// account.
pub(super) async fn list_domains(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    let domains = admin(st)
        .list_domains(&cx.actor, cx.q("name"), cx.q_bool("enabled")?)
        .await?;
    let out: Vec<Value> = domains.iter().map(|d| domain_json(st, d)).collect();
    ok(json!({"domains": out, "links": links(st, cx)}))
}

pub(super) async fn show_domain(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    let d = admin(st).get_domain(&cx.actor, cx.param("domain")).await?;
    ok(json!({"domain": domain_json(st, &d)}))
}

pub(super) async fn create_domain(st: &AppState, cx: &Cx) -> ControlResult<Response> {
    authorize(st, cx).await?;
    let f = Fields::of(cx, "domain")?;
    let name = f.req_str("name")?;
    let description = f.opt_str("description")?.unwrap_or_default();
    let enabled = f.opt_bool("enabled")?.unwrap_or(true);
    let d = admin(st).create_domain(&cx.actor, &name, &description, enabled).await?;
    let mut v = domain_json(st, &d);
    v["description"] = json!(description);
    created(json!({"domain": v}))
}
