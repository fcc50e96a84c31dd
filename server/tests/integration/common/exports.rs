//! Reading export archives back, and checking Fitness Coaching Data Standard files against the
//! published schema (vendored in `app/schemas/`).

use super::TestApp;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Every file in a ZIP, by path. Fails the test on a damaged archive (a CRC mismatch too).
// The seek reader is deprecated in 0.0.19 for the new `read1` module, which is built on
// futures-lite IO and has no checked read-to-end yet; this one checks each entry's CRC.
#[allow(deprecated)]
pub async fn unzip(bytes: Vec<u8>) -> BTreeMap<String, Vec<u8>> {
    let mut reader =
        async_zip::base::read::seek::ZipFileReader::with_tokio(std::io::Cursor::new(bytes))
            .await
            .expect("a readable ZIP");
    let mut files = BTreeMap::new();
    for index in 0..reader.file().entries().len() {
        let name = reader.file().entries()[index]
            .filename()
            .as_str()
            .expect("a UTF-8 name")
            .to_owned();
        let mut entry = reader.reader_with_entry(index).await.expect("entry");
        let mut content = Vec::new();
        entry
            .read_to_end_checked(&mut content)
            .await
            .expect("entry content matches its CRC");
        files.insert(name, content);
    }
    files
}

/// Every file in a ZIP, or, for a body that is not one (an error's JSON), that body as one file.
pub async fn unzip_or_empty(bytes: Vec<u8>) -> BTreeMap<String, Vec<u8>> {
    if bytes.starts_with(b"PK") {
        unzip(bytes).await
    } else {
        BTreeMap::from([("body".to_owned(), bytes)])
    }
}

/// The schema's complaints about `package`, each as "JSON path: message"; empty when valid.
pub fn fcds_errors(package: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(include_str!(
        "../../../../app/schemas/open-coaching-data.v1.schema.json"
    ))
    .expect("the vendored schema is JSON");
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the vendored schema compiles");
    validator
        .iter_errors(package)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// A meal plan and a workout plan for the client (the first of each kind is their active one).
pub async fn plans_for(app: &TestApp, coach: &reqwest::Client, client_id: &str) {
    let meal = app
        .ok(
            coach,
            "meal_plans/create",
            &[("name", "Lean bulk"), ("client_id", client_id)],
        )
        .await;
    app.ok_json(
        coach,
        "meal_plans/save",
        &json!({ "plan_id": meal, "name": "Lean bulk", "plan": {
            "notes": "", "target_protein": "150", "target_carbs": "", "target_fat": "",
            "target_kcal": "2200", "days": [{ "name": "Every day", "notes": "", "meals": [
                { "name": "Breakfast", "notes": "", "foods": [
                    { "name": "Oats", "quantity": "80", "unit": "g", "protein": "10",
                      "carbs": "54", "fat": "6", "kcal": "" } ] } ] }] } }),
    )
    .await;
    let workout = app
        .ok(
            coach,
            "workout_plans/create",
            &[("name", "Upper/lower"), ("client_id", client_id)],
        )
        .await;
    app.ok_json(
        coach,
        "workout_plans/save",
        &json!({ "plan_id": workout, "name": "Upper/lower", "plan": { "notes": "", "sessions": [
            { "name": "Lower", "day": "Monday", "warm_up": "5 min bike", "cool_down": "",
              "notes": "", "exercises": [
                { "name": "Back squat", "sets": "4", "reps": "6-8", "load": "100",
                  "load_unit": "kg", "tempo": "3-1-1", "effort_scale": "rpe", "effort": "8",
                  "rest_secs": "120", "notes": "" } ] } ] } }),
    )
    .await;
}

/// An intake form assigned to the client and answered; returns the assignment id.
pub async fn answered_form(
    app: &TestApp,
    coach: &reqwest::Client,
    client: &reqwest::Client,
    client_id: &str,
) -> String {
    let form = app
        .ok(
            coach,
            "forms/create",
            &[("name", "Intake"), ("kind", "intake")],
        )
        .await;
    let form = form.as_str().unwrap();
    app.ok_json(
        coach,
        "forms/save",
        &json!({ "form_id": form, "form": { "name": "Intake", "kind": "intake",
            "description": "", "fields": [
                { "label": "What do you want to achieve?", "field_type": "long_text",
                  "required": true },
                { "label": "Diet", "field_type": "single_choice", "required": true,
                  "options": "Omnivore\nVegetarian" },
                { "label": "Any injuries?", "field_type": "yes_no", "required": true },
            ] } }),
    )
    .await;
    let assignment = app
        .ok(
            coach,
            "forms/assign",
            &[("form_id", form), ("client_id", client_id)],
        )
        .await;
    let assignment = assignment.as_str().unwrap().to_owned();
    app.ok_json(
        client,
        "portal/forms/submit",
        &json!({ "assignment_id": assignment, "answers": {
            "f1": ["Run a half marathon"], "f2": ["Vegetarian"], "f3": ["no"] } }),
    )
    .await;
    assignment
}
