"""``ossauth.Credentials``, the credentials providers, and how auth objects use providers.

* Credentials: oss2 getters, oss-v2 attributes, ``has_keys()``, ``is_expired()`` (with the
  clock pinned by ``frozen_time``) for every expiration form the binding accepts.
* ``StaticCredentialsProvider`` / ``EnvironmentVariableCredentialsProvider`` (environment set
  with ``monkeypatch``), and ``CredentialsError`` naming the missing variable.
* Secret hygiene: a known secret / token never shows in repr()/str(), error messages or log
  output captured at DEBUG while signing.
* Interop: ossauth providers inside oss2's auth classes and foreign providers inside ossauth's,
  each signature compared with oss2 signing with its own ``StaticCredentialsProvider`` at the
  same pinned instant.
"""

import datetime as dt
import functools
import hashlib
import hmac
import logging

import oss2
import oss2.credentials
import oss2.exceptions
import pytest

import ossauth
from ossauth.testing import frozen_time
import oss2_requests
from credential_shapes import GetterCredentials

UTC = dt.timezone.utc
T = 1700000000
AK = "LTAI5tCredApiKeyId9876"
SK = "CredApiSecret-Zq7Xw2Lm9Np4Rt6V"
TOKEN = "CAIS+CredApiToken/q1w2e3r4t5y6u7i8o9p0=="
REGION = "cn-hangzhou"

AUTH_CLASSES = {"v1": "ProviderAuth", "v2": "ProviderAuthV2", "v4": "ProviderAuthV4"}


make_request = functools.partial(oss2_requests.make_request, "PUT", headers={"Content-Type": "text/plain",
                                  "x-oss-meta-a": "b"}, params={"acl": "", "prefix": "p q"}, region=REGION)


def sign(auth, op):
    """Signs a fresh request at T (oss2's clock pinned too); returns what a server would see."""
    req = make_request()
    with frozen_time(T, oss2=True):
        if op == "request":
            out = auth._sign_request(req, "bkt", "dir/obj.txt")
        else:
            out = auth._sign_url(req, "bkt", "dir/obj.txt", 300)
    return out, dict(req.headers), list(req.params.items())


def oss2_reference(version, op, ak=AK, sk=SK, token=None):
    provider = oss2.credentials.StaticCredentialsProvider(ak, sk, token or "")
    return sign(getattr(oss2, AUTH_CLASSES[version])(provider), op)


# ------------------------------------------------------------------------------------------
# Credentials
# ------------------------------------------------------------------------------------------


def test_getters_and_attributes():
    c = ossauth.Credentials(AK, SK, TOKEN)
    assert (c.get_access_key_id(), c.get_access_key_secret(), c.get_security_token()) == (AK, SK, TOKEN)
    assert (c.access_key_id, c.access_key_secret, c.security_token) == (AK, SK, TOKEN)
    assert c.expiration is None
    assert c.has_keys() is True
    assert c.is_expired() is False


@pytest.mark.parametrize("token", [None, ""])
def test_no_token(token):
    c = ossauth.Credentials(AK, SK, token)
    assert not c.get_security_token()
    assert not c.security_token


@pytest.mark.parametrize(
    "ak, sk, expected", [(AK, SK, True), ("", SK, False), (AK, "", False), ("", "", False)]
)
def test_has_keys(ak, sk, expected):
    assert ossauth.Credentials(ak, sk).has_keys() is expected


@pytest.mark.parametrize("args", [(1, SK), (AK, 2), (AK, SK, 3), (AK, b"secret")], ids=repr)
def test_non_str_fields_are_type_errors(args):
    with pytest.raises(TypeError):
        ossauth.Credentials(*args)


EXP = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
EXP_EPOCH = 1714564800  # == EXP

EXPIRATION_FORMS = [
    pytest.param(EXP, id="aware-utc"),
    pytest.param(EXP.astimezone(dt.timezone(dt.timedelta(hours=8))), id="aware-plus8"),
    pytest.param(EXP.astimezone(dt.timezone(dt.timedelta(hours=-3, minutes=-30))), id="aware-minus0330"),
    pytest.param(dt.datetime(2024, 5, 1, 12, 0, 0), id="naive-means-utc"),
    pytest.param(EXP_EPOCH, id="epoch-int"),
    pytest.param(float(EXP_EPOCH), id="epoch-float"),
    pytest.param("2024-05-01T12:00:00Z", id="iso-z"),
    pytest.param("2024-05-01T12:00:00.000Z", id="iso-millis"),
    pytest.param("2024-05-01T20:00:00+08:00", id="iso-plus8"),
    pytest.param("2024-05-01T07:00:00-05:00", id="iso-minus5"),
]


@pytest.mark.parametrize("expiration", EXPIRATION_FORMS)
def test_expiration_forms(expiration):
    assert EXP.timestamp() == EXP_EPOCH
    c = ossauth.Credentials(AK, SK, TOKEN, expiration)
    assert c.expiration == EXP
    assert c.expiration.utcoffset() == dt.timedelta(0)
    with frozen_time(EXP - dt.timedelta(seconds=1)):
        assert c.is_expired() is False
    with frozen_time(EXP - dt.timedelta(days=400)):
        assert c.is_expired() is False
    with frozen_time(EXP + dt.timedelta(seconds=1)):
        assert c.is_expired() is True
    with frozen_time(EXP + dt.timedelta(days=400)):
        assert c.is_expired() is True


def test_expiration_keyword_and_none():
    c = ossauth.Credentials(AK, SK, expiration=EXP_EPOCH)
    assert c.expiration == EXP and c.security_token is None
    c = ossauth.Credentials(AK, SK, TOKEN, None)
    assert c.expiration is None
    for when in (0, T, dt.datetime(9000, 1, 1, tzinfo=UTC)):
        with frozen_time(when):
            assert c.is_expired() is False


@pytest.mark.parametrize(
    "expiration, error",
    [
        ("soon", ValueError),
        ("2024-05-01", ValueError),
        ("2024-13-01T00:00:00Z", ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        (object(), TypeError),
        ([EXP_EPOCH], TypeError),
    ],
    ids=repr,
)
def test_bad_expiration(expiration, error):
    with pytest.raises(error):
        ossauth.Credentials(AK, SK, TOKEN, expiration)


@pytest.mark.parametrize(
    "expiration",
    ["2024-02-31T00:00:00Z", "2023-02-29T00:00:00Z", "2024-04-31T12:00:00Z", "2024-05-01T12:00:00+08:99"],
)
def test_impossible_iso_instants_are_rejected(expiration):
    """Strings that look like ISO 8601 but name no instant (31 February, 29 February of a
    common year, 31 April, an offset of 99 minutes) are ValueErrors like "2024-13-01..."."""
    with pytest.raises(ValueError):
        ossauth.Credentials(AK, SK, TOKEN, expiration)


@pytest.mark.parametrize(
    "expiration", [253402300800, 10**20, -(10**20), 1e300, "0000-12-31T00:00:00Z"], ids=repr
)
def test_unrepresentable_expiration_is_rejected_up_front(expiration):
    """An expiration outside what ``datetime`` can hold (years 1..9999) must be refused when
    the Credentials are built -- not accepted and then make ``.expiration`` raise."""
    try:
        c = ossauth.Credentials(AK, SK, TOKEN, expiration)
    except (ValueError, OverflowError):
        return
    assert isinstance(c.expiration, dt.datetime)  # raises today: year out of range / OSError


# ------------------------------------------------------------------------------------------
# Providers
# ------------------------------------------------------------------------------------------


def test_static_provider():
    c = ossauth.StaticCredentialsProvider(AK, SK, TOKEN).get_credentials()
    assert (c.get_access_key_id(), c.get_access_key_secret(), c.get_security_token()) == (AK, SK, TOKEN)
    c = ossauth.StaticCredentialsProvider(AK, SK).get_credentials()
    assert (c.access_key_id, c.access_key_secret) == (AK, SK) and not c.security_token
    # No key at all is refused at once (oss2 accepts it; every request then fails with 403).
    for empty in [(), ("", ""), ("", "", TOKEN)]:
        with pytest.raises(ValueError) as e:
            ossauth.StaticCredentialsProvider(*empty)
        assert str(e.value) == (
            "StaticCredentialsProvider needs an AccessKey: access_key_id and access_key_secret are both "
            "empty (for public-read buckets use AnonymousAuth instead)")
    # StsAuth signs with what it is given, as oss2's does.
    assert ossauth.StsAuth("", "", "").auth_version() == "v1"


#: (what is built, how, the message Python would give) for arguments of the wrong type.
WRONG_TYPES = [
    ("Credentials", lambda: ossauth.Credentials(1, SK), "access_key_id must be str, not int"),
    ("Credentials", lambda: ossauth.Credentials(AK, b"s"), "access_key_secret must be str, not bytes"),
    ("StaticCredentialsProvider", lambda: ossauth.StaticCredentialsProvider(1, SK),
     "access_key_id must be str, not int"),
    ("StaticCredentialsProvider", lambda: ossauth.StaticCredentialsProvider(AK, SK, 5),
     "security_token must be str, not int"),
    ("RamRoleArnCredentialsProvider", lambda: ossauth.RamRoleArnCredentialsProvider(role_arn=1),
     "role_arn must be str or None, not int"),
    ("RamRoleArnCredentialsProvider", lambda: ossauth.RamRoleArnCredentialsProvider(
        "acs:ram::1:role/r", access_key_id=AK, access_key_secret=SK, duration_seconds="3600"),
     "duration_seconds must be int or None, not str"),
    ("RamRoleArnCredentialsProvider", lambda: ossauth.RamRoleArnCredentialsProvider(
        "acs:ram::1:role/r", access_key_id=AK, access_key_secret=SK, enable_vpc="yes"),
     "enable_vpc must be bool or None, not str"),
    ("RamRoleArnCredentialsProvider", lambda: ossauth.RamRoleArnCredentialsProvider(
        "acs:ram::1:role/r", access_key_id=AK, access_key_secret=SK, connect_timeout="5"),
     "connect_timeout must be int or float, not str"),
    ("RamRoleArnCredentialsProvider", lambda: ossauth.RamRoleArnCredentialsProvider(
        "acs:ram::1:role/r", source="not a provider"),
     "source must be a credentials provider (with get_credentials()) or None, not str"),
    ("OidcRoleArnCredentialsProvider", lambda: ossauth.OidcRoleArnCredentialsProvider(
        "acs:ram::1:role/r", "acs:ram::1:oidc-provider/p", 7),
     "oidc_token_file must be str, os.PathLike or None, not int"),
    ("EcsRamRoleCredentialsProvider", lambda: ossauth.EcsRamRoleCredentialsProvider(role_name=3),
     "role_name must be str or None, not int"),
    ("EcsRamRoleCredentialsProvider", lambda: ossauth.EcsRamRoleCredentialsProvider(disable_imds_v1=1),
     "disable_imds_v1 must be bool or None, not int"),
    ("UriCredentialsProvider", lambda: ossauth.UriCredentialsProvider(uri=b"http://h"),
     "uri must be str or None, not bytes"),
    ("UriCredentialsProvider", lambda: ossauth.UriCredentialsProvider("http://127.0.0.1:1/c", timeout="1"),
     "timeout must be int or float or None, not str"),
    ("ProfileCredentialsProvider", lambda: ossauth.ProfileCredentialsProvider(profile=1),
     "profile must be str or None, not int"),
    ("ProfileCredentialsProvider", lambda: ossauth.ProfileCredentialsProvider(path=1.5),
     "path must be str, os.PathLike or None, not float"),
    ("DefaultCredentialsProvider", lambda: ossauth.DefaultCredentialsProvider(ecs_metadata_endpoint=1),
     "ecs_metadata_endpoint must be str or None, not int"),
    ("DefaultCredentialsProvider", lambda: ossauth.DefaultCredentialsProvider(refresh_interval="60"),
     "refresh_interval must be int or float or None, not str"),
]


@pytest.mark.parametrize("what,build,message", WRONG_TYPES, ids=[m for _, _, m in WRONG_TYPES])
def test_constructor_type_errors_read_like_python(what, build, message):
    """A wrong type is a TypeError worded as Python's own ("x must be str, not int"), never the
    binding layer's ("argument 'x': 'int' object cannot be converted to 'PyString'")."""
    with pytest.raises(TypeError) as e:
        build()
    assert str(e.value) == message, what


@pytest.mark.parametrize("arn,why", [
    ("oss-reader", "it does not start with acs:ram::"),
    ("acs:ram::123456789012:user/alice", "no :role/ after the account id"),
    ("acs:ram::12345678901x:role/r", "the account id must be digits"),
    ("acs:ram::1:role/a b", "the role name may hold only letters, digits, '.', '-' and '_'"),
])
def test_role_arns_that_are_not_role_arns_fail_at_construction(arn, why, tmp_path):
    """RamRoleArn, OIDC and a profile naming a role: the ARN is checked when the provider is
    built, instead of failing at every refresh with an STS error."""
    message = ("role_arn must be acs:ram::<account id>:role/<role name>, such as "
               "acs:ram::123456789012:role/oss-reader (%s)" % why)
    with pytest.raises(ossauth.CredentialsError) as e:
        ossauth.RamRoleArnCredentialsProvider(arn, access_key_id=AK, access_key_secret=SK)
    assert str(e.value) == "RAM role ARN: " + message
    with pytest.raises(ossauth.CredentialsError) as e:
        ossauth.OidcRoleArnCredentialsProvider(arn, "acs:ram::1:oidc-provider/p", str(tmp_path / "t"))
    assert str(e.value) == "OIDC role ARN: " + message
    ini = tmp_path / "credentials.ini"
    ini.write_text("[default]\ntype = ram_role_arn\naccess_key_id = %s\naccess_key_secret = %s\n"
                   "role_arn = %s\n" % (AK, SK, arn))
    with pytest.raises(ossauth.CredentialsError) as e:
        ossauth.ProfileCredentialsProvider(path=ini)
    assert str(e.value) == "profile 'default' in %s: RAM role ARN: %s" % (ini, message)


def test_env_oss_names(clean_env):
    clean_env.setenv("OSS_ACCESS_KEY_ID", AK)
    clean_env.setenv("OSS_ACCESS_KEY_SECRET", SK)
    clean_env.setenv("OSS_SESSION_TOKEN", TOKEN)
    c = ossauth.EnvironmentVariableCredentialsProvider().get_credentials()
    assert (c.get_access_key_id(), c.get_access_key_secret(), c.get_security_token()) == (AK, SK, TOKEN)


def test_env_oss_names_without_token(clean_env):
    clean_env.setenv("OSS_ACCESS_KEY_ID", AK)
    clean_env.setenv("OSS_ACCESS_KEY_SECRET", SK)
    c = ossauth.EnvironmentVariableCredentialsProvider().get_credentials()
    assert (c.access_key_id, c.access_key_secret) == (AK, SK) and not c.security_token


def test_env_alibaba_cloud_names(clean_env):
    clean_env.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", AK)
    clean_env.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SK)
    clean_env.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN)
    c = ossauth.EnvironmentVariableCredentialsProvider().get_credentials()
    assert (c.access_key_id, c.access_key_secret, c.security_token) == (AK, SK, TOKEN)


def test_env_oss_names_win(clean_env):
    clean_env.setenv("OSS_ACCESS_KEY_ID", AK)
    clean_env.setenv("OSS_ACCESS_KEY_SECRET", SK)
    clean_env.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "other-id")
    clean_env.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "other-secret")
    clean_env.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "other-token")
    c = ossauth.EnvironmentVariableCredentialsProvider().get_credentials()
    assert (c.access_key_id, c.access_key_secret) == (AK, SK) and not c.security_token


def test_env_empty_oss_id_falls_back(clean_env):
    clean_env.setenv("OSS_ACCESS_KEY_ID", "")
    clean_env.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", AK)
    clean_env.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SK)
    c = ossauth.EnvironmentVariableCredentialsProvider().get_credentials()
    assert (c.access_key_id, c.access_key_secret) == (AK, SK)


def test_env_read_at_construction(clean_env):
    clean_env.setenv("OSS_ACCESS_KEY_ID", AK)
    clean_env.setenv("OSS_ACCESS_KEY_SECRET", SK)
    provider = ossauth.EnvironmentVariableCredentialsProvider()
    clean_env.setenv("OSS_ACCESS_KEY_SECRET", "changed-later")
    assert provider.get_credentials().access_key_secret == SK
    assert ossauth.EnvironmentVariableCredentialsProvider().get_credentials().access_key_secret == "changed-later"


def _env_error():
    with pytest.raises(ossauth.CredentialsError) as info:
        ossauth.EnvironmentVariableCredentialsProvider()
    return info.value


@pytest.mark.parametrize(
    "env, named",
    [
        ({}, ["OSS_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_ID"]),
        ({"OSS_ACCESS_KEY_SECRET": SK, "OSS_SESSION_TOKEN": TOKEN}, ["OSS_ACCESS_KEY_ID"]),
        ({"OSS_ACCESS_KEY_ID": AK, "OSS_SESSION_TOKEN": TOKEN}, ["OSS_ACCESS_KEY_SECRET"]),
        ({"OSS_ACCESS_KEY_ID": AK, "OSS_ACCESS_KEY_SECRET": ""}, ["OSS_ACCESS_KEY_SECRET"]),
        (
            {"ALIBABA_CLOUD_ACCESS_KEY_ID": AK, "OSS_ACCESS_KEY_SECRET": SK, "ALIBABA_CLOUD_SECURITY_TOKEN": TOKEN},
            ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
        ),
    ],
    ids=["nothing", "secret-only", "oss-id-only", "oss-empty-secret", "alibaba-id-only"],
)
def test_env_missing_variable_is_named_without_secrets(clean_env, env, named):
    for name, value in env.items():
        clean_env.setenv(name, value)
    err = _env_error()
    message = str(err)
    for name in named:
        assert name in message, message
    for text in (message, repr(err), repr(err.args)):
        assert SK not in text and TOKEN not in text


# ------------------------------------------------------------------------------------------
# Secret hygiene
# ------------------------------------------------------------------------------------------


def _all_auths(provider_factory):
    sts = [ossauth.StsAuth(AK, SK, TOKEN, v) for v in ("v1", "v2", "v4")]
    plain = [ossauth.Auth(AK, SK), ossauth.AuthV2(AK, SK), ossauth.AuthV4(AK, SK)]
    plain += [ossauth.make_auth(AK, SK, v) for v in ("v1", "v2", "v4")]
    providers = [getattr(ossauth, cls)(provider_factory()) for cls in AUTH_CLASSES.values()]
    return sts + plain + providers


def _texts(obj):
    return [repr(obj), str(obj), "%r" % (obj,), "{!s}".format(obj)]


def test_no_secret_in_repr_or_str(clean_env):
    clean_env.setenv("OSS_ACCESS_KEY_ID", AK)
    clean_env.setenv("OSS_ACCESS_KEY_SECRET", SK)
    clean_env.setenv("OSS_SESSION_TOKEN", TOKEN)
    creds = ossauth.Credentials(AK, SK, TOKEN, EXP_EPOCH)
    static = ossauth.StaticCredentialsProvider(AK, SK, TOKEN)
    env = ossauth.EnvironmentVariableCredentialsProvider()
    objects = [creds, static, env, static.get_credentials(), env.get_credentials()]
    auths = _all_auths(lambda: ossauth.StaticCredentialsProvider(AK, SK, TOKEN))
    objects += auths
    objects += [a.credentials_provider for a in auths if hasattr(a, "credentials_provider")]
    for obj in objects:
        for text in _texts(obj):
            assert SK not in text, text
            assert TOKEN not in text, text
    # The id is masked too (documented: "repr() masks the id").
    assert AK not in repr(creds)
    assert AK[:4] in repr(creds) and AK[-4:] in repr(creds)


def _v4_signing_key(secret, date, region=REGION, product="oss"):
    k = hmac.new(("aliyun_v4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, product, "aliyun_v4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


@pytest.mark.parametrize("version", ["v1", "v2", "v4"])
@pytest.mark.parametrize("op", ["request", "url"])
def test_no_secret_in_signing_details(version, op):
    """SigningDetails holds neither the secret nor (V4) the signing key.

    The security token is not checked here: it is part of what is signed (a header in the
    canonical request / string to sign, a parameter of the URL), as in OSS's own error report.
    """
    auth = getattr(ossauth, AUTH_CLASSES[version])(ossauth.StaticCredentialsProvider(AK, SK, TOKEN))
    with frozen_time(T):
        if op == "request":
            details = auth.sign_request_explained(make_request(), "bkt", "dir/obj.txt")
        else:
            details = auth.sign_url_explained(make_request(), "bkt", "dir/obj.txt", 300)
    key = _v4_signing_key(SK, "20231114")
    fields = [getattr(details, f) for f in ("version", "canonical_request", "string_to_sign", "signature",
                                            "authorization", "url")]
    for text in _texts(details) + [str(f) for f in fields]:
        assert SK not in text
        assert key.hex() not in text and key.hex().upper() not in text


def test_log_capture_sees_library_debug_output(caplog):
    """Control for the test below: oss2 itself logs its string to sign (with the token) at
    DEBUG, and caplog captures it -- so a leak from ossauth's signing would be seen."""
    caplog.set_level(logging.DEBUG)
    req = make_request()
    oss2.StsAuth(AK, SK, TOKEN)._sign_request(req, "bkt", "dir/obj.txt")
    assert TOKEN in caplog.text


def test_no_secret_in_logs_while_signing(caplog, clean_env):
    caplog.set_level(logging.DEBUG)
    clean_env.setenv("OSS_ACCESS_KEY_ID", AK)
    clean_env.setenv("OSS_ACCESS_KEY_SECRET", SK)
    clean_env.setenv("OSS_SESSION_TOKEN", TOKEN)
    auths = _all_auths(lambda: ossauth.StaticCredentialsProvider(AK, SK, TOKEN))
    auths += [ossauth.ProviderAuthV4(ossauth.EnvironmentVariableCredentialsProvider())]
    for auth in auths:
        reqs = [make_request() for _ in range(3)]
        auth._sign_request(reqs[0], "bkt", "dir/obj.txt")
        auth._sign_url(reqs[1], "bkt", "dir/obj.txt", 60)
        auth._sign_rtmp_url("rtmp://bkt.oss-cn-hangzhou.aliyuncs.com/live/ch", "bkt", "ch", 60, {"playlistName": "p"})
        if hasattr(auth, "sign_request_explained"):
            auth.sign_request_explained(reqs[2], "bkt", "dir/obj.txt")
    clean_env.delenv("OSS_ACCESS_KEY_ID")
    with pytest.raises(ossauth.CredentialsError):
        ossauth.EnvironmentVariableCredentialsProvider()
    captured = caplog.text + "".join(repr(r.args) + str(r.msg) for r in caplog.records)
    assert SK not in captured
    assert TOKEN not in captured


# ------------------------------------------------------------------------------------------
# Interop with oss2
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, TOKEN], ids=["ak", "sts"])
@pytest.mark.parametrize("op", ["request", "url"])
@pytest.mark.parametrize("version", ["v1", "v2", "v4"])
def test_ossauth_static_provider_inside_oss2_auth(version, op, token):
    provider = ossauth.StaticCredentialsProvider(AK, SK, token or "")
    ours = sign(getattr(oss2, AUTH_CLASSES[version])(provider), op)
    assert ours == oss2_reference(version, op, token=token)


@pytest.mark.parametrize("op", ["request", "url"])
@pytest.mark.parametrize("version", ["v1", "v2", "v4"])
def test_ossauth_env_provider_inside_oss2_auth(clean_env, version, op):
    clean_env.setenv("OSS_ACCESS_KEY_ID", AK)
    clean_env.setenv("OSS_ACCESS_KEY_SECRET", SK)
    clean_env.setenv("OSS_SESSION_TOKEN", TOKEN)
    cls = getattr(oss2, AUTH_CLASSES[version])
    ours = sign(cls(ossauth.EnvironmentVariableCredentialsProvider()), op)
    theirs = sign(cls(oss2.credentials.EnvironmentVariableCredentialsProvider()), op)
    assert ours == theirs == oss2_reference(version, op, token=TOKEN)


class AttributeCredentials(object):
    """alibabacloud-oss-v2-style credentials: attributes only."""

    def __init__(self, ak, sk, token):
        self.access_key_id, self.access_key_secret, self.security_token = ak, sk, token


class Provider(object):
    def __init__(self, credentials):
        self.credentials = credentials

    def get_credentials(self):
        return self.credentials


FOREIGN_PROVIDERS = {
    "oss2-static": lambda ak, sk, tok: oss2.credentials.StaticCredentialsProvider(ak, sk, tok or ""),
    "getters": lambda ak, sk, tok: Provider(GetterCredentials(ak, sk, tok)),
    "attributes": lambda ak, sk, tok: Provider(AttributeCredentials(ak, sk, tok)),
    "ossauth-credentials": lambda ak, sk, tok: Provider(ossauth.Credentials(ak, sk, tok)),
    "oss2-credentials": lambda ak, sk, tok: Provider(oss2.credentials.Credentials(ak, sk, tok)),
}


@pytest.mark.parametrize("token", [None, TOKEN], ids=["ak", "sts"])
@pytest.mark.parametrize("op", ["request", "url"])
@pytest.mark.parametrize("version", ["v1", "v2", "v4"])
@pytest.mark.parametrize("kind", sorted(FOREIGN_PROVIDERS))
def test_ossauth_auth_with_foreign_provider(kind, version, op, token):
    provider = FOREIGN_PROVIDERS[kind](AK, SK, token)
    ours = sign(getattr(ossauth, AUTH_CLASSES[version])(provider), op)
    assert ours == oss2_reference(version, op, token=token)


def test_foreign_provider_is_asked_each_time_and_its_errors_propagate():
    class Flaky(object):
        calls = 0

        def get_credentials(self):
            self.calls += 1
            if self.calls == 2:
                raise oss2.exceptions.ClientError("provider is down")
            return GetterCredentials(AK, SK, None)

    provider = Flaky()
    auth = ossauth.ProviderAuthV4(provider)
    assert sign(auth, "request") == oss2_reference("v4", "request")
    with pytest.raises(oss2.exceptions.ClientError, match="provider is down"):
        sign(auth, "request")
    assert sign(auth, "request") == oss2_reference("v4", "request")
    assert provider.calls == 3


def test_control_different_secret_gives_different_signature():
    """The comparisons above would notice a provider whose secret was not used."""
    ours = sign(ossauth.ProviderAuthV4(ossauth.StaticCredentialsProvider(AK, SK + "x")), "request")
    assert ours != oss2_reference("v4", "request")


_ROLE_ARGUMENTS = [
    (ossauth.RamRoleArnCredentialsProvider,
     ["role_arn", "access_key_id", "access_key_secret", "security_token", "source",
      "role_session_name", "policy", "external_id", "duration_seconds", "sts_endpoint",
      "sts_region", "enable_vpc", "connect_timeout", "read_timeout"]),
    (ossauth.OidcRoleArnCredentialsProvider,
     ["role_arn", "oidc_provider_arn", "oidc_token_file", "role_session_name", "policy",
      "duration_seconds", "sts_endpoint", "sts_region", "enable_vpc", "connect_timeout",
      "read_timeout"]),
]


@pytest.mark.parametrize("cls, names", _ROLE_ARGUMENTS, ids=lambda v: getattr(v, "__name__", ""))
def test_the_first_wrong_argument_of_a_role_is_the_one_reported(cls, names):
    # Every argument from the i-th on is wrong (a list fits none of them): the error names the
    # i-th, so the checks run in the signature's order (the RAM role's external_id between
    # policy and the session arguments both roles share).
    for i, name in enumerate(names):
        with pytest.raises(TypeError) as caught:
            cls(**{n: [] for n in names[i:]})
        assert str(caught.value).startswith(name + " "), (name, str(caught.value))
