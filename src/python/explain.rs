//! What a signature was computed from, for comparing with the StringToSign (and, for V4, the
//! CanonicalRequest) that OSS returns in a `SignatureDoesNotMatch` error.

use pyo3::prelude::*;

use super::resolve::Resolved;
use super::text::bytes_of;
use crate::sign::encode::percent_encode;

const MASK: &str = "******";

/// The stages of one signature. Never holds the secret or the signing key. The attributes are
/// the exact text (the security token included, as OSS signs it); `repr()` and `str()` mask
/// the token.
#[pyclass(frozen, module = "ossauth", name = "SigningDetails")]
#[derive(Clone)]
pub struct SigningDetails {
    /// "v1", "v2" or "v4".
    #[pyo3(get)]
    pub version: &'static str,
    /// V4 only: the canonical request.
    #[pyo3(get)]
    pub canonical_request: Option<String>,
    #[pyo3(get)]
    pub string_to_sign: String,
    #[pyo3(get)]
    pub signature: String,
    /// The Authorization header (header signing) or None.
    #[pyo3(get)]
    pub authorization: Option<String>,
    /// The presigned URL (URL signing) or None.
    #[pyo3(get)]
    pub url: Option<String>,
    /// What `repr()`/`str()` show of the canonical request and string to sign.
    pub shown: Option<(Option<String>, String)>,
}

impl SigningDetails {
    /// The outcome of a signing; the text of each stage only when `explain` asks for it
    /// (formatting it costs allocations on every request otherwise).
    pub fn new(
        version: &'static str,
        explain: bool,
        string_to_sign: &dyn std::fmt::Display,
        signature: String,
        authorization: Option<String>,
        url: Option<String>,
    ) -> Self {
        SigningDetails {
            version,
            canonical_request: None,
            string_to_sign: if explain {
                string_to_sign.to_string()
            } else {
                String::new()
            },
            signature,
            authorization,
            url,
            shown: None,
        }
    }

    /// Finishes the outcome of a signing: when explaining, prepares the masked text for
    /// `repr()`/`str()` (the token raw and percent-encoded, as it appears in headers, V1
    /// resources and V4 queries).
    pub fn finish(mut self, explain: bool, creds: &Resolved<'_>) -> PyResult<Self> {
        if !explain {
            return Ok(self);
        }
        let token = match creds.token() {
            Some(t) => bytes_of(&t)?.map(|b| String::from_utf8_lossy(&b).into_owned()),
            None => None,
        };
        let mask = |text: &str| -> String {
            match token.as_deref().filter(|t| !t.is_empty()) {
                Some(t) => {
                    let encoded =
                        String::from_utf8_lossy(&percent_encode(t.as_bytes(), false)).into_owned();
                    text.replace(t, MASK).replace(&encoded, MASK)
                }
                None => text.to_owned(),
            }
        };
        self.shown = Some((
            self.canonical_request.as_deref().map(mask),
            mask(&self.string_to_sign),
        ));
        Ok(self)
    }

    fn shown(&self) -> (Option<&str>, &str) {
        match &self.shown {
            Some((c, s)) => (c.as_deref(), s),
            None => (self.canonical_request.as_deref(), &self.string_to_sign),
        }
    }
}

#[pymethods]
impl SigningDetails {
    fn __repr__(&self) -> String {
        let (canonical, sts) = self.shown();
        format!(
            "SigningDetails(version={:?}, canonical_request={:?}, string_to_sign={:?}, signature={:?})",
            self.version, canonical, sts, self.signature
        )
    }

    /// A readable multi-line report.
    fn __str__(&self) -> String {
        let (canonical, sts) = self.shown();
        let mut s = String::new();
        if let Some(cr) = canonical {
            s.push_str("CanonicalRequest:\n");
            s.push_str(cr);
            s.push_str("\n\n");
        }
        s.push_str("StringToSign:\n");
        s.push_str(sts);
        s.push_str("\n\nSignature: ");
        s.push_str(&self.signature);
        s
    }
}
