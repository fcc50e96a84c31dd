//! S3-compatible storage through aws-sdk-s3.

use super::{ObjectKey, ObjectStore, S3Settings, StorageError};
use async_trait::async_trait;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use std::time::Duration;

/// Objects in one bucket of an S3-compatible service.
#[derive(Clone, Debug)]
pub struct S3Store {
    client: Client,
    bucket: String,
}

/// True when the service answered 404 (some S3-compatible servers omit the error code).
fn is_http_not_found<E>(err: &SdkError<E>) -> bool {
    err.raw_response()
        .is_some_and(|r| r.status().as_u16() == 404)
}

/// A failed request in one line: the HTTP status and S3 error code when the service answered,
/// the whole cause chain (connection refused, timeout, ...) when it did not.
fn sdk_error<E>(action: &str, key: &str, err: SdkError<E>) -> StorageError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let detail = match &err {
        SdkError::ServiceError(service) => {
            let meta = service.err();
            let mut text = format!("HTTP {}", service.raw().status().as_u16());
            if let Some(code) = meta.code() {
                text.push_str(&format!(" {code}"));
            }
            if let Some(message) = meta.message() {
                text.push_str(&format!(": {message}"));
            }
            text
        }
        other => DisplayErrorContext(other).to_string(),
    };
    StorageError(format!("s3 {action} {key}: {detail}"))
}

fn other_error(action: &str, key: &str, err: impl std::error::Error) -> StorageError {
    StorageError(format!("s3 {action} {key}: {}", DisplayErrorContext(err)))
}

impl S3Store {
    /// Builds the client. No request is made until [`Self::check_bucket`] or the first operation.
    pub fn new(settings: &S3Settings) -> Self {
        let credentials = Credentials::new(
            settings.access_key_id.clone(),
            settings.secret_access_key.clone(),
            None,
            None,
            "coachroom-config",
        );
        let mut config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .credentials_provider(credentials)
            .region(Region::new(settings.region.clone()))
            .force_path_style(settings.path_style)
            // Many S3-compatible servers reject the SDK's newer default checksums (CRC32 in
            // aws-chunked trailers); plain S3 semantics work everywhere.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(endpoint) = &settings.endpoint {
            config = config.endpoint_url(endpoint.clone());
        }
        Self {
            client: Client::from_conf(config.build()),
            bucket: settings.bucket.clone(),
        }
    }

    /// Fails unless the bucket exists and these credentials may use it; run at startup so a
    /// typo stops the server instead of the first upload.
    pub async fn check_bucket(&self) -> Result<(), StorageError> {
        let sent = self.client.head_bucket().bucket(&self.bucket).send().await;
        let Err(err) = sent else {
            return Ok(());
        };
        // HEAD answers have no body, so the status is all there is: say what it means.
        let hint = match err.raw_response().map(|r| r.status().as_u16()) {
            Some(404) => " (no such bucket; create it first)",
            Some(301 | 400) => " (wrong region or endpoint? check COACHROOM_S3_REGION)",
            Some(401 | 403) => {
                " (access denied: check COACHROOM_S3_ACCESS_KEY_ID, COACHROOM_S3_SECRET_ACCESS_KEY and COACHROOM_S3_REGION)"
            }
            _ => "",
        };
        let mut error = sdk_error("head bucket", &self.bucket, err);
        error.0.push_str(hint);
        Err(error)
    }
}

/// Whole files under free-form keys, for backups (photos go through [`ObjectStore`], whose keys
/// are only ever made by the server).
impl S3Store {
    /// Uploads the file at `path`, streamed from disk; the object appears only when whole.
    pub async fn put_file(&self, key: &str, path: &std::path::Path) -> Result<(), StorageError> {
        let body = ByteStream::from_path(path)
            .await
            .map_err(|e| other_error("read file for", key, e))?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(body)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("put", key, e))
    }

    /// Downloads `key` into a new file at `path`, streamed; `Ok(false)` if there is no such key.
    pub async fn get_file(&self, key: &str, path: &std::path::Path) -> Result<bool, StorageError> {
        use tokio::io::AsyncWriteExt;
        let sent = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        let output = match sent {
            Ok(output) => output,
            Err(e)
                if e.as_service_error().is_some_and(|se| se.is_no_such_key())
                    || is_http_not_found(&e) =>
            {
                return Ok(false)
            }
            Err(e) => return Err(sdk_error("get", key, e)),
        };
        // Readable by its owner only: a backup holds user rows and server secrets.
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        options.mode(0o600);
        let mut file = options
            .open(path)
            .await
            .map_err(|e| other_error("create file for", key, e))?;
        let mut body = output.body;
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(|e| other_error("read body of", key, e))?
        {
            file.write_all(&chunk)
                .await
                .map_err(|e| other_error("write file for", key, e))?;
        }
        file.sync_all()
            .await
            .map_err(|e| other_error("write file for", key, e))?;
        Ok(true)
    }

    /// Keys under `prefix` with their sizes, in key order (every page of the listing).
    pub async fn list(&self, prefix: &str) -> Result<Vec<(String, u64)>, StorageError> {
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| sdk_error("list", prefix, e))?;
            for object in page.contents() {
                if let Some(key) = object.key() {
                    found.push((key.to_owned(), object.size().unwrap_or(0).max(0) as u64));
                }
            }
            match page.next_continuation_token() {
                Some(next) if page.is_truncated().unwrap_or(false) => token = Some(next.to_owned()),
                _ => break,
            }
        }
        found.sort();
        Ok(found)
    }

    /// Deletes `key`; a missing key is not an error.
    pub async fn delete_key(&self, key: &str) -> Result<(), StorageError> {
        match self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_http_not_found(&e) => Ok(()),
            Err(e) => Err(sdk_error("delete", key, e)),
        }
    }
}

#[async_trait]
impl ObjectStore for S3Store {
    async fn check(&self) -> Result<(), StorageError> {
        self.check_bucket().await
    }

    fn backend_name(&self) -> &'static str {
        "s3"
    }

    async fn put(&self, key: &ObjectKey, bytes: Vec<u8>) -> Result<(), StorageError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_type(key.content_type())
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("put", key.as_str(), e))
    }

    async fn get(&self, key: &ObjectKey) -> Result<Option<Vec<u8>>, StorageError> {
        let sent = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await;
        let output = match sent {
            Ok(output) => output,
            Err(e)
                if e.as_service_error().is_some_and(|se| se.is_no_such_key())
                    || is_http_not_found(&e) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(sdk_error("get", key.as_str(), e)),
        };
        let body = output
            .body
            .collect()
            .await
            .map_err(|e| other_error("read body of", key.as_str(), e))?;
        Ok(Some(body.into_bytes().to_vec()))
    }

    async fn exists(&self, key: &ObjectKey) -> Result<bool, StorageError> {
        let sent = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await;
        match sent {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error().is_some_and(|se| se.is_not_found())
                    || is_http_not_found(&e) =>
            {
                Ok(false)
            }
            Err(e) => Err(sdk_error("head", key.as_str(), e)),
        }
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        let sent = self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            // S3 itself answers 204 for a missing key; some compatible servers say 404.
            Err(e) if is_http_not_found(&e) => Ok(()),
            Err(e) => Err(sdk_error("delete", key.as_str(), e)),
        }
    }

    async fn signed_url(&self, key: &ObjectKey, ttl: Duration) -> Result<String, StorageError> {
        let presigning = PresigningConfig::expires_in(ttl)
            .map_err(|e| other_error("presign", key.as_str(), e))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .presigned(presigning)
            .await
            .map_err(|e| sdk_error("presign", key.as_str(), e))?;
        Ok(request.uri().to_owned())
    }
}
