//! Access coverage, in the manner of Oxide's authz coverage test: every route
//! of every catalog row is called, and it must be guarded exactly as its row
//! says. The router is built from the catalog alone, so a handler without a
//! row cannot be routed; this test makes sure no row is routed without the
//! guard it declares:
//! - without credentials: `Public` rows answer (not 401), every other row 401;
//! - as a user of the project holding no policy: `Actions` rows answer 403
//!   naming every action of the row, `Administrator` rows 403, `Member` rows
//!   neither 401 nor 403;
//! - a path no row has is 404 in the format of its API family.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails loudly

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{admin_token, call, kit, user_token, Kit, IMAGE};
use ecsd::catalog::{Access, Operation, Route, CATALOG};
use serde_json::{json, Value};

/// Ids that fill a route's path parameters.
struct Fill {
    project: String,
    server: String,
    admin_user: String,
    domain: String,
}

impl Fill {
    /// The route's path with its parameters filled in. Identity parameters
    /// name someone else (the administrator, another project), so no
    /// self-service exception applies.
    fn path(&self, route: &Route) -> String {
        route
            .path
            .replace("{project_id}", &self.project)
            .replace("{server_id}", &self.server)
            .replace("{job_id}", "0123456789abcdef0123456789abcdef")
            .replace("{flavor_id}", "s6.small.1")
            .replace("{image_id}", IMAGE)
            .replace("{request_id}", "req-00000000-0000-0000-0000-000000000000")
            .replace("{user}", &self.admin_user)
            .replace("{group}", "0123456789abcdef0123456789abcdef")
            .replace("{role}", "0123456789abcdef0123456789abcdef")
            .replace("{project}", "fedcba9876543210fedcba9876543210")
            .replace("{domain}", &self.domain)
            .replace("{access}", "AKNOSUCHKEY0000000")
            .replace("{key}", "k")
    }

    /// A body that passes the dialect's own checks, so the call reaches its
    /// authorization; chosen by the row's selector and name.
    fn body(&self, op: &Operation, route: &Route) -> Option<Value> {
        let servers = json!([{"id": self.server}]);
        if let Some(sel) = route.selector {
            let inner = match (sel.key, op.name()) {
                (Some("reboot"), n) if n.starts_with("ecs.") => {
                    json!({"type": sel.field.map(|f| f.1), "servers": servers})
                }
                (Some("reboot"), _) => json!({"type": sel.field.map(|f| f.1)}),
                (Some("os-start" | "os-stop"), n) if n.starts_with("ecs.") => json!({"servers": servers}),
                (Some("resize"), n) if n.starts_with("ecs.") => {
                    json!({"flavorRef": "s6.medium.2", "mode": sel.field.map(|f| f.1)})
                }
                (Some("resize"), _) => json!({"flavorRef": "s6.medium.2"}),
                (Some("rebuild"), _) => json!({"imageRef": IMAGE}),
                (Some("createImage"), _) => json!({"name": "snap"}),
                (Some("os-change" | "os-reinstall"), _) => json!({
                    "imageid": IMAGE,
                    "adminpass": "Secret-pass-1",
                    "mode": sel.field.map(|f| f.1),
                }),
                _ => Value::Null,
            };
            return Some(json!({ sel.key.unwrap_or(""): inner }));
        }
        match op.name() {
            "ecs.createServers" => Some(json!({"server": {
                "name": "t", "imageRef": IMAGE, "flavorRef": "s6.small.1",
                "vpcid": "11111111-1111-1111-1111-111111111111",
                "nics": [{"subnet_id": "22222222-2222-2222-2222-222222222222"}],
                "root_volume": {"volumetype": "SSD"},
            }})),
            "nova.create" => Some(json!({"server": {
                "name": "t", "imageRef": IMAGE, "flavorRef": "s6.small.1", "networks": "auto",
            }})),
            "ecs.deleteServers" => Some(json!({"servers": [{"id": self.server}]})),
            "ecs.migrate" => Some(json!({"migrate": null})),
            "nova.keypairs.create" => Some(json!({"keypair": {"name": "kp"}})),
            "nova.update" | "ecs.updateServer" => Some(json!({"server": {"name": "renamed"}})),
            "nova.metadata.merge" | "nova.metadata.replace" | "ecs.updateServerMetadata" => {
                Some(json!({"metadata": {"k": "v"}}))
            }
            "nova.metadata.set" => Some(json!({"meta": {"k": "v"}})),
            "ims.cloudimages.createFromServer" => Some(json!({"name": "snap", "instance_id": self.server})),
            "ecs.batchAddServerNics" => Some(json!({"nics": [{"subnet_id": ecsd::domain::DEFAULT_SUBNET_ID}]})),
            "ecs.batchDeleteServerNics" => Some(json!({"nics": [{"id": "33333333-3333-3333-3333-333333333333"}]})),
            "nova.interfaces.create" => {
                Some(json!({"interfaceAttachment": {"net_id": ecsd::domain::DEFAULT_SUBNET_ID}}))
            }
            "ecs.attachVolume" | "nova.volumeAttachments.create" => Some(json!({"volumeAttachment": {
                "volumeId": "33333333-3333-3333-3333-333333333333",
            }})),
            "iam.credentials.create" => Some(json!({"credential": {"user_id": self.admin_user}})),
            "ecsd.iam.explain" => Some(json!({"user": self.admin_user, "operation": "nova.stop"})),
            _ if matches!(route.method, "POST" | "PUT" | "PATCH") => Some(json!({})),
            _ => None,
        }
    }

    fn request(&self, op: &Operation, route: &Route, token: Option<&str>) -> Request<Body> {
        let mut path = self.path(route);
        if op.name() == "ecsd.iam.suggest" || op.name() == "iam.credentials.list" {
            path.push_str(&format!("?user_id={}", self.admin_user));
        }
        let mut b = Request::builder().method(route.method).uri(path);
        if let Some(t) = token {
            // The token API asks about a token: the caller's own, except
            // that revoking it would end the caller's session mid-test.
            let subject = if op.name() == "keystone.tokens.revoke" {
                "not-a-token"
            } else {
                t
            };
            b = b.header("x-auth-token", t).header("x-subject-token", subject);
        }
        match self.body(op, route) {
            Some(v) => b
                .header("content-type", "application/json")
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        }
    }
}

async fn fill(k: &Kit) -> Fill {
    let s = k.active_server("s6.small.1").await;
    Fill {
        project: k.caller.project_id.clone(),
        server: s.id,
        admin_user: k.caller.user_id.clone(),
        domain: k.caller.domain_id.clone(),
    }
}

fn text(v: &Value) -> String {
    v.to_string()
}

#[tokio::test]
async fn without_credentials_only_public_rows_answer() {
    let k = kit().await;
    let f = fill(&k).await;
    let mut checked = 0;
    for op in CATALOG.iter() {
        for route in op.routes {
            let r = call(&k, f.request(op, route, None)).await;
            let where_ = format!("{} {} ({})", route.method, route.path, op.name());
            assert!(r.status.as_u16() < 500, "{where_}: {} {}", r.status, r.body);
            if op.access == Access::Public {
                assert_ne!(r.status, StatusCode::UNAUTHORIZED, "{where_} is public: {}", r.body);
                assert_ne!(r.status, StatusCode::NOT_FOUND, "{where_} is not routed: {}", r.body);
            } else {
                assert_eq!(
                    r.status,
                    StatusCode::UNAUTHORIZED,
                    "{where_} needs credentials: {}",
                    r.body
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 150, "every route of every row: {checked}");
}

#[tokio::test]
async fn a_user_without_policies_is_refused_exactly_what_the_row_guards() {
    let k = kit().await;
    let f = fill(&k).await;
    k.user_with("nobody", &[], &[]).await;
    let token = user_token(&k, "nobody").await;
    for op in CATALOG.iter().filter(|o| o.access != Access::Public) {
        for route in op.routes {
            let r = call(&k, f.request(op, route, Some(&token))).await;
            let where_ = format!("{} {} ({})", route.method, route.path, op.name());
            assert!(r.status.as_u16() < 500, "{where_}: {} {}", r.status, r.body);
            match op.access {
                Access::Actions => {
                    assert_eq!(r.status, StatusCode::FORBIDDEN, "{where_}: {}", r.body);
                    // HEAD answers carry no body.
                    if route.method != "HEAD" {
                        for a in op.actions {
                            assert!(text(&r.body).contains(a), "{where_} must name {a}: {}", r.body);
                        }
                    }
                }
                Access::Administrator => assert_eq!(r.status, StatusCode::FORBIDDEN, "{where_}: {}", r.body),
                Access::Member => {
                    assert_ne!(r.status, StatusCode::FORBIDDEN, "{where_}: {}", r.body);
                    assert_ne!(r.status, StatusCode::UNAUTHORIZED, "{where_}: {}", r.body);
                }
                Access::Public => unreachable!(),
            }
        }
    }
}

#[tokio::test]
async fn the_administrator_is_refused_nothing() {
    let k = kit().await;
    let f = fill(&k).await;
    let token = admin_token(&k).await;
    for op in CATALOG.iter() {
        for route in op.routes.iter().filter(|r| r.method == "GET") {
            let r = call(&k, f.request(op, route, Some(&token))).await;
            let where_ = format!("{} {} ({})", route.method, route.path, op.name());
            assert!(r.status.as_u16() < 500, "{where_}: {} {}", r.status, r.body);
            assert!(
                !matches!(r.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN),
                "{where_}: {} {}",
                r.status,
                r.body
            );
        }
    }
}

#[tokio::test]
async fn a_path_without_a_row_is_not_routed() {
    let k = kit().await;
    let token = admin_token(&k).await;
    let p = &k.caller.project_id;
    for (path, key) in [
        (format!("/v2.1/{p}/os-no-such-extension"), "itemNotFound"),
        (format!("/v1/{p}/cloudservers/no/such/path"), "error_code"),
        ("/v3/no-such-collection".to_string(), "error"),
    ] {
        let r = call(&k, common::get(&path, &token)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(r.body.get(key).is_some(), "{path}: {}", r.body);
    }
}

/// For every row whose caller needs several actions: a user holding all of
/// them but one is refused with 403 naming exactly the one it lacks.
#[tokio::test]
async fn a_user_missing_one_action_of_a_row_is_refused_naming_just_that_one() {
    let k = kit().await;
    let f = fill(&k).await;
    // Its one custom policy is rewritten for each case below.
    k.user_with("almost", &[], &[allow(&["ecs:servers:get"])]).await;
    let token = user_token(&k, "almost").await;
    let store = k.service().store.clone();
    let user = store
        .find_user(&k.caller.domain_id, "almost")
        .await
        .unwrap()
        .expect("user");
    let grants = store.grants_of(std::slice::from_ref(&user.id)).await.unwrap();
    let mut role = store
        .get_role(&grants[0].role_id)
        .await
        .unwrap()
        .expect("its custom policy");
    let mut checked = 0;
    for op in CATALOG
        .iter()
        .filter(|o| o.access == Access::Actions && o.actions.len() > 1)
    {
        let Some(route) = op.routes.iter().find(|r| r.method != "HEAD") else {
            continue;
        };
        for (i, missing) in op.actions.iter().enumerate() {
            let held: Vec<&str> = op
                .actions
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, a)| *a)
                .collect();
            role.policy = allow(&held);
            store.put_role(&role).await.unwrap();
            k.app.state.authz.invalidate_all();
            let r = call(&k, f.request(op, route, Some(&token))).await;
            let where_ = format!("{} {} ({}) without {missing}", route.method, route.path, op.name());
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{where_}: {}", r.body);
            assert!(text(&r.body).contains(missing), "{where_}: {}", r.body);
            for other in &held {
                // An action named inside another (evs:volumes:get in ...:getX) is no mistake.
                if !missing.contains(other) {
                    assert!(!text(&r.body).contains(other), "{where_} names {other}: {}", r.body);
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 60, "every action of every multi-action row: {checked}");
}

fn allow(actions: &[&str]) -> Value {
    json!({"Version": "1.1", "Statement": [{"Effect": "Allow", "Action": actions}]})
}
