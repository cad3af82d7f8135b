//! `SignerV1.sign` of oss-v2: header signing (`_auth_header`) and query signing (`_auth_query`).

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyString;
use zeroize::Zeroize;

use super::context::{formatted, signed_value, strict_str, Ctx};
use super::time::{expiration_instant, signing_instant, timestamp};
use super::url::Url;
use crate::python::text::str_of;
use crate::sign::oss_v2::v1::{
    authorization, canonical_resource, presigned_query, push_signature_param, signature,
    string_to_sign,
};

/// `_calc_string_to_sign`; `date` is the query signer's `Expires`, else the request's
/// `x-oss-date` or `Date` header.
fn request_string_to_sign(ctx: &Ctx<'_>, date: Option<&str>, query: &str) -> PyResult<String> {
    let py = ctx.py();
    let h = &ctx.headers;
    let items = h.items()?;
    let mut signed = Vec::with_capacity(items.len());
    for (name, value) in &items {
        let n = str_of(name)?;
        if n.starts_with("x-oss-") {
            signed.push((n, str_of(signed_value(value)?)?));
        }
    }
    let empty = PyString::new(py, "");
    let md5 = formatted(&h.get_or(intern!(py, "content-md5"), empty.as_any())?)?;
    let content_type = formatted(&h.get_or(intern!(py, "content-type"), empty.as_any())?)?;
    let header_date = match date {
        Some(_) => None,
        None => {
            let d = h.get_or(intern!(py, "x-oss-date"), empty.as_any())?;
            let d = if d.is_truthy()? {
                d
            } else {
                h.get_or(intern!(py, "date"), empty.as_any())?
            };
            Some(formatted(&d)?)
        }
    };
    let date = match (&header_date, date) {
        (Some(d), _) => str_of(d)?,
        (None, Some(d)) => d,
        (None, None) => "",
    };
    let method = ctx.method()?;
    let bucket = ctx.opt_str(intern!(py, "bucket"))?;
    let key = ctx.opt_str(intern!(py, "key"))?;
    let sub_resource = ctx.attr(intern!(py, "sub_resource"))?;
    let resource = canonical_resource(
        bucket.as_ref().map(str_of).transpose()?,
        key.as_ref().map(str_of).transpose()?,
        query,
        |k| sub_resource.contains(k),
    )?;
    Ok(string_to_sign(
        str_of(&method)?,
        str_of(&md5)?,
        str_of(&content_type)?,
        date,
        &signed,
        &resource,
    ))
}

/// `headers.update({name: value})` for a name the signer writes (`lower` is its lower case).
fn set_header(
    ctx: &Ctx<'_>,
    name: &Bound<'_, PyString>,
    lower: &Bound<'_, PyString>,
    value: &Bound<'_, PyAny>,
) -> PyResult<()> {
    ctx.headers.set(name, lower, value)
}

fn sign_text(ctx: &Ctx<'_>, mut sts: String) -> PyResult<(String, String)> {
    let sig = signature(str_of(&ctx.secret)?.as_bytes(), &sts);
    let text = sts.clone();
    sts.zeroize();
    Ok((text, sig))
}

pub fn sign_header(ctx: &Ctx<'_>) -> PyResult<()> {
    let py = ctx.py();
    let now = signing_instant(&ctx.obj, true)?;
    let date = now.fields.http_date();
    set_header(
        ctx,
        intern!(py, "Date"),
        intern!(py, "date"),
        PyString::new(py, &date).as_any(),
    )?;
    if let Some(token) = &ctx.token {
        set_header(
            ctx,
            intern!(py, "security-token"),
            intern!(py, "security-token"),
            token,
        )?;
    }
    let url = Url::of(&ctx.request)?;
    let (sts, sig) = sign_text(ctx, request_string_to_sign(ctx, None, url.query())?)?;
    let auth = authorization(str_of(&ctx.access_key_id)?, &sig);
    set_header(
        ctx,
        intern!(py, "Authorization"),
        intern!(py, "authorization"),
        PyString::new(py, &auth).as_any(),
    )?;
    ctx.obj.setattr(intern!(py, "string_to_sign"), sts)?;
    ctx.obj.setattr(intern!(py, "signing_time"), &now.dt)?;
    Ok(())
}

pub fn sign_query(ctx: &Ctx<'_>) -> PyResult<()> {
    let py = ctx.py();
    let now = signing_instant(&ctx.obj, false)?;
    let expiration = expiration_instant(&ctx.obj)?;
    let expires = timestamp(&expiration)?;
    let url = Url::of(&ctx.request)?;
    let token = match &ctx.token {
        Some(t) => Some(strict_str(t.clone(), "credentials.security_token")?),
        None => None,
    };
    let query = presigned_query(
        url.query(),
        str_of(&ctx.access_key_id)?,
        &expires,
        token.as_ref().map(str_of).transpose()?,
    );
    let signed_url = Url::parse(py, url.with_query(py, &query)?)?;
    let (sts, sig) = sign_text(
        ctx,
        request_string_to_sign(ctx, Some(&expires), signed_url.query())?,
    )?;
    let mut text = signed_url.into_text();
    push_signature_param(&mut text, &sig);
    ctx.request.setattr(intern!(py, "url"), text)?;
    ctx.obj.setattr(intern!(py, "string_to_sign"), sts)?;
    ctx.obj.setattr(intern!(py, "signing_time"), &now.dt)?;
    ctx.obj
        .setattr(intern!(py, "expiration_time"), &expiration.dt)?;
    Ok(())
}
