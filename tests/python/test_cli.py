"""The presign CLI against the reference: for the same endpoint, key, instant and credentials,
``ossauth presign`` prints exactly the URL ``oss2.Bucket(...).sign_url(...)`` returns; bad
input is a clear error that never shows the secret."""

import os
import subprocess
import sys
import sysconfig

import oss2
import pytest

from ossauth import _cli
from ossauth.testing import frozen_time

AK, SK, TOKEN = "LTAI5tExampleId", "sk-secret-0123456789", "sts-token-abcdef"
T = 1_700_000_000

KEYS = [
    "a/b.txt",
    "dir//double slash",
    "plus+percent%tilde~hash#question?",
    "中文/文件 名.txt",
    "emoji 😀.bin",
    "tab\tkey",
]


@pytest.fixture
def env(clean_env, tmp_path):
    # The default chain reads the environment, then files under HOME, then the ECS metadata
    # service: each test controls all three.
    monkeypatch = clean_env
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
    monkeypatch.setenv("OSS_ACCESS_KEY_ID", AK)
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", SK)
    return monkeypatch


def cli(capsys, *argv):
    """Runs the CLI in-process: (exit status, stdout, stderr)."""
    try:
        status = _cli.main(list(argv))
    except SystemExit as e:
        status = e.code
    out, err = capsys.readouterr()
    return status, out, err


def reference(version, endpoint, bucket, key, *, region=None, token=None, method="GET", expires=3600,
              headers=None, params=None, cname=False, path_style=False, slash_safe=False):
    provider = oss2.StaticCredentialsProvider(AK, SK, token)
    auth = {"v1": oss2.ProviderAuth, "v2": oss2.ProviderAuthV2, "v4": oss2.ProviderAuthV4}[version](provider)
    b = oss2.Bucket(auth, endpoint, bucket, is_cname=cname, region=region, is_path_style=path_style)
    with frozen_time(T, oss2=True):
        return b.sign_url(method, key, expires, headers=headers, params=params, slash_safe=slash_safe)


@pytest.mark.parametrize("version", ["v4", "v1", "v2"])
@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("token", [None, TOKEN])
def test_same_url_as_oss2_for_keys_and_tokens(env, capsys, version, key, token):
    if token:
        env.setenv("OSS_SESSION_TOKEN", token)
    status, out, err = cli(capsys, "presign", "oss://examplebucket/" + key, "--region", "cn-hangzhou",
                           "--version", version, "--at", str(T))
    assert (status, err) == (0, "")
    assert out == reference(version, "https://oss-cn-hangzhou.aliyuncs.com", "examplebucket", key,
                            region="cn-hangzhou", token=token) + "\n"


ENDPOINTS = [
    # (--endpoint, extra CLI flags, oss2.Bucket keyword arguments)
    ("https://oss-cn-beijing.aliyuncs.com", [], {}),
    ("oss-cn-shanghai.aliyuncs.com", [], {}),  # no scheme: http://, as oss2 does
    ("https://oss-cn-hangzhou-internal.aliyuncs.com:8443", [], {}),
    ("http://127.0.0.1:9000", ["--region", "cn-hangzhou"], {}),
    ("http://localhost", ["--region", "cn-hangzhou"], {}),
    ("https://static.example.com", ["--cname", "--region", "cn-hangzhou"], {"cname": True}),
    ("https://oss-cn-hangzhou.aliyuncs.com", ["--path-style"], {"path_style": True}),
]


@pytest.mark.parametrize("version", ["v4", "v1"])
@pytest.mark.parametrize("endpoint,flags,kwargs", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_same_url_as_oss2_for_endpoints(env, capsys, version, endpoint, flags, kwargs):
    status, out, err = cli(capsys, "presign", "oss://my-bucket-1/x/y.png", "--endpoint", endpoint,
                           "--version", version, "--at", str(T), *flags)
    assert (status, err) == (0, "")
    region = flags[flags.index("--region") + 1] if "--region" in flags else None
    region = region or endpoint.split("oss-")[1].split(".")[0].replace("-internal", "")
    assert out == reference(version, endpoint, "my-bucket-1", "x/y.png", region=region, **kwargs) + "\n"


@pytest.mark.parametrize("version", ["v4", "v1", "v2"])
def test_same_url_as_oss2_with_method_headers_params(env, capsys, version):
    status, out, err = cli(
        capsys, "presign", "oss://examplebucket/upload/ファイル.txt", "--region", "cn-hangzhou",
        "--version", version, "--at", str(T), "--method", "PUT", "--expires", "600",
        "--header", "Content-Type: text/plain", "--header", "x-oss-meta-owner:alice",
        "--param", "response-content-disposition=attachment; filename=a b.txt", "--param", "versionId=v1",
        "--slash-safe",
    )
    assert (status, err) == (0, "")
    assert out == reference(
        version, "https://oss-cn-hangzhou.aliyuncs.com", "examplebucket", "upload/ファイル.txt",
        region="cn-hangzhou", method="PUT", expires=600, slash_safe=True,
        headers={"Content-Type": "text/plain", "x-oss-meta-owner": "alice"},
        params={"response-content-disposition": "attachment; filename=a b.txt", "versionId": "v1"},
    ) + "\n"


def test_at_takes_iso_8601(env, capsys):
    status, out, _ = cli(capsys, "presign", "oss://examplebucket/k", "--region", "cn-hangzhou",
                         "--at", "2023-11-15T06:13:20+08:00")
    assert status == 0
    assert out == reference("v4", "https://oss-cn-hangzhou.aliyuncs.com", "examplebucket", "k",
                            region="cn-hangzhou") + "\n"


def test_explain_prints_stages_to_stderr_and_url_to_stdout(env, capsys):
    env.setenv("OSS_SESSION_TOKEN", TOKEN)
    status, out, err = cli(capsys, "presign", "oss://examplebucket/k", "--region", "cn-hangzhou",
                           "--at", str(T), "--explain")
    assert status == 0
    assert out == reference("v4", "https://oss-cn-hangzhou.aliyuncs.com", "examplebucket", "k",
                            region="cn-hangzhou", token=TOKEN) + "\n"
    assert "\n/examplebucket/k\n" in err  # the canonical URI line
    assert "OSS4-HMAC-SHA256\n20231114T221320Z\n20231114/cn-hangzhou/oss/aliyun_v4_request\n" in err
    assert SK not in err and SK not in out
    assert TOKEN not in err and "******" in err  # str(details) masks the token; the URL carries it


@pytest.mark.parametrize("endpoint,region", [
    ("oss-cn-hangzhou.aliyuncs.com", "cn-hangzhou"),
    ("https://oss-ap-southeast-1-internal.aliyuncs.com", "ap-southeast-1"),
    ("https://cn-shenzhen.oss.aliyuncs.com", "cn-shenzhen"),
    ("http://oss-rg-china-mainland.aliyuncs.com:80", "rg-china-mainland"),
])
def test_region_inferred_from_standard_endpoint(env, capsys, endpoint, region):
    status, out, _ = cli(capsys, "presign", "oss://examplebucket/k", "--endpoint", endpoint, "--at", str(T))
    assert status == 0
    assert "%2F" + region + "%2Foss%2Faliyun_v4_request" in out


@pytest.mark.parametrize("argv,message", [
    (["--region", "oss-cn-hangzhou"], "use the region id 'cn-hangzhou'"),
    (["--region", "oss-cn-hangzhou.aliyuncs.com"], "pass it as --endpoint; its region is 'cn-hangzhou'"),
    (["--region", "CN_Hangzhou"], "is not a region id"),
    (["--region", "cn-beijing", "--endpoint", "oss-cn-hangzhou.aliyuncs.com"], "does not match endpoint"),
    ([], "give --region"),
    (["--endpoint", "https://static.example.com", "--cname"], "give --region"),
    (["--endpoint", "https://oss-accelerate.aliyuncs.com"], "give --region"),
    (["--region", "cn-hangzhou", "--expires", "0"], "--expires must be a positive"),
    (["--region", "cn-hangzhou", "--expires", "604801"], "at most 604800 seconds"),
    (["--region", "cn-hangzhou", "--at", "2023-11-15T06:13:20"], "has no UTC offset"),
    (["--region", "cn-hangzhou", "--header", "novalue"], "--header takes NAME:VALUE"),
    (["--region", "cn-hangzhou", "--endpoint", "http://[::1"], "is not a valid URL"),
])
def test_bad_arguments_are_clear_errors(env, capsys, argv, message):
    status, out, err = cli(capsys, "presign", "oss://examplebucket/k", *argv)
    assert status == 2 and out == ""
    assert message in err
    assert SK not in err


@pytest.mark.parametrize("uri,message", [
    ("examplebucket/k", "expected oss://BUCKET/KEY"),
    ("oss:///k", "names no bucket"),
    ("oss://examplebucket", "names no object key"),
    ("oss://examplebucket/ ", "names no object key"),
    ("oss://Example_Bucket/k", "is not a valid bucket name"),
])
def test_bad_uris(env, capsys, uri, message):
    status, _, err = cli(capsys, "presign", uri, "--region", "cn-hangzhou")
    assert status == 2 and message in err


def test_v1_refuses_a_key_starting_with_question_mark_like_oss2(env, capsys):
    status, _, err = cli(capsys, "presign", "oss://examplebucket/?acl", "--region", "cn-hangzhou",
                         "--version", "v1")
    assert status == 2 and "cannot start with '?'" in err
    auth = oss2.ProviderAuth(oss2.StaticCredentialsProvider(AK, SK))
    with pytest.raises(oss2.exceptions.ClientError):
        oss2.Bucket(auth, "oss-cn-hangzhou.aliyuncs.com", "examplebucket").sign_url("GET", "?acl", 60)


def test_missing_credentials_name_the_variables(env, capsys):
    env.delenv("OSS_ACCESS_KEY_SECRET")
    status, out, err = cli(capsys, "presign", "oss://examplebucket/k", "--region", "cn-hangzhou")
    assert status == 1 and out == ""
    assert "OSS_ACCESS_KEY_SECRET" in err


def _script():
    return os.path.join(sysconfig.get_path("scripts"), "ossauth")


@pytest.mark.parametrize("command", [[sys.executable, "-m", "ossauth"], [_script()]], ids=["python -m", "script"])
def test_installed_entry_points(env, command):
    """The module and the console script, in a real process, print oss2's URL."""
    run = subprocess.run(
        command + ["presign", "oss://examplebucket/dir/k 1", "--region", "cn-hangzhou", "--at", str(T)],
        capture_output=True, text=True, env=dict(os.environ), timeout=60,
    )
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout == reference("v4", "https://oss-cn-hangzhou.aliyuncs.com", "examplebucket", "dir/k 1",
                                   region="cn-hangzhou") + "\n"


def _ini(home, body):
    path = home / ".alibabacloud" / "credentials.ini"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    return path


def test_presign_takes_credentials_from_the_default_chain(env, capsys, tmp_path):
    """No variables, a credentials.ini profile: the URL is oss2's for those credentials."""
    env.delenv("OSS_ACCESS_KEY_ID")
    env.delenv("OSS_ACCESS_KEY_SECRET")
    _ini(tmp_path, "[default]\ntype = sts\naccess_key_id = %s\naccess_key_secret = %s\n"
                   "security_token = %s\n" % (AK, SK, TOKEN))
    status, out, err = cli(capsys, "presign", "oss://examplebucket/a b", "--region", "cn-hangzhou",
                           "--at", str(T))
    assert (status, err) == (0, "")
    assert out == reference("v4", "https://oss-cn-hangzhou.aliyuncs.com", "examplebucket", "a b",
                            region="cn-hangzhou", token=TOKEN) + "\n"


def test_credentials_shows_source_masked_id_and_kind(env, capsys):
    status, out, err = cli(capsys, "credentials")
    assert (status, err) == (0, "")
    assert "source:        environment variables" in out
    assert "access key id: LTAI*******leId" in out
    assert "long-term AccessKey (no security token)" in out
    assert "expiration:    none" in out
    assert SK not in out and AK not in out


def test_credentials_sts_key_with_and_without_token(env, capsys, tmp_path):
    env.delenv("OSS_ACCESS_KEY_ID")
    env.delenv("OSS_ACCESS_KEY_SECRET")
    ini = _ini(tmp_path, "[default]\ntype = sts\naccess_key_id = STS.NTexample1234\n"
                         "access_key_secret = %s\nsecurity_token = %s\n" % (SK, TOKEN))
    status, out, err = cli(capsys, "credentials")
    assert (status, err) == (0, "")
    assert "source:        profile 'default' in %s" % ini in out
    assert "STS." + "*" * 9 + "1234" in out  # 17 characters, 4 kept at each end
    assert "STS temporary key, with a security token" in out
    assert SK not in out and TOKEN not in out

    env.setenv("OSS_ACCESS_KEY_ID", "STS.NTexample1234")
    env.setenv("OSS_ACCESS_KEY_SECRET", SK)
    status, out, err = cli(capsys, "credentials")
    assert "source:        environment variables" in out
    assert "WITHOUT a security token" in out


def test_credentials_failure_lists_every_source_once(env, capsys):
    env.delenv("OSS_ACCESS_KEY_ID")
    env.delenv("OSS_ACCESS_KEY_SECRET")
    status, out, err = cli(capsys, "credentials")
    assert status == 1 and out == ""
    assert err.startswith("ossauth: credentials: default credentials chain: no source gave credentials")
    for part in ("OSS_ACCESS_KEY_ID", "config.json", "credentials.ini"):
        assert err.count(part) >= 1, part
    assert "ECS RAM role" not in err  # disabled by ALIBABA_CLOUD_ECS_METADATA_DISABLED
    assert "credentials refresh failed" not in err  # the log warning is not printed as well
