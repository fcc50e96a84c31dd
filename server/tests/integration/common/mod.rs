//! Integration harness: the real server on 127.0.0.1:0 with a fresh database (a temp SQLite
//! file, or a new PostgreSQL database), driven over HTTP by cookie-keeping clients.
#![allow(dead_code)]

pub mod checkins;
pub mod exports;
pub mod fake_ai;
pub mod s3;
pub mod smtp;

use coachroom_server::config::{Cli, Config};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Connection;
use std::time::Duration;
use tempfile::TempDir;
use tokio::sync::oneshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const PASSWORD: &str = "correct horse battery staple";

/// The PostgreSQL server used for the PostgreSQL half of the suite.
fn pg_admin_url() -> String {
    std::env::var("COACHROOM_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Under CI a missing PostgreSQL fails the suite instead of skipping half of it.
pub fn pg_required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
        || std::env::var_os("COACHROOM_TEST_REQUIRE_PG").is_some()
}

pub struct TestApp {
    pub base: String,
    /// The app's own database, for tests that must set up what the API cannot (e.g. expiry).
    pub db: app::server::db::Db,
    pub backend: Backend,
    pub site_root: TempDir,
    /// The app's object storage (the same backend it serves from), to check objects directly.
    pub storage: app::server::storage::Storage,
    /// The S3 stand-in when started with [`TestApp::start_with_s3`]; kept alive with the app.
    pub s3: Option<s3::S3StandIn>,
    data_dir: TempDir,
    pg_database: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestApp {
    /// Starts a fresh app; `None` when PostgreSQL is wanted but unreachable outside CI.
    pub async fn start(backend: Backend) -> Option<Self> {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: Backend, configure: impl FnOnce(&mut Cli)) -> Option<Self> {
        // Server errors (the causes behind a 500) show in a failing test's output.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
            )
            .try_init();
        let data_dir = tempfile::tempdir().expect("temp data dir");
        let site_root = tempfile::tempdir().expect("temp site root");
        std::fs::create_dir_all(site_root.path().join("pkg")).expect("pkg dir");
        let pg_database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(create_pg_database().await?),
        };
        Some(Self::launch(backend, data_dir, site_root, pg_database, configure).await)
    }

    /// A data dir and (on PostgreSQL) an empty database for a test to fill before the app starts
    /// on them with [`Self::start_on`]; `None` when PostgreSQL is wanted but unreachable.
    pub async fn prepare(backend: Backend) -> Option<(TempDir, Option<String>)> {
        let data_dir = tempfile::tempdir().expect("temp data dir");
        let pg_database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(create_pg_database().await?),
        };
        Some((data_dir, pg_database))
    }

    /// The database URL of a [`Self::prepare`]d data dir and database.
    pub fn prepared_url(data_dir: &TempDir, pg_database: Option<&str>) -> String {
        match pg_database {
            Some(db) => pg_url_for(db),
            None => format!(
                "sqlite://{}?mode=rwc",
                data_dir.path().join("coachroom.db").display()
            ),
        }
    }

    /// Starts the app on a [`Self::prepare`]d data dir and database.
    pub async fn start_on(
        backend: Backend,
        data_dir: TempDir,
        pg_database: Option<String>,
    ) -> Self {
        Self::start_on_with(backend, data_dir, pg_database, |_| {}).await
    }

    /// Like [`Self::start_on`], with `configure`d settings.
    pub async fn start_on_with(
        backend: Backend,
        data_dir: TempDir,
        pg_database: Option<String>,
        configure: impl FnOnce(&mut Cli),
    ) -> Self {
        let site_root = tempfile::tempdir().expect("temp site root");
        std::fs::create_dir_all(site_root.path().join("pkg")).expect("pkg dir");
        Self::launch(backend, data_dir, site_root, pg_database, configure).await
    }

    /// Stops this server gracefully and starts a new one on the same database and files, as an
    /// operator's restart would.
    pub async fn restart(mut self, configure: impl FnOnce(&mut Cli)) -> Self {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), &mut self.server).await;
        self.db.close().await;
        let pg_database = self.pg_database.take();
        Self::launch(
            self.backend,
            self.data_dir,
            self.site_root,
            pg_database,
            configure,
        )
        .await
    }

    async fn launch(
        backend: Backend,
        data_dir: TempDir,
        site_root: TempDir,
        pg_database: Option<String>,
        configure: impl FnOnce(&mut Cli),
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let mut cli = Cli {
            data_dir: Some(data_dir.path().display().to_string()),
            site_root: Some(site_root.path().display().to_string()),
            bind: Some(addr.to_string()),
            database_url: pg_database.as_ref().map(|db| pg_url_for(db)),
            // Tests make many accounts from 127.0.0.1; the limit itself is tested with its own
            // setting (hardening.rs).
            new_accounts_max_per_ip: Some("1000".into()),
            // Every test's requests come from 127.0.0.1; the per-address share and rate of the
            // anonymous lane are tested with their own settings (hardening.rs).
            anonymous_max_per_ip: Some("1000".into()),
            anonymous_rate_per_ip: Some("100000".into()),
            ..Cli::default()
        };
        if backend == Backend::Postgres {
            // PostgreSQL is not the embedded setup: its master key must be named.
            let key_file = data_dir.path().join("test-master.key");
            if !key_file.exists() {
                app::server::crypto::master::write_key_file(
                    &key_file,
                    &app::server::crypto::master::new_key_text(),
                    true,
                )
                .expect("test master key");
            }
            cli.master_key_file = Some(key_file.display().to_string());
        }
        configure(&mut cli);
        let config = Config::from_cli(cli).expect("valid test config");
        let state = coachroom_server::build_state(&config)
            .await
            .expect("app state");
        let db = state.db.clone();
        let storage = state.storage.clone();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(coachroom_server::serve(listener, state, async {
            let _ = rx.await;
        }));
        Self {
            base: format!("http://{addr}"),
            db,
            backend,
            site_root,
            storage,
            s3: None,
            data_dir,
            pg_database,
            shutdown: Some(tx),
            server,
        }
    }

    /// Like [`Self::start_with`], but storing objects in a fresh in-process S3 stand-in.
    pub async fn start_with_s3(backend: Backend, configure: impl FnOnce(&mut Cli)) -> Option<Self> {
        let stand_in = s3::S3StandIn::start().await;
        let mut app = Self::start_with(backend, |cli| {
            stand_in.configure(cli);
            configure(cli);
        })
        .await?;
        app.s3 = Some(stand_in);
        Some(app)
    }

    /// The data directory (the SQLite database, local files, the embedded master key).
    pub fn data_dir(&self) -> &std::path::Path {
        self.data_dir.path()
    }

    /// The file holding this app's master key (made by the app on SQLite, by the harness on
    /// PostgreSQL).
    pub fn master_key_file(&self) -> std::path::PathBuf {
        match self.backend {
            Backend::Sqlite => self.data_dir().join("master.key"),
            Backend::Postgres => self.data_dir().join("test-master.key"),
        }
    }

    /// The configuration of a `coachroom` command run beside this app: the same database, data
    /// dir, master key and storage.
    pub fn command_config(&self, configure: impl FnOnce(&mut Cli)) -> Config {
        let mut cli = Cli {
            data_dir: Some(self.data_dir().display().to_string()),
            database_url: self.pg_url(),
            master_key_file: self
                .pg_url()
                .map(|_| self.master_key_file().display().to_string()),
            ..Cli::default()
        };
        if let Some(s3) = &self.s3 {
            s3.configure(&mut cli);
        }
        configure(&mut cli);
        Config::from_cli(cli).expect("command config")
    }

    /// `coachroom audit verify` as the CLI runs it, beside this app: its answer, or its one-line
    /// error.
    pub async fn audit_verify(&self) -> Result<String, String> {
        coachroom_server::audit_command(
            &self.command_config(|_| {}),
            coachroom_server::config::AuditCommand::Verify,
        )
        .await
    }

    /// The PostgreSQL URL of this app's database, when it runs on PostgreSQL.
    pub fn pg_url(&self) -> Option<String> {
        self.pg_database.as_deref().map(pg_url_for)
    }

    /// A fresh browser-like client with its own cookie jar that does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POSTs a form to `/api/<endpoint>` and returns status, JSON body and headers.
    pub async fn call(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> Response {
        call_at(&self.base, client, endpoint, form).await
    }

    /// Like [`Self::call`] but insists on success.
    pub async fn ok(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> Value {
        let response = self.call(client, endpoint, form).await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "{endpoint} failed: {}",
            response.body
        );
        response.body
    }

    /// The entries of `client`'s own access log (newest first, the first page) made by `actor`
    /// (`ai`, `mcp`, `support`, ...).
    pub async fn client_log_by(&self, client: &reqwest::Client, actor: &str) -> Vec<Value> {
        let log = self
            .ok(client, "portal/access_log", &[("before", "0")])
            .await;
        log["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .filter(|e| e["actor"] == actor)
            .cloned()
            .collect()
    }

    /// GETs a server-rendered page and reads its body. Under parallel tests a page very rarely
    /// stalls (a Leptos Suspense wake-up race, leptos-rs/leptos#4851, seen about once in 30
    /// runs of `clients.rs` on `/portal`): a streamed page mid-body, and a page rendered whole
    /// before it is sent (`SsrMode::Async`, such as a client's page) before its headers. Both
    /// the answer and the body are bounded, and a stall is retried once with a note in the
    /// output, so a page that never finishes still fails.
    pub async fn page(&self, client: &reqwest::Client, path: &str) -> (StatusCode, String) {
        let bound = Duration::from_secs(10);
        for attempt in 1..=2 {
            let sent = tokio::time::timeout(bound, client.get(self.url(path)).send()).await;
            let Ok(response) = sent else {
                eprintln!("{path}: the page stalled before its headers (attempt {attempt})");
                continue;
            };
            let response = response.expect("request");
            let status = response.status();
            match tokio::time::timeout(bound, response.text()).await {
                Ok(body) => return (status, body.expect("body")),
                Err(_) => eprintln!("{path}: the page stalled mid-body (attempt {attempt})"),
            }
        }
        panic!("{path}: the page stalled twice");
    }

    /// Calls a server fn that takes JSON (the plan and form builders).
    pub async fn call_json(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        body: &Value,
    ) -> Response {
        let response = client
            .post(self.url(&format!("/api/{endpoint}")))
            .json(body)
            .send()
            .await
            .expect("request");
        Response::read(response).await
    }

    /// Like [`Self::call_json`] but insists on success.
    pub async fn ok_json(&self, client: &reqwest::Client, endpoint: &str, body: &Value) -> Value {
        let response = self.call_json(client, endpoint, body).await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "{endpoint} failed: {}",
            response.body
        );
        response.body
    }

    /// POSTs a multipart body to `/api/sessions/transcript` (a transcript file, text or audio).
    pub async fn upload_transcript(
        &self,
        coach: &reqwest::Client,
        form: reqwest::multipart::Form,
    ) -> Response {
        let response = coach
            .post(self.url("/api/sessions/transcript"))
            .multipart(form)
            .send()
            .await
            .expect("request");
        Response::read(response).await
    }

    /// Downloads a PDF and returns its text, read by a real PDF parser.
    pub async fn pdf_text(&self, client: &reqwest::Client, path: &str) -> String {
        let response = client.get(self.url(path)).send().await.expect("request");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()["content-type"], "application/pdf");
        pdf_text(&response.bytes().await.expect("body"))
    }

    /// Sets the coach's brand name (shown on exports).
    pub async fn set_brand(&self, coach: &reqwest::Client, name: &str, brand: &str) {
        let me = self.ok(coach, "auth/me", &[]).await;
        self.ok(
            coach,
            "coach/profile/update",
            &[
                ("workspace_id", me["user_id"].as_str().unwrap()),
                ("name", name),
                ("brand_name", brand),
                ("units", "metric"),
                ("timezone", "UTC"),
            ],
        )
        .await;
    }

    /// Signs up a coach on `client`; returns their user (= workspace) id.
    pub async fn signup_coach(&self, client: &reqwest::Client, name: &str, email: &str) -> String {
        let me = self
            .ok(
                client,
                "auth/signup",
                &[("name", name), ("email", email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(me["outcome"], "signed_in", "{me}");
        me["me"]["user_id"].as_str().expect("user_id").to_owned()
    }

    /// A sign-up request for the coach "Ann" (ann@example.com), for tests that need the raw
    /// response (cookies, headers) or extra request headers.
    pub fn signup_request(&self, client: &reqwest::Client) -> reqwest::RequestBuilder {
        client.post(self.url("/api/auth/signup")).form(&[
            ("name", "Ann"),
            ("email", "ann@example.com"),
            ("password", PASSWORD),
        ])
    }

    /// Logs in on a fresh client.
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Client {
        let client = self.client();
        self.ok(
            &client,
            "auth/login",
            &[("email", email), ("password", password)],
        )
        .await;
        client
    }

    /// `coachroom admin add EMAIL` beside this app: its output, or its one-line error.
    pub async fn admin_add(&self, email: &str) -> Result<String, String> {
        coachroom_server::admin_command(
            &self.command_config(|_| {}),
            coachroom_server::config::AdminCommand::Add {
                email: email.to_owned(),
                name: None,
            },
        )
        .await
    }

    /// `coachroom admin reset-password EMAIL` beside this app: its output, or its one-line error.
    pub async fn admin_reset_password(&self, email: &str) -> Result<String, String> {
        coachroom_server::admin_command(
            &self.command_config(|_| {}),
            coachroom_server::config::AdminCommand::ResetPassword {
                email: email.to_owned(),
            },
        )
        .await
    }

    /// An operator made as `coachroom admin add` makes one, set up through its link with [`PASSWORD`]
    /// and a code for the current step, and signed in. Returns the signed-in client and the
    /// authenticator secret (base32) to make later codes with [`totp_code`].
    pub async fn operator(&self, email: &str) -> (reqwest::Client, String) {
        // What `admin add` does, on this app's own pool (a command per call would open a pool
        // each time; `tests/operators.rs` runs the command itself).
        let enrolled = app::server::store::operators::enrol(
            &self.db,
            &app::domain::Email::parse(email).expect("email"),
            &app::domain::PersonName::parse("Operator").expect("name"),
        )
        .await
        .expect("enrol");
        let token = enrolled.token;
        let client = self.client();
        let info = self
            .ok(&client, "operator/setup/info", &[("token", &token)])
            .await;
        let secret = info["totp_secret"].as_str().expect("secret").to_owned();
        let me = self
            .ok(
                &client,
                "operator/setup/finish",
                &[
                    ("token", &token),
                    ("password", PASSWORD),
                    ("code", &totp_code(&secret, 0)),
                ],
            )
            .await;
        assert_eq!(me["role"], "admin");
        (client, secret)
    }

    /// Creates a client with just a name and email; returns its id.
    pub async fn create_client(&self, coach: &reqwest::Client, name: &str, email: &str) -> String {
        let client = self
            .ok(coach, "clients/create", &client_form(name, email))
            .await;
        client["id"].as_str().expect("client id").to_owned()
    }

    /// Issues an invitation and returns its token.
    pub async fn invite(&self, coach: &reqwest::Client, client_id: &str) -> String {
        let link = self
            .ok(coach, "invites/send", &[("client_id", client_id)])
            .await;
        let url = link["url"].as_str().expect("invite url");
        url.rsplit('/').next().expect("token").to_owned()
    }

    /// Invites the client and accepts as them; returns their signed-in HTTP client.
    pub async fn invite_and_join(
        &self,
        coach: &reqwest::Client,
        client_id: &str,
    ) -> reqwest::Client {
        let token = self.invite(coach, client_id).await;
        let client = self.client();
        let me = self
            .ok(
                &client,
                "invites/accept",
                &[("token", &token), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(me["role"], "client");
        client
    }

    /// Stops the server (its background tasks too) but keeps its database and files to inspect.
    pub async fn halt(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
            let _ = tokio::time::timeout(Duration::from_secs(10), &mut self.server).await;
        }
    }

    pub async fn stop(mut self) {
        self.halt().await;
        if let Some(db) = self.pg_database.take() {
            drop_pg_database(&db).await;
        }
    }
}

/// POSTs a form to `<base>/api/<endpoint>` (any server, such as another app server on the same
/// database) and returns status, JSON body and headers.
pub async fn call_at(
    base: &str,
    client: &reqwest::Client,
    endpoint: &str,
    form: &[(&str, &str)],
) -> Response {
    let response = client
        .post(format!("{base}/api/{endpoint}"))
        .form(form)
        .send()
        .await
        .expect("request");
    Response::read(response).await
}

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Response {
    /// Asserts a refusal with this status whose message mentions `says`.
    pub fn assert_refused(&self, status: StatusCode, says: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        let detail = self.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(says), "{detail:?} does not say {says:?}");
    }

    pub async fn read(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Self {
            status,
            headers,
            body,
        }
    }

    /// The `kind` of an error body.
    pub fn kind(&self) -> &str {
        self.body["kind"].as_str().unwrap_or_default()
    }
}

/// The text of a PDF, extracted by lopdf.
pub fn pdf_text(bytes: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(bytes).expect("a parseable PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("text")
}

/// The value of our session cookie in a response's Set-Cookie headers.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("coachroom_session="))
        .map(str::to_owned)
}

/// Creates a form of `kind` with `fields` (the builder's JSON); returns its id.
pub async fn build_form(
    app: &TestApp,
    coach: &reqwest::Client,
    name: &str,
    kind: &str,
    fields: Value,
) -> String {
    let id = app
        .ok(coach, "forms/create", &[("name", name), ("kind", kind)])
        .await;
    let id = id.as_str().unwrap().to_owned();
    app.ok_json(
        coach,
        "forms/save",
        &serde_json::json!({ "form_id": id, "form": { "name": name, "kind": kind, "description": "", "fields": fields } }),
    )
    .await;
    id
}

/// A clients/create or clients/update form with every field, mostly empty.
pub fn client_form<'a>(name: &'a str, email: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("name", name),
        ("email", email),
        ("phone", ""),
        ("date_of_birth", ""),
        ("age", ""),
        ("gender", ""),
        ("height", ""),
        ("weight", ""),
        ("goals", ""),
        ("medical_conditions", ""),
        ("dietary_restrictions", ""),
        ("injuries", ""),
        ("medications", ""),
        ("checkin_day", ""),
    ]
}

/// Replaces one field of a form.
pub fn with<'a, K: AsRef<str>>(
    mut form: Vec<(K, &'a str)>,
    key: &str,
    value: &'a str,
) -> Vec<(K, &'a str)> {
    for pair in form.iter_mut() {
        if pair.0.as_ref() == key {
            pair.1 = value;
        }
    }
    form
}

fn pg_url_for(database: &str) -> String {
    let admin = pg_admin_url();
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    format!("{base}/{database}")
}

async fn create_pg_database() -> Option<String> {
    let admin_url = pg_admin_url();
    let connected = tokio::time::timeout(
        Duration::from_secs(5),
        sqlx::PgConnection::connect(&admin_url),
    )
    .await;
    let mut conn = match connected {
        Ok(Ok(conn)) => conn,
        failure => {
            let reason = match failure {
                Ok(Err(e)) => e.to_string(),
                _ => "timed out".into(),
            };
            if pg_required() {
                panic!(
                    "PostgreSQL is required (CI=true) but not reachable at {admin_url}: {reason}"
                );
            }
            eprintln!("SKIPPED: PostgreSQL not reachable at {admin_url} ({reason}); PostgreSQL tests skipped");
            return None;
        }
    };
    let name = format!("coachroom_test_{}", uuid_like());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    Some(name)
}

async fn drop_pg_database(name: &str) {
    if let Ok(mut conn) = sqlx::PgConnection::connect(&pg_admin_url()).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The token of the setup link in `coachroom admin add`'s output.
pub fn setup_token(said: &str) -> String {
    said.split("/operator/setup/")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no setup link in: {said}"))
        .to_owned()
}

/// The authenticator's code `steps` 30-second steps from now (negative: in the past).
pub fn totp_code(secret_base32: &str, steps: i64) -> String {
    let at = app::server::totp::now_secs() as i64 + steps * 30;
    app::server::totp::code_from_base32(secret_base32, at as u64).expect("code")
}

/// Runs each listed `async fn(Backend)` twice, once per backend: for cases that start their own
/// app (with their own configuration).
#[macro_export]
macro_rules! cases_on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Postgres).await;
                }
            )*
        }
    };
}

/// Runs each listed `async fn(&TestApp)` twice: on a fresh SQLite and on a fresh PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::common::TestApp::start($crate::common::Backend::Sqlite)
                        .await
                        .expect("sqlite app");
                    super::$name(&app).await;
                    app.stop().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::common::TestApp::start($crate::common::Backend::Postgres).await {
                        super::$name(&app).await;
                        app.stop().await;
                    }
                }
            )*
        }
    };
}
