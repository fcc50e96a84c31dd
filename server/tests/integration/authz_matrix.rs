//! The safety net: every registered server fn, called as every kind of principal against the
//! owning coach's objects, with the expected outcome each time. A server fn that this matrix does
//! not cover fails the test, so new endpoints cannot skip it.

use crate::common;

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
    /// A platform operator (signed in with a code): outside `EVERYONE`, with its own column
    /// derived by [`operator_expected`].
    Operator,
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
/// An AI call on one of the owner's objects: this matrix runs without AI, so the owner gets
/// past authorization to the "AI is not set up" answer (`tests/ai.rs` covers AI itself).
const OWNER_ONLY_NEEDS_AI: Row = [401, 404, 403, 403, 403, 503];
/// Editing insights on one of the owner's sessions, which has none yet: past authorization,
/// the owner is told to generate them first.
const OWNER_ONLY_NEEDS_INSIGHTS: Row = [401, 404, 403, 403, 403, 400];

/// Server fns about one's own account or a link one holds, which every principal may call:
/// the operator gets what another coach gets.
const ACCOUNT_LEVEL: [&str; 5] = [
    "auth/",
    "account/",
    "invites/check",
    "invites/accept",
    "operator/setup/",
];

/// The operator's column: their own console, the account-level calls, and the operator login
/// (which this matrix calls with a wrong code); every content server fn is 403.
fn operator_expected(endpoint: &str, row: Row) -> u16 {
    match endpoint {
        "operator/overview"
        | "operator/coaches/list"
        | "operator/coaches/suspend"
        | "operator/support/grants"
        | "operator/support/leave"
        | "operator/legal/request"
        | "operator/legal/list" => 200,
        "operator/login" => 401,
        // This matrix enters a grant that does not exist (`tests/support.rs` enters real ones).
        "operator/support/enter" => 404,
        // A request that does not exist (`tests/legal.rs` approves real ones).
        "operator/legal/approve" => 404,
        _ if ACCOUNT_LEVEL
            .iter()
            .any(|prefix| endpoint.starts_with(prefix)) =>
        {
            row[1]
        }
        _ => 403,
    }
}

/// Only operators run the console; anonymous callers are asked to sign in.
const OPERATOR_ONLY: Row = [401, 403, 403, 403, 403, 403];

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
    /// Templates (coach-only) and the client's active copies of them.
    meal_template_id: String,
    meal_plan_id: String,
    workout_template_id: String,
    workout_plan_id: String,
    /// A check-in form template, given to the client (then changed to hold the secret).
    form_id: String,
    assignment_id: String,
    /// A coaching session with a shared summary, private notes and a transcript.
    session_id: String,
    /// A shared action item of that session.
    action_item_id: String,
    /// The sibling client's open deletion request (the owner's to answer).
    deletion_request_id: String,
    /// The owner's personal access token for connected AI tools.
    mcp_connection_id: String,
    /// A platform operator of this world, signed in.
    operator: reqwest::Client,
}

/// Text only the owning coach may ever read.
const SECRET_NOTE: &str = "PRIVATE-NOTE-7f3a";
const SECRET_TODO: &str = "PRIVATE-TODO-9c1d";
/// Text only the client and their coach may read.
const SECRET_FEEDBACK: &str = "CHECKIN-FEEDBACK-41b2";
/// Put in the templates after they were copied to the client: only the owning coach may read it.
const SECRET_TEMPLATE: &str = "TEMPLATE-ONLY-5d2e";
/// A coaching session's private notes and transcript: only the owning coach may read them.
const SECRET_SESSION: &str = "SESSION-PRIVATE-8e4c";

/// A template of `kind` copied to the client, then changed to hold [`SECRET_TEMPLATE`].
/// Returns (template id, the client's copy id).
async fn plan_pair(
    app: &TestApp,
    owner: &reqwest::Client,
    kind: &str,
    client_id: &str,
) -> (String, String) {
    let template = app
        .ok(
            owner,
            &format!("{kind}_plans/create"),
            &[("name", "Base"), ("client_id", "")],
        )
        .await;
    let template = template.as_str().unwrap().to_owned();
    let copy = app
        .ok(
            owner,
            &format!("{kind}_plans/copy"),
            &[("plan_id", &template), ("client_id", client_id)],
        )
        .await;
    app.ok_json(
        owner,
        &format!("{kind}_plans/save"),
        &serde_json::json!({ "plan_id": template, "name": "Base", "plan": { "notes": SECRET_TEMPLATE } }),
    )
    .await;
    (template, copy.as_str().unwrap().to_owned())
}

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
    let sibling = app.invite_and_join(&owner, &sibling_id).await;
    app.ok(&sibling, "portal/deletion/request", &[("message", "")])
        .await;
    let deletion_request_id = app.ok(&sibling, "portal/deletion/status", &[]).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mcp_connection_id = app
        .ok(&owner, "mcp/tokens/create", &[("name", "Script")])
        .await["connection"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
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
    let (meal_template_id, meal_plan_id) = plan_pair(app, &owner, "meal", &client_id).await;
    let (workout_template_id, workout_plan_id) =
        plan_pair(app, &owner, "workout", &client_id).await;
    let (form_id, assignment_id) = given_form(app, &owner, &client_id).await;
    let session = app
        .ok(
            &owner,
            "sessions/create",
            &[
                ("client_id", client_id.as_str()),
                ("held_at", "2026-11-20T14:30"),
                ("duration_min", "45"),
                ("title", "Week 3"),
                ("tags", ""),
                ("private_notes", SECRET_SESSION),
                ("summary", "Shared summary"),
                ("transcript", &format!("Coach: {SECRET_SESSION}")),
            ],
        )
        .await;
    let session_id = session.as_str().unwrap().to_owned();
    app.ok(
        &owner,
        "sessions/share",
        &[("session_id", &session_id), ("shared", "true")],
    )
    .await;
    let with_item = app
        .ok(
            &owner,
            "sessions/action_items/add",
            &[
                ("session_id", session_id.as_str()),
                ("owner", "client"),
                ("text", "Walk daily"),
                ("due_date", ""),
                ("shared", "true"),
            ],
        )
        .await;
    let action_item_id = with_item["action_items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let other_coach_email = format!("other{n}@example.com");
    let other = app.client();
    app.signup_coach(&other, "Other Coach", &other_coach_email)
        .await;
    let other_client_email = format!("otherclient{n}@example.com");
    let other_client_id = app
        .create_client(&other, "Other Client", &other_client_email)
        .await;
    app.invite_and_join(&other, &other_client_id).await;
    let (operator, _) = app.operator(&format!("ops{n}@example.com")).await;

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
        meal_template_id,
        meal_plan_id,
        workout_template_id,
        workout_plan_id,
        form_id,
        assignment_id,
        session_id,
        action_item_id,
        deletion_request_id,
        mcp_connection_id,
        operator,
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
            Who::Operator => None,
        }
    }
}

/// A check-in form given to the client, then changed to hold [`SECRET_TEMPLATE`].
/// Returns (form id, assignment id).
async fn given_form(app: &TestApp, owner: &reqwest::Client, client_id: &str) -> (String, String) {
    let save = |description: &str| {
        serde_json::json!({ "form_id": "", "form": { "name": "Weekly", "kind": "checkin",
            "description": description,
            "fields": [{ "label": "How was it?", "field_type": "text", "required": true }] } })
    };
    let form = app
        .ok(
            owner,
            "forms/create",
            &[("name", "Weekly"), ("kind", "checkin")],
        )
        .await;
    let form = form.as_str().unwrap().to_owned();
    let mut body = save("");
    body["form_id"] = form.clone().into();
    app.ok_json(owner, "forms/save", &body).await;
    let assignment = app
        .ok(
            owner,
            "forms/assign",
            &[("form_id", &form), ("client_id", client_id)],
        )
        .await;
    let mut body = save(SECRET_TEMPLATE);
    body["form_id"] = form.clone().into();
    app.ok_json(owner, "forms/save", &body).await;
    (form, assignment.as_str().unwrap().to_owned())
}

/// What a case sends: a form (most server fns) or JSON (the builders).
enum Body {
    Form(Vec<(String, String)>),
    Json(serde_json::Value),
    /// A transcript upload (multipart) for this session id.
    Transcript(String),
    /// A workspace import (multipart): a dry run of an empty FCDS package.
    Import,
}

type Args = fn(&World, Who) -> Body;

fn pairs(items: &[(&str, &str)]) -> Body {
    Body::Form(
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn none() -> Body {
    Body::Form(Vec::new())
}

fn plan_save(plan_id: &str) -> Body {
    Body::Json(serde_json::json!({ "plan_id": plan_id, "name": "Saved", "plan": {} }))
}

/// The client's profile, renamed; the email stays (the client has joined: it is their login).
fn profile_form(w: &World, client_id: Option<&str>) -> Body {
    let mut form = pairs(&client_form("Renamed", &w.client_email));
    if let (Some(id), Body::Form(form)) = (client_id, &mut form) {
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
        // Without outgoing email (this matrix) a sign-up needs no link; any link is unknown.
        (
            "auth/signup/confirm",
            |_, _| pairs(&[("token", "no-such-link"), ("password", PASSWORD)]),
            [409; 6],
        ),
        // Without outgoing email "Forgot password" cannot send anything; any reset link is
        // unknown.
        (
            "auth/password/forgot",
            |w, _| pairs(&[("email", &w.owner_email)]),
            [503; 6],
        ),
        (
            "auth/password/reset",
            |_, _| pairs(&[("token", "no-such-link"), ("password", PASSWORD)]),
            [409; 6],
        ),
        ("auth/logout", |_, _| none(), PUBLIC),
        ("auth/me", |_, _| none(), PUBLIC),
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
        // Without outgoing email, a login email cannot be confirmed: 503 for everyone, whatever
        // the address (`hardening.rs` covers the flow with email).
        (
            "account/email",
            |_, who| {
                pairs(&[
                    ("new_email", &format!("moved-{who:?}@example.com")),
                    ("current_password", PASSWORD),
                ])
            },
            [401, 503, 503, 503, 503, 503],
        ),
        (
            "account/email/confirm",
            |_, _| pairs(&[("token", "no-such-link")]),
            [409; 6],
        ),
        ("account/time_zones", |_, _| none(), SIGNED_IN),
        ("coach/today", |_, _| none(), ANY_COACH),
        ("coach/nav_counts", |_, _| none(), ANY_COACH),
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
            "clients/password_link",
            |w, _| pairs(&[("client_id", &w.client_id)]),
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
        ("portal/home", |_, _| none(), ANY_CLIENT),
        ("portal/next_steps", |_, _| none(), ANY_CLIENT),
        (
            "portal/contact/update",
            |_, _| pairs(&[("phone", "+44 20 7946 0000")]),
            ANY_CLIENT,
        ),
        (
            "portal/timezone/update",
            |_, _| pairs(&[("timezone", "Europe/Paris")]),
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
        ("portal/checkins/submit", |_, _| none(), ANY_CLIENT),
        ("portal/checkins/list", |_, _| none(), ANY_CLIENT),
        (
            "portal/checkins/get",
            |w, _| pairs(&[("checkin_id", &w.checkin_id)]),
            THE_CLIENT_ONLY,
        ),
        ("portal/progress", |_, _| none(), ANY_CLIENT),
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
        ("portal/goals/list", |_, _| none(), ANY_CLIENT),
        (
            "portal/goals/log",
            |w, _| pairs(&[("goal_id", &w.goal_id), ("times_done", "3")]),
            THE_CLIENT_ONLY,
        ),
        (
            "meal_plans/list",
            |w, _| pairs(&[("client_id", &w.client_id)]),
            OWNER_ONLY,
        ),
        (
            "meal_plans/create",
            |w, _| pairs(&[("name", "New"), ("client_id", &w.client_id)]),
            OWNER_ONLY,
        ),
        (
            "meal_plans/get",
            |w, _| pairs(&[("plan_id", &w.meal_template_id)]),
            OWNER_ONLY,
        ),
        (
            "meal_plans/save",
            |w, _| plan_save(&w.meal_plan_id),
            OWNER_ONLY,
        ),
        (
            "meal_plans/copy",
            |w, _| {
                pairs(&[
                    ("plan_id", &w.meal_template_id),
                    ("client_id", &w.client_id),
                ])
            },
            OWNER_ONLY,
        ),
        (
            "meal_plans/activate",
            |w, _| pairs(&[("plan_id", &w.meal_plan_id), ("active", "true")]),
            OWNER_ONLY,
        ),
        (
            "meal_plans/delete",
            |w, _| pairs(&[("plan_id", &w.meal_plan_id)]),
            OWNER_ONLY,
        ),
        ("portal/meal_plan", |_, _| none(), ANY_CLIENT),
        (
            "workout_plans/list",
            |w, _| pairs(&[("client_id", &w.client_id)]),
            OWNER_ONLY,
        ),
        (
            "workout_plans/create",
            |w, _| pairs(&[("name", "New"), ("client_id", &w.client_id)]),
            OWNER_ONLY,
        ),
        (
            "workout_plans/get",
            |w, _| pairs(&[("plan_id", &w.workout_template_id)]),
            OWNER_ONLY,
        ),
        (
            "workout_plans/save",
            |w, _| plan_save(&w.workout_plan_id),
            OWNER_ONLY,
        ),
        (
            "workout_plans/copy",
            |w, _| {
                pairs(&[
                    ("plan_id", &w.workout_template_id),
                    ("client_id", &w.client_id),
                ])
            },
            OWNER_ONLY,
        ),
        (
            "workout_plans/activate",
            |w, _| pairs(&[("plan_id", &w.workout_plan_id), ("active", "true")]),
            OWNER_ONLY,
        ),
        (
            "workout_plans/delete",
            |w, _| pairs(&[("plan_id", &w.workout_plan_id)]),
            OWNER_ONLY,
        ),
        ("portal/workout_plan", |_, _| none(), ANY_CLIENT),
        ("forms/list", |_, _| none(), ANY_COACH),
        (
            "forms/create",
            |_, _| pairs(&[("name", "Intake"), ("kind", "intake")]),
            ANY_COACH,
        ),
        (
            "forms/get",
            |w, _| pairs(&[("form_id", &w.form_id)]),
            OWNER_ONLY,
        ),
        (
            "forms/save",
            |w, _| {
                Body::Json(serde_json::json!({ "form_id": w.form_id,
                    "form": { "name": "Saved", "kind": "checkin", "fields": [] } }))
            },
            OWNER_ONLY,
        ),
        (
            "forms/assign",
            |w, _| pairs(&[("form_id", &w.form_id), ("client_id", &w.client_id)]),
            OWNER_ONLY,
        ),
        (
            "forms/responses",
            |w, _| pairs(&[("client_id", &w.client_id), ("form_id", &w.form_id)]),
            OWNER_ONLY,
        ),
        (
            "forms/checkin_form",
            |w, _| pairs(&[("client_id", &w.client_id)]),
            OWNER_ONLY,
        ),
        (
            "forms/set_checkin_form",
            |w, _| pairs(&[("client_id", &w.client_id), ("form_id", &w.form_id)]),
            OWNER_ONLY,
        ),
        (
            "forms/delete",
            |w, _| pairs(&[("form_id", &w.form_id)]),
            OWNER_ONLY,
        ),
        ("portal/forms/list", |_, _| none(), ANY_CLIENT),
        (
            "portal/forms/get",
            |w, _| pairs(&[("assignment_id", &w.assignment_id)]),
            THE_CLIENT_ONLY,
        ),
        (
            "portal/forms/submit",
            |w, _| {
                Body::Json(serde_json::json!({ "assignment_id": w.assignment_id,
                    "answers": { "f1": ["Fine"] } }))
            },
            THE_CLIENT_ONLY,
        ),
        ("portal/checkin_form", |_, _| none(), ANY_CLIENT),
        (
            "sessions/list",
            |w, _| pairs(&[("client_id", &w.client_id)]),
            OWNER_ONLY,
        ),
        (
            "sessions/create",
            |w, _| {
                pairs(&[
                    ("client_id", &w.client_id),
                    ("held_at", "2026-11-21T09:00"),
                    ("duration_min", "30"),
                    ("title", "Another"),
                    ("tags", ""),
                    ("private_notes", ""),
                    ("summary", ""),
                    ("transcript", ""),
                ])
            },
            OWNER_ONLY,
        ),
        (
            "sessions/get",
            |w, _| pairs(&[("session_id", &w.session_id)]),
            OWNER_ONLY,
        ),
        (
            "sessions/update",
            |w, _| {
                pairs(&[
                    ("session_id", &w.session_id),
                    ("held_at", "2026-11-21T09:00"),
                    ("duration_min", "30"),
                    ("title", "Edited"),
                    ("tags", ""),
                    ("private_notes", ""),
                    ("summary", "New summary"),
                ])
            },
            OWNER_ONLY,
        ),
        (
            "sessions/transcript",
            |w, _| Body::Transcript(w.session_id.clone()),
            OWNER_ONLY,
        ),
        (
            "sessions/share",
            |w, _| pairs(&[("session_id", &w.session_id), ("shared", "false")]),
            OWNER_ONLY,
        ),
        ("coach/import", |_, _| Body::Import, ANY_COACH),
        (
            "sessions/delete",
            |w, _| pairs(&[("session_id", &w.session_id)]),
            OWNER_ONLY,
        ),
        ("portal/sessions/list", |_, _| none(), ANY_CLIENT),
        (
            "sessions/action_items/add",
            |w, _| {
                pairs(&[
                    ("session_id", &w.session_id),
                    ("owner", "coach"),
                    ("text", "Send the plan"),
                    ("due_date", ""),
                    ("shared", "false"),
                ])
            },
            OWNER_ONLY,
        ),
        (
            "action_items/share",
            |w, _| pairs(&[("item_id", &w.action_item_id), ("shared", "false")]),
            OWNER_ONLY,
        ),
        (
            "action_items/delete",
            |w, _| pairs(&[("item_id", &w.action_item_id)]),
            OWNER_ONLY,
        ),
        (
            "portal/action_items/set_done",
            |w, _| pairs(&[("item_id", &w.action_item_id), ("done", "true")]),
            THE_CLIENT_ONLY,
        ),
        ("ai/status", |_, _| none(), ANY_COACH),
        ("ai/calls", |_, _| none(), ANY_COACH),
        (
            "access_log/list",
            |w, _| pairs(&[("client_id", &w.client_id), ("actor", ""), ("before", "0")]),
            ANY_COACH,
        ),
        (
            "portal/access_log",
            |_, _| pairs(&[("before", "0")]),
            ANY_CLIENT,
        ),
        // The sibling asked for deletion when the world was built: they already have an open
        // request (409), the others have none to withdraw (409).
        (
            "portal/deletion/request",
            |_, _| pairs(&[("message", "")]),
            [401, 403, 200, 409, 200, 403],
        ),
        (
            "portal/deletion/withdraw",
            |_, _| none(),
            [401, 403, 409, 200, 409, 403],
        ),
        ("portal/deletion/status", |_, _| none(), ANY_CLIENT),
        ("deletion_requests/list", |_, _| none(), ANY_COACH),
        (
            "clients/deletion_request",
            |w, _| pairs(&[("client_id", &w.client_id)]),
            OWNER_ONLY,
        ),
        (
            "deletion_requests/decline",
            |w, _| {
                pairs(&[
                    ("request_id", &w.deletion_request_id),
                    ("reason", "Records"),
                ])
            },
            OWNER_ONLY,
        ),
        (
            "clients/ai",
            |w, _| pairs(&[("client_id", &w.client_id)]),
            OWNER_ONLY,
        ),
        (
            "clients/ai/set",
            |w, _| pairs(&[("client_id", &w.client_id), ("enabled", "true")]),
            OWNER_ONLY,
        ),
        (
            "sessions/insights",
            |w, _| pairs(&[("session_id", &w.session_id)]),
            OWNER_ONLY,
        ),
        (
            "sessions/insights/generate",
            |w, _| pairs(&[("session_id", &w.session_id)]),
            OWNER_ONLY_NEEDS_AI,
        ),
        (
            "checkins/reply_draft",
            |w, _| pairs(&[("checkin_id", &w.checkin_id)]),
            OWNER_ONLY_NEEDS_AI,
        ),
        (
            "sessions/insights/save",
            |w, _| {
                Body::Json(
                    serde_json::json!({ "session_id": w.session_id, "insights": insights_body() }),
                )
            },
            OWNER_ONLY_NEEDS_INSIGHTS,
        ),
        (
            "sessions/insights/apply",
            |w, _| {
                Body::Json(serde_json::json!({ "session_id": w.session_id,
                "insights": insights_body(), "actions": [] }))
            },
            OWNER_ONLY_NEEDS_INSIGHTS,
        ),
        // Operators: setup links and sign-in are for anyone holding them (here a link that does
        // not exist, and a wrong code); the console is theirs alone.
        (
            "operator/setup/info",
            |_, _| pairs(&[("token", "nosuchlink")]),
            [409; 6],
        ),
        (
            "operator/setup/finish",
            |_, _| {
                pairs(&[
                    ("token", "nosuchlink"),
                    ("password", PASSWORD),
                    ("code", "123456"),
                ])
            },
            [409; 6],
        ),
        (
            "operator/login",
            // Each principal tries its own address, so the login throttle never trips.
            |_, who| {
                pairs(&[
                    ("email", &format!("nobody-{who:?}@example.com")),
                    ("password", PASSWORD),
                    ("code", "123456"),
                ])
            },
            [401; 6],
        ),
        ("operator/overview", |_, _| none(), OPERATOR_ONLY),
        ("operator/support/grants", |_, _| none(), OPERATOR_ONLY),
        (
            "operator/support/enter",
            |_, _| pairs(&[("grant_id", "00000000000000000000000000000000")]),
            OPERATOR_ONLY,
        ),
        ("operator/support/leave", |_, _| none(), OPERATOR_ONLY),
        // Legal requests: operators record and approve them; each coach reads their own.
        (
            "operator/legal/request",
            |w, _| {
                pairs(&[
                    ("coach_email", &w.owner_email),
                    ("scope", "workspace"),
                    ("client_email", ""),
                    ("reason", "A court order"),
                    ("reference", "REF-1"),
                    ("notify_after", ""),
                ])
            },
            OPERATOR_ONLY,
        ),
        ("operator/legal/list", |_, _| none(), OPERATOR_ONLY),
        (
            "operator/legal/approve",
            |_, _| pairs(&[("request_id", "00000000000000000000000000000000")]),
            OPERATOR_ONLY,
        ),
        ("legal/notices", |_, _| none(), ANY_COACH),
        // Support access: each coach grants, reads and revokes for their own workspace.
        (
            "support/grant",
            |_, _| pairs(&[("hours", "1"), ("message", "")]),
            ANY_COACH,
        ),
        ("support/status", |_, _| none(), ANY_COACH),
        ("support/revoke", |_, _| none(), ANY_COACH),
        // Connected AI tools: each coach lists, makes and revokes their own.
        ("mcp/connections/list", |_, _| none(), ANY_COACH),
        (
            "mcp/tokens/create",
            |_, _| pairs(&[("name", "Script")]),
            ANY_COACH,
        ),
        (
            "mcp/connections/revoke",
            |w, _| pairs(&[("connection_id", &w.mcp_connection_id)]),
            OWNER_ONLY,
        ),
        (
            "operator/coaches/list",
            |_, _| pairs(&[("after", "")]),
            OPERATOR_ONLY,
        ),
        (
            "operator/coaches/suspend",
            |w, _| pairs(&[("coach_id", &w.workspace_id), ("suspended", "true")]),
            OPERATOR_ONLY,
        ),
    ]
}

/// Edited insights as the review form sends them.
fn insights_body() -> serde_json::Value {
    serde_json::json!({ "summary": "Edited", "themes": [], "progress": [], "concerns": [],
        "action_items": [] })
}

/// Calls an endpoint as a browser would: multipart for uploads, a form for everything else.
async fn call(
    app: &TestApp,
    http: &reqwest::Client,
    endpoint: &str,
    body: &Body,
) -> common::Response {
    let form = match body {
        Body::Json(json) => return app.call_json(http, endpoint, json).await,
        Body::Transcript(session_id) => {
            let form = reqwest::multipart::Form::new()
                .text("session_id", session_id.clone())
                .text("text", "Coach: replaced");
            return send_multipart(app, http, endpoint, form).await;
        }
        Body::Import => {
            let package = serde_json::json!({"manifest": {
                "schema_name": "open-coaching-data", "schema_version": "1.0.0",
                "package_id": "package:empty", "created_at": "2026-01-01T00:00:00Z",
                "created_by_tool": {"name": "Matrix", "version": "1"},
                "source_platform": {"name": "Matrix"}, "included_domains": [],
                "record_counts": {}, "warnings": [],
            }});
            let form = reqwest::multipart::Form::new()
                .text("dry_run", "true")
                .part(
                    "package",
                    reqwest::multipart::Part::bytes(serde_json::to_vec(&package).unwrap()),
                );
            return send_multipart(app, http, endpoint, form).await;
        }
        Body::Form(form) => form,
    };
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    if endpoint == "portal/checkins/submit" {
        let submission = Submission::default().field("weight", "81").photo(
            "front",
            "front.jpg",
            fixtures::png(16, 16),
        );
        app.submit_checkin(http, &submission).await
    } else {
        app.call(http, endpoint, &form).await
    }
}

/// True when a body carries a photo URL (local signed link or S3 presigned GET).
fn has_photo_url(body: &str) -> bool {
    body.contains("/files/") || body.contains("X-Amz-Signature")
}

/// Also the general (no client) scope of notes and to-dos: another coach sees only their own.
fn general_scope_cases() -> Vec<(&'static str, Args, Row)> {
    vec![
        ("notes/list", |_, _| none(), ANY_COACH),
        ("todos/list", |_, _| none(), ANY_COACH),
        (
            "meal_plans/list",
            |_, _| pairs(&[("client_id", "")]),
            ANY_COACH,
        ),
        (
            "workout_plans/list",
            |_, _| pairs(&[("client_id", "")]),
            ANY_COACH,
        ),
    ]
}

on_both_backends!(
    every_server_fn_as_every_principal,
    photo_urls_come_only_from_authorized_calls,
    pdfs_only_for_those_who_may_see_them,
);

/// The PDF downloads are plain routes, not server fns: the same principals, the same answers.
/// Templates are the coach's alone; the client gets their check-ins and their active plans.
async fn pdfs_only_for_those_who_may_see_them(app: &TestApp) {
    let world = build_world(app, 0).await;
    let shared: Row = [401, 404, 404, 404, 200, 200];
    let coach_only: Row = [401, 404, 404, 404, 404, 200];
    let downloads = [
        (format!("/api/checkins/{}/pdf", world.checkin_id), shared),
        (
            format!("/api/meal_plans/{}/pdf", world.meal_plan_id),
            shared,
        ),
        (
            format!("/api/workout_plans/{}/pdf", world.workout_plan_id),
            shared,
        ),
        (
            format!("/api/meal_plans/{}/pdf", world.meal_template_id),
            coach_only,
        ),
        (
            format!("/api/workout_plans/{}/pdf", world.workout_template_id),
            coach_only,
        ),
        // The kind is part of the proof: a meal plan is not found as a workout plan.
        (
            format!("/api/workout_plans/{}/pdf", world.meal_plan_id),
            [401, 404, 404, 404, 404, 404],
        ),
    ];
    // The workspace export: any coach, of their own workspace only.
    for (who, want) in EVERYONE.into_iter().zip(ANY_COACH) {
        let http = match world.email_of(who) {
            Some(email) => app.login(email, PASSWORD).await,
            None => app.client(),
        };
        let response = http.get(app.url("/api/coach/export")).send().await.unwrap();
        assert_eq!(response.status().as_u16(), want, "coach/export as {who:?}");
        let body = response.bytes().await.unwrap();
        if who != Who::OwningCoach {
            let files = common::exports::unzip_or_empty(body.to_vec()).await;
            for (name, content) in files {
                let text = String::from_utf8_lossy(&content);
                for secret in [SECRET_NOTE, SECRET_TODO, SECRET_FEEDBACK, SECRET_TEMPLATE] {
                    assert!(!text.contains(secret), "{name} of coach/export as {who:?}");
                }
            }
        }
    }
    for (path, expected) in downloads {
        for (who, want) in EVERYONE.into_iter().zip(expected) {
            let http = match world.email_of(who) {
                Some(email) => app.login(email, PASSWORD).await,
                None => app.client(),
            };
            let response = http.get(app.url(&path)).send().await.unwrap();
            assert_eq!(response.status().as_u16(), want, "{path} as {who:?}");
            let body = response.bytes().await.unwrap();
            if want != 200 {
                let text = String::from_utf8_lossy(&body);
                assert!(!text.contains(SECRET_FEEDBACK), "{path} as {who:?}");
                assert!(!text.contains(SECRET_TEMPLATE), "{path} as {who:?}");
            }
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
        // The operator last: after the owner's destructive call, every content fn still answers
        // 403 (the principal is refused before anything is looked up).
        let principals = EVERYONE
            .into_iter()
            .zip(expected)
            .chain([(Who::Operator, operator_expected(endpoint, expected))]);
        for (who, want) in principals {
            let http = match (who, world.email_of(who)) {
                (Who::Operator, _) => world.operator.clone(),
                (_, Some(email)) => app.login(email, PASSWORD).await,
                (_, None) => app.client(),
            };
            let response = call(app, &http, endpoint, &args(&world, who)).await;
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
                for secret in [SECRET_NOTE, SECRET_TODO, SECRET_TEMPLATE, SECRET_SESSION] {
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

async fn send_multipart(
    app: &TestApp,
    http: &reqwest::Client,
    endpoint: &str,
    form: reqwest::multipart::Form,
) -> common::Response {
    let response = http
        .post(app.url(&format!("/api/{endpoint}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    common::Response::read(response).await
}
