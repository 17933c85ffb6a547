//! Checks of `spec.charts` and `spec.manifests`: a mirror is a URL choreoctl can pull from, and
//! plain HTTP is used only when asked for, and beyond loopback only when the user says so twice.

use serde_saphyr::Spanned;

use super::model::Profile;
use crate::source::{LocatedError, SourceFile};

/// The parts of a mirror URL the checks look at.
struct MirrorUrl<'a> {
    scheme: &'a str,
    host: &'a str,
}

/// Which mirror is checked, for the wording of errors.
#[derive(Clone, Copy)]
enum Kind {
    Charts,
    Manifests,
}

impl Kind {
    fn field(self) -> &'static str {
        match self {
            Kind::Charts => "spec.charts.mirror",
            Kind::Manifests => "spec.manifests.mirror",
        }
    }

    fn shape(self) -> &'static str {
        match self {
            Kind::Charts => "`oci://host[:port]/path`",
            Kind::Manifests => "`https://host[:port]/path` (or `file:///path`)",
        }
    }
}

/// Checks both mirrors of a parsed profile.
pub fn check(profile: &Profile, source: &SourceFile) -> Result<(), Box<LocatedError>> {
    if let Some(charts) = &profile.spec.charts {
        if let Some(mirror) = &charts.mirror {
            check_one(
                source,
                Kind::Charts,
                mirror,
                charts.plain_http,
                charts.insecure_non_loopback,
            )?;
        } else if charts.plain_http || charts.insecure_non_loopback {
            return Err(no_mirror(source, "spec.charts"));
        }
    }
    if let Some(manifests) = &profile.spec.manifests {
        if let Some(mirror) = &manifests.mirror {
            check_one(
                source,
                Kind::Manifests,
                mirror,
                manifests.plain_http,
                manifests.insecure_non_loopback,
            )?;
        } else if manifests.plain_http || manifests.insecure_non_loopback {
            return Err(no_mirror(source, "spec.manifests"));
        }
    }
    Ok(())
}

fn no_mirror(source: &SourceFile, section: &str) -> Box<LocatedError> {
    let line = source
        .text
        .lines()
        .position(|line| {
            let key = section.rsplit('.').next().unwrap_or(section);
            line.trim_start().starts_with(&format!("{key}:"))
        })
        .map_or(1, |index| index + 1);
    source.error_at_line(
        line,
        1,
        format!("{section} sets plainHttp or insecureNonLoopback but no mirror"),
        Some(format!(
            "add `mirror:` to {section}, or drop plainHttp and insecureNonLoopback"
        )),
    )
}

fn check_one(
    source: &SourceFile,
    kind: Kind,
    mirror: &Spanned<String>,
    plain_http: bool,
    insecure_non_loopback: bool,
) -> Result<(), Box<LocatedError>> {
    let error =
        |message: String, help: String| source.error_at(mirror.referenced, message, Some(help));
    let field = kind.field();
    let url = parse(&mirror.value).map_err(|why| {
        error(
            format!("{field} `{}` is not a valid URL: {why}", mirror.value),
            format!("write it as {}", kind.shape()),
        )
    })?;
    let plain = match (kind, url.scheme) {
        (Kind::Charts, "oci") => plain_http,
        (Kind::Charts, "https" | "http") => {
            return Err(error(
                format!(
                    "{field} `{}` is a classic chart repository; choreoctl pulls every chart as \
                     `<mirror>/<chart>` from an OCI registry",
                    mirror.value
                ),
                format!(
                    "push the charts to an OCI registry (`helm push`) and write the mirror as {}",
                    kind.shape()
                ),
            ));
        }
        (Kind::Manifests, "https") if plain_http => {
            return Err(error(
                format!("{field} `{}` is https but plainHttp is true", mirror.value),
                "drop `plainHttp: true`, or use an `http://` URL if the mirror only speaks plain HTTP"
                    .into(),
            ));
        }
        (Kind::Manifests, "https") => false,
        (Kind::Manifests, "http") if !plain_http => {
            return Err(error(
                format!(
                    "{field} `{}` is plain HTTP, which needs `plainHttp: true`",
                    mirror.value
                ),
                "use an `https://` mirror, or add `plainHttp: true` to spec.manifests (loopback mirrors only)"
                    .into(),
            ));
        }
        (Kind::Manifests, "http") => true,
        (Kind::Manifests, "file") => {
            if !matches!(url.host, "" | "localhost") {
                return Err(error(
                    format!(
                        "{field} `{}` names host `{}`; a file URL is read on this machine",
                        mirror.value, url.host
                    ),
                    "write it as `file:///absolute/path`".into(),
                ));
            }
            if plain_http || insecure_non_loopback {
                return Err(error(
                    format!(
                        "{field} `{}` is a local directory; plainHttp and insecureNonLoopback do not apply",
                        mirror.value
                    ),
                    "drop plainHttp and insecureNonLoopback from spec.manifests".into(),
                ));
            }
            return Ok(());
        }
        (_, scheme) => {
            return Err(error(
                format!(
                    "{field} `{}` has scheme `{scheme}`, which choreoctl cannot pull from",
                    mirror.value
                ),
                format!("write it as {}", kind.shape()),
            ));
        }
    };
    if !plain && insecure_non_loopback {
        return Err(error(
            format!(
                "insecureNonLoopback is set but {field} `{}` does not use plain HTTP",
                mirror.value
            ),
            "drop `insecureNonLoopback: true`: it only allows plain HTTP beyond loopback".into(),
        ));
    }
    if plain && !is_loopback(url.host) && !insecure_non_loopback {
        return Err(error(
            format!(
                "{field} `{}` would be reached over plain HTTP on `{}`, which is not a loopback \
                 host: anyone on the network path can read and change what is pulled",
                mirror.value, url.host
            ),
            "serve the mirror over TLS; for a lab network you trust, also set \
             `insecureNonLoopback: true` next to `plainHttp: true`"
                .into(),
        ));
    }
    Ok(())
}

/// Splits `scheme://host[:port][/path]`, rejecting what would not work as a mirror prefix.
fn parse(text: &str) -> Result<MirrorUrl<'_>, String> {
    let (scheme, rest) = text
        .split_once("://")
        .ok_or_else(|| "it has no scheme (such as `oci://` or `https://`)".to_string())?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '+')
    {
        return Err(format!("`{scheme}` is not a scheme"));
    }
    if let Some(c) = text
        .chars()
        .find(|c| c.is_whitespace() || *c == '?' || *c == '#')
    {
        return Err(format!(
            "it contains `{}`; a mirror is a prefix that chart and file names are appended to",
            c.escape_default()
        ));
    }
    let authority = rest.split('/').next().unwrap_or("");
    if authority.contains('@') {
        return Err(
            "it carries credentials; log in with `helm registry login` or a .netrc instead".into(),
        );
    }
    if scheme == "file" {
        return Ok(MirrorUrl {
            scheme,
            host: authority,
        });
    }
    let (host, port) =
        if let Some(bracketed) = authority.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| "an IPv6 address lacks its closing `]`".to_string())?;
            if host.is_empty()
                || !host
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
            {
                return Err(format!("`[{host}]` is not an IPv6 address"));
            }
            (
                host,
                match after {
                    "" => None,
                    _ => Some(after.strip_prefix(':').ok_or_else(|| {
                        format!("`{after}` after the IPv6 address is not `:port`")
                    })?),
                },
            )
        } else {
            match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
    if host.is_empty() {
        return Err("it has no host".into());
    }
    if !authority.starts_with('[')
        && (!host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            || host.starts_with(['-', '.'])
            || host.ends_with('-'))
    {
        return Err(format!("`{host}` is not a host name"));
    }
    if let Some(port) = port {
        match port.parse::<u16>() {
            Ok(number) if number > 0 && !port.starts_with('+') => {}
            _ => return Err(format!("`{port}` is not a port (1-65535)")),
        }
    }
    Ok(MirrorUrl { scheme, host })
}

/// `localhost`, 127.0.0.0/8 or ::1.
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::{is_loopback, parse};
    use crate::profile::load;
    use crate::source::SourceFile;

    fn profile(sources: &str) -> Result<(), String> {
        let text = format!(
            "apiVersion: choreoctl.openchoreo.dev/v1alpha1\nkind: Profile\nmetadata: {{name: t}}\n\
             spec:\n  planes: [{{name: control, type: control}}]\n{sources}"
        );
        load::parse(&SourceFile::new("p.yaml", text))
            .map(|_| ())
            .map_err(|error| error.message.clone())
    }

    #[test]
    fn accepts_the_mirrors_users_write() {
        for sources in [
            "  charts: {mirror: oci://registry.internal/choreo}\n",
            "  charts: {mirror: 'oci://127.0.0.1:5000/choreo', plainHttp: true}\n",
            "  charts: {mirror: 'oci://[::1]:5000/choreo/', plainHttp: true}\n",
            "  charts: {mirror: 'oci://lab:5000/c', plainHttp: true, insecureNonLoopback: true}\n",
            "  manifests: {mirror: https://mirror.internal/manifests}\n",
            "  manifests: {mirror: 'http://localhost:8080', plainHttp: true}\n",
            "  manifests: {mirror: 'http://10.1.2.3', plainHttp: true, insecureNonLoopback: true}\n",
            "  manifests: {mirror: 'file:///srv/manifests'}\n",
        ] {
            assert_eq!(profile(sources), Ok(()), "{sources}");
        }
    }

    #[test]
    fn parses_mirror_urls() {
        let url = parse("oci://127.0.0.1:5000/choreo").unwrap();
        assert_eq!((url.scheme, url.host), ("oci", "127.0.0.1"));
        let url = parse("https://[::1]:8443/m/").unwrap();
        assert_eq!((url.scheme, url.host), ("https", "::1"));
        assert_eq!(parse("file:///srv/mirror").unwrap().host, "");
        for bad in [
            "registry.internal/choreo",
            "oci://",
            "oci://host:0/x",
            "oci://host:99999/x",
            "oci://user:pw@host/x",
            "https://host/x?y",
            "oci://ho st/x",
            "oci://[::1/x",
            "OCI://host/x",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn loopback_hosts() {
        for host in ["localhost", "127.0.0.1", "127.1.2.3", "::1"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "10.0.0.1",
            "registry.internal",
            "localhost.example.com",
            "::2",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
