//! The safety net: every registered server fn, called as every kind of principal against the
//! owning coach's objects, with the expected outcome each time. A server fn that this matrix does
//! not cover fails the test, so new endpoints cannot skip it.

mod common;

use app::server::photos::fixtures;
use common::checkins::Submission;
use common::{client_form, TestApp, PASSWORD};
use reqwest::StatusCode;
use std::collections::BTreeSet;

/// Who is calling, relative to the owning coach's objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    OtherCoach,
    OtherCoachsClient,
    SiblingClient,
    TheClient,
    OwningCoach,
}

const EVERYONE: [Who; 6] = [
    Who::Anonymous,
    Who::OtherCoach,
    Who::OtherCoachsClient,
    Who::SiblingClient,
    Who::TheClient,
    Who::OwningCoach,
];

/// The expected answer, per principal, in `EVERYONE` order.
type Row = [u16; 6];

/// A coach-only call on one of the owner's objects.
const OWNER_ONLY: Row = [401, 404, 403, 403, 403, 200];
/// A coach-only call on "my workspace": another coach is allowed but sees only their own.
const ANY_COACH: Row = [401, 200, 403, 403, 403, 200];
/// A client-only call on "myself".
const ANY_CLIENT: Row = [401, 403, 200, 200, 200, 403];
/// Anyone, signed in or not.
const PUBLIC: Row = [200; 6];
/// Anyone signed in.
const SIGNED_IN: Row = [401, 200, 200, 200, 200, 200];
/// A client-only call on one of the client's own objects.
const THE_CLIENT_ONLY: Row = [401, 403, 404, 404, 200, 403];

/// The owning coach's world, fresh for each endpoint.
struct World {
    owner_email: String,
    other_coach_email: String,
    other_client_email: String,
    sibling_email: String,
    client_email: String,
    workspace_id: String,
    client_id: String,
    pending_client_id: String,
    pending_token: String,
    note_id: String,
    todo_id: String,
    /// The client's check-in, with a photo.
    checkin_id: String,
    /// A habit goal the owner set for the client.
    goal_id: String,
}

/// Text only the owning coach may ever read.
const SECRET_NOTE: &str = "PRIVATE-NOTE-7f3a";
const SECRET_TODO: &str = "PRIVATE-TODO-9c1d";
/// Text only the client and their coach may read.
const SECRET_FEEDBACK: &str = "CHECKIN-FEEDBACK-41b2";

async fn build_world(app: &TestApp, n: usize) -> World {
    let owner_email = format!("owner{n}@example.com");
    let owner = app.client();
    let workspace_id = app.signup_coach(&owner, "Owner", &owner_email).await;
    app.ok(
        &owner,
        "coach/profile/update",
        &[
            ("workspace_id", workspace_id.as_str()),
            ("name", "Owner"),
            ("email", owner_email.as_str()),
            ("brand_name", "Owner Fitness"),
            ("units", "metric"),
            ("timezone", "UTC"),
        ],
    )
    .await;

    let client_email = format!("client{n}@example.com");
    let client_id = app.create_client(&owner, "The Client", &client_email).await;
    let the_client = app.invite_and_join(&owner, &client_id).await;
    let checkin_id = app
        .checkin_ok(
            &the_client,
            &Submission::default()
                .field("weight", "80")
                .field("feedback", SECRET_FEEDBACK)
                .photo("front", "front.jpg", fixtures::png(16, 16)),
        )
        .await;
    let sibling_email = format!("sibling{n}@example.com");
    let sibling_id = app.create_client(&owner, "Sibling", &sibling_email).await;
    app.invite_and_join(&owner, &sibling_id).await;
    let pending_client_id = app
        .create_client(&owner, "Pending", &format!("pending{n}@example.com"))
        .await;
    let pending_token = app.invite(&owner, &pending_client_id).await;

    let note = app
        .ok(
            &owner,
            "notes/create",
            &[("client_id", client_id.as_str()), ("body", SECRET_NOTE)],
        )
        .await;
    let todo = app
        .ok(
            &owner,
            "todos/create",
            &[
                ("client_id", client_id.as_str()),
                ("title", SECRET_TODO),
                ("due_date", ""),
            ],
        )
        .await;

    let goals = app
        .ok(
            &owner,
            "goals/create",
            &[
                ("client_id", client_id.as_str()),
                ("title", "Walk daily"),
                ("kind", "habit"),
                ("metric", ""),
                ("target", ""),
                ("target_date", ""),
                ("per_week", "7"),
            ],
        )
        .await;
    let goal_id = goals[0]["id"].as_str().unwrap().to_owned();

    let other_coach_email = format!("other{n}@example.com");
    let other = app.client();
    app.signup_coach(&other, "Other Coach", &other_coach_email)
        .await;
    let other_client_email = format!("otherclient{n}@example.com");
    let other_client_id = app
        .create_client(&other, "Other Client", &other_client_email)
        .await;
    app.invite_and_join(&other, &other_client_id).await;

    World {
        owner_email,
        other_coach_email,
        other_client_email,
        sibling_email,
        client_email,
        workspace_id,
        client_id,
        pending_client_id,
        pending_token,
        note_id: note["id"].as_str().unwrap().to_owned(),
        todo_id: todo["id"].as_str().unwrap().to_owned(),
        checkin_id,
        goal_id,
    }
}

impl World {
    fn email_of(&self, who: Who) -> Option<&str> {
        match who {
            Who::Anonymous => None,
            Who::OtherCoach => Some(&self.other_coach_email),
            Who::OtherCoachsClient => Some(&self.other_client_email),
            Who::SiblingClient => Some(&self.sibling_email),
            Who::TheClient => Some(&self.client_email),
            Who::OwningCoach => Some(&self.owner_email),
        }
    }
}

type Args = fn(&World, Who) -> Vec<(String, String)>;

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn profile_form(w: &World, client_id: Option<&str>) -> Vec<(String, String)> {
    let mut form = pairs(&client_form(
        "Renamed",
        &format!("renamed-{}", w.client_email),
    ));
    if let Some(id) = client_id {
        form.insert(0, ("client_id".into(), id.into()));
    }
    form
}

/// Every server fn: its endpoint, its arguments against the owner's objects, and the expected
/// status per principal. Principals run in `EVERYONE` order, so the owner's destructive call
/// comes last.
fn cases() -> Vec<(&'static str, Args, Row)> {
    vec![
        (
            "auth/signup",
            |_, who| {
                pairs(&[
                    ("name", "New"),
                    ("email", &format!("new-{who:?}@example.com")),
                    ("password", PASSWORD),
                ])
            },
            PUBLIC,
        ),
        (
            "auth/login",
            |w, _| pairs(&[("email", &w.owner_email), ("password", PASSWORD)]),
            PUBLIC,
        ),
        ("auth/logout", |_, _| vec![], PUBLIC),
        ("auth/me", |_, _| vec![], PUBLIC),
        (
            "account/password",
            |_, _| {
                pairs(&[
                    ("current_password", PASSWORD),
                    ("new_password", "a brand new password"),
                ])
            },
            SIGNED_IN,
        ),
        (
            "coach/profile/get",
            |w, _| pairs(&[("workspace_id", &w.workspace_id)]),
            OWNER_ONLY,
        ),
        (
            "coach/profile/update",
            |w, _| {
                pairs(&[
                    ("workspace_id", &w.workspace_id),
                    ("name", "Owner"),
                    ("email", &w.owner_email),
                    ("brand_name", "Changed"),
                    ("units", "imperial"),
                    ("timezone", "UTC"),
                ])
            },
            OWNER_ONLY,
        ),
        (
            "clients/list",
            |_, _| pairs(&[("query", ""), ("archived", "false"), ("page", "1")]),
            ANY_COACH,
        ),
        (
            "clients/create",
            |w, who| {
                pairs(&client_form(
                    "Created",
                    &format!("created-{who:?}-{}", w.client_email),
                ))
            },
            ANY_COACH,
        ),
        (
            "clients/get",
            |w, _| pairs(&[("client_id", &w.client_id)]),
            OWNER_ONLY,
        ),
        (
            "clients/update",
            |w, _| profile_form(w, Some(&w.client_id)),
            OWNER_ONLY,
        ),
        (
            "clients/archive",
            |w, _| pairs(&[("client_id", &w.client_id), ("archived", "true")]),
            OWNER_ONLY,
        ),
        (
            "clients/delete",
            |w, _| pairs(&[("client_id", &w.client_id)]),
            OWNER_ONLY,
        ),
        (
            "invites/send",
            |w, _| pairs(&[("client_id", &w.pending_client_id)]),
            OWNER_ONLY,
        ),
        (
            "invites/revoke",
            |w, _| pairs(&[("client_id", &w.pending_client_id)]),
            OWNER_ONLY,
        ),
        (
            "invites/check",
            |w, _| pairs(&[("token", &w.pending_token)]),
            PUBLIC,
        ),
        // The token is the secret: whoever holds it may use it, once.
        (
            "invites/accept",
            |w, _| pairs(&[("token", &w.pending_token), ("password", PASSWORD)]),
            [200, 409, 409, 409, 409, 409],
        ),
        ("portal/home", |_, _| vec![], ANY_CLIENT),
        (
            "portal/contact/update",
            |_, who| {
                pairs(&[
                    ("email", &format!("contact-{who:?}@example.com")),
                    ("phone", "+44 20 7946 0000"),
                ])
            },
            ANY_CLIENT,
        ),
        (
            "notes/list",
            |w, _| pairs(&[("client_id", &w.client_id)]),
            OWNER_ONLY,
        ),
        (
            "notes/create",
            |w, _| pairs(&[("client_id", &w.client_id), ("body", "another note")]),
            OWNER_ONLY,
        ),
        (
            "notes/delete",
            |w, _| pairs(&[("note_id", &w.note_id)]),
            OWNER_ONLY,
        ),
        (
            "todos/list",
            |w, _| pairs(&[("client_id", &w.client_id)]),
            OWNER_ONLY,
        ),
        (
            "todos/create",
            |w, _| {
                pairs(&[
                    ("client_id", &w.client_id),
                    ("title", "another"),
                    ("due_date", ""),
                ])
            },
            OWNER_ONLY,
        ),
        (
            "todos/set_done",
            |w, _| pairs(&[("todo_id", &w.todo_id), ("done", "true")]),
            OWNER_ONLY,
        ),
        (
            "todos/delete",
            |w, _| pairs(&[("todo_id", &w.todo_id)]),
            OWNER_ONLY,
        ),
        // Sent as multipart (see `call`); a client submits only for themself.
        ("portal/checkins/submit", |_, _| vec![], ANY_CLIENT),
        ("portal/checkins/list", |_, _| vec![], ANY_CLIENT),
        (
            "portal/checkins/get",
            |w, _| pairs(&[("checkin_id", &w.checkin_id)]),
            THE_CLIENT_ONLY,
        ),
        ("portal/progress", |_, _| vec![], ANY_CLIENT),
        ("checkins/inbox", |_, _| pairs(&[("page", "1")]), ANY_COACH),
        (
            "checkins/list",
            |w, _| pairs(&[("client_id", &w.client_id)]),
            OWNER_ONLY,
        ),
        (
            "checkins/get",
            |w, _| pairs(&[("checkin_id", &w.checkin_id)]),
            OWNER_ONLY,
        ),
        (
            "checkins/review",
            |w, _| pairs(&[("checkin_id", &w.checkin_id), ("reply", "Nice")]),
            OWNER_ONLY,
        ),
        (
            "checkins/delete",
            |w, _| pairs(&[("checkin_id", &w.checkin_id)]),
            OWNER_ONLY,
        ),
        (
            "checkins/progress",
            |w, _| pairs(&[("client_id", &w.client_id)]),
            OWNER_ONLY,
        ),
        (
            "goals/list",
            |w, _| pairs(&[("client_id", &w.client_id)]),
            OWNER_ONLY,
        ),
        (
            "goals/create",
            |w, _| {
                pairs(&[
                    ("client_id", &w.client_id),
                    ("title", "Run 3 times"),
                    ("kind", "habit"),
                    ("metric", ""),
                    ("target", ""),
                    ("target_date", ""),
                    ("per_week", "3"),
                ])
            },
            OWNER_ONLY,
        ),
        (
            "goals/set_status",
            |w, _| pairs(&[("goal_id", &w.goal_id), ("status", "completed")]),
            OWNER_ONLY,
        ),
        (
            "goals/delete",
            |w, _| pairs(&[("goal_id", &w.goal_id)]),
            OWNER_ONLY,
        ),
        ("portal/goals/list", |_, _| vec![], ANY_CLIENT),
        (
            "portal/goals/log",
            |w, _| pairs(&[("goal_id", &w.goal_id), ("times_done", "3")]),
            THE_CLIENT_ONLY,
        ),
    ]
}

/// Calls an endpoint as a browser would: multipart for uploads, a form for everything else.
async fn call(
    app: &TestApp,
    http: &reqwest::Client,
    endpoint: &str,
    form: &[(&str, &str)],
) -> common::Response {
    if endpoint == "portal/checkins/submit" {
        let submission = Submission::default().field("weight", "81").photo(
            "front",
            "front.jpg",
            fixtures::png(16, 16),
        );
        app.submit_checkin(http, &submission).await
    } else {
        app.call(http, endpoint, form).await
    }
}

/// True when a body carries a photo URL (local signed link or S3 presigned GET).
fn has_photo_url(body: &str) -> bool {
    body.contains("/files/") || body.contains("X-Amz-Signature")
}

/// Also the general (no client) scope of notes and to-dos: another coach sees only their own.
fn general_scope_cases() -> Vec<(&'static str, Args, Row)> {
    vec![
        ("notes/list", |_, _| vec![], ANY_COACH),
        ("todos/list", |_, _| vec![], ANY_COACH),
    ]
}

on_both_backends!(
    every_server_fn_as_every_principal,
    photo_urls_come_only_from_authorized_calls,
    check_in_pdfs_only_for_the_coach_and_the_client,
);

/// The PDF download is a plain route, not a server fn: the same principals, the same answers.
async fn check_in_pdfs_only_for_the_coach_and_the_client(app: &TestApp) {
    let world = build_world(app, 0).await;
    let path = format!("/api/checkins/{}/pdf", world.checkin_id);
    let expected: Row = [401, 404, 404, 404, 200, 200];
    for (who, want) in EVERYONE.into_iter().zip(expected) {
        let http = match world.email_of(who) {
            Some(email) => app.login(email, PASSWORD).await,
            None => app.client(),
        };
        let response = http.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), want, "{who:?}");
        let body = response.bytes().await.unwrap();
        if want != 200 {
            assert!(
                !String::from_utf8_lossy(&body).contains(SECRET_FEEDBACK),
                "{who:?}"
            );
        }
    }
}

async fn every_server_fn_as_every_principal(app: &TestApp) {
    let registered: BTreeSet<String> = server_fn::axum::server_fn_paths()
        .map(|(path, _method)| path.trim_start_matches("/api/").to_owned())
        .collect();
    let covered: BTreeSet<String> = cases().iter().map(|(e, _, _)| e.to_string()).collect();
    let uncovered: Vec<_> = registered.difference(&covered).collect();
    assert!(
        uncovered.is_empty(),
        "server fns missing from the authorization matrix: {uncovered:?}"
    );
    let stale: Vec<_> = covered.difference(&registered).collect();
    assert!(
        stale.is_empty(),
        "matrix lists endpoints that do not exist: {stale:?}"
    );

    let mut failures = Vec::new();
    let all_cases = cases().into_iter().chain(general_scope_cases());
    for (n, (endpoint, args, expected)) in all_cases.enumerate() {
        let world = build_world(app, n).await;
        for (who, want) in EVERYONE.into_iter().zip(expected) {
            let http = match world.email_of(who) {
                Some(email) => app.login(email, PASSWORD).await,
                None => app.client(),
            };
            let form = args(&world, who);
            let form: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let response = call(app, &http, endpoint, &form).await;
            if response.status.as_u16() != want {
                failures.push(format!(
                    "{endpoint} as {who:?}: expected {want}, got {} {}",
                    response.status, response.body
                ));
                continue;
            }
            // Nothing of the owner's private data ever reaches anyone else.
            let body = response.body.to_string();
            if who != Who::OwningCoach {
                for secret in [SECRET_NOTE, SECRET_TODO] {
                    if body.contains(secret) {
                        failures.push(format!("{endpoint} as {who:?} leaked {secret}: {body}"));
                    }
                }
                if who != Who::TheClient && (body.contains(SECRET_FEEDBACK) || has_photo_url(&body))
                {
                    failures.push(format!(
                        "{endpoint} as {who:?} leaked the client's check-in or a photo URL: {body}"
                    ));
                }
                let sees_the_client =
                    matches!(who, Who::TheClient) || endpoint.starts_with("auth/");
                if !sees_the_client && body.contains(&world.client_id) {
                    failures.push(format!(
                        "{endpoint} as {who:?} leaked the client's id: {body}"
                    ));
                }
            }
            if response.status == StatusCode::NOT_FOUND {
                // Foreign looks exactly like missing.
                assert_eq!(response.kind(), "not_found");
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix failures:\n{}",
        failures.join("\n")
    );
}

/// A photo is reachable only through a signed URL that an authorized call handed out: no
/// session, not even the owner's, opens a photo path without one, and every principal other than
/// the coach and the client is refused the calls that hand them out (the matrix above).
async fn photo_urls_come_only_from_authorized_calls(app: &TestApp) {
    let world = build_world(app, 0).await;
    let owner = app.login(&world.owner_email, PASSWORD).await;
    let review = app
        .ok(&owner, "checkins/get", &[("checkin_id", &world.checkin_id)])
        .await;
    let url = review["current"]["photos"][0]["url"].as_str().unwrap();
    let path = url.split('?').next().unwrap();
    assert!(path.starts_with("/files/photos/"), "{url}");
    for who in EVERYONE {
        let http = match world.email_of(who) {
            Some(email) => app.login(email, PASSWORD).await,
            None => app.client(),
        };
        let signed = http.get(app.absolute(url)).send().await.unwrap().status();
        assert_eq!(
            signed,
            StatusCode::OK,
            "a valid signed URL works for whoever holds it ({who:?})"
        );
        let unsigned = http.get(app.url(path)).send().await.unwrap().status();
        assert_eq!(
            unsigned,
            StatusCode::FORBIDDEN,
            "{who:?} opened a photo without a signature"
        );
    }
}
