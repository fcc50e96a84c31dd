//! TLS to PostgreSQL, as managed services require: the test starts its own PostgreSQL with
//! `ssl=on` (initdb, a certificate from a CA made here) that refuses every connection without
//! TLS, and the real server starts on it with `sslmode=require`, and with `verify-full` against
//! the right CA file; `verify-full` with another CA is refused, as is no TLS at all.

use crate::common::{pg_required, Backend, TestApp};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A PostgreSQL server of the test's own, stopped when dropped.
struct TlsPostgres {
    port: u16,
    data: PathBuf,
    /// The CA that signed the server's certificate, and one that did not.
    ca_file: PathBuf,
    other_ca_file: PathBuf,
    pg_ctl: PathBuf,
    dir: tempfile::TempDir,
}

/// The directory of the installed PostgreSQL's programs (Debian keeps them per version).
fn pg_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}

/// Runs a PostgreSQL program as the `postgres` user when we are root (PostgreSQL refuses to
/// run as root), else as ourselves.
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(mut command: Command, what: &str) {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ca(name: &str) -> (rcgen::Certificate, rcgen::Issuer<'static, rcgen::KeyPair>) {
    let key = rcgen::KeyPair::generate().expect("CA key");
    let mut params = rcgen::CertificateParams::new(Vec::new()).expect("CA params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let cert = params.self_signed(&key).expect("CA certificate");
    (cert, rcgen::Issuer::new(params, key))
}

impl TlsPostgres {
    /// `None` when this machine has no PostgreSQL programs (outside CI only).
    fn start() -> Option<Self> {
        let Some(bin) = pg_bin_dir() else {
            assert!(!pg_required(), "PostgreSQL's programs (initdb) are missing");
            eprintln!("skipping: no initdb under /usr/lib/postgresql");
            return None;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("data dir");
        if is_root() {
            // The postgres user must reach and own its data directory.
            run(
                {
                    let mut c = Command::new("chmod");
                    c.arg("755").arg(dir.path());
                    c
                },
                "chmod",
            );
            run(
                {
                    let mut c = Command::new("chown");
                    c.arg("postgres:postgres").arg(&data);
                    c
                },
                "chown",
            );
        }
        let mut initdb = as_postgres(&bin.join("initdb"));
        initdb
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
            .arg(&data);
        run(initdb, "initdb");

        let (ca_cert, issuer) = ca("Coachroom test database CA");
        let (other_ca_cert, _) = ca("Some other CA");
        let key = rcgen::KeyPair::generate().expect("server key");
        let cert = rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
            .expect("server params")
            .signed_by(&key, &issuer)
            .expect("server certificate");
        let ca_file = dir.path().join("ca.pem");
        let other_ca_file = dir.path().join("other-ca.pem");
        std::fs::write(&ca_file, ca_cert.pem()).unwrap();
        std::fs::write(&other_ca_file, other_ca_cert.pem()).unwrap();
        std::fs::write(data.join("server.crt"), cert.pem()).unwrap();
        std::fs::write(data.join("server.key"), key.serialize_pem()).unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            let key_file = data.join("server.key");
            std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
            if is_root() {
                let mut c = Command::new("chown");
                c.arg("postgres:postgres")
                    .arg(&key_file)
                    .arg(data.join("server.crt"));
                run(c, "chown");
            }
        }
        let mut conf = std::fs::read_to_string(data.join("postgresql.conf")).unwrap();
        conf.push_str(&format!(
            "\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\nfsync = off\n",
            data.display()
        ));
        std::fs::write(data.join("postgresql.conf"), conf).unwrap();
        // TLS or nothing: a connection that does not ask for it is turned away.
        std::fs::write(
            data.join("pg_hba.conf"),
            "hostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
        )
        .unwrap();
        let pg_ctl = bin.join("pg_ctl");
        // A free port can be taken by another test before PostgreSQL binds it: try another.
        let mut started = None;
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("free port")
                .port();
            let mut start = as_postgres(&pg_ctl);
            start
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(data.join("log"))
                .args(["-o", &format!("-p {port}"), "-w", "start"]);
            if start.status().is_ok_and(|status| status.success()) {
                started = Some(port);
                break;
            }
        }
        let Some(port) = started else {
            let log = std::fs::read_to_string(data.join("log")).unwrap_or_default();
            panic!("pg_ctl start failed five times:\n{log}");
        };
        Some(Self {
            port,
            data,
            ca_file,
            other_ca_file,
            pg_ctl,
            dir,
        })
    }

    fn url(&self, host: &str, params: &str) -> String {
        format!("postgres://postgres@{host}:{}/postgres?{params}", self.port)
    }
}

impl Drop for TlsPostgres {
    fn drop(&mut self) {
        let mut stop = as_postgres(&self.pg_ctl);
        stop.arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "stop"]);
        let _ = stop.output();
    }
}

/// The app's start-up on `url` under the master key in `key_file` (one database, one key): the
/// server, or its one-line refusal.
async fn start_app(url: &str, key_file: &Path) -> Result<TestApp, String> {
    let (data_dir, _) = TestApp::prepare(Backend::Sqlite).await.expect("data dir");
    let key_file = key_file.display().to_string();
    let cli = coachroom_server::config::Cli {
        data_dir: Some(data_dir.path().display().to_string()),
        database_url: Some(url.to_owned()),
        master_key_file: Some(key_file.clone()),
        ..Default::default()
    };
    let config = coachroom_server::config::Config::from_cli(cli)?;
    coachroom_server::connect_db(&config).await?.close().await;
    Ok(
        TestApp::start_on_with(Backend::Postgres, data_dir, None, |cli| {
            cli.database_url = Some(url.to_owned());
            cli.master_key_file = Some(key_file);
        })
        .await,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_talks_to_postgres_over_tls_and_checks_its_certificate() {
    let Some(pg) = TlsPostgres::start() else {
        return;
    };
    let key_file = pg.dir.path().join("master.key");
    app::server::crypto::master::write_key_file(
        &key_file,
        &app::server::crypto::master::new_key_text(),
        true,
    )
    .expect("master key");

    // Without TLS this server turns us away, so a start proves the connection is encrypted.
    let refused = start_app(&pg.url("127.0.0.1", "sslmode=disable"), &key_file)
        .await
        .err()
        .expect("no TLS is refused");
    assert!(refused.starts_with("DATABASE_URL"), "{refused}");

    let app = start_app(&pg.url("127.0.0.1", "sslmode=require"), &key_file)
        .await
        .expect("sslmode=require starts");
    let coach = app.client();
    app.signup_coach(&coach, "Casey", "casey@example.com").await;
    let (ssl,): (bool,) =
        sqlx::query_as("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(app.db.reader())
            .await
            .unwrap();
    assert!(ssl, "the app's own connection is encrypted");
    app.stop().await;

    // verify-full: the certificate must chain to the CA file and name the host.
    let with_ca = |ca: &Path| format!("sslmode=verify-full&sslrootcert={}", ca.display());
    let app = start_app(&pg.url("localhost", &with_ca(&pg.ca_file)), &key_file)
        .await
        .expect("verify-full with the right CA starts");
    let coach = app
        .login("casey@example.com", crate::common::PASSWORD)
        .await;
    app.ok(&coach, "auth/me", &[]).await;
    app.stop().await;

    let refused = start_app(&pg.url("localhost", &with_ca(&pg.other_ca_file)), &key_file)
        .await
        .err()
        .expect("a certificate from another CA is refused");
    assert!(refused.starts_with("DATABASE_URL"), "{refused}");
    assert!(
        refused.to_lowercase().contains("certificate"),
        "the refusal says why: {refused}"
    );
}
