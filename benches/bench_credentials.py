"""The credentials hot path, side by side in one process: getting fresh credentials from
ossauth's RefreshingCredentialsProvider, alibabacloud_credentials' Client (access-key config) and
oss2's EcsRamRoleCredentialsProvider (filled once from a local metadata server started here).

Interleaved rounds; each round times a batch of calls per provider, with 1 thread and with 8
threads calling at once; reported: median ns per call (wall time of the batch / calls) and
ossauth's speed-up. Usage: python benches/bench_credentials.py [--rounds N] [--calls N]
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

EXPIRES = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=6)


class Metadata(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        body = json.dumps({
            "Code": "Success", "AccessKeyId": "STS.bench", "AccessKeySecret": "bench-secret",
            "SecurityToken": "bench-token", "Expiration": EXPIRES.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "LastUpdated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def providers(port):
    ours = ossauth.RefreshingCredentialsProvider(
        lambda: {"AccessKeyId": "STS.bench", "AccessKeySecret": "bench-secret",
                 "SecurityToken": "bench-token", "Expiration": EXPIRES})
    client = Client(Config(type="access_key", access_key_id="LTAIbench", access_key_secret="bench-secret"))
    ecs = oss2.EcsRamRoleCredentialsProvider("http://127.0.0.1:%d/latest/meta-data/ram/security-credentials/bench" % port)
    return [
        ("ossauth RefreshingCredentialsProvider.get_credentials()", ours.get_credentials),
        ("alibabacloud_credentials Client.get_credential()", client.get_credential),
        ("oss2 EcsRamRoleCredentialsProvider.get_credentials()", ecs.get_credentials),
    ]


def time_calls(fn, calls, threads):
    per_thread = calls // threads
    start_gate = threading.Barrier(threads + 1)

    def run():
        start_gate.wait()
        for _ in range(per_thread):
            fn()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    start_gate.wait()
    t0 = time.perf_counter()
    for w in workers:
        w.join()
    return (time.perf_counter() - t0) / (per_thread * threads) * 1e9


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--calls", type=int, default=40000)
    args = ap.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Metadata)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        cases = providers(server.server_address[1])
        for _, fn in cases:  # fill every cache
            fn()
        print("| provider | threads | ns per call (median) | ossauth speed-up |")
        print("|---|---:|---:|---:|")
        for threads in (1, 8):
            samples = {name: [] for name, _ in cases}
            for i in range(args.rounds):
                order = cases if i % 2 == 0 else cases[::-1]
                for name, fn in order:
                    samples[name].append(time_calls(fn, args.calls, threads))
            ours = statistics.median(samples[cases[0][0]])
            for name, _ in cases:
                med = statistics.median(samples[name])
                print("| %s | %d | %.0f | %s |" % (name, threads, med, "-" if name == cases[0][0] else "%.0fx" % (med / ours)))
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
