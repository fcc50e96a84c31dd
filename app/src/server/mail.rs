//! Outgoing email over SMTP (lettre). Optional: without SMTP settings nothing is sent and nothing
//! fails; invitation links are shown to the coach to copy either way.
//!
//! The URL picks the transport, as lettre reads it:
//! - `smtps://[user:pass@]host[:port]`: implicit TLS (port 465 by default);
//! - `smtp://[user:pass@]host[:port]?tls=required`: STARTTLS, and no mail at all if the server
//!   does not offer it (port 587 by default);
//! - `smtp://[user:pass@]host[:port]`: plain SMTP, for a relay on the same machine or network
//!   (port 25 by default).
//!
//! `COACHROOM_SMTP_CA_FILE` adds one CA certificate to the system's for a relay whose
//! certificate a private CA issued.

use lettre::message::header::ContentType;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

fn transport(
    url: &str,
    extra_ca_pem: Option<&[u8]>,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let mut builder =
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| e.to_string())?;
    if let Some(pem) = extra_ca_pem {
        // The URL chose the TLS mode; the same mode again, now also trusting the extra CA.
        let parsed = url::Url::parse(url).map_err(|e| e.to_string())?;
        let host = parsed.host_str().unwrap_or_default().to_owned();
        let certificate = Certificate::from_pem(pem).map_err(|e| e.to_string())?;
        let parameters = TlsParameters::builder(host)
            .add_root_certificate(certificate)
            .build_rustls()
            .map_err(|e| e.to_string())?;
        let tls_query = parsed
            .query_pairs()
            .find(|(key, _)| key == "tls")
            .map(|(_, value)| value.into_owned());
        builder = match (parsed.scheme(), tls_query.as_deref()) {
            ("smtps", _) => builder.tls(Tls::Wrapper(parameters)),
            ("smtp", Some("required")) => builder.tls(Tls::Required(parameters)),
            _ => return Err("a CA file needs smtps:// or ?tls=required".into()),
        };
    }
    Ok(builder.timeout(Some(Duration::from_secs(10))).build())
}

/// Where and as whom to send.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `smtp://`, `smtp://...?tls=required` or `smtps://` (see the module docs).
    pub url: String,
    /// The From address, e.g. `Coachroom <no-reply@example.com>`.
    pub from: String,
    /// A CA certificate (PEM) trusted besides the system's, for a relay whose certificate a
    /// private CA issued.
    pub extra_ca_pem: Option<Vec<u8>>,
}

impl MailSettings {
    /// Checks every value now, so a typo stops startup instead of the first invitation.
    pub fn parse(url: &str, from: &str, extra_ca_pem: Option<Vec<u8>>) -> Result<Self, String> {
        transport(url, None).map_err(|e| {
            format!(
                "COACHROOM_SMTP_URL: expected smtps://[user:pass@]host[:port] (TLS), \
                 smtp://[user:pass@]host[:port]?tls=required (STARTTLS) or \
                 smtp://[user:pass@]host[:port] (plain, to a local relay): {e}"
            )
        })?;
        if let Some(pem) = &extra_ca_pem {
            // lettre takes a file without certificates as an empty list: say so instead.
            if !pem
                .windows(b"-----BEGIN CERTIFICATE-----".len())
                .any(|w| w == b"-----BEGIN CERTIFICATE-----")
            {
                return Err("COACHROOM_SMTP_CA_FILE: no PEM certificate in the file".into());
            }
            transport(url, Some(pem)).map_err(|e| format!("COACHROOM_SMTP_CA_FILE: {e}"))?;
        }
        from.parse::<lettre::message::Mailbox>()
            .map_err(|e| format!("COACHROOM_SMTP_FROM: expected an address like Coachroom <no-reply@example.com>: {e}"))?;
        Ok(Self {
            url: url.to_owned(),
            from: from.to_owned(),
            extra_ca_pem,
        })
    }
}

/// [`send_in_background`], unless the address has had its share of emails this window
/// (`COACHROOM_EMAILS_MAX_PER_ADDRESS`); then nothing is sent and the caller answers the same.
pub async fn send_limited(
    state: &super::state::AppState,
    settings: &MailSettings,
    to: &crate::domain::Email,
    subject: String,
    body: String,
) -> Result<(), crate::AppError> {
    if super::throttle::email_to(state, to).await? {
        send_in_background(settings.clone(), to.to_string(), subject, body);
    } else {
        tracing::info!(%subject, "an address had its share of emails this window: not sent");
    }
    Ok(())
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
    transport(&settings.url, settings.extra_ca_pem.as_deref())?
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
            assert!(MailSettings::parse(ok, from, None).is_ok(), "{ok}");
        }
        for bad in [
            "http://x",
            "smtp://host:notaport",
            "smtp://host?tls=sometimes",
        ] {
            let err = MailSettings::parse(bad, from, None).unwrap_err();
            assert!(err.starts_with("COACHROOM_SMTP_URL:"), "{bad}: {err}");
        }
        // An extra CA only makes sense with TLS, and must be a certificate.
        let not_pem = Some(b"not a certificate".to_vec());
        let err = MailSettings::parse("smtps://smtp.example.com", from, not_pem).unwrap_err();
        assert!(err.starts_with("COACHROOM_SMTP_CA_FILE:"), "{err}");
    }
}
