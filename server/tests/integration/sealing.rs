//! Encryption at rest, end to end: every sensitive field filled with a unique canary through the
//! API, then the raw bytes the operator holds (the SQLite file with its WAL, a `pg_dump`, the
//! local files, the S3 stand-in's bucket) searched for them. Also the master key: a wrong one
//! stops startup, a missing named one is an error, and `keys rotate` re-wraps while serving.

use crate::common;

use app::server::crypto::master::{new_key_text, write_key_file};
use app::server::photos::fixtures;
use common::checkins::Submission;
use common::{Backend, TestApp};
use serde_json::json;
use std::path::Path;

/// A canary: a unique string that must appear nowhere in what is stored.
pub(crate) fn canary(field: &str) -> String {
    // 64 random bits: unique, and short enough for the shortest field (gender, 40).
    format!("canary-{field}-{}", &app::server::new_id()[..16])
}

/// Every file under `dir`, recursively.
pub(crate) fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The bytes of the first photo of a check-in as the API showed it, fetched by its link.
pub(crate) async fn first_photo(app: &TestApp, checkin: &serde_json::Value) -> bytes::Bytes {
    let url = app.absolute(checkin["photos"][0]["url"].as_str().expect("a photo link"));
    let response = app.client().get(&url).send().await.expect("photo");
    assert_eq!(response.status(), 200, "{url}");
    response.bytes().await.expect("photo bytes")
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Fills every sensitive field with canaries through the API and checks that the app shows them
/// back. Returns the canaries.
pub(crate) async fn fill_with_canaries(app: &TestApp) -> Vec<String> {
    let mut canaries = Vec::new();
    let mut c = |field: &str| {
        let value = canary(field);
        canaries.push(value.clone());
        value
    };
    let (goals, medical, diet, injuries, medications, gender) = (
        c("goals"),
        c("medical"),
        c("diet"),
        c("injuries"),
        c("medications"),
        c("gender"),
    );
    let (client_todo, goal) = (c("client-todo"), c("goal"));
    let (feedback, reply, note, general_note, todo) = (
        c("feedback"),
        c("reply"),
        c("note"),
        c("general-note"),
        c("todo"),
    );
    let tag = c("tag");
    let edited_notes = c("edited-notes");
    let (plan_notes, answer, title, private_notes, summary, transcript, action) = (
        c("plan"),
        c("answer"),
        c("session-title"),
        c("private-notes"),
        c("summary"),
        c("transcript"),
        c("action-item"),
    );

    let coach = app.client();
    app.signup_coach(&coach, "Casey Coach", "casey@example.com")
        .await;
    let mut form = common::client_form("Riley Client", "riley@example.com");
    for (key, value) in [
        ("phone", "+1 (555) 7319-2846"),
        ("date_of_birth", "1987-06-05"),
        ("gender", gender.as_str()),
        ("height", "187.3"),
        ("weight", "93.417"),
        ("goals", goals.as_str()),
        ("medical_conditions", medical.as_str()),
        ("dietary_restrictions", diet.as_str()),
        ("injuries", injuries.as_str()),
        ("medications", medications.as_str()),
    ] {
        form = common::with(form, key, value);
    }
    let profile = app.ok(&coach, "clients/create", &form).await;
    let client_id = profile["id"].as_str().unwrap().to_owned();
    let client = app.invite_and_join(&coach, &client_id).await;

    let checkin_id = app
        .checkin_ok(
            &client,
            &Submission::default()
                .field("weight", "81.239")
                .field("feedback", &feedback)
                // Its key is backed up and restored with it (backups.rs compares every table).
                .field("idempotency_key", "5eed5eed5eed5eed5eed5eed5eed5eed")
                .photo("front", "front.jpg", fixtures::png(64, 48)),
        )
        .await;
    let inbox = app.ok(&coach, "checkins/inbox", &[("page", "1")]).await;
    assert_eq!(inbox["items"][0]["feedback_preview"], feedback.as_str());
    app.ok(
        &coach,
        "checkins/review",
        &[("checkin_id", &checkin_id), ("reply", &reply)],
    )
    .await;
    app.ok(
        &coach,
        "notes/create",
        &[("client_id", &client_id), ("body", &note)],
    )
    .await;
    app.ok(
        &coach,
        "notes/create",
        &[("client_id", ""), ("body", &general_note)],
    )
    .await;
    app.ok(
        &coach,
        "todos/create",
        &[("client_id", ""), ("title", &todo), ("due_date", "")],
    )
    .await;
    app.ok(
        &coach,
        "todos/create",
        &[
            ("client_id", &client_id),
            ("title", &client_todo),
            ("due_date", ""),
        ],
    )
    .await;
    let goals = app
        .ok(
            &coach,
            "goals/create",
            &[
                ("client_id", &client_id),
                ("title", &goal),
                ("kind", "measurement"),
                ("metric", "weight"),
                ("target", "77.731"),
                ("target_date", ""),
                ("per_week", ""),
            ],
        )
        .await;
    assert_eq!(goals[0]["title"], goal.as_str());
    assert_eq!(goals[0]["start_value"], 81.239, "{goals}");
    // The client's own phone change goes through the sealed profile too.
    app.ok(
        &client,
        "portal/contact/update",
        &[("phone", "+44 20 7946 0958")],
    )
    .await;

    let plan = app
        .ok(
            &coach,
            "meal_plans/create",
            &[("name", "Plan"), ("client_id", &client_id)],
        )
        .await;
    let plan_id = plan.as_str().unwrap().to_owned();
    let saved = app
        .call_json(
            &coach,
            "meal_plans/save",
            &json!({ "plan_id": plan_id, "name": "Plan", "plan": {
                "notes": plan_notes, "target_protein": "", "target_carbs": "", "target_fat": "",
                "target_kcal": "", "days": [] } }),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);

    let fields = json!([{ "id": "q1", "label": "Why", "field_type": "text", "required": true }]);
    let form_id = common::build_form(app, &coach, "Intake", "intake", fields).await;
    let assignment = app
        .ok(
            &coach,
            "forms/assign",
            &[("form_id", &form_id), ("client_id", &client_id)],
        )
        .await;
    app.ok_json(
        &client,
        "portal/forms/submit",
        &json!({ "assignment_id": assignment, "answers": { "q1": [answer] } }),
    )
    .await;

    let session_id = app
        .ok(
            &coach,
            "sessions/create",
            &[
                ("client_id", &client_id),
                ("held_at", "2026-11-30T09:30"),
                ("duration_min", "45"),
                ("title", &title),
                ("tags", &tag),
                ("private_notes", &private_notes),
                ("summary", &summary),
                ("transcript", &format!("Coach: {transcript}")),
            ],
        )
        .await;
    let session_id = session_id.as_str().unwrap().to_owned();
    app.ok(
        &coach,
        "sessions/action_items/add",
        &[
            ("session_id", &session_id),
            ("owner", "client"),
            ("text", &action),
            ("due_date", ""),
            ("shared", "true"),
        ],
    )
    .await;
    app.ok(
        &coach,
        "sessions/update",
        &[
            ("session_id", &session_id),
            ("held_at", "2026-11-30T09:30"),
            ("duration_min", "45"),
            ("title", &title),
            ("tags", &tag),
            ("private_notes", &edited_notes),
            ("summary", &summary),
        ],
    )
    .await;
    app.ok(
        &coach,
        "sessions/share",
        &[("session_id", &session_id), ("shared", "true")],
    )
    .await;
    // A deletion request's message, and the coach's reason for declining it.
    let (deletion_message, decline_reason) = (c("deletion-message"), c("decline-reason"));
    app.ok(
        &client,
        "portal/deletion/request",
        &[("message", &deletion_message)],
    )
    .await;
    let asked = app
        .ok(
            &coach,
            "clients/deletion_request",
            &[("client_id", &client_id)],
        )
        .await;
    assert_eq!(asked["message"], deletion_message.as_str());
    app.ok(
        &coach,
        "deletion_requests/decline",
        &[
            ("request_id", asked["id"].as_str().unwrap()),
            ("reason", &decline_reason),
        ],
    )
    .await;
    let answered = app.ok(&client, "portal/deletion/status", &[]).await;
    assert_eq!(answered["decline_reason"], decline_reason.as_str());

    // The app still shows every value, to the coach and to the client.
    let shown = app
        .ok(&coach, "clients/get", &[("client_id", &client_id)])
        .await;
    assert_eq!(shown["medical_conditions"], medical.as_str());
    assert_eq!(shown["phone"], "+44 20 7946 0958");
    assert_eq!(shown["gender"], gender.as_str());
    assert_eq!(shown["date_of_birth"], "1987-06-05");
    assert_eq!(shown["height_cm"], 187.3);
    let detail = app
        .ok(
            &client,
            "portal/checkins/get",
            &[("checkin_id", &checkin_id)],
        )
        .await;
    assert_eq!(detail["feedback"], feedback.as_str());
    assert_eq!(detail["reply"], reply.as_str());
    assert_eq!(detail["values"]["weight"], 81.239);
    let photo = first_photo(app, &detail).await;
    assert!(
        photo.starts_with(&[0xff, 0xd8]),
        "the photo opens as a JPEG"
    );
    let notes = app
        .ok(&coach, "notes/list", &[("client_id", &client_id)])
        .await;
    assert_eq!(notes[0]["body"], note.as_str());
    let todos = app.ok(&coach, "todos/list", &[("client_id", "")]).await;
    let titles: Vec<&str> = todos
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.contains(&todo.as_str()) && titles.contains(&client_todo.as_str()),
        "{todos}"
    );
    let plan = app.ok(&client, "portal/meal_plan", &[]).await;
    assert_eq!(plan["body"]["notes"], plan_notes.as_str(), "{plan}");
    let responses = app
        .ok(
            &coach,
            "forms/responses",
            &[("client_id", &client_id), ("form_id", "")],
        )
        .await;
    assert_eq!(responses[0]["answers"]["q1"]["value"], answer.as_str());
    let session = app
        .ok(&coach, "sessions/get", &[("session_id", &session_id)])
        .await;
    assert_eq!(session["summary"]["title"], title.as_str());
    assert_eq!(session["summary"]["tags"][0], tag.as_str());
    assert_eq!(session["private_notes"], edited_notes.as_str());
    assert_eq!(
        session["transcript"]["turns"][0]["text"],
        transcript.as_str()
    );
    let shared = app.ok(&client, "portal/sessions/list", &[]).await;
    assert_eq!(shared[0]["summary"], summary.as_str());
    assert_eq!(shared[0]["action_items"][0]["text"], action.as_str());

    // Numbers are canaries too, as text (PostgreSQL dumps) and as stored doubles (SQLite).
    canaries.extend(
        [
            "187.3",
            "93.417",
            "81.239",
            "77.731",
            "7319-2846",
            "7946 0958",
            "1987-06-05",
        ]
        .map(String::from),
    );
    canaries
}

/// The raw bytes an operator holds: the database's files or dump, and every stored object.
async fn stored_bytes(app: &TestApp) -> (Vec<u8>, Vec<Vec<u8>>) {
    let database = match app.pg_url() {
        Some(url) => {
            let dump = std::process::Command::new("pg_dump")
                .arg(&url)
                .output()
                .expect("pg_dump runs");
            assert!(dump.status.success(), "pg_dump failed: {:?}", dump);
            dump.stdout
        }
        None => {
            let mut bytes = Vec::new();
            for name in ["coachroom.db", "coachroom.db-wal", "coachroom.db-shm"] {
                bytes.extend(std::fs::read(app.data_dir().join(name)).unwrap_or_default());
            }
            assert!(bytes.len() > 4096, "the SQLite files were read");
            bytes
        }
    };
    let object_dir = match &app.s3 {
        Some(s3) => s3.bucket_dir(),
        None => app.data_dir().join("files"),
    };
    let objects: Vec<Vec<u8>> = files_under(&object_dir)
        .iter()
        .filter(|p| !p.to_string_lossy().contains(".s3s"))
        .map(|p| std::fs::read(p).expect("read object"))
        .collect();
    (database, objects)
}

async fn every_sensitive_field_is_sealed_at_rest(app: &TestApp) {
    let canaries = fill_with_canaries(app).await;
    let (database, objects) = stored_bytes(app).await;
    assert!(!objects.is_empty(), "the photo was stored");
    // The test can fail: a plain value it knows is there is found by the same search.
    assert!(contains(&database, b"riley@example.com"));
    let mut found = Vec::new();
    for canary in &canaries {
        if contains(&database, canary.as_bytes()) {
            found.push(format!("database: {canary}"));
        }
        for object in &objects {
            if contains(object, canary.as_bytes()) {
                found.push(format!("object: {canary}"));
            }
        }
    }
    if app.pg_url().is_none() {
        for number in [187.3f64, 93.417, 81.239, 77.731] {
            if contains(&database, &number.to_be_bytes()) {
                found.push(format!("database: the double {number}"));
            }
        }
    }
    assert_eq!(found, Vec::<String>::new(), "canaries found at rest");
    let jpegs = objects
        .iter()
        .filter(|o| o.starts_with(&[0xff, 0xd8]) || contains(o, b"JFIF"))
        .count();
    assert_eq!(jpegs, 0, "stored objects that are plain JPEGs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_local_files_hold_no_plaintext() {
    let app = TestApp::start(Backend::Sqlite).await.expect("sqlite app");
    every_sensitive_field_is_sealed_at_rest(&app).await;
    let key = app.data_dir().join("master.key");
    assert!(key.is_file(), "the embedded setup made its master key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_and_s3_hold_no_plaintext() {
    if let Some(app) = TestApp::start_with_s3(Backend::Postgres, |_| {}).await {
        every_sensitive_field_is_sealed_at_rest(&app).await;
        app.stop().await;
    }
}

/// The one-line startup error for `configure`d settings on a fresh data dir (or `None`).
async fn startup_error(
    backend: Backend,
    app: Option<&TestApp>,
    configure: impl FnOnce(&mut coachroom_server::config::Cli),
) -> String {
    let data_dir = tempfile::tempdir().unwrap();
    let mut cli = coachroom_server::config::Cli {
        data_dir: Some(match app {
            Some(app) => app.data_dir().display().to_string(),
            None => data_dir.path().display().to_string(),
        }),
        database_url: app.and_then(|a| a.pg_url()),
        ..Default::default()
    };
    let _ = backend;
    configure(&mut cli);
    let config = match coachroom_server::config::Config::from_cli(cli) {
        Ok(config) => config,
        Err(e) => return e,
    };
    match coachroom_server::build_state(&config).await {
        Ok(_) => "started".into(),
        Err(e) => e,
    }
}

async fn a_wrong_or_missing_master_key_stops_startup(app: &TestApp) {
    let other = tempfile::tempdir().unwrap();
    let wrong = other.path().join("wrong.key");
    write_key_file(&wrong, &new_key_text(), true).unwrap();
    let error = startup_error(app.backend, Some(app), |cli| {
        cli.master_key_file = Some(wrong.display().to_string());
    })
    .await;
    assert!(
        error.starts_with("COACHROOM_MASTER_KEY_FILE")
            && error.contains("not the master key of this database"),
        "{error}"
    );
    assert!(!error.contains('\n'), "one line: {error}");

    let missing = other.path().join("missing.key");
    let error = startup_error(app.backend, Some(app), |cli| {
        cli.master_key_file = Some(missing.display().to_string());
    })
    .await;
    assert!(
        error.starts_with("COACHROOM_MASTER_KEY_FILE: cannot read"),
        "{error}"
    );
    assert!(!missing.exists(), "a named key file is never made up");

    let error = startup_error(app.backend, Some(app), |cli| {
        cli.master_key = Some("not a key".into());
    })
    .await;
    assert!(
        error.starts_with("COACHROOM_MASTER_KEY: must be 64 hex digits"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_master_key_stops_startup_sqlite() {
    let app = TestApp::start(Backend::Sqlite).await.expect("sqlite app");
    let coach = app.client();
    app.signup_coach(&coach, "Casey Coach", "casey@example.com")
        .await;
    a_wrong_or_missing_master_key_stops_startup(&app).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_needs_a_named_master_key() {
    let Some(app) = TestApp::start(Backend::Postgres).await else {
        return;
    };
    a_wrong_or_missing_master_key_stops_startup(&app).await;
    let error = startup_error(Backend::Postgres, Some(&app), |cli| {
        cli.master_key_file = None;
    })
    .await;
    assert!(
        error.starts_with("COACHROOM_MASTER_KEY_FILE: required with PostgreSQL"),
        "{error}"
    );
    app.stop().await;
}

/// `coachroom keys rotate` re-wraps every data key while the server serves: nothing is
/// re-encrypted, the running server keeps reading (old keys from its cache, new ones after it
/// reloads the key file), a restart needs the new key, and the old key no longer starts it.
async fn rotating_the_master_key_while_serving(app: TestApp) {
    let (coach, client, client_id) = app.coach_and_client().await;
    let note = canary("note");
    app.ok(
        &coach,
        "notes/create",
        &[("client_id", &client_id), ("body", &note)],
    )
    .await;
    let checkin_id = app
        .checkin_ok(&client, &Submission::default().field("feedback", "before"))
        .await;
    let sealed_before: (String,) = sqlx::query_as("SELECT body FROM notes")
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    let key_file = app
        .pg_url()
        .map(|_| app.data_dir().join("test-master.key"))
        .unwrap_or_else(|| app.data_dir().join("master.key"));
    let old_key = std::fs::read_to_string(&key_file).unwrap();

    let new_dir = tempfile::tempdir().unwrap();
    let new_key = new_dir.path().join("new.key");
    write_key_file(&new_key, &new_key_text(), true).unwrap();
    let mut cli = coachroom_server::config::Cli {
        data_dir: Some(app.data_dir().display().to_string()),
        database_url: app.pg_url(),
        master_key_file: app.pg_url().map(|_| key_file.display().to_string()),
        ..Default::default()
    };
    cli.command = None;
    let config = coachroom_server::config::Config::from_cli(cli).unwrap();
    let done = coachroom_server::keys_command(
        &config,
        coachroom_server::config::KeysCommand::Rotate {
            new_key_file: new_key.clone(),
        },
    )
    .await
    .expect("rotation");
    assert!(done.starts_with("re-wrapped 1 data keys"), "{done}");
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap(),
        std::fs::read_to_string(&new_key).unwrap(),
        "the configured key file now holds the new key"
    );
    let sealed_after: (String,) = sqlx::query_as("SELECT body FROM notes")
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    assert_eq!(sealed_before, sealed_after, "no data was re-encrypted");
    let (under_old,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM data_keys WHERE master_key_id <> (SELECT value FROM app_secrets WHERE name = 'master_key_id')",
    )
    .fetch_one(app.db.reader())
    .await
    .unwrap();
    assert_eq!(under_old, 0);

    // The running server still reads, and makes new clients under the new key.
    let notes = app
        .ok(&coach, "notes/list", &[("client_id", &client_id)])
        .await;
    assert_eq!(notes[0]["body"], note.as_str());
    let newcomer = app
        .create_client(&coach, "New Client", "new@example.com")
        .await;
    app.ok(
        &coach,
        "notes/create",
        &[("client_id", &newcomer), ("body", "after")],
    )
    .await;

    // After a restart (cold caches) everything opens under the new key.
    let app = app.restart(|_| {}).await;
    let coach = app.login("casey@example.com", common::PASSWORD).await;
    let notes = app
        .ok(&coach, "notes/list", &[("client_id", &client_id)])
        .await;
    assert_eq!(notes[0]["body"], note.as_str());
    let review = app
        .ok(&coach, "checkins/get", &[("checkin_id", &checkin_id)])
        .await;
    assert_eq!(review["current"]["feedback"], "before", "{review}");

    // The old key no longer starts the server.
    let old = new_dir.path().join("old.key");
    std::fs::write(&old, old_key).unwrap();
    let error = startup_error(app.backend, Some(&app), |cli| {
        cli.master_key_file = Some(old.display().to_string());
    })
    .await;
    assert!(
        error.contains("not the master key of this database"),
        "{error}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_the_master_key_sqlite() {
    let app = TestApp::start(Backend::Sqlite).await.expect("sqlite app");
    rotating_the_master_key_while_serving(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_the_master_key_postgres() {
    if let Some(app) = TestApp::start(Backend::Postgres).await {
        rotating_the_master_key_while_serving(app).await;
    }
}

/// Applies the migrations of the version before sealing (0001 to 0009) to `url`.
async fn migrate_to_the_schema_before_sealing(backend: Backend, url: &str) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let folder = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../app/migrations")
        .join(folder);
    let old = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&source).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.as_str() < "0010" {
            std::fs::copy(entry.path(), old.path().join(&name)).unwrap();
        }
    }
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    sqlx::migrate::Migrator::new(old.path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    pool
}

/// The plaintext values a database of the version before sealing holds, row by row.
struct Legacy {
    medical: String,
    feedback: String,
    reply: String,
    note: String,
    general_note: String,
    todo: String,
    plan: String,
    summary: String,
    transcript: String,
    action: String,
    goal: String,
    photo_marker: String,
}

/// Writes a workspace with today's schema as the version before sealing did: every value plain,
/// the photo a plain JPEG file.
async fn write_legacy_workspace(pool: &sqlx::AnyPool, files: &Path) -> Legacy {
    let legacy = Legacy {
        medical: canary("medical"),
        feedback: canary("feedback"),
        reply: canary("reply"),
        note: canary("note"),
        general_note: canary("general-note"),
        todo: canary("todo"),
        plan: canary("plan"),
        summary: canary("summary"),
        transcript: canary("transcript"),
        action: canary("action"),
        goal: canary("goal"),
        photo_marker: canary("photo"),
    };
    let hash =
        app::server::password::hash(&app::domain::NewPassword::parse(common::PASSWORD).unwrap())
            .await
            .unwrap();
    let now = 1_764_000_000_000i64;
    let statements: Vec<(String, Vec<String>)> = vec![
        ("INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES ('c0000000000000000000000000000001', 'casey@example.com', 'Casey', 'coach', $1, 1)".into(), vec![hash.clone()]),
        ("INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES ('c0000000000000000000000000000002', 'riley@example.com', 'Riley', 'client', $1, 1)".into(), vec![hash]),
        ("INSERT INTO coaches (user_id) VALUES ('c0000000000000000000000000000001')".into(), vec![]),
        ("INSERT INTO clients (id, coach_id, user_id, name, email, phone, date_of_birth, gender, height_cm, weight_kg, medical_conditions, search_text, created_at, updated_at) VALUES ('c1000000000000000000000000000001', 'c0000000000000000000000000000001', 'c0000000000000000000000000000002', 'Riley', 'riley@example.com', '+1 555 7319 2846', '1987-06-05', '', 187.3, 93.417, $1, 'riley riley@example.com', 1, 1)".into(), vec![legacy.medical.clone()]),
        (format!("INSERT INTO checkins (id, coach_id, client_id, submitted_at, weight, feedback, reply, replied_at, reviewed_at) VALUES ('c2000000000000000000000000000001', 'c0000000000000000000000000000001', 'c1000000000000000000000000000001', {now}, 81.239, $1, $2, {now}, {now})"), vec![legacy.feedback.clone(), legacy.reply.clone()]),
        ("INSERT INTO checkin_photos (id, checkin_id, coach_id, client_id, slot, object_key, width, height, byte_size, created_at) VALUES ('c3000000000000000000000000000001', 'c2000000000000000000000000000001', 'c0000000000000000000000000000001', 'c1000000000000000000000000000001', 'front', 'photos/c0000000000000000000000000000001/c1000000000000000000000000000001/c2000000000000000000000000000001/c3000000000000000000000000000001.jpg', 16, 16, 100, 1)".into(), vec![]),
        ("INSERT INTO notes (id, coach_id, client_id, body, created_at) VALUES ('c4000000000000000000000000000001', 'c0000000000000000000000000000001', 'c1000000000000000000000000000001', $1, 1)".into(), vec![legacy.note.clone()]),
        ("INSERT INTO notes (id, coach_id, client_id, body, created_at) VALUES ('c4000000000000000000000000000002', 'c0000000000000000000000000000001', NULL, $1, 1)".into(), vec![legacy.general_note.clone()]),
        ("INSERT INTO todos (id, coach_id, client_id, title, created_at) VALUES ('c5000000000000000000000000000001', 'c0000000000000000000000000000001', NULL, $1, 1)".into(), vec![legacy.todo.clone()]),
        ("INSERT INTO plans (id, coach_id, client_id, kind, name, body, active, created_at, updated_at) VALUES ('c6000000000000000000000000000001', 'c0000000000000000000000000000001', 'c1000000000000000000000000000001', 'meal', 'Plan', $1, 1, 1, 1)".into(), vec![format!(r#"{{"notes":"{}","targets":{{"protein_g":null,"carbs_g":null,"fat_g":null,"kcal":null}},"days":[]}}"#, legacy.plan)]),
        (format!("INSERT INTO coaching_sessions (id, coach_id, client_id, held_at, duration_min, title, tags, transcript, private_notes, summary, summary_shared, created_at, updated_at) VALUES ('c7000000000000000000000000000001', 'c0000000000000000000000000000001', 'c1000000000000000000000000000001', {now}, 30, 'Weekly', '[]', $1, '', $2, 1, 1, 1)"), vec![format!(r#"{{"turns":[{{"speaker":"Coach","start_ms":null,"text":"{}"}}]}}"#, legacy.transcript), legacy.summary.clone()]),
        ("INSERT INTO action_items (id, coach_id, client_id, session_id, owner, body, shared, created_at) VALUES ('c8000000000000000000000000000001', 'c0000000000000000000000000000001', 'c1000000000000000000000000000001', 'c7000000000000000000000000000001', 'client', $1, 1, 1)".into(), vec![legacy.action.clone()]),
        ("INSERT INTO goals (id, coach_id, client_id, title, kind, metric, target_value, start_value, created_at, updated_at) VALUES ('c9000000000000000000000000000001', 'c0000000000000000000000000000001', 'c1000000000000000000000000000001', $1, 'measurement', 'weight', 77.731, 85.5, 1, 1)".into(), vec![legacy.goal.clone()]),
    ];
    for (sql, binds) in statements {
        let mut query = sqlx::query(&sql);
        for bind in binds {
            query = query.bind(bind);
        }
        query
            .execute(pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let photo_path = files.join("photos/c0000000000000000000000000000001/c1000000000000000000000000000001/c2000000000000000000000000000001/c3000000000000000000000000000001.jpg");
    std::fs::create_dir_all(photo_path.parent().unwrap()).unwrap();
    // A real JPEG, with a marker after its end that decoders ignore and a search finds.
    let mut jpeg = fixtures::jpeg_with_gps(16, 16);
    jpeg.extend_from_slice(legacy.photo_marker.as_bytes());
    std::fs::write(&photo_path, jpeg).unwrap();
    legacy
}

/// A database and photos written by the version before sealing are sealed in place at the first
/// start, and everything still reads back; rows left plain by an interrupted run (or written in
/// between) are sealed at the next start.
async fn existing_plaintext_is_sealed_in_place(backend: Backend) {
    let Some((data_dir, pg_database)) = TestApp::prepare(backend).await else {
        return;
    };
    let url = TestApp::prepared_url(&data_dir, pg_database.as_deref());
    let pool = migrate_to_the_schema_before_sealing(backend, &url).await;
    let legacy = write_legacy_workspace(&pool, &data_dir.path().join("files")).await;
    pool.close().await;

    let app = TestApp::start_on(backend, data_dir, pg_database).await;
    let coach = app.login("casey@example.com", common::PASSWORD).await;
    let client = app.login("riley@example.com", common::PASSWORD).await;
    let profile = app
        .ok(
            &coach,
            "clients/get",
            &[("client_id", "c1000000000000000000000000000001")],
        )
        .await;
    assert_eq!(profile["medical_conditions"], legacy.medical.as_str());
    assert_eq!(profile["phone"], "+1 555 7319 2846");
    assert_eq!(profile["height_cm"], 187.3);
    let review = app
        .ok(
            &coach,
            "checkins/get",
            &[("checkin_id", "c2000000000000000000000000000001")],
        )
        .await;
    assert_eq!(review["current"]["feedback"], legacy.feedback.as_str());
    assert_eq!(review["current"]["reply"], legacy.reply.as_str());
    assert_eq!(review["current"]["values"]["weight"], 81.239);
    let photo = first_photo(&app, &review["current"]).await;
    assert!(photo.starts_with(&[0xff, 0xd8]) && contains(&photo, legacy.photo_marker.as_bytes()));
    let notes = app
        .ok(
            &coach,
            "notes/list",
            &[("client_id", "c1000000000000000000000000000001")],
        )
        .await;
    assert_eq!(notes[0]["body"], legacy.note.as_str());
    let general = app.ok(&coach, "notes/list", &[("client_id", "")]).await;
    assert_eq!(general[0]["body"], legacy.general_note.as_str());
    let todos = app.ok(&coach, "todos/list", &[("client_id", "")]).await;
    assert_eq!(todos[0]["title"], legacy.todo.as_str());
    let plan = app.ok(&client, "portal/meal_plan", &[]).await;
    assert_eq!(plan["body"]["notes"], legacy.plan.as_str());
    let session = app
        .ok(
            &coach,
            "sessions/get",
            &[("session_id", "c7000000000000000000000000000001")],
        )
        .await;
    assert_eq!(
        session["transcript"]["turns"][0]["text"],
        legacy.transcript.as_str()
    );
    let shared = app.ok(&client, "portal/sessions/list", &[]).await;
    assert_eq!(shared[0]["summary"], legacy.summary.as_str());
    assert_eq!(shared[0]["action_items"][0]["text"], legacy.action.as_str());
    let goals = app
        .ok(
            &coach,
            "goals/list",
            &[("client_id", "c1000000000000000000000000000001")],
        )
        .await;
    assert_eq!(goals[0]["title"], legacy.goal.as_str());
    assert_eq!(goals[0]["start_value"], 85.5, "{goals}");

    let all = [
        &legacy.goal,
        &legacy.medical,
        &legacy.feedback,
        &legacy.reply,
        &legacy.note,
        &legacy.general_note,
        &legacy.todo,
        &legacy.plan,
        &legacy.summary,
        &legacy.transcript,
        &legacy.action,
        &legacy.photo_marker,
    ];
    let on_sqlite = backend == Backend::Sqlite;
    let assert_nothing_plain = |database: &[u8], objects: &[Vec<u8>]| {
        // The old plain columns are emptied: numbers (as SQLite stores doubles, or as pg_dump
        // writes them), the phone and the date of birth.
        for number in [187.3f64, 93.417, 81.239, 77.731, 85.5] {
            let found = if on_sqlite {
                contains(database, &number.to_be_bytes())
            } else {
                contains(database, format!("\t{number}\t").as_bytes())
            };
            assert!(!found, "{number} in the database");
        }
        for text in ["7319 2846", "1987-06-05"] {
            assert!(
                !contains(database, text.as_bytes()),
                "{text} in the database"
            );
        }
        for canary in all {
            assert!(
                !contains(database, canary.as_bytes()),
                "{canary} in the database"
            );
            for object in objects {
                assert!(
                    !contains(object, canary.as_bytes()),
                    "{canary} in an object"
                );
            }
        }
        assert!(
            objects.iter().all(|o| !o.starts_with(&[0xff, 0xd8])),
            "a plain JPEG is stored"
        );
    };
    let (database, objects) = stored_bytes(&app).await;
    assert_eq!(objects.len(), 1);
    assert_nothing_plain(&database, &objects);

    // A run killed midway leaves some rows sealed, some plain, and no mark that it finished:
    // the next start carries on, and nothing is lost.
    sqlx::query("DELETE FROM app_secrets WHERE name = 'data_sealed'")
        .execute(app.db.writer())
        .await
        .unwrap();
    let late = canary("late-note");
    sqlx::query("INSERT INTO notes (id, coach_id, client_id, body, created_at) VALUES ('c4000000000000000000000000000003', 'c0000000000000000000000000000001', 'c1000000000000000000000000000001', $1, 2)")
        .bind(&late)
        .execute(app.db.writer())
        .await
        .unwrap();
    let app = app.restart(|_| {}).await;
    let coach = app.login("casey@example.com", common::PASSWORD).await;
    let notes = app
        .ok(
            &coach,
            "notes/list",
            &[("client_id", "c1000000000000000000000000000001")],
        )
        .await;
    let bodies: Vec<&str> = notes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, vec![late.as_str(), legacy.note.as_str()]);
    let (database, objects) = stored_bytes(&app).await;
    assert!(!contains(&database, late.as_bytes()));
    assert_nothing_plain(&database, &objects);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_plaintext_is_sealed_in_place_sqlite() {
    existing_plaintext_is_sealed_in_place(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_plaintext_is_sealed_in_place_postgres() {
    existing_plaintext_is_sealed_in_place(Backend::Postgres).await;
}
