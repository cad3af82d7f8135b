//! The default credentials chain: sources tried in order, the first that works wins and is
//! tried first next time (so a refresh does not walk the failing ones again). When all fail,
//! one error lists every source and why.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Credentials, CredentialsError, Provide};

const SOURCE: &str = "default credentials chain";
/// No source has worked yet.
const NONE: usize = usize::MAX;

pub struct Chain {
    /// (name for messages, source), in the order they are tried.
    sources: Vec<(String, Box<dyn Provide>)>,
    /// Index of the source that worked last, or [`NONE`].
    last: AtomicUsize,
}

impl Chain {
    pub fn new(sources: Vec<(String, Box<dyn Provide>)>) -> Self {
        Chain {
            sources,
            last: AtomicUsize::new(NONE),
        }
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

impl Provide for Chain {
    fn provide(&self) -> Result<Credentials, CredentialsError> {
        if self.sources.is_empty() {
            return Err(CredentialsError::new(
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
        for i in order {
            let (name, source) = &self.sources[i];
            let outcome = source.provide().and_then(|c| match c.expiration() {
                // The next source may do better than credentials that cannot be used.
                Some(e) if e <= crate::clock::now_secs() => Err(CredentialsError::new(
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
                    failures.push(line(name, &e));
                }
            }
        }
        Err(CredentialsError::new(
            SOURCE,
            format!(
                "no source gave credentials; tried, in order:\n{}",
                failures.join("\n")
            ),
        ))
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
                Err(CredentialsError::new(self.error_source, self.error))
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
            "no source gave credentials; tried, in order:\n\
             \x20 - ECS RAM role (http://100.100.100.200): connection refused\n\
             \x20 - environment variables: OSS_ACCESS_KEY_ID is not set\n\
             \x20 - credentials.ini: profile 'default' in /h/.alibabacloud/credentials.ini: \
             no such profile\n\
             \x20   (second line)"
        );
        // The last success is still reported: nothing better has replaced it.
        assert_eq!(chain.last_used(), Some("ECS RAM role"));
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
}
