"""Edges found in review: proxies chosen by scheme and never for the metadata service, URLs
checked before anything is sent, passwords in URLs kept out of messages, and `presign --at`
with a source that needs the real time."""

import os
import sys

import oss2
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fake_http import FakeHttpServer  # noqa: E402
from fake_services import FakeCredentials, FakeCredentialsUri  # noqa: E402

import ossauth  # noqa: E402
from ossauth import _cli  # noqa: E402


class CountingProxy(FakeHttpServer):
    """A proxy that counts the connections made to it (``connections``) and hangs up on every
    request without an answer."""

    def handle(self, h):
        h.close_connection = True


@pytest.fixture
def proxy(clean_env):
    with CountingProxy() as p:
        yield p


def test_https_proxy_is_not_used_for_an_http_uri(proxy, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    with FakeCredentialsUri() as fake:
        creds = ossauth.UriCredentialsProvider(fake.url + "/creds").get_credentials()
        assert creds.access_key_id == fake.credentials.access_key_id
    assert proxy.connections == 0


def test_http_proxy_is_used_for_an_http_uri_unless_no_proxy(proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    with FakeCredentialsUri() as fake:
        with pytest.raises(ossauth.CredentialsError):
            ossauth.UriCredentialsProvider(fake.url + "/creds", connect_timeout=1, read_timeout=1).get_credentials()
        assert proxy.connections >= 1
        monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
        creds = ossauth.UriCredentialsProvider(fake.url + "/creds").get_credentials()
        assert creds.access_key_id == fake.credentials.access_key_id


def test_metadata_service_is_never_reached_through_a_proxy(proxy, monkeypatch, tmp_path):
    """An ecs_ram_role profile, with every proxy variable pointing at the counting proxy."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, proxy.url)
    ini = tmp_path / "credentials.ini"
    ini.write_text("[default]\ntype = ecs_ram_role\nrole_name = OssRole\n")
    provider = ossauth.ProfileCredentialsProvider(path=ini, timeout=10)
    with pytest.raises(ossauth.CredentialsError) as caught:
        provider.get_credentials()
    assert "ECS RAM role (http://100.100.100.200)" in str(caught.value)
    assert proxy.connections == 0


@pytest.mark.parametrize("port", ["65616", "99999", "0x50"])
def test_a_port_that_is_not_a_port_is_an_error_and_nothing_is_sent(port):
    with pytest.raises(ossauth.CredentialsError) as caught:
        ossauth.UriCredentialsProvider("http://127.0.0.1:%s/creds?token=q-secret" % port).get_credentials()
    text = str(caught.value)
    assert '"%s" is not a port number' % port in text
    assert "q-secret" not in text


def test_passwords_in_urls_stay_out_of_names_errors_and_reprs(caplog):
    caplog.set_level("DEBUG", logger="ossauth")
    provider = ossauth.UriCredentialsProvider("http://user:pa55word@127.0.0.1:1/creds", connect_timeout=1,
                                              read_timeout=1)
    with pytest.raises(ossauth.CredentialsError) as caught:
        provider.get_credentials()
    for text in (str(caught.value), repr(provider), caplog.text):
        assert "pa55word" not in text
    assert str(caught.value).startswith("credentials URI (http://127.0.0.1:1/creds)")


def test_presign_at_an_instant_fetches_credentials_at_the_real_time(proxy, monkeypatch, capsys, tmp_path):
    """A source whose credentials expire is asked at the real time; the URL is signed at --at."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
    with FakeCredentialsUri() as fake:
        import time
        fake.credentials = FakeCredentials.random(expiration=int(time.time()) + 3600)
        monkeypatch.setenv("ALIBABA_CLOUD_CREDENTIALS_URI", fake.url + "/creds")
        status = _cli.main(["presign", "oss://examplebucket/k", "--region", "cn-hangzhou",
                            "--at", "2020-01-01T00:00:00Z"])
        out = capsys.readouterr().out.strip()
        c = fake.credentials
    assert status == 0
    auth = oss2.ProviderAuthV4(oss2.StaticCredentialsProvider(c.access_key_id, c.access_key_secret,
                                                              c.security_token))
    bucket = oss2.Bucket(auth, "https://oss-cn-hangzhou.aliyuncs.com", "examplebucket", region="cn-hangzhou")
    from ossauth.testing import frozen_time
    with frozen_time(1577836800, oss2=True):
        assert out == bucket.sign_url("GET", "k", 3600)


@pytest.mark.parametrize("cls", [ossauth.RamRoleArnCredentialsProvider, ossauth.OidcRoleArnCredentialsProvider])
def test_a_region_that_is_not_a_region_is_refused(cls, proxy):
    kwargs = {"access_key_id": "LTAI5tKey", "access_key_secret": "secret"} if cls is ossauth.RamRoleArnCredentialsProvider \
        else {"oidc_provider_arn": "acs:ram::1:oidc-provider/p", "oidc_token_file": "/t"}
    with pytest.raises(ossauth.CredentialsError, match="is not a region id"):
        cls("acs:ram::1:role/r", sts_region="x.example.com/", **kwargs)
