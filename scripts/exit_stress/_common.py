"""Shared pieces of the exit-stress scenarios (see ``scripts/exit-stress.py``).

Slow local credential services (credentials URI, ECS metadata, STS), worker threads that keep
ossauth busy (``get_credentials()`` and presigning, from daemon and non-daemon threads, plus
threads that keep making new providers so that first fetches are always in flight), optional
at-exit finalizers that release the GIL, and the random moment the script ends.

A scenario script builds its providers against these services, calls :func:`run`, and then
falls off the end of its module while refreshes are in flight. Everything it prints on stderr
is judged by the runner, so nothing here writes to stderr unless something is wrong.
Standard library and ossauth only.
"""

import argparse
import atexit
import json
import logging
import os
import random
import secrets
import sys
import threading
import time
import weakref
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Loopback requests must not go through a proxy: ossauth's HTTP client honours *_PROXY.
for _name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
    os.environ.pop(_name, None)

import ossauth  # noqa: E402 - after the proxy variables are gone

ENDPOINT = "https://oss-cn-hangzhou.aliyuncs.com"
ROLE_NAME = "ExitStressRole"
ROLE_ARN = "acs:ram::123456789012:role/exit-stress"
SERVICE_DELAY = 0.2  # each answer waits 0..SERVICE_DELAY s, so refreshes are in flight at exit
FAIL_RATE = 0.3  # with --failing: share of answers (and Python fetches) that fail
EXIT_AFTER = 0.3  # the main module ends after 0..EXIT_AFTER s of work
# What callers may get while refreshes fail (ossauth.Error is their base where it exists).
EXPECTED_ERRORS = (ossauth.CredentialsError, ossauth.SigningError) + (
    (ossauth.Error,) if hasattr(ossauth, "Error") else ()
)

_active_lock = threading.Lock()
_active = 0  # fetches in progress (server requests being answered, Python fetches running)
_started = 0


class Options:
    seed = 0
    finalizers = False
    failing = False


OPTIONS = Options()


def setup(extra=None):
    """Parses the scenario's command line (``--seed``, ``--finalizers``, ``--failing`` and
    whatever ``extra(parser)`` adds), seeds the randomness and turns on logging for
    ``--failing``. Returns the parsed arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument("--finalizers", action="store_true", help="at-exit callbacks that sleep")
    parser.add_argument(
        "--failing", action="store_true", help="logging at DEBUG and a share of fetches failing"
    )
    if extra is not None:
        extra(parser)
    args = parser.parse_args()
    OPTIONS.seed = args.seed if args.seed is not None else secrets.randbelow(2**32)
    OPTIONS.finalizers = args.finalizers
    OPTIONS.failing = args.failing
    random.seed(OPTIONS.seed)
    if args.failing:
        # Records from refresh threads (Rust and Python) keep being produced during shutdown.
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    return args


def fetch_started():
    """Counts a fetch in progress (for the in-flight report at exit)."""
    global _active, _started
    with _active_lock:
        _active += 1
        _started += 1


def fetch_ended():
    global _active
    with _active_lock:
        _active -= 1


def should_fail():
    return OPTIONS.failing and random.random() < FAIL_RATE


def expiration_epoch():
    """Next whole second + 1: the services' format has whole seconds, so credentials live
    0..1 s from when they arrive and the cache's windows (half and three quarters of the
    lifetime) keep starting refreshes while the script runs."""
    return int(time.time()) + 1


def expiration_text():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expiration_epoch()))


def _key_pair():
    return "STS.exit" + secrets.token_hex(8), secrets.token_hex(15)


# ---------------------------------------------------------------------------------------------
# Slow local services
# ---------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # handler threads must not keep the process alive at exit

    def process_request(self, request, client_address):
        try:
            super().process_request(request, client_address)
        except RuntimeError:
            # CPython >= 3.12 refuses new threads once shutdown has begun: the fake service
            # is going away with the process, so the client sees a closed connection. (This
            # is the harness's own thread, not ossauth's: not a finding.)
            self.shutdown_request(request)

    def handle_error(self, request, client_address):
        # A client that hangs up mid-answer (a refresh thread ended by the exit) is expected;
        # anything else is reported on stderr, where the runner sees it.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real services and ossauth's pool use

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # stderr is judged: no access log

    def _answer(self):
        fetch_started()
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            time.sleep(random.uniform(0, SERVICE_DELAY))
            if should_fail():
                status, ctype, body = 500, "application/json", json.dumps(
                    {"Code": "InternalError", "Message": "injected failure", "RequestId": "EXIT-1"}
                ).encode()
            else:
                status, ctype, body = self.server.respond(self)
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        finally:
            fetch_ended()

    do_GET = do_PUT = do_POST = _answer


def _serve(respond):
    server = _Server(("127.0.0.1", 0), _Handler)
    server.respond = respond
    threading.Thread(target=server.serve_forever, name="fake-service", daemon=True).start()
    return "http://127.0.0.1:%d" % server.server_address[1]


def _json(doc):
    return 200, "application/json", json.dumps(doc).encode()


def _uri_document(handler):
    ak, sk = _key_pair()
    return _json(
        {
            "Code": "Success",
            "AccessKeyId": ak,
            "AccessKeySecret": sk,
            "SecurityToken": "token-" + secrets.token_hex(16),
            "Expiration": expiration_text(),
        }
    )


def _imds_answer(handler):
    if handler.path == "/latest/api/token":
        return 200, "text/plain", secrets.token_urlsafe(32).encode()
    if handler.path.rstrip("/").endswith("/security-credentials"):
        return 200, "text/plain", ROLE_NAME.encode()
    status, ctype, body = _uri_document(handler)
    doc = json.loads(body)
    doc["LastUpdated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return status, "text/plain", json.dumps(doc, indent=2).encode()


def _sts_answer(handler):
    ak, sk = _key_pair()
    return _json(
        {
            "RequestId": "EXIT-STRESS",
            "AssumedRoleUser": {
                "AssumedRoleId": "300000000000000000:exit",
                "Arn": "acs:ram::123456789012:assumed-role/exit-stress/exit",
            },
            "Credentials": {
                "AccessKeyId": ak,
                "AccessKeySecret": sk,
                "SecurityToken": "token-" + secrets.token_hex(16),
                "Expiration": expiration_text(),
            },
        }
    )


def credentials_uri_server():
    """A credentials URI service (``{"Code": "Success", "AccessKeyId", ...}``)."""
    return _serve(_uri_document)


def imds_server():
    """ECS instance metadata: IMDSv2 token, role discovery and the role's credentials."""
    return _serve(_imds_answer)


def sts_server():
    """STS ``AssumeRole`` (the signature is not checked: only the exit is under test)."""
    return _serve(_sts_answer)


# ---------------------------------------------------------------------------------------------
# Load and exit
# ---------------------------------------------------------------------------------------------


def _presigners(provider):
    # ossauth's own auth objects wait for a refresh in Rust (the blocking fast path), unlike
    # get_credentials(), which waits in Python: both paths are exercised.
    return [
        ossauth.Presigner(ossauth.ProviderAuthV4(provider), ENDPOINT, "bucket", region="cn-hangzhou"),
        ossauth.Presigner(ossauth.ProviderAuth(provider), ENDPOINT, "bucket"),
    ]


def _use(provider, presigners):
    try:
        provider.get_credentials()
        random.choice(presigners).sign_url("GET", "key", 60)
    except EXPECTED_ERRORS:
        pass  # a failed refresh or credentials expiring under us: expected, not under test


def _work(provider, until):
    presigners = _presigners(provider)
    while until is None or time.monotonic() < until:
        _use(provider, presigners)
        time.sleep(random.uniform(0, 0.005))


def _churn(make_provider, until):
    # New providers start empty: every one has its first (waited-for) fetch in flight.
    while until is None or time.monotonic() < until:
        provider = make_provider()
        _use(provider, _presigners(provider))


def _sleep_at_exit(seconds):
    time.sleep(seconds)  # releases the GIL while the interpreter is shutting down


def _use_at_exit(provider):
    _sleep_at_exit(random.uniform(0, 0.05))
    _use(provider, _presigners(provider))


class _Resource:
    """Something with a ``weakref.finalize`` (finalizers run at exit when still alive)."""


_kept = []


def _register_finalizers(provider):
    atexit.register(_sleep_at_exit, 0.05)
    atexit.register(_use_at_exit, provider)
    # Runs in threading._shutdown(), once non-daemon threads are joined (before atexit).
    register = getattr(threading, "_register_atexit", None)
    if register is not None:
        register(_sleep_at_exit, 0.05)
    for _ in range(3):
        resource = _Resource()
        weakref.finalize(resource, _sleep_at_exit, random.uniform(0, 0.03))
        _kept.append(resource)


def _report_at_exit():
    with _active_lock:
        active, started = _active, _started
    # stdout, not stderr: informational, parsed by the runner ("in flight at exit").
    print("exit-stress: seed=%d in-flight=%d fetches=%d" % (OPTIONS.seed, active, started), flush=True)


def run(make_provider):
    """Busy threads on one shared provider and on new ones, then returns after a random
    0..EXIT_AFTER s; the caller's module then ends with all of them still running."""
    shared = make_provider()
    if OPTIONS.finalizers:
        _register_finalizers(shared)
    threads = []
    for _ in range(6):
        threads.append(threading.Thread(target=_work, args=(shared, None), daemon=True))
    for _ in range(3):
        # Non-daemon: the interpreter waits for them, so some finish during shutdown.
        until = time.monotonic() + random.uniform(0, EXIT_AFTER * 1.5)
        threads.append(threading.Thread(target=_work, args=(shared, until), daemon=False))
    for _ in range(3):
        threads.append(threading.Thread(target=_churn, args=(make_provider, None), daemon=True))
    until = time.monotonic() + random.uniform(0, EXIT_AFTER * 1.5)
    threads.append(threading.Thread(target=_churn, args=(make_provider, until), daemon=False))
    for t in threads:
        t.start()
    time.sleep(random.uniform(0, EXIT_AFTER))
    _report_at_exit()
