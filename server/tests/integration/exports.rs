//! "Download my data" on both databases: the client's ZIP holds everything their portal shows
//! (data.json), their photos as files, the check-in and plan PDFs, and an FCDS v1 file that the
//! published schema accepts; the download is in their access log; it is theirs alone.

use crate::common;

use app::server::photos::fixtures;
use common::checkins::Submission;
use common::exports::{answered_form, fcds_errors, plans_for, unzip};
use common::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    a_client_downloads_everything_they_see_as_one_zip,
    the_data_export_is_the_clients_alone,
);

/// Asks as a browser does, accepting compressed answers (the ZIP must not be compressed again).
async fn download(app: &TestApp, who: &reqwest::Client) -> reqwest::Response {
    who.get(app.url("/api/portal/export"))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap()
}

async fn a_client_downloads_everything_they_see_as_one_zip(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    app.set_brand(&coach, "Casey Coach", "Casey Strength Co")
        .await;
    let with_photos = app
        .checkin_ok(
            &client,
            &Submission::default()
                .field("weight", "80")
                .field("feedback", "Hard week, knee was sore.")
                .photo("front", "front.jpg", fixtures::jpeg_with_gps(64, 96))
                .photo("side", "side.png", fixtures::png(48, 64)),
        )
        .await;
    app.ok(
        &coach,
        "checkins/review",
        &[("checkin_id", &with_photos), ("reply", "Rest the knee.")],
    )
    .await;
    app.checkin_ok(&client, &Submission::default().field("weight", "79.5"))
        .await;
    plans_for(app, &coach, &client_id).await;
    answered_form(app, &coach, &client, &client_id).await;

    let response = download(app, &client).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/zip");
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"coachroom-data-"));
    assert!(
        response.headers().get("content-encoding").is_none(),
        "a ZIP is not compressed again"
    );
    let files = unzip(response.bytes().await.unwrap().to_vec()).await;

    let data: Value = serde_json::from_slice(&files["data.json"]).unwrap();
    assert_eq!(data["profile"]["name"], "Riley Client");
    assert_eq!(data["coach"]["brand_name"], "Casey Strength Co");
    let checkins = data["checkins"].as_array().unwrap();
    assert_eq!(checkins.len(), 2);
    assert_eq!(checkins[0]["id"], with_photos.as_str());
    assert_eq!(checkins[0]["reply"], "Rest the knee.");
    assert_eq!(checkins[0]["feedback"], "Hard week, knee was sore.");
    assert_eq!(checkins[0]["values"]["weight"], 80.0);
    // Every photo named in data.json is in the archive, as the image it is.
    let photos = checkins[0]["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 2);
    let front = &files[photos[0]["file"].as_str().unwrap()];
    assert!(
        front.starts_with(&[0xff, 0xd8]),
        "the front photo is a JPEG"
    );
    // Uploaded as a PNG; stored (and exported) as the JPEG every photo is re-encoded to.
    let side = &files[photos[1]["file"].as_str().unwrap()];
    assert!(side.starts_with(&[0xff, 0xd8]), "the side photo is a JPEG");
    assert!(photos[1]["file"].as_str().unwrap().ends_with("-side.jpg"));
    assert_eq!(files.keys().filter(|k| k.starts_with("photos/")).count(), 2);
    // PDFs: one per check-in and one per active plan.
    for checkin in checkins {
        let pdf = &files[checkin["pdf"].as_str().unwrap()];
        assert!(pdf.starts_with(b"%PDF"));
    }
    assert!(common::pdf_text(&files["pdfs/meal-plan.pdf"]).contains("Oats"));
    assert!(common::pdf_text(&files["pdfs/workout-plan.pdf"]).contains("Back squat"));
    assert_eq!(data["meal_plan"]["summary"]["name"], "Lean bulk");
    assert_eq!(data["workout_plan"]["summary"]["name"], "Upper/lower");
    assert_eq!(
        data["forms"][0]["answers"]["f1"],
        json!({"type": "text", "value": "Run a half marathon"})
    );
    // The export itself is the newest entry of the access log it carries.
    assert_eq!(data["access_log"][0]["action"], "client_data_exported");
    assert_eq!(data["access_log"][0]["actor"], "client");

    let package: Value = serde_json::from_slice(&files["open-coaching-data.json"]).unwrap();
    let errors = fcds_errors(&package);
    assert!(errors.is_empty(), "FCDS schema errors: {errors:#?}");
    let counts = &package["manifest"]["record_counts"];
    assert_eq!(counts["clients"], 1);
    assert_eq!(counts["check_ins"], 2);
    // Two check-ins and the intake form.
    assert_eq!(counts["form_submissions"], 3);
    assert_eq!(counts["meal_plans"], 1);
    assert_eq!(counts["workout_session_exercises"], 1);
    assert_eq!(
        package["clients"]["clients"][0]["id"],
        format!("client:{client_id}")
    );
    assert_eq!(
        package["nutrition"]["meal_plans"][0]["targets"]["protein_g"],
        150.0
    );

    // The client sees the download in their log, and so does the coach.
    let mine = app
        .ok(&client, "portal/access_log", &[("before", "0")])
        .await;
    assert_eq!(mine["entries"][0]["action"], "client_data_exported");
    let workspace = app
        .ok(
            &coach,
            "access_log/list",
            &[("client_id", ""), ("actor", "client"), ("before", "0")],
        )
        .await;
    assert!(workspace["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "client_data_exported" && e["client_id"] == client_id.as_str()));
}

async fn the_data_export_is_the_clients_alone(app: &TestApp) {
    let (coach, client, _) = app.coach_and_client().await;
    app.checkin_ok(
        &client,
        &Submission::default().field("weight", "80").photo(
            "front",
            "front.jpg",
            fixtures::jpeg_with_gps(64, 96),
        ),
    )
    .await;
    // Another coach's client gets their own, empty, data and nothing of Riley's.
    let other_coach = app.client();
    app.signup_coach(&other_coach, "Other Coach", "other@example.com")
        .await;
    let other_id = app
        .create_client(&other_coach, "Sky Other", "sky@example.com")
        .await;
    let other = app.invite_and_join(&other_coach, &other_id).await;
    let response = download(app, &other).await;
    assert_eq!(response.status(), StatusCode::OK);
    let files = unzip(response.bytes().await.unwrap().to_vec()).await;
    let data: Value = serde_json::from_slice(&files["data.json"]).unwrap();
    assert_eq!(data["profile"]["name"], "Sky Other");
    assert_eq!(data["checkins"], json!([]));
    assert!(!files.keys().any(|k| k.starts_with("photos/")));
    let text = String::from_utf8_lossy(&files["data.json"]).into_owned();
    assert!(!text.contains("Riley"), "another client's data leaked");
    let package: Value = serde_json::from_slice(&files["open-coaching-data.json"]).unwrap();
    assert!(fcds_errors(&package).is_empty());
    // The check can fail: an id the standard does not allow is named by its path.
    let mut broken = package.clone();
    broken["clients"]["clients"][0]["id"] = json!("Client 1");
    let errors = fcds_errors(&broken);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/clients/clients/0/id")),
        "{errors:?}"
    );

    // Another site's page cannot start an export in the client's browser, nor can a HEAD.
    let cross_site = other
        .get(app.url("/api/portal/export"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    let head = other
        .head(app.url("/api/portal/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::BAD_REQUEST);

    // Coaches, operators and strangers are refused; nothing is logged for them.
    assert_eq!(download(app, &coach).await.status(), StatusCode::FORBIDDEN);
    let (operator, _) = app.operator("ops@example.com").await;
    assert_eq!(
        download(app, &operator).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        download(app, &app.client()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (exports,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM access_log WHERE action = 'client_data_exported'")
            .fetch_one(app.db.reader())
            .await
            .unwrap();
    assert_eq!(exports, 1);
}
