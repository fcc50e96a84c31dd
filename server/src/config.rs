//! Configuration from flags and environment variables. Every bad value stops startup with one
//! line naming the variable, so an operator never has to guess.

use app::server::mail::MailSettings;
use app::server::settings::{LoginThrottle, Settings};
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Values are taken as text and parsed here, so errors name the environment variable.
#[derive(Parser, Debug, Default)]
#[command(
    name = "coachroom",
    version,
    about = "Coachroom: the coaching platform, in one binary."
)]
pub struct Cli {
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB [default: sqlite://<data dir>/coachroom.db]
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Directory for the embedded database and local files [default: ./data]
    #[arg(long, env = "COACHROOM_DATA_DIR")]
    pub data_dir: Option<String>,
    /// Address to listen on [default: 127.0.0.1:3000]
    #[arg(long, env = "COACHROOM_BIND")]
    pub bind: Option<String>,
    /// Public base URL users reach the app at [default: http://<bind>]
    #[arg(long, env = "COACHROOM_BASE_URL")]
    pub base_url: Option<String>,
    /// Mark cookies Secure: true/false [default: true when the base URL is https]
    #[arg(long, env = "COACHROOM_SECURE_COOKIES")]
    pub secure_cookies: Option<String>,
    /// Trust X-Forwarded-For for the client IP (only behind your own proxy): true/false [default: false]
    #[arg(long, env = "COACHROOM_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: Option<String>,
    /// Built site (WASM, JS, CSS, public files) [default: target/site]
    #[arg(long, env = "LEPTOS_SITE_ROOT")]
    pub site_root: Option<String>,
    /// Failed logins allowed per account within the window [default: 5]
    #[arg(long, env = "COACHROOM_LOGIN_MAX_PER_ACCOUNT")]
    pub login_max_per_account: Option<String>,
    /// Failed logins allowed per IP within the window [default: 20]
    #[arg(long, env = "COACHROOM_LOGIN_MAX_PER_IP")]
    pub login_max_per_ip: Option<String>,
    /// Login throttle window in seconds [default: 900]
    #[arg(long, env = "COACHROOM_LOGIN_WINDOW_SECS")]
    pub login_window_secs: Option<String>,
    /// SMTP server for invitation emails: smtp://[user:pass@]host[:port] [default: none, links are only shown]
    #[arg(long, env = "COACHROOM_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// From address for emails, e.g. "Coachroom <no-reply@example.com>" (required with SMTP)
    #[arg(long, env = "COACHROOM_SMTP_FROM")]
    pub smtp_from: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: SocketAddr,
    pub site_root: PathBuf,
    pub settings: Settings,
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

fn non_empty(var: &str, raw: Option<String>) -> Result<Option<String>, String> {
    match raw {
        Some(value) if value.trim().is_empty() => Err(format!("{var}: is set but empty")),
        other => Ok(other.map(|v| v.trim().to_owned())),
    }
}

impl Config {
    pub fn from_cli(cli: Cli) -> Result<Self, String> {
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

        let defaults = LoginThrottle::default();
        let login_throttle = LoginThrottle {
            max_per_account: parse_positive(
                "COACHROOM_LOGIN_MAX_PER_ACCOUNT",
                cli.login_max_per_account,
                defaults.max_per_account.into(),
            )? as u32,
            max_per_ip: parse_positive(
                "COACHROOM_LOGIN_MAX_PER_IP",
                cli.login_max_per_ip,
                defaults.max_per_ip.into(),
            )? as u32,
            window_secs: parse_positive(
                "COACHROOM_LOGIN_WINDOW_SECS",
                cli.login_window_secs,
                defaults.window_secs,
            )?,
        };

        let mail = match (
            non_empty("COACHROOM_SMTP_URL", cli.smtp_url)?,
            non_empty("COACHROOM_SMTP_FROM", cli.smtp_from)?,
        ) {
            (None, None) => None,
            (Some(url), Some(from)) => Some(MailSettings::parse(&url, &from)?),
            (Some(_), None) => {
                return Err("COACHROOM_SMTP_FROM: required when COACHROOM_SMTP_URL is set".into())
            }
            (None, Some(_)) => {
                return Err("COACHROOM_SMTP_URL: required when COACHROOM_SMTP_FROM is set".into())
            }
        };

        let site_root = PathBuf::from(
            non_empty("LEPTOS_SITE_ROOT", cli.site_root)?.unwrap_or_else(|| "target/site".into()),
        );

        Ok(Self {
            database_url,
            bind,
            site_root,
            settings: Settings {
                base_url,
                data_dir,
                secure_cookies,
                trust_forwarded_for,
                login_throttle,
                mail,
            },
        })
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
    fn passwords_are_redacted() {
        assert_eq!(
            redact_password("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_password("postgres://u@h/db"), "postgres://u@h/db");
    }
}
