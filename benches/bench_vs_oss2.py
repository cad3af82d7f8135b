"""oss2 2.19.1 and ossauth side by side, in one process, on the same pre-built oss2 Requests.

Each round signs a fresh batch with oss2, then with ossauth (the order alternates per round);
garbage collection is off while timing. Batches are small (100 requests) so that, as in
oss2.Bucket, which signs a request right after building it, the requests are in cache. Reported: the median per-call time of each SDK and the
median of the per-round ratios. Usage: python benches/bench_vs_oss2.py [--rounds N] [--batch N]
"""

import argparse
import gc
import statistics
import time

import oss2
from oss2 import http

import ossauth

AK, SK, TOKEN = "LTAI5tBenchmarkKeyId", "benchmark-secret-0123456789", "bench-sts-token"


def make_request():
    return http.Request(
        "PUT",
        "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/photos/2024/%E7%8C%AB.jpg",
        params={"uploadId": "0004B9895DBBB6EC98E", "partNumber": "3"},
        headers={
            "Content-Type": "image/jpeg",
            "Content-MD5": "eB5eJF1ptWaXm4bijSPyxw==",
            "Content-Length": "1048576",
            "x-oss-meta-author": "alice",
            "x-oss-storage-class": "Standard",
        },
        region="cn-hangzhou",
        product="oss",
    )


KEY = "photos/2024/猫.jpg"

CASES = [
    # (name, oss2 auth, ossauth auth, operation)
    ("V4 _sign_request", oss2.AuthV4(AK, SK), ossauth.AuthV4(AK, SK), "request"),
    ("V4 _sign_url", oss2.AuthV4(AK, SK), ossauth.AuthV4(AK, SK), "url"),
    (
        "V4 _sign_request (STS provider)",
        oss2.ProviderAuthV4(oss2.StaticCredentialsProvider(AK, SK, TOKEN)),
        ossauth.ProviderAuthV4(ossauth.StaticCredentialsProvider(AK, SK, TOKEN)),
        "request",
    ),
    ("V2 _sign_request", oss2.AuthV2(AK, SK), ossauth.AuthV2(AK, SK), "request"),
    ("V2 _sign_url", oss2.AuthV2(AK, SK), ossauth.AuthV2(AK, SK), "url"),
    ("V1 _sign_request", oss2.Auth(AK, SK), ossauth.Auth(AK, SK), "request"),
    ("V1 _sign_url", oss2.Auth(AK, SK), ossauth.Auth(AK, SK), "url"),
]


def time_batch(auth, operation, batch):
    reqs = [make_request() for _ in range(batch)]
    if operation == "request":
        sign = auth._sign_request
        start = time.perf_counter()
        for r in reqs:
            sign(r, "examplebucket", KEY)
        end = time.perf_counter()
    else:
        sign = auth._sign_url
        start = time.perf_counter()
        for r in reqs:
            sign(r, "examplebucket", KEY, 3600)
        end = time.perf_counter()
    return (end - start) / batch


def run(rounds, batch):
    rows = []
    for name, theirs, ours, operation in CASES:
        # Warm up both (caches, lazily imported modules).
        time_batch(theirs, operation, 50)
        time_batch(ours, operation, 50)
        t_theirs, t_ours, ratios = [], [], []
        for i in range(rounds):
            gc.collect()
            gc.disable()
            try:
                if i % 2 == 0:
                    a = time_batch(theirs, operation, batch)
                    b = time_batch(ours, operation, batch)
                else:
                    b = time_batch(ours, operation, batch)
                    a = time_batch(theirs, operation, batch)
            finally:
                gc.enable()
            t_theirs.append(a)
            t_ours.append(b)
            ratios.append(a / b)
        rows.append(
            (name, statistics.median(t_theirs) * 1e6, statistics.median(t_ours) * 1e6, statistics.median(ratios))
        )
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=201)
    ap.add_argument("--batch", type=int, default=100)
    args = ap.parse_args()
    rows = run(args.rounds, args.batch)
    print("| operation | oss2 2.19.1 (µs) | ossauth (µs) | speed-up (median of rounds) |")
    print("|---|---:|---:|---:|")
    for name, a, b, r in rows:
        print("| %s | %.2f | %.2f | %.1fx |" % (name, a, b, r))


if __name__ == "__main__":
    main()
