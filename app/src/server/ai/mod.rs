//! AI over any OpenAI-compatible server (async-openai): session insights, check-in reply drafts
//! and audio transcription.
//!
//! Every call takes an [`AiSubject`] (AI is allowed for that client), sends text only after
//! [`redact::Redactor`] has hidden names and emails. Before it is sent, it is logged in the
//! access log (which the client sees) in the transaction that takes it from the workspace's
//! budget; afterwards `ai_calls` keeps its token counts and outcome for the coach's AI page.
//! Neither ever holds content.

pub mod drafts;
pub mod insights;
pub mod jobs;
pub mod redact;

use super::authz::AiSubject;
use super::db::Db;
use super::settings::{AiSettings, Settings};
use super::store;
use crate::domain::{AiPurpose, AI_SETUP_HELP};
use crate::AppError;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::types::audio::{AudioInput, CreateTranscriptionRequestArgs};
use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestUserMessage, CreateChatCompletionRequestArgs, ResponseFormat,
    ResponseFormatJsonSchema,
};
use std::time::Duration;

/// A configured AI server.
#[derive(Clone)]
pub struct Ai {
    client: async_openai::Client<OpenAIConfig>,
    settings: AiSettings,
}

/// Why an AI call failed, in terms the coach can act on.
#[derive(Debug, Clone, PartialEq)]
pub enum AiFailure {
    Timeout(Duration),
    RateLimited,
    /// The AI server answered with this HTTP status.
    Status(u16),
    Unreachable,
    /// The answer was not what was asked for (not JSON, wrong shape, empty).
    Malformed,
    /// The coach's workspace used its daily allowance of this many calls; nothing was sent.
    OverBudget(u32),
    /// Our side failed before anything was sent (e.g. the database); the cause is logged.
    Internal,
}

impl AiFailure {
    pub fn message(&self) -> String {
        match self {
            Self::Timeout(limit) => format!(
                "The AI server did not answer within {} seconds. Try again; a shorter \
                 transcript or a faster model helps.",
                limit.as_secs()
            ),
            Self::RateLimited => {
                "The AI server is rate-limiting requests (HTTP 429). Wait a minute and try again."
                    .into()
            }
            Self::Status(status) => format!(
                "The AI server failed (HTTP {status}). Try again; if it keeps failing, check \
                 the AI server."
            ),
            Self::Unreachable => {
                "The AI server could not be reached. Check that it is running and try again.".into()
            }
            Self::Malformed => {
                "The AI server's answer was not in the expected format. Try again, or use a \
                 model that supports structured output."
                    .into()
            }
            Self::OverBudget(calls) => format!(
                "Your workspace has used its {calls} AI calls for today (a 24-hour window \
                 from its first call). Try again later."
            ),
            Self::Internal => AppError::Internal.to_string(),
        }
    }

    /// A short tag for the call log.
    fn log_tag(&self) -> String {
        match self {
            Self::Timeout(_) => "timeout".into(),
            Self::RateLimited => "rate_limited".into(),
            Self::Status(status) => format!("http_{status}"),
            Self::Unreachable => "unreachable".into(),
            Self::Malformed => "malformed".into(),
            Self::OverBudget(_) => "over_budget".into(),
            Self::Internal => "internal".into(),
        }
    }

    fn from_openai(err: &OpenAIError, timeout: Duration) -> Self {
        match err {
            OpenAIError::Reqwest(e) if e.is_timeout() => Self::Timeout(timeout),
            OpenAIError::Reqwest(e) if e.is_decode() => Self::Malformed,
            OpenAIError::Reqwest(_) => Self::Unreachable,
            OpenAIError::ApiError(response) if response.status_code.as_u16() == 429 => {
                Self::RateLimited
            }
            OpenAIError::ApiError(response) => Self::Status(response.status_code.as_u16()),
            OpenAIError::JSONDeserialize(..) => Self::Malformed,
            _ => Self::Status(0),
        }
    }
}

impl From<AiFailure> for AppError {
    fn from(failure: AiFailure) -> Self {
        match failure {
            AiFailure::OverBudget(_) => AppError::QuotaExceeded(failure.message()),
            AiFailure::Internal => AppError::Internal,
            _ => AppError::Upstream(failure.message()),
        }
    }
}

/// Token counts of one call.
#[derive(Debug, Clone, Copy, Default)]
struct Usage {
    prompt: u32,
    completion: u32,
}

/// A request for JSON matching a schema.
pub struct JsonSchema {
    pub name: &'static str,
    pub schema: serde_json::Value,
}

impl Ai {
    pub fn new(settings: &AiSettings) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .build()
            .map_err(|e| format!("COACHROOM_AI_BASE_URL: cannot build the HTTP client: {e}"))?;
        let config = OpenAIConfig::new()
            .with_api_base(settings.base_url.clone())
            .with_api_key(settings.api_key.clone().unwrap_or_default());
        // Plain transport without the SDK's own retry layer: the insights job retries once,
        // visibly and logged, and a draft fails fast with the reason.
        let transport = async_openai::middleware::ReqwestService::new(http);
        Ok(Self {
            client: async_openai::Client::with_config(config).with_http_service(transport),
            settings: settings.clone(),
        })
    }

    pub fn settings(&self) -> &AiSettings {
        &self.settings
    }

    /// The AI server's host, to tell the coach where text goes.
    pub fn server_host(settings: &Settings) -> String {
        settings
            .ai
            .as_ref()
            .map(|ai| {
                let rest = ai.base_url.split_once("://").map_or("", |(_, r)| r);
                rest.split('/').next().unwrap_or_default().to_owned()
            })
            .unwrap_or_default()
    }

    /// One chat completion: the system instructions, the (already redacted) user text, and
    /// optionally a JSON schema the answer must follow. Recorded in the call log either way.
    pub async fn chat(
        &self,
        db: &Db,
        subject: &AiSubject,
        purpose: AiPurpose,
        system: &str,
        user: &str,
        schema: Option<JsonSchema>,
    ) -> Result<String, AiFailure> {
        let model = &self.settings.chat_model;
        self.reserve_call(db, subject, purpose, model).await?;
        let result = self.chat_inner(system, user, schema).await;
        let (outcome, usage) = match &result {
            Ok((_, usage)) => (Ok(()), *usage),
            Err(failure) => (Err(failure.clone()), Usage::default()),
        };
        self.record(
            db,
            subject,
            purpose,
            &self.settings.chat_model,
            usage,
            outcome,
        )
        .await;
        result.map(|(text, _)| text)
    }

    async fn chat_inner(
        &self,
        system: &str,
        user: &str,
        schema: Option<JsonSchema>,
    ) -> Result<(String, Usage), AiFailure> {
        let messages: Vec<ChatCompletionRequestMessage> = vec![
            ChatCompletionRequestSystemMessage::from(system).into(),
            ChatCompletionRequestUserMessage::from(user).into(),
        ];
        let mut request = CreateChatCompletionRequestArgs::default();
        // `store: false`: the AI provider must not keep the conversation.
        request
            .model(self.settings.chat_model.clone())
            .messages(messages)
            .store(false);
        if let Some(schema) = schema {
            request.response_format(ResponseFormat::JsonSchema {
                json_schema: ResponseFormatJsonSchema {
                    description: None,
                    name: schema.name.to_owned(),
                    schema: schema.schema,
                    strict: Some(true),
                },
            });
        }
        let request = request.build().map_err(|e| {
            tracing::error!(%e, "building the AI request");
            AiFailure::Malformed
        })?;
        let response = self.client.chat().create(request).await.map_err(|e| {
            tracing::warn!(error = %e, "AI chat call failed");
            AiFailure::from_openai(&e, self.settings.timeout)
        })?;
        let usage = response
            .usage
            .as_ref()
            .map(|u| Usage {
                prompt: u.prompt_tokens,
                completion: u.completion_tokens,
            })
            .unwrap_or_default();
        let text = response
            .choices
            .into_iter()
            .next()
            .and_then(|choice| choice.message.content)
            .filter(|text| !text.trim().is_empty())
            .ok_or(AiFailure::Malformed)?;
        Ok((text, usage))
    }

    /// Speech to text for one audio file. Recorded in the call log either way.
    pub async fn transcribe(
        &self,
        db: &Db,
        subject: &AiSubject,
        file_name: &str,
        audio: Vec<u8>,
    ) -> Result<String, AiFailure> {
        let model = &self.settings.transcription_model;
        self.reserve_call(db, subject, AiPurpose::Transcription, model)
            .await?;
        let request = CreateTranscriptionRequestArgs::default()
            .file(AudioInput::from_vec_u8(file_name.to_owned(), audio))
            .model(self.settings.transcription_model.clone())
            .build()
            .map_err(|e| {
                tracing::error!(%e, "building the transcription request");
                AiFailure::Malformed
            })?;
        // Raw, then only `text` is read: local Whisper servers leave out fields (e.g. `usage`)
        // that the typed response insists on.
        #[derive(serde::Deserialize)]
        struct Transcription {
            text: String,
        }
        let result = self
            .client
            .audio()
            .transcription()
            .create_raw(request)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "AI transcription failed");
                AiFailure::from_openai(&e, self.settings.timeout)
            })
            .and_then(|bytes| {
                serde_json::from_slice::<Transcription>(&bytes)
                    .map(|t| t.text)
                    .map_err(|_| AiFailure::Malformed)
            });
        let outcome = result.as_ref().map(|_| ()).map_err(Clone::clone);
        self.record(
            db,
            subject,
            AiPurpose::Transcription,
            &self.settings.transcription_model,
            Usage::default(),
            outcome,
        )
        .await;
        result
    }

    /// Takes one call from the workspace's daily budget and logs the access before anything
    /// is sent, or refuses.
    async fn reserve_call(
        &self,
        db: &Db,
        subject: &AiSubject,
        purpose: AiPurpose,
        model: &str,
    ) -> Result<(), AiFailure> {
        let budget = self.settings.daily_calls_per_coach;
        match store::ai::reserve_call(db, subject, budget, purpose, model).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(AiFailure::OverBudget(budget)),
            Err(err) => {
                tracing::error!(?err, "AI budget not checked");
                Err(AiFailure::Internal)
            }
        }
    }

    /// Refuses (reserving nothing) when the workspace has no AI calls left today: a quick check
    /// before queueing work.
    pub async fn check_budget(&self, db: &Db, subject: &AiSubject) -> Result<(), AppError> {
        let budget = self.settings.daily_calls_per_coach;
        if store::ai::has_budget(db, subject.coach_id(), budget).await? {
            Ok(())
        } else {
            Err(AiFailure::OverBudget(budget).into())
        }
    }

    /// The call log row. A failure to log is itself logged, never shown: the call happened.
    async fn record(
        &self,
        db: &Db,
        subject: &AiSubject,
        purpose: AiPurpose,
        model: &str,
        usage: Usage,
        outcome: Result<(), AiFailure>,
    ) {
        let error = outcome.err().map(|failure| failure.log_tag());
        if let Err(err) = store::ai::record_call(
            db,
            subject,
            purpose,
            model,
            (usage.prompt, usage.completion),
            error.as_deref(),
        )
        .await
        {
            tracing::error!(?err, "AI call not recorded");
        }
    }
}

/// The configured AI, or the explanation of how to enable it.
pub fn configured(ai: Option<&Ai>) -> Result<&Ai, AppError> {
    ai.ok_or_else(|| AppError::Unavailable(AI_SETUP_HELP.into()))
}
