//! Credentials from the environment: `OSS_ACCESS_KEY_ID` / `OSS_ACCESS_KEY_SECRET` /
//! `OSS_SESSION_TOKEN` (oss2's names), else `ALIBABA_CLOUD_ACCESS_KEY_ID` /
//! `ALIBABA_CLOUD_ACCESS_KEY_SECRET` / `ALIBABA_CLOUD_SECURITY_TOKEN` (the credentials tool's).

use crate::credentials::context::{given, Context, Lookup};
use crate::credentials::{Credentials, CredentialsError, Provide};

const SOURCE: &str = "environment variables";

/// One family of variable names.
struct Names {
    id: &'static str,
    secret: &'static str,
    token: &'static str,
}

const FAMILIES: [Names; 2] = [
    Names {
        id: "OSS_ACCESS_KEY_ID",
        secret: "OSS_ACCESS_KEY_SECRET",
        token: "OSS_SESSION_TOKEN",
    },
    Names {
        id: "ALIBABA_CLOUD_ACCESS_KEY_ID",
        secret: "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        token: "ALIBABA_CLOUD_SECURITY_TOKEN",
    },
];

/// Reads credentials through `lookup` (the process environment in production), so tests need
/// not mutate the real environment. Empty values count as unset.
pub fn from_lookup(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Credentials, CredentialsError> {
    let get = |name: &str| given(lookup(name));
    for names in &FAMILIES {
        let Some(id) = get(names.id) else { continue };
        let Some(secret) = get(names.secret) else {
            return Err(CredentialsError::config(
                SOURCE,
                format!(
                    "{} is set but {} is missing or empty",
                    names.id, names.secret
                ),
            ));
        };
        return Ok(Credentials::new(id, secret, get(names.token), None));
    }
    // A secret or token without its id is a mistake to point out; nothing at all is a source
    // that is simply not in use.
    for names in &FAMILIES {
        for set in [names.secret, names.token] {
            if get(set).is_some() {
                return Err(CredentialsError::config(
                    SOURCE,
                    format!(
                        "{set} is set, but neither OSS_ACCESS_KEY_ID nor \
                         ALIBABA_CLOUD_ACCESS_KEY_ID is"
                    ),
                ));
            }
        }
    }
    Err(CredentialsError::not_configured(
        SOURCE,
        "neither OSS_ACCESS_KEY_ID nor ALIBABA_CLOUD_ACCESS_KEY_ID is set (with its secret \
         in OSS_ACCESS_KEY_SECRET or ALIBABA_CLOUD_ACCESS_KEY_SECRET)",
    ))
}

/// Nothing to set: the variables' names are fixed.
#[derive(Default, Debug, Clone)]
pub struct EnvOptions {}

/// The context's environment, read when [`Env::provide`] is called.
#[derive(Clone)]
pub struct Env {
    env: Lookup,
}

impl Env {
    pub fn new(_options: EnvOptions, ctx: &Context) -> Self {
        Env {
            env: ctx.env.clone(),
        }
    }
}

impl Provide for Env {
    fn provide(&self) -> Result<Credentials, CredentialsError> {
        from_lookup(|name| (self.env)(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::test_util::env;

    #[test]
    fn oss_names_win() {
        let c = from_lookup(env(&[
            ("OSS_ACCESS_KEY_ID", "id1"),
            ("OSS_ACCESS_KEY_SECRET", "s1"),
            ("OSS_SESSION_TOKEN", "t1"),
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "id2"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s2"),
        ]))
        .unwrap();
        assert_eq!(
            (c.access_key_id(), c.access_key_secret(), c.security_token()),
            ("id1", "s1", Some("t1"))
        );
    }

    #[test]
    fn alibaba_cloud_names_second() {
        let c = from_lookup(env(&[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "id2"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s2"),
            ("ALIBABA_CLOUD_SECURITY_TOKEN", ""),
        ]))
        .unwrap();
        assert_eq!(
            (c.access_key_id(), c.access_key_secret(), c.security_token()),
            ("id2", "s2", None)
        );
    }

    #[test]
    fn missing_secret_is_named() {
        let e = from_lookup(env(&[("OSS_ACCESS_KEY_ID", "id1")])).unwrap_err();
        assert!(e.to_string().contains("OSS_ACCESS_KEY_SECRET"), "{e}");
        let e = from_lookup(env(&[])).unwrap_err();
        assert!(e.to_string().contains("OSS_ACCESS_KEY_ID"), "{e}");
        assert!(e.to_string().contains("ALIBABA_CLOUD_ACCESS_KEY_ID"), "{e}");
        assert!(e.is_not_configured());
        let e = from_lookup(env(&[("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s")])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "environment variables: ALIBABA_CLOUD_ACCESS_KEY_SECRET is set, but neither \
             OSS_ACCESS_KEY_ID nor ALIBABA_CLOUD_ACCESS_KEY_ID is"
        );
        assert_eq!(e.kind, crate::credentials::ErrorKind::Config);
    }
}
