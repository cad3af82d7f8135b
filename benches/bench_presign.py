"""ossauth.Presigner against oss2.Bucket.sign_url, side by side in one process.

Rounds interleave the contenders (the order alternates per round), garbage collection is off
while timing, and medians are reported:

- per URL: ``oss2.Bucket(oss2.AuthV4(...)).sign_url``, the same bucket with ``ossauth.AuthV4``,
  ``Presigner.sign_url``, and ``Presigner.sign_urls`` of ``--keys`` keys with threads=1 and
  threads=2 (and the ratios the targets name: Presigner.sign_url vs oss2, sign_urls threads=1 per
  URL vs oss2, threads=2 vs threads=1);
- memory (``--memory``): one call for 1,000,000 URLs in a fresh process, its peak RSS growth
  (VmHWM) against the size of the list it returns (``sys.getsizeof`` of the list and of every
  string), and tracemalloc's peak.

Usage: python benches/bench_presign.py [--rounds N] [--keys N] [--memory]
"""

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time

import oss2

import ossauth

AK, SK = "LTAI5tBenchmarkKeyId", "benchmark-secret-0123456789"
ENDPOINT, BUCKET, REGION = "https://oss-cn-hangzhou.aliyuncs.com", "examplebucket", "cn-hangzhou"
KEY = "photos/2024/img_000001.jpg"


def per_call(fn, n):
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - start) / n
    finally:
        gc.enable()


def per_url_batch(presigner, keys, threads):
    gc.disable()
    try:
        start = time.perf_counter()
        urls = presigner.sign_urls("GET", keys, 3600, threads=threads)
        elapsed = time.perf_counter() - start
    finally:
        gc.enable()
    assert len(urls) == len(keys)
    del urls
    return elapsed / len(keys)


def speed(rounds, nkeys):
    oss2_bucket = oss2.Bucket(oss2.AuthV4(AK, SK), ENDPOINT, BUCKET, region=REGION)
    mixed_bucket = oss2.Bucket(ossauth.AuthV4(AK, SK), ENDPOINT, BUCKET, region=REGION)
    presigner = ossauth.Presigner(ossauth.AuthV4(AK, SK), ENDPOINT, BUCKET, region=REGION)
    keys = ["photos/2024/img_%06d.jpg" % i for i in range(nkeys)]
    contenders = {
        "oss2 Bucket(oss2.AuthV4).sign_url": lambda: per_call(lambda: oss2_bucket.sign_url("GET", KEY, 3600), 2000),
        "oss2 Bucket(ossauth.AuthV4).sign_url": lambda: per_call(lambda: mixed_bucket.sign_url("GET", KEY, 3600), 5000),
        "Presigner.sign_url": lambda: per_call(lambda: presigner.sign_url("GET", KEY, 3600), 50000),
        "Presigner.sign_urls threads=1": lambda: per_url_batch(presigner, keys, 1),
        "Presigner.sign_urls threads=2": lambda: per_url_batch(presigner, keys, 2),
    }
    times = {name: [] for name in contenders}
    ratios = {"sign_url": [], "sign_urls t=1": [], "t=2 vs t=1": []}
    names = list(contenders)
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]
        got = {name: contenders[name]() for name in order}
        for name, t in got.items():
            times[name].append(t)
        base = got["oss2 Bucket(oss2.AuthV4).sign_url"]
        ratios["sign_url"].append(base / got["Presigner.sign_url"])
        ratios["sign_urls t=1"].append(base / got["Presigner.sign_urls threads=1"])
        ratios["t=2 vs t=1"].append(got["Presigner.sign_urls threads=1"] / got["Presigner.sign_urls threads=2"])
    print("median per URL over %d rounds (%d keys per sign_urls call):" % (rounds, nkeys))
    for name in names:
        med = statistics.median(times[name])
        print("  %-40s %9.3f us  (%9.0f URLs/s)" % (name, med * 1e6, 1 / med))
    print("median ratios:")
    print("  Presigner.sign_url vs oss2:             %6.1fx (target >= 25x)" % statistics.median(ratios["sign_url"]))
    print("  sign_urls threads=1 per URL vs oss2:    %6.1fx (target >= 100x)" % statistics.median(ratios["sign_urls t=1"]))
    print("  sign_urls threads=2 vs threads=1:       %6.2fx (target >= 1.6x)" % statistics.median(ratios["t=2 vs t=1"]))


MEMORY_CHILD = r"""
import json, sys, tracemalloc
import ossauth

def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024

n, threads, trace = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
presigner = ossauth.Presigner(ossauth.AuthV4("LTAI5tBenchmarkKeyId", "s"), "https://oss-cn-hangzhou.aliyuncs.com",
                              "examplebucket", region="cn-hangzhou")
keys = ["photos/2024/img_%07d.jpg" % i for i in range(n)]
presigner.sign_urls("GET", keys[:1000], 3600)
if trace:
    tracemalloc.start()
base = rss("VmRSS")
# VmHWM is the peak since start: reset it so that it measures this call only.
open("/proc/self/clear_refs", "w").write("5")
urls = presigner.sign_urls("GET", keys, 3600, threads=threads)
peak = rss("VmHWM") - base
traced = tracemalloc.get_traced_memory()[1] if trace else 0
size = sys.getsizeof(urls) + sum(sys.getsizeof(u) for u in urls)
print(json.dumps({"peak_rss_growth": peak, "list_size": size, "tracemalloc_peak": traced}))
"""


def memory(n=1_000_000):
    for threads, trace in [(1, "0"), (2, "0"), (2, "1")]:
        out = subprocess.run([sys.executable, "-c", MEMORY_CHILD, str(n), str(threads), trace],
                             capture_output=True, text=True, check=True).stdout
        m = json.loads(out)
        what = "tracemalloc peak" if trace == "1" else "peak RSS growth"
        value = m["tracemalloc_peak"] if trace == "1" else m["peak_rss_growth"]
        print("  %d URLs, threads=%d: %s %.0f MB, list %.0f MB: %.2fx (target <= 2x)"
              % (n, threads, what, value / 2**20, m["list_size"] / 2**20, value / m["list_size"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--memory", action="store_true", help="also measure one call for 1M URLs")
    args = parser.parse_args()
    speed(args.rounds, args.keys)
    if args.memory:
        print("memory of one sign_urls call:")
        memory()


if __name__ == "__main__":
    main()
