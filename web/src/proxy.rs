//! Behind a reverse proxy: who the client is and whether they came over HTTPS, decided once per
//! request, before any handler runs.
//!
//! `X-Forwarded-For` and `X-Forwarded-Proto` are believed only from a peer in the configured
//! `trusted_proxies`; from anyone else they are removed from the request, so no handler — the
//! rate limits keyed by [`Client`], the `Secure` flag of cookies — can be fooled by a client
//! that writes them itself. Through trusted proxies, the client is the right-most address of
//! `X-Forwarded-For` that is not itself a trusted proxy. A request that arrived over HTTPS gets
//! `Strict-Transport-Security` on its answer.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

use crate::AppState;
use crate::extract::Client;

const FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");

/// Parses the configuration's `trusted_proxies` (`127.0.0.1`, `10.0.0.0/8`, `::1`).
pub fn parse_networks(items: &[String]) -> Result<Vec<IpNet>, String> {
    items
        .iter()
        .map(|text| {
            let text = text.trim();
            text.parse::<IpNet>()
                .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("trusted proxy {text:?} is neither an address nor a network such as 10.0.0.0/8"))
        })
        .collect()
}

fn trusted(networks: &[IpNet], ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    networks.iter().any(|n| n.contains(&ip))
}

/// The client behind `peer`: `peer` itself unless it is a trusted proxy, else the right-most
/// untrusted address `X-Forwarded-For` names (every `X-Forwarded-For` header, in order).
fn client_of(networks: &[IpNet], peer: IpAddr, forwarded: &[&str]) -> IpAddr {
    if !trusted(networks, peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = forwarded.iter().flat_map(|h| h.split(',')).filter_map(|a| a.trim().parse().ok()).collect();
    hops.into_iter().rev().find(|ip| !trusted(networks, *ip)).unwrap_or(peer)
}

/// The middleware: sets the request's [`Client`], strips forwarding headers a client wrote,
/// adds HSTS to answers of requests that came over HTTPS.
pub async fn resolve(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    let networks = &state.config.trusted_proxies;
    let headers = request.headers_mut();
    let client = if trusted(networks, peer) {
        let forwarded: Vec<String> =
            headers.get_all(&FORWARDED_FOR).iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect();
        client_of(networks, peer, &forwarded.iter().map(String::as_str).collect::<Vec<_>>())
    } else {
        headers.remove(&FORWARDED_FOR);
        headers.remove(&FORWARDED_PROTO);
        peer
    };
    let https = headers.get(&FORWARDED_PROTO).and_then(|v| v.to_str().ok()) == Some("https");
    request.extensions_mut().insert(Client(client));
    let mut response = next.run(request).await;
    if https {
        response
            .headers_mut()
            .insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_addresses_count_only_through_trusted_proxies() {
        let nets = parse_networks(&["127.0.0.1".into(), "10.0.0.0/8".into()]).unwrap();
        // A client writing the header itself is still itself.
        assert_eq!(client_of(&nets, ip("203.0.113.9"), &["1.2.3.4"]), ip("203.0.113.9"));
        // Through the proxy: the client the proxy saw; spoofed entries to its left are ignored.
        assert_eq!(client_of(&nets, ip("127.0.0.1"), &["6.6.6.6, 198.51.100.7"]), ip("198.51.100.7"));
        // Two proxies deep.
        assert_eq!(client_of(&nets, ip("127.0.0.1"), &["198.51.100.7", "10.1.2.3"]), ip("198.51.100.7"));
        // Nothing usable: the proxy itself.
        assert_eq!(client_of(&nets, ip("127.0.0.1"), &["garbage"]), ip("127.0.0.1"));
        assert!(trusted(&nets, ip("::ffff:127.0.0.1")));
        assert!(parse_networks(&["not a network".into()]).is_err());
    }
}
