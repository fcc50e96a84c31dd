//! Outgoing email over SMTP (lettre). Optional: without SMTP settings nothing is sent and nothing
//! fails; invitation links are shown to the coach to copy either way.
//!
//! The URL picks the transport, as lettre reads it:
//! - `smtps://[user:pass@]host[:port]`: implicit TLS (port 465 by default);
//! - `smtp://[user:pass@]host[:port]?tls=required`: STARTTLS, and no mail at all if the server
//!   does not offer it (port 587 by default);
//! - `smtp://[user:pass@]host[:port]`: plain SMTP, for a relay on the same machine or network
//!   (port 25 by default).

use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

fn transport(url: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|e| e.to_string())?
        .timeout(Some(Duration::from_secs(10)))
        .build())
}

/// Where and as whom to send.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `smtp://`, `smtp://...?tls=required` or `smtps://` (see the module docs).
    pub url: String,
    /// The From address, e.g. `Coachroom <no-reply@example.com>`.
    pub from: String,
}

impl MailSettings {
    /// Checks both values now, so a typo stops startup instead of the first invitation.
    pub fn parse(url: &str, from: &str) -> Result<Self, String> {
        transport(url).map_err(|e| {
            format!(
                "COACHROOM_SMTP_URL: expected smtps://[user:pass@]host[:port] (TLS), \
                 smtp://[user:pass@]host[:port]?tls=required (STARTTLS) or \
                 smtp://[user:pass@]host[:port] (plain, to a local relay): {e}"
            )
        })?;
        from.parse::<lettre::message::Mailbox>()
            .map_err(|e| format!("COACHROOM_SMTP_FROM: expected an address like Coachroom <no-reply@example.com>: {e}"))?;
        Ok(Self {
            url: url.to_owned(),
            from: from.to_owned(),
        })
    }
}

/// Sends one plain-text email after the request has been answered: the answer's timing then
/// says nothing about which email went out (or whether the mail server was slow). Failures are
/// logged.
pub fn send_in_background(settings: MailSettings, to: String, subject: String, body: String) {
    tokio::spawn(async move {
        if let Err(err) = send(&settings, &to, &subject, body).await {
            tracing::warn!(%err, %subject, "email not sent");
        }
    });
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
    transport(&settings.url)?
        .send(message)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_pick_plain_starttls_or_implicit_tls() {
        let from = "no-reply@coachroom.test";
        for ok in [
            "smtp://mailer:p%40ss@relay.internal:2525",
            "smtp://localhost",
            "smtp://mailer:secret@smtp.example.com?tls=required",
            "smtps://mailer:secret@smtp.example.com",
            "smtps://smtp.example.com:2465",
        ] {
            assert!(MailSettings::parse(ok, from).is_ok(), "{ok}");
        }
        for bad in [
            "http://x",
            "smtp://host:notaport",
            "smtp://host?tls=sometimes",
        ] {
            let err = MailSettings::parse(bad, from).unwrap_err();
            assert!(err.starts_with("COACHROOM_SMTP_URL:"), "{bad}: {err}");
        }
    }
}
