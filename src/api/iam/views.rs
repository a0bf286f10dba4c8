//! How identity records are shown, in Keystone's and Huawei IAM's shapes.

use super::*;

pub(super) fn url(st: &AppState, path: &str) -> String {
    format!("{}{}", st.public_url, path)
}

pub(super) fn links(st: &AppState, cx: &Cx) -> Value {
    json!({"self": url(st, &cx.path), "previous": null, "next": null})
}

pub(super) fn huawei_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

pub(super) fn iso_micros(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(super) fn user_json(st: &AppState, u: &User, owner: bool) -> Value {
    json!({
        "id": u.id,
        "name": u.name,
        "domain_id": u.domain_id,
        "enabled": u.enabled,
        "description": u.description,
        "email": u.email,
        "default_project_id": u.default_project_id,
        "password_expires_at": null,
        "pwd_status": false,
        "access_mode": "default",
        "is_domain_owner": owner,
        "create_time": huawei_time(u.created),
        "options": {},
        "links": {"self": url(st, &format!("/v3/users/{}", u.id))},
    })
}

pub(super) fn group_json(st: &AppState, g: &Group) -> Value {
    json!({
        "id": g.id,
        "name": g.name,
        "domain_id": g.domain_id,
        "description": g.description,
        "create_time": epoch_ms(g.created),
        "links": {"self": url(st, &format!("/v3/groups/{}", g.id))},
    })
}

/// A top-level project's parent is its domain, as in Keystone.
pub(super) fn project_json(st: &AppState, p: &Project) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "domain_id": p.domain_id,
        "parent_id": p.parent_id.as_deref().unwrap_or(&p.domain_id),
        "description": p.description,
        "enabled": p.enabled,
        "is_domain": false,
        "tags": [],
        "options": {},
        "links": {"self": url(st, &format!("/v3/projects/{}", p.id))},
    })
}

pub(super) fn domain_json(st: &AppState, d: &Domain) -> Value {
    json!({
        "id": d.id,
        "name": d.name,
        "description": "",
        "enabled": d.enabled,
        "tags": [],
        "options": {},
        "links": {"self": url(st, &format!("/v3/domains/{}", d.id))},
    })
}

pub(super) fn role_json(st: &AppState, r: &RoleRef) -> Value {
    let mut v = json!({
        "id": r.id(),
        "name": r.name(),
        "display_name": r.display_name(),
        "type": r.role_type(),
        "catalog": r.catalog(),
        "flag": r.flag(),
        "domain_id": r.domain_id(),
        "links": {"self": url(st, &format!("/v3/roles/{}", r.id()))},
    });
    match r {
        RoleRef::System(s) => {
            v["description"] = json!(s.description);
            v["description_cn"] = json!("");
            v["policy"] = s.policy.clone();
        }
        RoleRef::Custom(c) => {
            v["description"] = json!(c.description);
            v["description_cn"] = json!(c.description_cn);
            v["policy"] = c.policy.clone();
            v["created_time"] = json!(epoch_ms(c.created).to_string());
            v["updated_time"] = json!(epoch_ms(c.updated).to_string());
        }
    }
    v
}

pub(super) fn custom_json(st: &AppState, c: &CustomRole, references: Option<usize>) -> Value {
    let mut v = role_json(st, &RoleRef::Custom(Box::new(c.clone())));
    if let Some(n) = references {
        v["references"] = json!(n);
    }
    v
}

pub(super) fn credential_json(c: &Credential) -> Value {
    json!({
        "user_id": c.user_id,
        "access": c.access,
        "status": c.status,
        "create_time": iso_micros(c.created),
        "description": c.description,
    })
}

/// `page` and `per_page` (Huawei's paging of roles and projects).
pub(super) fn paged<T>(cx: &Cx, items: Vec<T>) -> ControlResult<Vec<T>> {
    let per_page = cx.q_positive("per_page")?;
    let page = cx.q_positive("page")?;
    Ok(match (page, per_page) {
        (None, None) => items,
        (page, per_page) => {
            let per_page = per_page.unwrap_or(300).min(300);
            let skip = (page.unwrap_or(1) - 1).saturating_mul(per_page);
            items.into_iter().skip(skip).take(per_page).collect()
        }
    })
}
