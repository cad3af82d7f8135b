"""The default credentials chain and ProfileCredentialsProvider, each run in a subprocess whose
environment and HOME the test controls.

Why subprocesses: the chain reads the process environment and ``$HOME`` (config.json,
credentials.ini), so a test must decide *every* variable the provider sees; a developer's own
``OSS_*`` / ``ALIBABA_CLOUD_*`` variables or ``~/.aliyun`` must never leak into an answer.
Each run gets an environment built from scratch (``PATH``, ``HOME`` pointing to a tmp dir, and
what the test sets) and reports, as JSON, what the provider gave (or the ``CredentialsError``
text) and which ``OSS_*`` / ``ALIBABA_CLOUD_*`` variables it saw.

The network services are the local fakes of ``fake_services.py`` (STS verifies signatures),
running in the test process; their URLs reach the subprocess through the environment
(``ALIBABA_CLOUD_STS_ENDPOINT``, ``ALIBABA_CLOUD_CREDENTIALS_URI``, profile files) or the
``ecs_metadata_endpoint=`` argument. The ECS source is always either disabled or pointed at a
fake (or at a refused port): no test can reach the real 100.100.100.200.

Expected values come from what the test wrote into files, variables and fakes, or from what
the fakes recorded issuing -- never from ossauth's own output.
"""

import json
import os
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fake_services import (  # noqa: E402
    FakeCredentials,
    FakeCredentialsUri,
    FakeImds,
    FakeSts,
    refused_url,
)

ACCOUNT = "1234567890123456"
ROLE_ARN = "acs:ram::%s:role/chain-test-role" % ACCOUNT
ROLE_ARN_2 = "acs:ram::%s:role/second-role" % ACCOUNT
OIDC_PROVIDER_ARN = "acs:ram::%s:oidc-provider/ack-rrsa-test" % ACCOUNT
OIDC_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL29pZGMiLCJzdWIiOiJzYSIsImF1ZCI6InN0cyJ9.c2lnbmF0dXJl"

CHAIN_ERROR_HEAD = "default credentials chain: no source gave credentials."
#: What the chain's error says to do, after its head.
CHAIN_ADVICE = ("To give it some, set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET, or create %s (a [default] "
                "profile), or run on ECS with a RAM role attached to the instance.")

# ---------------------------------------------------------------------------------------------
# The subprocess
# ---------------------------------------------------------------------------------------------

#: Runs one provider through a list of steps and prints a JSON report. Steps:
#:   {"op": "get"}                      get_credentials()
#:   {"op": "get", "at": EPOCH}         get_credentials() with ossauth's clock frozen at EPOCH
#:   {"op": "write", "path", "text"}    rewrite a file (between refreshes)
SCRIPT = r"""
import json, os, sys
import ossauth
from ossauth.testing import frozen_time

spec = json.loads(sys.argv[1])
report = {
    "seen_env": sorted(k for k in os.environ if k.startswith(("OSS_", "ALIBABA_CLOUD_"))),
    "home": os.environ.get("HOME"),
    "steps": [],
}

def creds_doc(c):
    exp = c.expiration
    return {
        "access_key_id": c.access_key_id,
        "access_key_secret": c.access_key_secret,
        "has_token": c.security_token is not None,
        "security_token": c.security_token,
        "expiration": None if exp is None else int(exp.timestamp()),
    }

cls = {"default": ossauth.DefaultCredentialsProvider, "profile": ossauth.ProfileCredentialsProvider}[spec["provider"]]
try:
    provider = cls(**spec["kwargs"])
except ossauth.CredentialsError as e:
    report["construct_error"] = str(e)
    print(json.dumps(report))
    sys.exit(0)
if spec["provider"] == "default":
    report["source_before"] = provider.source_name

for step in spec["steps"]:
    if step["op"] == "write":
        with open(step["path"], "w") as f:
            f.write(step["text"])
        continue
    out = {}
    try:
        if step.get("at") is not None:
            with frozen_time(step["at"]):
                c = provider.get_credentials()
        else:
            c = provider.get_credentials()
        out["credentials"] = creds_doc(c)
    except ossauth.CredentialsError as e:
        out["error"] = str(e)
    if spec["provider"] == "default":
        out["source_name"] = provider.source_name
    report["steps"].append(out)
print(json.dumps(report))
"""


class Run:
    """What one subprocess reported."""

    def __init__(self, report, stderr):
        self.report = report
        self.stderr = stderr
        self.steps = report["steps"]

    @property
    def construct_error(self):
        return self.report.get("construct_error")

    def step(self, i=0):
        return self.steps[i]

    @property
    def credentials(self):
        """The first step's credentials; fails the test, showing the error, if there were none."""
        first = self.steps[0]
        assert "credentials" in first, first
        return first["credentials"]

    @property
    def source_name(self):
        return self.steps[0]["source_name"]

    @property
    def error(self):
        first = self.steps[0]
        assert "error" in first, first
        return first["error"]


def _run(home, env, provider, kwargs, steps):
    full_env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(home)}
    full_env.update(env)
    spec = {"provider": provider, "kwargs": kwargs, "steps": steps}
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(spec)],
        env=full_env,
        cwd=str(home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    # The controlled environment is all the provider saw.
    assert report["home"] == str(home)
    assert report["seen_env"] == sorted(k for k in env if k.startswith(("OSS_", "ALIBABA_CLOUD_")))
    return Run(report, proc.stderr)


def run_chain(home, env=None, *, ecs=None, steps=None):
    """``DefaultCredentialsProvider`` in a subprocess. ``ecs``: a metadata service URL to point
    the ECS source at; without one, ECS is disabled *and* aimed at a refused port, so that the
    real 100.100.100.200 is never contacted whatever the chain does with the variable."""
    env = dict(env or {})
    if ecs is None:
        env.setdefault("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
        ecs = refused_url()
    return _run(home, env, "default", {"ecs_metadata_endpoint": ecs}, steps or [{"op": "get"}])


def run_profile(home, env=None, *, profile=None, path=None, steps=None):
    """``ProfileCredentialsProvider(profile, path)`` in a subprocess."""
    kwargs = {}
    if profile is not None:
        kwargs["profile"] = profile
    if path is not None:
        kwargs["path"] = str(path)
    return _run(home, dict(env or {}), "profile", kwargs, steps or [{"op": "get"}])


# ---------------------------------------------------------------------------------------------
# Files and expectations
# ---------------------------------------------------------------------------------------------


def ini_path(home):
    return home / ".alibabacloud" / "credentials.ini"


def cli_path(home):
    return home / ".aliyun" / "config.json"


def write_ini(home, text, path=None):
    path = path or ini_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def write_cli(home, profiles, current=None, path=None):
    path = path or cli_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"profiles": profiles, "meta_path": ""}
    if current is not None:
        doc["current"] = current
    path.write_text(json.dumps(doc, indent=2))
    return path


def ini_name(profile, path):
    return "profile '%s' in %s" % (profile, path)


def static(key_id, secret, token=None):
    return {"access_key_id": key_id, "access_key_secret": secret, "has_token": token is not None,
            "security_token": token, "expiration": None}


def issued(creds):
    """What a provider must return for a FakeCredentials a fake issued (expiration known)."""
    return {"access_key_id": creds.access_key_id, "access_key_secret": creds.access_key_secret,
            "has_token": True, "security_token": creds.security_token, "expiration": int(creds.expiration)}


def fixed_credentials(lifetime=3600):
    """Random fake credentials with an expiration fixed now, so the test knows it exactly."""
    return FakeCredentials.random(expiration=float(int(time.time()) + lifetime))


def the_signed_call(calls, access_key_id):
    """The one STS call made: answered, its signature verified, signed with `access_key_id`."""
    assert len(calls) == 1
    call = calls[0]
    assert call.status == 200, (call.error_code, call.string_to_sign)
    assert call.signature_verified
    assert call.params["AccessKeyId"] == access_key_id
    return call


def error_sections(text):
    """The chain error's two lists: (failed, not configured), each a list of per-source lines
    (continuation lines joined to their source), in the order the sources were tried."""
    assert text.startswith(CHAIN_ERROR_HEAD + " To give it some, "), text
    first, _, rest = text.partition("\n")
    assert first.endswith("on ECS with a RAM role attached to the instance."), text
    rest = "\n" + rest
    failed_text, _, absent_text = rest.partition("\nNot configured:\n")
    sections = []
    for part, head in ((failed_text, "\nFailed, in the order tried:\n"), (absent_text, "")):
        if head:
            if not part:
                sections.append([])
                continue
            assert part.startswith(head), text
            part = part[len(head):]
        if not part:
            sections.append([])
            continue
        assert part.startswith("  - "), text
        sections.append(part[len("  - "):].split("\n  - "))
    return sections[0], sections[1]


def error_lines(text):
    """Every source's line of the chain error: the failed ones, then the not configured."""
    failed, absent = error_sections(text)
    return failed + absent


@pytest.fixture
def home(tmp_path):
    h = tmp_path / "home"
    h.mkdir()
    return h


@pytest.fixture
def uri_credentials():
    return fixed_credentials()


# ---------------------------------------------------------------------------------------------
# 1. Environment variables first
# ---------------------------------------------------------------------------------------------


def test_environment_oss_names_win_over_alibaba_cloud_and_over_every_other_source(home, sts, uri):
    write_cli(home, [{"name": "default", "mode": "AK", "access_key_id": "LTAIcli", "access_key_secret": "cli-s"}],
              current="default")
    write_ini(home, "[default]\ntype = access_key\naccess_key_id = LTAIini\naccess_key_secret = ini-s\n")
    token_file = home / "oidc-token"
    token_file.write_text(OIDC_TOKEN)
    env = {
        "OSS_ACCESS_KEY_ID": "LTAIoss",
        "OSS_ACCESS_KEY_SECRET": "oss-secret",
        "OSS_SESSION_TOKEN": "oss-token",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIali",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "ali-secret",
        "ALIBABA_CLOUD_SECURITY_TOKEN": "ali-token",
        "ALIBABA_CLOUD_ROLE_ARN": ROLE_ARN,
        "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": OIDC_PROVIDER_ARN,
        "ALIBABA_CLOUD_OIDC_TOKEN_FILE": str(token_file),
        "ALIBABA_CLOUD_STS_ENDPOINT": sts.url,
        "ALIBABA_CLOUD_CREDENTIALS_URI": uri.url + "/creds",
    }
    with FakeImds(credentials=fixed_credentials()) as imds:
        run = run_chain(home, env, ecs=imds.url)
        assert imds.requests == []
    assert run.report["source_before"] is None
    assert run.credentials == static("LTAIoss", "oss-secret", "oss-token")
    assert run.source_name == "environment variables"
    assert sts.requests == [] and uri.requests == []


def test_environment_alibaba_cloud_names_when_no_oss_names(home):
    write_ini(home, "[default]\ntype = access_key\naccess_key_id = LTAIini\naccess_key_secret = ini-s\n")
    run = run_chain(home, {"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIali", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "ali-secret",
                           "ALIBABA_CLOUD_SECURITY_TOKEN": "ali-token"})
    assert run.credentials == static("LTAIali", "ali-secret", "ali-token")
    assert run.source_name == "environment variables"
    # Without a token variable: no token (None, not "").
    run = run_chain(home, {"OSS_ACCESS_KEY_ID": "LTAIoss", "OSS_ACCESS_KEY_SECRET": "oss-secret"})
    assert run.credentials == static("LTAIoss", "oss-secret")
    assert run.source_name == "environment variables"


# ---------------------------------------------------------------------------------------------
# 2. OIDC from the environment
# ---------------------------------------------------------------------------------------------


def test_oidc_from_environment_against_sts(home):
    token_file = home / "tokens" / "oidc-token"
    token_file.parent.mkdir()
    token_file.write_text(OIDC_TOKEN)
    # A valid credentials.ini after it: OIDC comes first.
    write_ini(home, "[default]\ntype = access_key\naccess_key_id = LTAIini\naccess_key_secret = ini-s\n")
    with FakeSts(expected_oidc_token=OIDC_TOKEN) as sts:
        run = run_chain(home, {
            "ALIBABA_CLOUD_ROLE_ARN": ROLE_ARN,
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": OIDC_PROVIDER_ARN,
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE": str(token_file),
            "ALIBABA_CLOUD_ROLE_SESSION_NAME": "rrsa-session",
            "ALIBABA_CLOUD_STS_ENDPOINT": sts.url,
        })
        calls = sts.calls
    assert [c.action for c in calls] == ["AssumeRoleWithOIDC"]
    call = calls[0]
    assert call.status == 200, call.error_code
    assert call.oidc_token == OIDC_TOKEN
    assert call.params["RoleArn"] == ROLE_ARN
    assert call.params["OIDCProviderArn"] == OIDC_PROVIDER_ARN
    assert call.params["RoleSessionName"] == "rrsa-session"
    assert run.credentials == issued(call.issued)
    assert run.source_name == "OIDC role ARN (environment)"


def test_oidc_needs_all_three_variables(home, sts):
    """With only two of the three OIDC variables the OIDC source does not take part."""
    token_file = home / "oidc-token"
    token_file.write_text(OIDC_TOKEN)
    run = run_chain(home, {
        "ALIBABA_CLOUD_ROLE_ARN": ROLE_ARN,
        "ALIBABA_CLOUD_OIDC_TOKEN_FILE": str(token_file),
        "ALIBABA_CLOUD_STS_ENDPOINT": sts.url,
    })
    lines = error_lines(run.error)
    assert not any(line.startswith("OIDC") for line in lines), lines
    assert len(lines) == 3, lines  # environment, config.json, credentials.ini (ECS disabled)
    assert sts.requests == []


# ---------------------------------------------------------------------------------------------
# 3. The CLI's config.json
# ---------------------------------------------------------------------------------------------


def cli_profiles(sts_url=None, uri_url=None):
    return [
        {"name": "ak", "mode": "AK", "access_key_id": "LTAIcliAK", "access_key_secret": "cli-ak-secret"},
        {"name": "sts", "mode": "StsToken", "access_key_id": "STS.cliSts", "access_key_secret": "cli-sts-secret",
         "sts_token": "cli-sts-token"},
        {"name": "role", "mode": "RamRoleArn", "access_key_id": "LTAIroleSrc", "access_key_secret": "role-src-secret",
         "ram_role_arn": ROLE_ARN, "ram_session_name": "cli-session", "expired_seconds": 1800,
         "policy": '{"Version": "1", "Statement": []}'},
        {"name": "base", "mode": "AK", "access_key_id": "LTAIbase", "access_key_secret": "base-secret"},
        {"name": "mid", "mode": "ChainableRamRoleArn", "source_profile": "base", "ram_role_arn": ROLE_ARN,
         "ram_session_name": "hop-one"},
        {"name": "top", "mode": "ChainableRamRoleArn", "source_profile": "mid", "ram_role_arn": ROLE_ARN_2,
         "ram_session_name": "hop-two"},
        {"name": "on-sts", "mode": "ChainableRamRoleArn", "source_profile": "sts-src", "ram_role_arn": ROLE_ARN_2,
         "ram_session_name": "from-sts"},
        {"name": "sts-src", "mode": "StsToken", "access_key_id": "STS.source", "access_key_secret": "sts-src-secret",
         "sts_token": "sts-src-token"},
        {"name": "uri", "mode": "CredentialsURI", "credentials_uri": (uri_url or "http://127.0.0.1:1") + "/cli"},
    ]


def test_cli_config_current_profile_beats_credentials_ini(home):
    path = write_cli(home, cli_profiles(), current="ak")
    write_ini(home, "[default]\ntype = access_key\naccess_key_id = LTAIini\naccess_key_secret = ini-s\n")
    run = run_chain(home)
    assert run.credentials == static("LTAIcliAK", "cli-ak-secret")
    assert run.source_name == ini_name("(current)", path)


def test_cli_config_profile_variable_beats_current_and_reads_sts_token(home):
    path = write_cli(home, cli_profiles(), current="ak")
    run = run_chain(home, {"ALIBABA_CLOUD_PROFILE": "sts"})
    assert run.credentials == static("STS.cliSts", "cli-sts-secret", "cli-sts-token")
    assert run.source_name == ini_name("sts", path)


def test_cli_config_ram_role_arn_signed_against_sts(home):
    path = write_cli(home, cli_profiles(), current="role")
    with FakeSts({"LTAIroleSrc": "role-src-secret"}, max_duration_seconds=3600) as sts:
        run = run_chain(home, {"ALIBABA_CLOUD_STS_ENDPOINT": sts.url})
        calls = sts.calls
    call = the_signed_call(calls, "LTAIroleSrc")
    assert call.action == "AssumeRole"
    assert "SecurityToken" not in call.params
    assert call.params["RoleArn"] == ROLE_ARN
    assert call.params["RoleSessionName"] == "cli-session"
    assert call.params["DurationSeconds"] == "1800"
    assert json.loads(call.params["Policy"]) == {"Version": "1", "Statement": []}
    assert run.credentials == issued(call.issued)
    assert run.source_name == ini_name("(current)", path)


def test_cli_config_chainable_ram_role_arn_two_hops(home):
    """top <- mid <- base (AK): two AssumeRole calls, the second signed with the first's
    temporary credentials (and their token)."""
    path = write_cli(home, cli_profiles(), current="ak")
    with FakeSts({"LTAIbase": "base-secret"}) as sts:
        run = run_chain(home, {"ALIBABA_CLOUD_STS_ENDPOINT": sts.url, "ALIBABA_CLOUD_PROFILE": "top"})
        calls = sts.calls
    assert [c.action for c in calls] == ["AssumeRole", "AssumeRole"]
    first, second = calls
    assert [c.status for c in calls] == [200, 200], [(c.error_code, c.string_to_sign) for c in calls]
    assert first.signature_verified and second.signature_verified
    assert (first.params["AccessKeyId"], first.params["RoleArn"], first.params["RoleSessionName"]) == (
        "LTAIbase", ROLE_ARN, "hop-one")
    assert "SecurityToken" not in first.params
    assert (second.params["AccessKeyId"], second.params["RoleArn"], second.params["RoleSessionName"]) == (
        first.issued.access_key_id, ROLE_ARN_2, "hop-two")
    assert second.params["SecurityToken"] == first.issued.security_token
    assert run.credentials == issued(second.issued)
    assert run.source_name == ini_name("top", path)


def test_cli_config_chainable_ram_role_arn_on_an_sts_token_is_one_hop(home):
    path = write_cli(home, cli_profiles(), current="ak")
    with FakeSts({"STS.source": ("sts-src-secret", "sts-src-token")}) as sts:
        run = run_chain(home, {"ALIBABA_CLOUD_STS_ENDPOINT": sts.url, "ALIBABA_CLOUD_PROFILE": "on-sts"})
        calls = sts.calls
    call = the_signed_call(calls, "STS.source")
    assert call.params["SecurityToken"] == "sts-src-token"
    assert call.params["RoleArn"] == ROLE_ARN_2
    assert call.params["RoleSessionName"] == "from-sts"
    assert run.credentials == issued(call.issued)
    assert run.source_name == ini_name("on-sts", path)


def test_cli_config_credentials_uri(home, uri):
    path = write_cli(home, cli_profiles(uri_url=uri.url), current="uri")
    run = run_chain(home)
    assert [(r.method, r.path) for r in uri.requests] == [("GET", "/cli")]
    assert run.credentials == issued(uri.credentials)
    assert run.source_name == ini_name("(current)", path)


def test_cli_profile_disabled_skips_config_json(home):
    write_cli(home, cli_profiles(), current="ak")
    ini = write_ini(home, "[default]\ntype = access_key\naccess_key_id = LTAIini\naccess_key_secret = ini-s\n")
    run = run_chain(home, {"ALIBABA_CLOUD_CLI_PROFILE_DISABLED": "true"})
    assert run.credentials == static("LTAIini", "ini-s")
    assert run.source_name == ini_name("default", ini)
    # Nothing works: the error has no config.json line at all.
    ini.unlink()
    run = run_chain(home, {"ALIBABA_CLOUD_CLI_PROFILE_DISABLED": "true"})
    lines = error_lines(run.error)
    assert not any("config.json" in line for line in lines), lines
    assert [line.split(":")[0] for line in lines] == ["environment variables", ini_name("default", ini)]


# ---------------------------------------------------------------------------------------------
# 4. credentials.ini
# ---------------------------------------------------------------------------------------------


def ini_text(sts_url=None, uri_url=None, token_file=None):
    return (
        "[default]\n"
        "type = access_key\n"
        "access_key_id = LTAIiniAK\n"
        "access_key_secret = ini-ak-secret\n"
        "\n"
        "[sts]\n"
        "type = sts\n"
        "access_key_id = STS.iniSts\n"
        "access_key_secret = ini-sts-secret\n"
        "security_token = ini-sts-token\n"
        "\n"
        "[role]\n"
        "type = ram_role_arn\n"
        "access_key_id = LTAIiniRoleSrc\n"
        "access_key_secret = ini-role-secret\n"
        "role_arn = %s\n"
        "role_session_name = ini-session\n"
        "policy = {\"Version\": \"1\", \"Statement\": []}\n"
        "\n"
        "[oidc]\n"
        "type = oidc_role_arn\n"
        "role_arn = %s\n"
        "oidc_provider_arn = %s\n"
        "oidc_token_file_path = %s\n"
        "role_session_name = ini-oidc-session\n"
        "\n"
        "[uri]\n"
        "type = credentials_uri\n"
        "credentials_uri = %s/ini\n"
    ) % (ROLE_ARN, ROLE_ARN_2, OIDC_PROVIDER_ARN, token_file or "/nonexistent/token", uri_url or "http://127.0.0.1:1")


def test_ini_access_key_default_profile(home):
    path = write_ini(home, ini_text())
    run = run_chain(home)
    assert run.credentials == static("LTAIiniAK", "ini-ak-secret")
    assert run.source_name == ini_name("default", path)


def test_ini_sts_profile_chosen_by_variable(home):
    path = write_ini(home, ini_text())
    run = run_chain(home, {"ALIBABA_CLOUD_PROFILE": "sts"})
    assert run.credentials == static("STS.iniSts", "ini-sts-secret", "ini-sts-token")
    assert run.source_name == ini_name("sts", path)


def test_ini_ram_role_arn_signed_against_sts(home):
    path = write_ini(home, ini_text())
    with FakeSts({"LTAIiniRoleSrc": "ini-role-secret"}) as sts:
        run = run_chain(home, {"ALIBABA_CLOUD_PROFILE": "role", "ALIBABA_CLOUD_STS_ENDPOINT": sts.url})
        calls = sts.calls
    call = the_signed_call(calls, "LTAIiniRoleSrc")
    assert call.action == "AssumeRole"
    assert call.params["RoleArn"] == ROLE_ARN
    assert call.params["RoleSessionName"] == "ini-session"
    assert json.loads(call.params["Policy"]) == {"Version": "1", "Statement": []}
    assert run.credentials == issued(call.issued)
    assert run.source_name == ini_name("role", path)


def test_ini_oidc_role_arn_against_sts(home):
    token_file = home / "ini-oidc-token"
    token_file.write_text(OIDC_TOKEN + ".ini")
    path = write_ini(home, ini_text(token_file=token_file))
    with FakeSts(expected_oidc_token=OIDC_TOKEN + ".ini") as sts:
        run = run_chain(home, {"ALIBABA_CLOUD_PROFILE": "oidc", "ALIBABA_CLOUD_STS_ENDPOINT": sts.url})
        calls = sts.calls
    assert [c.action for c in calls] == ["AssumeRoleWithOIDC"]
    call = calls[0]
    assert call.status == 200, call.error_code
    assert call.oidc_token == OIDC_TOKEN + ".ini"
    assert call.params["RoleArn"] == ROLE_ARN_2
    assert call.params["OIDCProviderArn"] == OIDC_PROVIDER_ARN
    assert call.params["RoleSessionName"] == "ini-oidc-session"
    assert run.credentials == issued(call.issued)
    assert run.source_name == ini_name("oidc", path)


def test_ini_credentials_uri(home, uri):
    path = write_ini(home, ini_text(uri_url=uri.url))
    run = run_chain(home, {"ALIBABA_CLOUD_PROFILE": "uri"})
    assert [(r.method, r.path) for r in uri.requests] == [("GET", "/ini")]
    assert run.credentials == issued(uri.credentials)
    assert run.source_name == ini_name("uri", path)


def test_ini_credentials_file_variable_replaces_the_home_file(home, tmp_path):
    write_ini(home, ini_text())  # in $HOME: must not be read
    elsewhere = write_ini(home, "[work]\ntype = access_key\naccess_key_id = LTAIelsewhere\n"
                                "access_key_secret = elsewhere-secret\n",
                          path=tmp_path / "etc" / "creds.conf")
    run = run_chain(home, {"ALIBABA_CLOUD_CREDENTIALS_FILE": str(elsewhere), "ALIBABA_CLOUD_PROFILE": "work"})
    assert run.credentials == static("LTAIelsewhere", "elsewhere-secret")
    assert run.source_name == ini_name("work", elsewhere)
    # The variable's file has no [default]: the $HOME file's [default] is not a fallback.
    run = run_chain(home, {"ALIBABA_CLOUD_CREDENTIALS_FILE": str(elsewhere)})
    failed, _ = error_sections(run.error)
    assert len(failed) == 1 and failed[0].startswith(ini_name("default", elsewhere) + ": "), failed
    assert "LTAIiniAK" not in run.error


# ---------------------------------------------------------------------------------------------
# 5. ECS RAM role, 6. credentials URI last
# ---------------------------------------------------------------------------------------------


def test_ecs_ram_role_from_the_metadata_service(home):
    creds = fixed_credentials(6 * 3600)
    with FakeImds(role_name="ChainRole", credentials=creds) as imds:
        run = run_chain(home, ecs=imds.url)
        paths = [r.path for r in imds.requests]
    assert run.credentials == issued(creds)
    assert run.source_name == "ECS RAM role"
    assert paths[-1] == "/latest/meta-data/ram/security-credentials/ChainRole"


def test_ecs_metadata_disabled_removes_the_ecs_source(home):
    with FakeImds(credentials=fixed_credentials()) as imds:
        run = run_chain(home, {"ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}, ecs=imds.url)
        assert imds.requests == []
    lines = error_lines(run.error)
    assert not any("ECS" in line for line in lines), lines
    assert [line.split(":")[0] for line in lines] == [
        "environment variables", ini_name("(current)", cli_path(home)), ini_name("default", ini_path(home))]


def test_credentials_uri_comes_after_ecs(home, uri):
    env = {"ALIBABA_CLOUD_CREDENTIALS_URI": uri.url + "/last"}
    # A working ECS role wins over the URI, which is not asked.
    ecs_creds = fixed_credentials(6 * 3600)
    with FakeImds(credentials=ecs_creds) as imds:
        run = run_chain(home, env, ecs=imds.url)
    assert run.credentials == issued(ecs_creds)
    assert run.source_name == "ECS RAM role"
    assert uri.requests == []
    # An instance without a role: the URI, after ECS was asked.
    with FakeImds(role_name=None) as imds:
        run = run_chain(home, env, ecs=imds.url)
        assert imds.requests, "the ECS source was not tried before the URI"
    assert run.credentials == issued(uri.credentials)
    assert run.source_name == "credentials URI"
    assert [(r.method, r.path) for r in uri.requests] == [("GET", "/last")]
    # ECS disabled: the URI directly.
    uri.clear_requests()
    run = run_chain(home, env)
    assert run.credentials == issued(uri.credentials)
    assert run.source_name == "credentials URI"
    assert len(uri.requests) == 1


# ---------------------------------------------------------------------------------------------
# 7. Everything fails
# ---------------------------------------------------------------------------------------------


def test_all_sources_fail_each_listed_in_order_with_a_reason_and_no_secret(home):
    env_secret = "EnvSecret-4f1c9d2e7b"
    env_token = "EnvToken-8a3b5c7d9e"
    oidc_token = "eyJPIDCSECRET.eyJ0b3BzZWNyZXQifQ.c2lnLXNlY3JldA"
    json_secret = "JsonSecret-1a2b3c4d5e"
    ini_secret = "IniSecret-9z8y7x6w5v"
    uri_query_secret = "UriQuerySecret-0q9w8e7r"

    token_file = home / "oidc-token"
    token_file.write_text(oidc_token)
    # config.json with a syntax error right after a secret.
    cli = cli_path(home)
    cli.parent.mkdir()
    cli.write_text('{"current": "default", "profiles": [{"name": "default", "mode": "AK", '
                   '"access_key_id": "LTAIjson", "access_key_secret": "%s" oops}]}' % json_secret)
    # credentials.ini whose secret line has no delimiter (a syntax error on the secret's line).
    ini = write_ini(home, "[default]\ntype = access_key\naccess_key_id = LTAIini\n%s\n" % ini_secret)

    imds_creds = FakeCredentials.random()
    uri_creds = FakeCredentials.random()
    with FakeSts(expected_oidc_token="a-different-token") as sts, \
            FakeImds(role_name="ChainRole", credentials=imds_creds) as imds, \
            FakeCredentialsUri(uri_creds) as uri:
        # Metadata and URI answer a document with the keys but a failure Code.
        imds.fault = "code:InternalError"
        uri.fault = "code:Forbidden"
        run = run_chain(home, {
            # Secret and token without an id: the environment source cannot use them.
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": env_secret,
            "OSS_SESSION_TOKEN": env_token,
            "ALIBABA_CLOUD_ROLE_ARN": ROLE_ARN,
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": OIDC_PROVIDER_ARN,
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE": str(token_file),
            "ALIBABA_CLOUD_STS_ENDPOINT": sts.url,
            "ALIBABA_CLOUD_CREDENTIALS_URI": uri.url + "/creds?token=" + uri_query_secret,
        }, ecs=imds.url)
        assert [c.oidc_token for c in sts.calls] == [oidc_token]
        assert imds.requests and uri.requests

    text = run.error
    lines = error_lines(text)
    expected_order = [
        "environment variables",
        "OIDC role ARN (environment)",
        ini_name("(current)", cli),
        ini_name("default", ini),
        "ECS RAM role",
        "credentials URI",
    ]
    assert len(lines) == len(expected_order), text
    for line, name in zip(lines, expected_order):
        assert line.startswith(name), (name, line)
        reason = line[len(name):].lstrip(" :")
        assert reason.strip(), "no reason for %s: %r" % (name, line)
    env_line, oidc_line, cli_line, ini_line, ecs_line, uri_line = lines
    assert "OSS_ACCESS_KEY_ID" in env_line and "ALIBABA_CLOUD_ACCESS_KEY_ID" in env_line
    assert "AuthenticationFail.OIDCToken.Invalid" in oidc_line
    assert "malformed JSON" in cli_line
    assert "line 4" in ini_line
    assert "InternalError" in ecs_line
    assert "Forbidden" in uri_line
    assert run.source_name is None

    secrets_ = [env_secret, env_token, oidc_token, json_secret, ini_secret, uri_query_secret,
                imds_creds.access_key_secret, imds_creds.security_token,
                uri_creds.access_key_secret, uri_creds.security_token]
    for secret in secrets_:
        assert secret not in text, "secret %r in the error" % secret
        assert secret not in run.stderr, "secret %r in the subprocess's stderr" % secret


def test_nothing_configured_says_what_to_do_and_lists_absent_sources_apart(home):
    """No variables, no files: the error says how to get credentials, and lists the absent
    sources as "not configured" -- no failure among them, no retry or cache jargon. A file
    that is there but broken is a failure, listed first."""
    run = run_chain(home)
    text = run.error
    assert text.split("\n")[0] == CHAIN_ERROR_HEAD + " " + CHAIN_ADVICE % ini_path(home)
    failed, absent = error_sections(text)
    assert failed == []
    assert absent == [
        "environment variables: neither OSS_ACCESS_KEY_ID nor ALIBABA_CLOUD_ACCESS_KEY_ID is set (with its "
        "secret in OSS_ACCESS_KEY_SECRET or ALIBABA_CLOUD_ACCESS_KEY_SECRET)",
        "%s: no such file" % ini_name("(current)", cli_path(home)),
        "%s: no such file" % ini_name("default", ini_path(home)),
    ]
    for jargon in ("attempt", "in a row", "cached", "unexpired"):
        assert jargon not in text, jargon

    ini = write_ini(home, "[default]\ntype = access_key\n")
    failed, absent = error_sections(run_chain(home).error)
    assert failed == ["%s: type 'access_key' requires access_key_id" % ini_name("default", ini)]
    assert [line.split(":")[0] for line in absent] == ["environment variables", ini_name("(current)", cli_path(home))]


# ---------------------------------------------------------------------------------------------
# 8. The source that worked is asked first next time
# ---------------------------------------------------------------------------------------------


def test_the_source_that_worked_is_asked_first_on_refresh(home):
    """ECS fails, the URI works; a refresh (clock jumped into the mandatory window) goes to
    the URI again without asking the metadata service."""
    first = fixed_credentials(3600)
    with FakeImds(role_name=None) as imds, FakeCredentialsUri(first) as uri:
        env = {"ALIBABA_CLOUD_CREDENTIALS_URI": uri.url + "/creds"}
        # Baseline: one get -- how many metadata requests one failed ECS attempt makes.
        run_chain(home, env, ecs=imds.url)
        one_attempt = len(imds.requests)
        assert one_attempt >= 1 and len(uri.requests) == 1
        imds.clear_requests()
        uri.clear_requests()

        jump = int(first.expiration) - 120  # 2 minutes before expiry: mandatory, still valid
        run = run_chain(home, env, ecs=imds.url, steps=[{"op": "get"}, {"op": "get", "at": jump}])
        assert len(uri.requests) == 2, "the second get did not refresh"
        assert len(imds.requests) == one_attempt, "the metadata service was asked again on refresh"
    for step in run.steps:
        assert step.get("credentials") == issued(first), step
        assert step["source_name"] == "credentials URI"


# ---------------------------------------------------------------------------------------------
# 9. ProfileCredentialsProvider
# ---------------------------------------------------------------------------------------------


def test_profile_provider_explicit_ini_and_json_paths(home, tmp_path):
    ini = write_ini(home, ini_text(), path=tmp_path / "files" / "my.ini")
    run = run_profile(home, profile="sts", path=ini)
    assert run.credentials == static("STS.iniSts", "ini-sts-secret", "ini-sts-token")
    run = run_profile(home, path=ini)  # profile "default"
    assert run.credentials == static("LTAIiniAK", "ini-ak-secret")

    cli = write_cli(home, cli_profiles(), current="sts", path=tmp_path / "files" / "cli.json")
    run = run_profile(home, path=cli)  # the file's current
    assert run.credentials == static("STS.cliSts", "cli-sts-secret", "cli-sts-token")
    run = run_profile(home, profile="ak", path=cli)
    assert run.credentials == static("LTAIcliAK", "cli-ak-secret")


def test_profile_provider_without_path_prefers_credentials_ini_then_config_json(home):
    write_cli(home, cli_profiles(), current="ak")
    ini = write_ini(home, ini_text())
    run = run_profile(home)
    assert run.credentials == static("LTAIiniAK", "ini-ak-secret")
    run = run_profile(home, profile="sts")
    assert run.credentials == static("STS.iniSts", "ini-sts-secret", "ini-sts-token")
    run = run_profile(home, {"ALIBABA_CLOUD_PROFILE": "sts"})
    assert run.credentials == static("STS.iniSts", "ini-sts-secret", "ini-sts-token")
    ini.unlink()
    run = run_profile(home)  # config.json's current
    assert run.credentials == static("LTAIcliAK", "cli-ak-secret")
    run = run_profile(home, profile="sts")
    assert run.credentials == static("STS.cliSts", "cli-sts-secret", "cli-sts-token")


def test_profile_provider_config_json_profile_from_variable(home, tmp_path):
    """ALIBABA_CLOUD_PROFILE names the config.json profile too (as in the chain, and as the
    docstring says: "profile defaults to ALIBABA_CLOUD_PROFILE")."""
    write_cli(home, cli_profiles(), current="ak")
    run = run_profile(home, {"ALIBABA_CLOUD_PROFILE": "sts"})
    assert run.credentials == static("STS.cliSts", "cli-sts-secret", "cli-sts-token")
    cli = write_cli(home, cli_profiles(), current="ak", path=tmp_path / "cli.json")
    run = run_profile(home, {"ALIBABA_CLOUD_PROFILE": "sts"}, path=cli)
    assert run.credentials == static("STS.cliSts", "cli-sts-secret", "cli-sts-token")


def test_profile_provider_credentials_file_variable(home, tmp_path):
    write_ini(home, ini_text())
    elsewhere = write_ini(home, "[default]\ntype = access_key\naccess_key_id = LTAIvar\n"
                                "access_key_secret = var-secret\n", path=tmp_path / "var.ini")
    run = run_profile(home, {"ALIBABA_CLOUD_CREDENTIALS_FILE": str(elsewhere)})
    assert run.credentials == static("LTAIvar", "var-secret")


def test_profile_provider_errors_at_construction_name_profile_and_file_never_the_secret(home, tmp_path):
    secret = "ProfileSecret-7h6g5f4d"
    token_secret = "ProfileAkSecret-3k2j1h"
    ini = write_ini(home, "[default]\ntype = access_key\naccess_key_id = LTAIok\naccess_key_secret = %s\n\n"
                          "[half]\ntype = sts\naccess_key_id = STS.half\naccess_key_secret = %s\n"
                          % (token_secret, secret))
    # Missing profile.
    run = run_profile(home, profile="nope")
    err = run.construct_error
    assert err is not None, run.report
    assert "'nope'" in err and str(ini) in err
    assert "no such profile" in err
    assert secret not in err and token_secret not in err
    # Incomplete profile (sts without security_token).
    run = run_profile(home, profile="half")
    err = run.construct_error
    assert err is not None, run.report
    assert "'half'" in err and str(ini) in err and "security_token" in err
    assert secret not in err and token_secret not in err
    # The same in config.json.
    cli = write_cli(home, [{"name": "half", "mode": "RamRoleArn", "access_key_id": "LTAIhalf",
                            "access_key_secret": secret}], current="half", path=tmp_path / "c.json")
    run = run_profile(home, path=cli)
    err = run.construct_error
    assert err is not None, run.report
    assert "'half'" in err and str(cli) in err and "ram_role_arn" in err
    assert secret not in err
    run = run_profile(home, profile="absent", path=cli)
    err = run.construct_error
    assert err is not None, run.report
    assert "'absent'" in err and str(cli) in err and secret not in err
    assert run.stderr.count(secret) == 0


def test_profile_provider_without_any_file_names_both_paths(home):
    run = run_profile(home)
    err = run.construct_error
    assert err is not None, run.report
    assert str(ini_path(home)) in err and str(cli_path(home)) in err


def test_profile_provider_rereads_the_file_on_refresh(home, tmp_path):
    first = fixed_credentials(3600)
    second = fixed_credentials(2 * 3600)
    with FakeCredentialsUri(first) as uri_a, FakeCredentialsUri(second) as uri_b:
        path = tmp_path / "rotating.ini"
        body = "[default]\ntype = credentials_uri\ncredentials_uri = %s/c\n"
        path.write_text(body % uri_a.url)
        jump = int(first.expiration) - 120  # mandatory window of the first credentials
        run = run_profile(home, path=path, steps=[
            {"op": "get"},
            {"op": "write", "path": str(path), "text": body % uri_b.url},
            {"op": "get"},  # still fresh: served from the cache, the file is not needed
            {"op": "get", "at": jump},
        ])
        assert len(uri_a.requests) == 1
        assert len(uri_b.requests) == 1
    got = [s.get("credentials", s) for s in run.steps]
    assert got == [issued(first), issued(first), issued(second)]
