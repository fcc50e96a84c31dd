//! `coachroom seed` on both databases: the demo workspace it makes can be signed in to with the
//! password it prints, holds the clients and check-ins asked for (some waiting for review), and
//! its photos are served like any other; a taken email is refused with nothing made.

use crate::common;

use coachroom_server::{seed_command, SeedArgs};
use common::{Backend, TestApp};
use reqwest::StatusCode;

cases_on_both_backends!(a_demo_workspace_is_seeded_and_signed_in_to);

fn args(email: &str, clients: u32, checkins_per_client: u32, photos: bool) -> SeedArgs {
    SeedArgs {
        email: email.to_owned(),
        clients,
        checkins_per_client,
        photos,
    }
}

async fn a_demo_workspace_is_seeded_and_signed_in_to(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let config = app.command_config(|_| {});
    let said = seed_command(&config, args("demo@example.com", 30, 6, true))
        .await
        .expect("seeded");
    assert!(
        said.contains("30 clients, 180 check-ins, 60 photos"),
        "{said}"
    );
    let password = said
        .rsplit("with the password ")
        .next()
        .unwrap()
        .trim()
        .to_owned();
    let coach = app.login("demo@example.com", &password).await;

    let page = app
        .ok(
            &coach,
            "clients/list",
            &[("query", ""), ("archived", "false"), ("page", "2")],
        )
        .await;
    assert_eq!(page["total"], 30, "{page}");
    let client_id = page["clients"][0]["id"].as_str().unwrap().to_owned();
    let checkins = app
        .ok(&coach, "checkins/list", &[("client_id", &client_id)])
        .await;
    let checkins = checkins.as_array().unwrap();
    assert_eq!(checkins.len(), 6);
    // Weekly, on the client's check-in day (UTC), and never in the future.
    let profile = app
        .ok(&coach, "clients/get", &[("client_id", &client_id)])
        .await;
    let days = [
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "monday",
        "tuesday",
        "wednesday",
    ];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let times: Vec<i64> = checkins
        .iter()
        .map(|c| c["submitted_at"].as_i64().unwrap())
        .collect();
    for at in &times {
        assert!(*at <= now);
        let weekday = days[(at / 86_400_000).rem_euclid(7) as usize];
        assert_eq!(weekday, profile["checkin_day"], "{profile}");
    }
    for pair in times.windows(2) {
        assert_eq!(
            pair[0] - pair[1],
            7 * 86_400_000,
            "a week apart, newest first"
        );
    }
    let inbox = app.ok(&coach, "checkins/inbox", &[("page", "1")]).await;
    let waiting = inbox["total"].as_i64().unwrap();
    assert!((1..30).contains(&waiting), "some wait for review: {inbox}");

    // The latest check-in's photo is sealed in storage and served through a signed link.
    let latest = app
        .ok(
            &coach,
            "checkins/get",
            &[("checkin_id", checkins[0]["id"].as_str().unwrap())],
        )
        .await;
    let photos = latest["current"]["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 1, "{latest}");
    let url = photos[0]["url"].as_str().unwrap();
    let photo = coach.get(app.absolute(url)).send().await.unwrap();
    assert_eq!(photo.status(), StatusCode::OK);
    let bytes = photo.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xFF, 0xD8]), "a JPEG");

    // Another coach sees none of it.
    let stranger = app.client();
    app.signup_coach(&stranger, "Sam", "sam@example.com").await;
    let theirs = app
        .ok(
            &stranger,
            "clients/list",
            &[("query", ""), ("archived", "false"), ("page", "1")],
        )
        .await;
    assert_eq!(theirs["total"], 0);

    // A taken email: refused, and nothing more is made.
    let refused = seed_command(&config, args("demo@example.com", 5, 1, false))
        .await
        .expect_err("a taken email");
    assert!(refused.starts_with("--email"), "{refused}");
    let page = app
        .ok(
            &coach,
            "clients/list",
            &[("query", ""), ("archived", "false"), ("page", "1")],
        )
        .await;
    assert_eq!(page["total"], 30);
    app.stop().await;
}
