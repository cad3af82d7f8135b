"""What a fetch may return, in every shape the providers accept, and the Python-side sources:
Function Compute's context/environment and alibabacloud_credentials' Client."""

import datetime as dt
import functools
import os
import sys

import alibabacloud_oss_v2 as oss_v2
import oss2
import pytest
from alibabacloud_credentials.client import Client
from alibabacloud_credentials.models import Config, CredentialModel

import ossauth
from ossauth.testing import frozen_time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from credential_shapes import ExpiringGetterCredentials  # noqa: E402
from waiting import DEADLINE, wait_for  # noqa: E402

T0 = 1_700_000_000
EXP = T0 + 3600
EXP_DT = dt.datetime.fromtimestamp(EXP, dt.timezone.utc)


Getters = functools.partial(ExpiringGetterCredentials, "getter-id", "getter-secret", "getter-token", EXP)


class Attributes:
    access_key_id, access_key_secret, security_token, expiration = "attr-id", "attr-secret", None, EXP_DT


SHAPES = [
    ("ossauth", lambda: ossauth.Credentials("id", "secret", "tok", EXP), ("id", "tok", EXP)),
    ("oss2", lambda: oss2.credentials.Credentials("o2-id", "o2-secret", "o2-tok"), ("o2-id", "o2-tok", None)),
    ("oss-v2", lambda: oss_v2.credentials.Credentials("v2-id", "v2-secret", None, EXP_DT), ("v2-id", None, EXP)),
    ("CredentialModel", lambda: CredentialModel(access_key_id="cm-id", access_key_secret="cm-secret",
                                                security_token="cm-tok", type="sts"), ("cm-id", "cm-tok", None)),
    ("getters", Getters, ("getter-id", "getter-token", EXP)),
    ("attributes", Attributes, ("attr-id", None, EXP)),
    ("uri dict, ISO", lambda: {"Code": "Success", "AccessKeyId": "u-id", "AccessKeySecret": "u-secret",
                               "SecurityToken": "u-tok", "Expiration": "2023-11-14T23:13:20Z"}, ("u-id", "u-tok", EXP)),
    ("dict, epoch float", lambda: {"AccessKeyId": "f-id", "AccessKeySecret": "f", "Expiration": float(EXP)},
     ("f-id", None, EXP)),
    ("dict, offset ISO", lambda: {"AccessKeyId": "o-id", "AccessKeySecret": "o",
                                  "Expiration": "2023-11-15T07:13:20+08:00"}, ("o-id", None, EXP)),
]


@pytest.mark.parametrize("label,make,expected", SHAPES, ids=[s[0] for s in SHAPES])
def test_every_shape_fetch_may_return(label, make, expected):
    provider = ossauth.RefreshingCredentialsProvider(make)
    with frozen_time(T0):
        creds = provider.get_credentials()
    key_id, token, expires = expected
    assert creds.access_key_id == key_id
    assert creds.security_token == token  # None, never '', when there is no token
    assert (None if creds.expiration is None else int(creds.expiration.timestamp())) == expires


def test_function_compute_context_then_environment(monkeypatch):
    class Context:
        class credentials:
            access_key_id, access_key_secret, security_token = "STS.fc", "fc-secret", "fc-token"

    assert ossauth.FunctionComputeCredentialsProvider(Context()).get_credentials().access_key_id == "STS.fc"

    for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ossauth.CredentialsError, match="ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET"):
        # The failure is the answer as soon as it happens; the timeout only bounds a hang.
        ossauth.FunctionComputeCredentialsProvider(timeout=DEADLINE).get_credentials()
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.env")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret")
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "env-token")
    creds = ossauth.FunctionComputeCredentialsProvider().get_credentials()
    assert (creds.access_key_id, creds.security_token) == ("STS.env", "env-token")


def test_function_compute_reads_the_environment_again_after_the_interval(monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.one")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s")
    provider = ossauth.FunctionComputeCredentialsProvider(refresh_interval=300)
    with frozen_time(T0):
        assert provider.get_credentials().access_key_id == "STS.one"
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.two")
    with frozen_time(T0 + 299):
        assert provider.get_credentials().access_key_id == "STS.one"
    with frozen_time(T0 + 300):
        provider.get_credentials()  # starts the background read
        wait_for(lambda: provider.get_credentials().access_key_id == "STS.two", "the background read")


@pytest.mark.parametrize("config,key_id,token", [
    (Config(type="access_key", access_key_id="LTAIclient", access_key_secret="client-secret"), "LTAIclient", None),
    (Config(type="sts", access_key_id="STS.client", access_key_secret="client-secret",
            security_token="client-token"), "STS.client", "client-token"),
])
def test_alibabacloud_credentials_client_adapter(config, key_id, token):
    provider = ossauth.CredentialsClientProvider(Client(config))
    creds = provider.get_credentials()
    assert (creds.access_key_id, creds.security_token) == (key_id, token)
    assert provider.get_credentials() is creds
