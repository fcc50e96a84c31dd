//! A real S3-compatible server (s3s + s3s-fs) run in-process on 127.0.0.1:0, so the S3 backend
//! is tested against actual HTTP, SigV4 authentication and presigned-URL expiry, not a mock.

use app::server::storage::S3Settings;
use coachroom_server::config::Cli;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tempfile::TempDir;

pub const BUCKET: &str = "coachroom-test";
pub const REGION: &str = "us-east-1";
pub const ACCESS_KEY_ID: &str = "coachroom-test-key";
pub const SECRET_ACCESS_KEY: &str = "coachroom-test-secret-0123456789";

/// The running stand-in. Dropping it stops the server and deletes its files.
pub struct S3StandIn {
    pub endpoint: String,
    root: TempDir,
    server: tokio::task::JoinHandle<()>,
}

impl S3StandIn {
    /// Starts the server with one empty bucket, [`BUCKET`], and one set of credentials.
    pub async fn start() -> Self {
        let root = tempfile::tempdir().expect("s3 root");
        // s3s-fs keeps each bucket as a directory under its root.
        std::fs::create_dir(root.path().join(BUCKET)).expect("bucket dir");
        let fs = s3s_fs::FileSystem::new(root.path()).expect("s3s-fs");
        let service = {
            let mut builder = S3ServiceBuilder::new(fs);
            builder.set_auth(SimpleAuth::from_single(ACCESS_KEY_ID, SECRET_ACCESS_KEY));
            builder.build()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind s3");
        let addr = listener.local_addr().expect("s3 addr");
        let server = tokio::spawn(async move {
            let http = ConnBuilder::new(TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let conn = http
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
        });
        Self {
            endpoint: format!("http://{addr}"),
            root,
            server,
        }
    }

    pub fn settings(&self) -> S3Settings {
        S3Settings {
            endpoint: Some(self.endpoint.clone()),
            region: REGION.into(),
            bucket: BUCKET.into(),
            access_key_id: ACCESS_KEY_ID.into(),
            secret_access_key: SECRET_ACCESS_KEY.into(),
            path_style: true,
        }
    }

    /// Points an app's configuration at this server.
    pub fn configure(&self, cli: &mut Cli) {
        cli.storage = Some("s3".into());
        cli.s3_endpoint = Some(self.endpoint.clone());
        cli.s3_region = Some(REGION.into());
        cli.s3_bucket = Some(BUCKET.into());
        cli.s3_access_key_id = Some(ACCESS_KEY_ID.into());
        cli.s3_secret_access_key = Some(SECRET_ACCESS_KEY.into());
        cli.s3_path_style = Some("true".into());
    }

    /// Makes another empty bucket.
    pub fn create_bucket(&self, name: &str) {
        std::fs::create_dir(self.root.path().join(name)).expect("bucket dir");
    }

    /// Where a bucket's files are on disk.
    pub fn dir_of(&self, bucket: &str) -> std::path::PathBuf {
        self.root.path().join(bucket)
    }

    /// Where the bucket's files are on disk.
    pub fn bucket_dir(&self) -> std::path::PathBuf {
        self.root.path().join(BUCKET)
    }
}

impl Drop for S3StandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}
