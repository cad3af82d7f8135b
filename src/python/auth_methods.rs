//! The Python methods every auth class shares, written once: oss2's `_sign_request`,
//! `_sign_url`, `_sign_rtmp_url` and `auth_version`, plus the `*_explained` forms. Each version
//! supplies its signing through [`SignVersion`]; [`auth_pymethods!`] makes the `#[pymethods]`.

use pyo3::prelude::*;

use super::auth_base::AuthBase;
use super::explain::SigningDetails;
use super::request::Request;

/// One signature version's header and URL signing.
pub trait SignVersion {
    /// What `auth_version()` returns.
    const VERSION: &'static str;

    /// `explain` asks for the canonical text of each stage in the result (it costs allocations).
    fn sign_request(
        &self,
        base: &AuthBase,
        req: &Request<'_>,
        bucket_name: &Bound<'_, PyAny>,
        key: &Bound<'_, PyAny>,
        in_additional_headers: Option<&Bound<'_, PyAny>>,
        explain: bool,
    ) -> PyResult<SigningDetails>;

    #[allow(clippy::too_many_arguments)]
    fn sign_url(
        &self,
        base: &AuthBase,
        req: &Request<'_>,
        bucket_name: &Bound<'_, PyAny>,
        key: &Bound<'_, PyAny>,
        expires: &Bound<'_, PyAny>,
        in_additional_headers: Option<&Bound<'_, PyAny>>,
        explain: bool,
    ) -> PyResult<SigningDetails>;
}

/// The `#[pymethods]` of a `Provider*` auth class implementing [`SignVersion`] and `Default`.
/// Naming `in_additional_headers` gives `_sign_request`/`_sign_url` oss2's V2/V4 parameter;
/// V1's methods have none, so passing one is a TypeError, as in oss2. Class-specific methods
/// follow in braces (one `#[pymethods]` block per class).
macro_rules! auth_pymethods {
    ($ty:ty $(, $addl:ident)?; { $($extra:tt)* }) => {
        #[pyo3::pymethods]
        impl $ty {
            #[new]
            fn py_new(credentials_provider: Py<PyAny>) -> (Self, AuthBase) {
                (<$ty>::default(), AuthBase::new(credentials_provider))
            }

            #[pyo3(signature = (req, bucket_name, key $(, $addl = None)?))]
            fn _sign_request(
                slf: PyRef<'_, Self>,
                req: &Bound<'_, PyAny>,
                bucket_name: &Bound<'_, PyAny>,
                key: &Bound<'_, PyAny>,
                $($addl: Option<&Bound<'_, PyAny>>,)?
            ) -> PyResult<()> {
                let additional: Option<&Bound<'_, PyAny>> = None $(.or($addl))?;
                let req = Request::of(req)?;
                SignVersion::sign_request(&*slf, slf.as_super(), &req, bucket_name, key, additional, false)
                    .map(drop)
            }

            #[pyo3(signature = (req, bucket_name, key, expires $(, $addl = None)?))]
            fn _sign_url(
                slf: PyRef<'_, Self>,
                req: &Bound<'_, PyAny>,
                bucket_name: &Bound<'_, PyAny>,
                key: &Bound<'_, PyAny>,
                expires: &Bound<'_, PyAny>,
                $($addl: Option<&Bound<'_, PyAny>>,)?
            ) -> PyResult<String> {
                let additional: Option<&Bound<'_, PyAny>> = None $(.or($addl))?;
                let req = Request::of(req)?;
                let d = SignVersion::sign_url(
                    &*slf, slf.as_super(), &req, bucket_name, key, expires, additional, false,
                )?;
                Ok(d.url.unwrap_or_default())
            }

            /// Signs `req` like `_sign_request` and returns each stage's text.
            #[pyo3(signature = (req, bucket_name, key $(, $addl = None)?))]
            fn sign_request_explained(
                slf: PyRef<'_, Self>,
                req: &Bound<'_, PyAny>,
                bucket_name: &Bound<'_, PyAny>,
                key: &Bound<'_, PyAny>,
                $($addl: Option<&Bound<'_, PyAny>>,)?
            ) -> PyResult<SigningDetails> {
                let additional: Option<&Bound<'_, PyAny>> = None $(.or($addl))?;
                let req = Request::of(req)?;
                SignVersion::sign_request(&*slf, slf.as_super(), &req, bucket_name, key, additional, true)
            }

            /// Signs `req` like `_sign_url` and returns the URL with each stage's text.
            #[pyo3(signature = (req, bucket_name, key, expires $(, $addl = None)?))]
            fn sign_url_explained(
                slf: PyRef<'_, Self>,
                req: &Bound<'_, PyAny>,
                bucket_name: &Bound<'_, PyAny>,
                key: &Bound<'_, PyAny>,
                expires: &Bound<'_, PyAny>,
                $($addl: Option<&Bound<'_, PyAny>>,)?
            ) -> PyResult<SigningDetails> {
                let additional: Option<&Bound<'_, PyAny>> = None $(.or($addl))?;
                let req = Request::of(req)?;
                SignVersion::sign_url(
                    &*slf, slf.as_super(), &req, bucket_name, key, expires, additional, true,
                )
            }

            /// oss2's RTMP push-URL signature (V1 style whatever the version).
            fn _sign_rtmp_url(
                slf: PyRef<'_, Self>,
                url: &Bound<'_, PyAny>,
                bucket_name: &Bound<'_, PyAny>,
                channel_name: &Bound<'_, PyAny>,
                expires: &Bound<'_, PyAny>,
                params: &Bound<'_, PyAny>,
            ) -> PyResult<String> {
                let creds = slf.as_super().credentials(url.py())?;
                sign_rtmp_url(&creds, url, bucket_name, channel_name, expires, params)
            }

            fn auth_version(&self) -> &'static str {
                <Self as SignVersion>::VERSION
            }

            $($extra)*
        }
    };
}

pub(crate) use auth_pymethods;
