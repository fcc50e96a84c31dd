//! `GET /api/openapi.json`: an OpenAPI 3.1 document that names every server fn the server
//! registers (and only those) plus the downloads, whose `$ref`s all resolve.

use crate::common::TestApp;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeSet;

on_both_backends!(document_describes_every_server_fn);

/// Every `$ref` in `value`.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => out.push(target),
                    _ => refs(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

async fn document_describes_every_server_fn(app: &TestApp) {
    // Public, like API.md: anonymous callers get it.
    let response = app
        .client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let doc: Value = response.json().await.expect("a JSON document");

    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(
        version.starts_with("3.1."),
        "OpenAPI 3.1.x, got {version:?}"
    );
    assert_eq!(
        doc["jsonSchemaDialect"],
        "https://json-schema.org/draft/2020-12/schema"
    );

    let paths = doc["paths"].as_object().expect("paths");
    let documented: BTreeSet<String> = paths
        .iter()
        .flat_map(|(path, item)| {
            let methods = item
                .as_object()
                .map(|m| m.keys().cloned().collect::<Vec<_>>());
            methods
                .unwrap_or_default()
                .into_iter()
                .map(move |method| format!("{} {path}", method.to_ascii_uppercase()))
        })
        .collect();
    let registered: BTreeSet<String> = server_fn::axum::server_fn_paths()
        .map(|(path, method)| format!("{method} {path}"))
        .collect();
    let missing: Vec<_> = registered.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "server fns missing from /api/openapi.json (list them in app/src/server/openapi.rs): \
         {missing:?}"
    );
    let downloads = [
        "GET /api/checkins/{checkin_id}/pdf",
        "GET /api/meal_plans/{plan_id}/pdf",
        "GET /api/workout_plans/{plan_id}/pdf",
        "GET /api/portal/export",
        "GET /api/coach/export",
        "GET /api/operator/legal/{request_id}/export",
    ];
    let stale: Vec<_> = documented
        .difference(&registered)
        .filter(|op| !downloads.contains(&op.as_str()))
        .collect();
    assert!(
        stale.is_empty(),
        "/api/openapi.json documents calls the server does not have: {stale:?}"
    );
    for download in downloads {
        assert!(documented.contains(download), "{download} is documented");
    }

    let mut found = Vec::new();
    refs(&doc, &mut found);
    let dangling: Vec<_> = found
        .into_iter()
        .filter(|target| {
            !target.starts_with("#/") || doc.pointer(target.trim_start_matches('#')).is_none()
        })
        .collect();
    assert!(dangling.is_empty(), "unresolved $refs: {dangling:?}");
}
