//! Object storage, one suite run on both backends: local disk served by the app's own `/files/`
//! route, and S3 against a real in-process S3-compatible server. Only SQLite is needed.

use crate::common;

use app::server::new_id;
use app::server::storage::ObjectKey;
use coachroom_server::config::{Cli, Config};
use common::s3::S3StandIn;
use common::{Backend, TestApp};
use reqwest::StatusCode;
use std::time::Duration;

/// The app's configured link lifetime, and the lifetime the expiry tests sign with.
const SHORT_TTL: Duration = Duration::from_secs(1);
/// For links that must still work when fetched.
const LONG_TTL: Duration = Duration::from_secs(60);

fn short_ttl(cli: &mut Cli) {
    cli.file_url_ttl_secs = Some(SHORT_TTL.as_secs().to_string());
}

async fn start_local() -> TestApp {
    TestApp::start_with(Backend::Sqlite, short_ttl)
        .await
        .expect("sqlite app")
}

async fn start_s3() -> TestApp {
    TestApp::start_with_s3(Backend::Sqlite, short_ttl)
        .await
        .expect("sqlite app on s3")
}

/// Runs each listed `async fn(&TestApp)` on local storage and on the S3 stand-in.
macro_rules! on_both_storages {
    ($($name:ident),* $(,)?) => {
        mod local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = super::start_local().await;
                    assert_eq!(app.storage.backend_name(), "local");
                    super::$name(&app).await;
                    app.stop().await;
                }
            )*
        }
        mod s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = super::start_s3().await;
                    assert_eq!(app.storage.backend_name(), "s3");
                    super::$name(&app).await;
                    app.stop().await;
                }
            )*
        }
    };
}

on_both_storages!(
    put_get_exists_delete_round_trip,
    signed_url_works_before_expiry,
    signed_url_is_refused_after_expiry,
    tampered_links_are_refused,
);

fn fresh_key() -> ObjectKey {
    ObjectKey::new_photo(&new_id(), &new_id(), &new_id())
}

/// A key of a real client's photo: objects are sealed with their client's data key, so one for
/// a client that does not exist cannot be stored.
async fn client_key(app: &TestApp) -> ObjectKey {
    let coach = app.client();
    let email = format!("coach-{}@example.com", new_id());
    app.signup_coach(&coach, "Casey Coach", &email).await;
    let client_id = app
        .create_client(
            &coach,
            "Dana Client",
            &format!("dana-{}@example.com", new_id()),
        )
        .await;
    ObjectKey::new_photo(&new_id(), &client_id, &new_id())
}

/// Another photo key of the same client as `key`.
fn sibling(key: &ObjectKey) -> ObjectKey {
    ObjectKey::new_photo(&new_id(), key.client_id().expect("a photo key"), &new_id())
}

/// Links are this app's own `/files/` links, whatever the backend (objects are sealed there).
fn absolute(app: &TestApp, url: &str) -> String {
    assert!(url.starts_with("/files/"), "{url}");
    app.url(url)
}

async fn fetch(app: &TestApp, url: &str) -> reqwest::Response {
    app.client()
        .get(absolute(app, url))
        .send()
        .await
        .expect("fetch signed url")
}

/// Flips the last character of query parameter `name`.
fn tamper_param(url: &str, name: &str) -> String {
    let marker = format!("{name}=");
    let start = url.find(&marker).expect("param present") + marker.len();
    let end = url[start..].find('&').map_or(url.len(), |i| start + i);
    let last = url.as_bytes()[end - 1];
    let flipped = if last == b'0' { '1' } else { '0' };
    format!("{}{flipped}{}", &url[..end - 1], &url[end..])
}

async fn put_get_exists_delete_round_trip(app: &TestApp) {
    let storage = &app.storage;
    let key = client_key(app).await;
    assert!(!storage.exists(&key).await.unwrap());
    assert_eq!(storage.get(&key).await.unwrap(), None);

    storage.put(&key, b"first".to_vec()).await.unwrap();
    assert!(storage.exists(&key).await.unwrap());
    assert_eq!(
        storage.get(&key).await.unwrap().as_deref(),
        Some(&b"first"[..])
    );
    if let Some(s3) = &app.s3 {
        // Really in the bucket, not on the app's disk.
        assert!(s3.bucket_dir().join(key.as_str()).is_file());
    }

    // Overwriting replaces the whole object.
    storage.put(&key, b"second, longer".to_vec()).await.unwrap();
    assert_eq!(
        storage.get(&key).await.unwrap().as_deref(),
        Some(&b"second, longer"[..])
    );

    // Another key is untouched by all of this.
    let other = sibling(&key);
    storage.put(&other, vec![0u8; 70_000]).await.unwrap();

    storage.delete(&key).await.unwrap();
    assert!(!storage.exists(&key).await.unwrap());
    assert_eq!(storage.get(&key).await.unwrap(), None);
    // Deleting again (a retry) still succeeds.
    storage.delete(&key).await.unwrap();
    storage.delete(&sibling(&key)).await.unwrap();

    assert_eq!(storage.get(&other).await.unwrap(), Some(vec![0u8; 70_000]));
}

async fn signed_url_works_before_expiry(app: &TestApp) {
    let key = client_key(app).await;
    let bytes = b"\xff\xd8\xff\xe0 not really a jpeg".to_vec();
    app.storage.put(&key, bytes.clone()).await.unwrap();
    let url = app.storage.signed_url(&key, LONG_TTL).await.unwrap();
    assert!(url.starts_with(&format!("/files/{key}?expires=")), "{url}");
    if let Some(s3) = &app.s3 {
        // The bucket holds only the sealed object: not the bytes, not a JPEG.
        let stored = std::fs::read(s3.bucket_dir().join(key.as_str())).unwrap();
        assert!(!stored.starts_with(b"\xff\xd8"));
        assert!(!stored.windows(13).any(|w| w == b"not really a "));
    }

    let response = fetch(app, &url).await;
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    let headers = response.headers().clone();
    assert_eq!(response.bytes().await.unwrap().as_ref(), &bytes[..]);
    assert_eq!(headers["content-type"], "image/jpeg");
    {
        assert_eq!(headers["content-disposition"], "inline");
        let cache = headers["cache-control"].to_str().unwrap();
        let max_age: u64 = cache
            .strip_prefix("private, max-age=")
            .unwrap_or_else(|| panic!("cache-control {cache:?}"))
            .parse()
            .unwrap();
        assert!((LONG_TTL.as_secs() - 2..=LONG_TTL.as_secs() + 1).contains(&max_age));
        // The link works on a fresh client: it needs no session.
        let head = app.client().head(absolute(app, &url)).send().await.unwrap();
        assert_eq!(head.status(), StatusCode::OK);
    }

    // The short lifetime the app is configured with also works when used at once.
    let url = app.storage.signed_url(&key, SHORT_TTL).await.unwrap();
    assert_eq!(fetch(app, &url).await.status(), StatusCode::OK);

    // Deleting the object ends its links too.
    let url = app.storage.signed_url(&key, LONG_TTL).await.unwrap();
    app.storage.delete(&key).await.unwrap();
    assert_eq!(fetch(app, &url).await.status(), StatusCode::NOT_FOUND);
}

async fn signed_url_is_refused_after_expiry(app: &TestApp) {
    let key = client_key(app).await;
    app.storage.put(&key, b"soon gone".to_vec()).await.unwrap();
    let url = app.storage.signed_url(&key, SHORT_TTL).await.unwrap();
    let missing_url = app
        .storage
        .signed_url(&sibling(&key), SHORT_TTL)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;

    let response = fetch(app, &url).await;
    {
        assert_eq!(response.status(), StatusCode::GONE);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["kind"], "link_expired");

        // Expiry is only told to holders of a genuine signature.
        let forged = tamper_param(&url, "sig");
        assert_eq!(fetch(app, &forged).await.status(), StatusCode::FORBIDDEN);
        // An expired genuine link to a missing object says expired, not missing.
        assert_eq!(fetch(app, &missing_url).await.status(), StatusCode::GONE);
    }
}

async fn tampered_links_are_refused(app: &TestApp) {
    let key = client_key(app).await;
    let neighbour = sibling(&key);
    app.storage.put(&key, b"mine".to_vec()).await.unwrap();
    app.storage
        .put(&neighbour, b"not yours".to_vec())
        .await
        .unwrap();
    let url = app.storage.signed_url(&key, LONG_TTL).await.unwrap();
    assert_eq!(fetch(app, &url).await.status(), StatusCode::OK);

    let bad_sig = tamper_param(&url, "sig");
    assert_eq!(fetch(app, &bad_sig).await.status(), StatusCode::FORBIDDEN);

    // A valid signature for one key does not open another.
    let other_key = url.replace(key.as_str(), neighbour.as_str());
    assert_ne!(other_key, url);
    assert_eq!(fetch(app, &other_key).await.status(), StatusCode::FORBIDDEN);

    // The expiry is signed too, and every malformed link is a 403 that reveals
    // nothing about the object.
    let longer = tamper_param(&url, "expires");
    assert_eq!(fetch(app, &longer).await.status(), StatusCode::FORBIDDEN);
    let path = url.split('?').next().unwrap();
    let expires = url
        .split("expires=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .unwrap();
    for forged in [
        path.to_owned(),
        format!("{path}?expires={expires}"),
        format!("{path}?expires=soon&sig=00"),
        format!("{path}?expires={expires}&sig="),
        format!("{path}?expires={expires}&sig=zz"),
    ] {
        let response = fetch(app, &forged).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{forged}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["kind"], "forbidden");
    }
    // A forged link to a missing object is a 403 too, so keys cannot be probed.
    let missing = sibling(&key);
    let probe = format!("/files/{missing}?expires={expires}&sig={}", "0".repeat(64));
    assert_eq!(fetch(app, &probe).await.status(), StatusCode::FORBIDDEN);
    // A genuine link to a missing object is a 404.
    let gone = app.storage.signed_url(&missing, LONG_TTL).await.unwrap();
    assert_eq!(fetch(app, &gone).await.status(), StatusCode::NOT_FOUND);
    // Keys that are not ours never reach the disk.
    for bad in [
        "/files/..%2F..%2Fetc%2Fpasswd",
        "/files/photos/A.jpg",
        "/files/a//b.jpg",
    ] {
        let response = fetch(app, &format!("{bad}?expires={expires}&sig=00")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{bad}");
    }
}

#[test]
fn object_keys_refuse_traversal() {
    for bad in [
        "../x",
        "/etc/passwd",
        "A",
        "photos/../../x",
        "photos/./x.jpg",
        "photos//x.jpg",
        "photos/x.jpg/",
        "photos\\x.jpg",
        "photos/x%2e%2e",
        "",
    ] {
        assert_eq!(ObjectKey::parse(bad), None, "{bad:?}");
    }
    let key = fresh_key();
    assert_eq!(ObjectKey::parse(key.as_str()), Some(key.clone()));
    assert_eq!(key.content_type(), "image/jpeg");
}

/// The start-up error with the stand-in's settings changed by `tweak`.
async fn startup_error(stand_in: &S3StandIn, tweak: impl FnOnce(&mut Cli)) -> String {
    let data_dir = tempfile::tempdir().unwrap();
    let mut cli = Cli {
        data_dir: Some(data_dir.path().display().to_string()),
        ..Cli::default()
    };
    stand_in.configure(&mut cli);
    tweak(&mut cli);
    let config = Config::from_cli(cli).unwrap();
    coachroom_server::build_state(&config)
        .await
        .err()
        .expect("startup must fail")
}

/// A bucket that does not exist, a wrong secret or a dead endpoint stops start-up with one line
/// naming the variable (and never the secret).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_bucket_stops_startup() {
    let stand_in = S3StandIn::start().await;
    // Nothing listening at this endpoint.
    let closed = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap()
    };
    let errors = [
        startup_error(&stand_in, |cli| {
            cli.s3_bucket = Some("no-such-bucket".into())
        })
        .await,
        startup_error(&stand_in, |cli| {
            cli.s3_secret_access_key = Some("wrong-secret".into())
        })
        .await,
        startup_error(&stand_in, |cli| {
            cli.s3_endpoint = Some(format!("http://{closed}"))
        })
        .await,
    ];
    for error in errors {
        assert!(error.starts_with("COACHROOM_S3_BUCKET: "), "{error}");
        assert!(!error.contains(common::s3::SECRET_ACCESS_KEY), "{error}");
        assert!(!error.contains("wrong-secret"), "{error}");
    }
}
