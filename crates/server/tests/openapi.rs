//! The OpenAPI document: served by the running server, valid OpenAPI 3.x, and describing every
//! route the router actually serves.

use crate::common;

use common::{Auth, TestServer};
use common::{Backend, backend_test};
use dinhdanh_core::api::paths;

/// Every route constant of `api::paths`, read from its source so a new constant is checked
/// without editing this test.
fn route_constants() -> Vec<&'static str> {
    include_str!("../../core/src/api/paths.rs")
        .lines()
        .filter_map(|l| l.strip_prefix("pub const "))
        .filter_map(|rest| rest.split('"').nth(1))
        .collect()
}

/// Fills every `{name}` with a plausible id.
fn concrete(route: &str) -> String {
    route
        .split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                "x_probe1"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The methods the router serves on `route`: anything but axum's bare 404 (no such route) and
/// 405 (no such method) means a handler answered.
async fn served_methods(t: &TestServer, route: &str) -> Vec<&'static str> {
    let path = concrete(route);
    let mut served = Vec::new();
    for method in ["GET", "POST", "DELETE"] {
        let body = (method != "GET").then_some(&b"{}"[..]);
        let resp = t.send(method, &path, body, Auth::None).await;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        let unrouted = status == 404 && text.is_empty();
        if !unrouted && status != 405 {
            served.push(method);
        }
    }
    served
}

backend_test!(the_openapi_document_describes_every_route_the_server_serves);
async fn the_openapi_document_describes_every_route_the_server_serves(db: Backend) {
    let t = TestServer::start(db).await;
    let resp = t.get(paths::OPENAPI, Auth::None).await;
    assert_eq!(resp.status(), 200);
    let doc: serde_json::Value = resp.json().await.expect("valid JSON");
    let version = doc["openapi"].as_str().expect("an openapi version");
    assert!(version.starts_with("3."), "OpenAPI 3.x, got {version}");
    assert!(doc["info"]["title"].is_string());
    let documented = doc["paths"].as_object().expect("paths");

    let mut served_routes = 0;
    for route in route_constants() {
        let methods = served_methods(&t, route).await;
        if methods.is_empty() {
            continue;
        }
        served_routes += 1;
        let item = documented
            .get(route)
            .unwrap_or_else(|| panic!("{route} is served but not documented"));
        for method in methods {
            assert!(
                item.get(method.to_lowercase()).is_some(),
                "{method} {route} is served but not documented"
            );
        }
    }
    // At least the foundation's routes: health, challenges, this document.
    assert!(served_routes >= 3, "probed {served_routes} served routes");
}

backend_test!(documented_bodies_use_the_core_crates_schemas);
async fn documented_bodies_use_the_core_crates_schemas(db: Backend) {
    let t = TestServer::start(db).await;
    let doc: serde_json::Value = t
        .get(paths::OPENAPI, Auth::None)
        .await
        .json()
        .await
        .unwrap();
    let login = &doc["paths"][paths::LOGIN]["post"];
    assert_eq!(
        login["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/LoginRequest"
    );
    let schemas = &doc["components"]["schemas"];
    // A parsed identifier travels as a string.
    assert_eq!(schemas["CitizenId"]["type"], "string");
    // Field names follow the serde attributes of the wire type.
    assert!(schemas["LoginRequest"]["properties"].is_object());
    assert!(schemas["ApiError"]["properties"]["message_vi"].is_object());
    // Signed-in routes name the session and the request proof.
    let me = &doc["paths"][paths::ME]["get"]["security"];
    assert!(me.to_string().contains("request_proof"), "{me}");
}
