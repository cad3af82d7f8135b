//! The Python methods every auth class shares, written once: oss2's `_sign_request`,
//! `_sign_url`, `_sign_rtmp_url` and `auth_version`, plus the `*_explained` forms. Each version
//! supplies its signing through [`SignVersion`]; [`auth_pymethods!`] makes the `#[pymethods]`.

use pyo3::prelude::*;

use super::auth_base::AuthBase;
use super::explain::SigningDetails;
use super::request::Request;

/// One `_sign_request` / `_sign_url` call: oss2's arguments, the auth's provider, and whether
/// to keep each stage's text for `*_explained`.
pub struct Call<'a, 'py> {
    pub base: &'a AuthBase,
    pub req: Request<'py>,
    pub bucket_name: &'a Bound<'py, PyAny>,
    pub key: &'a Bound<'py, PyAny>,
    /// V2/V4 only; None when not given.
    pub in_additional_headers: Option<&'a Bound<'py, PyAny>>,
    pub explain: bool,
}

/// One signature version's header and URL signing.
pub trait SignVersion {
    /// What `auth_version()` returns.
    const VERSION: &'static str;

    fn sign_request(&self, call: &Call<'_, '_>) -> PyResult<SigningDetails>;

    fn sign_url(&self, call: &Call<'_, '_>, expires: &Bound<'_, PyAny>)
        -> PyResult<SigningDetails>;
}

/// Builds the call for the generated methods.
pub fn call<'a, 'py>(
    base: &'a AuthBase,
    req: &Bound<'py, PyAny>,
    bucket_name: &'a Bound<'py, PyAny>,
    key: &'a Bound<'py, PyAny>,
    in_additional_headers: Option<&'a Bound<'py, PyAny>>,
    explain: bool,
) -> PyResult<Call<'a, 'py>> {
    Ok(Call {
        base,
        req: Request::of(req),
        bucket_name,
        key,
        in_additional_headers,
        explain,
    })
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
            fn py_new(credentials_provider: &Bound<'_, PyAny>) -> PyResult<(Self, AuthBase)> {
                Ok((<$ty>::default(), AuthBase::new(credentials_provider)?))
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
                let c = $crate::python::auth_methods::call(slf.as_super(), req, bucket_name, key, additional, false)?;
                slf.sign_request(&c).map(drop)
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
                let c = $crate::python::auth_methods::call(slf.as_super(), req, bucket_name, key, additional, false)?;
                Ok(slf.sign_url(&c, expires)?.url.unwrap_or_default())
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
                slf.sign_request(&$crate::python::auth_methods::call(slf.as_super(), req, bucket_name, key, additional, true)?)
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
                slf.sign_url(&$crate::python::auth_methods::call(slf.as_super(), req, bucket_name, key, additional, true)?, expires)
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

/// A direct-AccessKey class (oss2's `Auth`, `AuthV2`, `AuthV4`): `$parent` with a static
/// provider built from the stripped AccessKey, as oss2's constructors strip it.
macro_rules! direct_auth {
    ($ty:ident, $parent:ty, $name:literal, $doc:literal) => {
        #[doc = $doc]
        #[pyo3::pyclass(extends = $parent, subclass, frozen, module = "ossauth", name = $name)]
        pub struct $ty;

        #[pyo3::pymethods]
        impl $ty {
            #[new]
            fn py_new(
                py: Python<'_>,
                access_key_id: &Bound<'_, PyAny>,
                access_key_secret: &Bound<'_, PyAny>,
            ) -> PyResult<PyClassInitializer<Self>> {
                // Checked here, as Python's own messages read: pyo3's would name PyString.
                let access_key_id = $crate::python::text::str_arg(access_key_id, "access_key_id")?;
                let access_key_secret =
                    $crate::python::text::str_arg(access_key_secret, "access_key_secret")?;
                let provider = $crate::python::credentials::PyStaticProvider::stripped(
                    py,
                    access_key_id,
                    access_key_secret,
                )?;
                Ok(PyClassInitializer::from(AuthBase::with(provider))
                    .add_subclass(<$parent>::default())
                    .add_subclass($ty))
            }
        }
    };
}

pub(crate) use {auth_pymethods, direct_auth};
