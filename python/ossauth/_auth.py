"""The auth objects oss2 defines in Python around its signers: StsAuth, AnonymousAuth, make_auth.

Same constructors and methods as oss2 2.19.1; the signing itself happens in the Rust classes.
"""

from ._core import (
    Auth,
    AuthV2,
    AuthV4,
    ProviderAuth,
    ProviderAuthV2,
    ProviderAuthV4,
    _static_provider,
    _url_with_query,
)

AUTH_VERSION_1 = "v1"
AUTH_VERSION_2 = "v2"
AUTH_VERSION_4 = "v4"


def make_auth(access_key_id, access_key_secret, auth_version=AUTH_VERSION_1):
    """An ``Auth``, ``AuthV2`` or ``AuthV4`` for ``auth_version`` (anything else means v1)."""
    if auth_version == AUTH_VERSION_2:
        return AuthV2(access_key_id.strip(), access_key_secret.strip())
    if auth_version == AUTH_VERSION_4:
        return AuthV4(access_key_id.strip(), access_key_secret.strip())
    return Auth(access_key_id.strip(), access_key_secret.strip())


class StsAuth(object):
    """Signs with a fixed STS token (AccessKey id, secret and security token).

    :param auth_version: ``'v1'`` (default), ``'v2'`` or ``'v4'``.
    """

    def __init__(self, access_key_id, access_key_secret, security_token, auth_version=AUTH_VERSION_1):
        # As oss2's, even with empty keys (StaticCredentialsProvider() refuses those).
        provider = _static_provider(access_key_id, access_key_secret, security_token)
        if auth_version == AUTH_VERSION_2:
            self.__auth = ProviderAuthV2(provider)
        elif auth_version == AUTH_VERSION_4:
            self.__auth = ProviderAuthV4(provider)
        else:
            self.__auth = ProviderAuth(provider)

    def _sign_request(self, req, bucket_name, key):
        self.__auth._sign_request(req, bucket_name, key)

    def _sign_url(self, req, bucket_name, key, expires):
        return self.__auth._sign_url(req, bucket_name, key, expires)

    def _sign_rtmp_url(self, url, bucket_name, channel_name, expires, params):
        return self.__auth._sign_rtmp_url(url, bucket_name, channel_name, expires, params)

    def auth_version(self):
        return self.__auth.auth_version()

    def __repr__(self):
        return "StsAuth(auth_version=%r)" % self.auth_version()


class AnonymousAuth(object):
    """No signature: for public-read (or public-read-write) buckets."""

    def _sign_request(self, req, bucket_name, key):
        pass

    def _sign_url(self, req, bucket_name, key, expires):
        return _url_with_query(req.url, req.params)

    def _sign_rtmp_url(self, url, bucket_name, channel_name, expires, params):
        return _url_with_query(url, params)

    def auth_version(self):
        return ""
