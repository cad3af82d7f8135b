//! What a signature was computed from, for comparing with the StringToSign (and, for V4, the
//! CanonicalRequest) that OSS returns in a `SignatureDoesNotMatch` error.

use pyo3::prelude::*;

/// The stages of one signature. Never holds the secret or the signing key.
#[pyclass(frozen, get_all, module = "ossauth", name = "SigningDetails")]
#[derive(Clone)]
pub struct SigningDetails {
    /// "v1", "v2" or "v4".
    pub version: &'static str,
    /// V4 only: the canonical request.
    pub canonical_request: Option<String>,
    pub string_to_sign: String,
    pub signature: String,
    /// The Authorization header (header signing) or None.
    pub authorization: Option<String>,
    /// The presigned URL (URL signing) or None.
    pub url: Option<String>,
}

#[pymethods]
impl SigningDetails {
    fn __repr__(&self) -> String {
        format!(
            "SigningDetails(version={:?}, canonical_request={:?}, string_to_sign={:?}, signature={:?})",
            self.version, self.canonical_request, self.string_to_sign, self.signature
        )
    }

    /// A readable multi-line report.
    fn __str__(&self) -> String {
        let mut s = String::new();
        if let Some(cr) = &self.canonical_request {
            s.push_str("CanonicalRequest:\n");
            s.push_str(cr);
            s.push_str("\n\n");
        }
        s.push_str("StringToSign:\n");
        s.push_str(&self.string_to_sign);
        s.push_str("\n\nSignature: ");
        s.push_str(&self.signature);
        s
    }
}
