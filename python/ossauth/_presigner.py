"""``ossauth.Presigner``: ``oss2.Bucket.sign_url`` without oss2's Python around the signature.

The constructor checks and normalizes its arguments as ``oss2.Bucket`` does (same code, same
exceptions); ``sign_url`` and ``sign_urls`` run in Rust (``_core._PresignerCore``) for plain
arguments, and through ``_sign_url_general`` (oss2's own steps around the auth) otherwise.
"""

import copy
import re
from urllib.parse import quote, urlparse

from . import _core
from ._auth import AnonymousAuth, StsAuth
from ._endpoint import _is_ip_or_localhost, is_valid_bucket_name

_VERSIONS = {
    _core.ProviderAuth: "v1",
    _core.Auth: "v1",
    _core.ProviderAuthV2: "v2",
    _core.AuthV2: "v2",
    _core.ProviderAuthV4: "v4",
    _core.AuthV4: "v4",
}


def _client_error(message):
    """oss2's ClientError when oss2 is installed (what oss2 raises), else SigningError."""
    try:
        from oss2.exceptions import ClientError
    except ImportError:
        return _core.SigningError(message)
    return ClientError(message)


def _auth_kind(auth, where):
    """(auth whose provider signs, kind, whether its _sign_url takes in_additional_headers)."""
    version = _VERSIONS.get(type(auth))
    if version:
        return auth, version, version != "v1"
    if type(auth) is StsAuth:
        inner = auth._StsAuth__auth
        version = _VERSIONS.get(type(inner))
        return (inner, version, False) if version else (None, "general", False)
    if type(auth) is AnonymousAuth:
        return None, "anonymous", False
    # Subclasses may sign their own way: every call goes through their _sign_url.
    if isinstance(auth, (_core.AuthBase, StsAuth, AnonymousAuth)):
        return None, "general", True
    raise TypeError(
        "%s needs an ossauth auth object (ossauth.AuthV4, ProviderAuthV4, StsAuth, "
        "AnonymousAuth, ...), not %s.%s; build the bucket or presigner with "
        "ossauth.AuthV4(id, secret) or ossauth.ProviderAuthV4(provider) instead"
        % (where, type(auth).__module__, type(auth).__qualname__)
    )


def _normalize_endpoint(endpoint):
    """oss2's ``_normalize_endpoint``, statement for statement (same results, same errors)."""
    url = endpoint
    if not endpoint.startswith("http://") and not endpoint.startswith("https://"):
        url = "http://" + endpoint
    p = urlparse(url)
    if p.port is not None:
        return p.scheme + "://" + p.hostname + ":" + str(p.port)
    return p.scheme + "://" + p.hostname


def _url_style(netloc, is_cname, bucket_name, is_path_style):
    """oss2's ``_determine_endpoint_type``."""
    if _is_ip_or_localhost(netloc):
        return "path"
    if is_cname:
        return "cname"
    if is_path_style:
        return "path"
    return "virtual" if is_valid_bucket_name(bucket_name) else "path"


def _request(method, url, headers, params, region, product, cloudbox_id):
    """oss2's ``http.Request`` (its headers are what oss2 signs), or a stand-in without oss2."""
    try:
        from oss2.http import Request
    except ImportError:
        return _PlainRequest(method, url, headers, params, region, product, cloudbox_id)
    return Request(method, url, headers=headers, params=params, region=region, product=product,
                   cloudbox_id=cloudbox_id)


class _PlainRequest:
    def __init__(self, method, url, headers, params, region, product, cloudbox_id):
        self.method = method
        self.url = url
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}
        self.params = params or {}
        self.region = region
        self.product = product
        self.cloudbox_id = cloudbox_id


class Presigner(_core._PresignerCore):
    """Presigned URLs for one bucket, equal to ``oss2.Bucket(...).sign_url``'s, many times faster.

    ``auth`` is any ossauth auth object (``AnonymousAuth`` included); credentials come from its
    provider as in signing. The other arguments mean what they mean for ``oss2.Bucket``.
    """

    def __new__(cls, auth, endpoint, bucket_name, *, is_cname=False, region=None, cloudbox_id=None,
                is_path_style=False, is_verify_object_strict=True):
        signer, kind, takes_additional = _auth_kind(auth, "Presigner")
        # oss2's _Base.__init__ then Bucket.__init__, in their order.
        normalized = _normalize_endpoint(endpoint.strip())
        if not re.match(r"^([a-zA-Z]+://)?[\w.-]+(:\d+)?$", normalized):
            raise _client_error("The endpoint you has specified is not valid, endpoint: {0}".format(endpoint))
        product = "oss-cloudbox" if cloudbox_id is not None else "oss"
        strict = is_verify_object_strict
        if hasattr(auth, "auth_version") and auth.auth_version() != "v1":
            strict = False
        bucket_name = bucket_name.strip()
        if not is_valid_bucket_name(bucket_name):
            raise _client_error("The bucket_name is invalid, please check it.")
        p = urlparse(normalized)
        style = _url_style(p.netloc, is_cname, bucket_name, is_path_style)
        if style == "cname":
            head = "%s://%s/" % (p.scheme, p.netloc)
        elif style == "path":
            head = "%s://%s/%s/" % (p.scheme, p.netloc, bucket_name)
        else:
            head = "%s://%s.%s/" % (p.scheme, bucket_name, p.netloc)
        texts = all(v is None or isinstance(v, str) for v in (region, cloudbox_id))
        if not texts:
            # oss2 signs V4 with `cloudbox_id or region or ''` concatenated: leave it to oss2's steps.
            signer, kind = None, "general"
        self = super().__new__(
            cls, signer, kind, takes_additional, p.scheme, p.netloc, style, bucket_name,
            region if texts else None, cloudbox_id if texts else None, bool(strict),
        )
        self.auth = auth
        self.endpoint = normalized
        self.bucket_name = bucket_name
        self.region = region
        self.cloudbox_id = cloudbox_id
        self.product = product
        self.is_cname = is_cname
        self.is_path_style = is_path_style
        self.is_verify_object_strict = strict
        self._url_head = head
        return self

    @classmethod
    def from_bucket(cls, bucket):
        """The presigner of an ``oss2.Bucket`` whose auth is ossauth's (same endpoint, bucket,
        region, cloudbox, URL style and key checks)."""
        try:
            import oss2
        except ImportError:
            oss2 = None
        if oss2 is None or not isinstance(bucket, oss2.Bucket):
            raise TypeError(
                "Presigner.from_bucket takes an oss2.Bucket, not %s" % type(bucket).__qualname__
            )
        _auth_kind(bucket.auth, "Presigner.from_bucket (the bucket's auth)")
        maker = bucket._make_url
        return cls(bucket.auth, bucket.endpoint, bucket.bucket_name, is_cname=maker.is_cname,
                   region=bucket.region, cloudbox_id=bucket.cloudbox_id,
                   is_path_style=maker.is_path_style,
                   is_verify_object_strict=bucket.is_verify_object_strict)

    def _sign_url_general(self, method, key, expires, headers, params, slash_safe, additional_headers):
        """oss2's ``Bucket.sign_url`` steps around ``auth._sign_url`` (no debug logging), for
        arguments the Rust path does not take. Your ``params`` and ``headers`` are not modified
        (oss2 writes its signing parameters into them)."""
        if key is None or len(key.strip()) <= 0:
            raise _client_error("The key is invalid, please check it.")
        if isinstance(key, bytes):
            key = key.decode("utf-8")
        if self.is_verify_object_strict and key.startswith("?"):
            raise _client_error("The key cannot start with `?`, please check it.")
        url = self._url_head + quote(key, safe="/" if slash_safe is True else "")
        if params:
            params = copy.copy(params)
        if headers is not None and hasattr(headers, "copy") and not isinstance(headers, dict):
            headers = headers.copy()
        req = _request(method, url, headers, params, self.region, self.product, self.cloudbox_id)
        if additional_headers is None:
            return self.auth._sign_url(req, self.bucket_name, key, expires)
        return self.auth._sign_url(req, self.bucket_name, key, expires,
                                   in_additional_headers=additional_headers)

    def sign_rtmp_url(self, channel_name, playlist_name, expires):
        """oss2's ``Bucket.sign_rtmp_url``: the signed RTMP push URL of a live channel."""
        url = (self._url_head + "live").replace("http://", "rtmp://").replace("https://", "rtmp://")
        url += "/" + channel_name
        params = {}
        if playlist_name is not None and playlist_name != "":
            params["playlistName"] = playlist_name
        return self.auth._sign_rtmp_url(url, self.bucket_name, channel_name, expires, params)

    def __repr__(self):
        return "Presigner(%r, bucket_name=%r, auth=%s)" % (
            self.endpoint, self.bucket_name, type(self.auth).__name__)
