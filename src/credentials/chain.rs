//! The default credentials chain: sources tried in order, the first that works wins and is
//! tried first next time (so a refresh does not walk the failing ones again). When all fail,
//! one error says what to do, then lists the sources that failed and why, then those that are
//! simply not configured (an absent file, unset variables), so that the real failure stands
//! out.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::context::Clock;
use super::{Credentials, CredentialsError, ErrorKind, Provide};

const SOURCE: &str = "default credentials chain";
/// No source has worked yet.
const NONE: usize = usize::MAX;

pub struct Chain {
    /// (name for messages, source), in the order they are tried.
    sources: Vec<(String, Box<dyn Provide>)>,
    /// Index of the source that worked last, or [`NONE`].
    last: AtomicUsize,
    /// What to do when no source works: the first sentence of the error.
    advice: Option<String>,
    /// Seconds since the epoch, to skip credentials a source gave already expired.
    clock: Clock,
}

impl Chain {
    pub fn new(sources: Vec<(String, Box<dyn Provide>)>) -> Self {
        Chain {
            sources,
            last: AtomicUsize::new(NONE),
            advice: None,
            clock: std::sync::Arc::new(crate::clock::now_secs),
        }
    }

    /// The chain, judging expirations by `clock` (a [`super::Context`]'s).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The chain, its all-failed error starting with `advice` (what to do to get credentials).
    pub fn with_advice(mut self, advice: impl Into<String>) -> Self {
        self.advice = Some(advice.into());
        self
    }

    /// Name of the source that worked last, if any has.
    pub fn last_used(&self) -> Option<&str> {
        self.sources
            .get(self.last.load(Ordering::Relaxed))
            .map(|(name, _)| name.as_str())
    }

    /// Names of the sources, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.sources.iter().map(|(name, _)| name.as_str())
    }
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain")
            .field("sources", &self.names().collect::<Vec<_>>())
            .field("last_used", &self.last_used())
            .finish()
    }
}

/// One line of the summary. A source whose error already starts with its name (e.g. "ECS RAM
/// role" and "ECS RAM role (http://100.100.100.200)") is shown by its error alone; nested
/// multi-line messages are indented under their line.
fn line(name: &str, e: &CredentialsError) -> String {
    let text = if e.source.starts_with(name) {
        e.to_string()
    } else {
        format!("{name}: {e}")
    };
    format!("  - {}", text.replace('\n', "\n    "))
}

/// The kind of the chain's error, from the kinds of the sources that failed (absent ones
/// aside): not configured when none failed (there is simply nothing to get credentials from),
/// else the most transient of them (transport, then service, then configuration), so that a
/// caller or the cache that may retry does so whenever a retry could help.
fn summary_kind(failed: &[ErrorKind]) -> ErrorKind {
    [ErrorKind::Transport, ErrorKind::Service, ErrorKind::Config]
        .into_iter()
        .find(|k| failed.contains(k))
        .unwrap_or(ErrorKind::NotConfigured)
}

impl Provide for Chain {
    fn provide(&self) -> Result<Credentials, CredentialsError> {
        if self.sources.is_empty() {
            return Err(CredentialsError::config(
                SOURCE,
                "no credential sources configured",
            ));
        }
        let last = self.last.load(Ordering::Relaxed);
        let order = (last < self.sources.len())
            .then_some(last)
            .into_iter()
            .chain((0..self.sources.len()).filter(|&i| i != last));
        let mut failures = Vec::new();
        let mut kinds = Vec::new();
        let mut absent = Vec::new();
        for i in order {
            let (name, source) = &self.sources[i];
            let outcome = source.provide().and_then(|c| match c.expiration() {
                // The next source may do better than credentials that cannot be used.
                Some(e) if e <= (self.clock)() => Err(CredentialsError::service(
                    name.clone(),
                    "gave credentials that had already expired",
                )),
                _ => Ok(c),
            });
            match outcome {
                Ok(credentials) => {
                    if i != last {
                        log::debug!("{SOURCE}: using {name}");
                    }
                    self.last.store(i, Ordering::Relaxed);
                    return Ok(credentials);
                }
                Err(e) => {
                    log::debug!("{SOURCE}: {name} failed: {e}");
                    if e.is_not_configured() {
                        absent.push(line(name, &e));
                    } else {
                        kinds.push(e.kind);
                        failures.push(line(name, &e));
                    }
                }
            }
        }
        let mut message = String::from("no source gave credentials.");
        if let Some(advice) = &self.advice {
            message.push(' ');
            message.push_str(advice);
        }
        if !failures.is_empty() {
            message.push_str("\nFailed, in the order tried:\n");
            message.push_str(&failures.join("\n"));
        }
        if !absent.is_empty() {
            message.push_str("\nNot configured:\n");
            message.push_str(&absent.join("\n"));
        }
        Err(CredentialsError::new(summary_kind(&kinds), SOURCE, message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;
    use std::sync::Arc;

    /// A source that fails while `ok` is false and counts its calls.
    struct Fake {
        id: &'static str,
        ok: Arc<std::sync::atomic::AtomicBool>,
        calls: Arc<AtomicU32>,
        error_source: &'static str,
        error: &'static str,
    }

    impl Provide for Fake {
        fn provide(&self) -> Result<Credentials, CredentialsError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if self.ok.load(Ordering::SeqCst) {
                Ok(Credentials::new(
                    self.id,
                    "secret-of-".to_string() + self.id,
                    None,
                    None,
                ))
            } else {
                Err(CredentialsError::service(self.error_source, self.error))
            }
        }
    }

    struct Handle {
        ok: Arc<std::sync::atomic::AtomicBool>,
        calls: Arc<AtomicU32>,
    }

    impl Handle {
        fn set(&self, ok: bool) {
            self.ok.store(ok, Ordering::SeqCst);
        }
        fn calls(&self) -> u32 {
            self.calls.swap(0, Ordering::SeqCst)
        }
    }

    fn fake(
        name: &'static str,
        ok: bool,
        error_source: &'static str,
        error: &'static str,
    ) -> ((String, Box<dyn Provide>), Handle) {
        let okf = Arc::new(std::sync::atomic::AtomicBool::new(ok));
        let calls = Arc::new(AtomicU32::new(0));
        let source = Fake {
            id: name,
            ok: okf.clone(),
            calls: calls.clone(),
            error_source,
            error,
        };
        (
            (name.to_string(), Box::new(source)),
            Handle { ok: okf, calls },
        )
    }

    #[test]
    fn first_success_wins_in_order() {
        let (a, ha) = fake("a", false, "a", "nope");
        let (b, hb) = fake("b", true, "b", "-");
        let (c, hc) = fake("c", true, "c", "-");
        let chain = Chain::new(vec![a, b, c]);
        assert_eq!(chain.last_used(), None);
        assert_eq!(chain.provide().unwrap().access_key_id(), "b");
        assert_eq!(chain.last_used(), Some("b"));
        assert_eq!((ha.calls(), hb.calls(), hc.calls()), (1, 1, 0));
    }

    #[test]
    fn the_source_that_worked_is_tried_first() {
        let (a, ha) = fake("a", false, "a", "nope");
        let (b, hb) = fake("b", true, "b", "-");
        let chain = Chain::new(vec![a, b]);
        chain.provide().unwrap();
        ha.calls();
        hb.calls();
        // Even once `a` works again, `b` keeps being used while it works.
        ha.set(true);
        assert_eq!(chain.provide().unwrap().access_key_id(), "b");
        assert_eq!((ha.calls(), hb.calls()), (0, 1));
        // When `b` fails, the others are tried in order and the new winner is remembered.
        hb.set(false);
        assert_eq!(chain.provide().unwrap().access_key_id(), "a");
        assert_eq!((ha.calls(), hb.calls()), (1, 1));
        assert_eq!(chain.last_used(), Some("a"));
        assert_eq!(chain.provide().unwrap().access_key_id(), "a");
        assert_eq!((ha.calls(), hb.calls()), (1, 0));
    }

    #[test]
    fn all_failing_lists_every_source_in_the_order_tried() {
        let (a, _) = fake(
            "environment variables",
            false,
            "environment variables",
            "OSS_ACCESS_KEY_ID is not set",
        );
        let (b, hb) = fake(
            "ECS RAM role",
            true,
            "ECS RAM role (http://100.100.100.200)",
            "connection refused",
        );
        let (c, _) = fake(
            "credentials.ini",
            false,
            "profile 'default' in /h/.alibabacloud/credentials.ini",
            "no such profile\n(second line)",
        );
        let chain = Chain::new(vec![a, b, c]);
        chain.provide().unwrap();
        hb.set(false);
        let e = chain.provide().unwrap_err();
        assert_eq!(e.source, "default credentials chain");
        assert_eq!(
            e.message,
            "no source gave credentials.\n\
             Failed, in the order tried:\n\
             \x20 - ECS RAM role (http://100.100.100.200): connection refused\n\
             \x20 - environment variables: OSS_ACCESS_KEY_ID is not set\n\
             \x20 - credentials.ini: profile 'default' in /h/.alibabacloud/credentials.ini: \
             no such profile\n\
             \x20   (second line)"
        );
        // The last success is still reported: nothing better has replaced it.
        assert_eq!(chain.last_used(), Some("ECS RAM role"));
    }

    /// The chain's error has the kind of its most transient failure; not configured only when
    /// nothing failed.
    #[test]
    fn the_chain_error_kind() {
        use ErrorKind::*;
        assert_eq!(summary_kind(&[]), NotConfigured);
        assert_eq!(summary_kind(&[Config]), Config);
        assert_eq!(summary_kind(&[Config, Service]), Service);
        assert_eq!(summary_kind(&[Service, Transport, Config]), Transport);
    }

    /// Absent sources are listed apart from failing ones, after the advice.
    #[test]
    fn not_configured_sources_are_listed_apart() {
        struct Absent(&'static str);
        impl Provide for Absent {
            fn provide(&self) -> Result<Credentials, CredentialsError> {
                Err(CredentialsError::not_configured(self.0, "no such file"))
            }
        }
        let (broken, _) = fake("ini", false, "ini", "line 3: expected 'key = value'");
        let chain = Chain::new(vec![
            ("env".into(), Box::new(Absent("env"))),
            broken,
            ("json".into(), Box::new(Absent("json"))),
        ])
        .with_advice("Set X.");
        let e = chain.provide().unwrap_err();
        assert_eq!(
            e.message,
            "no source gave credentials. Set X.\n\
             Failed, in the order tried:\n\
             \x20 - ini: line 3: expected 'key = value'\n\
             Not configured:\n\
             \x20 - env: no such file\n\
             \x20 - json: no such file"
        );
        assert_eq!(e.kind, ErrorKind::Service); // the failure's kind
        let only_absent = Chain::new(vec![("env".into(), Box::new(Absent("env")) as _)]);
        let e = only_absent.provide().unwrap_err();
        assert_eq!(
            e.message,
            "no source gave credentials.\nNot configured:\n  - env: no such file"
        );
        assert!(e.is_not_configured());
    }

    #[test]
    fn empty_chain() {
        let chain = Chain::new(Vec::new());
        let e = chain.provide().unwrap_err();
        assert!(e.to_string().contains("no credential sources"), "{e}");
        assert_eq!(chain.last_used(), None);
    }

    #[test]
    fn debug_shows_names_not_credentials() {
        let (a, _) = fake("a", true, "a", "-");
        let chain = Chain::new(vec![a]);
        chain.provide().unwrap();
        let shown = format!("{chain:?}");
        assert!(shown.contains("\"a\""), "{shown}");
        assert!(!shown.contains("secret-of-a"), "{shown}");
    }

    #[test]
    fn shared_across_threads() {
        let (a, _) = fake("a", false, "a", "nope");
        let (b, hb) = fake("b", true, "b", "-");
        let chain = Arc::new(Chain::new(vec![a, b]));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let chain = chain.clone();
                std::thread::spawn(move || chain.provide().unwrap().access_key_id().to_string())
            })
            .collect();
        for t in threads {
            assert_eq!(t.join().unwrap(), "b");
        }
        assert_eq!(hb.calls(), 8);
    }

    /// A source whose credentials expired is passed over, as a failure.
    #[test]
    fn expired_credentials_are_a_failure() {
        struct Expired;
        impl Provide for Expired {
            fn provide(&self) -> Result<Credentials, CredentialsError> {
                Ok(Credentials::new("old", "s", None, Some(1)))
            }
        }
        struct Fresh;
        impl Provide for Fresh {
            fn provide(&self) -> Result<Credentials, CredentialsError> {
                Ok(Credentials::new("new", "s", None, None))
            }
        }
        let chain = Chain::new(vec![
            ("expired".into(), Box::new(Expired)),
            ("fresh".into(), Box::new(Fresh)),
        ]);
        assert_eq!(chain.provide().unwrap().access_key_id(), "new");
        assert_eq!(chain.last_used(), Some("fresh"));
        let only = Chain::new(vec![(
            "expired".into(),
            Box::new(Expired) as Box<dyn Provide>,
        )]);
        let e = only.provide().unwrap_err();
        assert!(
            e.message
                .contains("expired: gave credentials that had already expired"),
            "{e}"
        );
    }

    /// Expiry is judged by the chain's clock (a context's), not the process clock.
    #[test]
    fn expiry_reads_the_chain_clock() {
        struct ExpiresAt100;
        impl Provide for ExpiresAt100 {
            fn provide(&self) -> Result<Credentials, CredentialsError> {
                Ok(Credentials::new("id", "s", None, Some(100)))
            }
        }
        let at = |now: i64| {
            Chain::new(vec![(
                "source".into(),
                Box::new(ExpiresAt100) as Box<dyn Provide>,
            )])
            .with_clock(std::sync::Arc::new(move || now))
        };
        assert_eq!(at(99).provide().unwrap().access_key_id(), "id");
        assert!(at(100).provide().is_err());
    }
}
