//! Where a request whose address an app names (a webhook) may go: the public internet, and the
//! networks the operator allows in the configuration — never, by default, this machine, the
//! private networks behind it or a cloud's metadata service (server-side request forgery).
//!
//! The check is made on the **addresses a name resolves to at send time** (a resolver that
//! drops refused addresses is given to the HTTP client, so a name that points at 127.0.0.1 or
//! changes its answer between two lookups gains nothing), and on an address written in the URL
//! itself, whatever its spelling: `2130706433`, `0x7f.1`, `017700000001` and `[::ffff:7f00:1]`
//! are all 127.0.0.1 once the URL is parsed. Redirects are never followed ([`super::client`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::{ConfigError, SendError};

/// The networks outgoing requests may reach besides the public internet.
#[derive(Debug, Clone, Default)]
pub struct Destinations {
    allowed: Vec<IpNet>,
}

impl Destinations {
    /// From the configuration's list of networks (`10.20.0.0/16`, `192.168.1.7`).
    pub fn new(allowed: &[String]) -> Result<Destinations, ConfigError> {
        let allowed = allowed
            .iter()
            .map(|text| {
                let text = text.trim();
                text.parse::<IpNet>().or_else(|_| text.parse::<IpAddr>().map(IpNet::from)).map_err(|_| {
                    ConfigError(format!(
                        "allowed network {text:?} is neither an address nor a network such as 10.20.0.0/16"
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Destinations { allowed })
    }

    /// May a request go to `ip`?
    pub fn permits(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        is_public(ip) || self.allowed.iter().any(|n| n.contains(&ip))
    }

    /// Checks an address written in the URL (a name is checked when it resolves).
    pub fn check_url(&self, url: &Url) -> Result<(), SendError> {
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            _ => return Ok(()),
        };
        if self.permits(ip) { Ok(()) } else { Err(refused(&ip.to_string())) }
    }

    /// A resolver for the HTTP client that keeps only the addresses this permits.
    pub fn resolver(self: &Arc<Self>) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver { destinations: self.clone() })
    }
}

fn refused(what: &str) -> SendError {
    SendError::Permanent(format!(
        "{what} is a loopback, private, link-local or otherwise reserved address; \
         outgoing requests may not go there unless the operator allows its network"
    ))
}

/// IPv4 carried in IPv6 (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`)
/// is judged as the IPv4 address it carries.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let s = v6.segments();
            if s[..6] == [0, 0, 0, 0, 0, 0] && !v6.is_unspecified() && !v6.is_loopback() {
                return IpAddr::V4(Ipv4Addr::from(((s[6] as u32) << 16) | s[7] as u32));
            }
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return IpAddr::V4(Ipv4Addr::from(((s[6] as u32) << 16) | s[7] as u32));
            }
            ip
        }
        v4 => v4,
    }
}

/// Is `ip` an address on the public internet (not reserved by any RFC for local, private,
/// shared, documentation, benchmarking or future use)?
pub fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0                                  // "this network" (0.0.0.0/8)
        || a == 10                            // private
        || a == 127                           // loopback
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT)
        || (a == 169 && b == 254)             // link-local, cloud metadata 169.254.169.254
        || (a == 172 && (16..32).contains(&b)) // private
        || (a == 192 && b == 0 && c == 0)     // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)     // documentation
        || (a == 192 && b == 88 && c == 99)   // 6to4 relay
        || (a == 192 && b == 168)             // private
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 198 && b == 51 && c == 100)  // documentation
        || (a == 203 && b == 0 && c == 113)   // documentation
        || a >= 224) // multicast, reserved, broadcast
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || (s[0] & 0xfe00) == 0xfc00   // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80   // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0   // site-local (deprecated) fec0::/10
        || (s[0] & 0xff00) == 0xff00   // multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] < 0x0200) // IETF protocol assignments, Teredo
        || s[0] == 0x2002              // 6to4: carries an IPv4 address that is not checked
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0])) // discard-only
}

/// Resolves names for the HTTP client and keeps only permitted addresses; a name left with
/// none fails the request (permanently: the same name will resolve the same way).
pub struct GuardedResolver {
    destinations: Arc<Destinations>,
}

/// A name that resolves only to refused addresses (a permanent failure: see
/// [`super::client::request_error`]).
#[derive(Debug, thiserror::Error)]
#[error("{0} resolves only to addresses outgoing requests may not reach")]
pub struct NoPermittedAddress(String);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let destinations = self.destinations.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let kept: Vec<SocketAddr> = found.filter(|a| destinations.permits(a.ip())).collect();
            if kept.is_empty() {
                return Err(Box::new(NoPermittedAddress(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url_permitted(d: &Destinations, text: &str) -> bool {
        d.check_url(&Url::parse(text).unwrap()).is_ok()
    }

    #[test]
    fn local_private_and_metadata_addresses_are_refused_in_every_spelling() {
        let d = Destinations::default();
        for url in [
            "http://127.0.0.1/",
            "http://127.1/",
            "http://2130706433/",
            "http://0x7f.0.0.1/",
            "http://017700000001/",
            "http://0.0.0.0/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://100.64.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/",
            "http://[::]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::a00:1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://255.255.255.255/",
            "http://224.0.0.1/",
        ] {
            assert!(!url_permitted(&d, url), "{url} must be refused");
        }
        for url in ["http://114.114.114.114/", "https://[2400:3200::1]/", "https://example.org/"] {
            assert!(url_permitted(&d, url), "{url} is public (a name is checked when it resolves)");
        }
    }

    #[test]
    fn the_operator_allows_networks() {
        let d = Destinations::new(&["10.20.0.0/16".into(), "127.0.0.1".into()]).unwrap();
        assert!(url_permitted(&d, "http://10.20.3.4/"));
        assert!(!url_permitted(&d, "http://10.21.0.1/"));
        assert!(url_permitted(&d, "http://127.0.0.1:9000/hook"));
        assert!(url_permitted(&d, "http://[::ffff:127.0.0.1]/"));
        assert!(Destinations::new(&["not a network".into()]).is_err());
    }

    #[tokio::test]
    async fn names_resolve_only_to_permitted_addresses() {
        let refused = Arc::new(Destinations::default()).resolver();
        assert!(refused.resolve("localhost".parse::<Name>().unwrap()).await.is_err());
        let allowed = Arc::new(Destinations::new(&["127.0.0.0/8".into(), "::1".into()]).unwrap()).resolver();
        let addrs: Vec<SocketAddr> = allowed.resolve("localhost".parse::<Name>().unwrap()).await.unwrap().collect();
        assert!(!addrs.is_empty());
    }
}
