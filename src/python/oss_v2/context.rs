//! Reading a `SigningContext` (with the checks and exceptions oss-v2's signers start with) and
//! its request's headers, which are a `requests` `CaseInsensitiveDict` when oss-v2 made them.

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};

use crate::python::text::{str_of, type_name};

/// `alibabacloud_oss_v2.exceptions.<class>(field=<field>)`, the error oss-v2's signers raise.
fn oss_error(py: Python<'_>, class: &str, field: &str) -> PyErr {
    let made = (|| -> PyResult<Bound<'_, PyAny>> {
        let cls = py
            .import("alibabacloud_oss_v2.exceptions")?
            .getattr(class)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("field", field)?;
        cls.call((), Some(&kwargs))
    })();
    match made {
        Ok(e) => PyErr::from_value(e),
        Err(e) => e,
    }
}

/// A signing context checked as oss-v2 checks it, with what every signer reads.
pub struct Ctx<'py> {
    pub obj: Bound<'py, PyAny>,
    pub request: Bound<'py, PyAny>,
    pub headers: Headers<'py>,
    pub access_key_id: Bound<'py, PyString>,
    pub secret: Bound<'py, PyString>,
    /// The security token when it is truthy.
    pub token: Option<Bound<'py, PyAny>>,
    pub query: bool,
}

impl<'py> Ctx<'py> {
    pub fn read(obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        let py = obj.py();
        if obj.is_none() {
            return Err(oss_error(py, "ParamNullError", "SigningContext"));
        }
        let cred = obj.getattr(intern!(py, "credentials"))?;
        let keys = if cred.is_none() {
            None
        } else {
            has_keys(&cred)?
        };
        let Some((access_key_id, secret)) = keys else {
            return Err(oss_error(
                py,
                "ParamNullOrEmptyError",
                "SigningContext.credentials",
            ));
        };
        let request = obj.getattr(intern!(py, "request"))?;
        if request.is_none() {
            return Err(oss_error(
                py,
                "ParamNullOrEmptyError",
                "SigningContext.request",
            ));
        }
        let query = obj.getattr(intern!(py, "auth_method_query"))?.is_truthy()?;
        let access_key_id = formatted(&access_key_id)?;
        let secret = strict_str(secret, "credentials.access_key_secret")?;
        let token = cred.getattr(intern!(py, "security_token"))?;
        let token = if token.is_truthy()? {
            Some(token)
        } else {
            None
        };
        let headers = Headers::of(&request)?;
        Ok(Ctx {
            obj: obj.clone(),
            request,
            headers,
            access_key_id,
            secret,
            token,
            query,
        })
    }

    pub fn py(&self) -> Python<'py> {
        self.obj.py()
    }

    pub fn attr(&self, name: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyAny>> {
        self.obj.getattr(name)
    }

    /// An optional str attribute of the context (`bucket`, `key`).
    pub fn opt_str(&self, name: &Bound<'py, PyString>) -> PyResult<Option<Bound<'py, PyString>>> {
        let v = self.attr(name)?;
        if v.is_none() {
            return Ok(None);
        }
        if let Ok(s) = v.downcast::<PyString>() {
            return Ok(Some(s.clone()));
        }
        strict_str(v, &format!("SigningContext.{name}")).map(Some)
    }

    /// `signing_ctx.<name> or ''` (`region`, `product`).
    pub fn or_empty(&self, name: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyString>> {
        let v = self.attr(name)?;
        if !v.is_truthy()? {
            return Ok(PyString::new(self.py(), ""));
        }
        if let Ok(s) = v.downcast::<PyString>() {
            return Ok(s.clone());
        }
        strict_str(v, &format!("SigningContext.{name}"))
    }

    /// `request.method` as its f-string text.
    pub fn method(&self) -> PyResult<Bound<'py, PyString>> {
        formatted(&self.request.getattr(intern!(self.py(), "method"))?)
    }
}

/// `v` when it is a str, else a TypeError naming `what` (where oss-v2 concatenates or encodes).
pub fn strict_str<'py>(v: Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyString>> {
    v.downcast_into::<PyString>().map_err(|e| {
        PyTypeError::new_err(format!(
            "{what} must be str, not {}",
            type_name(e.into_inner().as_any())
        ))
    })
}

/// The text an f-string makes of `v` (`str(v)` for everything oss-v2 puts there).
pub fn formatted<'py>(v: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyString>> {
    match v.downcast::<PyString>() {
        Ok(s) => Ok(s.clone()),
        Err(_) => v.str(),
    }
}

/// `cred.has_keys()`, then the id and secret when it is true. For oss-v2's own `Credentials`
/// it is evaluated here (its method only checks that the id and secret are neither None nor
/// empty), saving a Python frame and two attribute reads per request.
#[allow(clippy::type_complexity)]
fn has_keys<'py>(
    cred: &Bound<'py, PyAny>,
) -> PyResult<Option<(Bound<'py, PyAny>, Bound<'py, PyAny>)>> {
    let py = cred.py();
    static TYPE: GILOnceCell<Option<Py<PyType>>> = GILOnceCell::new();
    let own = TYPE
        .get_or_init(py, || {
            py.import("alibabacloud_oss_v2.types")
                .and_then(|m| m.getattr("Credentials"))
                .and_then(|t| Ok(t.downcast_into::<PyType>()?.unbind()))
                .ok()
        })
        .as_ref()
        .is_some_and(|t| cred.get_type().is(t.bind(py)));
    if !own && !cred.call_method0(intern!(py, "has_keys"))?.is_truthy()? {
        return Ok(None);
    }
    let id = cred.getattr(intern!(py, "access_key_id"))?;
    if own && (id.is_none() || id.len()? == 0) {
        return Ok(None);
    }
    let secret = cred.getattr(intern!(py, "access_key_secret"))?;
    if own && (secret.is_none() || secret.len()? == 0) {
        return Ok(None);
    }
    Ok(Some((id, secret)))
}

fn cid_type(py: Python<'_>) -> Option<&Bound<'_, PyType>> {
    static TYPE: GILOnceCell<Option<Py<PyType>>> = GILOnceCell::new();
    TYPE.get_or_init(py, || {
        py.import("requests.structures")
            .and_then(|m| m.getattr("CaseInsensitiveDict"))
            .and_then(|t| Ok(t.downcast_into::<PyType>()?.unbind()))
            .ok()
    })
    .as_ref()
    .map(|t| t.bind(py))
}

/// `request.headers`: the `_store` of a `requests.structures.CaseInsensitiveDict` (lower-case
/// name -> (name, value), what its own methods read and write), or any other mapping through
/// its methods.
pub enum Headers<'py> {
    Store(Bound<'py, PyDict>),
    Mapping(Bound<'py, PyAny>),
}

impl<'py> Headers<'py> {
    fn of(request: &Bound<'py, PyAny>) -> PyResult<Self> {
        let py = request.py();
        let h = request.getattr(intern!(py, "headers"))?;
        if cid_type(py).is_some_and(|t| h.get_type().is(t)) {
            if let Ok(store) = h.getattr(intern!(py, "_store")) {
                if let Ok(store) = store.downcast_into::<PyDict>() {
                    return Ok(Headers::Store(store));
                }
            }
        }
        Ok(Headers::Mapping(h))
    }

    /// `headers.update({name: value})`; `lower` is `name.lower()`.
    pub fn set(
        &self,
        name: &Bound<'py, PyString>,
        lower: &Bound<'py, PyString>,
        value: &Bound<'py, PyAny>,
    ) -> PyResult<()> {
        match self {
            // `_store` is an OrderedDict: written through its own `__setitem__` (PyDict_SetItem
            // would bypass its ordering and hide the entry from iteration).
            Headers::Store(s) => s
                .as_any()
                .set_item(lower, PyTuple::new(s.py(), [name.as_any(), value])?),
            Headers::Mapping(m) => m.set_item(name, value),
        }
    }

    /// `headers.get(lower, default)` for a lower-case name.
    pub fn get_or(
        &self,
        lower: &Bound<'py, PyString>,
        default: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Headers::Store(s) => match s.get_item(lower)? {
                Some(pair) => match pair.downcast::<PyTuple>() {
                    Ok(t) => t.get_item(1),
                    Err(_) => pair.get_item(1),
                },
                None => Ok(default.clone()),
            },
            Headers::Mapping(m) => m.call_method1(intern!(m.py(), "get"), (lower, default)),
        }
    }

    /// `[(k.lower(), v) for k, v in headers.items()]`.
    pub fn items(&self) -> PyResult<Vec<(Bound<'py, PyString>, Bound<'py, PyAny>)>> {
        match self {
            Headers::Store(s) => {
                let mut out = Vec::with_capacity(s.len());
                for (k, pair) in s.iter() {
                    // PyTuple_GetItem: no index object per header.
                    let value = match pair.downcast::<PyTuple>() {
                        Ok(t) => t.get_item(1)?,
                        Err(_) => pair.get_item(1)?,
                    };
                    out.push((k.downcast_into::<PyString>()?, value));
                }
                Ok(out)
            }
            Headers::Mapping(m) => {
                let mut out = Vec::new();
                for item in m.call_method0(intern!(m.py(), "items"))?.try_iter()? {
                    let (k, v): (Bound<'py, PyAny>, Bound<'py, PyAny>) = item?.extract()?;
                    out.push((lower(&k)?, v));
                }
                Ok(out)
            }
        }
    }
}

/// `name.lower()`: ASCII here, anything else by Python (whose Unicode rules are the reference).
pub fn lower<'py>(name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyString>> {
    if let Ok(s) = name.downcast::<PyString>() {
        let text = str_of(s)?;
        if text.is_ascii() {
            if !text.bytes().any(|b| b.is_ascii_uppercase()) {
                return Ok(s.clone());
            }
            return Ok(PyString::new(name.py(), &text.to_ascii_lowercase()));
        }
    }
    Ok(name
        .call_method0(intern!(name.py(), "lower"))?
        .downcast_into::<PyString>()?)
}

/// The str value of a header that is signed (oss-v2 concatenates it: only a str works).
pub fn signed_value<'a, 'py>(v: &'a Bound<'py, PyAny>) -> PyResult<&'a Bound<'py, PyString>> {
    v.downcast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!(
            "can only concatenate str (not \"{}\") to str",
            type_name(v)
        ))
    })
}
