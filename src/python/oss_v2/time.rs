//! The instants oss-v2's signers use, as Python `datetime`s (they are written back to the
//! context) with their UTC fields. "Now" is ossauth's clock, so `ossauth.testing.frozen_time`
//! pins it.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyBytes, PyDict, PyInt};

use crate::clock;
use crate::sign::oss_v2::instant::{truncated_seconds, Fields};

struct DatetimeModule {
    datetime: Py<PyAny>,
    timedelta: Py<PyAny>,
    utc: Py<PyAny>,
    epoch: Py<PyAny>,
}

fn dt_module(py: Python<'_>) -> PyResult<&DatetimeModule> {
    static MODULE: GILOnceCell<DatetimeModule> = GILOnceCell::new();
    MODULE.get_or_try_init(py, || {
        let m = py.import("datetime")?;
        let datetime = m.getattr("datetime")?;
        let utc = m.getattr("timezone")?.getattr("utc")?;
        let epoch = datetime.call1((1970, 1, 1, 0, 0, 0, 0, &utc))?;
        Ok(DatetimeModule {
            datetime: datetime.unbind(),
            timedelta: m.getattr("timedelta")?.unbind(),
            utc: utc.unbind(),
            epoch: epoch.unbind(),
        })
    })
}

/// A UTC `datetime` and its fields.
pub struct Instant<'py> {
    pub dt: Bound<'py, PyAny>,
    pub fields: Fields,
}

fn read_fields(dt: &Bound<'_, PyAny>) -> PyResult<Fields> {
    let py = dt.py();
    let get =
        |name: &Bound<'_, pyo3::types::PyString>| -> PyResult<u32> { dt.getattr(name)?.extract() };
    Ok(Fields {
        year: i64::from(get(intern!(py, "year"))?),
        month: get(intern!(py, "month"))?,
        day: get(intern!(py, "day"))?,
        hour: get(intern!(py, "hour"))?,
        minute: get(intern!(py, "minute"))?,
        second: get(intern!(py, "second"))?,
        microsecond: get(intern!(py, "microsecond"))?,
    })
}

/// `dt.astimezone(datetime.timezone.utc)` (a naive `dt` is local time, as Python has it).
pub fn to_utc<'py>(dt: &Bound<'py, PyAny>) -> PyResult<Instant<'py>> {
    let py = dt.py();
    let m = dt_module(py)?;
    let dt = dt.call_method1(intern!(py, "astimezone"), (m.utc.bind(py),))?;
    let fields = read_fields(&dt)?;
    Ok(Instant { dt, fields })
}

/// The aware UTC `datetime` `micros` after the epoch; out of `datetime`'s range Python's own
/// arithmetic raises its error.
pub fn from_micros(py: Python<'_>, micros: i64) -> PyResult<Instant<'_>> {
    let m = dt_module(py)?;
    let fields = Fields::from_unix_micros(micros);
    if !fields.in_range() {
        let delta = timedelta(py, "microseconds", micros.into_pyobject(py)?.as_any())?;
        let dt = m.epoch.bind(py).add(delta)?;
        let fields = read_fields(&dt)?;
        return Ok(Instant { dt, fields });
    }
    let dt = m
        .datetime
        .bind(py)
        .call1((PyBytes::new(py, &pickle_state(&fields)), m.utc.bind(py)))?;
    Ok(Instant { dt, fields })
}

/// The 10-byte state `datetime` pickles itself as (big-endian year, month, day, hour, minute,
/// second, 3-byte microsecond). `datetime(state, tz)` builds from it without parsing eight
/// arguments: half the cost of the usual call, and every CPython must keep reading it, since
/// old pickles have to load.
fn pickle_state(f: &Fields) -> [u8; 10] {
    let [_, _, y_hi, y_lo] = (f.year as u32).to_be_bytes();
    let [_, us_hi, us_mid, us_lo] = f.microsecond.to_be_bytes();
    [
        y_hi,
        y_lo,
        f.month as u8,
        f.day as u8,
        f.hour as u8,
        f.minute as u8,
        f.second as u8,
        us_hi,
        us_mid,
        us_lo,
    ]
}

fn timedelta<'py>(
    py: Python<'py>,
    unit: &str,
    amount: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let kwargs = PyDict::new(py);
    kwargs.set_item(unit, amount)?;
    dt_module(py)?.timedelta.bind(py).call((), Some(&kwargs))
}

/// `datetime.now(timezone.utc) + timedelta(seconds=(offset or 0))`.
pub fn now<'py>(py: Python<'py>, offset: &Bound<'py, PyAny>) -> PyResult<Instant<'py>> {
    let micros = clock::now_micros();
    if !offset.is_truthy()? {
        return from_micros(py, micros);
    }
    if offset.is_exact_instance_of::<PyInt>() {
        if let Ok(secs) = offset.extract::<i64>() {
            if let Some(t) = secs
                .checked_mul(1_000_000)
                .and_then(|d| d.checked_add(micros))
            {
                return from_micros(py, t);
            }
        }
    }
    // A float (or big) offset: Python's timedelta rounding and range checks.
    let base = from_micros(py, micros)?;
    let dt = base.dt.add(timedelta(py, "seconds", offset)?)?;
    let fields = read_fields(&dt)?;
    Ok(Instant { dt, fields })
}

/// `now + timedelta(minutes=15)`, for an instant that was "now".
pub fn fifteen_minutes_after<'py>(py: Python<'py>, micros: i64) -> PyResult<Instant<'py>> {
    match micros.checked_add(900_000_000) {
        Some(t) if Fields::from_unix_micros(t).in_range() => from_micros(py, t),
        _ => {
            let base = from_micros(py, micros)?;
            let fifteen = 15i64.into_pyobject(py)?;
            let dt = base.dt.add(timedelta(py, "minutes", fifteen.as_any())?)?;
            let fields = read_fields(&dt)?;
            Ok(Instant { dt, fields })
        }
    }
}

/// `str(int((expiration - now).total_seconds()))` (V4's `x-oss-expires`).
pub fn seconds_between(now: &Instant<'_>, expiration: &Instant<'_>) -> PyResult<String> {
    let delta = expiration.fields.unix_micros() - now.fields.unix_micros();
    if let Some(s) = truncated_seconds(delta) {
        return Ok(s.to_string());
    }
    let py = now.dt.py();
    let secs = expiration
        .dt
        .sub(&now.dt)?
        .call_method0(intern!(py, "total_seconds"))?;
    Ok(secs
        .call_method0(intern!(py, "__int__"))?
        .str()?
        .to_string())
}

/// `str(int(expiration.timestamp()))` (V1's `Expires`).
pub fn timestamp(expiration: &Instant<'_>) -> PyResult<String> {
    if let Some(s) = expiration.fields.timestamp_secs() {
        return Ok(s.to_string());
    }
    let py = expiration.dt.py();
    let ts = expiration.dt.call_method0(intern!(py, "timestamp"))?;
    Ok(ts.call_method0(intern!(py, "__int__"))?.str()?.to_string())
}

/// The context's `signing_time` in UTC, or "now" (with `clock_offset` when `with_offset`:
/// header signing applies it, query signing does not).
pub fn signing_instant<'py>(ctx: &Bound<'py, PyAny>, with_offset: bool) -> PyResult<Instant<'py>> {
    let py = ctx.py();
    let given = ctx.getattr(intern!(py, "signing_time"))?;
    if !given.is_none() {
        return to_utc(&given);
    }
    if with_offset {
        now(py, &ctx.getattr(intern!(py, "clock_offset"))?)
    } else {
        from_micros(py, clock::now_micros())
    }
}

/// The context's `expiration_time` in UTC, or 15 minutes from now.
pub fn expiration_instant<'py>(ctx: &Bound<'py, PyAny>) -> PyResult<Instant<'py>> {
    let py = ctx.py();
    let given = ctx.getattr(intern!(py, "expiration_time"))?;
    if !given.is_none() {
        return to_utc(&given);
    }
    fifteen_minutes_after(py, clock::now_micros())
}
