//! Moving a workspace, on both databases: the coach's export holds every client (data.json,
//! photos) and an FCDS v1 file the published schema accepts; importing that file into a new
//! coach's workspace (dry run first) gives back everything FCDS can hold, and importing it
//! again adds nothing; bad packages (schema, our own rules, ZIP bombs, climbing paths, too
//! large, a clash halfway) are refused with where, and leave nothing behind.

use crate::common;

use app::server::photos::fixtures;
use async_zip::base::write::ZipFileWriter;
use async_zip::{Compression, ZipEntryBuilder};
use common::checkins::Submission;
use common::exports::{answered_form, fcds_errors, plans_for, unzip};
use common::{client_form, with, Response, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeMap;

on_both_backends!(
    a_workspace_round_trips_through_fcds,
    bad_packages_are_refused_and_leave_nothing,
);

async fn export(app: &TestApp, coach: &reqwest::Client) -> BTreeMap<String, Vec<u8>> {
    let response = coach
        .get(app.url("/api/coach/export"))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/zip");
    unzip(response.bytes().await.unwrap().to_vec()).await
}

async fn import(
    app: &TestApp,
    coach: &reqwest::Client,
    package: Vec<u8>,
    dry_run: bool,
) -> Response {
    let form = reqwest::multipart::Form::new()
        .text("dry_run", dry_run.to_string())
        .part(
            "package",
            reqwest::multipart::Part::bytes(package).file_name("open-coaching-data.json"),
        );
    let response = coach
        .post(app.url("/api/coach/import"))
        .header("accept", "application/json")
        .multipart(form)
        .send()
        .await
        .expect("request");
    Response::read(response).await
}

async fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = ZipFileWriter::new(Vec::<u8>::new());
    for (name, bytes) in entries {
        let entry = ZipEntryBuilder::new((*name).to_owned().into(), Compression::Deflate);
        zip.write_entry_whole(entry, bytes).await.unwrap();
    }
    zip.close().await.unwrap()
}

fn json_of(files: &BTreeMap<String, Vec<u8>>, path: &str) -> Value {
    serde_json::from_slice(files.get(path).unwrap_or_else(|| panic!("{path} missing")))
        .expect("JSON")
}

/// A value without its ids (`id` and `*_id`): ids are the platform's own, and differ after an
/// import.
fn without_ids(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| *key != "id" && !key.ends_with("_id"))
                .map(|(key, v)| (key.clone(), without_ids(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_ids).collect()),
        other => other.clone(),
    }
}

/// Everything a package holds but its manifest, each section's records without ids, sorted.
fn comparable(package: &Value) -> BTreeMap<String, Vec<String>> {
    let sections = [
        "/clients/clients",
        "/clients/client_assignments",
        "/forms/form_templates",
        "/forms/form_submissions",
        "/check_ins",
        "/nutrition/meal_plans",
        "/training/workout_plans",
        "/training/workout_sessions",
        "/training/workout_session_exercises",
    ];
    sections
        .iter()
        .map(|section| {
            let mut records: Vec<String> = package
                .pointer(section)
                .and_then(Value::as_array)
                .unwrap_or_else(|| panic!("{section} missing"))
                .iter()
                .map(|record| without_ids(record).to_string())
                .collect();
            records.sort();
            (section.to_string(), records)
        })
        .collect()
}

/// The coach's workspace id (their user id).
async fn workspace_of(app: &TestApp, coach: &reqwest::Client) -> String {
    let me = app.ok(coach, "auth/me", &[]).await;
    me["user_id"].as_str().expect("a user id").to_owned()
}

fn tally(report: &Value, kind: &str) -> (u64, u64) {
    (
        report[kind]["new"].as_u64().unwrap(),
        report[kind]["existing"].as_u64().unwrap(),
    )
}

async fn client_count(app: &TestApp, coach: &reqwest::Client) -> u64 {
    let page = app
        .ok(
            coach,
            "clients/list",
            &[("query", ""), ("page", "1"), ("archived", "false")],
        )
        .await;
    page["total"]
        .as_u64()
        .unwrap_or_else(|| panic!("no total in {page}"))
}

async fn a_workspace_round_trips_through_fcds(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    let checkin = app
        .checkin_ok(
            &client,
            &Submission::default()
                .field("weight", "80")
                .field("waist", "84.5")
                .field("feedback", "Hard week.")
                .photo("front", "front.jpg", fixtures::jpeg_with_gps(64, 96)),
        )
        .await;
    app.ok(
        &coach,
        "checkins/review",
        &[("checkin_id", &checkin), ("reply", "Rest the knee.")],
    )
    .await;
    app.checkin_ok(&client, &Submission::default().field("weight", "79.5"))
        .await;
    plans_for(app, &coach, &client_id).await;
    answered_form(app, &coach, &client, &client_id).await;
    app.ok(
        &coach,
        "notes/create",
        &[
            ("client_id", &client_id),
            ("body", "Prefers morning sessions."),
        ],
    )
    .await;
    // A second client with a full profile, who has not joined.
    let other = app
        .create_client(&coach, "Sam Other", "sam@example.com")
        .await;
    let form = client_form("Sam Other", "sam@example.com");
    let form = with(form, "phone", "+1 555 0100");
    let form = with(form, "date_of_birth", "1990-04-02");
    let form = with(form, "gender", "female");
    let form = with(form, "height", "170");
    let form = with(form, "weight", "65.5");
    let form = with(form, "goals", "Run 10k");
    let form = with(form, "injuries", "Left knee\nRight ankle");
    let form = with(form, "checkin_day", "monday");
    let mut form: Vec<(&str, &str)> = form;
    form.push(("client_id", &other));
    app.ok(&coach, "clients/update", &form).await;

    // The workspace's settings, set last: the profile above is in metric units.
    let settings = [
        ("name", "Casey Coach"),
        ("brand_name", "Peak Form"),
        ("units", "imperial"),
        ("timezone", "America/Los_Angeles"),
    ];
    app.ok(
        &coach,
        "coach/profile/update",
        &[
            &[("workspace_id", workspace_of(app, &coach).await.as_str())],
            &settings[..],
        ]
        .concat(),
    )
    .await;
    let files = export(app, &coach).await;
    let workspace = json_of(&files, "workspace.json");
    assert_eq!(workspace["format"], "coachroom-workspace");
    assert_eq!(workspace["clients"].as_array().unwrap().len(), 2);
    let data = json_of(&files, &format!("clients/{client_id}/data.json"));
    assert_eq!(data["checkins"].as_array().unwrap().len(), 2);
    assert!(
        data.to_string().contains("Rest the knee."),
        "the reply is kept"
    );
    assert!(
        data.to_string().contains("Prefers morning sessions."),
        "notes are kept"
    );
    assert_eq!(data["meal_plans"].as_array().unwrap().len(), 1);
    let photo = data["checkins"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|c| c["photos"][0]["file"].as_str())
        .expect("a photo file")
        .to_owned();
    assert!(
        photo.starts_with(&format!("clients/{client_id}/photos/")),
        "{photo}"
    );
    assert!(
        files[&photo].starts_with(&[0xFF, 0xD8]),
        "the photo is a JPEG"
    );
    let package = json_of(&files, "open-coaching-data.json");
    assert_eq!(fcds_errors(&package), Vec::<String>::new());
    assert_eq!(package["clients"]["clients"].as_array().unwrap().len(), 2);
    // The client sees that their coach exported their data.
    let log = app
        .ok(&client, "portal/access_log", &[("before", "0")])
        .await;
    assert!(
        log.to_string().contains("workspace_exported"),
        "the client's log shows the export: {log}"
    );

    // A new coach checks the package, then imports it.
    let newcomer = app.client();
    app.signup_coach(&newcomer, "Noa New", "noa@example.com")
        .await;
    let raw = files["open-coaching-data.json"].clone();
    let check = import(app, &newcomer, raw.clone(), true).await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    assert_eq!(check.body["dry_run"], true);
    assert_eq!(
        check.body["settings"],
        json!(["business name", "units", "time zone"])
    );
    assert_eq!(tally(&check.body, "clients"), (2, 0));
    assert_eq!(tally(&check.body, "checkins"), (2, 0));
    assert_eq!(tally(&check.body, "forms"), (1, 0));
    assert_eq!(tally(&check.body, "plans"), (2, 0));
    assert_eq!(
        client_count(app, &newcomer).await,
        0,
        "a dry run writes nothing"
    );

    let done = import(app, &newcomer, raw.clone(), false).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.body["dry_run"], false);
    // The dry run set nothing: the import itself still finds the settings to set.
    assert_eq!(
        done.body["settings"],
        json!(["business name", "units", "time zone"])
    );
    assert_eq!(tally(&done.body, "clients"), (2, 0));
    assert_eq!(client_count(app, &newcomer).await, 2);
    // The workspace settings came across; the newcomer's name and login stay theirs.
    let newcomer_workspace = workspace_of(app, &newcomer).await;
    let profile = app
        .ok(
            &newcomer,
            "coach/profile/get",
            &[("workspace_id", newcomer_workspace.as_str())],
        )
        .await;
    assert_eq!(
        (
            &profile["brand_name"],
            &profile["units"],
            &profile["timezone"]
        ),
        (
            &json!("Peak Form"),
            &json!("imperial"),
            &json!("America/Los_Angeles")
        )
    );
    assert_eq!(
        (&profile["name"], &profile["email"]),
        (&json!("Noa New"), &json!("noa@example.com"))
    );

    // Everything FCDS holds came across.
    let again = export(app, &newcomer).await;
    let round_trip = json_of(&again, "open-coaching-data.json");
    assert_eq!(fcds_errors(&round_trip), Vec::<String>::new());
    assert_eq!(comparable(&round_trip), comparable(&package));
    assert_eq!(
        without_ids(&round_trip["coach"]["settings"]),
        without_ids(&package["coach"]["settings"])
    );
    assert_eq!(
        package["coach"]["profile"]["business_name"],
        round_trip["coach"]["profile"]["business_name"]
    );

    // The same package again (as a ZIP this time) adds nothing.
    let zipped = zip_of(&[("export/open-coaching-data.json", &raw)]).await;
    let twice = import(app, &newcomer, zipped, false).await;
    assert_eq!(twice.status, StatusCode::OK, "{}", twice.body);
    assert_eq!(
        twice.body["settings"],
        json!([]),
        "the settings are already set"
    );
    assert_eq!(tally(&twice.body, "clients"), (0, 2));
    assert_eq!(tally(&twice.body, "checkins"), (0, 2));
    assert_eq!(tally(&twice.body, "forms"), (0, 1));
    assert_eq!(tally(&twice.body, "plans"), (0, 2));
    assert_eq!(client_count(app, &newcomer).await, 2);
    // Into the workspace it came from, too: our own ids are recognised.
    let home = import(app, &coach, raw, true).await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    assert_eq!(tally(&home.body, "clients"), (0, 2));
    assert_eq!(tally(&home.body, "checkins"), (0, 2));
}

/// A small valid package: `clients` as given, one check-in for the first.
fn package_with(clients: Value, weight: Value) -> Vec<u8> {
    let package = json!({
        "manifest": {
            "schema_name": "open-coaching-data",
            "schema_version": "1.0.0",
            "package_id": "package:test",
            "created_at": "2026-01-02T03:04:05Z",
            "created_by_tool": {"name": "Elsewhere", "version": "1"},
            "source_platform": {"name": "Elsewhere"},
            "included_domains": ["clients", "check_ins", "forms"],
            "record_counts": {},
            "warnings": [],
        },
        "clients": {"clients": clients, "client_assignments": []},
        "forms": {
            "form_templates": [{
                "id": "tpl:weekly", "name": "Weekly", "form_type": "check_in",
                "fields": [{"id": "f:w", "label": "Body weight", "field_type": "measurement",
                            "unit": "lb"}],
            }],
            "form_submissions": [{
                "id": "sub:1", "client_id": "c:1", "form_template_id": "tpl:weekly",
                "submitted_at": "2026-01-01T08:00:00+01:00",
                "answers": [{"field_id": "f:w", "value": weight, "unit": "lb"}],
            }],
        },
        "check_ins": [{"id": "ci:1", "client_id": "c:1", "form_submission_id": "sub:1",
                       "checked_in_at": "2026-01-01T08:00:00+01:00"}],
    });
    serde_json::to_vec(&package).unwrap()
}

async fn bad_packages_are_refused_and_leave_nothing(app: &TestApp) {
    let coach = app.client();
    app.signup_coach(&coach, "Casey Coach", "casey@example.com")
        .await;
    let one = json!([{"id": "c:1", "display_name": "Ana", "email": "ana@example.com"}]);

    // Not JSON.
    let response = import(app, &coach, b"{oops".to_vec(), false).await;
    response.assert_refused(StatusCode::BAD_REQUEST, "not JSON");
    // The schema: a client without a name, named by its path.
    let nameless = json!([{"id": "c:1", "email": "ana@example.com"}]);
    let response = import(app, &coach, package_with(nameless, json!(170)), false).await;
    response.assert_refused(StatusCode::BAD_REQUEST, "/clients/clients/0");
    // Our own rules: 1,700 lb is no body weight; the answer is named by its path.
    let response = import(app, &coach, package_with(one.clone(), json!(1700)), false).await;
    response.assert_refused(
        StatusCode::BAD_REQUEST,
        "/forms/form_submissions/0/answers/0",
    );
    // All or nothing: the second client's email is the first's, so not even the first stays.
    let clash = json!([
        {"id": "c:1", "display_name": "Ana", "email": "ana@example.com"},
        {"id": "c:2", "display_name": "Ana Again", "email": "ana@example.com"},
    ]);
    let mut clash: Value = serde_json::from_slice(&package_with(clash, json!(170))).unwrap();
    clash["coach"] = json!({"settings": {"id": "s:1", "timezone": "Asia/Tokyo"}});
    let response = import(app, &coach, serde_json::to_vec(&clash).unwrap(), false).await;
    response.assert_refused(StatusCode::CONFLICT, "/clients/clients/1/email");
    let workspace = workspace_of(app, &coach).await;
    let profile = app
        .ok(&coach, "coach/profile/get", &[("workspace_id", &workspace)])
        .await;
    assert_eq!(
        profile["timezone"], "UTC",
        "the settings are not half-imported"
    );
    // A setting we cannot take (a time zone that is none) is left out, not a refusal.
    let mut odd: Value = serde_json::from_slice(&package_with(one.clone(), json!(170))).unwrap();
    odd["coach"] = json!({"settings": {"id": "s:1", "timezone": "Mars/Olympus_Mons",
        "brand": {"business_name": "Elsewhere Fit"}}});
    let checked = import(app, &coach, serde_json::to_vec(&odd).unwrap(), true).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.body);
    assert_eq!(checked.body["settings"], json!(["business name"]));
    // A workspace whose coach chose its settings keeps them all.
    let own = [
        ("workspace_id", workspace.as_str()),
        ("name", "Casey Coach"),
        ("brand_name", "Casey Fit"),
        ("units", "metric"),
        ("timezone", "UTC"),
    ];
    app.ok(&coach, "coach/profile/update", &own).await;
    let checked = import(app, &coach, serde_json::to_vec(&odd).unwrap(), true).await;
    assert_eq!(checked.body["settings"], json!([]), "{}", checked.body);
    // An id names one record: a check-in with its client's id is refused.
    let mut reused: Value = serde_json::from_slice(&package_with(one.clone(), json!(170))).unwrap();
    reused["check_ins"][0]["id"] = json!("c:1");
    let response = import(app, &coach, serde_json::to_vec(&reused).unwrap(), false).await;
    response.assert_refused(StatusCode::BAD_REQUEST, "/check_ins/0/id");
    // A ZIP with a path that climbs out, and a ZIP bomb (30 MB of spaces in a few KB).
    let good = package_with(one.clone(), json!(170));
    let climbing = zip_of(&[("open-coaching-data.json", &good), ("../../evil.sh", b"x")]).await;
    let response = import(app, &coach, climbing, false).await;
    response.assert_refused(StatusCode::BAD_REQUEST, "unsafe path");
    let mut bomb_json = good.clone();
    bomb_json.extend(std::iter::repeat_n(b' ', 30 * 1024 * 1024));
    let bomb = zip_of(&[("open-coaching-data.json", &bomb_json)]).await;
    assert!(
        bomb.len() < 1024 * 1024,
        "the bomb is small: {}",
        bomb.len()
    );
    let response = import(app, &coach, bomb, false).await;
    response.assert_refused(StatusCode::BAD_REQUEST, "inflates to more than");
    // Too large to upload at all: 413 from its Content-Length (the server may close the
    // connection while the client is still sending).
    let form = reqwest::multipart::Form::new()
        .text("dry_run", "false")
        .part(
            "package",
            reqwest::multipart::Part::bytes(vec![b' '; 25 * 1024 * 1024]),
        );
    let sent = coach
        .post(app.url("/api/coach/import"))
        .multipart(form)
        .send()
        .await;
    if let Ok(response) = sent {
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    assert_eq!(client_count(app, &coach).await, 0, "nothing was written");

    // The same package, whole, imports: 170 lb is 77.1 kg.
    let response = import(app, &coach, package_with(one, json!(170)), false).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(tally(&response.body, "clients"), (1, 0));
    assert_eq!(tally(&response.body, "checkins"), (1, 0));
    let clients = app
        .ok(
            &coach,
            "clients/list",
            &[("query", ""), ("page", "1"), ("archived", "false")],
        )
        .await;
    let client_id = clients["clients"][0]["id"].as_str().unwrap().to_owned();
    let checkins = app
        .ok(&coach, "checkins/list", &[("client_id", &client_id)])
        .await;
    let checkin_id = checkins[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        checkins[0]["submitted_at"], 1_767_250_800_000_i64,
        "07:00 UTC"
    );
    let review = app
        .ok(&coach, "checkins/get", &[("checkin_id", &checkin_id)])
        .await;
    let weight = review["current"]["values"]["weight"]
        .as_f64()
        .expect("a weight");
    assert!((weight - 77.11).abs() < 0.01, "{weight}");

    // A plan given to no one becomes a template, sealed with the workspace's key, which a new
    // coach does not have until then.
    let fresh = app.client();
    app.signup_coach(&fresh, "Fay Fresh", "fay@example.com")
        .await;
    let mut with_template: Value =
        serde_json::from_slice(&package_with(json!([]), json!(170))).unwrap();
    with_template["check_ins"] = json!([]);
    with_template["forms"]["form_submissions"] = json!([]);
    with_template["nutrition"] =
        json!({"meal_plans": [{"id": "mp:1", "name": "Base", "targets": {"protein_g": 150}}]});
    let response = import(
        app,
        &fresh,
        serde_json::to_vec(&with_template).unwrap(),
        false,
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(tally(&response.body, "plans"), (1, 0));
    let templates = app
        .ok(&fresh, "meal_plans/list", &[("client_id", "")])
        .await;
    assert_eq!(templates[0]["name"], "Base", "{templates}");
}
