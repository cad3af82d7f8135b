//! `ossauth.oss_v2`'s native part: signers with alibabacloud-oss-v2's `sign(signing_ctx)`,
//! reading its `SigningContext` and `HttpRequest` and writing back what its own signers write.
//! The byte work is in [`crate::sign::oss_v2`]; only reading and writing Python objects is here.

mod context;
mod time;
mod url;
mod v1;
mod v4;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::sign::SigningKeyCache;

/// One signer: version 4 keeps its derived keys (per secret, date, region, product) here.
#[pyclass(name = "_OssV2Signer", module = "ossauth._core", frozen)]
pub struct PyOssV2Signer {
    version: u8,
    keys: SigningKeyCache,
}

#[pymethods]
impl PyOssV2Signer {
    #[new]
    fn new(version: u8) -> PyResult<Self> {
        if version != 1 && version != 4 {
            return Err(PyValueError::new_err(format!(
                "signature version must be 1 or 4, not {version}"
            )));
        }
        Ok(PyOssV2Signer {
            version,
            keys: SigningKeyCache::new(),
        })
    }

    /// Signs `signing_ctx.request` in place, as alibabacloud-oss-v2 1.4.1's signer of the same
    /// version does: headers (or the URL, when `auth_method_query`) and the context's
    /// `string_to_sign`, `signing_time` and `expiration_time`.
    fn sign(&self, signing_ctx: &Bound<'_, PyAny>) -> PyResult<()> {
        let ctx = context::Ctx::read(signing_ctx)?;
        match (self.version, ctx.query) {
            (4, false) => v4::sign_header(&ctx, &self.keys),
            (4, true) => v4::sign_query(&ctx, &self.keys),
            (_, false) => v1::sign_header(&ctx),
            (_, true) => v1::sign_query(&ctx),
        }
    }

    fn __repr__(&self) -> String {
        format!("<ossauth oss-v2 signer V{}>", self.version)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyOssV2Signer>()
}
