"""Turning whatever a ``fetch`` function returns into ``ossauth.Credentials``.

Accepted: ``ossauth.Credentials``; oss2's credentials (getters); alibabacloud_credentials'
credentials and ``CredentialModel`` (getters or attributes); alibabacloud-oss-v2's
``Credentials`` (attributes); any object with either; a dict in the credentials-URI JSON shape
(``AccessKeyId``, ``AccessKeySecret``, ``SecurityToken``, ``Expiration``, optional ``Code``).
The expiration may be a datetime, epoch seconds or an ISO 8601 string. Errors name the field
that is missing, never a value.
"""

from collections.abc import Mapping

from ._core import Credentials

_FIELDS = (
    # (our name, getter, attribute, credentials-URI key)
    ("access_key_id", "get_access_key_id", "access_key_id", "AccessKeyId"),
    ("access_key_secret", "get_access_key_secret", "access_key_secret", "AccessKeySecret"),
    ("security_token", "get_security_token", "security_token", "SecurityToken"),
    ("expiration", "get_expiration", "expiration", "Expiration"),
)


def _from_mapping(data):
    code = data.get("Code")
    if code is not None and code != "Success":
        raise ValueError("the response's Code is %r, not 'Success'" % (code,))
    values = {}
    for name, _, _, key in _FIELDS:
        values[name] = data.get(key)
    for name, _, _, key in _FIELDS[:2]:
        if not values[name]:
            raise ValueError("the response has no %s" % key)
    return values


def _from_object(obj):
    values = {}
    for name, getter, attribute, _ in _FIELDS:
        method = getattr(obj, getter, None)
        if callable(method):
            values[name] = method()
        else:
            values[name] = getattr(obj, attribute, None)
    for name, getter, attribute, _ in _FIELDS[:2]:
        if not values[name]:
            raise ValueError(
                "%s has no %s (neither %s() nor .%s)" % (type(obj).__name__, name, getter, attribute)
            )
    return values


def to_credentials(obj):
    """``obj`` as ``ossauth.Credentials``; ValueError/TypeError saying what is missing."""
    if isinstance(obj, Credentials):
        return obj
    if obj is None:
        raise TypeError("fetch() returned None")
    values = _from_mapping(obj) if isinstance(obj, Mapping) else _from_object(obj)
    for name in ("access_key_id", "access_key_secret", "security_token"):
        value = values[name]
        if value is not None and not isinstance(value, str):
            raise TypeError("%s must be str, not %s" % (name, type(value).__name__))
    return Credentials(
        values["access_key_id"],
        values["access_key_secret"],
        values["security_token"] or None,
        values["expiration"],
    )
