"""The typed stubs describe the public API: a strict mypy run accepts typical use of every
provider and rejects a wrong argument type (so the stubs, not `Any`, are what it checked), and
mypy.stubtest finds the extension's stub, `_core.pyi`, true to the built module."""

import pathlib
import subprocess
import sys
import textwrap

import pytest

GOOD = '''
import datetime
import oss2
import ossauth

def fetch() -> dict[str, str]:
    return {"AccessKeyId": "LTAI5tExample", "AccessKeySecret": "secret"}

providers: list[ossauth.RefreshingCredentialsProvider] = [
    ossauth.RefreshingCredentialsProvider(fetch, refresh_interval=300, timeout=5.0),
    ossauth.EcsRamRoleCredentialsProvider("Role", endpoint="http://127.0.0.1:1", disable_imds_v1=True),
    ossauth.RamRoleArnCredentialsProvider("acs:ram::1:role/r", source=ossauth.EnvironmentVariableCredentialsProvider(),
                                          duration_seconds=900, sts_region="cn-hangzhou"),
    ossauth.OidcRoleArnCredentialsProvider("acs:ram::1:role/r", "acs:ram::1:oidc-provider/p", "/tmp/token"),
    ossauth.UriCredentialsProvider("http://127.0.0.1:1/c", read_timeout=2.0),
    ossauth.ProfileCredentialsProvider("default", "/tmp/credentials.ini", refresh_interval=None),
    ossauth.FunctionComputeCredentialsProvider(None),
]
chain = ossauth.DefaultCredentialsProvider(ecs_metadata_endpoint="http://127.0.0.1:1")
name: str | None = chain.source_name
creds: ossauth.Credentials = chain.get_credentials()
when: datetime.datetime | None = creds.expiration
masked: str = creds.masked_access_key_id()
auth = ossauth.ProviderAuthV4(chain)
presigner = ossauth.Presigner(auth, "https://oss-cn-hangzhou.aliyuncs.com", "examplebucket", region="cn-hangzhou")
url: str = presigner.sign_url("GET", "k", 60, headers={"Content-Type": "text/plain"}, slash_safe=True)
urls: list[str] = presigner.sign_urls("GET", ["k", b"j"], 60, threads=2)
same: ossauth.Presigner = ossauth.Presigner.from_bucket(oss2.Bucket(auth, "oss-cn-hangzhou.aiyuncs.com", "b-1"))

import alibabacloud_oss_v2 as oss
import ossauth.oss_v2
signers: list[oss.signer.SignerV4 | oss.signer.SignerV1] = [ossauth.oss_v2.SignerV4(), ossauth.oss_v2.SignerV1()]
for s in signers:
    s.sign(oss.types.SigningContext())
'''

BAD = '''
import ossauth
ossauth.UriCredentialsProvider(uri=5)
'''

BAD_SIGNER = '''
import ossauth.oss_v2
ossauth.oss_v2.SignerV4().sign(5, 6)
'''


def mypy(tmp_path, source):
    path = tmp_path / "snippet.py"
    path.write_text(textwrap.dedent(source))
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-version", "3.11",
         "--ignore-missing-imports", str(path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )


def test_typical_use_type_checks(tmp_path):
    run = mypy(tmp_path, GOOD)
    assert run.returncode == 0, run.stdout + run.stderr


def test_wrong_argument_type_is_caught(tmp_path):
    run = mypy(tmp_path, BAD)
    assert run.returncode == 1, run.stdout + run.stderr
    assert 'Argument "uri" to "UriCredentialsProvider" has incompatible type "int"' in run.stdout


def test_oss_v2_signer_misuse_is_caught(tmp_path):
    run = mypy(tmp_path, BAD_SIGNER)
    assert run.returncode == 1, run.stdout + run.stderr
    assert 'Too many arguments for "sign" of "SignerV4"' in run.stdout


ALLOWLIST = pathlib.Path(__file__).with_name("stubtest_allowlist.txt")


def _mypy_knows_disjoint_base():
    import mypy
    typeshed = pathlib.Path(mypy.__file__).parent / "typeshed" / "stdlib" / "typing_extensions.pyi"
    return "def disjoint_base" in typeshed.read_text(encoding="utf-8")


# The stub marks pyo3's classes with PEP 800's @disjoint_base, which stubtest demands of a mypy
# that knows it; an older mypy (the newest that installs on some CPython) cannot read it.
@pytest.mark.skipif(not _mypy_knows_disjoint_base(), reason="this mypy predates PEP 800 (@disjoint_base)")
def test_core_stub_matches_the_extension(tmp_path):
    """mypy.stubtest imports the built extension and compares every name, signature, default
    and class property (final, disjoint base) with _core.pyi; the allowlist holds, each with
    why, what it reports that is no mismatch (an entry that matches nothing fails too)."""
    run = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "ossauth._core", "--allowlist", str(ALLOWLIST)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Success" in run.stdout, run.stdout + run.stderr
