//! Backups end to end: `coachroom backup` beside the running app, `coachroom restore` into a
//! fresh database of either backend, and the restored app serving what was backed up. A client
//! deleted after a backup opens as erased from it; a cut or altered backup is refused; a backup
//! killed midway leaves the earlier ones intact; one taken under 32 writers is consistent.

use crate::common;
use crate::sealing::{canary, contains, files_under, fill_with_canaries, first_photo};

use app::server::backup;
use app::server::db::Db;
use app::server::photos::fixtures;
use coachroom_server::config::{Cli, Config};
use common::checkins::Submission;
use common::{Backend, TestApp, PASSWORD};
use serde_json::{Map, Value};
use sqlx::{Column, Row};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

/// Takes a backup with `coachroom backup` beside the running app; returns its file.
async fn take_backup(app: &TestApp) -> PathBuf {
    let config = app.command_config(|_| {});
    let said = coachroom_server::backup_command(&config, None)
        .await
        .expect("backup");
    assert!(said.starts_with("wrote "), "{said}");
    let listed = backup::list(&config.settings.backup.dir).unwrap();
    listed.last().expect("a backup is listed").path.clone()
}

/// A fresh, empty database of `backend` (and its data dir for files), holding nothing yet.
struct Target {
    backend: Backend,
    data_dir: TempDir,
    pg_database: Option<String>,
    config: Config,
}

impl Target {
    /// With the source app's master key, as an operator restoring would have it.
    async fn new(source: &TestApp, backend: Backend) -> Option<Self> {
        Self::with(source, backend, |_| {}).await
    }

    async fn with(
        source: &TestApp,
        backend: Backend,
        configure: impl FnOnce(&mut Cli),
    ) -> Option<Self> {
        let (data_dir, pg_database) = TestApp::prepare(backend).await?;
        let key = data_dir.path().join(match backend {
            Backend::Sqlite => "master.key",
            Backend::Postgres => "test-master.key",
        });
        std::fs::copy(source.master_key_file(), &key).expect("copy the master key");
        let mut cli = Cli {
            data_dir: Some(data_dir.path().display().to_string()),
            database_url: Some(TestApp::prepared_url(&data_dir, pg_database.as_deref())),
            master_key_file: Some(key.display().to_string()),
            ..Cli::default()
        };
        configure(&mut cli);
        let config = Config::from_cli(cli).expect("restore config");
        Some(Self {
            backend,
            data_dir,
            pg_database,
            config,
        })
    }

    async fn restore(&self, file: &Path) -> Result<String, String> {
        coachroom_server::restore_command(&self.config, file, None).await
    }

    /// Starts the app on the restored database and files.
    async fn start(self) -> TestApp {
        TestApp::start_on(self.backend, self.data_dir, self.pg_database).await
    }
}

/// A table's rows as JSON objects (column name to value), sorted: comparable across backends.
async fn rows_of(db: &Db, table: &str) -> Vec<String> {
    let sql = match table {
        // The target's own start wrote its master key id; the lease and the record of the last
        // backup are the deployment's own.
        "app_secrets" => "SELECT name, value FROM app_secrets \
                          WHERE name NOT IN ('master_key_id', 'backup_lease', 'backup_last_made')"
            .to_owned(),
        "data_keys" => {
            "SELECT owner_id, coach_id, client_id, master_key_id, wrapped FROM data_keys".to_owned()
        }
        _ => format!("SELECT * FROM {table}"),
    };
    let rows = sqlx::query(&sql).fetch_all(db.reader()).await.unwrap();
    let mut out: Vec<String> = rows
        .iter()
        .map(|row| {
            let values = backup::row_values(row, table).unwrap();
            let object: Map<String, Value> = row
                .columns()
                .iter()
                .map(|c| c.name().to_owned())
                .zip(values)
                .collect();
            serde_json::to_string(&object).unwrap()
        })
        .collect();
    out.sort();
    out
}

/// Every object the photo rows name, as stored (sealed), by key.
async fn stored_objects(app: &TestApp, config: &Config) -> BTreeMap<String, Vec<u8>> {
    let raw = backup::open_raw_storage(&config.settings.storage)
        .await
        .unwrap();
    let keys: Vec<(String,)> = sqlx::query_as("SELECT object_key FROM checkin_photos")
        .fetch_all(app.db.reader())
        .await
        .unwrap();
    let mut out = BTreeMap::new();
    for (key,) in keys {
        let parsed = app::server::storage::ObjectKey::parse(&key).unwrap();
        let bytes = raw.get(&parsed).await.unwrap().expect("object stored");
        out.insert(key, bytes);
    }
    out
}

/// What no backup file may hold: a canary, or a plain JPEG.
fn assert_backup_files_hold_no_plaintext(dir: &Path, canaries: &[String]) {
    let files = files_under(dir);
    assert!(
        files.iter().any(|f| f.ends_with(backup::KEY_FILE)),
        "the key file is beside the backups: {files:?}"
    );
    let mut found = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        // The search can fail: what is plain by design is found by it.
        if file.extension().is_some_and(|e| e == "tar") {
            assert!(
                contains(&bytes, b"casey@example.com"),
                "names and emails are plain"
            );
        }
        for canary in canaries {
            if contains(&bytes, canary.as_bytes()) {
                found.push(format!("{}: {canary}", file.display()));
            }
        }
        if contains(&bytes, b"JFIF") || contains(&bytes, b"Exif") {
            found.push(format!("{}: a JPEG header", file.display()));
        }
    }
    assert_eq!(found, Vec::<String>::new(), "plaintext in backup files");
}

async fn round_trip(from: Backend, to: Backend) {
    // The PostgreSQL source keeps its photos in S3, so both object backends are backed up.
    let app = match from {
        Backend::Sqlite => TestApp::start(from).await,
        Backend::Postgres => TestApp::start_with_s3(from, |_| {}).await,
    };
    let Some(app) = app else { return };
    let canaries = fill_with_canaries(&app).await;
    add_many_rows(&app, 6_000).await;
    // An operator: their TOTP secret is sealed with a key of their own, which the restore brings
    // back too (so they can still sign in).
    let (_, operator_secret) = app.operator("ops@example.com").await;
    let file = take_backup(&app).await;
    assert_backup_files_hold_no_plaintext(file.parent().unwrap(), &canaries);
    let manifest = backup::verify(&file).await.expect("the backup verifies");
    assert_eq!(manifest.objects, 1);
    assert!(
        manifest
            .entries
            .iter()
            .filter(|e| e.name.starts_with("tables/todos/"))
            .count()
            >= 2,
        "the to-dos span entries"
    );

    let Some(target) = Target::new(&app, to).await else {
        app.stop().await;
        return;
    };
    let said = target.restore(&file).await.expect("restore");
    assert!(said.starts_with("restored "), "{said}");
    let target_config = target.config.clone();
    let restored = target.start().await;

    for table in backup::TABLES.iter().map(|(t, _)| *t).chain(["data_keys"]) {
        let (before, after) = (
            rows_of(&app.db, table).await,
            rows_of(&restored.db, table).await,
        );
        assert_eq!(before, after, "{table} after restore");
    }
    let source_config = app.command_config(|_| {});
    let objects = stored_objects(&app, &source_config).await;
    assert_eq!(objects.len(), 1);
    assert_eq!(objects, stored_objects(&restored, &target_config).await);

    // The restored app shows what was backed up, the photo included.
    let coach = restored.login("casey@example.com", PASSWORD).await;
    let (client_id, checkin_id): (String, String) =
        sqlx::query_as("SELECT client_id, id FROM checkins")
            .fetch_one(restored.db.reader())
            .await
            .unwrap();
    let profile = restored
        .ok(&coach, "clients/get", &[("client_id", &client_id)])
        .await;
    assert_eq!(profile["phone"], "+44 20 7946 0958", "{profile}");
    assert_eq!(profile["erased"], false);
    let review = restored
        .ok(&coach, "checkins/get", &[("checkin_id", &checkin_id)])
        .await;
    let photo = first_photo(&restored, &review["current"]).await;
    assert!(
        photo.starts_with(&[0xff, 0xd8]),
        "the photo opens as a JPEG"
    );
    let operator = restored.client();
    restored
        .ok(
            &operator,
            "operator/login",
            &[
                ("email", "ops@example.com"),
                ("password", PASSWORD),
                ("code", &common::totp_code(&operator_secret, 1)),
            ],
        )
        .await;

    // A database that holds data is never restored into.
    let again = Cli {
        data_dir: Some(restored.data_dir().display().to_string()),
        database_url: target_config.database_url.clone().into(),
        master_key_file: Some(restored.master_key_file().display().to_string()),
        ..Cli::default()
    };
    let error = coachroom_server::restore_command(&Config::from_cli(again).unwrap(), &file, None)
        .await
        .unwrap_err();
    assert!(error.contains("not empty"), "{error}");
    restored.stop().await;
    app.stop().await;
}

/// Every table of the schema is either backed up or left out on purpose: a table added without
/// a decision (a check-in's idempotency keys once) would be lost at the next restore.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_table_is_backed_up_or_left_out_on_purpose() {
    let Some(app) = TestApp::start(Backend::Sqlite).await else {
        return;
    };
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         ORDER BY name",
    )
    .fetch_all(app.db.reader())
    .await
    .unwrap();
    let decided: Vec<&str> = backup::TABLES
        .iter()
        .chain(backup::LEFT_OUT)
        .map(|(table, _)| *table)
        .collect();
    let undecided: Vec<&str> = tables
        .iter()
        .map(|(name,)| name.as_str())
        .filter(|name| !decided.contains(name))
        .collect();
    assert!(
        undecided.is_empty(),
        "neither backed up nor left out: {undecided:?}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_round_trip_sqlite() {
    round_trip(Backend::Sqlite, Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_round_trip_postgres() {
    round_trip(Backend::Postgres, Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_from_sqlite_restores_into_postgres() {
    round_trip(Backend::Sqlite, Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_from_postgres_restores_into_sqlite() {
    round_trip(Backend::Postgres, Backend::Sqlite).await;
}

/// Adds `count` (empty) general to-dos for the coach: more rows than one backup entry holds
/// (5,000), so entries and multi-row inserts are exercised past their first chunk.
async fn add_many_rows(app: &TestApp, count: usize) {
    let (coach_id,): (String,) = sqlx::query_as("SELECT user_id FROM coaches")
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    let mut tx = app.db.begin().await.unwrap();
    for i in 0..count {
        sqlx::query(
            "INSERT INTO todos (id, coach_id, client_id, title, due_date, done, created_at) \
             VALUES ($1, $2, NULL, '', NULL, $3, $4)",
        )
        .bind(app::server::new_id())
        .bind(&coach_id)
        .bind((i % 2) as i64)
        .bind(i as i64)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// A client with a sealed profile field, a note and a check-in with a photo; returns (client
/// id, check-in id, the canary in all three).
async fn client_with_data(
    app: &TestApp,
    coach: &reqwest::Client,
    name: &str,
) -> (String, String, String) {
    let secret = canary(name);
    let email = format!("{}@example.com", name.to_lowercase());
    let form = common::with(
        common::client_form(name, &email),
        "medical_conditions",
        &secret,
    );
    let profile = app.ok(coach, "clients/create", &form).await;
    let client_id = profile["id"].as_str().unwrap().to_owned();
    app.ok(
        coach,
        "notes/create",
        &[("client_id", client_id.as_str()), ("body", secret.as_str())],
    )
    .await;
    let client = app.invite_and_join(coach, &client_id).await;
    let checkin_id = app
        .checkin_ok(
            &client,
            &Submission::default().field("feedback", &secret).photo(
                "front",
                "front.jpg",
                fixtures::png(64, 48),
            ),
        )
        .await;
    (client_id, checkin_id, secret)
}

async fn deletion_reaches_old_backups(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    // Riley has every kind of sealed data (profile, check-in with photo, notes, to-dos, goal,
    // plan, form answers, session with transcript and action items); Blake a little of it.
    let canaries = fill_with_canaries(&app).await;
    let coach = app.login("casey@example.com", PASSWORD).await;
    let (riley,): (String,) =
        sqlx::query_as("SELECT id FROM clients WHERE email = 'riley@example.com'")
            .fetch_one(app.db.reader())
            .await
            .unwrap();
    let (blake, blake_checkin, blake_secret) = client_with_data(&app, &coach, "Blake").await;
    let file = take_backup(&app).await;
    let key_file = file.parent().unwrap().join(backup::KEY_FILE);
    assert!(contains(
        &std::fs::read(&key_file).unwrap(),
        riley.as_bytes()
    ));

    app.ok(&coach, "clients/delete", &[("client_id", &riley)])
        .await;
    // The key file follows the deletion at once (in the background).
    let mut waited = 0;
    while contains(&std::fs::read(&key_file).unwrap(), riley.as_bytes()) {
        assert!(
            waited < 100,
            "the key file still holds the deleted client's key"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    assert!(contains(
        &std::fs::read(&key_file).unwrap(),
        blake.as_bytes()
    ));

    let Some(target) = Target::new(&app, backend).await else {
        app.stop().await;
        return;
    };
    let said = target.restore(&file).await.expect("restore");
    assert!(
        said.contains("1 owners deleted since the backup open as erased"),
        "{said}"
    );
    let restored = target.start().await;
    let coach = restored.login("casey@example.com", PASSWORD).await;

    // Riley's rows are there, and open as erased: never an error, never the plaintext.
    let profile = restored
        .ok(&coach, "clients/get", &[("client_id", &riley)])
        .await;
    assert_eq!(profile["erased"], true, "{profile}");
    assert_eq!(profile["medical_conditions"], "(erased)");
    let notes = restored
        .ok(&coach, "notes/list", &[("client_id", &riley)])
        .await;
    assert_eq!(notes[0]["body"], "(erased)");
    let one = |sql: &'static str| {
        let (db, riley) = (restored.db.clone(), riley.clone());
        async move {
            let (id,): (String,) = sqlx::query_as(sql)
                .bind(riley)
                .fetch_one(db.reader())
                .await
                .unwrap();
            id
        }
    };
    let checkin = one("SELECT id FROM checkins WHERE client_id = $1").await;
    let session = one("SELECT id FROM coaching_sessions WHERE client_id = $1").await;
    let plan = one("SELECT id FROM plans WHERE client_id = $1 AND kind = 'meal'").await;
    let review = restored
        .ok(&coach, "checkins/get", &[("checkin_id", &checkin)])
        .await;
    assert_eq!(review["current"]["feedback"], "(erased)", "{review}");
    let url = restored.absolute(review["current"]["photos"][0]["url"].as_str().unwrap());
    let photo = restored.client().get(&url).send().await.unwrap();
    assert_eq!(photo.status(), 404, "an erased client's photo is gone");
    let mut shown = vec![profile.to_string(), notes.to_string(), review.to_string()];
    for (endpoint, args) in [
        ("todos/list", vec![("client_id", riley.as_str())]),
        ("checkins/list", vec![("client_id", riley.as_str())]),
        ("checkins/progress", vec![("client_id", riley.as_str())]),
        ("goals/list", vec![("client_id", riley.as_str())]),
        ("meal_plans/list", vec![("client_id", riley.as_str())]),
        ("meal_plans/get", vec![("plan_id", plan.as_str())]),
        (
            "forms/responses",
            vec![("client_id", riley.as_str()), ("form_id", "")],
        ),
        ("sessions/list", vec![("client_id", riley.as_str())]),
        ("sessions/get", vec![("session_id", session.as_str())]),
        ("sessions/insights", vec![("session_id", session.as_str())]),
    ] {
        // `ok` fails the test on anything but 200.
        shown.push(restored.ok(&coach, endpoint, &args).await.to_string());
    }
    let (status, page) = restored
        .page(&coach, &format!("/coach/clients/{riley}"))
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Erased"),
        "the page says the client is erased"
    );
    shown.push(page);
    for tab in [
        "checkins", "progress", "plans", "goals", "forms", "sessions", "notes",
    ] {
        let (status, page) = restored
            .page(&coach, &format!("/coach/clients/{riley}/{tab}"))
            .await;
        assert_eq!(status, 200, "{tab}");
        shown.push(page);
    }
    let leaked: Vec<&String> = canaries
        .iter()
        .filter(|c| c.starts_with("canary-") && shown.iter().any(|s| s.contains(c.as_str())))
        .collect();
    assert_eq!(
        leaked,
        Vec::<&String>::new(),
        "the erased client's data showed"
    );
    // Nothing new can be written for them (it would be unreadable at once), and they cannot be
    // invited back.
    for (endpoint, args) in [
        (
            "notes/create",
            vec![("client_id", riley.as_str()), ("body", "new")],
        ),
        ("invites/send", vec![("client_id", riley.as_str())]),
    ] {
        let refused = restored.call(&coach, endpoint, &args).await;
        refused.assert_refused(reqwest::StatusCode::CONFLICT, "erased");
    }
    // Their login went with them, and does not come back.
    let login = restored
        .call(
            &restored.client(),
            "auth/login",
            &[("email", "riley@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(login.status, 401, "{}", login.body);

    // Blake is whole.
    let profile = restored
        .ok(&coach, "clients/get", &[("client_id", &blake)])
        .await;
    assert_eq!(profile["erased"], false);
    assert_eq!(profile["medical_conditions"], blake_secret.as_str());
    let notes = restored
        .ok(&coach, "notes/list", &[("client_id", &blake)])
        .await;
    assert_eq!(notes[0]["body"], blake_secret.as_str());
    let review = restored
        .ok(&coach, "checkins/get", &[("checkin_id", &blake_checkin)])
        .await;
    assert_eq!(review["current"]["feedback"], blake_secret.as_str());
    let photo = first_photo(&restored, &review["current"]).await;
    assert!(photo.starts_with(&[0xff, 0xd8]));

    // The tombstone follows a rotation of the master key like any key, and stays erased.
    let new_key_dir = tempfile::tempdir().unwrap();
    let new_key = new_key_dir.path().join("new.key");
    app::server::crypto::master::write_key_file(
        &new_key,
        &app::server::crypto::master::new_key_text(),
        true,
    )
    .unwrap();
    let done = coachroom_server::keys_command(
        &restored.command_config(|_| {}),
        coachroom_server::config::KeysCommand::Rotate {
            new_key_file: new_key,
        },
    )
    .await
    .expect("rotation");
    assert!(done.starts_with("re-wrapped "), "{done}");
    let restored = restored.restart(|_| {}).await;
    let coach = restored.login("casey@example.com", PASSWORD).await;
    let riley_profile = restored
        .ok(&coach, "clients/get", &[("client_id", &riley)])
        .await;
    assert_eq!(riley_profile["erased"], true);
    let blake_notes = restored
        .ok(&coach, "notes/list", &[("client_id", &blake)])
        .await;
    assert_eq!(blake_notes[0]["body"], blake_secret.as_str());
    restored.stop().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_deleted_after_a_backup_restores_as_erased_sqlite() {
    deletion_reaches_old_backups(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_deleted_after_a_backup_restores_as_erased_postgres() {
    deletion_reaches_old_backups(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_or_altered_backup_is_refused_and_restores_nothing() {
    let app = TestApp::start(Backend::Sqlite).await.expect("sqlite app");
    let (coach, client, client_id) = app.coach_and_client().await;
    app.ok(
        &coach,
        "notes/create",
        &[("client_id", client_id.as_str()), ("body", "a note")],
    )
    .await;
    app.checkin_ok(
        &client,
        &Submission::default().photo("front", "front.jpg", fixtures::png(64, 48)),
    )
    .await;
    let file = take_backup(&app).await;
    let good = std::fs::read(&file).unwrap();
    let dir = file.parent().unwrap();

    let cut = dir.join("cut.tar");
    std::fs::write(&cut, &good[..good.len() / 2]).unwrap();
    let error = backup::verify(&cut).await.unwrap_err();
    assert!(error.contains("truncated"), "{error}");

    // One byte changed inside the users table's entry.
    let altered = dir.join("altered.tar");
    let at = good
        .windows(b"casey@example.com".len())
        .position(|w| w == b"casey@example.com")
        .unwrap();
    let mut bytes = good.clone();
    bytes[at] = b'k';
    std::fs::write(&altered, &bytes).unwrap();
    let error = backup::verify(&altered).await.unwrap_err();
    assert!(error.contains("altered or damaged"), "{error}");

    let not_a_backup = dir.join("notes.txt");
    std::fs::write(&not_a_backup, "hello").unwrap();
    assert!(backup::verify(&not_a_backup).await.is_err());

    // A restore of either is refused before anything is written.
    for bad in [&cut, &altered] {
        let target = Target::new(&app, Backend::Sqlite).await.unwrap();
        let error = target.restore(bad).await.unwrap_err();
        assert!(
            error.contains("truncated") || error.contains("altered"),
            "{error}"
        );
        assert!(
            !target.data_dir.path().join("coachroom.db").exists(),
            "nothing was written"
        );
    }
    // A restore that fails after its rows went in (here: the photo cannot be stored) leaves
    // neither rows nor objects, and the same target takes the restore afterwards.
    let target = Target::new(&app, Backend::Sqlite).await.unwrap();
    let blocked = target.data_dir.path().join("files").join("photos");
    std::fs::create_dir_all(blocked.parent().unwrap()).unwrap();
    std::fs::write(&blocked, "not a directory").unwrap();
    let error = target.restore(&file).await.unwrap_err();
    assert!(error.contains("cannot store"), "{error}");
    let target_url = target.config.database_url.clone();
    {
        let pool = sqlx::AnyPool::connect(&target_url).await.unwrap();
        let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(users, 0, "the rows rolled back");
        pool.close().await;
    }
    std::fs::remove_file(&blocked).unwrap();
    target
        .restore(&file)
        .await
        .expect("the restore after the failed one");
    let restored = target.start().await;
    let (checkins,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM checkins")
        .fetch_one(restored.db.reader())
        .await
        .unwrap();
    assert_eq!(checkins, 1);
    restored.stop().await;

    // The good one still verifies, and `backup verify` says so.
    let said = coachroom_server::backup_command(
        &app.command_config(|_| {}),
        Some(coachroom_server::config::BackupCommand::Verify { file: file.clone() }),
    )
    .await
    .unwrap();
    assert!(said.contains(": ok ("), "{said}");
    app.stop().await;
}

/// Stores `count` sealed objects of `size` random bytes for a check-in of `client_id`, with
/// their photo rows, directly (the upload path only takes real images, and small ones).
async fn store_large_objects(app: &TestApp, client_id: &str, count: usize, size: usize) {
    let (coach_id,): (String,) = sqlx::query_as("SELECT coach_id FROM clients WHERE id = $1")
        .bind(client_id)
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    for i in 0..count {
        let checkin_id = app::server::new_id();
        sqlx::query(
            "INSERT INTO checkins (id, coach_id, client_id, submitted_at, feedback) \
             VALUES ($1, $2, $3, $4, '')",
        )
        .bind(&checkin_id)
        .bind(&coach_id)
        .bind(client_id)
        .bind(i as i64)
        .execute(app.db.writer())
        .await
        .unwrap();
        let key = app::server::storage::ObjectKey::new_photo(&coach_id, client_id, &checkin_id);
        // Sealed on the way in, so what is stored is random whatever goes in.
        app.storage.put(&key, vec![7u8; size]).await.unwrap();
        sqlx::query(
            "INSERT INTO checkin_photos (id, checkin_id, coach_id, client_id, slot, object_key, \
             width, height, byte_size, created_at) VALUES ($1, $2, $3, $4, 'front', $5, 1, 1, $6, 0)",
        )
        .bind(app::server::new_id())
        .bind(&checkin_id)
        .bind(&coach_id)
        .bind(client_id)
        .bind(key.as_str())
        .bind(size as i64)
        .execute(app.db.writer())
        .await
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_killed_midway_leaves_the_earlier_ones_intact() {
    let app = TestApp::start(Backend::Sqlite).await.expect("sqlite app");
    let (_coach, _client, client_id) = app.coach_and_client().await;
    let earlier = take_backup(&app).await;
    // Enough to copy that the kill lands while the file is being written.
    store_large_objects(&app, &client_id, 20, 2 << 20).await;
    let dir = earlier.parent().unwrap().to_owned();

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_coachroom"))
        .arg("backup")
        .arg("--data-dir")
        .arg(app.data_dir())
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("coachroom backup runs");
    let partial = loop {
        let found = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with(backup::PARTIAL_SUFFIX));
        if let Some(found) = found {
            break found;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the backup ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(1));
    };
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(partial.exists(), "killed while writing");

    let listed: Vec<PathBuf> = backup::list(&dir)
        .unwrap()
        .into_iter()
        .map(|b| b.path)
        .collect();
    assert_eq!(
        listed,
        vec![earlier.clone()],
        "only the earlier backup is listed"
    );
    backup::verify(&earlier)
        .await
        .expect("the earlier backup is intact");
    let said = coachroom_server::backup_command(
        &app.command_config(|_| {}),
        Some(coachroom_server::config::BackupCommand::List),
    )
    .await
    .unwrap();
    assert!(!said.contains(backup::PARTIAL_SUFFIX), "{said}");
    // The partial file is never mistaken for a backup: verifying it says it is incomplete.
    assert!(backup::verify(&partial).await.is_err());
    // The next backup works, with every object.
    let next = take_backup(&app).await;
    assert_eq!(backup::verify(&next).await.unwrap().objects, 20);
    app.stop().await;
}

async fn a_backup_under_32_writers_is_consistent(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |cli| {
        cli.uploads_max_in_flight = Some("64".into());
        cli.uploads_max_per_user = Some("64".into());
    })
    .await
    else {
        return;
    };
    let coach = app.client();
    app.signup_coach(&coach, "Casey Coach", "casey@example.com")
        .await;
    let mut clients = Vec::new();
    for name in ["Ada", "Ben", "Cy", "Di"] {
        let id = app
            .create_client(
                &coach,
                name,
                &format!("{}@example.com", name.to_lowercase()),
            )
            .await;
        clients.push((id.clone(), app.invite_and_join(&coach, &id).await));
    }
    let app = std::sync::Arc::new(app);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..32 {
        let (app, stop) = (app.clone(), stop.clone());
        let client = clients[w % clients.len()].1.clone();
        let coach = coach.clone();
        writers.push(tokio::spawn(async move {
            let mut written = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if w % 2 == 0 {
                    // A check-in with a photo: its row, its photo row and the object together.
                    app.checkin_ok(
                        &client,
                        &Submission::default()
                            .field("feedback", &format!("writer {w}"))
                            .photo("front", "front.jpg", fixtures::png(32, 24)),
                    )
                    .await;
                } else {
                    // A new client with a note.
                    let id = app
                        .create_client(&coach, "Extra", &format!("w{w}-{written}@example.com"))
                        .await;
                    app.ok(
                        &coach,
                        "notes/create",
                        &[("client_id", id.as_str()), ("body", "n")],
                    )
                    .await;
                }
                written += 1;
            }
            written
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let file = take_backup(&app).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut total = 0;
    for writer in writers {
        total += writer.await.expect("writer");
    }
    assert!(
        total > 32,
        "the writers wrote while the backup ran ({total})"
    );

    let manifest = backup::verify(&file).await.unwrap();
    let app = std::sync::Arc::try_unwrap(app)
        .ok()
        .expect("writers are done");
    let Some(target) = Target::new(&app, backend).await else {
        app.stop().await;
        return;
    };
    // The restore itself refuses a row whose parent is missing (foreign keys are on).
    target.restore(&file).await.expect("restore");
    let restored = target.start().await;
    let count = |sql: &'static str| {
        let db = restored.db.clone();
        async move {
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(db.reader()).await.unwrap();
            n
        }
    };
    let rows_of = |name: &str| {
        manifest
            .tables
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.rows as i64)
            .unwrap()
    };
    let checkins = count("SELECT COUNT(*) FROM checkins").await;
    assert_eq!(checkins, rows_of("checkins"));
    assert_eq!(
        count("SELECT COUNT(*) FROM clients").await,
        rows_of("clients")
    );
    assert_eq!(count("SELECT COUNT(*) FROM notes").await, rows_of("notes"));
    assert!(checkins > 0);
    // Every check-in came with its photo in one transaction: the snapshot has both or neither,
    // and every photo's object is in the backup.
    assert_eq!(count("SELECT COUNT(*) FROM checkin_photos").await, checkins);
    assert_eq!(
        manifest.objects as i64 + manifest.objects_missing as i64,
        checkins
    );
    assert_eq!(manifest.objects_missing, 0);
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM checkins c WHERE NOT EXISTS \
             (SELECT 1 FROM checkin_photos p WHERE p.checkin_id = c.id)"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM notes n WHERE n.client_id IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM clients c WHERE c.id = n.client_id)"
        )
        .await,
        0
    );
    restored.stop().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_32_writers_is_consistent_sqlite() {
    a_backup_under_32_writers_is_consistent(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_32_writers_is_consistent_postgres() {
    a_backup_under_32_writers_is_consistent(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_backs_up_on_schedule_and_keeps_the_last_n() {
    let app = TestApp::start_with(Backend::Sqlite, |cli| {
        cli.backup_every = Some("1s".into());
        cli.backup_keep = Some("2".into());
    })
    .await
    .expect("sqlite app");
    let dir = app.data_dir().join("backups");
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..200 {
        for listed in backup::list(&dir).unwrap() {
            seen.insert(listed.path);
        }
        if seen.len() >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen.len() >= 4, "backups made on schedule: {seen:?}");
    // Halted, so nothing is pruned while the rest is checked.
    let mut app = app;
    app.halt().await;
    let listed = backup::list(&dir).unwrap();
    assert!(listed.len() <= 2, "only the last 2 are kept: {listed:?}");
    for b in &listed {
        backup::verify(&b.path)
            .await
            .expect("a scheduled backup verifies");
    }
    assert!(dir.join(backup::KEY_FILE).is_file());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_go_to_their_own_s3_bucket_and_restore_from_it() {
    const BACKUPS: &str = "coachroom-backups";
    // The server knows the target too: it rewrites the key file there after a deletion.
    let Some(app) = TestApp::start_with_s3(Backend::Postgres, |cli| {
        cli.backup_s3_bucket = Some(BACKUPS.into());
    })
    .await
    else {
        return;
    };
    let s3 = app.s3.as_ref().unwrap();
    s3.create_bucket(BACKUPS);
    s3.create_bucket("restored-photos");
    let to_s3 = |cli: &mut Cli| cli.backup_s3_bucket = Some(BACKUPS.into());
    let (coach, client, client_id) = app.coach_and_client().await;
    let checkin = app
        .checkin_ok(
            &client,
            &Submission::default()
                .field("feedback", "in the bucket")
                .photo("front", "front.jpg", fixtures::png(64, 48)),
        )
        .await;
    let config = app.command_config(to_s3);
    let said = coachroom_server::backup_command(&config, None)
        .await
        .expect("backup");
    assert!(
        said.starts_with(&format!("wrote s3://{BACKUPS}/coachroom-backups/")),
        "{said}"
    );
    let listed = backup::list_backups(&config.settings.backup).await.unwrap();
    assert_eq!(listed.len(), 1);
    let url = listed[0].path.clone();
    // In the bucket, under the prefix: the backup and the key file; nothing left on disk.
    let in_bucket: Vec<String> = files_under(&s3.dir_of(BACKUPS))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert!(
        in_bucket.iter().any(|n| n == backup::KEY_FILE),
        "{in_bucket:?}"
    );
    assert!(
        in_bucket.iter().any(|n| n.ends_with(".tar")),
        "{in_bucket:?}"
    );
    assert!(backup::list(&config.settings.backup.dir)
        .unwrap()
        .is_empty());
    let said = coachroom_server::backup_command(
        &config,
        Some(coachroom_server::config::BackupCommand::Verify { file: url.clone() }),
    )
    .await
    .unwrap();
    assert!(said.contains(": ok ("), "{said}");

    // Restored from the bucket (with the key file beside it) into SQLite and another bucket.
    let target = Target::with(&app, Backend::Sqlite, |cli| {
        s3.configure(cli);
        cli.s3_bucket = Some("restored-photos".into());
        cli.backup_s3_bucket = Some(BACKUPS.into());
    })
    .await
    .unwrap();
    let said = target.restore(&url).await.expect("restore from S3");
    assert!(said.contains("and 1 objects"), "{said}");
    assert!(!files_under(&s3.dir_of("restored-photos")).is_empty());
    let restored =
        TestApp::start_on_with(target.backend, target.data_dir, target.pg_database, |cli| {
            s3.configure(cli);
            cli.s3_bucket = Some("restored-photos".into());
        })
        .await;
    let coach_again = restored.login("casey@example.com", PASSWORD).await;
    let review = restored
        .ok(&coach_again, "checkins/get", &[("checkin_id", &checkin)])
        .await;
    assert_eq!(review["current"]["feedback"], "in the bucket");
    let photo = first_photo(&restored, &review["current"]).await;
    assert!(photo.starts_with(&[0xff, 0xd8]));
    restored.stop().await;

    // A deletion rewrites the key file in the bucket too.
    app.ok(&coach, "clients/delete", &[("client_id", &client_id)])
        .await;
    let key_file = s3
        .dir_of(BACKUPS)
        .join("coachroom-backups")
        .join(backup::KEY_FILE);
    let mut waited = 0;
    while contains(&std::fs::read(&key_file).unwrap(), client_id.as_bytes()) {
        assert!(
            waited < 100,
            "the key file in the bucket still holds the deleted client's key"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    app.stop().await;
}
