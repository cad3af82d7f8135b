//! `SignerV4.sign` of oss-v2: header signing (`_auth_header`) and query signing (`_auth_query`).

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyString;
use zeroize::Zeroize;

use super::context::{formatted, lower, signed_value, strict_str, Ctx};
use super::time::{expiration_instant, seconds_between, signing_instant};
use super::url::Url;
use crate::python::text::str_of;
use crate::sign::oss_v2::v4::{
    additional_headers, authorization, canonical_request, is_default_signed, presigned_query,
    push_signature_param, string_to_sign, Presign, Request, UNSIGNED_PAYLOAD,
};
use crate::sign::v4::{Scope, StringToSign};
use crate::sign::SigningKeyCache;

/// `_common_additional_headers`: the context's additional header names, lower-cased, that are
/// not signed anyway and have a non-empty value in the request; sorted.
fn additional(ctx: &Ctx<'_>) -> PyResult<Vec<String>> {
    let py = ctx.py();
    let names = ctx.attr(intern!(py, "additional_headers"))?;
    if names.is_none() {
        return Ok(Vec::new());
    }
    let empty = PyString::new(py, "");
    let mut kept = Vec::new();
    for name in names.try_iter()? {
        let lk = lower(&name?)?;
        let text = str_of(&lk)?;
        if is_default_signed(text) {
            continue;
        }
        if ctx.headers.get_or(&lk, empty.as_any())?.len()? > 0 {
            kept.push(text.to_owned());
        }
    }
    Ok(additional_headers(kept.iter().map(String::as_str), |_| {
        true
    }))
}

/// The scope of `datetime`: `signing_ctx.region or ''`, `signing_ctx.product or ''`.
fn scope(ctx: &Ctx<'_>, datetime: &str) -> PyResult<Scope> {
    let py = ctx.py();
    let region = ctx.or_empty(intern!(py, "region"))?;
    let product = ctx.or_empty(intern!(py, "product"))?;
    Ok(Scope::new(datetime, str_of(&region)?, str_of(&product)?))
}

/// The string to sign of the request as it is now, with `query` the raw query of its URL.
fn request_string_to_sign(
    ctx: &Ctx<'_>,
    datetime: &str,
    scope: &Scope,
    additional: &[String],
    query: &str,
) -> PyResult<StringToSign> {
    let py = ctx.py();
    let items = ctx.headers.items()?;
    let mut signed = Vec::with_capacity(items.len());
    for (name, value) in &items {
        let n = str_of(name)?;
        if is_default_signed(n) || additional.iter().any(|a| a == n) {
            signed.push((n, str_of(signed_value(value)?)?));
        }
    }
    let unsigned = PyString::new(py, UNSIGNED_PAYLOAD);
    let payload = formatted(
        &ctx.headers
            .get_or(intern!(py, "x-oss-content-sha256"), unsigned.as_any())?,
    )?;
    let method = ctx.method()?;
    let bucket = ctx.opt_str(intern!(py, "bucket"))?;
    let key = ctx.opt_str(intern!(py, "key"))?;
    let req = Request {
        method: str_of(&method)?,
        bucket: bucket.as_ref().map(str_of).transpose()?,
        key: key.as_ref().map(str_of).transpose()?,
        query,
        headers: &signed,
        payload: str_of(&payload)?,
    };
    // The canonical request can hold a security token: zeroed once hashed.
    let mut canonical = canonical_request(&req, additional);
    let sts = string_to_sign(datetime, scope, &canonical);
    canonical.zeroize();
    Ok(sts)
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

pub fn sign_header(ctx: &Ctx<'_>, keys: &SigningKeyCache) -> PyResult<()> {
    let py = ctx.py();
    let now = signing_instant(&ctx.obj, true)?;
    let datetime = now.fields.iso8601_basic();
    let date = now.fields.http_date();
    set_header(
        ctx,
        intern!(py, "x-oss-date"),
        intern!(py, "x-oss-date"),
        PyString::new(py, &datetime).as_any(),
    )?;
    set_header(
        ctx,
        intern!(py, "Date"),
        intern!(py, "date"),
        PyString::new(py, &date).as_any(),
    )?;
    if let Some(token) = &ctx.token {
        set_header(
            ctx,
            intern!(py, "x-oss-security-token"),
            intern!(py, "x-oss-security-token"),
            token,
        )?;
    }
    set_header(
        ctx,
        intern!(py, "x-oss-content-sha256"),
        intern!(py, "x-oss-content-sha256"),
        intern!(py, "UNSIGNED-PAYLOAD").as_any(),
    )?;
    let scope = scope(ctx, &datetime)?;
    let additional = additional(ctx)?;
    let url = Url::of(&ctx.request)?;
    let sts = request_string_to_sign(ctx, &datetime, &scope, &additional, url.query())?;
    let mut signature = String::with_capacity(64);
    keys.sign_into(
        str_of(&ctx.secret)?.as_bytes(),
        &scope,
        &sts,
        &mut signature,
    );
    let auth = authorization(str_of(&ctx.access_key_id)?, &scope, &additional, &signature);
    set_header(
        ctx,
        intern!(py, "Authorization"),
        intern!(py, "authorization"),
        PyString::new(py, &auth).as_any(),
    )?;
    ctx.obj
        .setattr(intern!(py, "string_to_sign"), sts.as_str())?;
    ctx.obj.setattr(intern!(py, "signing_time"), &now.dt)?;
    Ok(())
}

pub fn sign_query(ctx: &Ctx<'_>, keys: &SigningKeyCache) -> PyResult<()> {
    let py = ctx.py();
    let now = signing_instant(&ctx.obj, false)?;
    let expiration = expiration_instant(&ctx.obj)?;
    let datetime = now.fields.iso8601_basic();
    let expires = seconds_between(&now, &expiration)?;
    let scope = scope(ctx, &datetime)?;
    let additional = additional(ctx)?;
    let url = Url::of(&ctx.request)?;
    let token = match &ctx.token {
        Some(t) => Some(strict_str(t.clone(), "credentials.security_token")?),
        None => None,
    };
    let query = presigned_query(
        url.query(),
        &Presign {
            access_key_id: str_of(&ctx.access_key_id)?,
            scope: &scope,
            datetime: &datetime,
            expires: &expires,
            security_token: token.as_ref().map(str_of).transpose()?,
            additional: &additional,
        },
    );
    let signed_url = Url::parse(py, url.with_query(py, &query)?)?;
    let sts = request_string_to_sign(ctx, &datetime, &scope, &additional, signed_url.query())?;
    let mut signature = String::with_capacity(64);
    keys.sign_into(
        str_of(&ctx.secret)?.as_bytes(),
        &scope,
        &sts,
        &mut signature,
    );
    let mut text = signed_url.into_text();
    push_signature_param(&mut text, &signature);
    ctx.request.setattr(intern!(py, "url"), text)?;
    ctx.obj
        .setattr(intern!(py, "string_to_sign"), sts.as_str())?;
    ctx.obj.setattr(intern!(py, "signing_time"), &now.dt)?;
    ctx.obj
        .setattr(intern!(py, "expiration_time"), &expiration.dt)?;
    Ok(())
}
