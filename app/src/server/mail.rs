//! Outgoing email over SMTP (lettre). Optional: without SMTP settings nothing is sent and nothing
//! fails; invitation links are shown to the coach to copy either way.

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// A parsed `smtp://[user:pass@]host[:port]`. This build speaks plain SMTP (a local relay or a
/// private network); TLS to a remote provider is not compiled in yet.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SmtpUrl {
    host: String,
    port: u16,
    credentials: Option<(String, String)>,
}

fn parse_smtp_url(url: &str) -> Result<SmtpUrl, String> {
    let rest = url
        .strip_prefix("smtp://")
        .ok_or("only smtp:// is supported (plain SMTP to a relay)")?;
    let (userinfo, hostport) = match rest.rsplit_once('@') {
        Some((userinfo, hostport)) => (Some(userinfo), hostport),
        None => (None, rest),
    };
    let hostport = hostport.trim_end_matches('/');
    let (host, port) = match hostport.rsplit_once(':') {
        Some((host, port)) => (
            host,
            port.parse().map_err(|_| format!("bad port {port:?}"))?,
        ),
        None => (hostport, 25),
    };
    if host.is_empty() || host.contains('/') || host.contains('?') {
        return Err(format!("bad host {host:?}"));
    }
    let credentials = userinfo.map(|info| {
        let (user, pass) = info.split_once(':').unwrap_or((info, ""));
        (percent_decode(user), percent_decode(pass))
    });
    Ok(SmtpUrl {
        host: host.to_owned(),
        port,
        credentials,
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn transport(url: &SmtpUrl) -> AsyncSmtpTransport<Tokio1Executor> {
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(url.host.as_str())
        .port(url.port)
        .timeout(Some(Duration::from_secs(10)));
    if let Some((user, pass)) = &url.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
    }
    builder.build()
}

/// Where and as whom to send.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `smtp://[user:pass@]host[:port]`
    pub url: String,
    /// The From address, e.g. `Coachroom <no-reply@example.com>`.
    pub from: String,
}

impl MailSettings {
    /// Checks both values now, so a typo stops startup instead of the first invitation.
    pub fn parse(url: &str, from: &str) -> Result<Self, String> {
        parse_smtp_url(url).map_err(|e| {
            format!("COACHROOM_SMTP_URL: expected smtp://[user:pass@]host[:port]: {e}")
        })?;
        from.parse::<lettre::message::Mailbox>()
            .map_err(|e| format!("COACHROOM_SMTP_FROM: expected an address like Coachroom <no-reply@example.com>: {e}"))?;
        Ok(Self {
            url: url.to_owned(),
            from: from.to_owned(),
        })
    }
}

/// Sends one plain-text email.
pub async fn send(
    settings: &MailSettings,
    to: &str,
    subject: &str,
    body: String,
) -> Result<(), String> {
    let message = Message::builder()
        .from(settings.from.parse().map_err(|e| format!("from: {e}"))?)
        .to(to.parse().map_err(|e| format!("to: {e}"))?)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| e.to_string())?;
    let url = parse_smtp_url(&settings.url)?;
    transport(&url)
        .send(message)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls() {
        let url = parse_smtp_url("smtp://mailer:p%40ss@relay.internal:2525").unwrap();
        assert_eq!(url.host, "relay.internal");
        assert_eq!(url.port, 2525);
        assert_eq!(url.credentials, Some(("mailer".into(), "p@ss".into())));
        assert_eq!(parse_smtp_url("smtp://localhost").unwrap().port, 25);
        assert!(parse_smtp_url("smtps://x").is_err());
        assert!(parse_smtp_url("smtp://:25").is_err());
        assert!(parse_smtp_url("smtp://host:notaport").is_err());
    }
}
