//! A real OpenAI-compatible HTTP server for tests (axum on 127.0.0.1:0). It records every request
//! and answers chat completions and transcriptions with canned replies, or with the failures a
//! test scripts: a status code, a hang (for timeouts) or malformed content.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    /// Chat requests: the JSON body. Transcriptions: `Value::Null` (see `raw`).
    pub json: Value,
    /// The body as text (lossy), to search for what must never be sent.
    pub raw: String,
    pub authorization: Option<String>,
}

/// What to answer instead of the canned reply.
#[derive(Debug, Clone)]
pub enum Scripted {
    /// An OpenAI-style error with this HTTP status.
    Status(u16),
    /// Never answer in time.
    Hang,
    /// A completion whose content is this text (e.g. not JSON).
    Content(String),
}

#[derive(Default)]
struct Inner {
    requests: Vec<Recorded>,
    script: VecDeque<Scripted>,
    /// When set, every request hangs (a server that stopped answering).
    always_hang: bool,
    /// How long every answer takes (a slow model).
    delay: Duration,
}

#[derive(Clone)]
pub struct FakeAi {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

/// The insights every schema request gets; placeholders as a model would keep them.
pub fn canned_insights() -> Value {
    json!({
        "summary": "[CLIENT] slept better and agreed to walk after lunch.",
        "themes": ["sleep", "movement"],
        "progress": ["Seven hours of sleep most nights"],
        "concerns": ["Knee pain on stairs"],
        "action_items": [
            { "owner": "client", "text": "Walk 20 minutes after lunch", "due_date": "2026-12-01" },
            { "owner": "coach", "text": "Send [CLIENT] a stretching routine", "due_date": null }
        ]
    })
}

pub const CANNED_DRAFT: &str = "Great week, [CLIENT]! Keep the walks going. [COACH]";
pub const CANNED_TRANSCRIPTION: &str = "Coach: How was your week?\nClient: Better, I slept more.";

impl FakeAi {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .route("/v1/audio/transcriptions", post(transcription))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake AI");
        let addr = listener.local_addr().expect("fake AI addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url: format!("http://{addr}/v1"),
            inner,
        }
    }

    /// The next requests get these answers, in order; then the canned ones again.
    pub fn script(&self, replies: impl IntoIterator<Item = Scripted>) {
        self.inner.lock().unwrap().script.extend(replies);
    }

    /// Every answer from now on takes this long.
    pub fn set_delay(&self, delay: Duration) {
        self.inner.lock().unwrap().delay = delay;
    }

    pub fn hang_always(&self, hang: bool) {
        self.inner.lock().unwrap().always_hang = hang;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// Points the app at this server, with a short timeout.
    pub fn configure(&self, cli: &mut coachroom_server::config::Cli) {
        cli.ai_base_url = Some(self.url.clone());
        cli.ai_api_key = Some("test-key".into());
        cli.ai_chat_model = Some("coach-model".into());
        cli.ai_transcription_model = Some("ear-model".into());
        cli.ai_timeout_secs = Some("2".into());
    }
}

fn record(
    inner: &Arc<Mutex<Inner>>,
    path: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Option<Scripted> {
    let mut inner = inner.lock().unwrap();
    inner.requests.push(Recorded {
        path: path.into(),
        json: serde_json::from_slice(body).unwrap_or(Value::Null),
        raw: String::from_utf8_lossy(body).into_owned(),
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    });
    if inner.always_hang {
        return Some(Scripted::Hang);
    }
    inner.script.pop_front()
}

async fn failure(scripted: Scripted) -> Option<Response> {
    match scripted {
        Scripted::Status(code) => {
            let status = StatusCode::from_u16(code).expect("status");
            let body = json!({ "error": {
                "message": format!("scripted {code}"), "type": "test_error",
                "param": null, "code": null } });
            Some((status, Json(body)).into_response())
        }
        Scripted::Hang => {
            tokio::time::sleep(Duration::from_secs(600)).await;
            None
        }
        Scripted::Content(_) => None,
    }
}

fn completion(model: &str, content: &str) -> Response {
    Json(json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": content },
            "finish_reason": "stop",
            "logprobs": null
        }],
        "usage": { "prompt_tokens": 321, "completion_tokens": 45, "total_tokens": 366 }
    }))
    .into_response()
}

async fn chat(State(inner): State<Arc<Mutex<Inner>>>, headers: HeaderMap, body: Bytes) -> Response {
    let scripted = record(&inner, "/chat/completions", &headers, &body);
    let delay = inner.lock().unwrap().delay;
    tokio::time::sleep(delay).await;
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let model = request["model"].as_str().unwrap_or("unknown").to_owned();
    match scripted {
        Some(Scripted::Content(content)) => return completion(&model, &content),
        Some(other) => {
            if let Some(response) = failure(other).await {
                return response;
            }
        }
        None => {}
    }
    if request["response_format"]["type"] == "json_schema" {
        completion(&model, &canned_insights().to_string())
    } else {
        completion(&model, CANNED_DRAFT)
    }
}

async fn transcription(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let scripted = record(&inner, "/audio/transcriptions", &headers, &body);
    if let Some(scripted) = scripted {
        if let Some(response) = failure(scripted).await {
            return response;
        }
    }
    Json(json!({ "text": CANNED_TRANSCRIPTION })).into_response()
}
