//! OAuth Client ID Metadata Documents: a tool may name itself by an https URL, whose JSON says
//! its name and redirect URIs. Fetching a URL a stranger names is a way into our network, so the
//! fetch is fenced:
//!
//! - https only, to a host whose every address is public (checked after resolving, and the
//!   connection pinned to those addresses, so a second lookup cannot swap in a private one);
//! - no proxy (a proxy would resolve the name itself, past the check); no redirects; an answer
//!   within [`FETCH_TIMEOUT`], of at most [`DOCUMENT_MAX_BYTES`], read in chunks so a huge body
//!   is cut off, not buffered;
//! - at most [`FETCHES_AT_ONCE`] fetches in flight on each app server, name lookups included
//!   (one that outlives its deadline keeps its place until it ends), and only for a signed-in
//!   coach (the consent page asks who is signed in first);
//! - the document's `client_id` must be the URL itself.

use super::oauth::{client_name, redirect_uri_allowed};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tokio::sync::Semaphore;

/// The whole fetch, from the name lookup to the last byte.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// A document is a few hundred bytes of JSON.
pub const DOCUMENT_MAX_BYTES: usize = 16 * 1024;
/// Fetches in flight at once on this app server.
const FETCHES_AT_ONCE: usize = 8;
static FETCHES: LazyLock<Arc<Semaphore>> =
    LazyLock::new(|| Arc::new(Semaphore::new(FETCHES_AT_ONCE)));

/// What a metadata document says about its tool.
#[derive(Debug, Clone)]
pub struct ClientDocument {
    pub name: String,
    pub redirect_uris: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Document {
    client_id: String,
    client_name: Option<String>,
    redirect_uris: Vec<String>,
    token_endpoint_auth_method: Option<String>,
}

/// Whether `client_id` is a URL naming a metadata document (rather than a registered id).
pub fn is_document_url(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

/// Fetches and checks the document at `client_id`. The error is for the consent page: it says
/// what was wrong, never anything of our network.
pub async fn fetch(client_id: &str, loopback_allowed: bool) -> Result<ClientDocument, String> {
    let url = url::Url::parse(client_id).map_err(|_| "its client_id is not a URL".to_owned())?;
    let host = url
        .host_str()
        .ok_or("its client_id URL has no host")?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    // Plain http only in tests, and then only to this machine (checked once resolved).
    let plain_http = loopback_allowed && url.scheme() == "http";
    if !(url.scheme() == "https" || plain_http)
        || url.path() == "/"
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err("its client_id must be an https URL with a path".into());
    }
    let permit = FETCHES
        .clone()
        .try_acquire_owned()
        .map_err(|_| "too many tools are being checked right now; try again in a moment")?;
    let port = url.port_or_known_default().unwrap_or(443);
    let body = tokio::time::timeout(FETCH_TIMEOUT, async {
        // The lookup holds the place: a lookup cannot be cancelled, so one past the deadline
        // keeps it until it ends, and stuck lookups cannot pile up beyond the limit.
        let lookup_host = host.clone();
        let (_permit, looked_up) = tokio::task::spawn_blocking(move || {
            let found = (lookup_host.as_str(), port).to_socket_addrs();
            (permit, found.map(Iterator::collect::<Vec<SocketAddr>>))
        })
        .await
        .map_err(|_| "its client_id's host was not found".to_owned())?;
        let addresses = looked_up.map_err(|_| "its client_id's host was not found".to_owned())?;
        let allowed = |ip: IpAddr| {
            if plain_http {
                ip.is_loopback()
            } else {
                is_public(ip) || (loopback_allowed && ip.is_loopback())
            }
        };
        if addresses.is_empty() || !addresses.iter().all(|a| allowed(a.ip())) {
            return Err("its client_id's host is not a public address".to_owned());
        }
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(FETCH_TIMEOUT)
            .resolve_to_addrs(&host, &addresses)
            .build()
            .map_err(|e| {
                tracing::warn!(error = %e, "could not build the document fetcher");
                "its metadata document could not be fetched".to_owned()
            })?;
        let mut response = http
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|_| "its metadata document could not be fetched".to_owned())?;
        if response.status().is_redirection() {
            return Err("its metadata document redirects elsewhere".to_owned());
        }
        if !response.status().is_success() {
            return Err(format!(
                "its metadata document answered {}",
                response.status().as_u16()
            ));
        }
        if response
            .content_length()
            .is_some_and(|n| n > DOCUMENT_MAX_BYTES as u64)
        {
            return Err("its metadata document is too large".to_owned());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|_| "its metadata document could not be read".to_owned())?
        {
            if body.len() + chunk.len() > DOCUMENT_MAX_BYTES {
                return Err("its metadata document is too large".to_owned());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    })
    .await
    .map_err(|_| "its metadata document did not arrive in time".to_owned())??;
    let document: Document = serde_json::from_slice(&body)
        .map_err(|_| "its metadata document is not a client metadata document".to_owned())?;
    if document.client_id != client_id {
        return Err("its metadata document names another client_id".into());
    }
    if document
        .token_endpoint_auth_method
        .as_deref()
        .is_some_and(|method| method != "none")
    {
        return Err("it wants a client authentication this server does not offer".into());
    }
    if document.redirect_uris.is_empty()
        || document.redirect_uris.len() > super::oauth::REDIRECT_URIS_MAX
        || !document
            .redirect_uris
            .iter()
            .all(|uri| redirect_uri_allowed(uri))
    {
        return Err("its redirect URIs must be https, or http to this computer".into());
    }
    Ok(ClientDocument {
        name: client_name(document.client_name.as_deref())
            .ok_or("its client_name is not one short line")?,
        redirect_uris: document.redirect_uris,
    })
}

/// Whether `ip` is an address on the public internet: not loopback, private, link-local,
/// shared (carrier NAT), documentation, benchmarking, reserved, multicast or unspecified; for
/// IPv6, global unicast (2000::/3) only, and not a form that tunnels to IPv4 (6to4, Teredo,
/// NAT64) or one of the cases above.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || v4.is_unspecified()
                || a == 0
                // 100.64.0.0/10, shared address space.
                || (a == 100 && (64..128).contains(&b))
                // 192.0.0.0/24 protocol assignments, 192.88.99.0/24 6to4 relays.
                || (a == 192 && b == 0 && c == 0)
                || (a == 192 && b == 88 && c == 99)
                // 198.18.0.0/15 benchmarking, 240.0.0.0/4 reserved.
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let [first, second, ..] = v6.segments();
            let global_unicast = (first & 0xe000) == 0x2000;
            global_unicast
                // 2001::/32 Teredo, 2001:db8::/32 documentation, 2001:2::/48 benchmarking,
                // 2002::/16 6to4.
                && !(first == 0x2001 && (second == 0 || second == 0x0db8 || second == 2))
                && first != 0x2002
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_fetched() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "198.18.0.1",
            "240.0.0.1",
            "192.88.99.1",
            "2002:7f00:1::1",
            "2001:0:4136:e378::1",
            "2001:db8::1",
            "fec0::1",
            "::ffff:0:7f00:1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn urls_that_are_not_https_with_a_path_are_not_fetched() {
        for bad in [
            "http://tool.example/client.json",
            "https://tool.example/",
            "https://tool.example/c.json#x",
            "https://user@tool.example/c.json",
            "ftp://tool.example/c.json",
        ] {
            assert!(fetch(bad, false).await.is_err(), "{bad}");
        }
        // A private address is refused before anything is sent.
        let refused = fetch("https://127.0.0.1:9/client.json", false).await;
        assert_eq!(
            refused.unwrap_err(),
            "its client_id's host is not a public address"
        );
    }
}
