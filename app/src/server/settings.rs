//! Runtime settings the app needs, already parsed by the binary's config layer.

use super::storage::StorageSettings;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Public base URL, e.g. `https://coachroom.example.com`; used for links and the Origin check.
    pub base_url: String,
    /// Where local files live.
    pub data_dir: PathBuf,
    /// Mark cookies `Secure` (true when the base URL is https).
    pub secure_cookies: bool,
    /// Take the client IP from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    pub throttle: ThrottleLimits,
    /// Uploads in flight, overall and per user.
    pub uploads: super::upload_gate::UploadLimits,
    /// Requests from nobody signed in served at once, and waiting.
    pub anonymous: super::anonymous_lane::AnonymousLimits,
    /// Sessions end this long after sign-in, however active.
    pub session_max_age: Duration,
    /// Sessions end after this long without a request.
    pub session_idle: Duration,
    /// SMTP for invitation emails; `None` means links are only shown to the coach.
    pub mail: Option<super::mail::MailSettings>,
    /// Local disk or S3-compatible object storage.
    pub storage: StorageSettings,
    /// How long a signed file (photo) URL stays valid.
    pub file_url_ttl: Duration,
    /// The largest photo upload accepted, in bytes.
    pub photo_max_bytes: usize,
    /// An OpenAI-compatible AI server; `None` turns every AI feature off (with an explanation).
    pub ai: Option<AiSettings>,
    /// Where backups and the key file go, and how often the server backs up.
    pub backup: super::backup::BackupSettings,
    /// Whether `/mcp` (and its OAuth metadata) serves connected AI tools (`COACHROOM_MCP`).
    pub mcp: bool,
    /// Fetch OAuth client metadata documents from loopback addresses, over http too
    /// (`COACHROOM_MCP_LOOPBACK_DOCUMENTS`): for tests, whose stand-in tools run on this machine.
    /// Off, only https from public addresses is fetched.
    pub mcp_loopback_documents: bool,
    /// `/bench/baseline/...` (`COACHROOM_BENCH_BASELINE`): for `scripts/bench` only.
    pub bench_baseline: bool,
}

/// Where AI requests go and which models they use.
#[derive(Clone)]
pub struct AiSettings {
    /// e.g. `https://api.openai.com/v1` or a local `http://127.0.0.1:11434/v1`.
    pub base_url: String,
    /// Not needed by most local servers.
    pub api_key: Option<String>,
    pub chat_model: String,
    pub transcription_model: String,
    /// One AI request may take this long before it counts as failed.
    pub timeout: Duration,
    /// Transcripts longer than this many characters are sent in several parts.
    pub chunk_chars: usize,
    /// How many of the coach's saved replies a draft learns their voice from.
    pub voice_examples: usize,
    /// Insights jobs run at once (by this server), coaches taking turns.
    pub concurrency: usize,
    /// AI calls one coach's workspace may make in any 24 hours.
    pub daily_calls_per_coach: u32,
}

// The key stays out of logs and panics.
impl std::fmt::Debug for AiSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AiSettings")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .field("chat_model", &self.chat_model)
            .field("transcription_model", &self.transcription_model)
            .field("timeout", &self.timeout)
            .field("chunk_chars", &self.chunk_chars)
            .field("concurrency", &self.concurrency)
            .field("daily_calls_per_coach", &self.daily_calls_per_coach)
            .finish()
    }
}

/// Attempt limits per fixed window (see `throttle`).
#[derive(Debug, Clone, Copy)]
pub struct ThrottleLimits {
    /// Failed logins for one account from one IP; also wrong current passwords per account.
    pub max_per_account: u32,
    /// Failed logins for one account from all IPs together: the ceiling against a guesser with
    /// many addresses, high enough that one stranger cannot lock the owner out.
    pub max_per_account_all_ips: u32,
    /// Failed logins from one IP, whatever the account.
    pub max_per_ip: u32,
    /// Sign-ups and invitation acceptances from one IP.
    pub max_new_accounts_per_ip: u32,
    /// OAuth client registrations from one IP: higher, as ChatGPT and Claude register every
    /// coach's connection from their own few servers.
    pub max_client_registrations_per_ip: u32,
    /// Emails to one address (links of every kind), from all IPs together.
    pub max_emails_per_address: u32,
    pub window_secs: u64,
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        Self {
            max_per_account: 5,
            max_per_account_all_ips: 50,
            max_per_ip: 20,
            max_new_accounts_per_ip: 10,
            max_client_registrations_per_ip: 200,
            max_emails_per_address: 5,
            window_secs: 900,
        }
    }
}

impl ThrottleLimits {
    /// The window in milliseconds, as the store keeps times.
    pub fn window_ms(&self) -> i64 {
        i64::try_from(self.window_secs)
            .unwrap_or(i64::MAX / 2_000)
            .saturating_mul(1000)
    }
}

/// Sessions end after this long without a request.
pub const DEFAULT_SESSION_IDLE: Duration = Duration::from_secs(14 * 24 * 60 * 60);

/// Sessions end after this long, however active (the idle limit is shorter).
pub const DEFAULT_SESSION_MAX_AGE: Duration = Duration::from_secs(30 * 24 * 60 * 60);

impl Settings {
    /// The scheme://host[:port] part of the base URL, for comparing with `Origin`.
    pub fn base_origin(&self) -> &str {
        origin_of(&self.base_url)
    }
}

/// The `scheme://host[:port]` part of a URL (the whole text when it has no scheme).
pub fn origin_of(url: &str) -> &str {
    let url = url.trim_end_matches('/');
    match url.find("://") {
        Some(scheme_end) => match url[scheme_end + 3..].find(['/', '?']) {
            Some(path_start) => &url[..scheme_end + 3 + path_start],
            None => url,
        },
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_origin_drops_the_path() {
        let mut s = Settings {
            base_url: "https://coach.example.com/app/".into(),
            data_dir: PathBuf::new(),
            secure_cookies: true,
            trust_forwarded_for: false,
            throttle: ThrottleLimits::default(),
            session_max_age: DEFAULT_SESSION_MAX_AGE,
            session_idle: DEFAULT_SESSION_IDLE,
            uploads: Default::default(),
            anonymous: Default::default(),
            mail: None,
            storage: StorageSettings::Local {
                dir: PathBuf::new(),
            },
            file_url_ttl: Duration::from_secs(300),
            photo_max_bytes: 10 * 1024 * 1024,
            ai: None,
            mcp: true,
            mcp_loopback_documents: false,
            bench_baseline: false,
            backup: crate::server::backup::BackupSettings {
                dir: PathBuf::new(),
                s3: None,
                every: None,
                keep: 7,
            },
        };
        assert_eq!(s.base_origin(), "https://coach.example.com");
        s.base_url = "http://127.0.0.1:3000".into();
        assert_eq!(s.base_origin(), "http://127.0.0.1:3000");
    }
}
