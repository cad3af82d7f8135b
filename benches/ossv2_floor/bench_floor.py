"""What oss-v2's ``SignerV4.sign`` interface costs before any signing: the floor under the
``sign()`` target of issue #14, measured with the experimental build that ``run.sh`` makes.

That build (``floor.patch``) adds signer "versions" that do every Python read and write of V4
header signing (the context's attributes, the ``datetime``, the five header writes into the
request's ``CaseInsensitiveDict``, ``string_to_sign`` and ``signing_time``) with no canonical
request and no hashing (the date texts are still formatted; fixed 64-character stand-ins take
the signature's place), and variants that stop after each step. Each side signs contexts just
built, as oss-v2's client does (``sign(make_context())``), minus the same loop that only builds
them (passing each to a Python function that does nothing: every row leaves out the cost of that
one Python call); the rounds interleave the sides and report medians.

Usage: python bench_floor.py [--rounds N]
"""

import argparse
import gc
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from alibabacloud_oss_v2 import signer as oss_signer  # noqa: E402
from bench_vs_ossv2 import make_context  # noqa: E402

from ossauth._core import _OssV2Signer  # noqa: E402

# (variant, what it does). 12..24 are cumulative: each adds one step to the one before.
VARIANTS = [
    (4, "ossauth SignerV4, header signing (the real one)"),
    (5, "floor: every Python read and write, no byte work"),
    (6, "the call alone (less a Python call's, as every row)"),
    (7, "+ reading the context, credentials, request, headers"),
    (12, "+ signing instant: datetime, x-oss-date and Date text"),
    (13, "+ header x-oss-date"),
    (14, "+ headers Date, x-oss-security-token, x-oss-content-sha256"),
    (15, "+ region, product"),
    (16, "+ additional_headers"),
    (17, "+ request.url"),
    (18, "+ headers.items()"),
    (19, "+ the UTF-8 of every header"),
    (20, "+ x-oss-content-sha256 lookup"),
    (21, "+ method, bucket, key"),
    (22, "+ header Authorization"),
    (23, "+ string_to_sign"),
    (24, "+ signing_time (all of the floor, as 5)"),
]


def per_call(sign, n):
    make = make_context
    t0 = time.perf_counter()
    for _ in range(n):
        sign(make(False))
    return (time.perf_counter() - t0) / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=31)
    args = ap.parse_args()
    sides = [("oss-v2 SignerV4", oss_signer.SignerV4().sign, 300)]
    sides += [(label, _OssV2Signer(v).sign, 2000) for v, label in VARIANTS]
    times = {label: [] for label, _, _ in sides}
    for _ in range(args.rounds):
        for label, sign, n in sides:
            gc.collect()
            gc.disable()
            try:
                build = per_call(lambda c: None, n)
                both = per_call(sign, n)
                build = (build + per_call(lambda c: None, n)) / 2
            finally:
                gc.enable()
            times[label].append(both - build)
    theirs = times[sides[0][0]]
    print(f"{'variant':62} {'µs':>7} {'oss-v2 / it':>12}")
    for label, _, _ in sides:
        ours = times[label]
        ratio = statistics.median(a / b for a, b in zip(theirs, ours))
        print(f"{label:62} {statistics.median(ours) * 1e6:7.3f} {ratio:11.1f}x")


if __name__ == "__main__":
    main()
