"""The credentials hot path, side by side in one process: getting fresh credentials from

* ossauth's ``RefreshingCredentialsProvider.get_credentials()`` (filled once by a fetch),
* alibabacloud_credentials' ``Client(Config(type='access_key', ...)).get_credential()``,
* oss2's ``EcsRamRoleCredentialsProvider.get_credentials()``, pointed at a tiny metadata server
  started here on 127.0.0.1 (``/latest/meta-data/ram/security-credentials/<role>`` JSON, the
  document oss2 requests with ``requests.get(auth_host)``), filled once.

Interleaved rounds: every round times one batch per provider and thread count (the order
rotates), with 1 thread and with 8 threads calling at once (a persistent pool released by a
barrier; wall time from the first thread's start to the last one's end). Reported: median per-call ns (wall / calls) and total calls/s
across threads, and ossauth's speed-up. Each provider must have fetched exactly once: the bench
checks that only the hot path was measured.

Usage: python benches/bench_credentials.py [--rounds N] [--batch-ms MS]   (default < 60 s)
"""

import argparse
import datetime as dt
import http.server
import json
import statistics
import threading
import time

import oss2
from alibabacloud_credentials.client import Client
from alibabacloud_credentials.models import Config

import ossauth

ROLE = "bench-role"
METADATA_PATH = "/latest/meta-data/ram/security-credentials/" + ROLE
THREADS = (1, 8)


class Metadata(http.server.BaseHTTPRequestHandler):
    """ECS instance metadata: the role's STS credentials, valid for 6 hours."""

    requests = 0

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path != METADATA_PATH:
            self.send_error(404)
            return
        type(self).requests += 1
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        body = json.dumps({
            "Code": "Success",
            "AccessKeyId": "STS.bench",
            "AccessKeySecret": "bench-secret",
            "SecurityToken": "bench-token",
            "Expiration": (now + dt.timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "LastUpdated": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Fetch:
    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return {"AccessKeyId": "STS.bench", "AccessKeySecret": "bench-secret", "SecurityToken": "bench-token",
                "Expiration": time.time() + 6 * 3600}


class Pool:
    """``threads`` workers that run a batch of calls when released, timed by the caller."""

    def __init__(self, threads):
        self.threads = threads
        self.start = threading.Barrier(threads + 1)
        self.end = threading.Barrier(threads + 1)
        self.job = None
        self.workers = [threading.Thread(target=self._work, daemon=True) for _ in range(threads)]
        for w in self.workers:
            w.start()

    def _work(self):
        clock = time.perf_counter
        while True:
            self.start.wait()
            job = self.job
            if job is None:
                return
            fn, n, times = job
            t0 = clock()
            for _ in range(n):
                fn()
            times.append((t0, clock()))
            self.end.wait()

    def run(self, fn, calls):
        """(seconds of wall time, calls made) for about ``calls`` calls of ``fn`` split across the
        workers: from the first worker's start to the last one's end, as the workers see them
        (the releasing thread itself may wait a while for the GIL)."""
        per = max(1, calls // self.threads)
        times = []
        self.job = (fn, per, times)
        self.start.wait()
        self.end.wait()
        return max(t1 for _, t1 in times) - min(t0 for t0, _ in times), per * self.threads

    def close(self):
        self.job = None
        self.start.wait()
        for w in self.workers:
            w.join()


def calibrate(fn, batch_s):
    """Calls that take about ``batch_s`` seconds on one thread."""
    n = 1000
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        took = time.perf_counter() - t0
        if took > 0.02:
            return max(1000, int(n * batch_s / took))
        n *= 4


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--batch-ms", type=float, default=60.0, help="target wall time of one batch")
    args = ap.parse_args()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Metadata)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        fetch = Fetch()
        ours = ossauth.RefreshingCredentialsProvider(fetch)
        client = Client(Config(type="access_key", access_key_id="LTAIbench", access_key_secret="bench-secret"))
        ecs = oss2.EcsRamRoleCredentialsProvider("http://127.0.0.1:%d%s" % (server.server_address[1], METADATA_PATH))
        cases = [
            ("ossauth `RefreshingCredentialsProvider.get_credentials()`", ours.get_credentials),
            ("alibabacloud_credentials `Client(access_key).get_credential()`", client.get_credential),
            ("oss2 `EcsRamRoleCredentialsProvider.get_credentials()`", ecs.get_credentials),
        ]
        # Fill every cache, and check what each returns.
        assert ours.get_credentials().access_key_id == "STS.bench"
        assert client.get_credential().access_key_id == "LTAIbench"
        assert ecs.get_credentials().get_access_key_id() == "STS.bench"
        calls = {name: calibrate(fn, args.batch_ms / 1000) for name, fn in cases}

        pools = {threads: Pool(threads) for threads in THREADS}
        combos = [(name, fn, threads) for threads in THREADS for name, fn in cases]
        samples = {(name, threads): [] for name, _, threads in combos}
        started = time.perf_counter()
        for r in range(args.rounds):
            # Every provider at every thread count in each round; the order rotates.
            k = r % len(combos)
            for name, fn, threads in combos[k:] + combos[:k]:
                wall, n = pools[threads].run(fn, calls[name])
                samples[(name, threads)].append((wall / n * 1e9, n / wall))
        for pool in pools.values():
            pool.close()
        results = {
            combo: (statistics.median(s[0] for s in runs), statistics.median(s[1] for s in runs))
            for combo, runs in samples.items()
        }
        elapsed = time.perf_counter() - started

        # Only the hot path was measured: one fetch each, no refresh during the bench.
        assert fetch.calls == 1 and ours._fetch_count() == 1, fetch.calls
        assert Metadata.requests == 1, Metadata.requests
    finally:
        server.shutdown()
        server.server_close()

    print("Credentials hot path, %d interleaved rounds (median), %s" % (args.rounds, _python()))
    print()
    print("| provider | threads | ns per call | calls/s (all threads) | ossauth speed-up |")
    print("|---|---:|---:|---:|---:|")
    for threads in THREADS:
        base = results[(cases[0][0], threads)][0]
        for name, _ in cases:
            ns, rate = results[(name, threads)]
            speedup = "-" if name == cases[0][0] else "%.1fx" % (ns / base)
            print("| %s | %d | %.0f | %s | %s |" % (name, threads, ns, "{:,.0f}".format(rate), speedup))
    print()
    print("(measured in %.1f s; fetches: ossauth %d, metadata server requests %d)"
          % (elapsed, fetch.calls, Metadata.requests))


def _python():
    import platform

    return "CPython %s on %s" % (platform.python_version(), platform.machine())


if __name__ == "__main__":
    main()
