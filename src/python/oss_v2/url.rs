//! `request.url` split as `urllib.parse.urlsplit` splits it: in Rust for the URLs oss-v2
//! builds, by Python itself for anything unusual (so every quirk is Python's own).

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::python::text::str_of;

use crate::sign::oss_v2::url::{split_simple, unsplit_simple};

pub struct Url {
    text: String,
    /// Where `urlsplit(text).query` is in `text`, when it was split here.
    simple_query: std::ops::Range<usize>,
    /// scheme, netloc, path, query, fragment, when Python split it.
    python: Option<[String; 5]>,
}

impl Url {
    pub fn of(request: &Bound<'_, PyAny>) -> PyResult<Url> {
        let py = request.py();
        let url = request.getattr(intern!(py, "url"))?;
        let text = match url.downcast::<PyString>() {
            Ok(s) => str_of(s)?.to_owned(),
            Err(_) => url.extract()?,
        };
        Url::parse(py, text)
    }

    /// Splits `text` (a URL the signer just built).
    pub fn parse(py: Python<'_>, text: String) -> PyResult<Url> {
        if let Some(parts) = split_simple(&text) {
            // `scheme://netloc` + path + `?` + query: where the query starts.
            let at = parts.scheme.len() + 3 + parts.netloc.len() + parts.path.len() + 1;
            let simple_query = if parts.query.is_empty() {
                0..0
            } else {
                at..at + parts.query.len()
            };
            debug_assert_eq!(&text[simple_query.clone()], parts.query);
            return Ok(Url {
                text,
                simple_query,
                python: None,
            });
        }
        let parts = py
            .import("urllib.parse")?
            .getattr("urlsplit")?
            .call1((&text,))?;
        let mut python: [String; 5] = Default::default();
        for (slot, name) in python
            .iter_mut()
            .zip(["scheme", "netloc", "path", "query", "fragment"])
        {
            *slot = parts.getattr(name)?.extract()?;
        }
        Ok(Url {
            text,
            simple_query: 0..0,
            python: Some(python),
        })
    }

    pub fn into_text(self) -> String {
        self.text
    }

    /// `urlsplit(url).query`.
    pub fn query(&self) -> &str {
        match &self.python {
            Some(p) => &p[3],
            None => &self.text[self.simple_query.clone()],
        }
    }

    /// `urlunsplit` of the same parts with `query`.
    pub fn with_query(&self, py: Python<'_>, query: &str) -> PyResult<String> {
        match &self.python {
            None => {
                let parts = split_simple(&self.text).expect("checked in Url::of");
                Ok(unsplit_simple(&parts, query))
            }
            Some([scheme, netloc, path, _, fragment]) => py
                .import("urllib.parse")?
                .getattr("urlunsplit")?
                .call1(((scheme, netloc, path, query, fragment),))?
                .extract(),
        }
    }
}
