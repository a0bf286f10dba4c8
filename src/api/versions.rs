//! Version documents: Nova's at `/`, `/v2` and `/v2.1`; Glance's at `/image`.
//! They need no authentication.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use axum::Json;
use serde_json::{json, Value};

use super::microversion::Microversion;
use super::{new_request_id, set_request_id, AppState};

fn v21(base: &str) -> Value {
    json!({
        "id": "v2.1",
        "status": "CURRENT",
        "version": Microversion::MAX.text(),
        "min_version": Microversion::MIN.text(),
        "updated": "2013-07-23T11:33:21Z",
        "links": [
            {"rel": "self", "href": format!("{base}/v2.1/")},
            {"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"},
        ],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"}],
    })
}

fn v20(base: &str) -> Value {
    json!({
        "id": "v2.0",
        "status": "SUPPORTED",
        "version": "",
        "min_version": "",
        "updated": "2011-01-21T11:33:21Z",
        "links": [
            {"rel": "self", "href": format!("{base}/v2/")},
            {"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"},
        ],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2"}],
    })
}

fn with_id(body: Value) -> Response {
    let mut resp = (StatusCode::OK, Json(body)).into_response();
    set_request_id(resp.headers_mut(), &new_request_id());
    resp
}

pub(super) async fn root(State(st): State<Arc<AppState>>) -> Response {
    (
        StatusCode::OK,
        Json(json!({"versions": [v20(&st.public_url), v21(&st.public_url)]})),
    )
        .into_response()
}

pub(super) async fn version_21(State(st): State<Arc<AppState>>) -> Response {
    with_id(json!({"version": v21(&st.public_url)}))
}

pub(super) async fn version_20(State(st): State<Arc<AppState>>) -> Response {
    with_id(json!({"version": v20(&st.public_url)}))
}

pub(super) async fn glance_versions(State(st): State<Arc<AppState>>) -> Response {
    let versions: Vec<Value> = ["2.9", "2.8", "2.7", "2.6", "2.5", "2.4", "2.3", "2.2", "2.1", "2.0"]
        .iter()
        .enumerate()
        .map(|(i, v)| {
            json!({
                "id": format!("v{v}"),
                "status": if i == 0 { "CURRENT" } else { "SUPPORTED" },
                "links": [{"rel": "self", "href": format!("{}/image/v2/", st.public_url)}],
            })
        })
        .collect();
    (StatusCode::OK, Json(json!({ "versions": versions }))).into_response()
}

/// Neutron's version list (at `/network`) and the v2.0 document (at
/// `/network/v2.0`), which lists the collections served.
pub(super) async fn network_versions(State(st): State<Arc<AppState>>, uri: axum::http::Uri) -> Response {
    let href = format!("{}/network/v2.0/", st.public_url);
    if uri.path().trim_end_matches('/').ends_with("v2.0") {
        let resources: Vec<Value> = [
            "network",
            "subnet",
            "port",
            "floatingip",
            "security_group",
            "security_group_rule",
        ]
        .iter()
        .map(|r| {
            let collection = format!("{r}s").replace('_', "-");
            json!({"name": r, "collection": collection,
                       "links": [{"rel": "self", "href": format!("{href}{collection}")}]})
        })
        .collect();
        return (StatusCode::OK, Json(json!({ "resources": resources }))).into_response();
    }
    let versions = json!([{"id": "v2.0", "status": "CURRENT", "links": [{"rel": "self", "href": href}]}]);
    (StatusCode::OK, Json(json!({ "versions": versions }))).into_response()
}

/// Cinder's version list: v3.0 only, no microversions beyond it.
pub(super) async fn volume_versions(State(st): State<Arc<AppState>>) -> Response {
    let href = format!("{}/volume/v3/", st.public_url);
    let versions = json!([{
        "id": "v3.0", "status": "CURRENT", "version": "3.0", "min_version": "3.0",
        "updated": "2024-01-01T00:00:00Z",
        "links": [{"rel": "self", "href": href}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"}],
    }]);
    (StatusCode::OK, Json(json!({ "versions": versions }))).into_response()
}
