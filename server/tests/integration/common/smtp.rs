//! A tiny real SMTP server for tests: it speaks enough of the protocol for lettre and keeps every
//! message it receives.

use super::{Backend, TestApp, PASSWORD};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::rustls;

#[derive(Debug, Clone, Default)]
pub struct Received {
    pub recipients: Vec<String>,
    pub data: String,
}

pub struct FakeSmtp {
    pub port: u16,
    pub messages: Arc<Mutex<Vec<Received>>>,
    /// With implicit TLS: the PEM of the CA that issued the stand-in's certificate (for
    /// 127.0.0.1), which the app must be told to trust.
    pub ca_pem: Option<String>,
}

impl FakeSmtp {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
        let port = listener.local_addr().expect("smtp addr").port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let store = messages.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(session(socket, store.clone()));
            }
        });
        Self {
            port,
            messages,
            ca_pem: None,
        }
    }

    /// The same stand-in behind implicit TLS (`smtps://`), with a certificate for 127.0.0.1
    /// from a CA made here.
    pub async fn start_tls() -> Self {
        let ca_key = rcgen::KeyPair::generate().expect("CA key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::new()).expect("CA params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Coachroom test CA");
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let key = rcgen::KeyPair::generate().expect("server key");
        // For the IP: a host without IPv6 would fail `localhost` at its first address (::1).
        let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".into()])
            .expect("server params")
            .signed_by(&key, &issuer)
            .expect("server certificate");
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .expect("TLS config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtps");
        let port = listener.local_addr().expect("smtps addr").port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let store = messages.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let store = store.clone();
                tokio::spawn(async move {
                    // A client that does not trust the certificate ends here: no message.
                    if let Ok(tls) = acceptor.accept(socket).await {
                        session(tls, store).await;
                    }
                });
            }
        });
        Self {
            port,
            messages,
            ca_pem: Some(ca_cert.pem()),
        }
    }

    pub fn url(&self) -> String {
        match self.ca_pem {
            Some(_) => format!("smtps://127.0.0.1:{}", self.port),
            None => format!("smtp://127.0.0.1:{}", self.port),
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.messages.lock().expect("smtp lock").clone()
    }

    /// The messages sent to `to`, as text (quoted-printable soft line breaks undone).
    pub fn mail_to(&self, to: &str) -> Vec<String> {
        self.received()
            .into_iter()
            .filter(|m| m.recipients.iter().any(|r| r == to))
            .map(|m| m.data.replace("=\r\n", "").replace("=\n", ""))
            .collect()
    }
}

impl FakeSmtp {
    /// Waits (up to 10 s) until `to` has received `count` messages, then returns them all: the
    /// app sends some emails after it has answered.
    pub async fn wait_for_mail(&self, to: &str, count: usize) -> Vec<String> {
        for _ in 0..200 {
            let messages = self.mail_to(to);
            if messages.len() >= count {
                return messages;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("{to} never received {count} message(s)");
    }
}

/// The token of the first link under `path_prefix` in a message.
pub fn link_token(message: &str, path_prefix: &str) -> Option<String> {
    let start = message.find(path_prefix)? + path_prefix.len();
    Some(
        message[start..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .collect(),
    )
}

impl TestApp {
    /// An app that emails through a fresh SMTP stand-in.
    pub async fn start_with_mail(backend: Backend) -> Option<(TestApp, FakeSmtp)> {
        let smtp = FakeSmtp::start().await;
        let url = smtp.url();
        let app = TestApp::start_with(backend, |cli| {
            cli.smtp_url = Some(url);
            cli.smtp_from = Some("Coachroom <no-reply@coachroom.test>".into());
        })
        .await?;
        Some((app, smtp))
    }

    /// Invites the client and joins through the link in their inbox (with SMTP the coach never
    /// sees it); returns the client's signed-in HTTP client.
    pub async fn join_by_mail(
        &self,
        smtp: &FakeSmtp,
        coach: &reqwest::Client,
        client_id: &str,
        client_email: &str,
    ) -> reqwest::Client {
        let already = smtp.mail_to(client_email).len();
        let link = self
            .ok(coach, "invites/send", &[("client_id", client_id)])
            .await;
        assert_eq!(link["emailed"], true, "{link}");
        let message = smtp
            .wait_for_mail(client_email, already + 1)
            .await
            .pop()
            .expect("an invitation");
        let token = link_token(&message, "/invite/").expect("a link");
        let client = self.client();
        self.ok(
            &client,
            "invites/accept",
            &[("token", &token), ("password", PASSWORD)],
        )
        .await;
        client
    }

    /// Signs a coach up through the emailed link (how sign-up works once SMTP is set); returns
    /// their signed-in client.
    pub async fn signup_coach_by_link(
        &self,
        smtp: &FakeSmtp,
        name: &str,
        email: &str,
    ) -> reqwest::Client {
        let browser = self.client();
        let started = self
            .ok(
                &browser,
                "auth/signup",
                &[("name", name), ("email", email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(started["outcome"], "check_email", "{started}");
        let already = smtp.mail_to(email).len();
        let message = smtp
            .wait_for_mail(email, already + 1)
            .await
            .pop()
            .expect("a sign-up email");
        let token = link_token(&message, "/signup/confirm/").expect("a link");
        let me = self
            .ok(
                &browser,
                "auth/signup/confirm",
                &[("token", &token), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(me["email"], email);
        browser
    }
}

async fn session(socket: impl AsyncRead + AsyncWrite + Unpin, store: Arc<Mutex<Vec<Received>>>) {
    let (read, mut write) = tokio::io::split(socket);
    let mut lines = BufReader::new(read).lines();
    let mut current = Received::default();
    if write.write_all(b"220 fake.test ESMTP\r\n").await.is_err() {
        return;
    }
    while let Ok(Some(line)) = lines.next_line().await {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            b"250 fake.test\r\n"
        } else if upper.starts_with("MAIL FROM") {
            current = Received::default();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO") {
            current.recipients.push(
                line[8..]
                    .trim()
                    .trim_matches(|c| c == '<' || c == '>')
                    .to_owned(),
            );
            b"250 OK\r\n"
        } else if upper == "DATA" {
            if write.write_all(b"354 go ahead\r\n").await.is_err() {
                return;
            }
            while let Ok(Some(data_line)) = lines.next_line().await {
                if data_line == "." {
                    break;
                }
                current.data.push_str(&data_line);
                current.data.push('\n');
            }
            store
                .lock()
                .expect("smtp lock")
                .push(std::mem::take(&mut current));
            b"250 queued\r\n"
        } else if upper == "QUIT" {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"250 OK\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}
