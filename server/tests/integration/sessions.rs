//! Coaching sessions over HTTP on both databases: recording, transcripts from pasted text and
//! .vtt/.srt files, editing, sharing the summary with the client, deleting, and bad input.

use crate::common;

use common::TestApp;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    a_session_is_recorded_shared_and_deleted,
    transcripts_come_from_text_vtt_and_srt,
    bad_sessions_and_transcripts_store_nothing,
    action_items_are_shared_ticked_off_and_seen_by_the_coach,
);

const VTT: &str = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\n<v Coach>How did the week go?</v>\n\n2\n00:00:04.500 --> 00:00:09.000\n<v Riley>Better. I slept seven hours most nights.</v>\n";

fn session_form<'a>(
    client_id: &'a str,
    title: &'a str,
    duration: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("client_id", client_id),
        ("held_at", "2026-11-20T14:30"),
        ("duration_min", duration),
        ("title", title),
        ("tags", "Sleep, stress"),
        ("private_notes", "PRIVATE: seems tired"),
        ("summary", "We agreed on a fixed bedtime."),
        ("transcript", ""),
    ]
}

async fn create(app: &TestApp, coach: &reqwest::Client, client_id: &str) -> String {
    let id = app
        .ok(
            coach,
            "sessions/create",
            &session_form(client_id, "Week 3 call", "45"),
        )
        .await;
    id.as_str().unwrap().to_owned()
}

fn file(session_id: &str, name: &str, body: &str) -> Form {
    Form::new().text("session_id", session_id.to_owned()).part(
        "file",
        Part::bytes(body.as_bytes().to_vec()).file_name(name.to_owned()),
    )
}

async fn a_session_is_recorded_shared_and_deleted(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    let id = create(app, &coach, &client_id).await;
    let list = app
        .ok(&coach, "sessions/list", &[("client_id", &client_id)])
        .await;
    assert_eq!(list[0]["title"], "Week 3 call");
    assert_eq!(list[0]["held_at"], 1_795_185_000_000_i64);
    assert_eq!(list[0]["tags"], json!(["sleep", "stress"]));
    assert_eq!(list[0]["has_transcript"], false);
    assert_eq!(list[0]["summary_shared"], false);

    // Nothing reaches the client until the coach shares the summary.
    assert_eq!(
        app.ok(&client, "portal/sessions/list", &[]).await,
        json!([])
    );
    app.ok(
        &coach,
        "sessions/share",
        &[("session_id", &id), ("shared", "true")],
    )
    .await;
    let shared = app.ok(&client, "portal/sessions/list", &[]).await;
    assert_eq!(shared[0]["summary"], "We agreed on a fixed bedtime.");
    let body = shared.to_string();
    assert!(
        !body.contains("PRIVATE"),
        "private notes reached the client: {body}"
    );

    // Editing keeps sharing; emptying the summary withdraws it.
    let mut form = session_form(&client_id, "Week 3 call (edited)", "50");
    form[0] = ("session_id", &id);
    form.pop();
    let updated = app.ok(&coach, "sessions/update", &form).await;
    assert_eq!(updated["summary"]["title"], "Week 3 call (edited)");
    assert_eq!(updated["summary"]["summary_shared"], true);
    let idx = form.iter().position(|(k, _)| *k == "summary").unwrap();
    form[idx] = ("summary", "");
    let updated = app.ok(&coach, "sessions/update", &form).await;
    assert_eq!(updated["summary"]["summary_shared"], false);
    assert_eq!(
        app.ok(&client, "portal/sessions/list", &[]).await,
        json!([])
    );
    let refused = app
        .call(
            &coach,
            "sessions/share",
            &[("session_id", &id), ("shared", "true")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.body["detail"], "Write a summary before sharing it.");

    app.ok(&coach, "sessions/delete", &[("session_id", &id)])
        .await;
    let gone = app
        .call(&coach, "sessions/get", &[("session_id", &id)])
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.ok(&coach, "sessions/list", &[("client_id", &client_id)])
            .await,
        json!([])
    );
}

async fn transcripts_come_from_text_vtt_and_srt(app: &TestApp) {
    let (coach, _client, client_id) = app.coach_and_client().await;
    let mut form = session_form(&client_id, "Pasted", "30");
    *form.last_mut().unwrap() = ("transcript", "Coach: Hi Riley\nRiley: Hi!\nRiley: Ready.");
    let pasted = app.ok(&coach, "sessions/create", &form).await;
    let detail = app
        .ok(
            &coach,
            "sessions/get",
            &[("session_id", pasted.as_str().unwrap())],
        )
        .await;
    let turns = &detail["transcript"]["turns"];
    assert_eq!(turns[1]["speaker"], "Riley");
    assert_eq!(turns[1]["text"], "Hi! Ready.");

    let id = create(app, &coach, &client_id).await;
    let from_vtt = app
        .upload_transcript(&coach, file(&id, "call.vtt", VTT))
        .await;
    assert_eq!(from_vtt.status, StatusCode::OK, "{}", from_vtt.body);
    let turns = &from_vtt.body["transcript"]["turns"];
    assert_eq!(turns[0]["speaker"], "Coach");
    assert_eq!(turns[1]["speaker"], "Riley");
    assert_eq!(turns[1]["start_ms"], 4500);
    assert_eq!(from_vtt.body["summary"]["has_transcript"], true);

    let srt = "1\n00:00:01,000 --> 00:00:02,000\nCoach: Replaced\n";
    let from_srt = app
        .upload_transcript(&coach, file(&id, "call.SRT", srt))
        .await;
    assert_eq!(from_srt.status, StatusCode::OK, "{}", from_srt.body);
    assert_eq!(from_srt.body["transcript"]["turns"][0]["text"], "Replaced");

    let text = Form::new()
        .text("session_id", id.clone())
        .text("text", "Just notes from memory");
    let from_text = app.upload_transcript(&coach, text).await;
    assert_eq!(
        from_text.body["transcript"]["turns"][0]["speaker"],
        Value::Null
    );
}

async fn bad_sessions_and_transcripts_store_nothing(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    let cases = [
        (session_form(&client_id, "", "45"), "Title is required."),
        (
            session_form(&client_id, "Call", "0"),
            "Duration must be a whole number of minutes from 1 to 600.",
        ),
    ];
    for (form, message) in cases {
        let response = app.call(&coach, "sessions/create", &form).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{message}");
        assert_eq!(response.body["detail"], message);
    }
    let mut empty_transcript = session_form(&client_id, "Call", "45");
    *empty_transcript.last_mut().unwrap() = ("transcript", "   ");
    // An all-blank paste counts as no transcript.
    app.ok(&coach, "sessions/create", &empty_transcript).await;
    let list = app
        .ok(&coach, "sessions/list", &[("client_id", &client_id)])
        .await;
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "refused sessions left nothing"
    );
    assert_eq!(list[0]["has_transcript"], false);

    let id = list[0]["id"].as_str().unwrap().to_owned();
    let broken = VTT.replace("00:00:04.500", "00:00:4x.500");
    let cases = [
        (
            file(&id, "call.vtt", &broken),
            "Line 8: “00:00:4x.500 --> 00:00:09.000” is not a valid cue timing (expected 00:01:02.000 --> 00:01:05.000).",
        ),
        (file(&id, "call.vtt", "no header\n"), "This .vtt file does not start with WEBVTT."),
        (file(&id, "call.mp3", "ID3"), "A transcript file must be .txt, .vtt or .srt."),
        (file(&id, "call.txt", " \n \n"), "The transcript is empty."),
        (
            Form::new().text("session_id", id.clone()),
            "Paste the transcript, or choose a .txt, .vtt or .srt file or an audio file.",
        ),
    ];
    for (form, message) in cases {
        let response = app.upload_transcript(&coach, form).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{message}");
        assert_eq!(response.body["detail"], message);
    }
    let too_big = "a".repeat(3 * 1024 * 1024 + 1);
    let response = app
        .upload_transcript(&coach, file(&id, "call.txt", &too_big))
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    let detail = app.ok(&coach, "sessions/get", &[("session_id", &id)]).await;
    assert_eq!(
        detail["transcript"],
        Value::Null,
        "nothing stored by refused uploads"
    );

    // Another coach's session id, and a client, get nothing.
    let other = app.client();
    app.signup_coach(&other, "Other", "other@example.com").await;
    let foreign = app
        .upload_transcript(&other, file(&id, "call.vtt", VTT))
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let as_client = app
        .upload_transcript(&client, file(&id, "call.vtt", VTT))
        .await;
    assert_eq!(as_client.status, StatusCode::FORBIDDEN);
}

async fn add_item(
    app: &TestApp,
    coach: &reqwest::Client,
    session_id: &str,
    text: &str,
    shared: &str,
) -> common::Response {
    app.call(
        coach,
        "sessions/action_items/add",
        &[
            ("session_id", session_id),
            ("owner", "client"),
            ("text", text),
            ("due_date", "2026-11-27"),
            ("shared", shared),
        ],
    )
    .await
}

async fn action_items_are_shared_ticked_off_and_seen_by_the_coach(app: &TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    let id = create(app, &coach, &client_id).await;
    let added = add_item(app, &coach, &id, "Lights out by 22:30", "true").await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let hidden = add_item(app, &coach, &id, "PRIVATE-ITEM: check their mood", "false").await;
    let items = &hidden.body["action_items"];
    assert_eq!(items.as_array().unwrap().len(), 2);
    assert_eq!(items[0]["owner"], "client");
    assert_eq!(items[0]["due_date"], "2026-11-27");
    let (shared_id, hidden_id) = (
        items[0]["id"].as_str().unwrap().to_owned(),
        items[1]["id"].as_str().unwrap().to_owned(),
    );

    // The summary is not shared, but the shared item is, and nothing else.
    let mine = app.ok(&client, "portal/sessions/list", &[]).await;
    assert_eq!(mine[0]["summary"], "");
    assert_eq!(mine[0]["action_items"].as_array().unwrap().len(), 1);
    assert!(!mine.to_string().contains("PRIVATE"), "{mine}");

    app.ok(
        &client,
        "portal/action_items/set_done",
        &[("item_id", &shared_id), ("done", "true")],
    )
    .await;
    let hidden_done = app
        .call(
            &client,
            "portal/action_items/set_done",
            &[("item_id", &hidden_id), ("done", "true")],
        )
        .await;
    assert_eq!(
        hidden_done.status,
        StatusCode::NOT_FOUND,
        "unshared items do not exist for the client"
    );
    let detail = app.ok(&coach, "sessions/get", &[("session_id", &id)]).await;
    assert!(
        detail["action_items"][0]["done_at"].is_i64(),
        "the coach sees it done"
    );
    assert_eq!(detail["action_items"][1]["done_at"], Value::Null);

    app.ok(
        &coach,
        "action_items/share",
        &[("item_id", &shared_id), ("shared", "false")],
    )
    .await;
    assert_eq!(
        app.ok(&client, "portal/sessions/list", &[]).await,
        json!([])
    );

    for (form, message) in [
        (
            vec![("owner", "client"), ("text", " "), ("due_date", "")],
            "Action item is required.",
        ),
        (
            vec![("owner", "team"), ("text", "x"), ("due_date", "")],
            "Owner must be \"client\" or \"coach\".",
        ),
        (
            vec![("owner", "coach"), ("text", "x"), ("due_date", "27/11")],
            "Due date must be a date like 1990-04-25.",
        ),
    ] {
        let mut form = form;
        form.push(("session_id", &id));
        form.push(("shared", "true"));
        let response = app.call(&coach, "sessions/action_items/add", &form).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{message}");
        assert_eq!(response.body["detail"], message);
    }
    app.ok(&coach, "action_items/delete", &[("item_id", &hidden_id)])
        .await;
    // Deleting the session takes its action items with it.
    app.ok(&coach, "sessions/delete", &[("session_id", &id)])
        .await;
    let gone = app
        .call(
            &client,
            "portal/action_items/set_done",
            &[("item_id", &shared_id), ("done", "false")],
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}
