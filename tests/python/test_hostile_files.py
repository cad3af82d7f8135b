"""Hostile local files and sizes: a FIFO (or directory, socket) where a credentials file should
be, a ChainableRamRoleArn chain thousands of profiles long, a credentials.ini key that is a
pasted secret, and V2 signing with hundreds of thousands of additional headers.

Each case runs in a subprocess with a generous deadline (120 s) and a controlled environment
(HOME, no OSS_*/ALIBABA_CLOUD_* variables, ECS disabled): what used to happen -- a hang on
the FIFO, a segfault on the stack overflow, minutes of quadratic work -- shows as a timeout or
a killed process, failing the test instead of hanging or crashing the suite. The deadlines
are far above the few seconds the fixed code needs even on a loaded machine.
"""

import json
import os
import socket
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fake_services import refused_url  # noqa: E402
from waiting import DEADLINE  # noqa: E402


def run(script, home, env=None, timeout=2 * DEADLINE):
    """`script` in a fresh interpreter; its JSON report. Fails on a timeout or a crash."""
    full_env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
    }
    full_env.update(env or {})
    try:
        proc = subprocess.run([sys.executable, "-c", script], env=full_env, cwd=str(home),
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail("not done within %d s: the provider blocked or the work is not linear" % timeout)
    assert proc.returncode == 0, "exit %d, stderr: %s" % (proc.returncode, proc.stderr[-2000:])
    return json.loads(proc.stdout)


#: Builds each provider given as (name, constructor source) and reports its error, if any, on
#: construction and on get_credentials().
PROVIDERS_SCRIPT = r"""
import json, sys
import ossauth
out = {}
for name, make in %s:
    try:
        p = eval(make)
        p.get_credentials()
        out[name] = "no error"
    except ossauth.CredentialsError as e:
        out[name] = str(e)
print(json.dumps(out))
"""


def providers(home, cases, env=None):
    return run(PROVIDERS_SCRIPT % repr(cases), home, env)


@pytest.fixture
def home(tmp_path):
    h = tmp_path / "home"
    (h / ".alibabacloud").mkdir(parents=True)
    (h / ".aliyun").mkdir()
    return h


def make_special(path, kind):
    if kind == "fifo":
        os.mkfifo(str(path))
    elif kind == "directory":
        path.mkdir()
    elif kind == "socket":
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(path))
        return s  # kept open by the caller
    return None


KINDS = {"fifo": "a FIFO (named pipe)", "directory": "a directory", "socket": "a socket"}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_special_files_are_refused_at_once_by_every_file_source(home, kind):
    """credentials.ini, config.json and the OIDC token file: a FIFO used to block open()
    forever (the provider hung, the default chain waited 31 s per call); now every source
    refuses a non-regular file at once, naming what it is."""
    ini = home / ".alibabacloud" / "credentials.ini"
    cli = home / ".aliyun" / "config.json"
    token = home / "token"
    keep = [make_special(p, kind) for p in (ini, cli, token)]
    cases = [
        ("ini", "ossauth.ProfileCredentialsProvider(path=%r)" % str(ini)),
        ("json", "ossauth.ProfileCredentialsProvider(path=%r)" % str(cli)),
        ("oidc", "ossauth.OidcRoleArnCredentialsProvider('acs:ram::1:role/r', 'acs:ram::1:oidc-provider/p', %r,"
                 " sts_endpoint=%r, timeout=60)" % (str(token), refused_url())),
        ("chain", "ossauth.DefaultCredentialsProvider(timeout=60)"),
    ]
    got = providers(home, cases)
    not_regular = "the path is %s, not a regular file" % KINDS[kind]
    assert got["ini"] == "profile 'default' in %s: %s" % (ini, not_regular)
    assert got["json"] == "profile '(current)' in %s: %s" % (cli, not_regular)
    assert got["oidc"] == "OIDC role ARN (acs:ram::1:role/r): cannot read the OIDC token file %s: %s" % (
        token, not_regular)
    # The chain lists both files as failures (they are there, and wrong), not as absent.
    failed = got["chain"].split("\nFailed, in the order tried:\n")[1].split("\nNot configured:\n")[0]
    assert "  - profile '(current)' in %s: %s" % (cli, not_regular) in failed.split("\n"), got["chain"]
    assert "  - profile 'default' in %s: %s" % (ini, not_regular) in failed.split("\n"), got["chain"]
    for s in keep:
        if s is not None:
            s.close()


def chain_config(n):
    """`n` ChainableRamRoleArn profiles c0 -> c1 -> ... -> base (an AccessKey)."""
    profiles = [{"name": "c%d" % i, "mode": "ChainableRamRoleArn",
                 "source_profile": "c%d" % (i + 1) if i + 1 < n else "base",
                 "ram_role_arn": "acs:ram::1:role/r%d" % i} for i in range(n)]
    profiles.append({"name": "base", "mode": "AK", "access_key_id": "LTAIbase", "access_key_secret": "s"})
    return json.dumps({"current": "c0", "profiles": profiles})


def test_a_chain_of_thousands_of_profiles_is_an_error_not_a_crash(home):
    """A config.json of ~0.5 MiB (under the 1 MiB cap) whose chain is 5,000 links long used
    to overflow the stack (the process died); now the constructor says the chain is too long,
    and so does the default chain on its refresh thread."""
    cli = home / ".aliyun" / "config.json"
    cli.write_text(chain_config(5000))
    assert cli.stat().st_size < 1024 * 1024
    got = providers(home, [
        ("profile", "ossauth.ProfileCredentialsProvider(path=%r)" % str(cli)),
        ("chain", "ossauth.DefaultCredentialsProvider(timeout=60)"),
    ])
    head = "profile 'c0' in %s: the ChainableRamRoleArn chain is longer than 16 roles (c0 -> c1 -> " % cli
    assert got["profile"].startswith(head), got["profile"]
    assert got["profile"].endswith(" -> c15 -> c16 -> ...); chain at most 16"), got["profile"]
    assert head in got["chain"].split("\nFailed, in the order tried:\n")[1], got["chain"]


def test_a_profile_loop_names_the_loop(home):
    cli = home / ".aliyun" / "config.json"
    cli.write_text(json.dumps({"current": "a", "profiles": [
        {"name": "a", "mode": "ChainableRamRoleArn", "source_profile": "b", "ram_role_arn": "acs:ram::1:role/a"},
        {"name": "b", "mode": "ChainableRamRoleArn", "source_profile": "a", "ram_role_arn": "acs:ram::1:role/b"},
    ]}))
    got = providers(home, [("profile", "ossauth.ProfileCredentialsProvider(path=%r)" % str(cli))])
    assert got["profile"] == "profile 'a' in %s: source_profile loop: a -> b -> a" % cli


def test_a_duplicate_key_is_reported_by_line_and_section_never_echoed(home):
    """A token pasted as a key, twice: the error says where, not what."""
    pasted = "CAISPastedSecurityToken8f7e6d5c4b3a"
    ini = home / ".alibabacloud" / "credentials.ini"
    ini.write_text("[default]\ntype = access_key\n%s = 1\n%s = 2\n" % (pasted, pasted))
    got = providers(home, [("ini", "ossauth.ProfileCredentialsProvider(path=%r)" % str(ini))])
    assert got["ini"] == (
        "profile 'default' in %s: line 4: a key of section 'default' appears a second time "
        "(each key may be set once per section)" % ini)
    assert pasted.lower() not in got["ini"].lower()


#: V2 signing (request and URL) with N headers, every one an additional header.
V2_SCRIPT = r"""
import json, sys, oss2, ossauth
n = int(sys.argv[1]) if len(sys.argv) > 1 else %d
names = ["h%%07d" %% i for i in range(n)]
auth = ossauth.AuthV2("LTAIexampleKeyId", "secret")
req = oss2.http.Request("GET", "http://b.oss-cn-hangzhou.aliyuncs.com/k",
                        headers={name: "v" for name in names})
auth._sign_request(req, "b", "k", names)
url = auth._sign_url(oss2.http.Request("GET", "http://b.oss-cn-hangzhou.aliyuncs.com/k",
                     headers={name: "v" for name in names}), "b", "k", 60, names)
print(json.dumps({"listed": req.headers["authorization"].count(";") + 1, "url": len(url)}))
"""


def test_v2_signing_is_linear_in_additional_headers(home):
    """400,000 headers, each listed as additional: checking each header against the list
    was ~1.6 * 10^11 comparisons per signature (many minutes); now it is a hash lookup and the
    whole script takes seconds. The deadline (120 s) lies between the two."""
    n = 400000
    got = run(V2_SCRIPT % n, home)
    assert got["listed"] == n
    assert got["url"] > n * len("h0000000")
