//! Check-in helpers: multipart submissions as a browser would send them.

use super::{Response, TestApp};
use reqwest::multipart::{Form, Part};

/// A check-in's text fields and photos (slot field name, file name, bytes).
#[derive(Default, Clone)]
pub struct Submission {
    pub fields: Vec<(String, String)>,
    pub photos: Vec<(String, String, Vec<u8>)>,
}

impl Submission {
    pub fn field(mut self, name: &str, value: &str) -> Self {
        self.fields.push((name.into(), value.into()));
        self
    }

    /// A photo for `slot` (`front`, `side`, `back`, `other`).
    pub fn photo(mut self, slot: &str, file_name: &str, bytes: Vec<u8>) -> Self {
        self.photos
            .push((format!("photo_{slot}"), file_name.into(), bytes));
        self
    }

    pub fn form(&self) -> Form {
        let mut form = Form::new();
        for (name, value) in &self.fields {
            form = form.text(name.clone(), value.clone());
        }
        for (name, file_name, bytes) in &self.photos {
            // The declared type is deliberately always image/jpeg: the server must sniff.
            let part = Part::bytes(bytes.clone())
                .file_name(file_name.clone())
                .mime_str("image/jpeg")
                .expect("mime");
            form = form.part(name.clone(), part);
        }
        form
    }
}

impl TestApp {
    /// A coach (Casey) with one client (Riley) who has joined: (coach, client, client id).
    pub async fn coach_and_client(&self) -> (reqwest::Client, reqwest::Client, String) {
        let coach = self.client();
        self.signup_coach(&coach, "Casey Coach", "casey@example.com")
            .await;
        let client_id = self
            .create_client(&coach, "Riley Client", "riley@example.com")
            .await;
        let client = self.invite_and_join(&coach, &client_id).await;
        (coach, client, client_id)
    }

    /// POSTs a multipart submission to `/api/portal/checkins/submit`.
    pub async fn submit_checkin(
        &self,
        client: &reqwest::Client,
        submission: &Submission,
    ) -> Response {
        let response = client
            .post(self.url("/api/portal/checkins/submit"))
            .header("accept", "application/json")
            .multipart(submission.form())
            .send()
            .await
            .expect("request");
        Response::read(response).await
    }

    /// Submits and insists on success; returns the new check-in id.
    pub async fn checkin_ok(&self, client: &reqwest::Client, submission: &Submission) -> String {
        let response = self.submit_checkin(client, submission).await;
        assert_eq!(
            response.status,
            reqwest::StatusCode::OK,
            "check-in failed: {}",
            response.body
        );
        response.body["id"]
            .as_str()
            .expect("check-in id")
            .to_owned()
    }

    /// An absolute URL for a photo URL as the API returns it (relative for local storage).
    pub fn absolute(&self, url: &str) -> String {
        if url.starts_with('/') {
            self.url(url)
        } else {
            url.to_owned()
        }
    }

    /// Every photo object key the database knows about.
    pub async fn photo_keys(&self) -> Vec<String> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT object_key FROM checkin_photos ORDER BY object_key")
                .fetch_all(self.db.reader())
                .await
                .expect("photo keys");
        rows.into_iter().map(|(k,)| k).collect()
    }

    pub async fn object_exists(&self, key: &str) -> bool {
        let key = app::server::storage::ObjectKey::parse(key).expect("valid key");
        self.storage.exists(&key).await.expect("exists")
    }
}

impl TestApp {
    /// Every stored photo file, read straight off the disk behind the storage backend (the local
    /// files directory, or the S3 stand-in's bucket): what exists, whatever the database says.
    pub fn stored_photo_files(&self) -> Vec<std::path::PathBuf> {
        let root = match &self.s3 {
            Some(s3) => s3.bucket_dir(),
            None => self.data_dir.path().join("files"),
        };
        let mut found = Vec::new();
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "jpg") {
                    found.push(path);
                }
            }
        }
        found
    }
}
