//! Check-ins end to end over HTTP: the client submits (with photos), the coach reviews and
//! replies, progress, photo safety, bad input, and deletion of stored objects. Both databases;
//! photo storage on local disk, and on a real S3-compatible stand-in.

use crate::common;

use app::server::photos::fixtures;
use common::checkins::Submission;
use common::{Backend, TestApp};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

fn first_week() -> Submission {
    Submission::default()
        .field("weight", "80")
        .field("waist", "90")
        .field("mood", "6")
        .field("sleep", "7.5")
        .field("feedback", "Hard week, knee was sore.")
        .photo("front", "front.jpg", fixtures::jpeg_with_gps(64, 96))
}

fn second_week() -> Submission {
    Submission::default()
        .field("weight", "78.5")
        .field("waist", "88")
        .field("mood", "8")
        .field("steps", "9,500")
        .field("feedback", "Much better!")
        .photo("front", "front.jpg", fixtures::jpeg_with_gps(64, 96))
        .photo("side", "side.png", fixtures::png(48, 64))
}

async fn fetch(url: &str) -> reqwest::Response {
    reqwest::Client::new().get(url).send().await.expect("fetch")
}

on_both_backends!(
    client_submits_and_coach_reviews_with_the_previous_check_in,
    stored_photos_carry_no_location_and_urls_are_only_for_the_owners,
    bad_input_gets_clear_errors_and_nothing_is_saved,
    deleting_a_check_in_or_a_client_removes_stored_objects,
    imperial_units,
    photos_are_removed_when_the_check_in_cannot_be_recorded,
    a_check_in_exports_as_a_pdf_for_its_coach_and_client,
    a_check_in_sent_again_with_its_key_is_recorded_once,
);

/// The portal's offline queue sends a check-in again until an answer arrives; its key makes the
/// repeats one check-in, also when they arrive at the same moment, and leaves no extra photos.
async fn a_check_in_sent_again_with_its_key_is_recorded_once(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    let key = "0123456789abcdef0123456789abcdef";
    let keyed = || second_week().field("idempotency_key", key);
    let first = app.checkin_ok(&client, &keyed()).await;
    // Sent again later, even with other values: the answer is the first check-in, untouched.
    let again = app
        .checkin_ok(&client, &keyed().field("feedback", "a retry"))
        .await;
    assert_eq!(again, first);
    // Two at once with a new key (two uploads per person may run at once): one check-in, and
    // each answer names it.
    let other_key = "fedcba9876543210fedcba9876543210";
    let repeat = second_week().field("idempotency_key", other_key);
    let answers =
        futures_util::future::join_all((0..2).map(|_| app.submit_checkin(&client, &repeat))).await;
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|answer| {
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            answer.body["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "one check-in for one key: {ids:?}");
    assert!(!ids.contains(&first));
    let listed = app.ok(&client, "portal/checkins/list", &[]).await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(app.photo_keys().await.len(), 4, "two photos each, no more");
    assert_eq!(
        app.stored_photo_files().len(),
        4,
        "the photos of a repeat that lost the race were removed"
    );
    // Without a key, two sendings are two check-ins (a form posted without the app).
    app.checkin_ok(&client, &first_week()).await;
    app.checkin_ok(&client, &first_week()).await;
    let listed = app.ok(&client, "portal/checkins/list", &[]).await;
    assert_eq!(listed.as_array().unwrap().len(), 4);

    // The key is this client's: another client's same key is their own new check-in.
    let other = app
        .create_client(&coach, "Sam Second", "sam@example.com")
        .await;
    let sam = app.invite_and_join(&coach, &other).await;
    let theirs = app.checkin_ok(&sam, &keyed()).await;
    assert_ne!(theirs, first);
    // A check-in made for another account on the same device (queued, then sent after someone
    // else signed in) is refused, not recorded for whoever is signed in.
    let riley_id = app.ok(&client, "auth/me", &[]).await["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stray = app
        .submit_checkin(&sam, &first_week().field("sender_id", &riley_id))
        .await;
    stray.assert_refused(StatusCode::CONFLICT, "another account");
    let sam_id = app.ok(&sam, "auth/me", &[]).await["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let own = app
        .checkin_ok(&sam, &first_week().field("sender_id", &sam_id))
        .await;
    assert_ne!(own, theirs);
    let listed = app.ok(&sam, "portal/checkins/list", &[]).await;
    assert_eq!(
        listed.as_array().unwrap().len(),
        2,
        "the stray one was not recorded"
    );
    // A malformed key is refused by name, and nothing is recorded.
    let refused = app
        .submit_checkin(&sam, &first_week().field("idempotency_key", "../../etc"))
        .await;
    refused.assert_refused(StatusCode::BAD_REQUEST, "idempotency_key");
    let listed = app.ok(&sam, "portal/checkins/list", &[]).await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    // Deleting the client takes the keys with it.
    app.ok(&coach, "clients/delete", &[("client_id", &client_id)])
        .await;
    let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM checkin_idempotency_keys")
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    assert_eq!(left, 1, "only the other client's key is left");
}

async fn a_check_in_exports_as_a_pdf_for_its_coach_and_client(app: &TestApp) {
    let (coach, client, _) = app.coach_and_client().await;
    app.set_brand(&coach, "Casey Coach", "Casey Strength Co")
        .await;
    let id = app.checkin_ok(&client, &second_week()).await;
    app.ok(
        &coach,
        "checkins/review",
        &[
            ("checkin_id", &id),
            ("reply", "Proud of you. Same plan next week."),
        ],
    )
    .await;
    let path = format!("/api/checkins/{id}/pdf");
    for who in [&coach, &client] {
        let response = who.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/pdf");
        let disposition = response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            disposition.starts_with("attachment; filename=\"checkin-"),
            "{disposition}"
        );
        let text = common::pdf_text(&response.bytes().await.unwrap());
        for expected in [
            "Casey Strength Co",
            "Check-in of Riley Client",
            "Weight: 78.5 kg",
            "Steps (daily average): 9500",
            "Much better!",
            "Proud of you. Same plan next week.",
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} missing from the PDF text: {text:?}"
            );
        }
    }
    let anonymous = app.client().get(app.url(&path)).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let missing = coach
        .get(app.url("/api/checkins/0123456789abcdef/pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

/// Makes every insert into `checkins` fail, as a database outage after the photos were stored.
async fn break_checkin_inserts(app: &TestApp) {
    let statements: &[&str] = match app.backend {
        Backend::Sqlite => &["CREATE TRIGGER fail_checkins BEFORE INSERT ON checkins \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END"],
        Backend::Postgres => &[
            "CREATE FUNCTION fail_checkins() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER fail_checkins BEFORE INSERT ON checkins \
             FOR EACH ROW EXECUTE FUNCTION fail_checkins()",
        ],
    };
    for sql in statements {
        sqlx::query(sql).execute(app.db.writer()).await.expect(sql);
    }
}

/// The photos are written before the rows; when the rows fail, the photos are removed again.
async fn photos_are_removed_when_the_check_in_cannot_be_recorded(app: &TestApp) {
    let (_, client, _) = app.coach_and_client().await;
    break_checkin_inserts(app).await;
    let response = app.submit_checkin(&client, &second_week()).await;
    assert_eq!(response.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        response.kind(),
        "internal",
        "the cause stays in the server log"
    );
    assert!(app.photo_keys().await.is_empty());
    assert!(
        app.stored_photo_files().is_empty(),
        "photos of a failed check-in were left behind"
    );
}

async fn client_submits_and_coach_reviews_with_the_previous_check_in(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    // As the portal's form sends it: each slot's camera input empty, after a chosen photo or
    // alone.
    let as_the_portal_sends =
        first_week()
            .photo("front", "", Vec::new())
            .photo("side", "", Vec::new());
    let first = app.checkin_ok(&client, &as_the_portal_sends).await;
    // Distinct submission times, so "previous" and "newest first" are well defined.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let second = app.checkin_ok(&client, &second_week()).await;

    let inbox = app.ok(&coach, "checkins/inbox", &[("page", "1")]).await;
    assert_eq!(inbox["total"], 2);
    assert_eq!(inbox["items"][0]["checkin_id"], second.as_str());
    assert_eq!(inbox["items"][0]["client_name"], "Riley Client");
    assert_eq!(inbox["items"][0]["photo_count"], 2);
    assert_eq!(inbox["items"][1]["checkin_id"], first.as_str());
    assert_eq!(inbox["items"][1]["photo_count"], 1);

    let review = app
        .ok(&coach, "checkins/get", &[("checkin_id", second.as_str())])
        .await;
    assert_eq!(review["client_id"], client_id.as_str());
    assert_eq!(review["current"]["values"]["weight"], 78.5);
    assert_eq!(review["current"]["values"]["steps"], 9500.0);
    assert_eq!(review["previous"]["id"], first.as_str());
    assert_eq!(review["previous"]["values"]["weight"], 80.0);
    assert_eq!(review["current"]["photos"].as_array().unwrap().len(), 2);
    let first_review = app
        .ok(&coach, "checkins/get", &[("checkin_id", first.as_str())])
        .await;
    assert_eq!(first_review["previous"], Value::Null);

    app.ok(
        &coach,
        "checkins/review",
        &[
            ("checkin_id", &second),
            ("reply", "Great work, keep the steps up."),
        ],
    )
    .await;
    let inbox = app.ok(&coach, "checkins/inbox", &[("page", "1")]).await;
    assert_eq!(inbox["total"], 1, "a reviewed check-in leaves the inbox");
    assert_eq!(inbox["items"][0]["checkin_id"], first.as_str());

    // The client sees the reply, and their list shows which check-ins were reviewed.
    let mine = app
        .ok(&client, "portal/checkins/get", &[("checkin_id", &second)])
        .await;
    assert_eq!(mine["reply"], "Great work, keep the steps up.");
    assert!(mine["reviewed_at"].is_i64());
    let list = app.ok(&client, "portal/checkins/list", &[]).await;
    assert_eq!(list[0]["id"], second.as_str());
    assert_eq!(list[0]["reviewed"], true);
    assert_eq!(list[0]["has_reply"], true);
    assert_eq!(list[1]["reviewed"], false);

    // Progress: both the coach and the client see every metric over time, oldest first.
    for (who, endpoint, args) in [
        (
            &coach,
            "checkins/progress",
            vec![("client_id", client_id.as_str())],
        ),
        (&client, "portal/progress", vec![]),
    ] {
        let progress = app.ok(who, endpoint, &args).await;
        let series = progress["series"].as_array().unwrap();
        let weight = series.iter().find(|s| s["metric"] == "weight").unwrap();
        assert_eq!(weight["points"][0]["value"], 80.0);
        assert_eq!(weight["points"][1]["value"], 78.5);
        let steps = series.iter().find(|s| s["metric"] == "steps").unwrap();
        assert_eq!(steps["points"].as_array().unwrap().len(), 1);
        assert!(
            series.iter().all(|s| s["metric"] != "hunger"),
            "unreported metrics have no chart"
        );
        let photos = progress["photo_checkins"].as_array().unwrap();
        assert_eq!(photos.len(), 2);
        assert_eq!(photos[1]["slots"], serde_json::json!(["front", "side"]));
    }
}

/// Imperial coaches: the client types pounds and inches; everything is stored in SI.
async fn imperial_units(app: &TestApp) {
    let (coach, client, _) = app.coach_and_client().await;
    let me = app.ok(&coach, "auth/me", &[]).await;
    let workspace = me["user_id"].as_str().unwrap();
    app.ok(
        &coach,
        "coach/profile/update",
        &[
            ("workspace_id", workspace),
            ("name", "Casey Coach"),
            ("brand_name", ""),
            ("units", "imperial"),
            ("timezone", "UTC"),
        ],
    )
    .await;
    let id = app
        .checkin_ok(
            &client,
            &Submission::default()
                .field("weight", "176.4")
                .field("waist", "32"),
        )
        .await;
    let mine = app
        .ok(&client, "portal/checkins/get", &[("checkin_id", &id)])
        .await;
    assert_eq!(mine["units"], "imperial");
    let kg = mine["values"]["weight"].as_f64().unwrap();
    assert!((kg - 80.0).abs() < 0.02, "{kg}");
    let cm = mine["values"]["waist"].as_f64().unwrap();
    assert!((cm - 81.28).abs() < 0.001, "{cm}");
    let refused = app
        .submit_checkin(&client, &Submission::default().field("weight", "5000"))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.body["detail"],
        "Weight must be between 44.1 lb and 881.8 lb."
    );
}

async fn stored_photos_carry_no_location_and_urls_are_only_for_the_owners(app: &TestApp) {
    let (coach, client, _) = app.coach_and_client().await;
    let upload = fixtures::jpeg_with_gps(64, 96);
    assert!(
        fixtures::has_gps(&upload),
        "the fixture must carry GPS for this test to mean anything"
    );
    let id = app
        .checkin_ok(
            &client,
            &Submission::default().photo("front", "me.jpg", upload),
        )
        .await;

    // Every stored object, read straight from the storage backend, is a clean JPEG.
    let keys = app.photo_keys().await;
    assert_eq!(keys.len(), 1);
    for key in &keys {
        assert!(
            !key.contains("me.jpg"),
            "keys are made by the server, not from file names"
        );
        let parsed = app::server::storage::ObjectKey::parse(key).unwrap();
        let bytes = app.storage.get(&parsed).await.unwrap().expect("stored");
        assert!(!fixtures::has_exif(&bytes), "stored photo still has EXIF");
        assert!(!fixtures::has_gps(&bytes), "stored photo still has GPS");
        assert_eq!(
            image::guess_format(&bytes).unwrap(),
            image::ImageFormat::Jpeg
        );
    }

    // The coach and the client both get a working URL; the served bytes are clean too.
    let from_coach = app.ok(&coach, "checkins/get", &[("checkin_id", &id)]).await;
    let from_client = app
        .ok(&client, "portal/checkins/get", &[("checkin_id", &id)])
        .await;
    for detail in [&from_coach["current"], &from_client] {
        let url = detail["photos"][0]["url"].as_str().unwrap();
        let response = fetch(&app.absolute(url)).await;
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        let bytes = response.bytes().await.unwrap();
        assert!(!fixtures::has_gps(&bytes));
        assert_eq!(detail["photos"][0]["width"], 64);
        assert_eq!(detail["photos"][0]["height"], 96);
    }

    // A local photo URL is bound to its key and signature: neither can be altered.
    let url = from_client["photos"][0]["url"].as_str().unwrap();
    if url.starts_with("/files/") {
        let tampered_sig = url.replacen("sig=", "sig=00", 1);
        assert_eq!(
            fetch(&app.absolute(&tampered_sig)).await.status(),
            StatusCode::FORBIDDEN
        );
        let later = url.replacen("expires=", "expires=9", 1);
        assert_eq!(
            fetch(&app.absolute(&later)).await.status(),
            StatusCode::FORBIDDEN
        );
    }
}

async fn bad_input_gets_clear_errors_and_nothing_is_saved(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    let cases: Vec<(Submission, &str)> = vec![
        (
            Submission::default().field("weight", "5000"),
            "Weight must be between 20 kg and 400 kg.",
        ),
        (
            Submission::default().field("sleep", "30"),
            "Sleep (hours a night) must be between 0 h and 24 h.",
        ),
        (
            Submission::default().field("waist", "-80"),
            "Waist must be between 30 cm and 300 cm.",
        ),
        (
            Submission::default().field("mood", "11"),
            "Mood must be between 1 and 10.",
        ),
        (
            Submission::default().field("feedback", "  "),
            "Your check-in is empty. Add at least one measurement, a note or a photo.",
        ),
        (
            // A valid photo beside a non-image "photo": nothing of either may be kept.
            Submission::default()
                .field("weight", "80")
                .photo("front", "ok.jpg", fixtures::jpeg_with_gps(32, 32))
                .photo(
                    "side",
                    "notes.jpg",
                    b"%PDF-1.7 definitely not a photo".to_vec(),
                ),
            "Side photo is not a JPEG, PNG or WebP image.",
        ),
        (
            Submission::default()
                .photo("front", "ok.jpg", fixtures::jpeg_with_gps(32, 32))
                .photo("back", "flood.png", fixtures::pixel_flood_png(60_000)),
            "Back photo",
        ),
        (
            // Two photos for one slot (the chooser and the camera both used, without the app).
            Submission::default()
                .photo("front", "chosen.jpg", fixtures::jpeg_with_gps(32, 32))
                .photo("front", "camera.jpg", fixtures::jpeg_with_gps(32, 32)),
            "Only one front photo per check-in.",
        ),
        (
            // A check-in for someone else: there is no such field to name them by.
            Submission::default()
                .field("client_id", &client_id)
                .field("weight", "80"),
            "Unknown field \"client_id\" in the check-in.",
        ),
    ];
    for (submission, message) in cases {
        let response = app.submit_checkin(&client, &submission).await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{message}: {}",
            response.body
        );
        assert_eq!(response.kind(), "invalid");
        let detail = response.body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.starts_with(message),
            "expected {message:?}, got {detail:?}"
        );
    }

    // Not multipart at all: a clear 400, not a dropped connection.
    let response = app
        .call(&client, "portal/checkins/submit", &[("weight", "80")])
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.kind(), "invalid");

    // Multipart in name only: refused before the multipart decoder (which would panic) sees it,
    // whoever sends it.
    for content_type in [
        "multipart/form-dataX; boundary=abc",
        "multipart/form-data; x-boundary=1",
        "multipart/form-data",
    ] {
        for http in [&client, &app.client()] {
            let response = http
                .post(app.url("/api/portal/checkins/submit"))
                .header("content-type", content_type)
                .body("--abc--")
                .send()
                .await
                .expect("an answer, not a dropped connection");
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{content_type}");
        }
    }

    // A coach cannot submit a check-in, for their client or anyone.
    let response = app
        .submit_checkin(&coach, &Submission::default().field("weight", "80"))
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);

    let list = app.ok(&client, "portal/checkins/list", &[]).await;
    assert_eq!(list, serde_json::json!([]), "no half-saved check-in");
    assert!(app.photo_keys().await.is_empty());
    assert!(app.stored_photo_files().is_empty(), "no orphaned objects");
}

/// A photo over the configured size limit is refused without storing anything.
async fn oversized_photos_are_refused(app: &TestApp) {
    let (_, client, _) = app.coach_and_client().await;
    // Only the size matters: the limit is checked while reading, before anything is decoded.
    let mut big = fixtures::png(8, 8);
    big.resize(8192, 0);
    let response = app
        .submit_checkin(
            &client,
            &Submission::default().photo("front", "big.png", big),
        )
        .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.body
    );
    assert_eq!(
        response.body["detail"],
        "Front photo is too large (4 KB at most)."
    );
    // A whole body past every limit is answered 413 from its Content-Length, before it is read
    // (the server may close the connection while the client is still sending).
    let huge = vec![0u8; 6 * 1024 * 1024];
    let sent = client
        .post(app.url("/api/portal/checkins/submit"))
        .multipart(
            Submission::default()
                .photo("front", "huge.jpg", huge)
                .form(),
        )
        .send()
        .await;
    if let Ok(response) = sent {
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    assert!(app.stored_photo_files().is_empty());
}

/// Two sendings of one key whose transactions overlap, forced: the first's key row is written in
/// a transaction held open, the repeat (whose early lookup cannot see it) waits on that row, and
/// once the first commits, the repeat records nothing, removes its photos and answers with the
/// first check-in. PostgreSQL only: SQLite's one writer never lets two sendings overlap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_repeat_that_waited_on_the_first_answers_with_it() {
    let Some(app) = TestApp::start(Backend::Postgres).await else {
        return;
    };
    let (_coach, client, client_id) = app.coach_and_client().await;
    let first = app.checkin_ok(&client, &first_week()).await;
    let photos_before = app.stored_photo_files().len();
    let key = "00112233445566778899aabbccddeeff";
    let mut first_sending = app.db.writer().begin().await.expect("begin");
    sqlx::query(
        "INSERT INTO checkin_idempotency_keys (client_id, idempotency_key, checkin_id) \
         VALUES ($1, $2, $3)",
    )
    .bind(&client_id)
    .bind(key)
    .bind(&first)
    .execute(&mut *first_sending)
    .await
    .expect("the first sending's key");
    let repeat = second_week().field("idempotency_key", key);
    let commit_once_the_repeat_waits = async {
        let waiting = "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
                       AND wait_event_type = 'Lock' \
                       AND query LIKE 'INSERT INTO checkin_idempotency_keys%'";
        // Up to a minute: on a busy machine the repeat may wait for a photo decoding slot first.
        for _ in 0..2400 {
            let n: i64 = sqlx::query_scalar(waiting)
                .fetch_one(app.db.reader())
                .await
                .expect("pg_stat_activity");
            if n > 0 {
                first_sending.commit().await.expect("commit");
                return true;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        false
    };
    let (answer, waited) = futures_util::future::join(
        app.submit_checkin(&client, &repeat),
        commit_once_the_repeat_waits,
    )
    .await;
    assert!(
        waited,
        "the repeat never waited on the first's key row: {} {}",
        answer.status, answer.body
    );
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["id"], first.as_str(), "the first check-in");
    let listed = app.ok(&client, "portal/checkins/list", &[]).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(
        app.stored_photo_files().len(),
        photos_before,
        "the repeat's photos were removed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_photos_are_refused_on_sqlite() {
    let app = TestApp::start_with(Backend::Sqlite, |cli| {
        cli.photo_max_bytes = Some("4096".into());
    })
    .await
    .expect("app");
    oversized_photos_are_refused(&app).await;
    app.stop().await;
}

async fn deleting_a_check_in_or_a_client_removes_stored_objects(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    let kept = app.checkin_ok(&client, &first_week()).await;
    let doomed = app.checkin_ok(&client, &second_week()).await;
    let keys = app.photo_keys().await;
    assert_eq!(keys.len(), 3);
    for key in &keys {
        assert!(app.object_exists(key).await);
    }
    assert_eq!(app.stored_photo_files().len(), 3);

    app.ok(&coach, "checkins/delete", &[("checkin_id", &doomed)])
        .await;
    let left = app.photo_keys().await;
    assert_eq!(left.len(), 1);
    for key in keys.iter().filter(|k| !left.contains(k)) {
        assert!(!app.object_exists(key).await, "{key} should be gone");
    }
    assert_eq!(app.stored_photo_files().len(), 1);
    let gone = app
        .call(&client, "portal/checkins/get", &[("checkin_id", &doomed)])
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    app.ok(&client, "portal/checkins/get", &[("checkin_id", &kept)])
        .await;

    app.ok(&coach, "clients/delete", &[("client_id", &client_id)])
        .await;
    for key in &left {
        assert!(
            !app.object_exists(key).await,
            "{key} should be gone with the client"
        );
    }
    assert!(app.stored_photo_files().is_empty());
    let (queued,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM object_deletions")
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    assert_eq!(queued, 0, "the deletion queue is drained");
}

/// Photo URLs work until their time is up, and never after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photo_urls_expire() {
    for s3 in [false, true] {
        let configure = |cli: &mut coachroom_server::config::Cli| {
            // S3 signs with a whole-second timestamp, so 2 s means "between 1 and 2 s".
            cli.file_url_ttl_secs = Some("2".into());
        };
        let app = if s3 {
            TestApp::start_with_s3(Backend::Sqlite, configure).await
        } else {
            TestApp::start_with(Backend::Sqlite, configure).await
        }
        .expect("app");
        let (_, client, _) = app.coach_and_client().await;
        let id = app
            .checkin_ok(
                &client,
                &Submission::default().photo("front", "f.jpg", fixtures::png(20, 20)),
            )
            .await;
        let detail = app
            .ok(&client, "portal/checkins/get", &[("checkin_id", &id)])
            .await;
        let url = app.absolute(detail["photos"][0]["url"].as_str().unwrap());
        assert_eq!(
            fetch(&url).await.status(),
            StatusCode::OK,
            "fresh URL (s3: {s3})"
        );
        tokio::time::sleep(Duration::from_millis(3500)).await;
        let expired = fetch(&url).await.status();
        assert!(
            expired == StatusCode::GONE || expired == StatusCode::FORBIDDEN,
            "expired URL answered {expired} (s3: {s3})"
        );
        // A fresh request for the check-in gives a fresh URL that works again.
        let detail = app
            .ok(&client, "portal/checkins/get", &[("checkin_id", &id)])
            .await;
        let url = app.absolute(detail["photos"][0]["url"].as_str().unwrap());
        assert_eq!(fetch(&url).await.status(), StatusCode::OK);
        app.stop().await;
    }
}

/// The whole check-in flow with photos in S3-compatible storage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_ins_with_photos_on_s3() {
    let app = TestApp::start_with_s3(Backend::Sqlite, |_| {})
        .await
        .expect("app");
    stored_photos_carry_no_location_and_urls_are_only_for_the_owners(&app).await;
    app.stop().await;
    let app = TestApp::start_with_s3(Backend::Sqlite, |_| {})
        .await
        .expect("app");
    deleting_a_check_in_or_a_client_removes_stored_objects(&app).await;
    app.stop().await;
    let app = TestApp::start_with_s3(Backend::Sqlite, |_| {})
        .await
        .expect("app");
    bad_input_gets_clear_errors_and_nothing_is_saved(&app).await;
    app.stop().await;
}
