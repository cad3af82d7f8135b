"""Endpoints, regions and object URLs, the way oss2 2.19.1's ``Bucket`` builds them.

oss2 is not imported: the CLI works without it, and the URL it prints for an endpoint equals
``oss2.Bucket(auth, endpoint, bucket).sign_url(...)``'s.
"""

import re
import socket
from urllib.parse import quote, urlparse

_REGION = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# oss-cn-hangzhou.aliyuncs.com, oss-cn-hangzhou-internal.aliyuncs.com,
# cn-hangzhou.oss.aliyuncs.com (the newer form), each optionally with a scheme and port.
_STANDARD_ENDPOINT = re.compile(
    r"^(?:https?://)?(?:oss-(?P<a>[a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com"
    r"|(?P<b>[a-z0-9-]+?)(?:-internal)?\.oss\.aliyuncs\.com)(?::\d+)?/?$"
)
# Global endpoints that name no region.
_NOT_REGIONS = {"accelerate", "accelerate-overseas"}

_BUCKET_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")


class EndpointError(ValueError):
    """A region, endpoint, bucket or key that cannot make a valid request."""


def region_from_endpoint(endpoint):
    """The region a standard OSS endpoint names, or None (custom domain, IP, acceleration)."""
    m = _STANDARD_ENDPOINT.match(endpoint.strip().lower())
    if not m:
        return None
    region = m.group("a") or m.group("b")
    return None if region in _NOT_REGIONS else region


def check_region(region):
    """Returns ``region`` if it is a region id such as 'cn-hangzhou', else raises EndpointError."""
    if region.startswith("oss-") and _REGION.match(region[4:]):
        raise EndpointError(
            "region %r looks like an endpoint prefix; use the region id %r "
            "(V4 signs the region id, and OSS rejects %r)" % (region, region[4:], region)
        )
    if "." in region or "/" in region or ":" in region:
        guess = region_from_endpoint(region)
        hint = "; its region is %r" % guess if guess else ""
        raise EndpointError(
            "region %r looks like an endpoint: pass it as --endpoint%s" % (region, hint)
        )
    if not _REGION.match(region):
        raise EndpointError(
            "region %r is not a region id such as 'cn-hangzhou' "
            "(lower-case letters, digits and single hyphens)" % region
        )
    return region


def normalize_endpoint(endpoint):
    """oss2's ``_normalize_endpoint``: ``http://`` when no scheme is given, path dropped."""
    endpoint = endpoint.strip()
    url = endpoint
    if not endpoint.startswith("http://") and not endpoint.startswith("https://"):
        url = "http://" + endpoint
    try:
        p = urlparse(url)
        port = p.port
    except ValueError as e:
        raise EndpointError("endpoint %r is not a valid URL: %s" % (endpoint, e)) from None
    if not p.hostname:
        raise EndpointError("endpoint %r has no host name" % endpoint)
    normalized = p.scheme + "://" + p.hostname + (":" + str(port) if port is not None else "")
    # oss2's is_valid_endpoint.
    if not re.match(r"^([a-zA-Z]+://)?[\w.-]+(:\d+)?$", normalized):
        raise EndpointError("endpoint %r is not valid" % endpoint)
    return normalized


def is_valid_bucket_name(name):
    """oss2's ``utils.is_valid_bucket_name``."""
    if len(name) < 3 or len(name) > 63:
        return False
    if name[-1] == "-" or name[0] not in "abcdefghijklmnopqrstuvwxyz0123456789":
        return False
    return set(name) <= _BUCKET_CHARS


def _is_ip_or_localhost(netloc):
    """oss2's ``utils.is_ip_or_localhost``."""
    end = netloc.find("]")
    if netloc[0] == "[" and end > 0:
        loc, family = netloc[1:end], socket.AF_INET6
    else:
        loc, family = netloc.split(":")[0], None
    if loc == "localhost":
        return True
    try:
        if family:
            socket.inet_pton(family, loc)
        else:
            socket.inet_aton(loc)
    except OSError:
        return False
    return True


def object_url(endpoint, bucket, key, *, cname=False, path_style=False, slash_safe=False):
    """oss2's ``_UrlMaker(endpoint, cname, path_style)(bucket, key, slash_safe)``.

    ``endpoint`` is already normalized. IPs and localhost, and bucket names that cannot be a
    host label, get path-style URLs, as in oss2.
    """
    p = urlparse(endpoint)
    scheme, netloc = p.scheme, p.netloc
    key = quote(key, safe="/" if slash_safe else "")
    if _is_ip_or_localhost(netloc):
        kind = "path"
    elif cname:
        return "%s://%s/%s" % (scheme, netloc, key)
    elif path_style or not is_valid_bucket_name(bucket):
        kind = "path"
    else:
        kind = "virtual"
    if kind == "path":
        return "%s://%s/%s/%s" % (scheme, netloc, bucket, key)
    return "%s://%s.%s/%s" % (scheme, bucket, netloc, key)
