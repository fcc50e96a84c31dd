//! Several app servers on one PostgreSQL database and one S3-compatible store, as the app is
//! meant to grow: server A is the real binary in its own process, server B the harness's. A
//! session made on one works on the other, a photo uploaded through one is served by the other,
//! logout on one ends the session on both, and an AI job whose server is killed (SIGKILL, mid
//! call) is finished by the other once its lease runs out.

use crate::common;

use app::server::photos::fixtures;
use common::checkins::Submission;
use common::fake_ai::{canned_insights, FakeAi};
use common::s3::S3StandIn;
use common::{client_form, Backend, Response, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The real binary serving on a port of its own; killed (SIGKILL) when dropped.
struct ServerProcess {
    base: String,
    child: Child,
    _data_dir: tempfile::TempDir,
    _site_root: tempfile::TempDir,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    async fn start(database_url: &str, master_key_file: &str, s3: &S3StandIn, ai: &FakeAi) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let data_dir = tempfile::tempdir().expect("data dir");
        let site_root = tempfile::tempdir().expect("site root");
        std::fs::create_dir_all(site_root.path().join("pkg")).expect("pkg dir");
        // The same settings as the harness's server, as environment variables.
        let mut cli = coachroom_server::config::Cli::default();
        s3.configure(&mut cli);
        ai.configure(&mut cli);
        // A stays inside its (hanging) AI call until it is killed: the harness's 2 s would let
        // the call time out and be retried, by either server, before the kill.
        cli.ai_timeout_secs = Some("20".into());
        let mut command = Command::new(env!("CARGO_BIN_EXE_coachroom"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("RUST_LOG", "warn")
            .env("DATABASE_URL", database_url)
            .env("COACHROOM_MASTER_KEY_FILE", master_key_file)
            .env("COACHROOM_DATA_DIR", data_dir.path())
            .env("LEPTOS_SITE_ROOT", site_root.path())
            .env("COACHROOM_BIND", format!("127.0.0.1:{port}"))
            .env("COACHROOM_NEW_ACCOUNTS_MAX_PER_IP", "1000")
            .env("COACHROOM_ANONYMOUS_MAX_PER_IP", "1000")
            .env("COACHROOM_ANONYMOUS_RATE_PER_IP", "100000")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (name, value) in [
            ("COACHROOM_STORAGE", &cli.storage),
            ("COACHROOM_S3_ENDPOINT", &cli.s3_endpoint),
            ("COACHROOM_S3_REGION", &cli.s3_region),
            ("COACHROOM_S3_BUCKET", &cli.s3_bucket),
            ("COACHROOM_S3_ACCESS_KEY_ID", &cli.s3_access_key_id),
            ("COACHROOM_S3_SECRET_ACCESS_KEY", &cli.s3_secret_access_key),
            ("COACHROOM_S3_PATH_STYLE", &cli.s3_path_style),
            ("COACHROOM_AI_BASE_URL", &cli.ai_base_url),
            ("COACHROOM_AI_API_KEY", &cli.ai_api_key),
            ("COACHROOM_AI_CHAT_MODEL", &cli.ai_chat_model),
            (
                "COACHROOM_AI_TRANSCRIPTION_MODEL",
                &cli.ai_transcription_model,
            ),
            ("COACHROOM_AI_TIMEOUT_SECS", &cli.ai_timeout_secs),
        ] {
            if let Some(value) = value {
                command.env(name, value);
            }
        }
        let child = command.spawn().expect("start the coachroom binary");
        let mut server = Self {
            base: format!("http://127.0.0.1:{port}"),
            child,
            _data_dir: data_dir,
            _site_root: site_root,
        };
        // Up once it answers its health check and is still running a moment later: a port
        // another test took meanwhile makes A exit at once (it binds before anything else), and
        // that other server's 200 must not count as A's.
        let probe = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("server A exited: {status}");
            }
            if let Ok(answer) = probe.get(server.url("/healthz")).send().await {
                if answer.status() == StatusCode::OK {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    if let Ok(Some(status)) = server.child.try_wait() {
                        panic!("server A exited (its port was taken?): {status}");
                    }
                    return server;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("server A never answered /healthz");
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn call(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> Response {
        common::call_at(&self.base, client, endpoint, form).await
    }

    async fn ok(&self, client: &reqwest::Client, endpoint: &str, form: &[(&str, &str)]) -> Value {
        let answer = self.call(client, endpoint, form).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{endpoint} on A: {}",
            answer.body
        );
        answer.body
    }
}

const TRANSCRIPT: &str = "Casey: How was the week?\nRiley: Better, I slept seven hours.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_sessions_photos_logouts_and_jobs() {
    let s3 = S3StandIn::start().await;
    let ai_a = FakeAi::start().await;
    let ai_b = FakeAi::start().await;
    // A's model never answers: A is inside the call when it is killed.
    ai_a.hang_always(true);
    let Some((data_dir, Some(database))) = TestApp::prepare(Backend::Postgres).await else {
        return;
    };
    let database_url = TestApp::prepared_url(&data_dir, Some(&database));
    let key_file = data_dir.path().join("test-master.key");
    app::server::crypto::master::write_key_file(
        &key_file,
        &app::server::crypto::master::new_key_text(),
        true,
    )
    .expect("master key");
    let mut a =
        ServerProcess::start(&database_url, &key_file.display().to_string(), &s3, &ai_a).await;

    // On A alone: a coach, a client, and an insights job that A takes.
    let cookies = || {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    };
    let coach = cookies();
    a.ok(
        &coach,
        "auth/signup",
        &[
            ("name", "Casey"),
            ("email", "casey@example.com"),
            ("password", PASSWORD),
        ],
    )
    .await;
    let client_id = a
        .ok(
            &coach,
            "clients/create",
            &client_form("Riley", "riley@example.com"),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let session_id = a
        .ok(
            &coach,
            "sessions/create",
            &[
                ("client_id", &client_id),
                ("held_at", "2026-11-20T14:30"),
                ("duration_min", "45"),
                ("title", "Week 3"),
                ("tags", ""),
                ("private_notes", ""),
                ("summary", ""),
                ("transcript", TRANSCRIPT),
            ],
        )
        .await
        .as_str()
        .unwrap()
        .to_owned();
    a.ok(
        &coach,
        "sessions/insights/generate",
        &[("session_id", &session_id)],
    )
    .await;
    for _ in 0..200 {
        if !ai_a.requests().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(ai_a.requests().len(), 1, "A's worker is inside the AI call");

    // B joins: the same database and bucket, its own model server.
    let b = TestApp::start_on_with(Backend::Postgres, data_dir, Some(database), |cli| {
        s3.configure(cli);
        ai_b.configure(cli);
    })
    .await;

    // The session made on A works on B (cookies are per host, not per port).
    let me = b.ok(&coach, "auth/me", &[]).await;
    assert_eq!(me["email"], "casey@example.com");

    // The client joins on B and uploads a photo through A; B serves it, whoever signed the link.
    let token = b.invite(&coach, &client_id).await;
    let riley = cookies();
    a.ok(
        &riley,
        "invites/accept",
        &[("token", &token), ("password", PASSWORD)],
    )
    .await;
    let upload = riley
        .post(a.url("/api/portal/checkins/submit"))
        .header("accept", "application/json")
        .multipart(
            Submission::default()
                .field("weight", "80")
                .photo("front", "front.jpg", fixtures::jpeg_with_gps(64, 96))
                .form(),
        )
        .send()
        .await
        .unwrap();
    let upload = Response::read(upload).await;
    assert_eq!(upload.status, StatusCode::OK, "{}", upload.body);
    let checkin_id = upload.body["id"].as_str().unwrap().to_owned();
    let from_b = b
        .ok(&coach, "checkins/get", &[("checkin_id", &checkin_id)])
        .await;
    let signed_by_a = a
        .ok(
            &riley,
            "portal/checkins/get",
            &[("checkin_id", &checkin_id)],
        )
        .await;
    for url in [
        from_b["current"]["photos"][0]["url"].as_str().unwrap(),
        signed_by_a["photos"][0]["url"].as_str().unwrap(),
    ] {
        let photo = riley.get(b.absolute(url)).send().await.unwrap();
        assert_eq!(photo.status(), StatusCode::OK, "{url}");
        assert!(photo.bytes().await.unwrap().starts_with(&[0xFF, 0xD8]));
    }

    // Logout on B ends the client's session on A too.
    a.ok(&riley, "portal/checkins/list", &[]).await;
    b.ok(&riley, "auth/logout", &[]).await;
    let after = a.call(&riley, "portal/checkins/list", &[]).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "{}", after.body);

    // A dies mid-call (its first attempt, still running); once its lease runs out, B takes the
    // job and finishes it.
    let before = b
        .ok(&coach, "sessions/insights", &[("session_id", &session_id)])
        .await;
    assert_eq!(before["job"]["status"], "running", "{before}");
    assert_eq!(before["job"]["attempts"], 1, "{before}");
    a.child.kill().expect("SIGKILL A");
    a.child.wait().expect("A is gone");
    let mut state = Value::Null;
    // The lease is A's timeout plus 30 s.
    for _ in 0..1200 {
        state = b
            .ok(&coach, "sessions/insights", &[("session_id", &session_id)])
            .await;
        if state["job"]["status"] == "done" || state["job"]["status"] == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state["job"]["status"], "done", "{state}");
    assert_eq!(state["insights"]["themes"], canned_insights()["themes"]);
    assert!(!ai_b.requests().is_empty(), "B made the call");
    assert_eq!(
        ai_a.requests().len(),
        1,
        "A was called once, and killed inside that call"
    );
    drop(a);
    b.stop().await;
}
