//! Configuration from flags and environment variables. Every bad value stops startup with one
//! line naming the variable, so an operator never has to guess.

use app::server::crypto::master::MasterKeySource;
use app::server::mail::MailSettings;
use app::server::settings::{AiSettings, Settings, ThrottleLimits};
use app::server::storage::{S3Settings, StorageSettings};
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Signed file URLs live this long by default: long enough to view a page, short enough that a
/// leaked link soon stops working.
pub const DEFAULT_FILE_URL_TTL_SECS: u64 = 300;
/// S3 presigned URLs cannot outlive 7 days; local links follow the same limit.
pub const MAX_FILE_URL_TTL_SECS: u64 = 7 * 24 * 3600;
pub const DEFAULT_PHOTO_MAX_BYTES: u64 = 10 * 1024 * 1024;
pub const MIN_PHOTO_MAX_BYTES: u64 = 1024;
pub const MAX_PHOTO_MAX_BYTES: u64 = 50 * 1024 * 1024;

/// Values are taken as text and parsed here, so errors name the environment variable.
#[derive(Parser, Default)]
#[command(
    name = "coachroom",
    version,
    about = "Coachroom: the coaching platform, in one binary."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB [default: sqlite://<data dir>/coachroom.db]; for `restore`, the empty database to restore into
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Directory for the embedded database and local files [default: ./data]
    #[arg(long, env = "COACHROOM_DATA_DIR", global = true)]
    pub data_dir: Option<String>,
    /// A file holding the master key (64 hex digits) that wraps every data key; back it up apart from the data. Required with PostgreSQL [default with SQLite: <data dir>/master.key, made on first start]
    #[arg(long, env = "COACHROOM_MASTER_KEY_FILE", global = true)]
    pub master_key_file: Option<String>,
    /// The master key itself (64 hex digits), instead of a file
    #[arg(
        long,
        env = "COACHROOM_MASTER_KEY",
        hide_env_values = true,
        global = true
    )]
    pub master_key: Option<String>,
    /// Directory for backups and the key file beside them [default: <data dir>/backups]
    #[arg(long, env = "COACHROOM_BACKUP_DIR", global = true)]
    pub backup_dir: Option<String>,
    /// How often the server backs up: a number with s, m, h or d (e.g. 24h), or off [default: 24h with SQLite, off with PostgreSQL]
    #[arg(long, env = "COACHROOM_BACKUP_EVERY")]
    pub backup_every: Option<String>,
    /// Keep backups and the key file in this S3 bucket instead of COACHROOM_BACKUP_DIR (same endpoint and credentials as the photos; needs COACHROOM_STORAGE=s3) [default: none]
    #[arg(long, env = "COACHROOM_BACKUP_S3_BUCKET", global = true)]
    pub backup_s3_bucket: Option<String>,
    /// Key prefix for backups in that bucket; never the photos' keys [default: coachroom-backups/]
    #[arg(long, env = "COACHROOM_BACKUP_S3_PREFIX", global = true)]
    pub backup_s3_prefix: Option<String>,
    /// Backups kept; older ones are removed after each new backup, 1 to 10000 [default: 7]
    #[arg(long, env = "COACHROOM_BACKUP_KEEP", global = true)]
    pub backup_keep: Option<String>,
    /// Address to listen on [default: 127.0.0.1:3000]
    #[arg(long, env = "COACHROOM_BIND")]
    pub bind: Option<String>,
    /// Public base URL users reach the app at [default: http://<bind>]
    #[arg(long, env = "COACHROOM_BASE_URL")]
    pub base_url: Option<String>,
    /// Mark cookies Secure: true/false [default: true when the base URL is https]
    #[arg(long, env = "COACHROOM_SECURE_COOKIES")]
    pub secure_cookies: Option<String>,
    /// The MCP endpoint for connected AI tools (/mcp): on/off [default: on]
    #[arg(long, env = "COACHROOM_MCP")]
    pub mcp: Option<String>,
    /// For tests only: fetch OAuth client metadata documents from loopback addresses, over http too: true/false [default: false]
    #[arg(long, env = "COACHROOM_MCP_LOOPBACK_DOCUMENTS")]
    pub mcp_loopback_documents: Option<String>,
    /// For scripts/bench only: serve /bench/baseline/..., a bare handler doing clients/get's SELECT with no session or proof, to measure what those cost: true/false [default: false]
    #[arg(long, env = "COACHROOM_BENCH_BASELINE")]
    pub bench_baseline: Option<String>,
    /// Trust X-Forwarded-For for the client IP (only behind your own proxy): true/false [default: false]
    #[arg(long, env = "COACHROOM_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: Option<String>,
    /// Built site (WASM, JS, CSS, public files) [default: target/site]
    #[arg(long, env = "LEPTOS_SITE_ROOT")]
    pub site_root: Option<String>,
    /// Failed logins allowed per account from one IP within the window; also wrong current passwords per account [default: 5]
    #[arg(long, env = "COACHROOM_LOGIN_MAX_PER_ACCOUNT")]
    pub login_max_per_account: Option<String>,
    /// Failed logins allowed per account from all IPs together within the window [default: 50]
    #[arg(long, env = "COACHROOM_LOGIN_MAX_PER_ACCOUNT_ALL_IPS")]
    pub login_max_per_account_all_ips: Option<String>,
    /// Sign-ups and invitation acceptances allowed per IP within the window [default: 10]
    #[arg(long, env = "COACHROOM_NEW_ACCOUNTS_MAX_PER_IP")]
    pub new_accounts_max_per_ip: Option<String>,
    /// OAuth client registrations (AI tools connecting) allowed per IP within the window; ChatGPT and Claude register every coach's connection from their own servers [default: 200]
    #[arg(long, env = "COACHROOM_OAUTH_REGISTRATIONS_MAX_PER_IP")]
    pub oauth_registrations_max_per_ip: Option<String>,
    /// Emails (sign-up links, login-email links, invitations) to one address within the window, from all IPs together; past it sign-ups answer the same but send nothing, and an invitation resend gets 429 [default: 5]
    #[arg(long, env = "COACHROOM_EMAILS_MAX_PER_ADDRESS")]
    pub emails_max_per_address: Option<String>,
    /// Uploads (check-ins with photos, session transcripts and audio) in flight at once; more are refused with 429 [default: 8]
    #[arg(long, env = "COACHROOM_UPLOADS_MAX_IN_FLIGHT")]
    pub uploads_max_in_flight: Option<String>,
    /// Uploads in flight at once for one user [default: 2]
    #[arg(long, env = "COACHROOM_UPLOADS_MAX_PER_USER")]
    pub uploads_max_per_user: Option<String>,
    /// Requests from nobody signed in served at once; signed-in users never wait behind them [default: twice the cores]
    #[arg(long, env = "COACHROOM_ANONYMOUS_CONCURRENCY")]
    pub anonymous_concurrency: Option<String>,
    /// Requests from nobody signed in that a server holds at once (reading their body, waiting up to 3 s for their turn, or running); more get 503 [default: 1024]
    #[arg(long, env = "COACHROOM_ANONYMOUS_MAX_PENDING")]
    pub anonymous_max_pending: Option<String>,
    /// Of those, from one IP address (IPv6: one /64) [default: 64]
    #[arg(long, env = "COACHROOM_ANONYMOUS_MAX_PER_IP")]
    pub anonymous_max_per_ip: Option<String>,
    /// Requests from nobody signed in that one IP address may start per second, twice that in a burst; more get 503 after a one-second hold [default: 20]
    #[arg(long, env = "COACHROOM_ANONYMOUS_RATE_PER_IP")]
    pub anonymous_rate_per_ip: Option<String>,
    /// Sessions end after this many seconds without a request, 1 to 31536000 [default: 1209600, 14 days]
    #[arg(long, env = "COACHROOM_SESSION_IDLE_SECS")]
    pub session_idle_secs: Option<String>,
    /// Sessions end this many seconds after sign-in, however active, 1 to 31536000 [default: 2592000, 30 days]
    #[arg(long, env = "COACHROOM_SESSION_MAX_AGE_SECS")]
    pub session_max_age_secs: Option<String>,
    /// Failed logins allowed per IP within the window [default: 20]
    #[arg(long, env = "COACHROOM_LOGIN_MAX_PER_IP")]
    pub login_max_per_ip: Option<String>,
    /// Throttle window in seconds (logins, sign-ups, password checks) [default: 900]
    #[arg(long, env = "COACHROOM_LOGIN_WINDOW_SECS")]
    pub login_window_secs: Option<String>,
    /// SMTP for invitation, sign-up and email-change emails: smtps://[user:pass@]host[:port] (TLS), smtp://[user:pass@]host[:port]?tls=required (STARTTLS) or smtp://[user:pass@]host[:port] (plain, local relay only) [default: none]
    #[arg(long, env = "COACHROOM_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// From address for emails, e.g. "Coachroom <no-reply@example.com>" (required with SMTP)
    #[arg(long, env = "COACHROOM_SMTP_FROM")]
    pub smtp_from: Option<String>,
    /// A PEM file with one CA certificate to trust besides the system's, for an SMTP relay whose TLS certificate a private CA issued [default: none]
    #[arg(long, env = "COACHROOM_SMTP_CA_FILE")]
    pub smtp_ca_file: Option<String>,
    /// Where files (photos) are kept: local (under <data dir>/files) or s3 [default: local]
    #[arg(long, env = "COACHROOM_STORAGE")]
    pub storage: Option<String>,
    /// S3 endpoint URL, e.g. http://127.0.0.1:9000 [default: AWS for the region]
    #[arg(long, env = "COACHROOM_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// S3 region [default: us-east-1]
    #[arg(long, env = "COACHROOM_S3_REGION")]
    pub s3_region: Option<String>,
    /// S3 bucket (required with COACHROOM_STORAGE=s3); it must already exist
    #[arg(long, env = "COACHROOM_S3_BUCKET")]
    pub s3_bucket: Option<String>,
    /// S3 access key id (required with COACHROOM_STORAGE=s3)
    #[arg(long, env = "COACHROOM_S3_ACCESS_KEY_ID")]
    pub s3_access_key_id: Option<String>,
    /// S3 secret access key (required with COACHROOM_STORAGE=s3)
    #[arg(long, env = "COACHROOM_S3_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub s3_secret_access_key: Option<String>,
    /// Path-style S3 URLs (host/bucket/key), needed by most self-hosted servers: true/false [default: false]
    #[arg(long, env = "COACHROOM_S3_PATH_STYLE")]
    pub s3_path_style: Option<String>,
    /// How long signed file (photo) URLs stay valid, in seconds, 1 to 604800 [default: 300]
    #[arg(long, env = "COACHROOM_FILE_URL_TTL_SECS")]
    pub file_url_ttl_secs: Option<String>,
    /// Largest photo upload in bytes, 1024 to 52428800 [default: 10485760]
    #[arg(long, env = "COACHROOM_PHOTO_MAX_BYTES")]
    pub photo_max_bytes: Option<String>,
    /// OpenAI-compatible AI server, e.g. http://127.0.0.1:11434/v1 for a local Ollama [default: https://api.openai.com/v1 when an API key is set; otherwise AI is off]
    #[arg(long, env = "COACHROOM_AI_BASE_URL")]
    pub ai_base_url: Option<String>,
    /// API key for the AI server (not needed by most local servers)
    #[arg(long, env = "COACHROOM_AI_API_KEY", hide_env_values = true)]
    pub ai_api_key: Option<String>,
    /// Chat model for insights and reply drafts [default: gpt-4o-mini]
    #[arg(long, env = "COACHROOM_AI_CHAT_MODEL")]
    pub ai_chat_model: Option<String>,
    /// Speech-to-text model for session audio [default: whisper-1]
    #[arg(long, env = "COACHROOM_AI_TRANSCRIPTION_MODEL")]
    pub ai_transcription_model: Option<String>,
    /// Seconds one AI request may take, 1 to 3600 [default: 120]
    #[arg(long, env = "COACHROOM_AI_TIMEOUT_SECS")]
    pub ai_timeout_secs: Option<String>,
    /// Transcript characters sent per AI request; longer ones go in parts, 1000 to 1000000 [default: 24000]
    #[arg(long, env = "COACHROOM_AI_CHUNK_CHARS")]
    pub ai_chunk_chars: Option<String>,
    /// Insights jobs this server runs at once, coaches taking turns, 1 to 64 [default: 2]
    #[arg(long, env = "COACHROOM_AI_CONCURRENCY")]
    pub ai_concurrency: Option<String>,
    /// AI calls one coach's workspace may make per 24-hour window, 1 to 1000000 [default: 300]
    #[arg(long, env = "COACHROOM_AI_DAILY_CALLS_PER_COACH")]
    pub ai_daily_calls_per_coach: Option<String>,
}

pub const DEFAULT_AI_TIMEOUT_SECS: u64 = 120;
pub const DEFAULT_AI_CHUNK_CHARS: u64 = 24_000;
/// Saved replies a draft learns the coach's voice from.
const AI_VOICE_EXAMPLES: usize = 5;

/// AI settings: off unless a base URL or an API key is given.
fn parse_ai(cli: &mut Cli) -> Result<Option<AiSettings>, String> {
    let base_url = non_empty("COACHROOM_AI_BASE_URL", cli.ai_base_url.take())?;
    let api_key = non_empty("COACHROOM_AI_API_KEY", cli.ai_api_key.take())?;
    let chat_model = non_empty("COACHROOM_AI_CHAT_MODEL", cli.ai_chat_model.take())?;
    let transcription_model = non_empty(
        "COACHROOM_AI_TRANSCRIPTION_MODEL",
        cli.ai_transcription_model.take(),
    )?;
    let timeout = parse_in_range(
        "COACHROOM_AI_TIMEOUT_SECS",
        cli.ai_timeout_secs.take(),
        DEFAULT_AI_TIMEOUT_SECS,
        1,
        3600,
    )?;
    let chunk_chars = parse_in_range(
        "COACHROOM_AI_CHUNK_CHARS",
        cli.ai_chunk_chars.take(),
        DEFAULT_AI_CHUNK_CHARS,
        1000,
        1_000_000,
    )?;
    let concurrency = parse_in_range(
        "COACHROOM_AI_CONCURRENCY",
        cli.ai_concurrency.take(),
        2,
        1,
        64,
    )?;
    let daily_calls = parse_in_range(
        "COACHROOM_AI_DAILY_CALLS_PER_COACH",
        cli.ai_daily_calls_per_coach.take(),
        300,
        1,
        1_000_000,
    )?;
    let base_url = match (base_url, &api_key) {
        (Some(url), _) => url.trim_end_matches('/').to_owned(),
        (None, Some(_)) => "https://api.openai.com/v1".to_owned(),
        (None, None) => return Ok(None),
    };
    if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
        return Err(format!(
            "COACHROOM_AI_BASE_URL: expected an http:// or https:// URL, got {base_url:?}"
        ));
    }
    Ok(Some(AiSettings {
        base_url,
        api_key,
        chat_model: chat_model.unwrap_or_else(|| "gpt-4o-mini".into()),
        transcription_model: transcription_model.unwrap_or_else(|| "whisper-1".into()),
        timeout: Duration::from_secs(timeout),
        chunk_chars: chunk_chars as usize,
        voice_examples: AI_VOICE_EXAMPLES,
        concurrency: concurrency as usize,
        daily_calls_per_coach: daily_calls as u32,
    }))
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub master_key: MasterKeySetting,
    pub bind: SocketAddr,
    pub site_root: PathBuf,
    pub settings: Settings,
}

/// Never prints the values: some are secrets (the master key, the S3 and AI keys, passwords in
/// URLs), and every bad value is reported by name instead.
impl std::fmt::Debug for Cli {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cli")
            .field("command", &self.command)
            .finish_non_exhaustive()
    }
}

/// What to do instead of serving.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// The master key and the data keys it wraps
    Keys {
        #[command(subcommand)]
        action: KeysCommand,
    },
    /// Take a backup now into COACHROOM_BACKUP_DIR (or list or verify backups)
    Backup {
        #[command(subcommand)]
        action: Option<BackupCommand>,
    },
    /// Operator accounts (they are made only here, never by sign-up)
    Admin {
        #[command(subcommand)]
        action: AdminCommand,
    },
    /// The access log
    Audit {
        #[command(subcommand)]
        action: AuditCommand,
    },
    /// Make a demo workspace to look around in (or to benchmark): a coach with clients, each with a weekly check-in history; prints how to sign in
    Seed {
        /// How many clients
        #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u32).range(1..=i64::from(app::server::seed::CLIENTS_MAX)))]
        clients: u32,
        /// How many weekly check-ins each client has, ending this week
        #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(0..=i64::from(app::server::seed::CHECKINS_PER_CLIENT_MAX)))]
        checkins_per_client: u32,
        /// Add a front photo to each client's first and latest check-in
        #[arg(long)]
        photos: bool,
        /// The demo coach's email (sign-in name)
        #[arg(long, default_value = "demo@example.com")]
        email: String,
    },
    /// Restore a backup into the empty database given by --database-url, and its files into the configured storage
    Restore {
        /// The backup file
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The key file with the current data keys [default: data-keys.json beside FILE]
        #[arg(long, value_name = "FILE")]
        keys: Option<PathBuf>,
    },
}

#[derive(clap::Subcommand, Debug)]
pub enum AdminCommand {
    /// Make an operator account and print its one-time setup link (24 hours), where the operator chooses a password and enrols an authenticator app. For an existing operator, locks the account and prints a new link (a forgotten password or a lost phone)
    Add {
        #[arg(value_name = "EMAIL")]
        email: String,
        /// The operator's name [default: the part of EMAIL before the @]
        #[arg(long)]
        name: Option<String>,
    },
    /// Print a one-time link (24 hours) for a coach who forgot their password and the server sends no email; the coach's access log records it. A client's link comes from their coach (the client's page)
    ResetPassword {
        #[arg(value_name = "EMAIL")]
        email: String,
    },
}

#[derive(clap::Subcommand, Debug)]
pub enum AuditCommand {
    /// Recompute the access log's hash chain from its first entry: any entry edited, removed or moved, or the newest cut off, is reported (exit status 2)
    Verify,
}

#[derive(clap::Subcommand, Debug)]
pub enum BackupCommand {
    /// List the backups in COACHROOM_BACKUP_DIR, oldest first
    List,
    /// Check a backup file end to end (every entry against its manifest)
    Verify {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(clap::Subcommand, Debug)]
pub enum KeysCommand {
    /// Write a new random master key to FILE (readable by its owner only); FILE must not exist
    New {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Re-wrap every data key under the master key in FILE and make it the database's master key, while servers run; no data is re-encrypted. The configured key file is then replaced by FILE's key
    Rotate {
        #[arg(long, value_name = "FILE")]
        new_key_file: PathBuf,
    },
}

/// Where the master key comes from, and whether this start may make it.
#[derive(Debug, Clone)]
pub struct MasterKeySetting {
    pub source: MasterKeySource,
    /// The embedded default only: make `<data dir>/master.key` when it does not exist yet. A key
    /// the operator named is never made up: a missing one is a startup error.
    pub generate_if_missing: bool,
}

fn master_key_setting(
    file: Option<String>,
    value: Option<String>,
    data_dir: &std::path::Path,
    backend: Option<app::server::db::Backend>,
) -> Result<MasterKeySetting, String> {
    let file = non_empty("COACHROOM_MASTER_KEY_FILE", file)?;
    let value = non_empty("COACHROOM_MASTER_KEY", value)?;
    match (file, value) {
        (Some(_), Some(_)) => {
            Err("COACHROOM_MASTER_KEY: set either it or COACHROOM_MASTER_KEY_FILE, not both".into())
        }
        (Some(path), None) => Ok(MasterKeySetting {
            source: MasterKeySource::File(PathBuf::from(path)),
            generate_if_missing: false,
        }),
        (None, Some(text)) => Ok(MasterKeySetting {
            source: MasterKeySource::Value(text),
            generate_if_missing: false,
        }),
        (None, None) if backend == Some(app::server::db::Backend::Postgres) => Err(
            "COACHROOM_MASTER_KEY_FILE: required with PostgreSQL (every app server must use the \
             same master key; make one with `coachroom keys new --out FILE`)"
                .into(),
        ),
        (None, None) => Ok(MasterKeySetting {
            source: MasterKeySource::File(data_dir.join("master.key")),
            generate_if_missing: true,
        }),
    }
}

fn parse_bool(var: &str, raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(format!("{var}: expected true or false, got {raw:?}")),
    }
}

fn parse_positive(var: &str, raw: Option<String>, default: u64) -> Result<u64, String> {
    match raw {
        None => Ok(default),
        Some(raw) => match raw.trim().parse::<u64>() {
            Ok(n) if n > 0 && n <= u64::from(u32::MAX) => Ok(n),
            _ => Err(format!(
                "{var}: expected a positive whole number, got {raw:?}"
            )),
        },
    }
}

fn parse_in_range(
    var: &str,
    raw: Option<String>,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, String> {
    match raw {
        None => Ok(default),
        Some(raw) => match raw.trim().parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(format!(
                "{var}: expected a whole number from {min} to {max}, got {raw:?}"
            )),
        },
    }
}

fn non_empty(var: &str, raw: Option<String>) -> Result<Option<String>, String> {
    match raw {
        Some(value) if value.trim().is_empty() => Err(format!("{var}: is set but empty")),
        other => Ok(other.map(|v| v.trim().to_owned())),
    }
}

impl Config {
    pub fn from_cli(mut cli: Cli) -> Result<Self, String> {
        let ai = parse_ai(&mut cli)?;
        let data_dir = PathBuf::from(
            non_empty("COACHROOM_DATA_DIR", cli.data_dir)?.unwrap_or_else(|| "data".into()),
        );

        let bind_raw =
            non_empty("COACHROOM_BIND", cli.bind)?.unwrap_or_else(|| "127.0.0.1:3000".into());
        let bind: SocketAddr = bind_raw.parse().map_err(|_| {
            format!("COACHROOM_BIND: expected an address like 127.0.0.1:3000, got {bind_raw:?}")
        })?;

        let base_url = non_empty("COACHROOM_BASE_URL", cli.base_url)?
            .unwrap_or_else(|| format!("http://{bind}"))
            .trim_end_matches('/')
            .to_owned();
        let is_https = base_url.starts_with("https://");
        let host = base_url
            .split_once("://")
            .map(|(_, rest)| rest)
            .unwrap_or_default();
        if !(is_https || base_url.starts_with("http://")) || host.is_empty() {
            return Err(format!(
                "COACHROOM_BASE_URL: expected an http:// or https:// URL, got {base_url:?}"
            ));
        }

        let mcp = match non_empty("COACHROOM_MCP", cli.mcp)? {
            None => true,
            Some(raw) => match raw.trim().to_ascii_lowercase().as_str() {
                "on" => true,
                "off" => false,
                _ => return Err(format!("COACHROOM_MCP: expected on or off, got {raw:?}")),
            },
        };
        let mcp_loopback_documents = match non_empty(
            "COACHROOM_MCP_LOOPBACK_DOCUMENTS",
            cli.mcp_loopback_documents,
        )? {
            Some(raw) => parse_bool("COACHROOM_MCP_LOOPBACK_DOCUMENTS", &raw)?,
            None => false,
        };
        let bench_baseline = match non_empty("COACHROOM_BENCH_BASELINE", cli.bench_baseline)? {
            Some(raw) => parse_bool("COACHROOM_BENCH_BASELINE", &raw)?,
            None => false,
        };
        if bench_baseline && is_https {
            return Err(
                "COACHROOM_BENCH_BASELINE: only for scripts/bench, never on a public \
                        (https) server: its handler skips authorization"
                    .to_owned(),
            );
        }
        let secure_cookies = match non_empty("COACHROOM_SECURE_COOKIES", cli.secure_cookies)? {
            Some(raw) => parse_bool("COACHROOM_SECURE_COOKIES", &raw)?,
            None => is_https,
        };
        if is_https && !secure_cookies {
            return Err(
                "COACHROOM_SECURE_COOKIES: must be true when COACHROOM_BASE_URL is https".into(),
            );
        }
        let trust_forwarded_for =
            match non_empty("COACHROOM_TRUST_FORWARDED_FOR", cli.trust_forwarded_for)? {
                Some(raw) => parse_bool("COACHROOM_TRUST_FORWARDED_FOR", &raw)?,
                None => false,
            };

        let database_url = match non_empty("DATABASE_URL", cli.database_url)? {
            Some(url) => url,
            None => format!("sqlite://{}", data_dir.join("coachroom.db").display()),
        };
        if app::server::db::Backend::from_url(&database_url).is_none() {
            return Err(format!(
                "DATABASE_URL: expected sqlite://PATH or postgres://..., got {:?}",
                redact_password(&database_url)
            ));
        }
        if url_parameter(&database_url, "sslmode")
            .is_some_and(|m| m.eq_ignore_ascii_case("verify-ca"))
        {
            // It checks no host name, and the system's trust store is used besides any
            // sslrootcert: any public certificate for any host would pass.
            return Err("DATABASE_URL: sslmode=verify-ca checks no host name; use \
                        sslmode=verify-full (with sslrootcert=FILE for a private CA)"
                .to_owned());
        }

        let defaults = ThrottleLimits::default();
        let throttle = ThrottleLimits {
            max_per_account: parse_positive(
                "COACHROOM_LOGIN_MAX_PER_ACCOUNT",
                cli.login_max_per_account,
                defaults.max_per_account.into(),
            )? as u32,
            max_per_account_all_ips: parse_positive(
                "COACHROOM_LOGIN_MAX_PER_ACCOUNT_ALL_IPS",
                cli.login_max_per_account_all_ips,
                defaults.max_per_account_all_ips.into(),
            )? as u32,
            max_per_ip: parse_positive(
                "COACHROOM_LOGIN_MAX_PER_IP",
                cli.login_max_per_ip,
                defaults.max_per_ip.into(),
            )? as u32,
            max_emails_per_address: parse_positive(
                "COACHROOM_EMAILS_MAX_PER_ADDRESS",
                cli.emails_max_per_address,
                defaults.max_emails_per_address.into(),
            )? as u32,
            max_new_accounts_per_ip: parse_positive(
                "COACHROOM_NEW_ACCOUNTS_MAX_PER_IP",
                cli.new_accounts_max_per_ip,
                defaults.max_new_accounts_per_ip.into(),
            )? as u32,
            max_client_registrations_per_ip: parse_positive(
                "COACHROOM_OAUTH_REGISTRATIONS_MAX_PER_IP",
                cli.oauth_registrations_max_per_ip,
                defaults.max_client_registrations_per_ip.into(),
            )? as u32,
            window_secs: parse_positive(
                "COACHROOM_LOGIN_WINDOW_SECS",
                cli.login_window_secs,
                defaults.window_secs,
            )?,
        };
        let upload_defaults = app::server::upload_gate::UploadLimits::default();
        let uploads = app::server::upload_gate::UploadLimits {
            max_in_flight: parse_positive(
                "COACHROOM_UPLOADS_MAX_IN_FLIGHT",
                cli.uploads_max_in_flight,
                upload_defaults.max_in_flight as u64,
            )? as usize,
            max_per_user: parse_positive(
                "COACHROOM_UPLOADS_MAX_PER_USER",
                cli.uploads_max_per_user,
                upload_defaults.max_per_user as u64,
            )? as usize,
        };
        let anonymous_defaults = app::server::anonymous_lane::AnonymousLimits::default();
        let anonymous = app::server::anonymous_lane::AnonymousLimits {
            concurrency: parse_positive(
                "COACHROOM_ANONYMOUS_CONCURRENCY",
                cli.anonymous_concurrency,
                anonymous_defaults.concurrency as u64,
            )? as usize,
            in_lane: parse_positive(
                "COACHROOM_ANONYMOUS_MAX_PENDING",
                cli.anonymous_max_pending,
                anonymous_defaults.in_lane as u64,
            )? as usize,
            per_ip: parse_positive(
                "COACHROOM_ANONYMOUS_MAX_PER_IP",
                cli.anonymous_max_per_ip,
                anonymous_defaults.per_ip as u64,
            )? as usize,
            rate_per_ip: parse_in_range(
                "COACHROOM_ANONYMOUS_RATE_PER_IP",
                cli.anonymous_rate_per_ip,
                anonymous_defaults.rate_per_ip.into(),
                1,
                u32::MAX.into(),
            )? as u32,
        };
        let session_max_age = Duration::from_secs(parse_in_range(
            "COACHROOM_SESSION_MAX_AGE_SECS",
            cli.session_max_age_secs,
            app::server::settings::DEFAULT_SESSION_MAX_AGE.as_secs(),
            1,
            365 * 24 * 60 * 60,
        )?);

        let session_idle = Duration::from_secs(parse_in_range(
            "COACHROOM_SESSION_IDLE_SECS",
            cli.session_idle_secs,
            app::server::settings::DEFAULT_SESSION_IDLE.as_secs(),
            1,
            365 * 24 * 60 * 60,
        )?);

        let mail = match (
            non_empty("COACHROOM_SMTP_URL", cli.smtp_url)?,
            non_empty("COACHROOM_SMTP_FROM", cli.smtp_from)?,
        ) {
            (None, None) if cli.smtp_ca_file.is_some() => {
                return Err("COACHROOM_SMTP_CA_FILE: set, but COACHROOM_SMTP_URL is not".into())
            }
            (None, None) => None,
            (Some(url), Some(from)) => {
                let extra_ca_pem =
                    match non_empty("COACHROOM_SMTP_CA_FILE", cli.smtp_ca_file)? {
                        Some(path) => Some(std::fs::read(&path).map_err(|e| {
                            format!("COACHROOM_SMTP_CA_FILE: cannot read {path}: {e}")
                        })?),
                        None => None,
                    };
                Some(MailSettings::parse(&url, &from, extra_ca_pem)?)
            }
            (Some(_), None) => {
                return Err("COACHROOM_SMTP_FROM: required when COACHROOM_SMTP_URL is set".into())
            }
            (None, Some(_)) => {
                return Err("COACHROOM_SMTP_URL: required when COACHROOM_SMTP_FROM is set".into())
            }
        };

        let storage = parse_storage(StorageArgs {
            kind: cli.storage,
            endpoint: cli.s3_endpoint,
            region: cli.s3_region,
            bucket: cli.s3_bucket,
            access_key_id: cli.s3_access_key_id,
            secret_access_key: cli.s3_secret_access_key,
            path_style: cli.s3_path_style,
            local_dir: data_dir.join("files"),
        })?;
        let file_url_ttl = Duration::from_secs(parse_in_range(
            "COACHROOM_FILE_URL_TTL_SECS",
            cli.file_url_ttl_secs,
            DEFAULT_FILE_URL_TTL_SECS,
            1,
            MAX_FILE_URL_TTL_SECS,
        )?);
        let photo_max_bytes = usize::try_from(parse_in_range(
            "COACHROOM_PHOTO_MAX_BYTES",
            cli.photo_max_bytes,
            DEFAULT_PHOTO_MAX_BYTES,
            MIN_PHOTO_MAX_BYTES,
            MAX_PHOTO_MAX_BYTES,
        )?)
        .map_err(|_| "COACHROOM_PHOTO_MAX_BYTES: too large for this platform".to_owned())?;

        let backend = app::server::db::Backend::from_url(&database_url);
        let backup_s3 = parse_backup_s3(cli.backup_s3_bucket, cli.backup_s3_prefix, &storage)?;
        let backup = app::server::backup::BackupSettings {
            s3: backup_s3,
            dir: PathBuf::from(
                non_empty("COACHROOM_BACKUP_DIR", cli.backup_dir)?
                    .unwrap_or_else(|| data_dir.join("backups").to_string_lossy().into_owned()),
            ),
            every: parse_every(
                "COACHROOM_BACKUP_EVERY",
                cli.backup_every,
                // The embedded setup backs itself up; a PostgreSQL deployment chooses where.
                (backend == Some(app::server::db::Backend::Sqlite))
                    .then_some(Duration::from_secs(24 * 3600)),
            )?,
            keep: parse_in_range("COACHROOM_BACKUP_KEEP", cli.backup_keep, 7, 1, 10_000)? as usize,
        };

        let site_root = PathBuf::from(
            non_empty("LEPTOS_SITE_ROOT", cli.site_root)?.unwrap_or_else(|| "target/site".into()),
        );

        let master_key = master_key_setting(
            cli.master_key_file,
            cli.master_key,
            &data_dir,
            app::server::db::Backend::from_url(&database_url),
        )?;

        Ok(Self {
            database_url,
            master_key,
            bind,
            site_root,
            settings: Settings {
                base_url,
                data_dir,
                secure_cookies,
                trust_forwarded_for,
                throttle,
                session_max_age,
                session_idle,
                uploads,
                anonymous,
                mail,
                storage,
                file_url_ttl,
                photo_max_bytes,
                ai,
                backup,
                mcp,
                mcp_loopback_documents,
                bench_baseline,
            },
        })
    }
}

/// The value of the query parameter `name` in `url`, if it has one.
fn url_parameter<'u>(url: &'u str, name: &str) -> Option<&'u str> {
    let (_, query) = url.split_once('?')?;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The S3 target for backups: the photos' endpoint and credentials, another bucket or a
/// prefix of its own.
fn parse_backup_s3(
    bucket: Option<String>,
    prefix: Option<String>,
    storage: &StorageSettings,
) -> Result<Option<app::server::backup::S3Target>, String> {
    let prefix = non_empty("COACHROOM_BACKUP_S3_PREFIX", prefix)?;
    let Some(bucket) = non_empty("COACHROOM_BACKUP_S3_BUCKET", bucket)? else {
        if prefix.is_some() {
            return Err(
                "COACHROOM_BACKUP_S3_PREFIX: set, but COACHROOM_BACKUP_S3_BUCKET is not".into(),
            );
        }
        return Ok(None);
    };
    let StorageSettings::S3(photos) = storage else {
        return Err(
            "COACHROOM_BACKUP_S3_BUCKET: needs COACHROOM_STORAGE=s3 (its endpoint and \
                    credentials are used)"
                .into(),
        );
    };
    let mut prefix = prefix.unwrap_or_else(|| "coachroom-backups/".into());
    if !prefix.is_empty() && !prefix.ends_with('/') {
        prefix.push('/');
    }
    if bucket == photos.bucket && (prefix.is_empty() || prefix.starts_with("photos/")) {
        return Err(format!(
            "COACHROOM_BACKUP_S3_PREFIX: backups in the photos' bucket need a prefix of their \
             own, not {prefix:?}"
        ));
    }
    let mut settings = photos.clone();
    settings.bucket = bucket;
    Ok(Some(app::server::backup::S3Target { settings, prefix }))
}

/// `24h`, `30m`, `90s`, `7d`, or `off`.
fn parse_every(
    var: &str,
    raw: Option<String>,
    default: Option<Duration>,
) -> Result<Option<Duration>, String> {
    let Some(raw) = non_empty(var, raw)? else {
        return Ok(default);
    };
    let raw = raw.trim();
    if raw.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let bad =
        || format!("{var}: expected a number with s, m, h or d (like 24h), or off; got {raw:?}");
    let mut chars = raw.chars();
    let unit = chars.next_back().ok_or_else(bad)?;
    let number = chars.as_str();
    let seconds_per: u64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(bad()),
    };
    let number: u64 = number.parse().map_err(|_| bad())?;
    let secs = number.checked_mul(seconds_per).ok_or_else(bad)?;
    if secs == 0 || secs > 366 * 86_400 {
        return Err(format!(
            "{var}: must be between 1s and 366d, or off; got {raw:?}"
        ));
    }
    Ok(Some(Duration::from_secs(secs)))
}

/// The storage part of the command line, still as text.
struct StorageArgs {
    kind: Option<String>,
    endpoint: Option<String>,
    region: Option<String>,
    bucket: Option<String>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    path_style: Option<String>,
    local_dir: PathBuf,
}

fn parse_storage(args: StorageArgs) -> Result<StorageSettings, String> {
    let kind = non_empty("COACHROOM_STORAGE", args.kind)?.unwrap_or_else(|| "local".into());
    let endpoint = non_empty("COACHROOM_S3_ENDPOINT", args.endpoint)?;
    let region = non_empty("COACHROOM_S3_REGION", args.region)?;
    let bucket = non_empty("COACHROOM_S3_BUCKET", args.bucket)?;
    let access_key_id = non_empty("COACHROOM_S3_ACCESS_KEY_ID", args.access_key_id)?;
    let secret_access_key = non_empty("COACHROOM_S3_SECRET_ACCESS_KEY", args.secret_access_key)?;
    let path_style = non_empty("COACHROOM_S3_PATH_STYLE", args.path_style)?;
    match kind.to_ascii_lowercase().as_str() {
        "local" => {
            // Silently storing photos on local disk when S3 was meant would lose them on redeploy.
            let s3_vars = [
                ("COACHROOM_S3_ENDPOINT", endpoint.is_some()),
                ("COACHROOM_S3_REGION", region.is_some()),
                ("COACHROOM_S3_BUCKET", bucket.is_some()),
                ("COACHROOM_S3_ACCESS_KEY_ID", access_key_id.is_some()),
                (
                    "COACHROOM_S3_SECRET_ACCESS_KEY",
                    secret_access_key.is_some(),
                ),
                ("COACHROOM_S3_PATH_STYLE", path_style.is_some()),
            ];
            if let Some((var, _)) = s3_vars.iter().find(|(_, set)| *set) {
                return Err(format!(
                    "COACHROOM_STORAGE: is local but {var} is set; set COACHROOM_STORAGE=s3 or unset {var}"
                ));
            }
            Ok(StorageSettings::Local {
                dir: args.local_dir,
            })
        }
        "s3" => {
            if let Some(url) = &endpoint {
                let host = url
                    .split_once("://")
                    .map(|(_, rest)| rest)
                    .unwrap_or_default();
                if !(url.starts_with("http://") || url.starts_with("https://")) || host.is_empty() {
                    return Err(format!(
                        "COACHROOM_S3_ENDPOINT: expected an http:// or https:// URL, got {url:?}"
                    ));
                }
            }
            let required = |var: &str, value: Option<String>| {
                value.ok_or_else(|| format!("{var}: required when COACHROOM_STORAGE is s3"))
            };
            Ok(StorageSettings::S3(S3Settings {
                endpoint: endpoint.map(|url| url.trim_end_matches('/').to_owned()),
                region: region.unwrap_or_else(|| "us-east-1".into()),
                bucket: required("COACHROOM_S3_BUCKET", bucket)?,
                access_key_id: required("COACHROOM_S3_ACCESS_KEY_ID", access_key_id)?,
                secret_access_key: required("COACHROOM_S3_SECRET_ACCESS_KEY", secret_access_key)?,
                path_style: match path_style {
                    Some(raw) => parse_bool("COACHROOM_S3_PATH_STYLE", &raw)?,
                    None => false,
                },
            }))
        }
        _ => Err(format!(
            "COACHROOM_STORAGE: expected local or s3, got {kind:?}"
        )),
    }
}

/// Never print a database password in an error line.
pub fn redact_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secret_values() {
        let cli = Cli {
            master_key: Some("ab".repeat(32)),
            s3_secret_access_key: Some("s3-secret-value".into()),
            ai_api_key: Some("ai-secret-value".into()),
            ..Cli::default()
        };
        let shown = format!("{cli:?}");
        for secret in ["abab", "s3-secret-value", "ai-secret-value"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    fn err(cli: Cli) -> String {
        Config::from_cli(cli).unwrap_err()
    }

    #[test]
    fn defaults_are_local_and_embedded() {
        let config = Config::from_cli(Cli::default()).unwrap();
        assert_eq!(config.database_url, "sqlite://data/coachroom.db");
        assert_eq!(config.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(config.settings.base_url, "http://127.0.0.1:3000");
        assert!(!config.settings.secure_cookies);
    }

    #[test]
    fn https_base_url_means_secure_cookies() {
        let cli = Cli {
            base_url: Some("https://coach.example.com/".into()),
            ..Default::default()
        };
        let config = Config::from_cli(cli).unwrap();
        assert!(config.settings.secure_cookies);
        assert_eq!(config.settings.base_url, "https://coach.example.com");
    }

    #[test]
    fn every_error_names_its_variable() {
        assert!(err(Cli {
            bind: Some("nope".into()),
            ..Default::default()
        })
        .starts_with("COACHROOM_BIND:"));
        assert!(err(Cli {
            database_url: Some("postgres://u@db.example.com/app?sslmode=verify-ca".into()),
            ..Default::default()
        })
        .starts_with("DATABASE_URL: sslmode=verify-ca"));
        assert!(err(Cli {
            bench_baseline: Some("true".into()),
            base_url: Some("https://coach.example.com".into()),
            ..Default::default()
        })
        .starts_with("COACHROOM_BENCH_BASELINE:"));
        assert!(err(Cli {
            database_url: Some("mysql://x".into()),
            ..Default::default()
        })
        .starts_with("DATABASE_URL:"));
        assert!(err(Cli {
            base_url: Some("ftp://x".into()),
            ..Default::default()
        })
        .starts_with("COACHROOM_BASE_URL:"));
        assert!(err(Cli {
            secure_cookies: Some("maybe".into()),
            ..Default::default()
        })
        .starts_with("COACHROOM_SECURE_COOKIES:"));
        assert!(err(Cli {
            data_dir: Some(" ".into()),
            ..Default::default()
        })
        .starts_with("COACHROOM_DATA_DIR:"));
        assert!(err(Cli {
            login_window_secs: Some("-1".into()),
            ..Default::default()
        })
        .starts_with("COACHROOM_LOGIN_WINDOW_SECS:"));
        let https_insecure = Cli {
            base_url: Some("https://x.example".into()),
            secure_cookies: Some("false".into()),
            ..Default::default()
        };
        assert!(err(https_insecure).starts_with("COACHROOM_SECURE_COOKIES:"));
    }

    #[test]
    fn ai_is_off_until_a_server_or_key_is_given() {
        assert!(Config::from_cli(Cli::default())
            .unwrap()
            .settings
            .ai
            .is_none());
        let keyed = Config::from_cli(Cli {
            ai_api_key: Some("sk-test".into()),
            ..Default::default()
        })
        .unwrap();
        let ai = keyed.settings.ai.unwrap();
        assert_eq!(ai.base_url, "https://api.openai.com/v1");
        assert_eq!(ai.chat_model, "gpt-4o-mini");
        assert!(
            !format!("{ai:?}").contains("sk-test"),
            "the key stays out of logs"
        );
        let local = Config::from_cli(Cli {
            ai_base_url: Some("http://127.0.0.1:11434/v1/".into()),
            ai_chat_model: Some("llama3.2".into()),
            ..Default::default()
        })
        .unwrap();
        let ai = local.settings.ai.unwrap();
        assert_eq!(ai.base_url, "http://127.0.0.1:11434/v1");
        assert_eq!(ai.chat_model, "llama3.2");
        assert!(ai.api_key.is_none());
    }

    #[test]
    fn ai_errors_name_their_variable() {
        assert!(err(Cli {
            ai_base_url: Some("localhost:11434".into()),
            ..Default::default()
        })
        .starts_with("COACHROOM_AI_BASE_URL:"));
        assert!(err(Cli {
            ai_api_key: Some("k".into()),
            ai_timeout_secs: Some("0".into()),
            ..Default::default()
        })
        .starts_with("COACHROOM_AI_TIMEOUT_SECS:"));
        assert!(err(Cli {
            ai_api_key: Some("k".into()),
            ai_chunk_chars: Some("10".into()),
            ..Default::default()
        })
        .starts_with("COACHROOM_AI_CHUNK_CHARS:"));
    }

    fn s3_cli() -> Cli {
        Cli {
            storage: Some("s3".into()),
            s3_bucket: Some("photos".into()),
            s3_access_key_id: Some("AKID".into()),
            s3_secret_access_key: Some("secret".into()),
            ..Default::default()
        }
    }

    #[test]
    fn storage_defaults_to_local_files_under_the_data_dir() {
        let config = Config::from_cli(Cli {
            data_dir: Some("/srv/coachroom".into()),
            ..Default::default()
        })
        .unwrap();
        match config.settings.storage {
            StorageSettings::Local { dir } => {
                assert_eq!(dir, PathBuf::from("/srv/coachroom/files"))
            }
            other => panic!("expected local storage, got {other:?}"),
        }
        assert_eq!(config.settings.file_url_ttl, Duration::from_secs(300));
        assert_eq!(config.settings.photo_max_bytes, 10 * 1024 * 1024);
    }

    #[test]
    fn s3_storage_settings() {
        let config = Config::from_cli(s3_cli()).unwrap();
        let StorageSettings::S3(s3) = config.settings.storage else {
            panic!("expected s3");
        };
        assert_eq!(s3.endpoint, None);
        assert_eq!(s3.region, "us-east-1");
        assert_eq!(s3.bucket, "photos");
        assert_eq!(s3.access_key_id, "AKID");
        assert_eq!(s3.secret_access_key, "secret");
        assert!(!s3.path_style);
        assert!(!format!("{s3:?}").contains("secret\""));

        let config = Config::from_cli(Cli {
            s3_endpoint: Some("http://127.0.0.1:9000/".into()),
            s3_region: Some("eu-west-1".into()),
            s3_path_style: Some("true".into()),
            file_url_ttl_secs: Some("1".into()),
            photo_max_bytes: Some("1024".into()),
            ..s3_cli()
        })
        .unwrap();
        let StorageSettings::S3(s3) = config.settings.storage else {
            panic!("expected s3");
        };
        assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(s3.region, "eu-west-1");
        assert!(s3.path_style);
        assert_eq!(config.settings.file_url_ttl, Duration::from_secs(1));
        assert_eq!(config.settings.photo_max_bytes, 1024);
    }

    #[test]
    fn storage_errors_name_their_variable() {
        let cases = [
            (
                Cli {
                    storage: Some("ftp".into()),
                    ..Default::default()
                },
                "COACHROOM_STORAGE:",
            ),
            (
                Cli {
                    s3_bucket: Some("photos".into()),
                    ..Default::default()
                },
                "COACHROOM_STORAGE:",
            ),
            (
                Cli {
                    s3_bucket: None,
                    ..s3_cli()
                },
                "COACHROOM_S3_BUCKET:",
            ),
            (
                Cli {
                    s3_access_key_id: None,
                    ..s3_cli()
                },
                "COACHROOM_S3_ACCESS_KEY_ID:",
            ),
            (
                Cli {
                    s3_secret_access_key: None,
                    ..s3_cli()
                },
                "COACHROOM_S3_SECRET_ACCESS_KEY:",
            ),
            (
                Cli {
                    s3_endpoint: Some("127.0.0.1:9000".into()),
                    ..s3_cli()
                },
                "COACHROOM_S3_ENDPOINT:",
            ),
            (
                Cli {
                    s3_region: Some(" ".into()),
                    ..s3_cli()
                },
                "COACHROOM_S3_REGION:",
            ),
            (
                Cli {
                    s3_path_style: Some("sometimes".into()),
                    ..s3_cli()
                },
                "COACHROOM_S3_PATH_STYLE:",
            ),
            (
                Cli {
                    file_url_ttl_secs: Some("0".into()),
                    ..Default::default()
                },
                "COACHROOM_FILE_URL_TTL_SECS:",
            ),
            (
                Cli {
                    file_url_ttl_secs: Some("604801".into()),
                    ..Default::default()
                },
                "COACHROOM_FILE_URL_TTL_SECS:",
            ),
            (
                Cli {
                    photo_max_bytes: Some("1023".into()),
                    ..Default::default()
                },
                "COACHROOM_PHOTO_MAX_BYTES:",
            ),
            (
                Cli {
                    photo_max_bytes: Some("52428801".into()),
                    ..Default::default()
                },
                "COACHROOM_PHOTO_MAX_BYTES:",
            ),
            (
                Cli {
                    photo_max_bytes: Some("ten".into()),
                    ..Default::default()
                },
                "COACHROOM_PHOTO_MAX_BYTES:",
            ),
        ];
        for (cli, prefix) in cases {
            let debug = format!("{cli:?}");
            let error = err(cli);
            assert!(error.starts_with(prefix), "{debug} gave {error:?}");
        }
    }

    #[test]
    fn backup_settings_parse_and_name_their_variable() {
        let config = Config::from_cli(Cli::default()).unwrap();
        assert_eq!(
            config.settings.backup.every,
            Some(Duration::from_secs(24 * 3600)),
            "the embedded setup backs up daily"
        );
        assert_eq!(config.settings.backup.keep, 7);
        assert_eq!(
            config.settings.backup.dir,
            PathBuf::from("data").join("backups")
        );
        let pg = Config::from_cli(Cli {
            database_url: Some("postgres://u@h/db".into()),
            master_key: Some("ab".repeat(32)),
            ..Cli::default()
        })
        .unwrap();
        assert_eq!(pg.settings.backup.every, None, "PostgreSQL chooses its own");
        for (every, secs) in [("90s", 90), ("30m", 1800), ("2h", 7200), ("7d", 604_800)] {
            let config = Config::from_cli(Cli {
                backup_every: Some(every.into()),
                ..Cli::default()
            })
            .unwrap();
            assert_eq!(
                config.settings.backup.every,
                Some(Duration::from_secs(secs))
            );
        }
        let off = Config::from_cli(Cli {
            backup_every: Some("off".into()),
            ..Cli::default()
        })
        .unwrap();
        assert_eq!(off.settings.backup.every, None);
        for bad in ["5", "h", "0s", "5µ", "µ", "-1h", "400d", "1.5h"] {
            let error = err(Cli {
                backup_every: Some(bad.into()),
                ..Cli::default()
            });
            assert!(
                error.starts_with("COACHROOM_BACKUP_EVERY: "),
                "{bad}: {error}"
            );
        }
        let error = err(Cli {
            backup_keep: Some("0".into()),
            ..Cli::default()
        });
        assert!(error.starts_with("COACHROOM_BACKUP_KEEP: "), "{error}");
        // S3: the photos' endpoint and credentials; never the photos' own keys.
        let s3 = |bucket: &str, prefix: Option<&str>| Cli {
            storage: Some("s3".into()),
            s3_bucket: Some("photos".into()),
            s3_access_key_id: Some("id".into()),
            s3_secret_access_key: Some("secret".into()),
            backup_s3_bucket: Some(bucket.into()),
            backup_s3_prefix: prefix.map(Into::into),
            ..Cli::default()
        };
        let target = Config::from_cli(s3("backups", None))
            .unwrap()
            .settings
            .backup
            .s3
            .unwrap();
        assert_eq!(
            (target.settings.bucket.as_str(), target.prefix.as_str()),
            ("backups", "coachroom-backups/")
        );
        let target = Config::from_cli(s3("photos", Some("nightly")))
            .unwrap()
            .settings
            .backup
            .s3
            .unwrap();
        assert_eq!(target.prefix, "nightly/");
        for (bucket, prefix) in [("photos", Some("photos/x")), ("photos", Some(" "))] {
            let error = err(s3(bucket, prefix));
            assert!(error.starts_with("COACHROOM_BACKUP_S3_PREFIX: "), "{error}");
        }
        let error = err(Cli {
            backup_s3_bucket: Some("backups".into()),
            ..Cli::default()
        });
        assert!(error.starts_with("COACHROOM_BACKUP_S3_BUCKET: "), "{error}");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_password("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_password("postgres://u@h/db"), "postgres://u@h/db");
    }
}
