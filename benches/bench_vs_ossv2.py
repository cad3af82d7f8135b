"""alibabacloud-oss-v2 1.4.1's own signers and ossauth.oss_v2's, side by side in one process.

Cases: ``sign()`` of a pre-built SigningContext (header signing, and query signing as the
presigner uses it), V4 and V1; and ``client.presign(GetObjectRequest(...))`` end to end with each
signer. Each round times a fresh batch with each side (the order alternates per round), with
garbage collection off while timing. Reported: the median per-call time of each side and the
median of the per-round ratios. Usage: python benches/bench_vs_ossv2.py [--rounds N] [--batch N]
"""

import argparse
import datetime as dt
import gc
import statistics
import time

import alibabacloud_oss_v2 as oss
from alibabacloud_oss_v2 import signer as oss_signer
from alibabacloud_oss_v2.types import Credentials, HttpRequest, SigningContext

import ossauth.oss_v2

AK, SK, TOKEN = "LTAI5tBenchmarkKeyId", "benchmark-secret-0123456789", "bench-sts-token"
URL = ("https://examplebucket.oss-cn-hangzhou.aliyuncs.com/photos/2024/%E7%8C%AB.jpg"
       "?partNumber=3&uploadId=0004B9895DBBB6EC98E")


def make_context(query):
    request = HttpRequest("PUT", URL)
    request.headers.update({
        "Content-Type": "image/jpeg",
        "Content-MD5": "eB5eJF1ptWaXm4bijSPyxw==",
        "Content-Length": "1048576",
        "x-oss-meta-author": "alice",
        "x-oss-storage-class": "Standard",
        "User-Agent": "alibabacloud-oss-python-sdk-v2/1.4.1",
    })
    ctx = SigningContext(product="oss", region="cn-hangzhou", bucket="examplebucket",
                         key="photos/2024/猫.jpg", request=request, credentials=Credentials(AK, SK, TOKEN))
    ctx.auth_method_query = query
    if query:
        ctx.expiration_time = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    return ctx


def sign_batch(signer, query, batch):
    ctxs = [make_context(query) for _ in range(batch)]
    sign = signer.sign
    t0 = time.perf_counter()
    for c in ctxs:
        sign(c)
    return (time.perf_counter() - t0) / batch


def presign_batch(client, _query, batch):
    reqs = [oss.GetObjectRequest(bucket="examplebucket", key="photos/2024/猫.jpg") for _ in range(batch)]
    presign = client.presign
    t0 = time.perf_counter()
    for r in reqs:
        presign(r)
    return (time.perf_counter() - t0) / batch


def client(signer):
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(AK, SK, TOKEN)
    cfg.region = "cn-hangzhou"
    return oss.Client(cfg, signer=signer)


CASES = [
    # (name, oss-v2 side, ossauth side, timing function, query signing)
    ("V4 sign() header", oss_signer.SignerV4(), ossauth.oss_v2.SignerV4(), sign_batch, False),
    ("V4 sign() query", oss_signer.SignerV4(), ossauth.oss_v2.SignerV4(), sign_batch, True),
    ("V1 sign() header", oss_signer.SignerV1(), ossauth.oss_v2.SignerV1(), sign_batch, False),
    ("V1 sign() query", oss_signer.SignerV1(), ossauth.oss_v2.SignerV1(), sign_batch, True),
    ("V4 client.presign(GetObjectRequest)", client(oss_signer.SignerV4()),
     client(ossauth.oss_v2.SignerV4()), presign_batch, True),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=31)
    ap.add_argument("--batch", type=int, default=200)
    args = ap.parse_args()
    print(f"{'case':40} {'oss-v2 µs':>10} {'ossauth µs':>11} {'ratio':>7}")
    for name, theirs, ours, timed, query in CASES:
        timed(theirs, query, 20)  # warm up both
        timed(ours, query, 20)
        t_theirs, t_ours, ratios = [], [], []
        for r in range(args.rounds):
            gc.collect()
            gc.disable()
            try:
                if r % 2:
                    a = timed(theirs, query, args.batch)
                    b = timed(ours, query, args.batch)
                else:
                    b = timed(ours, query, args.batch)
                    a = timed(theirs, query, args.batch)
            finally:
                gc.enable()
            t_theirs.append(a)
            t_ours.append(b)
            ratios.append(a / b)
        print(f"{name:40} {statistics.median(t_theirs) * 1e6:10.2f} "
              f"{statistics.median(t_ours) * 1e6:11.2f} {statistics.median(ratios):6.1f}x")


if __name__ == "__main__":
    main()
