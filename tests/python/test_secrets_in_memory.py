"""No copy of an AccessKey secret or security token outlives the ossauth objects that held it.

Each scenario runs in a child interpreter (``memscan.secret_copies``): it gets its secrets from
files or from local fake services run by *this* (the parent) process, uses ossauth to fetch
and sign, drops every provider, auth object and request, runs ``gc.collect()``, and then the
parent counts the secrets left anywhere in the child's readable memory.

Whose copies are counted
    The needles are random strings made here, per run, so nothing else in the child can hold
    them by chance. The child never builds a Python ``str``/``bytes`` of a needle itself: it
    hands ossauth a path or a URL, and ossauth reads the secret in Rust. So every copy the
    scan finds was made by ossauth (Rust buffers, or Python strings ossauth created), or by
    Python while serving ossauth's own objects (a security-token header value ossauth put in a
    request). ossauth wipes the Python strings it created when it lets go of the last reference
    (a ``str`` that only it can see), so the expected count is 0 everywhere.

    Scenario (e) is different: a Python provider hands ossauth the secret as a Python ``str``.
    Python never wipes freed strings, and that string is the user's, not ossauth's. So the child
    keeps its provider's strings alive while the scan runs and the expected count is exactly the
    number of copies Python itself holds: one ``str`` object for the secret and one for the token,
    which the child counts itself, by scanning its own memory before ossauth has seen them
    (``baseline``), and the ossauth-signed run must not add any.
"""

import json
import secrets
import string

import pytest

import memscan
from fake_services import FakeCredentials, FakeCredentialsUri, FakeImds, FakeSts

ALNUM = string.ascii_letters + string.digits


def _random(n, prefix=""):
    return prefix + "".join(secrets.choice(ALNUM) for _ in range(n))


def _fresh_credentials():
    """Unique per run: an STS-like id, a 30-character secret and a 340-character token."""
    return FakeCredentials(
        access_key_id=_random(22, "STS.NT"),
        access_key_secret=_random(30, "Sk"),
        security_token=_random(340, "CAIS"),
    )


# Signs with each auth version: the secret goes through the V1/V2 HMAC, the V4 signing key
# derivation and its cache; the token into a header or a query parameter, and into the
# string to sign. Then drops everything, and waits for ossauth's refresh threads to end (a
# thread that is still unwinding may hold a copy for a moment: that is not a leak). The
# signed URLs carry the token by design (as oss2's do): they are the caller's, kept alive,
# and counted as expected copies.
_SIGN = """
import gc
import os
import time
import oss2
import oss2.http
import ossauth

def _sign_all(provider):
    urls = []
    for auth in (ossauth.ProviderAuth(provider), ossauth.ProviderAuthV2(provider),
                 ossauth.ProviderAuthV4(provider)):
        req = oss2.http.Request("GET", "https://bkt.oss-cn-hangzhou.aliyuncs.com/obj",
                                headers={"x-oss-meta-a": "1"}, params={"versionId": "v1"},
                                region="cn-hangzhou", product="oss")
        auth._sign_request(req, "bkt", "obj")
        req = oss2.http.Request("GET", "https://bkt.oss-cn-hangzhou.aliyuncs.com/obj",
                                params={}, region="cn-hangzhou", product="oss")
        urls.append(auth._sign_url(req, "bkt", "obj", 3600))
        del req, auth
    gc.collect()
    return urls

def _only_this_thread_left():
    deadline = time.monotonic() + 120
    while len(os.listdir("/proc/self/task")) > 1:
        assert time.monotonic() < deadline, "ossauth threads still running"
        time.sleep(0.01)
"""

_SIGN_AND_DROP = _SIGN + """
provider = %s
creds = provider.get_credentials()
assert creds.access_key_id.startswith(%r), creds.access_key_id
del creds
urls = _sign_all(provider)
del provider
gc.collect()
_only_this_thread_left()
"""

URLS = 3  # one signed URL per auth version, each with the token in its query


def _copies(provider_expr, creds, id_prefix="STS.NT"):
    script = _SIGN_AND_DROP % (provider_expr, id_prefix)
    needles = [creds.access_key_secret.encode(), creds.security_token.encode()]
    return memscan.secret_copies(script, needles)


def _assert_none_left(counts, creds):
    shown = {"secret": counts[creds.access_key_secret.encode()],
             "token outside the signed URLs": counts[creds.security_token.encode()] - URLS}
    assert shown == {"secret": 0, "token outside the signed URLs": 0}


@pytest.mark.parametrize("fmt", ["credentials.ini", "config.json"])
def test_a_profile_files_secret_and_token_are_wiped(tmp_path, fmt):
    creds = _fresh_credentials()
    if fmt == "credentials.ini":
        path = tmp_path / "credentials.ini"
        path.write_text("[p]\ntype = sts\naccess_key_id = %s\naccess_key_secret = %s\nsecurity_token = %s\n"
                        % (creds.access_key_id, creds.access_key_secret, creds.security_token))
    else:
        path = tmp_path / "config.json"
        path.write_text(json.dumps({"current": "p", "profiles": [
            {"name": "p", "mode": "StsToken", "access_key_id": creds.access_key_id,
             "access_key_secret": creds.access_key_secret, "sts_token": creds.security_token}]}))
    expr = "ossauth.ProfileCredentialsProvider('p', %r)" % str(path)
    _assert_none_left(_copies(expr, creds), creds)


def test_b_ecs_ram_role_answer_is_wiped():
    creds = _fresh_credentials()
    with FakeImds(role_name="MemscanRole", credentials=creds) as imds:  # served from this process
        expr = "ossauth.EcsRamRoleCredentialsProvider(endpoint=%r)" % imds.url
        _assert_none_left(_copies(expr, creds), creds)


def test_c_ram_role_arn_answer_is_wiped(tmp_path):
    creds = _fresh_credentials()
    source_secret = _random(30)  # the RAM user's key that signs AssumeRole: not a needle
    with FakeSts({"LTAI5tMemscanSource01": source_secret}, next_credentials=creds) as sts:
        key_file = tmp_path / "source-secret"
        key_file.write_text(source_secret)
        expr = ("ossauth.RamRoleArnCredentialsProvider('acs:ram::1234567890123456:role/memscan', "
                "access_key_id='LTAI5tMemscanSource01', access_key_secret=open(%r).read(), "
                "sts_endpoint=%r)" % (str(key_file), sts.url))
        _assert_none_left(_copies(expr, creds), creds)
        assert sts.calls and sts.calls[-1].signature_verified


def test_d_credentials_uri_answer_is_wiped():
    creds = _fresh_credentials()
    with FakeCredentialsUri(credentials=creds) as uri:
        expr = "ossauth.UriCredentialsProvider(%r)" % (uri.url + "/creds")
        _assert_none_left(_copies(expr, creds), creds)


# A provider in Python, as oss2 users write them. Its secret and token are Python strings that
# it holds for as long as the child runs: made from files through a bytearray that is then
# zeroed, so that exactly one copy of each exists in Python (the ``str`` object), and no freed
# Python buffer holds another. Python never wipes the strings it frees and these are the
# user's, not ossauth's: so instead of dropping them, the child keeps them, and the scan must
# find exactly the copies Python holds -- the same count as a run that never signed.
_PYTHON_PROVIDER = """
import gc
import os

def _read_str(path):
    fd = os.open(path, os.O_RDONLY)
    buf = bytearray(os.fstat(fd).st_size)
    os.readv(fd, [buf])
    os.close(fd)
    text = buf.decode("ascii")
    buf[:] = bytes(len(buf))
    return text

class Creds(object):
    def __init__(self, secret, token):
        self.secret, self.token = secret, token
    def get_access_key_id(self):
        return "STS.NTpythonProvider01"
    def get_access_key_secret(self):
        return self.secret
    def get_security_token(self):
        return self.token

class Provider(object):
    def __init__(self, creds):
        self.creds = creds
    def get_credentials(self):
        return self.creds

held = Creds(_read_str(%r), _read_str(%r))
provider = Provider(held)
"""


def test_e_signing_with_a_python_provider_adds_no_copy(tmp_path):
    creds = _fresh_credentials()
    (tmp_path / "secret").write_text(creds.access_key_secret)
    (tmp_path / "token").write_text(creds.security_token)
    needles = [creds.access_key_secret.encode(), creds.security_token.encode()]
    counts = {}
    for sign in (False, True):
        script = _SIGN + _PYTHON_PROVIDER % (str(tmp_path / "secret"), str(tmp_path / "token"))
        if sign:
            script += "urls = _sign_all(provider)\n"
        script += "del provider\ngc.collect()\n_only_this_thread_left()\n"
        found = memscan.secret_copies(script, needles)
        counts[sign] = {"secret": found[needles[0]], "token": found[needles[1]] - (URLS if sign else 0)}
    # Python's own copies: the two strings the provider holds. Signing (the token also sits in
    # each signed URL, subtracted above) must add none.
    assert counts == {False: {"secret": 1, "token": 1}, True: {"secret": 1, "token": 1}}
