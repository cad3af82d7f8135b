"""Credentials in the duck-typed shapes ossauth takes from Python code, for the signing and the
refreshing tests alike: getters only (oss2's shape), and getters with an expiration
(alibabacloud_credentials' shape)."""


class GetterCredentials(object):
    """oss2-style credentials: the three getters and nothing else (no attributes)."""

    def __init__(self, access_key_id, access_key_secret, security_token):
        self._v = (access_key_id, access_key_secret, security_token)

    def get_access_key_id(self):
        return self._v[0]

    def get_access_key_secret(self):
        return self._v[1]

    def get_security_token(self):
        return self._v[2]


class ExpiringGetterCredentials(GetterCredentials):
    """The three getters and ``get_expiration()``."""

    def __init__(self, access_key_id, access_key_secret, security_token, expiration):
        super().__init__(access_key_id, access_key_secret, security_token)
        self._expiration = expiration

    def get_expiration(self):
        return self._expiration
